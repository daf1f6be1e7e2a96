"""Judge, generate and cache on an OpenAI-compatible server that is not evalnb's own fake (issue 16).

``tests/fixtures/peers/make.sh litellm`` ran evalnb against LiteLLM's proxy (mock_response models)
and against evalnb's fake, and recorded both runs plus the exact bodies LiteLLM sent
(``litellm-<version>/judge_run.json``). Here the recorded run is checked, and the same calls are
made again in CI against a local server that answers with LiteLLM's recorded bodies and headers
(no logprobs, LiteLLM's ids and usage), so a change in evalnb that breaks on LiteLLM's wire format
fails without LiteLLM installed.
"""
from __future__ import annotations

import json
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

import evalnb
from evalnb.metrics.judge.generate import generate

RECORD = json.loads(next((Path(__file__).parent / "fixtures" / "peers").glob("litellm-*/judge_run.json")).read_text())
PROMPTS = ["What is the refund window?", "How do I reset my password?", "Can I pay by wire transfer?"]


def test_recorded_litellm_run_has_the_statuses_of_the_fake_run():
    for attempt in ("first", "second"):
        lite, fake = RECORD["litellm"][attempt], RECORD["fake"][attempt]
        for key in ("generate_status", "judge_status", "judge_call_status"):
            assert lite[key] == fake[key] == ["ok"] * len(PROMPTS), (attempt, key)
        assert lite["chatty_judge"] == fake["chatty_judge"]
        assert lite["chatty_judge"]["call_status"] == ["parse_error"] * len(PROMPTS)
    assert RECORD["litellm"]["first"]["judge_calls"] == RECORD["fake"]["first"]["judge_calls"] == len(PROMPTS)
    assert RECORD["litellm"]["second"]["judge_calls"] == RECORD["fake"]["second"]["judge_calls"] == 0
    assert RECORD["litellm"]["second"]["judge_cache_hits"] == len(PROMPTS)
    reply = json.loads(RECORD["litellm_raw"]["mock-judge"]["body"]["choices"][0]["message"]["content"])
    assert RECORD["litellm"]["first"]["judge_score"] == [float(reply["score"])] * len(PROMPTS)


class _Replay:
    """Answers every chat completion with the body LiteLLM sent for that model name."""

    def __init__(self) -> None:
        raw = RECORD["litellm_raw"]
        self.calls = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                outer.calls += 1
                recorded = raw.get(body.get("model"))
                status, payload = (200, recorded["body"]) if recorded else (404, {"error": {"message": "no such model"}})
                data = json.dumps(payload).encode()
                self.send_response(status)
                for key, value in (recorded or {}).get("headers", {}).items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_generate_judge_and_cache_on_litellm_wire_format(tmp_path):
    frame = pd.DataFrame({"model": "m", "item_id": [f"q{i}" for i in range(len(PROMPTS))], "input": PROMPTS})
    with _Replay() as base_url:
        settings = dict(base_url=base_url, api_key="sk-test", cache_dir=str(tmp_path / "cache"), concurrency=2,
                        max_attempts=2)
        for attempt in ("first", "second"):
            expected = RECORD["litellm"][attempt]
            gen = generate(frame, model="mock-model", **settings)
            assert gen["generate_status"].tolist() == expected["generate_status"]
            assert gen["output"].tolist() == expected["generate_output"]
            runs = evalnb.load_runs(gen[["model", "item_id", "input", "output"]])
            judge = evalnb.metric("judge_relevance", model="mock-judge", **settings)
            scored = evalnb.score(runs, [judge]).df
            assert scored["llm_relevance_status"].tolist() == expected["judge_status"]
            assert scored["llm_relevance"].tolist() == expected["judge_score"]
            assert (judge.last_stats.calls, judge.last_stats.cache_hits) == (expected["judge_calls"],
                                                                             expected["judge_cache_hits"])
            chatty = evalnb.metric("judge_relevance", model="mock-chatty-judge", structured=False, **settings)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                evalnb.score(runs, [chatty])
            assert chatty.details["status"].tolist() == expected["chatty_judge"]["call_status"]


@pytest.mark.parametrize("model", ["mock-model", "mock-judge"])
def test_litellm_replies_carry_no_logprobs(model):
    """The reason the judge's optional ``_expected`` column is empty on LiteLLM (issue 13 item 7)."""
    choice = RECORD["litellm_raw"][model]["body"]["choices"][0]
    assert "logprobs" not in choice or choice["logprobs"] is None

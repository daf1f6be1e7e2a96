"""Judge engine against the local fake OpenAI server: docs/threat-model.md J01-J08, J13-J17, journal D11."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import pytest

from _judge_helpers import engine, rubric_request, requests
from evalnb._errors import ConfigError
from evalnb.metrics.judge.engine import JudgeConfig, JudgeEngine, run_sync
from evalnb.metrics.judge.journal import Journal, JournalRefusedError, JournalRepairedWarning
from evalnb.metrics.judge.parsing import expected_score, parse_reply, QAVerdict, rubric_schema
from evalnb.testing import FakeOpenAI, Faults

pytestmark = pytest.mark.timeout(120)


@pytest.fixture()
def server():
    with FakeOpenAI() as s:
        yield s


def test_ok_replies_structured_usage_and_cost(server, tmp_path):
    e = engine(server, tmp_path, prices=(1.0, 2.0))
    res = e.judge(requests(5))
    assert [r.status for r in res] == ["ok"] * 5
    assert all(1 <= r.value["score"] <= 5 for r in res)
    assert all(r.prompt_tokens > 0 and r.completion_tokens > 0 for r in res)
    r = res[0]
    assert r.cost_usd == pytest.approx((r.prompt_tokens * 1.0 + r.completion_tokens * 2.0) / 1e6)
    assert e.last_stats.calls == 5 and server.stats.paid == 5


def test_j01_retry_after_is_honoured_and_concurrency_backs_off(server, tmp_path):
    server.faults = Faults(rate_limit=0.5, retry_after=1)
    e = engine(server, tmp_path, concurrency=8, retry_after_cap=5)
    t0 = time.monotonic()
    res = e.judge(requests(24))
    assert all(r.ok for r in res)
    retried = [r for r in res if r.attempts > 1]
    assert retried, "the fault should have hit about half of the calls"
    assert all(r.waited_s >= 1.0 for r in retried)          # observed wait >= Retry-After
    assert time.monotonic() - t0 >= 1.0
    limits = [lim for _, lim in e.last_stats.limit_trace]
    assert limits and min(limits) < 8                      # in-flight limit lowered on 429


def test_j02_retry_after_beyond_cap_is_not_waited(server, tmp_path):
    server.faults = Faults(rate_limit=1.0, retry_after=300)
    t0 = time.monotonic()
    res = engine(server, tmp_path, retry_after_cap=2).judge(requests(3))
    assert time.monotonic() - t0 < 5
    assert {r.status for r in res} == {"api_error:rate_limited"}
    assert "Retry-After 300 s exceeds retry_after_cap=2" in res[0].error


@pytest.mark.parametrize("faults, attempts", [
    (Faults(server_error=1.0, fault_attempts=2), 3),
    (Faults(reset=1.0, fault_attempts=1), 2),
])
def test_j03_5xx_and_resets_are_retried(server, tmp_path, faults, attempts):
    server.faults = faults
    res = engine(server, tmp_path).judge(requests(4))
    assert all(r.ok for r in res)
    assert all(r.attempts == attempts for r in res)


def test_j03_slow_loris_hits_the_deadline(server, tmp_path):
    server.faults = Faults(stall=1.0, stall_s=20, fault_attempts=99)
    t0 = time.monotonic()
    res = engine(server, tmp_path, timeout=1.0, max_attempts=2).judge(requests(2))
    elapsed = time.monotonic() - t0
    assert {r.status for r in res} == {"api_error:timeout"}
    assert all(r.attempts == 2 for r in res)
    assert elapsed < 2 * (1.0 + 1.0) + 0.5                  # each attempt <= timeout + 1 s


@pytest.mark.parametrize("code, kind", [(400, "bad_request"), (401, "auth"), (404, "not_found"), (422, "unprocessable")])
def test_j04_client_errors_are_not_retried(server, tmp_path, code, kind):
    server.faults = Faults(status=code)
    res = engine(server, tmp_path).judge(requests(1))
    assert res[0].status == f"api_error:{kind}" and res[0].attempts == 1
    assert server.base_url in res[0].error and "fake-judge" in res[0].error


@pytest.mark.parametrize("fault, status", [
    ("truncated", "truncated"), ("invalid_json", "parse_error"), ("extra_field", "parse_error"),
    ("out_of_range", "parse_error"), ("bad_enum", "parse_error"), ("refusal", "refusal"),
    ("empty", "empty"), ("null_content", "empty"),
])
def test_j05_j06_j08_bad_replies_become_statuses_with_raw_text(server, tmp_path, fault, status):
    server.faults = Faults(reply=fault)
    res = engine(server, tmp_path).judge(requests(2))
    assert {r.status for r in res} == {status}
    assert all(r.value is None for r in res)
    if status in ("truncated", "parse_error"):
        assert all(r.text for r in res)                    # raw text kept for inspection
    if status == "refusal":
        assert "can't evaluate" in res[0].refusal


def test_j07_commas_and_brackets_inside_strings_parse_unchanged(server, tmp_path):
    server.faults = Faults(reply="comma_strings")
    res = engine(server, tmp_path).judge(requests(2))
    assert all(r.ok for r in res)
    assert res[0].value["reasoning"] == "odd, } text, ] with {braces}, and [brackets, ]"
    # strict parsing without structured output: JSON embedded in prose, same strings
    text = 'Sure. Verdict: {"reasoning": "a, } b, ]", "correct": true}'   # the verdict ends the reply (13.9)
    assert parse_reply(QAVerdict, text, lenient_extract=True) == ("ok", {"reasoning": "a, } b, ]", "correct": True}, "")


def test_unstructured_endpoint_strict_parse(server, tmp_path):
    server.faults = Faults(structured=False)
    res = engine(server, tmp_path, structured=False).judge([rubric_request("Click forgot password.")])
    # the fake found no schema in this bare prompt, so the reply breaks the schema: a status, not a score
    assert res[0].status == "parse_error"


def test_geval_expected_score_from_logprobs(server, tmp_path):
    res = engine(server, tmp_path, top_logprobs=5).judge(requests(6))
    for r in res:
        exp = expected_score(r.logprobs, r.text, 1, 5)
        assert exp is not None and 1 <= exp <= 5 and abs(exp - r.value["score"]) < 1
    assert any(abs(expected_score(r.logprobs, r.text, 1, 5) - r.value["score"]) > 1e-6 for r in res)
    # hand-made check of the normalisation: p(4)=0.6, p(5)=0.4 -> 4.4; "x" is not a rating
    import math
    lp = [['{"score": ', {'{"score": ': 0.0}], ["4", {"4": math.log(0.6), "5": math.log(0.4), "x": -0.1}], ["}", {"}": 0.0}]]
    assert expected_score(lp, '{"score": 4}', 1, 5) == pytest.approx(4.4)


def test_j14_changes_that_alter_the_answer_are_cache_misses(server, tmp_path):
    reqs = requests(3)
    e = engine(server, tmp_path)
    e.judge(reqs)
    before = (tmp_path / "judge-journal.jsonl").read_bytes()
    for kw in ({"temperature": 0.7}, {"model": "fake-judge-2024-08"}, {"max_tokens": 300}):
        server.reset_stats()
        engine(server, tmp_path, **{**kw}).judge(reqs)
        assert server.stats.paid == 3, kw
    server.reset_stats()
    changed = [rubric_request(r.messages[1][1].split("]]\n", 2)[-1], criterion="relevance") for r in reqs[:1]]
    changed = [type(changed[0])(changed[0].messages, changed[0].schema, rubric_version="test.v2")]
    engine(server, tmp_path).judge(changed)
    assert server.stats.paid == 1                            # new template version: new key
    assert (tmp_path / "judge-journal.jsonl").read_bytes().startswith(before)  # old entries untouched
    server.reset_stats()
    engine(server, tmp_path).judge(reqs)
    assert server.stats.paid == 0                            # the original settings still hit


def test_j15_errors_are_never_cached(server, tmp_path):
    server.faults = Faults(server_error=1.0, fault_attempts=99)
    res = engine(server, tmp_path, max_attempts=2).judge(requests(2))
    assert {r.status for r in res} == {"api_error:server_error"}
    server.faults = Faults()
    server.reset_stats()
    res = engine(server, tmp_path).judge(requests(2))
    assert all(r.ok and not r.cached for r in res) and server.stats.paid == 2
    res = engine(server, tmp_path).judge(requests(2))
    assert all(r.cached for r in res)


def test_j16_small_load_with_429s_respects_the_limit(tmp_path):
    with FakeOpenAI(Faults(latency=0.02, rate_limit=0.05, retry_after=0.2)) as s:
        e = engine(s, tmp_path, concurrency=16, retry_after_cap=1)
        res = e.judge(requests(300))
        assert all(r.ok for r in res)
        assert e.last_stats.peak_inflight <= 16 and s.stats.max_inflight <= 16
        assert e.last_stats.attempts > 300                   # some 429s were retried


def test_j17_works_from_a_running_loop_and_from_scripts(server, tmp_path):
    e = engine(server, tmp_path)

    async def inside_jupyter():
        awaited = await e.ajudge(requests(3))              # the await path
        blocking = e.judge(requests(3, prefix="sync"))       # sync wrapper: own loop in a worker thread
        return awaited, blocking

    awaited, blocking = asyncio.run(inside_jupyter())
    assert all(r.ok for r in awaited + blocking)
    assert run_sync(lambda: asyncio.sleep(0, result=7)) == 7


def test_config_errors_and_no_key_in_signature(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALNB_JUDGE_MODEL", raising=False)
    with pytest.raises(ConfigError, match="no judge model"):
        JudgeEngine(JudgeConfig(cache_dir=str(tmp_path)))
    cfg = JudgeConfig(model="m", base_url="https://example.org/v1", api_key="sk-secret-123", cache_dir=str(tmp_path))
    sig = cfg.signature()
    assert "sk-secret" not in sig and "judge:m@example.org" in sig and "temperature:0.0" in sig
    assert "sk-secret" not in repr(cfg)


def test_journal_torn_last_line_is_detected_and_repaired(tmp_path):
    path = tmp_path / "j.jsonl"
    j = Journal(path)
    for i in range(3):
        j.append({"key": f"k{i}", "status": "ok", "text": "{}"})
    j.append({"key": "e", "status": "api_error:timeout", "text": None})
    j.close()
    good = path.read_bytes()
    with open(path, "ab") as fh:
        fh.write(b'{"key": "k3", "status": "ok", "te')       # killed mid-write
    with pytest.warns(JournalRepairedWarning, match="torn last line"):
        j2 = Journal(path)
    assert path.read_bytes() == good
    assert set(j2.entries) == {"k0", "k1", "k2"}              # the error entry is journaled, not cached
    assert j2.repair.torn_tail_bytes > 0
    # a flipped byte in the middle fails its MAC: the journal is refused, clearly (issue 13.10)
    lines = good.split(b"\n")
    lines[1] = lines[1].replace(b"k1", b"kX")
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(JournalRefusedError, match=r"1 of 4 line\(s\) do not verify.*line 2.*move it away or delete it"):
        Journal(path)


def test_dry_run_estimates_and_makes_no_call(server, tmp_path):
    e = engine(server, tmp_path, prices=(0.15, 0.60))
    est = e.estimate(requests(10))
    assert server.stats.requests == 0
    assert est.to_call == 10 and est.prompt_tokens > 0 and est.cost_usd > 0 and est.worst_case_usd >= est.cost_usd
    e.judge(requests(4))
    assert e.estimate(requests(10)).cached == 4


JOB = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from _judge_helpers import requests
    from evalnb.metrics.judge.engine import JudgeConfig, JudgeEngine
    e = JudgeEngine(JudgeConfig(base_url=sys.argv[1], model="fake-judge", api_key="k", cache_dir=sys.argv[2],
                                concurrency=8, progress=False))
    res = e.judge(requests(int(sys.argv[3])))
    print(sum(r.ok for r in res), e.last_stats.calls)
""")


def test_j13_kill_mid_run_then_resume(tmp_path):
    n = 1000
    script = tmp_path / "job.py"
    script.write_text(JOB.format(tests=os.path.dirname(__file__)))
    cache = tmp_path / "cache"
    with FakeOpenAI(Faults(latency=0.005)) as s:
        proc = subprocess.Popen([sys.executable, str(script), s.base_url, str(cache), str(n)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while s.stats.paid < 0.37 * n and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert 0 < s.stats.paid < n, "the job must be killed mid-run"
        journal = cache / "judge-journal.jsonl"
        done_before = {json.loads(line.split(b"\t")[0])["key"] for line in journal.read_bytes().splitlines()}
        with open(journal, "ab") as fh:                      # and a torn tail, as a kill mid-write leaves
            fh.write(b'{"key": "torn", "sta')
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            e = JudgeEngine(JudgeConfig(base_url=s.base_url, model="fake-judge", api_key="k", cache_dir=str(cache),
                                        concurrency=8, progress=False))
        assert any(issubclass(w.category, JournalRepairedWarning) for w in caught)
        paid_before = s.stats.paid
        resumed = e.judge(requests(n))
        assert all(r.ok for r in resumed)
        assert e.last_stats.calls == n - len(done_before)
        # 0 duplicate paid calls for completed keys; only the <= concurrency calls in flight at the kill repeat
        assert s.stats.paid - paid_before == n - len(done_before)
        keys = [r.key for r in resumed]
        dup = sum(v - 1 for v in s.stats.paid_by_key.values() if v > 1)
        assert dup <= 8                                      # at most the calls in flight at the kill
    with FakeOpenAI(Faults(latency=0.0)) as s2:              # an uninterrupted run elsewhere
        clean = JudgeEngine(JudgeConfig(base_url=s2.base_url, model="fake-judge", api_key="k",
                                        cache_dir=str(tmp_path / "clean"), concurrency=8, progress=False)).judge(requests(n))
    assert [(r.status, r.value) for r in resumed] == [(r.status, r.value) for r in clean]
    assert len(set(keys)) == n


def test_quiet_gc_is_undone_after_nested_runs():
    import gc

    from evalnb.metrics.judge.engine import _quiet_gc

    before = gc.get_threshold()
    with _quiet_gc():
        assert gc.get_freeze_count() > 0 and gc.get_threshold()[0] >= 50_000
        with _quiet_gc():
            pass
        assert gc.get_freeze_count() > 0, "an inner run must not unfreeze while an outer one runs"
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before


def test_limiter_is_fifo_never_exceeds_its_limit_and_survives_cancellation():
    from evalnb.metrics.judge.engine import _Limiter

    async def scenario():
        lim = _Limiter(2)
        order, inflight, peak = [], [0], [0]

        async def call(i: int, hold: float) -> None:
            await lim.acquire()
            inflight[0] += 1
            peak[0] = max(peak[0], inflight[0])
            order.append(i)
            await asyncio.sleep(hold)
            inflight[0] -= 1
            lim.release("ok")

        tasks = [asyncio.create_task(call(i, 0.01)) for i in range(8)]
        await asyncio.sleep(0)
        victim = asyncio.create_task(call(99, 0.0))  # queued behind the eight, then cancelled
        await asyncio.sleep(0)
        victim.cancel()
        await asyncio.gather(*tasks)
        with pytest.raises(asyncio.CancelledError):
            await victim
        return lim, order, peak[0]

    lim, order, peak = asyncio.run(scenario())
    assert order == list(range(8)), "slots go to waiters in arrival order"
    assert peak == 2 and lim.peak == 2
    assert lim.inflight == 0 and not lim._waiters, "a cancelled waiter leaves no slot or future behind"

    async def rate_limited():
        lim = _Limiter(8)
        for _ in range(8):
            await lim.acquire()
        lim.release("rate_limited")
        return lim

    lim = asyncio.run(rate_limited())
    assert lim.limit == 4 and lim.trace and lim.trace[-1][1] == 4

    async def handed_then_cancelled():
        lim = _Limiter(1)
        await lim.acquire()
        waiter = asyncio.create_task(lim.acquire())
        await asyncio.sleep(0)  # queued
        lim.release("ok")  # hands the slot to the waiter...
        waiter.cancel()  # ...which is cancelled before it runs: the slot must come back
        with pytest.raises(asyncio.CancelledError):
            await waiter
        return lim

    lim = asyncio.run(handed_then_cancelled())
    assert lim.inflight == 0 and not lim._waiters


def test_reply_json_and_logprobs_fall_back_to_lenient_parsing():
    from evalnb.metrics.judge.engine import _compact_logprobs, _loads

    text = json.dumps({"choices": [{"message": {"content": "caf\u00e9 \ud800"}}]})  # escaped lone surrogate
    assert _loads(text) == json.loads(text)
    assert _loads('{"a": 1.5, "b": [1, 2]}') == {"a": 1.5, "b": [1, 2]}
    with pytest.raises(ValueError):
        _loads("{not json")
    full = [{"token": "4", "logprob": -0.1, "top_logprobs": [{"token": "4", "logprob": -0.1}, {"token": "5", "logprob": -2.0}]}]
    assert _compact_logprobs(full) == [["4", {"4": -0.1, "5": -2.0}]]
    sparse = [{"token": "4", "logprob": -0.1, "top_logprobs": None}, {"token": "x"}]
    assert _compact_logprobs(sparse) == [["4", {"4": -0.1}], ["x", {"x": -99.0}]]
    assert _compact_logprobs(["garbage"]) is None


def test_fake_server_replies_after_its_latency_counted_from_arrival():
    with FakeOpenAI(faults=Faults(latency=0.2)) as s:
        import httpx

        t0 = time.monotonic()
        r = httpx.post(f"{s.base_url}/chat/completions", json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
        elapsed = time.monotonic() - t0
        stats = s.stats.as_dict()
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"]
    assert 0.2 <= elapsed < 0.5
    assert 200 <= stats["service_ms_mean"] < 300, "the scripted judgment is computed inside the latency, not after it"

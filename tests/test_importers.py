"""Importers of other tools' logs (RELIABILITY D13): detection, mapping, refusals, allow_incomplete."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import evalnb
from evalnb._errors import DataError
from evalnb.io.importers import sniff
from evalnb.io.readers import detect_format

FIX = Path(__file__).parent / "fixtures" / "importers"
INSPECT = FIX / "inspect_success.json"
LM_EVAL = FIX / "samples_helpdesk_gen_2026-06-02T11-30-00.123456.jsonl"
EVALS = FIX / "openai_evals_run.jsonl"
PROMPTFOO = FIX / "promptfoo_results.json"
OTEL = FIX / "otel_genai_spans.json"


@pytest.mark.parametrize("path, fmt", [(INSPECT, "inspect"), (LM_EVAL, "lm_eval"), (EVALS, "openai_evals"),
                                       (PROMPTFOO, "promptfoo"), (OTEL, "otel")])
def test_each_fixture_is_detected_and_loads_by_detection_or_name(path, fmt):
    assert sniff(path) == fmt and detect_format(path) == fmt
    detected = evalnb.load_runs(path)
    named = evalnb.load_runs(path, format=fmt)
    pd.testing.assert_frame_equal(detected.df, named.df)
    note = detected.df.attrs["import_notes"][0]
    assert note.format == fmt and note.samples == len(detected.df) > 0
    assert detected.errors.empty


def test_canonical_files_are_not_mistaken_for_foreign_logs(tmp_path):
    path = tmp_path / "runs.jsonl"
    path.write_text('{"model": "m", "item_id": 1, "output": "x"}\n')
    assert sniff(path) is None and detect_format(path) == "jsonl"
    assert len(evalnb.load_runs(path)) == 1


def test_inspect_mapping():
    df = evalnb.load_runs(INSPECT).df.set_index("item_id")
    assert list(df.index) == ["q1", "q2", "3"]
    assert set(df["model"]) == {"openai/gpt-4o-mini"} and set(df["task"]) == {"helpdesk_qa"}
    assert df.loc["q1", "inspect_match"] == 1.0 and df.loc["3", "inspect_match"] == 0.0
    assert df.loc["q1", "inspect_model_graded_qa"] == 0.9
    assert df.loc["q2", "output"] == "The second charge is a temporary hold."
    assert df.loc["q2", "references"] == ["A duplicate authorisation is released within 3 days.",
                                         "The second charge is a temporary hold."]
    assert "user: Why was I charged twice?" in df.loc["q2", "input"]
    assert df.loc["q1", "latency_ms"] == 2500.0 and df.loc["q1", "prompt_tokens"] == 30
    assert df.loc["q2", "category"] == "billing"
    note = evalnb.load_runs(INSPECT).df.attrs["import_notes"][0]
    assert any(d.startswith("messages") for d in note.dropped)
    # metrics run on the imported rows like any other
    scores = evalnb.score(evalnb.load_runs(INSPECT), [evalnb.metric("precomputed", column="inspect_match", lower=0, upper=1)])
    assert scores.df["inspect_match"].tolist() == [1.0, 1.0, 0.0]


def test_inspect_unfinished_needs_the_flag_and_unknown_version_is_refused(tmp_path):
    started = FIX / "inspect_started.json"
    with pytest.raises(DataError, match="status is 'started'.*allow_incomplete=True"):
        evalnb.load_runs(started)
    runs = evalnb.load_runs(started, allow_incomplete=True)
    assert len(runs) == 1 and runs.df.attrs["import_notes"][0].status == "started"
    data = json.loads(INSPECT.read_text())
    data["version"] = 7
    future = tmp_path / "future.json"
    future.write_text(json.dumps(data))
    with pytest.raises(DataError, match="version 7 is not supported; this evalnb reads versions 1, 2"):
        evalnb.load_runs(future)


def test_inspect_eval_zip_archive(tmp_path):
    data = json.loads(INSPECT.read_text())
    samples = data.pop("samples")
    path = tmp_path / "2026-06-02_helpdesk.eval"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("header.json", json.dumps(data))
        for s in samples:
            zf.writestr(f"samples/{s['id']}_epoch_{s['epoch']}.json", json.dumps(s))
    assert sniff(path) == "inspect"
    from_zip = evalnb.load_runs(path).df.sort_values("item_id").reset_index(drop=True)
    from_json = evalnb.load_runs(INSPECT).df.sort_values("item_id").reset_index(drop=True)
    cols = ["item_id", "output", "inspect_match", "latency_ms"]
    pd.testing.assert_frame_equal(from_zip[cols], from_json[cols])
    # an unfinished archive has only the journal start record
    partial = tmp_path / "partial.eval"
    with zipfile.ZipFile(partial, "w") as zf:
        zf.writestr("_journal/start.json", json.dumps({"version": 2, "eval": data["eval"]}))
        zf.writestr(f"samples/{samples[0]['id']}_epoch_1.json", json.dumps(samples[0]))
    with pytest.raises(DataError, match="did not finish"):
        evalnb.load_runs(partial)
    assert len(evalnb.load_runs(partial, allow_incomplete=True)) == 1


def test_lm_eval_mapping_reads_model_from_results_file():
    df = evalnb.load_runs(LM_EVAL).df
    assert set(df["model"]) == {"acme/helpdesk-7b"} and set(df["task"]) == {"helpdesk_gen"}
    assert df["lm_eval_exact_match"].tolist() == [1.0, 0.0, 1.0]
    assert df["output"].tolist() == ["5", "5", "help@acme.example"]
    assert df["input"].iloc[0].startswith("Question: How many days")
    assert df["input"].iloc[2].startswith("Question: What is the support email?")  # older list layout
    assert set(df["run_id"]) == {"acme/helpdesk-7b|strict-match"}
    if "exact_match" in set(evalnb.list_metrics()["name"]):  # evalnb's own EM agrees with lm-eval's
        em = evalnb.score(evalnb.load_runs(LM_EVAL), ["exact_match"])
        assert em.df["exact_match"].tolist() == df["lm_eval_exact_match"].tolist()


def test_lm_eval_refuses_other_jsonl(tmp_path):
    path = tmp_path / "samples_x_2026-01-01T00-00-00.jsonl"
    path.write_text('{"doc_id": 0, "doc": {}}\n')
    with pytest.raises(DataError, match="not an lm-evaluation-harness sample"):
        evalnb.load_runs(path, format="lm-eval")


def test_openai_evals_mapping_and_unfinished_run():
    df = evalnb.load_runs(EVALS).df.set_index("item_id")
    assert df.loc["helpdesk-match.dev.0", "evals_correct"] == 1.0
    assert df.loc["helpdesk-match.dev.1", "evals_correct"] == 0.0
    assert df.loc["helpdesk-match.dev.0", "references"] == ["Enterprise"]
    assert df.loc["helpdesk-match.dev.1", "reference"] == "Starter"
    assert set(df["model"]) == {"gpt-4o-mini"} and set(df["task"]) == {"helpdesk-match.dev.v0"}
    with pytest.raises(DataError, match="no final_report.*allow_incomplete=True"):
        evalnb.load_runs(FIX / "openai_evals_unfinished.jsonl")
    assert len(evalnb.load_runs(FIX / "openai_evals_unfinished.jsonl", allow_incomplete=True)) == 2


def test_promptfoo_mapping_errors_and_version(tmp_path):
    runs = evalnb.load_runs(PROMPTFOO)
    df = runs.df
    assert df["promptfoo_pass"].tolist() == [1.0, 0.0] and df["latency_ms"].tolist() == [812.0, 640.0]
    assert df["promptfoo_helpfulness"].tolist() == [0.9, 0.1]
    assert df["reference"].iloc[0] == "Billing > Invoices > Export" and set(df["category"]) == {"billing"}
    assert "1 rows with an error left out" in runs.df.attrs["import_notes"][0].text()
    assert len(evalnb.load_runs(PROMPTFOO, allow_incomplete=True)) == 3
    data = json.loads(PROMPTFOO.read_text())
    data["results"]["version"] = 4
    path = tmp_path / "pf.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match="promptfoo results version 4 is not supported"):
        evalnb.load_runs(path, format="promptfoo")


def test_otel_mapping_and_unfinished_spans(tmp_path):
    df = evalnb.load_runs(OTEL).df.set_index("item_id")
    row = df.loc["eee19b7ec3c1b174"]
    assert row["model"] == "gpt-4o-mini-2024-07-18" and row["run_id"] == "helpdesk-bot/gpt-4o-mini-2024-07-18"
    assert row["prompt_tokens"] == 52 and row["completion_tokens"] == 17 and row["latency_ms"] == 1250.0
    assert row["input"] == "Cancel my subscription" and row["output"] == "Your subscription ends on 30 June."
    assert row["request_id"] == "5b8efff798038103d269b633813fc60c"
    assert df.loc["b7ad6b7169203331", "otel_error"] == 1.0 and df.loc["b7ad6b7169203331", "input"] == "Is the API down?"
    assert len(df) == 2  # the HTTP span is not a GenAI span
    data = json.loads(OTEL.read_text())
    data["resourceSpans"][0]["scopeSpans"][0]["spans"][0].pop("endTimeUnixNano")
    path = tmp_path / "open.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match="without an end time"):
        evalnb.load_runs(path)
    assert len(evalnb.load_runs(path, allow_incomplete=True)) == 2


def test_unknown_format_name_is_refused():
    with pytest.raises(DataError, match="unknown format 'weights_and_biases'"):
        evalnb.load_runs(INSPECT, format="weights_and_biases")

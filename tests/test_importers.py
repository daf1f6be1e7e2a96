"""Importers of other tools' logs (docs/threat-model.md D13): detection, mapping, refusals, allow_incomplete."""
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
    assert list(df.index) == ["helpdesk_qa/q1", "helpdesk_qa/q2", "helpdesk_qa/3"]  # ids restart per task
    assert set(df["model"]) == {"openai/gpt-4o-mini"} and set(df["task"]) == {"helpdesk_qa"}
    assert df.loc["helpdesk_qa/q1", "inspect_match"] == 1.0 and df.loc["helpdesk_qa/3", "inspect_match"] == 0.0
    assert df.loc["helpdesk_qa/q1", "inspect_model_graded_qa"] == 0.9
    assert df.loc["helpdesk_qa/q2", "output"] == "The second charge is a temporary hold."
    assert df.loc["helpdesk_qa/q2", "references"] == ["A duplicate authorisation is released within 3 days.",
                                         "The second charge is a temporary hold."]
    assert "user: Why was I charged twice?" in df.loc["helpdesk_qa/q2", "input"]
    assert df.loc["helpdesk_qa/q1", "latency_ms"] == 2500.0 and df.loc["helpdesk_qa/q1", "prompt_tokens"] == 30
    assert df.loc["helpdesk_qa/q2", "category"] == "billing"
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
    assert "1 rows whose provider call failed left out (1x API error: 429" in runs.df.attrs["import_notes"][0].text()
    assert len(evalnb.load_runs(PROMPTFOO, allow_incomplete=True)) == 2  # a failed call is never a result row
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


# ---------------------------------------------------------------------------------------------
# Logs written by the real tools (tests/fixtures/peers/make.sh; CI uses the committed logs).
# Each is compared field by field with what the tool itself reported: for Inspect, the values
# inspect_ai's own reader gave at fixture time (<log>.oracle.json); for the others, the tool's
# own per-row fields and aggregate summaries inside the files it wrote.
# ---------------------------------------------------------------------------------------------
PEERS = Path(__file__).parent / "fixtures" / "peers"
INSPECT_VERSIONS = ("0.3.205", "0.3.285")
LETTERS = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}  # Inspect's value_to_float for its letter grades
INSPECT_LOGS = sorted(p for v in INSPECT_VERSIONS for p in (PEERS / f"inspect-{v}").iterdir()
                      if p.suffix in (".eval", ".json") and not p.name.endswith(".oracle.json"))


def _oracle(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".oracle.json").read_text())


def test_the_peer_fixtures_are_there_and_small():
    assert {p.parent.name for p in INSPECT_LOGS} == {f"inspect-{v}" for v in INSPECT_VERSIONS}
    assert len(INSPECT_LOGS) == 10
    for version in INSPECT_VERSIONS:  # every kind of ending is covered, in both versions
        statuses = sorted(_oracle(p)["status"] for p in INSPECT_LOGS if p.parent.name == f"inspect-{version}")
        assert statuses == ["cancelled", "error", "success", "success", "success"], version
    logs = [p for p in PEERS.rglob("*") if p.is_file() and "_src" not in str(p.relative_to(PEERS))]
    assert sum(p.stat().st_size for p in logs) < 600_000


@pytest.mark.parametrize("path", INSPECT_LOGS, ids=lambda p: f"{p.parent.name}/{p.name.split('_')[1]}")
def test_inspect_peer_log_matches_inspect_own_reader(path):
    oracle = _oracle(path)
    finished = [s for s in oracle["samples"] if s["error"] is None]
    if oracle["status"] != "success":
        with pytest.raises(DataError, match=rf"status is '{oracle['status']}'.*\({len(finished)} of "
                                            rf"{len(oracle['samples'])} samples present finished"):
            evalnb.load_runs(path)
    runs = evalnb.load_runs(path, allow_incomplete=oracle["status"] != "success")
    assert runs.errors.empty
    df = runs.df
    assert len(df) == len(finished)  # errored and cancelled samples are not rows
    note = df.attrs["import_notes"][0]
    assert note.samples == len(finished) and note.status == oracle["status"]
    assert f"inspect_ai {oracle['inspect_ai']}" in note.version
    if len(finished) < len(oracle["samples"]):
        assert f"{len(oracle['samples']) - len(finished)} samples that did not finish left out" in note.text()
    for s in finished:
        key = df["item_id"] == f"{oracle['task']}/{s['id']}"
        if oracle["epochs"] > 1:
            key &= df["sample_id"] == s["epoch"] - 1
        else:
            assert "sample_id" not in df or df["sample_id"].isna().all()
        row = df[key]
        assert len(row) == 1, (s["id"], s["epoch"])
        row = row.iloc[0]
        assert row["model"] == oracle["model"] and row["task"] == oracle["task"]
        assert row["run_id"] == f"{oracle['model']}@{oracle['run_id']}"
        assert row["output"] == s["completion"]
        if s["reasoning"]:
            assert row["reasoning"] == s["reasoning"] and s["reasoning"] not in row["output"]
        else:
            assert "reasoning" not in df or pd.isna(row["reasoning"])
        assert row["input"] == s["input"]
        if isinstance(s["target"], list):
            assert list(row["references"]) == s["target"]
        else:
            assert row["reference"] == s["target"]
        assert row["prompt_tokens"] == s["input_tokens"] and row["completion_tokens"] == s["output_tokens"]
        assert row["latency_ms"] == pytest.approx(s["total_time"] * 1000)
        for scorer, value in s["scores"].items():
            if isinstance(value, dict):
                for k, v in value.items():
                    assert row[f"inspect_{scorer}_{k}"] == (LETTERS[v] if isinstance(v, str) else v)
            else:
                assert row[f"inspect_{scorer}"] == LETTERS[value]
        if s["category"]:
            assert row["category"] == s["category"]


def test_inspect_zstd_archives_from_0_3_206_on_load():
    by_version = {v: [p for p in INSPECT_LOGS if p.parent.name == f"inspect-{v}" and p.suffix == ".eval"]
                  for v in INSPECT_VERSIONS}
    assert {_oracle(p)["compression"] for p in by_version["0.3.285"]} == {zipfile.ZIP_ZSTANDARD
                                                                          if hasattr(zipfile, "ZIP_ZSTANDARD") else 93}
    assert {_oracle(p)["compression"] for p in by_version["0.3.205"]} == {zipfile.ZIP_DEFLATED}
    for path in by_version["0.3.285"]:
        note = evalnb.load_runs(path, allow_incomplete=True).df.attrs["import_notes"][0]
        assert "zstd" in note.version


def test_inspect_multi_task_run_loads_together():
    """`inspect eval arith spelling` writes two logs sharing one run_id; both hold a sample 'a1'."""
    for version in INSPECT_VERSIONS:
        logs = [p for p in INSPECT_LOGS if p.parent.name == f"inspect-{version}" and _oracle(p)["task"] in ("arith", "spelling")
                and _oracle(p)["status"] == "success"]
        oracles = [_oracle(p) for p in logs]
        assert len(logs) == 2 and len({o["run_id"] for o in oracles}) == 1
        assert all(any(s["id"] == "a1" for s in o["samples"]) for o in oracles)
        runs = evalnb.load_runs(logs)
        assert runs.errors.empty
        assert len(runs.df) == sum(1 for o in oracles for s in o["samples"] if s["error"] is None)
        assert set(runs.df["task"]) == {"arith", "spelling"} and runs.df["run_id"].nunique() == 1


def _zip_with(path: Path, name: str, payload_chunks, method=zipfile.ZIP_DEFLATED) -> None:
    header = json.loads(INSPECT.read_text())
    header.pop("samples")
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        zf.writestr("header.json", json.dumps(header))
        with zf.open(name, "w") as fh:
            for chunk in payload_chunks:
                fh.write(chunk)


def test_inspect_archive_bomb_is_refused_without_inflating_it(tmp_path):
    import tracemalloc

    bomb = tmp_path / "bomb.eval"
    _zip_with(bomb, "samples/1_epoch_1.json", (b"\0" * (1 << 20) for _ in range(200)))  # 200 MB of zeros
    assert bomb.stat().st_size < 400_000
    tracemalloc.start()
    with pytest.raises(DataError, match=r"bomb\.eval: archive member 'samples/1_epoch_1.json' declares 209,715,200 bytes"):
        evalnb.load_runs(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 30e6


def test_inspect_archive_member_that_lies_about_its_size_is_capped_while_inflating(tmp_path):
    """The central directory says 100 bytes; the member inflates to 50 MB: refused at the ratio cap."""
    import struct
    import tracemalloc

    liar = tmp_path / "liar.eval"
    _zip_with(liar, "samples/1_epoch_1.json", (b"\0" * (1 << 20) for _ in range(50)))
    data = bytearray(liar.read_bytes())
    at = data.rfind(b"PK\x01\x02")  # the member's central directory record (the last one)
    assert struct.unpack("<I", data[at + 24:at + 28])[0] == 50 << 20
    data[at + 24:at + 28] = struct.pack("<I", 100)  # its uncompressed size
    liar.write_bytes(bytes(data))
    assert zipfile.ZipFile(liar).getinfo("samples/1_epoch_1.json").file_size == 100
    tracemalloc.start()
    with pytest.raises(DataError, match="expands past .* bytes from .* compressed; refused"):
        evalnb.load_runs(liar)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 30e6


def test_inspect_archive_member_size_cap_and_bad_members(tmp_path, monkeypatch):
    from evalnb.io.importers import inspect as inspect_importer

    big = tmp_path / "big.eval"
    _zip_with(big, "samples/1_epoch_1.json", [json.dumps({"id": 1, "epoch": 1, "pad": "x" * 5000}).encode()])
    monkeypatch.setattr(inspect_importer, "MAX_MEMBER_BYTES", 4096)
    with pytest.raises(DataError, match=r"big\.eval: archive member 'samples/1_epoch_1.json' declares .*\(limits: 4,096"):
        evalnb.load_runs(big)
    monkeypatch.undo()
    lzma = tmp_path / "lzma.eval"
    _zip_with(lzma, "samples/1_epoch_1.json", [b"{}"], method=zipfile.ZIP_LZMA)
    with pytest.raises(DataError, match="compression method 14; this evalnb reads stored, deflate and zstd"):
        evalnb.load_runs(lzma)
    corrupt = tmp_path / "corrupt.eval"
    zstd_log = next(p for p in INSPECT_LOGS if p.parent.name == "inspect-0.3.285" and p.suffix == ".eval")
    data = bytearray(zstd_log.read_bytes())
    info = zipfile.ZipFile(zstd_log).getinfo("header.json")
    data[info.header_offset + 30 + len("header.json") + 40] ^= 0xFF  # flip a byte inside the zstd frame
    corrupt.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"corrupt\.eval: archive member 'header.json' (is not valid zstd data|fails its CRC)"):
        evalnb.load_runs(corrupt, allow_incomplete=True)


PROMPTFOO_DIR = PEERS / "promptfoo-0.121"


def _pf(name: str) -> dict:
    return json.loads((PROMPTFOO_DIR / name).read_text())


@pytest.mark.parametrize("name", ["one_prompt.json", "repeat.json", "two_prompts.json"])
def test_promptfoo_peer_results_match_promptfoo_own_fields_and_stats(name):
    data = _pf(name)
    results = data["results"]["results"]
    stats = data["results"]["stats"]
    repeat = data["runtimeOptions"].get("repeat") or 1
    runs = evalnb.load_runs(PROMPTFOO_DIR / name)
    assert runs.errors.empty
    df = runs.df
    # promptfoo's own tally: successes + failures are result rows, errors (failed calls) are left out
    assert len(df) == stats["successes"] + stats["failures"]
    assert int(df["promptfoo_pass"].sum()) == stats["successes"]
    if stats["errors"]:
        assert f"{stats['errors']} rows whose provider call failed left out" in df.attrs["import_notes"][0].text()
    prompts = {r["promptId"] for r in results}
    for r in results:
        if r["failureReason"] == 2:
            continue
        model = r["provider"]["label"] or r["provider"]["id"]
        run_id = model if len(prompts) == 1 else f"{model}|{r['prompt']['label']}"
        key = (df["run_id"] == run_id) & (df["item_id"] == str(r["testIdx"] // repeat))
        if repeat > 1:
            key &= df["sample_id"] == r["testIdx"] % repeat
        row = df[key]
        assert len(row) == 1, (run_id, r["testIdx"])
        row = row.iloc[0]
        assert row["model"] == model and row["output"] == r["response"]["output"]
        assert row["input"] == r["prompt"]["raw"]
        assert row["promptfoo_pass"] == float(r["success"]) and row["promptfoo_score"] == r["score"]
        assert row["latency_ms"] == r["latencyMs"]
        for metric, value in r["namedScores"].items():
            assert row[f"promptfoo_{metric}"] == value
        if r["failureReason"] == 1:
            assert row["promptfoo_reason"] == r["error"]  # the grading reason promptfoo put in `error`
        if "expected" in r["vars"]:
            assert row["reference"] == r["vars"]["expected"]


def test_promptfoo_failed_assertions_count_in_the_pass_rate():
    """The truth for one_prompt.json: echo passes 2 of 3, flaky-upper 1 of 2 (+1 failed call)."""
    df = evalnb.load_runs(PROMPTFOO_DIR / "one_prompt.json").df
    rate = df.groupby("run_id")["promptfoo_pass"].agg(["mean", "size"])
    assert rate.loc["echo"].tolist() == [pytest.approx(2 / 3), 3]
    assert rate.loc["flaky-upper"].tolist() == [0.5, 2]
    assert set(df["run_id"]) == {"echo", "flaky-upper"}  # one prompt: no prompt label in run_id


def test_promptfoo_repeats_are_samples_of_one_item():
    df = evalnb.load_runs(PROMPTFOO_DIR / "repeat.json").df
    assert sorted(df["item_id"].unique()) == ["0", "1", "2"] and set(df["sample_id"]) == {0, 1}
    assert (df.groupby(["run_id", "item_id"])["reference"].nunique() == 1).all()
    assert len(evalnb.load_runs(PROMPTFOO_DIR / "two_prompts.json").df["run_id"].unique()) == 2


LM_EVAL_DIR = PEERS / "lm_eval-0.4.13"


def _lm_results(folder: Path) -> dict:
    return json.loads(next(folder.glob("results_*.json")).read_text())


def test_lm_eval_multi_task_output_folder_loads_and_matches_lm_eval_results():
    folder = LM_EVAL_DIR / "dummy"
    results = _lm_results(folder)
    runs = evalnb.load_runs(folder)  # the folder holds results_*.json and two samples files
    assert runs.errors.empty
    df = runs.df
    samples = {f.name: [json.loads(line) for line in f.read_text().splitlines()] for f in folder.glob("samples_*.jsonl")}
    assert len(df) == sum(len(v) for v in samples.values()) == sum(results["n-samples"][t]["effective"]
                                                                   for t in results["n-samples"])
    assert set(df["model"]) == {results["model_name"]}
    assert df["item_id"].is_unique and set(df["task"]) == {"peer_gen", "peer_mc"}
    for task, metric in (("peer_gen", "exact_match"), ("peer_mc", "acc")):
        part = df[df["task"] == task]
        assert part[f"lm_eval_{metric}"].mean() == pytest.approx(results["results"][task][f"{metric},none"])
    gen = next(v for k, v in samples.items() if "peer_gen" in k)
    for s in gen:
        row = df[df["item_id"] == f"peer_gen/{s['doc_id']}"].iloc[0]
        assert row["output"] == s["filtered_resps"][0] and row["reference"] == s["target"]
        assert row["input"] == s["arguments"]["gen_args_0"]["arg_0"]
    notes = {Path(n.source).name: n for n in df.attrs["import_notes"]}
    assert next(n for k, n in notes.items() if k.startswith("results_")).samples == 0


def test_lm_eval_multiple_choice_output_is_the_option_lm_eval_counted():
    # Oracle: lm-eval's own per-sample acc (1 when its argmax option is the gold one) and the
    # options as the task's documents list them (doc["choices"], not the requests evalnb reads).
    path = next((LM_EVAL_DIR / "dummy").glob("samples_peer_mc_*.jsonl"))
    samples = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(s["acc"] for s in samples) == [0.0, 1.0]  # one right, one wrong
    runs = evalnb.load_runs(path)
    df = runs.df.set_index("item_id")
    for s in samples:
        row = df.loc[f"peer_mc/{s['doc_id']}"]
        assert row["output"] in s["doc"]["choices"] and row["reference"] == s["doc"]["choices"][s["doc"]["label"]]
        assert (row["output"] == row["reference"]) == (s["acc"] == 1.0) == (row["lm_eval_acc"] == 1.0)
        assert row["lm_eval_loglikelihoods"] == pytest.approx([float(r[0]) for r in s["filtered_resps"]])
    em = evalnb.score(runs, ["exact_match"]).df.set_index("item_id")  # evalnb's own EM agrees with lm-eval's acc
    assert em["exact_match"].tolist() == [s["acc"] for s in sorted(samples, key=lambda s: s["doc_id"])]
    assert not any("loglikelihood" in d for n in runs.df.attrs["import_notes"] for d in n.dropped)


def test_lm_eval_multiple_choice_targets_ties_and_mutual_info(tmp_path):
    def sample(doc_id, lls, target, mutual=False):
        args = {f"gen_args_{i}": {"arg_0": "Q:", "arg_1": f" {c}"} for i, c in enumerate("abc")}
        if mutual:
            args.update({f"gen_args_{3 + i}": {"arg_0": "", "arg_1": f" {c}"} for i, c in enumerate("abc")})
        return {"doc_id": doc_id, "target": target, "arguments": args, "filtered_resps": [[str(v), "False"] for v in lls],
                "filter": "none", "metrics": ["acc"], "acc": 0.0}

    path = tmp_path / "samples_mc_2026-06-02T11-30-00.123456.jsonl"
    rows = [sample(0, [-2, -1, -1], "1"),                        # a tie: numpy's argmax takes the first
            sample(1, [-3, -1, -2], "[0, 2]"),                   # several gold indices (multiple_target)
            sample(2, [-1, -2, -3], "c"),                        # the gold option by its text
            sample(3, [-3, -2, -1, -0.1, -5, -5], "2", mutual=True)]  # unconditional lls are not options
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    df = evalnb.load_runs(path, format="lm_eval").df
    assert df["output"].tolist() == ["b", "b", "a", "c"]
    assert df["reference"].tolist()[0] == "b" and df["reference"].tolist()[2:] == ["c", "c"]
    assert df["references"].iloc[1] == ["a", "c"]
    assert df["lm_eval_loglikelihoods"].iloc[3] == [-3.0, -2.0, -1.0]


def test_lm_eval_chat_templated_api_model_has_its_input():
    folder = LM_EVAL_DIR / "chat"
    results = _lm_results(folder)
    df = evalnb.load_runs(folder).df
    samples = [json.loads(line) for line in next(folder.glob("samples_*.jsonl")).read_text().splitlines()]
    assert set(df["model"]) == {results["config"]["model_args"]["model"]} == {results["model_name"]}
    for s in samples:
        messages = json.loads(s["arguments"]["gen_args_0"]["arg_0"][0])
        row = df[df["item_id"] == f"peer_gen/{s['doc_id']}"].iloc[0]
        assert len(messages) == 1 and row["input"] == messages[0]["content"]
        assert row["output"] == s["filtered_resps"][0]
    assert df["lm_eval_exact_match"].mean() == pytest.approx(results["results"]["peer_gen"]["exact_match,none"])


def test_lm_eval_results_file_alone_is_refused_with_the_reason(tmp_path):
    lone = tmp_path / next((LM_EVAL_DIR / "dummy").glob("results_*.json")).name
    lone.write_bytes(next((LM_EVAL_DIR / "dummy").glob("results_*.json")).read_bytes())
    with pytest.raises(DataError, match="results summary holds no per-sample rows.*--log_samples"):
        evalnb.load_runs(lone)


OTEL_DIR = PEERS / "otel"
OTEL_LOGS = sorted(p for p in OTEL_DIR.glob("*.json") if ".console" not in p.name and ".values-only" not in p.name)


def _output_text(mode: str, attrs: dict) -> str | None:
    """The reply text each instrumentation recorded, read by its own attribute convention."""
    if "gen_ai.output.messages" in attrs:
        return json.loads(attrs["gen_ai.output.messages"])[0]["parts"][0]["content"]
    return attrs.get("gen_ai.completion.0.content", attrs.get("llm.output_messages.0.message.content"))


def _user_text(attrs: dict) -> str:
    if "gen_ai.input.messages" in attrs:
        return [m for m in json.loads(attrs["gen_ai.input.messages"]) if m["role"] == "user"][0]["parts"][0]["content"]
    keys = [k for k, v in attrs.items() if k.endswith(".role") and v == "user"]
    return attrs[keys[0][: -len("role")] + "content"]


@pytest.mark.parametrize("path", [p for p in OTEL_LOGS if not p.name.endswith(".oracle.json")], ids=lambda p: p.stem)
def test_otel_peer_spans_match_what_the_sdk_recorded(path):
    oracle = json.loads(path.with_name(path.stem + ".oracle.json").read_text())
    assert len(path.read_text().splitlines()) == 2  # JSON Lines in a .json file, as the collector writes
    runs = evalnb.load_runs(path)
    assert runs.errors.empty
    df = runs.df.set_index("item_id")
    assert len(df) == len(oracle["spans"]) == 3
    assert str(df["prompt_tokens"].dtype) == "Int64"  # the error span has no tokens: still integers (16.10)
    for span in oracle["spans"]:
        row = df.loc[span["span_id"]]
        attrs = span["attributes"]
        assert row["request_id"] == span["trace_id"]
        assert row["latency_ms"] == pytest.approx((span["end"] - span["start"]) / 1e6)
        assert row["otel_error"] == (1.0 if span["status"] == "ERROR" else 0.0)
        assert _user_text(attrs) in row["input"]
        if span["status"] == "ERROR":
            assert pd.isna(row.get("output")) if "output" in df else True
            continue
        assert row["output"] == _output_text(oracle["mode"], attrs)
        model = attrs.get("gen_ai.response.model", attrs.get("llm.model_name"))
        assert row["model"] == model
        tokens_in = attrs.get("gen_ai.usage.input_tokens", attrs.get("gen_ai.usage.prompt_tokens",
                                                                      attrs.get("llm.token_count.prompt")))
        tokens_out = attrs.get("gen_ai.usage.output_tokens", attrs.get("gen_ai.usage.completion_tokens",
                                                                        attrs.get("llm.token_count.completion")))
        assert (row["prompt_tokens"], row["completion_tokens"]) == (tokens_in, tokens_out)


def test_openinference_spans_without_message_attributes_read_input_and_output_value():
    # The same calls traced twice by openinference-instrumentation-openai: once with its message
    # attributes, once with OPENINFERENCE_HIDE_INPUT/OUTPUT_MESSAGES (only input.value/output.value).
    # The oracle for the second is what the instrumentation itself flattened in the first.
    full = OTEL_DIR / "openinference-0.1.66.json"
    hidden = OTEL_DIR / "openinference-0.1.66.values-only.json"
    spans = json.loads((OTEL_DIR / "openinference-0.1.66.values-only.oracle.json").read_text())["spans"]
    assert spans and all("input.value" in s["attributes"] for s in spans)
    assert not any(k.startswith(("llm.input_messages", "llm.output_messages")) for s in spans for k in s["attributes"])
    cols = ["input", "output", "model", "prompt_tokens", "completion_tokens", "otel_error"]
    a = evalnb.load_runs(hidden).df.sort_values("timestamp").reset_index(drop=True)
    b = evalnb.load_runs(full).df.sort_values("timestamp").reset_index(drop=True)
    assert a["input"].notna().all() and a["output"].notna().sum() == 2
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert "{" not in "".join(a["input"]) + "".join(a["output"].dropna())  # the text, not the JSON body


def test_openinference_plain_text_values_pass_through(tmp_path):
    def attr(key, value):
        return {"key": key, "value": {"stringValue": value}}

    span = {"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "ChatModel", "startTimeUnixNano": "1000000000",
            "endTimeUnixNano": "1500000000", "status": {},
            "attributes": [attr("openinference.span.kind", "LLM"), attr("llm.model_name", "m"),
                           attr("input.value", "What is 2+2?"), attr("input.mime_type", "text/plain"),
                           attr("output.value", '{"answer": 4}')]}  # no mime type: text, even if it looks like JSON
    path = tmp_path / "spans.json"
    path.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}))
    row = evalnb.load_runs(path).df.iloc[0]
    assert (row["input"], row["output"], row["latency_ms"]) == ("What is 2+2?", '{"answer": 4}', 500.0)


@pytest.mark.parametrize("layout", [".console.jsonl", ".console-default.json"])
def test_otel_sdk_console_json_reads_like_the_otlp_file(layout):
    console = next(OTEL_DIR.glob(f"*{layout}"))
    otlp = OTEL_DIR / console.name.replace(layout, ".json")
    assert sniff(console) == "otel"
    cols = ["item_id", "request_id", "model", "input", "output", "prompt_tokens", "completion_tokens", "otel_error"]
    a = evalnb.load_runs(console).df.sort_values("item_id").reset_index(drop=True)
    b = evalnb.load_runs(otlp).df.sort_values("item_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert (a["latency_ms"] - b["latency_ms"]).abs().max() < 0.002  # console times are in microseconds


EVALS_DIR = PEERS / "openai_evals-3.0.1"


@pytest.mark.parametrize("name", ["dummy-match.jsonl", "chat-includes.jsonl"])
def test_openai_evals_peer_logs_match_the_recorder(name):
    lines = [json.loads(line) for line in (EVALS_DIR / name).read_text().splitlines()]
    final = next(line["final_report"] for line in lines if "final_report" in line)
    events = [line for line in lines if "type" in line]
    df = evalnb.load_runs(EVALS_DIR / name).df.set_index("item_id")
    assert df["evals_correct"].mean() == pytest.approx(final["accuracy"])  # the tool's own aggregate
    for ev in events:
        row = df.loc[ev["sample_id"]]
        if ev["type"] == "match":
            assert row["output"] == ev["data"]["sampled"] and row["evals_correct"] == float(ev["data"]["correct"])
        elif ev["type"] == "sampling":
            assert row["output"] == ev["data"]["sampled"][0]
            assert row["prompt_tokens"] == ev["data"]["usage"]["prompt_tokens"]
            prompt = ev["data"]["prompt"]  # chat flattened to "role: text" lines
            assert row["input"] == ("\n".join(f"{m['role']}: {m['content']}" for m in prompt) if len(prompt) > 1
                                    else prompt[0]["content"])
    if "usage_prompt_tokens" in final:
        assert df["prompt_tokens"].sum() == final["usage_prompt_tokens"]


def test_validate_cli_reads_zstd_archives_and_says_what_was_left_out(capsys):
    from evalnb.cli import main

    zstd_log = next(p for p in INSPECT_LOGS if p.parent.name == "inspect-0.3.285" and _oracle(p)["task"] == "arith")
    assert main(["validate", str(zstd_log), "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith(f"{len(_oracle(zstd_log)['samples'])} valid rows, 0 problems")
    assert main(["validate", str(PROMPTFOO_DIR / "one_prompt.json"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("5 valid rows, 0 problems") and "1 rows whose provider call failed left out" in out

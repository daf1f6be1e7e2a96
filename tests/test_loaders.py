"""Loading eval runs and KPI logs: RELIABILITY cases D01-D05 and D12, formats, joins."""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

import evalnb
from evalnb._errors import DataError
from evalnb.io.writers import write_parquet


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def jsonl(*rows: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


# -- D01: answer strings that pandas would turn into NaN ---------------------------------------
def test_d01_csv_answers_stay_strings(tmp_path):
    csv = "model,item_id,task,output,reference\n" + "".join(
        f"m,{i},qa,{v},{v}\n" for i, v in enumerate(["None", "NA", "null", "", "nan", "N/A"]))
    runs = evalnb.load_runs(write(tmp_path / "runs.csv", csv))
    assert runs.df["output"].tolist() == ["None", "NA", "null", "", "nan", "N/A"]
    assert runs.df["reference"].tolist() == runs.df["output"].tolist()
    assert runs.df["item_id"].tolist() == [str(i) for i in range(6)]


def test_d01_exact_match_on_none_answer(tmp_path):
    csv = "model,item_id,task,output,reference\nm,1,qa,None,None\nm,2,qa,NA,null\n"
    runs = evalnb.load_runs(write(tmp_path / "runs.csv", csv))
    scores = evalnb.score(runs, ["exact_match"])
    assert scores.df["exact_match"].tolist() == [1.0, 0.0]


def test_d01_jsonl_null_is_missing_but_string_null_is_text(tmp_path):
    path = write(tmp_path / "r.jsonl", jsonl({"model": "m", "item_id": "a", "output": "null"},
                                             {"model": "m", "item_id": "b", "output": None, "task": "chat"}))
    with pytest.raises(DataError, match=r"r\.jsonl:2 field 'output': task 'chat' needs this field"):
        evalnb.load_runs(path)
    runs = evalnb.load_runs(path, strict=False)
    assert runs.df["output"].tolist() == ["null"]


# -- D02: malformed JSONL ---------------------------------------------------------------------
def test_d02_bom_crlf_blank_lines(tmp_path):
    raw = "\ufeff" + '{"model":"m","item_id":"1","output":"a"}\r\n\r\n\n{"model":"m","item_id":"2","output":"b"}\r\n'
    runs = evalnb.load_runs(write(tmp_path / "r.jsonl", raw))
    assert runs.df["output"].tolist() == ["a", "b"]
    assert runs.df["source_line"].tolist() == [1, 4]


@pytest.mark.parametrize("line, message", [
    ('{"model":"m","item_id":"2","output":"x","latency_ms":NaN}', "NaN"),
    ('{"model":"m","item_id":"2","output":"x","latency_ms":Infinity}', "Infinity"),
    ('{"model":"m","item_id":"2","output":"x","output":"y"}', "duplicate key 'output'"),
    ('{"model":"m","item_id":"2","output":"x"} trailing garbage', "invalid JSON"),
    ('[1, 2, 3]', "expected a JSON object"),
])
def test_d02_bad_lines_named_with_line_and_offset(tmp_path, line, message):
    good = '{"model":"m","item_id":"1","output":"ok"}\n'
    path = write(tmp_path / "bad.jsonl", good + line + "\n")
    with pytest.raises(DataError, match=rf"bad\.jsonl:2.*{message}"):
        evalnb.load_runs(path)
    runs = evalnb.load_runs(path, strict=False)
    assert runs.df["item_id"].tolist() == ["1"]
    err = runs.errors.iloc[0]
    assert (err["file"].endswith("bad.jsonl"), err["line"]) == (True, 2)
    assert err["byte_offset"] == len(good.encode())


def test_d02_invalid_utf8_reports_byte(tmp_path):
    path = write(tmp_path / "b.jsonl", b'{"model":"m","item_id":"1","output":"ok"}\n{"model":"m","item_id":"2","output":"\xff"}\n')
    runs = evalnb.load_runs(path, strict=False)
    assert len(runs.df) == 1
    assert "invalid UTF-8" in runs.errors.iloc[0]["problem"] and runs.errors.iloc[0]["line"] == 2


def test_d02_type_errors_name_field(tmp_path):
    path = write(tmp_path / "t.jsonl", jsonl(
        {"model": "m", "item_id": "1", "output": 42},
        {"model": "m", "item_id": "2", "output": "x", "latency_ms": "fast"},
        {"model": "m", "item_id": "3", "output": "x", "prompt_tokens": 1.5},
        {"model": "m", "item_id": "4", "output": "x", "retrieved_ids": "doc-1"},
        {"model": "m", "item_id": "5", "output": "x", "timestamp": "yesterday"},
        {"model": "m", "item_id": "6", "output": "x", "latency_ms": -3},
    ))
    runs = evalnb.load_runs(path, strict=False)
    assert runs.df.empty
    got = runs.errors[["line", "field"]].values.tolist()
    assert got == [[1, "output"], [2, "latency_ms"], [3, "prompt_tokens"], [4, "retrieved_ids"],
                   [5, "timestamp"], [6, "latency_ms"]]


# -- D03: duplicate ids -------------------------------------------------------------------------
def test_d03_int_and_string_ids_collide(tmp_path):
    path = write(tmp_path / "d.jsonl", jsonl({"model": "m", "item_id": 1, "output": "a"},
                                             {"model": "m", "item_id": "1", "output": "b"},
                                             {"model": "m", "item_id": " 2", "output": "c"},
                                             {"model": "m", "item_id": "2", "output": "d"},
                                             {"model": "other", "item_id": "1", "output": "e"}))
    with pytest.raises(DataError) as info:
        evalnb.load_runs(path)
    text = str(info.value)
    assert "duplicate item id '1'" in text and "(int)" in text and "(str)" in text
    runs = evalnb.load_runs(path, strict=False)
    assert runs.df["model"].tolist() == ["other"]  # the colliding rows are all quarantined
    assert sorted(runs.errors["line"].tolist()) == [1, 2, 3, 4]


def test_d03_samples_of_one_item_are_not_duplicates(tmp_path):
    path = write(tmp_path / "s.jsonl", jsonl(*[{"model": "m", "item_id": "t1", "sample_id": i, "output": "x"} for i in range(3)]))
    assert len(evalnb.load_runs(path)) == 3


# -- D04: coverage of the KPI join ---------------------------------------------------------------
def test_d04_kpi_join_coverage_and_orphans(tmp_path):
    runs = evalnb.load_runs(write(tmp_path / "r.jsonl", jsonl(
        *[{"model": "m", "item_id": str(i), "output": "x", "request_id": f"req-{i}"} for i in range(4)])))
    kpis = evalnb.load_kpis(write(tmp_path / "k.csv", "request_id,thumbs_up,csat\nreq-0,1,5\nreq-1,false,2\nreq-9,true,4\n"))
    joined = runs.with_kpis(kpis)
    cov = joined.attrs["kpi_coverage"]
    assert cov == {"key": "request_id", "eval_rows": 4, "matched": 2, "kpi_rows": 3, "kpi_columns": ["thumbs_up", "csat"]}
    assert joined["thumbs_up"].tolist()[:2] == [1.0, 0.0] and joined["thumbs_up"].isna().sum() == 2


def test_kpi_values_must_be_numeric(tmp_path):
    path = write(tmp_path / "k.csv", "request_id,csat\nreq-1,5\nreq-2,great\nreq-3,3\nreq-3,4\n")
    with pytest.raises(DataError, match=r"k\.csv:3 field 'csat': KPI values must be numeric"):
        evalnb.load_kpis(path)
    kpis = evalnb.load_kpis(path, strict=False)
    assert kpis.df["request_id"].tolist() == ["req-1", "req-3"]
    assert kpis.errors["line"].tolist() == [3, 5]
    assert "duplicate request_id 'req-3' (first at" in kpis.errors["problem"].iloc[1]


# -- D05: awkward text ---------------------------------------------------------------------------
def test_d05_awkward_text_survives(tmp_path):
    texts = ["", "   ", "x" * 1_000_000, unicodedata.normalize("NFD", "café"), "東京の天気", "ภาษาไทย",
             "हिन्दी", "👩‍👩‍👧 family", "a\u202eb"]
    path = write(tmp_path / "w.jsonl", jsonl(*[{"model": "m", "item_id": str(i), "output": t} for i, t in enumerate(texts)]))
    runs = evalnb.load_runs(path)
    assert runs.df["output"].tolist() == texts  # kept byte for byte (no silent normalisation)


def test_d05_lone_surrogate_flagged(tmp_path):
    raw = '{"model":"m","item_id":"1","output":"ok"}\n{"model":"m","item_id":"2","output":"bad \\ud800 text"}\n'
    with pytest.raises(DataError, match=r"w\.jsonl:2 field 'output': lone surrogate"):
        evalnb.load_runs(write(tmp_path / "w.jsonl", raw))


# -- D12: determinism, Parquet round trip, atomic writes -----------------------------------------
def test_d12_rerun_identical_and_parquet_roundtrip(tmp_path):
    rows = [{"model": "m", "item_id": str(i), "task": "rag", "output": f"answer {i}", "reference": "r",
             "retrieved_ids": ["d1", "d2"], "relevance": {"d1": 2, "d3": 1}, "contexts": ["c1", "c2"],
             "latency_ms": 10.5 + i, "prompt_tokens": 3, "timestamp": "2026-05-01T10:00:00Z", "human_rating": 4.5}
            for i in range(5)]
    src = write(tmp_path / "r.jsonl", jsonl(*rows))
    first, second = evalnb.load_runs(src), evalnb.load_runs(src)
    pd.testing.assert_frame_equal(first.df, second.df)
    assert first.fingerprint() == second.fingerprint()
    out = write_parquet(first.df, tmp_path / "runs.parquet")
    back = evalnb.load_runs(out)
    assert back.fingerprint() == first.fingerprint()
    assert back.df["relevance"].iloc[0] == {"d1": 2.0, "d3": 1.0}
    assert back.df["retrieved_ids"].iloc[0] == ["d1", "d2"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_atomic_write_keeps_previous_file_on_failure(tmp_path):
    from evalnb.io.writers import atomic_path

    target = write(tmp_path / "report.txt", "previous")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash between write and rename")
    assert target.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]


def test_fingerprint_ignores_row_order_and_source(tmp_path):
    a = pd.DataFrame({"model": ["m", "m"], "item_id": ["1", "2"], "output": ["x", "y"]})
    b = a.iloc[::-1]
    assert evalnb.load_runs(a).fingerprint() == evalnb.load_runs(b).fingerprint()
    c = a.assign(output=["x", "z"])
    assert evalnb.load_runs(c).fingerprint() != evalnb.load_runs(a).fingerprint()


# -- formats, globs, sources ---------------------------------------------------------------------
def test_several_files_glob_and_frames_keep_source(tmp_path):
    write(tmp_path / "a.jsonl", jsonl({"model": "a", "item_id": "1", "output": "x"}))
    write(tmp_path / "b.csv", "model,item_id,output,references,relevance\nb,1,y,\"[\"\"r1\"\",\"\"r2\"\"]\",\"{\"\"d1\"\": 3}\"\n")
    frame = pd.DataFrame({"model": ["c"], "item_id": [7], "output": ["z"]})
    runs = evalnb.load_runs([str(tmp_path / "*.jsonl"), tmp_path / "b.csv", frame])
    assert runs.df["model"].tolist() == ["a", "b", "c"]
    assert [Path(s).name for s in runs.df["source_file"]] == ["a.jsonl", "b.csv", "<frame 2>"]
    assert runs.df.loc[1, "references"] == ["r1", "r2"] and runs.df.loc[1, "relevance"] == {"d1": 3.0}
    assert runs.df.loc[2, "item_id"] == "7"
    assert runs.df["run_id"].tolist() == ["a", "b", "c"]  # defaults to the model


def test_extra_columns_are_kept_and_numeric(tmp_path):
    runs = evalnb.load_runs(write(tmp_path / "x.csv", "model,item_id,output,human_rating,notes\nm,1,x,4.5,fine\nm,2,y,,\n"))
    assert runs.df["human_rating"].tolist()[0] == 4.5 and pd.isna(runs.df["human_rating"].tolist()[1])
    assert runs.df["notes"].iloc[0] == "fine" and pd.isna(runs.df["notes"].iloc[1])


def test_missing_file_and_empty_glob_are_clear(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        evalnb.load_runs(tmp_path / "nope.jsonl")
    with pytest.raises(DataError, match="matches no file"):
        evalnb.load_runs(str(tmp_path / "*.jsonl"))
    with pytest.raises(DataError, match="unknown file type"):
        evalnb.load_runs(write(tmp_path / "x.txt", "hi"))


def test_task_requirements_are_checked(tmp_path):
    path = write(tmp_path / "t.jsonl", jsonl({"model": "m", "item_id": "1", "task": "classification", "output": "x", "label": "a"},
                                             {"model": "m", "item_id": "2", "task": "rag", "output": "x", "retrieved_ids": ["d"]}))
    runs = evalnb.load_runs(path, strict=False)
    assert runs.errors[["line", "field"]].values.tolist() == [[1, "prediction"], [2, "relevance"]]


def test_cli_validate(tmp_path, capsys):
    from evalnb.cli import main

    good = write(tmp_path / "g.jsonl", jsonl({"model": "m", "item_id": "1", "output": "x"}))
    bad = write(tmp_path / "b.jsonl", '{"model":"m","item_id":"1","output":NaN}\n')
    assert main(["validate", str(good)]) == 0
    assert main(["validate", str(bad)]) == 2
    assert "b.jsonl" in capsys.readouterr().out

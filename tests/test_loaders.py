"""Loading eval runs and KPI logs: threat-model (docs/threat-model.md) cases D01-D05 and D12, formats, joins."""
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


# -- issue 11: columnar loading gives the same rows and errors as the row-wise reader ---------------
def _rows(n: int) -> list[dict]:
    return [{"model": f"m{i % 3}", "item_id": f"it-{i}" if i % 4 else i, "task": "qa", "output": f"answer {i}",
             "reference": "ref", "latency_ms": 10.0 + i, "cost_usd": 0.001 * i,
             "timestamp": f"2026-05-01T10:{i % 60:02d}:00Z", "judge_score": float(i % 5),
             **({"prompt_tokens": i} if i % 3 else {})} for i in range(n)]


def _oracle(rows: list[dict], lines: list[int], file: str) -> pd.DataFrame:
    """What the frame must hold, derived by hand from the rows (not from evalnb)."""
    frame = pd.DataFrame({
        "run_id": [r["model"] for r in rows], "model": [r["model"] for r in rows],
        "item_id": [str(r["item_id"]) for r in rows], "task": [r["task"] for r in rows],
        "output": [r["output"] for r in rows], "reference": [r["reference"] for r in rows],
        "latency_ms": [r["latency_ms"] for r in rows],
        "prompt_tokens": pd.array([r.get("prompt_tokens") for r in rows], dtype="Int64"),
        "cost_usd": [r["cost_usd"] for r in rows],
        "timestamp": pd.to_datetime([r["timestamp"] for r in rows], utc=True).astype("datetime64[us, UTC]"),
        "judge_score": [r["judge_score"] for r in rows],
        "source_file": file, "source_line": lines})
    return frame


def test_columnar_blocks_match_hand_built_frame_across_block_edges(tmp_path, monkeypatch):
    from evalnb.io import readers

    monkeypatch.setattr(readers, "CHUNK_BYTES", 700)  # many blocks, so block edges and line numbers are exercised
    rows = _rows(60)
    text, lines, line = "", [], 1
    for i, r in enumerate(rows):
        if i % 7 == 3:  # blank and whitespace-only lines keep their line numbers
            text += "\n   \r\n"
            line += 2
        text += json.dumps(r) + "\n"
        lines.append(line)
        line += 1
    path = write(tmp_path / "r.jsonl", text)
    got = evalnb.load_runs(path).df
    want = _oracle(rows, lines, str(path))
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)
    assert str(got["prompt_tokens"].dtype) == "Int64" and str(got["model"].dtype) == "str"


def test_bad_lines_in_some_blocks_are_named_as_before(tmp_path, monkeypatch):
    from evalnb.io import readers

    monkeypatch.setattr(readers, "CHUNK_BYTES", 600)
    rows = [json.dumps(r) for r in _rows(40)]
    rows[12] = '{"model":"m","item_id":"x12","output":"o","latency_ms":NaN}'
    rows[25] = '{"model":"m","item_id":"x25","output":5}'
    rows[33] = '{"model":"m","item_id":"x33","output":"o","latency_ms":-1}'
    path = write(tmp_path / "b.jsonl", "\n".join(rows) + "\n")
    runs = evalnb.load_runs(path, strict=False)
    assert runs.errors["line"].tolist() == [13, 26, 34]
    assert pd.isna(runs.errors["field"].iloc[0]) and runs.errors["field"].tolist()[1:] == ["output", "latency_ms"]
    assert "non-standard JSON literal NaN" in runs.errors["problem"].iloc[0]
    assert runs.errors["problem"].iloc[1] == "expected a string, got int 5"
    assert runs.errors["problem"].iloc[2] == "expected a non-negative number, got -1"
    assert len(runs.df) == 37 and runs.df["source_line"].tolist() == [i + 1 for i in range(40) if i not in (12, 25, 33)]


def test_json_objects_in_cells_keep_missing_vs_null(tmp_path):
    path = write(tmp_path / "o.jsonl", jsonl({"model": "m", "item_id": "1", "output": "x", "meta": {"a": 1}},
                                             {"model": "m", "item_id": "2", "output": "y", "meta": {"b": None}},
                                             {"model": "m", "item_id": "3", "output": "z", "task": "rag",
                                              "retrieved_ids": ["d1"], "relevance": {"d1": None}}))
    runs = evalnb.load_runs(path, strict=False)
    assert runs.df["meta"].tolist() == [{"a": 1}, {"b": None}]
    assert set(runs.errors["line"]) == {3} and runs.errors["field"].iloc[0] == "relevance"
    assert "relevance grade for 'd1' must be a finite number, got None" in runs.errors["problem"].iloc[0]


def test_csv_columnar_and_multiline_cells_keep_csv_line_numbers(tmp_path):
    simple = write(tmp_path / "s.csv", 'model,item_id,output,latency_ms,rating\nm,1,"a, b",12,4.5\n\nm,2,c,,\nm,3,d,x,2\n')
    runs = evalnb.load_runs(simple, strict=False)
    assert runs.df["output"].tolist() == ["a, b", "c"] and runs.df["source_line"].tolist() == [2, 4]
    assert runs.df["latency_ms"].iloc[0] == 12.0 and pd.isna(runs.df["latency_ms"].iloc[1])
    assert runs.errors[["line", "field"]].values.tolist() == [[5, "latency_ms"]]
    multi = write(tmp_path / "m.csv", 'model,item_id,output\nm,1,"line one\nline two"\nm,2,ok\nm,3\n')
    runs = evalnb.load_runs(multi, strict=False)
    assert runs.df["output"].tolist() == ["line one\nline two", "ok"] and runs.df["source_line"].tolist() == [3, 4]
    assert runs.errors[["line", "problem"]].values.tolist() == [[5, "expected 3 fields, found 2"]]


def test_progress_bar_counts_the_bytes_read(tmp_path, monkeypatch):
    from evalnb.io import readers

    seen = {}

    class Bar:
        def __init__(self, total, enabled):
            seen.update(total=total, enabled=enabled, done=0)

        def update(self, n):
            seen["done"] += n

        def close(self):
            seen["closed"] = True

    monkeypatch.setattr(readers, "_progress_bar", Bar)
    monkeypatch.setattr(readers, "CHUNK_BYTES", 500)
    path = write(tmp_path / "p.jsonl", "".join(json.dumps(r) + "\n" for r in _rows(30)))
    evalnb.load_runs(path)
    assert seen == {"total": path.stat().st_size, "enabled": True, "done": path.stat().st_size, "closed": True}
    evalnb.load_runs(path, progress=False)
    assert seen["enabled"] is False


# -- issue 13.16: compressed inputs ---------------------------------------------------------------
def test_gzip_and_zstd_inputs_are_streamed(tmp_path):
    import gzip

    import zstandard

    text = "".join(json.dumps(r) + "\n" for r in _rows(50))
    plain = evalnb.load_runs(write(tmp_path / "r.jsonl", text)).df.drop(columns="source_file")
    (tmp_path / "z").mkdir()
    gz = tmp_path / "z" / "r.jsonl.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    zst = tmp_path / "z" / "s.jsonl.zst"
    zst.write_bytes(zstandard.ZstdCompressor().compress(text.encode()))
    for path in (gz, zst):
        pd.testing.assert_frame_equal(evalnb.load_runs(path).df.drop(columns="source_file"), plain)
    csv_gz = tmp_path / "z" / "r.csv.gz"
    csv_gz.write_bytes(gzip.compress(b"model,item_id,output\nm,1,x\nm,2,y\n"))
    assert evalnb.load_runs(csv_gz).df["output"].tolist() == ["x", "y"]
    from evalnb.io.readers import expand_sources

    assert [p.name for p in expand_sources(tmp_path / "z")] == ["r.csv.gz", "r.jsonl.gz", "s.jsonl.zst"]


def test_corrupt_compressed_file_is_a_data_error(tmp_path):
    path = write(tmp_path / "bad.jsonl.gz", b"\x1f\x8b\x08\x00not really gzip")
    with pytest.raises(DataError, match=r"bad\.jsonl\.gz: cannot decompress \(gzip\)"):
        evalnb.load_runs(path)


# -- issue 13.17: Parquet json_columns that are not JSON ---------------------------------------------
def _parquet_with_json_meta(path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"model": ["m", "m", "m"], "item_id": ["1", "2", "3"], "output": ["a", "b", "c"],
                      "notes": ['["ok"]', "plain text", '{"k": 1}']})
    table = table.replace_schema_metadata({b"evalnb.json_columns": json.dumps(["notes"]).encode()})
    pq.write_table(table, path)
    return path


def test_parquet_json_column_that_is_not_json(tmp_path, capsys):
    from evalnb.cli import main

    path = _parquet_with_json_meta(tmp_path / "r.parquet")
    with pytest.raises(DataError, match=r"r\.parquet:2 field 'notes': the file's metadata lists 'notes' as a JSON column"):
        evalnb.load_runs(path)
    runs = evalnb.load_runs(path, strict=False)
    assert runs.df["item_id"].tolist() == ["1", "3"] and runs.df["notes"].tolist() == [["ok"], {"k": 1}]
    assert runs.errors[["line", "field"]].values.tolist() == [[2, "notes"]]
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err and "notes" in captured.out


# -- issue 13.20 / 16.10: empty files -------------------------------------------------------------------
@pytest.mark.parametrize("name, content", [("e.jsonl", ""), ("w.jsonl", "\n  \n"), ("e.csv", ""),
                                           ("h.csv", "model,item_id,output\n"), ("e.jsonl.gz", None)])
def test_empty_file_is_an_error_naming_it(tmp_path, capsys, name, content):
    import gzip

    from evalnb.cli import main

    path = tmp_path / name
    path.write_bytes(gzip.compress(b"") if content is None else content.encode())
    with pytest.raises(DataError, match=rf"{name.replace('.', '[.]')}: the file is empty"):
        evalnb.load_runs(path)
    assert main(["validate", str(path)]) == 2
    assert "the file is empty" in capsys.readouterr().out
    assert main(["report", str(path), "-o", str(tmp_path / "out.html")]) == 2
    assert "the file is empty" in capsys.readouterr().err
    with pytest.raises(DataError, match="the file is empty"):
        evalnb.load_kpis(path)


# -- issue 13.22: a rating in the reserved `relevance` column ------------------------------------------
def test_relevance_rating_says_reserved_and_how_to_rename(tmp_path, capsys):
    from evalnb.cli import main

    path = write(tmp_path / "summeval.jsonl", jsonl(*[{"model": "m", "item_id": str(i), "output": "x", "relevance": 3.5 + i}
                                                        for i in range(3)]))
    with pytest.raises(DataError) as info:
        evalnb.load_runs(path)
    text = str(info.value)
    assert "`relevance` is the reserved retrieval column" in text and "the float 3.5" in text
    assert "columns={'human_relevance': 'relevance'}" in text
    runs = evalnb.load_runs(path, columns={"human_relevance": "relevance"})
    assert runs.df["human_relevance"].tolist() == [3.5, 4.5, 5.5] and "relevance" not in runs.df
    assert main(["validate", str(path), "--map", "human_relevance=relevance"]) == 0
    csv = write(tmp_path / "s.csv", "model,item_id,output,relevance\nm,1,x,4\nm,2,y,high\n")
    errors = evalnb.load_runs(csv, strict=False).errors
    assert errors["line"].tolist() == [2, 3] and errors["problem"].str.contains("reserved retrieval column").all()


def test_columns_maps_a_user_column_to_a_canonical_one(tmp_path):
    path = write(tmp_path / "g.jsonl", jsonl({"model": "m", "item_id": "1", "task": "qa", "output": "x", "gold": "y",
                                              "reference": "ignored"}))
    runs = evalnb.load_runs(path, columns={"reference": "gold"})
    assert runs.df["reference"].tolist() == ["y"] and "gold" not in runs.df


# -- issue 13.26: Unicode spellings of one id collide ------------------------------------------------
def test_nfc_nfd_and_fullwidth_ids_collide_with_both_spellings_shown(tmp_path):
    nfc, nfd = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
    path = write(tmp_path / "u.jsonl", jsonl({"model": "m", "item_id": nfc, "output": "a"},
                                             {"model": "m", "item_id": nfd, "output": "b"},
                                             {"model": "m", "item_id": "１２", "output": "c"},
                                             {"model": "m", "item_id": 12, "output": "d"},
                                             {"model": "m", "item_id": "13", "output": "e"}))
    runs = evalnb.load_runs(path, strict=False)
    assert runs.df["item_id"].tolist() == ["13"]
    assert runs.errors["line"].tolist() == [1, 2, 3, 4]
    first = runs.errors["problem"].iloc[0]
    assert "'caf\\xe9' (str)" in first and "'cafe\\u0301' (str)" in first and "Unicode normalisation" in first
    third = runs.errors["problem"].iloc[2]
    assert "'\\uff11\\uff12' (str)" in third and "12 (int)" in third
    kept = evalnb.load_runs(write(tmp_path / "k.jsonl", jsonl({"model": "m", "item_id": nfd, "output": "a"}))).df
    assert kept["item_id"].tolist() == [nfd]  # compared after NFKC, stored as written


# -- issue 16.10: nullable token counts, public error classes ------------------------------------------
def test_token_columns_are_nullable_integers(tmp_path):
    path = write(tmp_path / "t.jsonl", jsonl({"model": "m", "item_id": "1", "output": "x", "prompt_tokens": 3, "sample_id": 0},
                                             {"model": "m", "item_id": "2", "output": "y", "completion_tokens": 7}))
    df = evalnb.load_runs(path).df
    assert str(df["prompt_tokens"].dtype) == "Int64" and df["prompt_tokens"].tolist()[0] == 3
    assert pd.isna(df["prompt_tokens"].iloc[1]) and df["completion_tokens"].iloc[1] == 7
    csv = write(tmp_path / "t.csv", "model,item_id,output,prompt_tokens\nm,1,x,4\nm,2,y,\n")
    assert str(evalnb.load_runs(csv).df["prompt_tokens"].dtype) == "Int64"


def test_error_classes_are_public():
    from evalnb import _errors

    for name in ("EvalnbError", "DataError", "SchemaError", "UnknownMetricError", "MetricError", "ConfigError",
                 "SmallSampleWarning", "NotComputableWarning"):
        assert getattr(evalnb, name) is getattr(_errors, name) and name in evalnb.__all__
    with pytest.raises(evalnb.DataError):
        evalnb.load_runs(pd.DataFrame({"model": ["m"], "output": ["x"]}))


# -- issue 11 / 14: the metric registry imports one family at a time, and fails loudly ---------------
def test_building_a_text_metric_imports_no_other_family():
    import subprocess
    import sys

    code = ("import sys, evalnb\n"
            "evalnb.metric('rouge1'); evalnb.metric('exact_match'); evalnb.metric('recall@5')\n"
            "bad = ['openai', 'aiohttp', 'evalnb.metrics.judge', 'evalnb.metrics.semantic', 'evalnb.metrics.code',\n"
            "       'evalnb.metrics.sandbox', 'evalnb.metrics.classification', 'evalnb.metrics.operational']\n"
            "print(','.join(m for m in bad if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == ""


def test_registry_family_table_matches_what_modules_register():
    import subprocess
    import sys

    code = ("import importlib, json\nfrom evalnb.metrics import registry\nout = {}\n"
            "for module in registry.FAMILIES:\n"
            "    before = set(registry._REGISTRY)\n"
            "    importlib.import_module(module)\n"
            "    out[module] = sorted(set(registry._REGISTRY) - before)\n"
            "print(json.dumps(out))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    from evalnb.metrics import registry

    assert json.loads(out.stdout) == {m: sorted(names) for m, names in registry.FAMILIES.items()}


def test_a_family_that_cannot_import_fails_loudly(tmp_path, monkeypatch):
    import sys

    from evalnb.metrics import registry

    (tmp_path / "broken_family.py").write_text("import a_dependency_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(registry.FAMILIES, "broken_family", ("broken_metric",))
    with pytest.raises(evalnb.MetricError, match=r"family module 'broken_family' could not be imported .*"
                                                 r"a_dependency_that_is_not_installed.*broken_metric"):
        evalnb.metric("broken_metric")
    with pytest.raises(evalnb.MetricError, match="broken_family"):
        evalnb.list_metrics()
    sys.modules.pop("broken_family", None)


def test_a_family_module_that_does_not_exist_fails_loudly(monkeypatch):
    """A family entry pointing at a module that is not there (a renamed or deleted file) is an error
    naming the module and the import error, not a metric that silently disappears."""
    from evalnb.metrics import registry

    monkeypatch.setitem(registry.FAMILIES, "evalnb.metrics.no_such_family", ("ghost_metric",))
    with pytest.raises(evalnb.MetricError, match=r"family module 'evalnb\.metrics\.no_such_family' could not be "
                                                 r"imported \(ModuleNotFoundError: No module named "
                                                 r"'evalnb\.metrics\.no_such_family'\).*ghost_metric"):
        evalnb.metric("ghost_metric")
    with pytest.raises(evalnb.MetricError, match="no_such_family"):
        evalnb.list_metrics()
    assert "evalnb.metrics.no_such_family" not in registry._imported


def test_a_dataframe_loads_column_wise_with_the_files_values_and_errors(tmp_path):
    """load_runs(DataFrame) goes through the arrow kernels (it was a Python loop per field: 16 s for
    200k rows, benchmarks/bench_load_frame.py). Oracle: the same rows written as a JSON Lines file
    and loaded from it (the file reader), values and problems alike, including a categorical model
    column, missing values, references lists, an integer id, a mixed-type extra column, a negative
    latency and a lone surrogate."""
    rows = _rows(60)
    for i, r in enumerate(rows):
        r["references"] = [f"ref {i}", "other"]
        r["mixed"] = i if i % 2 else f"s{i}"
        if i % 7 == 0:
            r["latency_ms"] = None
    rows[5]["latency_ms"] = -1.0
    rows[9]["output"] = "bad \ud800 text"
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    frame = pd.DataFrame(rows, dtype=object)          # pandas' str dtype cannot hold a lone surrogate
    frame["model"] = frame["model"].astype("category")
    frame["cost_usd"] = frame["cost_usd"].astype(float)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    from_frame = evalnb.load_runs(frame, strict=False)
    from_file = evalnb.load_runs(path, strict=False)
    drop = ["source_file", "source_line"]
    pd.testing.assert_frame_equal(from_frame.df.drop(columns=drop), from_file.df.drop(columns=drop),
                                  check_dtype=False, check_categorical=False)
    assert from_frame.df["source_line"].tolist() == from_file.df["source_line"].tolist()
    problems = lambda runs: runs.errors[["line", "field", "problem"]].values.tolist()  # noqa: E731
    assert problems(from_frame) == problems(from_file)
    assert [p[:2] for p in problems(from_frame)] == [[6, "latency_ms"], [10, "output"]]

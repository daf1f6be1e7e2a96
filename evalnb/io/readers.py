"""Strict readers for JSON Lines, CSV and Parquet.

They return plain records (dicts) with the file and line each came from, plus a list of problems.
Nothing is coerced here beyond what the format itself says; validation happens in ``validate``.
"""
from __future__ import annotations

import csv
import glob
import io
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd

from .._errors import DataError

SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet",
            ".eval": "inspect"}
JSON_COLUMNS_META = b"evalnb.json_columns"


@dataclass
class RawTable:
    """Records read from one source, each with ``source_file`` and ``source_line``."""

    source: str
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)


def problem(file: str, line: int | None, fld: str | None, what: str, **extra: Any) -> dict[str, Any]:
    return {"file": file, "line": line, "field": fld, "problem": what, **extra}


def expand_sources(sources: Any) -> list[Any]:
    """Turn paths, globs, directories and frames into a flat list of paths and frames."""
    if isinstance(sources, (str, os.PathLike, pd.DataFrame)) or hasattr(sources, "df"):
        sources = [sources]
    out: list[Any] = []
    for src in sources:
        if isinstance(src, pd.DataFrame) or hasattr(src, "df"):
            out.append(src)
            continue
        text = os.fspath(src)
        path = Path(text)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES)
            if not found:
                raise DataError(f"{text}: directory holds no .jsonl, .csv or .parquet files")
            out.extend(found)
        elif any(ch in text for ch in "*?["):
            found = sorted(Path(p) for p in glob.glob(text, recursive=True))
            if not found:
                raise DataError(f"{text}: the pattern matches no file")
            out.extend(found)
        else:
            if not path.exists():
                raise DataError(f"{text}: no such file")
            out.append(path)
    return out


def detect_format(path: Path, fmt: str | None = None) -> str:
    """``fmt`` if given, else the importer a foreign log needs (see ``io/importers``), else the suffix."""
    from .importers import canonical_name, sniff

    if fmt:
        return canonical_name(fmt) or fmt
    name = path.name.lower()
    for suffix in (".gz",):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    ext = os.path.splitext(name)[1]
    if ext not in SUFFIXES:
        raise DataError(f"{path}: unknown file type '{ext}'; use .jsonl, .csv or .parquet, or pass format=")
    return sniff(path) or SUFFIXES[ext]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON literal {name} (NaN/Infinity are not allowed; use null)")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key '{key}'")
        out[key] = value
    return out


def loads_strict(text: str) -> Any:
    """``json.loads`` that rejects NaN/Infinity literals and duplicate keys."""
    return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    return False


def _check_surrogates(table: RawTable, record: dict[str, Any], line: int) -> bool:
    bad = [k for k, v in record.items() if _has_lone_surrogate(v)]
    for key in bad:
        table.problems.append(problem(table.source, line, key, "lone surrogate in text (invalid Unicode)"))
    return not bad


def read_jsonl(path: Path) -> RawTable:
    table = RawTable(str(path))
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    offset = 0
    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        start = offset
        offset += len(raw) + 1
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            table.problems.append(problem(table.source, lineno, None, f"invalid UTF-8 at byte {start + exc.start}", byte_offset=start + exc.start))
            continue
        try:
            record = loads_strict(text)
        except ValueError as exc:
            table.problems.append(problem(table.source, lineno, None, f"invalid JSON: {exc}", byte_offset=start))
            continue
        if not isinstance(record, dict):
            table.problems.append(problem(table.source, lineno, None, f"expected a JSON object, got {type(record).__name__}", byte_offset=start))
            continue
        if _check_surrogates(table, record, lineno):
            record["source_file"], record["source_line"] = table.source, lineno
            table.records.append(record)
    return table


def read_json(path: Path) -> RawTable:
    """A JSON file holding a list of objects (or {"rows": [...]})."""
    table = RawTable(str(path))
    try:
        data = loads_strict(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        table.problems.append(problem(table.source, None, None, f"invalid JSON: {exc}"))
        return table
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        table.problems.append(problem(table.source, None, None, "expected a list of objects (or an object with 'rows')"))
        return table
    for index, record in enumerate(rows, start=1):
        if not isinstance(record, dict):
            table.problems.append(problem(table.source, index, None, f"row {index} is not an object"))
        elif _check_surrogates(table, record, index):
            record["source_file"], record["source_line"] = table.source, index
            table.records.append(record)
    return table


def read_csv(path: Path) -> RawTable:
    """CSV where every cell stays a string: "None", "NA", "null" and "" are answers, not missing."""
    table = RawTable(str(path))
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        table.problems.append(problem(table.source, None, None, f"invalid UTF-8 at byte {exc.start}", byte_offset=exc.start))
        return table
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return table
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        table.problems.append(problem(table.source, 1, ",".join(dupes), "duplicate column names in the header"))
        return table
    for row in reader:
        lineno = reader.line_num
        if not row or all(not cell.strip() for cell in row) and len(row) <= 1:
            continue
        if len(row) != len(header):
            table.problems.append(problem(table.source, lineno, None, f"expected {len(header)} fields, found {len(row)}"))
            continue
        record: dict[str, Any] = dict(zip(header, row))
        record["_from_text"] = True
        if _check_surrogates(table, record, lineno):
            record["source_file"], record["source_line"] = table.source, lineno
            table.records.append(record)
    return table


def read_parquet(path: Path) -> RawTable:
    import pyarrow.parquet as pq

    table = RawTable(str(path))
    try:
        arrow = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        table.problems.append(problem(table.source, None, None, f"cannot read Parquet: {exc}"))
        return table
    meta = arrow.schema.metadata or {}
    json_columns = set(json.loads(meta[JSON_COLUMNS_META])) if JSON_COLUMNS_META in meta else set()
    for index, record in enumerate(arrow.to_pylist(), start=1):
        for key in json_columns:
            if isinstance(record.get(key), str):
                record[key] = loads_strict(record[key])
        for key, value in list(record.items()):
            if isinstance(value, float) and math.isnan(value):
                record[key] = None
            elif hasattr(value, "isoformat") and key == "timestamp":
                record[key] = value.isoformat()
        record.pop("source_file", None), record.pop("source_line", None)
        record["source_file"], record["source_line"] = table.source, index
        table.records.append(record)
    return table


READERS = {"jsonl": read_jsonl, "json": read_json, "csv": read_csv, "parquet": read_parquet}


def read_frame(frame: pd.DataFrame, name: str) -> RawTable:
    table = RawTable(name)
    for index, record in enumerate(frame.to_dict(orient="records"), start=1):
        clean = {}
        for key, value in record.items():
            if isinstance(value, float) and math.isnan(value):
                value = None
            elif value is pd.NA or value is pd.NaT:
                value = None
            elif hasattr(value, "tolist") and not isinstance(value, str):
                value = value.tolist()
            clean[str(key)] = value
        if _check_surrogates(table, clean, index):
            clean.setdefault("source_file", name)
            clean.setdefault("source_line", index)
            table.records.append(clean)
    return table


def read_sources(sources: Any, fmt: str | None = None, allow_incomplete: bool = False) -> Iterator[RawTable]:
    from . import importers

    for number, src in enumerate(expand_sources(sources)):
        if hasattr(src, "df") and not isinstance(src, pd.DataFrame):
            src = src.df
        if isinstance(src, pd.DataFrame):
            yield read_frame(src, f"<frame {number}>")
            continue
        name = detect_format(src, fmt)
        if name in importers.FORMATS:
            yield importers.read(name, src, allow_incomplete=allow_incomplete)
        elif name in READERS:
            yield READERS[name](src)
        else:
            raise DataError(f"{src}: unknown format '{name}'; use jsonl, csv, json, parquet or one of "
                            f"{', '.join(importers.FORMATS)}")


def iter_records(tables: Iterable[RawTable]) -> Iterator[dict[str, Any]]:
    for table in tables:
        yield from table.records

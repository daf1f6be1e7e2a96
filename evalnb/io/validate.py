"""Turn raw records into a validated, typed eval-run or KPI frame, or a precise problem list."""
from __future__ import annotations

import json
import math
from typing import Any, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import _columns
from .readers import Chunk, RawTable, loads_strict, problem, records_chunk
from .schema import KPI_KEY_COLUMNS, KPI_META_COLUMNS, RUN_COLUMNS, TASK_REQUIREMENTS

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class _Bad(Exception):
    pass


def _from_text(record: dict[str, Any]) -> bool:
    return bool(record.get("_from_text"))


def _blank(value: Any) -> bool:
    return value is None


def _as_text(value: Any, text_source: bool) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    raise _Bad(f"expected a string, got {type(value).__name__} {value!r:.40}")


def _as_id(value: Any, text_source: bool) -> str | None:
    if value is None or (text_source and value == ""):
        return None
    if isinstance(value, bool):
        raise _Bad("expected a string or integer id, got a boolean")
    if isinstance(value, (str, int)):
        return str(value)
    raise _Bad(f"expected a string or integer id, got {type(value).__name__}")


def _as_label(value: Any, text_source: bool) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (str, int)):
        return str(value)
    raise _Bad(f"expected a class label (string or integer), got {type(value).__name__}")


def _as_number(value: Any, text_source: bool, integer: bool) -> float | int | None:
    if value is None or (text_source and isinstance(value, str) and value.strip() == ""):
        return None
    if isinstance(value, bool):
        raise _Bad("expected a number, got a boolean")
    if isinstance(value, str):
        if not text_source:
            raise _Bad(f"expected a number, got the string {value!r:.40}")
        try:
            value = float(value) if not integer else (int(value) if value.strip().lstrip("-").isdigit() else float(value))
        except ValueError:
            raise _Bad(f"expected a number, got {value!r:.40}") from None
    if not isinstance(value, (int, float)):
        raise _Bad(f"expected a number, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _Bad(f"expected a finite number, got {value}")
    if value < 0:
        raise _Bad(f"expected a non-negative number, got {value}")
    if integer:
        if isinstance(value, float) and not value.is_integer():
            raise _Bad(f"expected an integer, got {value}")
        return int(value)
    return float(value)


def _decode_text_json(value: Any, text_source: bool) -> Any:
    if text_source and isinstance(value, str):
        if value.strip() == "":
            return None
        try:
            return loads_strict(value)
        except ValueError as exc:
            raise _Bad(f"expected a JSON list in this CSV cell: {exc}") from None
    return value


def _as_text_list(value: Any, text_source: bool, ids: bool = False) -> list[str] | None:
    value = _decode_text_json(value, text_source)
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        raise _Bad(f"expected a list of {'ids' if ids else 'strings'}, got {type(value).__name__}")
    out = []
    for i, v in enumerate(value):
        if ids and isinstance(v, int) and not isinstance(v, bool):
            v = str(v)
        if not isinstance(v, str):
            raise _Bad(f"element {i} should be a string, got {type(v).__name__}")
        out.append(v)
    return out


def _as_relevance(value: Any, text_source: bool) -> dict[str, float] | None:
    try:
        value = _decode_text_json(value, text_source)
    except _Bad:  # plain text in a CSV cell ("high"): most likely a rating, not retrieval labels
        raise _Bad(RELEVANCE_HINT.format(what=f"the text {value!r:.40}")) from None
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return {str(v): 1.0 for v in _as_text_list(list(value), False, ids=True) or []}
    if isinstance(value, dict):
        out = {}
        for key, grade in value.items():
            if isinstance(grade, bool) or not isinstance(grade, (int, float)) or not math.isfinite(grade):
                raise _Bad(f"relevance grade for {key!r} must be a finite number, got {grade!r}")
            out[str(key)] = float(grade)
        return out
    if isinstance(value, (int, float, str)):
        raise _Bad(RELEVANCE_HINT.format(what=f"the {type(value).__name__} {value!r:.40}"))
    raise _Bad(f"expected relevant ids (list) or a mapping id -> grade, got {type(value).__name__}")


def _as_timestamp(value: Any, text_source: bool) -> pd.Timestamp | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise _Bad(f"expected an ISO 8601 timestamp, got {value!r:.40}") from None
    if pd.isna(stamp):
        raise _Bad("timestamp is NaT")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _convert(kind: str, value: Any, text_source: bool) -> Any:
    if kind == "text":
        return _as_text(value, text_source)
    if kind == "id":
        return _as_id(value, text_source)
    if kind == "label":
        return _as_label(value, text_source)
    if kind in ("int", "float"):
        return _as_number(value, text_source, integer=kind == "int")
    if kind == "text_list":
        return _as_text_list(value, text_source)
    if kind == "id_list":
        return _as_text_list(value, text_source, ids=True)
    if kind == "relevance":
        return _as_relevance(value, text_source)
    if kind == "timestamp":
        return _as_timestamp(value, text_source)
    raise ValueError(kind)


def _extra(value: Any, text_source: bool) -> Any:
    """Extra columns are kept; numbers in CSV become floats so ratings stay numeric."""
    if text_source and isinstance(value, str):
        stripped = value.strip()
        if stripped == "":
            return None
        try:
            number = float(stripped)
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    if isinstance(value, float) and not math.isfinite(value):
        raise _Bad(f"non-finite number {value}")
    return value


RELEVANCE_HINT = ("`relevance` is the reserved retrieval column (the relevant document ids: a list, or a mapping "
                  "id -> grade), but this row holds {what}. If the column is a rating (such as SummEval's), "
                  "load it under another name: load_runs(..., columns={{'human_relevance': 'relevance'}}) "
                  "(CLI: evalnb validate --map human_relevance=relevance)")

# Column kind -> vectorised converter in ``_columns``.
_VECTOR = {
    "text": _columns.text_column,
    "id": _columns.id_column,
    "label": lambda col, n, ts, conv, err: _columns.id_column(col, n, ts, conv, err, label=True),
    "int": lambda col, n, ts, conv, err: _columns.number_column(col, n, ts, conv, err, integer=True),
    "float": lambda col, n, ts, conv, err: _columns.number_column(col, n, ts, conv, err, integer=False),
    "text_list": lambda col, n, ts, conv, err: _columns.list_column(col, n, ts, conv, err, ids=False),
    "id_list": lambda col, n, ts, conv, err: _columns.list_column(col, n, ts, conv, err, ids=True),
    "relevance": _columns.object_column,
    "timestamp": _columns.timestamp_column,
    "extra": _columns.extra_column,
    "kpi": _columns.kpi_column,
}
_DTYPES = {"text": "str", "id": "str", "label": "str", "int": "Int64", "float": "float64",
           "timestamp": _columns.TIMESTAMP_DTYPE, "kpi": "float64"}
_HELPERS = ("__src", "__id_int")


def _run_kind(name: str) -> tuple[str, Any]:
    column = RUN_COLUMNS.get(name)
    if column is None:
        return "extra", _extra
    return column.kind, lambda value, ts, kind=column.kind: _convert(kind, value, ts)


def _kpi_kind(name: str) -> tuple[str, Any]:
    if name in ("request_id", "item_id"):
        return "id", _as_id
    if name in ("model", "run_id"):
        return "text", _as_text
    if name == "timestamp":
        return "timestamp", _as_timestamp
    return "kpi", _kpi_value


class _Problems:
    """Problems of one validation, sorted at the end by source (in reading order) and line."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.order: dict[str, int] = {}

    def add(self, item: dict[str, Any]) -> None:
        self.order.setdefault(item["file"], len(self.order))
        self.items.append(item)

    def sorted(self) -> list[dict[str, Any]]:
        return sorted(self.items, key=lambda p: (self.order.get(p["file"], 0), p["line"] if isinstance(p["line"], int) else 0))


def _validate_chunk(chunk: Chunk, kind: str, problems: _Problems, src_index: int) -> pd.DataFrame:
    """One chunk's good rows as a typed frame; every problem goes to ``problems``."""
    for p in chunk.problems:
        problems.add(p)
    n = len(chunk)
    if n == 0:
        return pd.DataFrame()
    files = chunk.files
    lines = chunk.lines

    def where(i: int) -> tuple[str, Any]:
        line = lines[i]
        return (files[i] if files is not None else chunk.source), (int(line) if isinstance(line, (int, np.integer)) else line)

    bad = np.zeros(n, dtype=bool)
    bad[chunk.bad_rows] = True
    rejected = bad.copy()   # rows the reader already rejected: no second message about their fields
    series: dict[str, pd.Series] = {}
    found: list[tuple[int, int, dict[str, Any]]] = []
    for order, (name, col) in enumerate(chunk.columns.items()):
        col_kind, scalar = (_run_kind if kind == "runs" else _kpi_kind)(name)
        values, errors = _VECTOR[col_kind](col, n, chunk.text_source, scalar, _Bad)
        for i, message in errors:
            file, line = where(i)
            found.append((i, order, problem(file, line, name, message)))
            bad[i] = True
        series[name] = values.reset_index(drop=True)
    frame = pd.DataFrame(series, index=pd.RangeIndex(n)) if series else pd.DataFrame(index=pd.RangeIndex(n))
    late = len(series)

    def flag(mask: np.ndarray, fld: str, message: str) -> None:
        for i in np.flatnonzero(mask & ~rejected):
            file, line = where(int(i))
            found.append((int(i), late, problem(file, line, fld, message)))
            bad[i] = True

    def missing(name: str) -> np.ndarray:
        return frame[name].isna().to_numpy() if name in frame else np.ones(n, dtype=bool)

    if kind == "runs":
        for column in RUN_COLUMNS.values():
            if column.required:
                flag(missing(column.name), column.name, "required field is missing or null")
        if "model" in frame:
            frame["run_id"] = frame["run_id"].fillna(frame["model"]) if "run_id" in frame else frame["model"]
        if "task" in frame:
            tasks = frame["task"]
            for task, groups in TASK_REQUIREMENTS.items():
                on_task = (tasks == task).fillna(False).to_numpy(dtype=bool)
                if not on_task.any():
                    continue
                for one_of in groups:
                    absent = np.logical_and.reduce([missing(f) for f in one_of])
                    flag(on_task & absent, "/".join(one_of), f"task '{task}' needs this field")
        raw = chunk.columns.get("item_id")
        if raw is not None:
            if _columns.is_arrow(raw):
                frame["__id_int"] = pa.types.is_integer(raw.type)
            else:
                frame["__id_int"] = [isinstance(v, int) and not isinstance(v, bool) for v in raw]
    else:
        flag(missing("request_id") & missing("item_id"), "request_id/item_id", "a KPI row needs request_id or item_id")
    for _, _, item in sorted(found, key=lambda f: (f[0], f[1])):
        problems.add(item)
    frame["source_file"] = pd.Series(files if files is not None else [chunk.source] * n, dtype="str") \
        if files is not None else _columns.constant_strings(chunk.source, n)
    frame["source_line"] = lines
    frame["__src"] = src_index
    return frame[~bad].reset_index(drop=True) if bad.any() else frame


def _combine(frames: list[pd.DataFrame], kinds: Any) -> pd.DataFrame:
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    for name in frame.columns:
        if name in _HELPERS or name in ("source_file", "source_line"):
            continue
        dtype = _DTYPES.get(kinds(name)[0])
        if dtype is not None and str(frame[name].dtype) != dtype:
            frame[name] = frame[name].astype(dtype)
        elif kinds(name)[0] in ("text_list", "id_list", "relevance"):
            # a missing value is NaN, as in a frame built from records that lack the key
            frame[name] = frame[name].astype(object).where(frame[name].notna(), np.nan)
    if frame["source_file"].dtype != "str":
        frame["source_file"] = frame["source_file"].astype("str")
    frame["source_line"] = frame["source_line"].astype(np.int64) if frame["source_line"].dtype != object else frame["source_line"]
    return frame


def validate_chunks(chunks: Iterable[Chunk], kind: str = "runs") -> tuple[pd.DataFrame, list[dict[str, Any]], list[Any]]:
    """Validate a stream of chunks column-wise: (good rows, every problem, importer notes).

    ``kind`` is ``"runs"`` or ``"kpis"``. Each chunk is converted and checked as it arrives, so
    memory holds the typed rows and one chunk at a time.
    """
    problems = _Problems()
    frames: list[pd.DataFrame] = []
    notes: list[Any] = []
    for index, chunk in enumerate(chunks):
        notes.extend(chunk.notes)
        frames.append(_validate_chunk(chunk, kind, problems, index))
    frame = _combine(frames, _run_kind if kind == "runs" else _kpi_kind)
    del frames
    if len(frame):
        dupes = _duplicate_ids(frame, problems) if kind == "runs" else _duplicate_requests(frame, problems)
        if dupes.any():
            frame = frame[~dupes].reset_index(drop=True)
    frame = frame.drop(columns=[c for c in _HELPERS if c in frame.columns])
    canonical = list(RUN_COLUMNS) if kind == "runs" else list(KPI_META_COLUMNS)
    return _order_columns(frame, canonical), problems.sorted(), notes


def validate_runs(tables: list[RawTable]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Validate records of eval runs. Returns the good rows and every problem found."""
    frame, problems, _ = validate_chunks((records_chunk(t) for t in tables), "runs")
    return frame, problems


def validate_kpis(tables: list[RawTable]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Validate a KPI log: a key column, an optional timestamp, and numeric KPI columns."""
    frame, problems, _ = validate_chunks((records_chunk(t) for t in tables), "kpis")
    return frame, problems


def _id_key(ids: pd.Series) -> pd.Series:
    """The comparison key of item ids: NFKC-normalised, surrounding whitespace removed.

    NFKC makes NFC and NFD spellings ("é" vs "e" + U+0301) and fullwidth digits ("１" vs "1") equal.
    """
    arrow = pa.array(ids.astype("str").array, type=pa.large_string())
    arrow = arrow if isinstance(arrow, pa.ChunkedArray) else pa.chunked_array([arrow])
    key = pc.utf8_trim_whitespace(pc.utf8_normalize(arrow, "NFKC"))
    return pd.Series(pd.arrays.ArrowStringArray(key), index=ids.index).astype("str")


def _duplicate_ids(frame: pd.DataFrame, problems: _Problems) -> np.ndarray:
    """(run_id, item_id[, sample_id]) must be unique; `1`, `"1"`, `" 1"`, NFC/NFD and fullwidth spellings collide."""
    keys = pd.DataFrame({"run": frame["run_id"], "item": _id_key(frame["item_id"])})
    if "sample_id" in frame:
        keys["sample"] = frame["sample_id"]
    dupes = keys.duplicated(keep=False).to_numpy()
    if not dupes.any():
        return dupes
    rows = np.flatnonzero(dupes)
    sub = keys.iloc[rows]
    for _, group in sub.groupby(list(sub.columns), sort=False, dropna=False).groups.items():
        members = [int(i) for i in group]
        raws = []
        for i in members:
            raw_text = frame["item_id"].iat[i]
            raw = int(raw_text) if bool(frame["__id_int"].iat[i]) else raw_text
            raws.append(raw)
        spellings = {r if isinstance(r, str) else str(r) for r in raws}
        unicode_only = len({s.strip() for s in spellings}) > 1
        shown = ", ".join(f"{ascii(r) if unicode_only and isinstance(r, str) else repr(r)} ({type(r).__name__}) "
                          f"at {frame['source_file'].iat[i]}:{frame['source_line'].iat[i]}" for r, i in zip(raws, members))
        how = " (the spellings differ only in Unicode normalisation: compared after NFKC)" if unicode_only else ""
        item_id = keys["item"].iat[members[0]]
        run_id = keys["run"].iat[members[0]]
        for i in members:
            problems.add(problem(frame["source_file"].iat[i], int(frame["source_line"].iat[i]), "item_id",
                                 f"duplicate item id {item_id!r} in run {run_id!r}{how}: {shown}"))
    return dupes


def _duplicate_requests(frame: pd.DataFrame, problems: _Problems) -> np.ndarray:
    if "request_id" not in frame:
        return np.zeros(len(frame), dtype=bool)
    rid = frame["request_id"]
    later = (rid.duplicated(keep="first") & rid.notna()).to_numpy()
    if later.any():
        first = {}
        for i in np.flatnonzero(rid.notna().to_numpy() & rid.duplicated(keep=False).to_numpy()):
            value = rid.iat[i]
            if value not in first:
                first[value] = (frame["source_file"].iat[i], int(frame["source_line"].iat[i]))
                continue
            f, l = first[value]
            problems.add(problem(frame["source_file"].iat[i], int(frame["source_line"].iat[i]), "request_id",
                                 f"duplicate request_id {value!r} (first at {f}:{l})"))
    return later


def _order_columns(frame: pd.DataFrame, canonical: list[str]) -> pd.DataFrame:
    if frame.empty and not len(frame.columns):
        return frame
    first = [c for c in canonical if c in frame.columns]
    rest = [c for c in frame.columns if c not in first and c not in ("source_file", "source_line")]
    tail = [c for c in ("source_file", "source_line") if c in frame.columns]
    return frame[first + rest + tail].reset_index(drop=True)


def _kpi_value(value: Any, text_source: bool) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low == "":
            return None
        if low in _TRUE:
            return 1.0
        if low in _FALSE:
            return 0.0
        try:
            number = float(low)
        except ValueError:
            raise _Bad(f"KPI values must be numeric or true/false, got {value!r:.40}") from None
        value = number
    if not isinstance(value, (int, float)):
        raise _Bad(f"KPI values must be numeric, got {type(value).__name__}")
    if not math.isfinite(value):
        raise _Bad(f"KPI values must be finite, got {value}")
    return float(value)


def problems_frame(problems: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["file", "line", "field", "problem"]
    frame = pd.DataFrame(problems)
    if frame.empty:
        return pd.DataFrame(columns=cols)
    extra = [c for c in frame.columns if c not in cols]
    return frame[cols + extra]


def format_problems(problems: list[dict[str, Any]], limit: int = 10) -> str:
    lines = []
    for p in problems[:limit]:
        where = p["file"] + (f":{p['line']}" if p.get("line") is not None else "")
        fld = f" field '{p['field']}'" if p.get("field") else ""
        lines.append(f"  {where}{fld}: {p['problem']}")
    more = f"\n  ... and {len(problems) - limit} more" if len(problems) > limit else ""
    return "\n".join(lines) + more


def json_default(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    raise TypeError(type(value).__name__)


__all__ = ["validate_runs", "validate_kpis", "problems_frame", "format_problems", "json"]

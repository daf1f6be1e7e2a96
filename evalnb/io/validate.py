"""Turn raw records into a validated, typed eval-run or KPI frame, or a precise problem list."""
from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import Any

import pandas as pd

from .readers import RawTable, loads_strict, problem
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
    value = _decode_text_json(value, text_source)
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


def validate_runs(tables: list[RawTable]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Validate records of eval runs. Returns the good rows and every problem found."""
    problems = [p for t in tables for p in t.problems]
    rows: list[dict[str, Any]] = []
    for table in tables:
        for record in table.records:
            text_source = _from_text(record)
            file, line = record["source_file"], record["source_line"]
            row: dict[str, Any] = {"source_file": file, "source_line": line}
            bad = False
            for key, value in record.items():
                if key in ("source_file", "source_line", "_from_text"):
                    continue
                column = RUN_COLUMNS.get(key)
                try:
                    row[key] = _convert(column.kind, value, text_source) if column else _extra(value, text_source)
                except _Bad as exc:
                    problems.append(problem(file, line, key, str(exc)))
                    bad = True
            for column in RUN_COLUMNS.values():
                if column.required and row.get(column.name) is None:
                    problems.append(problem(file, line, column.name, "required field is missing or null"))
                    bad = True
            if row.get("run_id") is None and row.get("model") is not None:
                row["run_id"] = row["model"]
            task = row.get("task")
            for one_of in TASK_REQUIREMENTS.get(task or "", ()):
                if all(row.get(name) is None for name in one_of):
                    problems.append(problem(file, line, "/".join(one_of), f"task '{task}' needs this field"))
                    bad = True
            if not bad:
                rows.append(row)
    problems.extend(_duplicate_ids(tables, rows))
    bad_keys = {(p["file"], p["line"]) for p in problems}
    rows = [r for r in rows if (r["source_file"], r["source_line"]) not in bad_keys]
    frame = pd.DataFrame(rows)
    return _order_columns(frame, list(RUN_COLUMNS)), problems


def _raw_id(tables: list[RawTable]) -> dict[tuple[str, int], Any]:
    return {(r["source_file"], r["source_line"]): r.get("item_id") for t in tables for r in t.records}


def _duplicate_ids(tables: list[RawTable], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """(run_id, item_id[, sample_id]) must be unique; `1`, `"1"` and `" 1"` collide."""
    raw = _raw_id(tables)
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        key = (row.get("run_id"), str(row.get("item_id")).strip(), row.get("sample_id"))
        groups[key].append(row)
    problems = []
    for (run_id, item_id, _), members in groups.items():
        if len(members) < 2:
            continue
        shown = ", ".join(
            f"{raw[(m['source_file'], m['source_line'])]!r} ({type(raw[(m['source_file'], m['source_line'])]).__name__}) "
            f"at {m['source_file']}:{m['source_line']}" for m in members)
        for m in members:
            problems.append(problem(m["source_file"], m["source_line"], "item_id",
                                    f"duplicate item id {item_id!r} in run {run_id!r}: {shown}"))
    return problems


def _order_columns(frame: pd.DataFrame, canonical: list[str]) -> pd.DataFrame:
    if frame.empty:
        return frame
    first = [c for c in canonical if c in frame.columns]
    rest = [c for c in frame.columns if c not in first and c not in ("source_file", "source_line")]
    tail = [c for c in ("source_file", "source_line") if c in frame.columns]
    return frame[first + rest + tail].reset_index(drop=True)


def validate_kpis(tables: list[RawTable]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Validate a KPI log: a key column, an optional timestamp, and numeric KPI columns."""
    problems = [p for t in tables for p in t.problems]
    rows: list[dict[str, Any]] = []
    for table in tables:
        for record in table.records:
            text_source = _from_text(record)
            file, line = record["source_file"], record["source_line"]
            row: dict[str, Any] = {"source_file": file, "source_line": line}
            bad = False
            for key, value in record.items():
                if key in ("source_file", "source_line", "_from_text"):
                    continue
                try:
                    if key in ("request_id", "item_id"):
                        row[key] = _as_id(value, text_source)
                    elif key in ("model", "run_id"):
                        row[key] = _as_text(value, text_source)
                    elif key == "timestamp":
                        row[key] = _as_timestamp(value, text_source)
                    else:
                        row[key] = _kpi_value(value, text_source)
                except _Bad as exc:
                    problems.append(problem(file, line, key, str(exc)))
                    bad = True
            if all(row.get(k) is None for k in KPI_KEY_COLUMNS):
                problems.append(problem(file, line, "request_id/item_id", "a KPI row needs request_id or item_id"))
                bad = True
            if not bad:
                rows.append(row)
    seen: dict[str, tuple[str, int]] = {}
    for row in rows:
        rid = row.get("request_id")
        if rid is None:
            continue
        if rid in seen:
            f, l = seen[rid]
            problems.append(problem(row["source_file"], row["source_line"], "request_id",
                                    f"duplicate request_id {rid!r} (first at {f}:{l})"))
        else:
            seen[rid] = (row["source_file"], row["source_line"])
    bad_keys = {(p["file"], p["line"]) for p in problems}
    rows = [r for r in rows if (r["source_file"], r["source_line"]) not in bad_keys]
    return _order_columns(pd.DataFrame(rows), list(KPI_META_COLUMNS)), problems


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

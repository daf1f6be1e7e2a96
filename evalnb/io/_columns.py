"""Column-wise conversion of one chunk of raw rows into typed pandas columns.

A column arrives either as a pyarrow array whose values are exactly what the file said (JSON Lines
parsed by pyarrow, CSV cells as strings, Parquet columns) or as a Python list (records from an
importer, a DataFrame, or a chunk that needed the row-wise reader). Compute kernels check the
arrow arrays in one pass; only the rows that a kernel flags go through the scalar converter in
``validate``, which writes the same message as the row-wise path, so the errors (file, line,
field) do not depend on which path a chunk took.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# A number as Python's float() reads it in the common cases; anything else goes to float() itself.
NUMBER_RE = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"
TIMESTAMP_DTYPE = "datetime64[us, UTC]"

Scalar = Callable[[Any, bool], Any]
Bad = list[tuple[int, str]]  # (row position in the chunk, message)


def is_arrow(col: Any) -> bool:
    return isinstance(col, (pa.Array, pa.ChunkedArray))


def _scalar_rows(values: list, rows: np.ndarray | range, conv: Scalar, text_source: bool, error: type) -> tuple[dict[int, Any], Bad]:
    """Run ``conv`` on ``values[i]`` for ``i`` in ``rows``: converted values and messages."""
    out: dict[int, Any] = {}
    bad: Bad = []
    for i in rows:
        try:
            out[int(i)] = conv(values[int(i)], text_source)
        except error as exc:
            bad.append((int(i), str(exc)))
    return out, bad


def _patch(series: pd.Series, fixed: dict[int, Any]) -> pd.Series:
    fixed = {i: v for i, v in fixed.items() if v is not None}
    if fixed:
        idx = np.fromiter(fixed, dtype=np.int64, count=len(fixed))
        series = series.copy()
        series.iloc[idx] = list(fixed.values())
    return series


def _mask_rows(mask: Any) -> np.ndarray:
    """Positions where a boolean arrow/numpy mask is true (nulls count as false)."""
    if is_arrow(mask):
        mask = pc.fill_null(mask, False)
        return np.flatnonzero(mask.to_numpy(zero_copy_only=False))
    return np.flatnonzero(np.asarray(mask, dtype=bool))


def _string_series(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
    if pa.types.is_null(arr.type):
        arr = arr.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([arr]) if isinstance(arr, pa.Array) else arr)).astype("str")


def _is_stringlike(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _fallback(col: Any, n: int, conv: Scalar, text_source: bool, error: type, dtype: str | None) -> tuple[pd.Series, Bad]:
    """The row-wise conversion for a whole column (records, or arrow types no kernel handles)."""
    values = col.to_pylist() if is_arrow(col) else col
    out, bad = _scalar_rows(values, range(n), conv, text_source, error)
    bad_rows = {i for i, _ in bad}
    cleaned = [None if i in bad_rows else out[i] for i in range(n)]
    if dtype == "object":
        series = pd.Series(cleaned, dtype=object)
    elif dtype is not None:
        series = pd.Series(cleaned, dtype=object)
        series = series.astype(dtype) if dtype != TIMESTAMP_DTYPE else pd.to_datetime(series, utc=True).astype(dtype)
    else:
        series = pd.Series(cleaned)
    return series, bad


# -- one function per column kind ---------------------------------------------------------------
def text_column(col: Any, n: int, text_source: bool, conv: Scalar, error: type) -> tuple[pd.Series, Bad]:
    if is_arrow(col) and (_is_stringlike(col.type) or pa.types.is_null(col.type)):
        return _string_series(col), []
    return _fallback(col, n, conv, text_source, error, "str")


def id_column(col: Any, n: int, text_source: bool, conv: Scalar, error: type, label: bool = False) -> tuple[pd.Series, Bad]:
    """ids: strings, or integers read as strings; labels also take booleans ("true"/"false")."""
    if is_arrow(col):
        t = col.type
        if _is_stringlike(t) or pa.types.is_null(t):
            if text_source and not label and not pa.types.is_null(t):
                col = pc.if_else(pc.equal(col, ""), pa.scalar(None, col.type), col)
            return _string_series(col), []
        if pa.types.is_integer(t):
            return _string_series(pc.cast(col, pa.large_string())), []
        if label and pa.types.is_boolean(t):
            return _string_series(pc.if_else(col, "true", "false")), []
    return _fallback(col, n, conv, text_source, error, "str")


def number_column(col: Any, n: int, text_source: bool, conv: Scalar, error: type, integer: bool) -> tuple[pd.Series, Bad]:
    """Non-negative finite numbers; in CSV cells, numeric strings ("" is missing)."""
    dtype = "Int64" if integer else "float64"
    if not is_arrow(col):
        return _fallback(col, n, conv, text_source, error, dtype)
    t = col.type
    if pa.types.is_null(t):
        return pd.Series(pd.array([None] * n, dtype=dtype)), []
    if text_source and _is_stringlike(t):
        trimmed = pc.utf8_trim_whitespace(col)
        empty = pc.equal(trimmed, "")
        numeric = pc.match_substring_regex(col, NUMBER_RE)
        values = pc.if_else(numeric, trimmed, pa.scalar(None, trimmed.type))
        as_float = pc.cast(values, pa.float64())
        flagged = pc.and_(pc.invert(numeric), pc.invert(empty))
    elif pa.types.is_integer(t) or pa.types.is_floating(t):
        as_float = pc.cast(col, pa.float64())
        if pa.types.is_floating(t):  # NaN in Parquet or a frame means missing
            as_float = pc.if_else(pc.is_nan(as_float), pa.scalar(None, pa.float64()), as_float)
        flagged = pa.array(np.zeros(len(col), dtype=bool))
    else:
        return _fallback(col, n, conv, text_source, error, dtype)
    floats = as_float.to_numpy(zero_copy_only=False).astype(float)
    with np.errstate(invalid="ignore"):
        wrong = ~np.isfinite(floats) & ~np.isnan(floats) | (floats < 0)
        if integer:
            wrong |= np.isfinite(floats) & (np.floor(floats) != floats)
    rows = np.union1d(_mask_rows(flagged), np.flatnonzero(wrong))
    if rows.size:
        values_list = col.take(pa.array(rows)).to_pylist()
        fixed, bad = _scalar_rows(values_list, range(len(rows)), conv, text_source, error)
        bad = [(int(rows[i]), msg) for i, msg in bad]
        fixed = {int(rows[i]): v for i, v in fixed.items()}
        for i in rows:
            floats[i] = np.nan
    else:
        fixed, bad = {}, []
    if integer:
        series = pd.Series(pd.array(floats, dtype="Float64").astype("Int64"))
    else:
        series = pd.Series(floats)
    return _patch(series, fixed), bad


def timestamp_column(col: Any, n: int, text_source: bool, conv: Scalar, error: type) -> tuple[pd.Series, Bad]:
    if is_arrow(col) and pa.types.is_timestamp(col.type):
        series = pd.Series(col.to_pandas() if isinstance(col, pa.ChunkedArray) else col.to_pandas())
        series = series.dt.tz_localize("UTC") if series.dt.tz is None else series.dt.tz_convert("UTC")
        return series.astype(TIMESTAMP_DTYPE), []
    if is_arrow(col) and (_is_stringlike(col.type) or pa.types.is_null(col.type)):
        if pa.types.is_null(col.type):
            return pd.Series(pd.array([pd.NaT] * n, dtype=TIMESTAMP_DTYPE)), []
        blank = pc.equal(pc.utf8_trim_whitespace(col), "")
        text = pd.Series(pc.if_else(blank, pa.scalar(None, col.type), col).to_pandas(), dtype=object)
        parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
        rows = np.flatnonzero((parsed.isna() & text.notna()).to_numpy())
        if rows.size:  # what ISO 8601 parsing refused gets the scalar converter (and its message)
            values = col.take(pa.array(rows)).to_pylist()
            fixed, bad = _scalar_rows(values, range(len(rows)), conv, text_source, error)
            bad = [(int(rows[i]), msg) for i, msg in bad]
            fixed = {int(rows[i]): v for i, v in fixed.items()}
        else:
            fixed, bad = {}, []
        return _patch(parsed.astype(TIMESTAMP_DTYPE), fixed), bad
    return _fallback(col, n, conv, text_source, error, TIMESTAMP_DTYPE)


def list_column(col: Any, n: int, text_source: bool, conv: Scalar, error: type, ids: bool) -> tuple[pd.Series, Bad]:
    """Lists of strings (ids may be integers); kept as Python lists, as the metrics expect."""
    if is_arrow(col) and (pa.types.is_list(col.type) or pa.types.is_large_list(col.type)):
        value_type = col.type.value_type
        flat = pc.list_flatten(col)
        if (_is_stringlike(value_type) or pa.types.is_null(value_type) and len(flat) == 0) and flat.null_count == 0:
            return pd.Series(col.to_pylist(), dtype=object), []
        if ids and pa.types.is_integer(value_type) and flat.null_count == 0:
            return pd.Series(pc.cast(col, pa.list_(pa.large_string())).to_pylist(), dtype=object), []
    if is_arrow(col) and pa.types.is_null(col.type):
        return pd.Series([None] * n, dtype=object), []
    return _fallback(col, n, conv, text_source, error, "object")


def object_column(col: Any, n: int, text_source: bool, conv: Scalar, error: type) -> tuple[pd.Series, Bad]:
    """Values that stay Python objects (relevance mappings): always row by row."""
    if is_arrow(col) and pa.types.is_null(col.type):
        return pd.Series([None] * n, dtype=object), []
    return _fallback(col, n, conv, text_source, error, "object")


def extra_column(col: Any, n: int, text_source: bool, conv: Scalar, error: type) -> tuple[pd.Series, Bad]:
    """Columns outside the schema: kept; numbers in CSV cells become floats (ratings stay numeric)."""
    if not is_arrow(col):
        return _fallback(col, n, conv, text_source, error, None)
    t = col.type
    if text_source and _is_stringlike(t):
        trimmed = pc.utf8_trim_whitespace(col)
        empty = pc.equal(trimmed, "")
        numeric = pc.match_substring_regex(col, NUMBER_RE)
        other = pc.and_(pc.invert(numeric), pc.invert(empty))
        # float() accepts spellings the pattern does not ("1_000"); those cells take float() itself
        if pc.any(pc.and_(other, pc.match_substring_regex(col, r"\d"))).as_py():
            return _fallback(col, n, conv, text_source, error, None)
        n_numeric = pc.sum(numeric).as_py() or 0
        n_other = pc.sum(other).as_py() or 0
        if n_numeric and not n_other:
            values = pc.cast(pc.if_else(numeric, trimmed, pa.scalar(None, trimmed.type)), pa.float64())
            return pd.Series(values.to_numpy(zero_copy_only=False).astype(float)), []
        if not n_numeric:
            return _string_series(pc.if_else(empty, pa.scalar(None, col.type), col)), []
        return _fallback(col, n, conv, text_source, error, None)
    if pa.types.is_floating(t):
        values = col.to_numpy(zero_copy_only=False).astype(float)
        rows = np.flatnonzero(np.isinf(values))
        if rows.size:
            return _fallback(col, n, conv, text_source, error, None)
        return pd.Series(values), []
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_struct(t) or pa.types.is_map(t):
        return pd.Series(col.to_pylist(), dtype=object), []
    if _is_stringlike(t):
        return _string_series(col), []
    if pa.types.is_null(t):
        return pd.Series([None] * n, dtype=object), []
    series = col.to_pandas() if isinstance(col, pa.ChunkedArray) else col.to_pandas()
    return pd.Series(series).reset_index(drop=True), []


def kpi_column(col: Any, n: int, text_source: bool, conv: Scalar, error: type) -> tuple[pd.Series, Bad]:
    """KPI outcomes as floats: numbers, booleans, and in CSV "true"/"yes"/"1"/"false"/"no"/"0"."""
    if not is_arrow(col):
        return _fallback(col, n, conv, text_source, error, "float64")
    t = col.type
    if pa.types.is_null(t):
        return pd.Series(np.full(n, np.nan)), []
    if pa.types.is_boolean(t):
        return pd.Series(pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False).astype(float)), []
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        values = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False).astype(float)
        if np.isinf(values).any():
            return _fallback(col, n, conv, text_source, error, "float64")
        return pd.Series(values), []
    if _is_stringlike(t):
        low = pc.utf8_lower(pc.utf8_trim_whitespace(col))
        numeric = pc.match_substring_regex(low, NUMBER_RE)
        words = pc.is_in(low, value_set=pa.array(["", "true", "1", "yes", "false", "0", "no"]))
        if pc.all(pc.or_(numeric, words)).as_py() is not False:
            mapped = pc.if_else(pc.is_in(low, value_set=pa.array(["true", "yes"])), "1", low)
            mapped = pc.if_else(pc.is_in(mapped, value_set=pa.array(["false", "no"])), "0", mapped)
            mapped = pc.if_else(pc.equal(mapped, ""), pa.scalar(None, mapped.type), mapped)
            return pd.Series(pc.cast(mapped, pa.float64()).to_numpy(zero_copy_only=False).astype(float)), []
    return _fallback(col, n, conv, text_source, error, "float64")


def constant_strings(value: str, n: int) -> pd.Series:
    """A ``str`` column holding one value n times, without n Python strings."""
    arr = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([value], pa.large_string()))
    return _string_series(arr.cast(pa.large_string()))

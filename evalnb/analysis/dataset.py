"""Analysis over a Parquet scores dataset larger than memory, with DuckDB doing the heavy aggregation.

``evalnb.summarize(dataset, by=[...])`` (which calls the helpers here) and :func:`slice_table` accept a
:class:`~evalnb.metrics.distributed.ScoresDataset` (what ``score(engine="ray", output=...)`` writes) or
a path/glob of Parquet files. DuckDB scans the files out of core (``memory_limit`` and a spill
directory set) and returns, per group and column, only what an interval needs:

- columns with at most ``MAX_LEVELS`` distinct values (0/1 flags, judge scores on a 1-5 scale): the
  count of each value, from which the values are rebuilt exactly;
- other columns: the group's values of that one column (a float array of the group's size, never the
  frame), or for corpus metrics the group's per-item sufficient statistics.

The interval code is then the in-memory code on exactly those values, so the numbers are the in-memory
numbers (the tests compare them). Peak memory is bounded by the largest group times the columns one
interval needs (one column; all of the group's columns for a corpus metric), not by the dataset; the ``method`` column is unchanged because nothing was approximated.

>>> evalnb.summarize("scores/", by=["model", "category"])          # doctest: +SKIP
>>> evalnb.slice_table("scores/", "judge_faithfulness", 3.0, by="category")   # doctest: +SKIP
"""
from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .._errors import EvalnbError

__all__ = ["is_dataset", "is_scores_dataset", "open_dataset", "connect", "source", "group_values", "group_keys",
           "slice_table", "load_frame", "DEFAULT_MEMORY_LIMIT"]

DEFAULT_MEMORY_LIMIT = "2GB"
_SAMPLE_ROWS = 10_000


def is_dataset(data: Any) -> bool:
    """True for a ScoresDataset, a folder holding Parquet files, or a ``.parquet`` path/glob."""
    from ..metrics.distributed import ScoresDataset

    if isinstance(data, ScoresDataset):
        return True
    if isinstance(data, (str, os.PathLike)):
        p = str(data)
        if os.path.isdir(p):
            return any(Path(p).rglob("*.parquet"))
        return p.endswith(".parquet") or ("*" in p and ".parquet" in p)
    return False


def is_scores_dataset(data: Any) -> bool:
    """True for a ScoresDataset or a folder that ``score(engine="ray", output=...)`` wrote (it holds the
    manifest): a stricter test than :func:`is_dataset`, for functions whose paths otherwise mean eval runs."""
    from ..metrics.distributed import MANIFEST, ScoresDataset

    if isinstance(data, ScoresDataset):
        return True
    return isinstance(data, (str, os.PathLike)) and os.path.isfile(os.path.join(str(data), MANIFEST))


def load_frame(data: Any, *, where_in: Mapping[str, Sequence[Any]] | None = None, keep_text: bool | Sequence[str] = False,
               memory_limit: str = DEFAULT_MEMORY_LIMIT, temp_directory: str | None = None):
    """The rows an analysis of per-item values needs, read out of core by DuckDB: only the rows whose
    columns hold the listed values (``where_in={"model": ["a", "b"]}``) and none of the text columns
    (inputs, outputs, references: most of a dataset's bytes) except those ``keep_text`` names (True: all).
    Returns Scores with the dataset's metrics, signatures and statuses, for ``compare``, ``gate`` and
    ``drift`` over a dataset.

    >>> load_frame("scores/", where_in={"model": ["base", "cand"]})        # doctest: +SKIP
    """
    from .. import roles
    from ..metrics.scoring import Scores

    ds = open_dataset(data)
    con = connect(memory_limit, temp_directory)
    try:
        src = f"read_parquet('{ds.files}', union_by_name=true)"
        names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
        kept = set(roles.TEXT_COLUMNS) if keep_text is True else set(keep_text or ())
        cols = [c for c in names if c in kept or c not in roles.TEXT_COLUMNS]
        where, params = [], []
        for col, values in (where_in or {}).items():
            if col not in names:
                raise EvalnbError(f"{ds.path}: no column '{col}' in the scores dataset")
            values = list(values)
            where.append(f"CAST({_q(col)} AS VARCHAR) IN ({', '.join('?' * len(values))})")
            params += [str(v) for v in values]
        sql = f"SELECT {', '.join(map(_q, cols))} FROM {src}" + (f" WHERE {' AND '.join(where)}" if where else "")
        frame = con.execute(sql, params).df()
    finally:
        con.close()
    return Scores(frame, ds.metrics(), ds.signatures, ds.status)


def open_dataset(data: Any):
    from ..metrics.distributed import ScoresDataset

    return data if isinstance(data, ScoresDataset) else ScoresDataset(data)


def connect(memory_limit: str, temp_directory: str | None):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit='{memory_limit}'")
    con.execute("SET temp_directory=?", [temp_directory or tempfile.gettempdir()])
    con.execute("SET preserve_insertion_order=false")  # lets aggregations spill instead of holding order
    return con


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _where(by_cols: Sequence[str], key: tuple) -> tuple[str, list]:
    if not by_cols:
        return "TRUE", []
    parts, params = [], []
    for col, value in zip(by_cols, key):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            parts.append(f"{_q(col)} IS NULL")
        else:
            parts.append(f"{_q(col)} = ?")
            params.append(value.item() if hasattr(value, "item") else value)
    return " AND ".join(parts), params


def _total(totals: pd.DataFrame, by_cols: Sequence[str], key: tuple) -> int:
    if not by_cols:
        return int(totals["n"].iloc[0])
    mask = np.ones(len(totals), bool)
    for col, value in zip(by_cols, key):
        mask &= (totals[col].isna() if pd.isna(value) else (totals[col] == value)).to_numpy()
    return int(totals.loc[mask, "n"].sum())


def group_values(con, src: str, spec: Any, where: str, params: list) -> pd.DataFrame:
    """The values one interval needs for one group: value counts when few, else the column itself."""
    from ..metrics.base import CORPUS
    from ..stats.intervals import MAX_LEVELS

    col = _q(spec.column)
    if spec.aggregation == CORPUS and spec.metric is not None:
        # the corpus bootstrap needs the group's sufficient statistics and its item keys (canonical order)
        return con.execute(f"SELECT * FROM {src} WHERE {where}", params).df()
    levels = con.execute(f"SELECT count(DISTINCT {col}) FROM {src} WHERE {where}", params).fetchone()[0]
    if levels <= MAX_LEVELS:
        counts = con.execute(f"SELECT {col} AS v, count(*) AS k FROM {src} WHERE {where} GROUP BY 1", params).df()
        values = np.repeat(counts["v"].to_numpy(dtype=float, na_value=np.nan), counts["k"].to_numpy())
        return pd.DataFrame({spec.column: values})
    return con.execute(f"SELECT {col} FROM {src} WHERE {where}", params).df()


def slice_table(data: Any, metric: str, threshold: float, *, by: str = "category", below: bool = True,
                confidence: float = 0.95, memory_limit: str = DEFAULT_MEMORY_LIMIT,
                temp_directory: str | None = None) -> pd.DataFrame:
    """Failure rate per slice (a row fails when ``metric`` is below ``threshold``, or above with
    ``below=False``), worst first, with Wilson intervals: the Explorer's slice table.

    ``data`` is a DataFrame/Scores (pandas) or a Parquet scores dataset (DuckDB, out of core); both give
    the same table.

    >>> slice_table(pd.DataFrame({"category": ["a", "a", "b"], "m": [1.0, 3.0, 3.0]}), "m", 2.0)["failures"].tolist()
    [1, 0]
    """
    from ..stats.intervals import wilson_ci

    cmp = "<" if below else ">"
    if is_dataset(data):
        ds = open_dataset(data)
        con = connect(memory_limit, temp_directory)
        src = f"read_parquet('{ds.files}', union_by_name=true)"
        counts = con.execute(f"SELECT {_q(by)} AS slice, count({_q(metric)}) AS n, "
                             f"count_if({_q(metric)} {cmp} ?) AS failures FROM {src} GROUP BY 1", [float(threshold)]).df()
        con.close()
    else:
        frame = data.df if hasattr(data, "df") else data
        for c in (by, metric):
            if c not in frame.columns:
                raise EvalnbError(f"slice_table: no column '{c}'")
        values = pd.to_numeric(frame[metric], errors="coerce")
        fails = (values < threshold) if below else (values > threshold)
        counts = pd.DataFrame({"slice": frame[by], "n": values.notna(), "failures": fails & values.notna()}) \
            .groupby("slice", dropna=False, sort=False).sum().reset_index()
    counts = counts[counts["n"] > 0].copy()
    counts["n"] = counts["n"].astype(int)
    counts["failures"] = counts["failures"].astype(int)
    cis = [wilson_ci(int(f), int(n), confidence) for f, n in zip(counts["failures"], counts["n"])]
    counts["rate"] = [c.estimate for c in cis]
    counts["ci_low"] = [c.low for c in cis]
    counts["ci_high"] = [c.high for c in cis]
    counts = counts.rename(columns={"slice": by})
    return counts.sort_values(["rate", "n", by], ascending=[False, False, True], kind="stable").reset_index(drop=True)

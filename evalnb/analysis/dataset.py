"""Analysis over a Parquet scores dataset larger than memory, with DuckDB doing the heavy aggregation.

``evalnb.summarize(dataset, by=[...])`` and :func:`slice_table` accept a
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

__all__ = ["is_dataset", "open_dataset", "summarize_dataset", "slice_table", "DEFAULT_MEMORY_LIMIT"]

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


def open_dataset(data: Any):
    from ..metrics.distributed import ScoresDataset

    return data if isinstance(data, ScoresDataset) else ScoresDataset(data)


def _connect(memory_limit: str, temp_directory: str | None):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit='{memory_limit}'")
    con.execute("SET temp_directory=?", [temp_directory or tempfile.gettempdir()])
    con.execute("SET preserve_insertion_order=false")  # lets aggregations spill instead of holding order
    return con


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def summarize_dataset(data: Any, by: Sequence[str] | str | None = ("model",), metrics: Sequence[str] | str | None = None,
                      *, confidence: float = 0.95, n_boot: int = 2000, seed: int = 0,
                      aggregation: Mapping[str, str] | None = None, higher_is_better: Mapping[str, bool] | None = None,
                      percentiles: Sequence[float] = (50, 95, 99), memory_limit: str = DEFAULT_MEMORY_LIMIT,
                      temp_directory: str | None = None, progress: bool = True):
    """:func:`evalnb.summarize` over a Parquet scores dataset (see the module docstring)."""
    from tqdm.auto import tqdm

    from ..metrics.base import CORPUS, PROPORTION
    from ..metrics.scoring import Scores
    from ..stats import intervals as iv
    from .summarize import FRAME_COLUMNS, SMALL_N, Summary, _cell, resolve_columns

    ds = open_dataset(data)
    con = _connect(memory_limit, temp_directory)
    src = f"read_parquet('{ds.files}', union_by_name=true)"
    by_cols = [by] if isinstance(by, str) else list(by or [])
    sample = con.execute(f"SELECT * FROM {src} LIMIT {_SAMPLE_ROWS}").df()
    if sample.empty:
        raise EvalnbError(f"{ds.path}: the scores dataset has no rows")
    missing = [c for c in by_cols if c not in sample.columns]
    if missing:
        raise EvalnbError(f"cannot group by {missing}: no such column; columns are: {', '.join(map(str, sample.columns))}")
    known = ds.metrics()
    # 0/1 inference must see every row, not the sample: ask DuckDB which numeric columns are binary.
    agg = dict(aggregation or {})
    numeric = [c for c in sample.columns if pd.api.types.is_numeric_dtype(sample[c])]
    if numeric:
        flags = con.execute("SELECT " + ", ".join(f"bool_and({_q(c)} IN (0, 1)) OR count({_q(c)}) = 0" for c in numeric)
                            + f" FROM {src}").fetchone()
        for c, binary in zip(numeric, flags):
            if not binary and c not in agg and sample[c].dropna().isin([0, 1]).all() and not any(
                    c in m.columns for m in known.values()):
                agg[c] = "mean"
    _, specs = resolve_columns(Scores(sample, known, ds.signatures, ds.status), metrics, agg, higher_is_better)
    keys = con.execute(f"SELECT DISTINCT {', '.join(map(_q, by_cols))} FROM {src} ORDER BY ALL").df() if by_cols \
        else pd.DataFrame(index=[0])
    totals = con.execute(
        f"SELECT {', '.join(map(_q, by_cols)) + ', ' if by_cols else ''}count(*) AS n FROM {src} "
        + (f"GROUP BY ALL" if by_cols else "")).df()
    rows, small = [], []
    bar = tqdm(total=len(keys) * len(specs), desc="summarize (duckdb)", leave=False, disable=not progress)
    for key in keys.itertuples(index=False):
        key = tuple(key) if by_cols else ()
        where, params = _where(by_cols, key)
        total = int(_total(totals, by_cols, key))
        for spec in specs:
            group = _group_values(con, src, spec, known, where, params)
            for statistic, ci in _cell(spec, group, confidence, n_boot, seed, percentiles):
                note = ci.note
                if 0 < ci.n < SMALL_N and "single" not in note:
                    note = "; ".join(filter(None, [note, f"small n ({ci.n})"]))
                if "max at this n" in note or 0 < ci.n < SMALL_N:
                    small.append(f"{'/'.join(map(str, key)) or 'all'}:{spec.column}:{statistic}")
                rows.append({**dict(zip(by_cols, key)), "metric": spec.column, "source": spec.source,
                             "statistic": statistic, "estimate": ci.estimate, "ci_low": ci.low, "ci_high": ci.high,
                             "n": ci.n, "n_excluded": total - ci.n, "higher_is_better": spec.higher_is_better,
                             "method": ci.method, "note": note})
            bar.update()
    bar.close()
    con.close()
    if small:
        from .._errors import SmallSampleWarning

        warnings.warn(f"small samples: {', '.join(small[:5])}; see the 'note' column", SmallSampleWarning, stacklevel=2)
    out = pd.DataFrame(rows, columns=by_cols + FRAME_COLUMNS)
    out["n"] = out["n"].astype(int)
    out["n_excluded"] = out["n_excluded"].astype(int)
    used = {s.source for s in specs}
    return Summary(out, tuple(by_cols), confidence, n_boot, seed, {k: v for k, v in ds.signatures.items() if k in used})


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


def _group_values(con, src: str, spec: Any, known: Mapping[str, Any], where: str, params: list) -> pd.DataFrame:
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
        con = _connect(memory_limit, temp_directory)
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

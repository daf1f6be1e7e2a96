"""Per-slice statistics fast enough for interactive widgets on 1,000,000 rows.

A pandas ``groupby(...).quantile`` on 1M rows takes ~200 ms here (ENVIRONMENT.md), too slow for a
slice change to feel live. The index below pays once, at load: every group column becomes integer
codes (``pd.factorize``) and every value column is argsorted once. A slice change then costs a
few linear passes: a boolean filter through a code lookup table, ``np.bincount`` for counts, sums
and failure counts, and for quantiles a *stable* sort of the (small-integer) group codes of the
already value-sorted rows -- numpy uses radix sort for small integer types, so each group's values
come out sorted in O(n) and quantiles are read off by position with the same linear interpolation
as numpy/pandas (method "linear").

The numbers equal pandas' groupby (tests/test_widgets.py checks count, mean, quantiles and failure
rate against pandas on random data with NaNs and empty groups).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

MISSING = "(missing)"


@dataclass
class _Group:
    codes: np.ndarray          # int16/int32 codes, one per row
    labels: list[str]          # code -> label


class SliceIndex:
    """Precomputed codes and orders over a frame; answers per-slice statistics quickly.

    Parameters
    ----------
    df : the per-item frame (e.g. ``Scores.df`` joined with KPIs).
    group_columns : columns one may slice or filter by (text/categorical).
    value_columns : numeric columns one may aggregate.

    >>> idx = SliceIndex(df, ["model", "category"], ["judge_relevance"])     # doctest: +SKIP
    >>> idx.stats("category", "judge_relevance", filters={"model": ["swift-small"]})  # doctest: +SKIP
    """

    def __init__(self, df: pd.DataFrame, group_columns: Iterable[str], value_columns: Iterable[str]):
        self.n = len(df)
        self.groups: dict[str, _Group] = {}
        for col in group_columns:
            codes, uniques = pd.factorize(df[col].astype(object).where(df[col].notna(), None), sort=True,
                                          use_na_sentinel=True)
            labels = [str(u) for u in uniques]
            if (codes < 0).any():
                codes = np.where(codes < 0, len(labels), codes)
                labels.append(MISSING)
            dtype = np.int16 if len(labels) < 2 ** 15 else np.int32
            self.groups[col] = _Group(codes.astype(dtype), labels)
        self.values: dict[str, np.ndarray] = {
            col: pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            for col in value_columns}
        self._order: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._codes_by_value: dict[tuple[str, str], np.ndarray] = {}

    # -- precomputation (lazy, once per column) ------------------------------------------------
    def _sorted(self, value: str) -> tuple[np.ndarray, np.ndarray]:
        if value not in self._order:
            v = self.values[value]
            order = np.argsort(v, kind="stable")          # NaNs sort last
            n_valid = int((~np.isnan(v)).sum())
            order = order[:n_valid]
            self._order[value] = (order, v[order])
        return self._order[value]

    def _codes_sorted(self, by: str, value: str) -> np.ndarray:
        key = (by, value)
        if key not in self._codes_by_value:
            order, _ = self._sorted(value)
            self._codes_by_value[key] = self.groups[by].codes[order]
        return self._codes_by_value[key]

    def warm(self, by: Sequence[str], values: Sequence[str]) -> None:
        """Precompute orders for these combinations (done at load, not on the first click)."""
        for v in values:
            for b in by:
                self._codes_sorted(b, v)

    def warm_in_background(self, by: Sequence[str], values: Sequence[str]):
        """Sort the other metrics on a daemon thread (numpy's sort releases the GIL), so the first
        switch to a metric finds its order ready; returns the thread (``.join()`` to wait)."""
        import threading

        todo = [v for v in dict.fromkeys(values) if v in self.values]
        thread = threading.Thread(target=self.warm, args=(list(by), todo), daemon=True, name="evalnb-slice-warm")
        thread.start()
        return thread

    # -- queries ---------------------------------------------------------------------------------
    def labels(self, column: str) -> list[str]:
        return list(self.groups[column].labels)

    def mask(self, filters: Mapping[str, Sequence[str]] | None) -> np.ndarray | None:
        """Boolean row mask for ``{column: allowed labels}`` (None when there is no filter)."""
        if not filters:
            return None
        out: np.ndarray | None = None
        for col, allowed in filters.items():
            group = self.groups[col]
            lut = np.zeros(len(group.labels), dtype=bool)
            allowed_set = {str(a) for a in allowed}
            for i, label in enumerate(group.labels):
                lut[i] = label in allowed_set
            m = lut[group.codes]
            out = m if out is None else (out & m)
        return out

    def stats(self, by: str, value: str, filters: Mapping[str, Sequence[str]] | None = None,
              quantiles: Sequence[float] = (0.5, 0.95), fail_below: float | None = None,
              fail_above: float | None = None) -> pd.DataFrame:
        """Per-slice n, mean, quantiles and failure rate of ``value`` grouped by ``by``.

        A row "fails" when its value is below ``fail_below`` (or above ``fail_above``). Missing
        values are not counted in n. Slices with no rows are left out.
        """
        group = self.groups[by]
        k = len(group.labels)
        if (by, value) not in self._codes_by_value:
            # not sorted yet (the background warm-up is still at it): answer without the sort
            return self._stats_unsorted(by, value, filters, quantiles, fail_below, fail_above)
        order, sorted_vals = self._sorted(value)
        codes_sorted = self._codes_sorted(by, value)
        m = self.mask(filters)
        if m is not None:
            keep = m[order]
            codes_sorted = codes_sorted[keep]
            sorted_vals = sorted_vals[keep]
        counts = np.bincount(codes_sorted, minlength=k)
        sums = np.bincount(codes_sorted, weights=sorted_vals, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / counts
        out = {"slice": group.labels, "n": counts, "mean": means}
        if quantiles:
            # stable sort of small-int codes (radix) keeps each group's values in sorted order
            regroup = np.argsort(codes_sorted, kind="stable")
            grouped = sorted_vals[regroup]
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
            for q in quantiles:
                out[f"p{q * 100:g}"] = _quantile_by_position(grouped, starts, counts, q)
        return _with_failures(out, codes_sorted, sorted_vals, counts, fail_below, fail_above)

    def _stats_unsorted(self, by: str, value: str, filters: Mapping[str, Sequence[str]] | None,
                        quantiles: Sequence[float], fail_below: float | None, fail_above: float | None
                        ) -> pd.DataFrame:
        """:meth:`stats` before ``value`` is sorted: a radix regroup of the rows by code, then each
        group's order statistics by ``np.partition`` (linear time; the same values a full sort
        gives), so a first switch to a metric costs no O(n log n) sort on the interaction path."""
        group = self.groups[by]
        k = len(group.labels)
        v = self.values[value]
        keep = ~np.isnan(v)
        m = self.mask(filters)
        if m is not None:
            keep &= m
        codes, vals = group.codes[keep], v[keep]
        counts = np.bincount(codes, minlength=k)
        sums = np.bincount(codes, weights=vals, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / counts
        out = {"slice": group.labels, "n": counts, "mean": means}
        if quantiles:
            grouped = vals[np.argsort(codes, kind="stable")]
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
            cols = {q: np.full(k, np.nan) for q in quantiles}
            for g in np.flatnonzero(counts):
                seg = grouped[starts[g]:starts[g] + counts[g]]
                pos = {q: q * (counts[g] - 1) for q in quantiles}
                kth = sorted({int(np.floor(p)) for p in pos.values()} |
                             {min(int(np.floor(p)) + 1, counts[g] - 1) for p in pos.values()})
                part = np.partition(seg, kth)
                for q, p in pos.items():
                    lo = int(np.floor(p))
                    hi = min(lo + 1, counts[g] - 1)
                    a, b = part[lo], part[hi]
                    cols[q][g] = a + (b - a) * (p - lo)
            for q in quantiles:
                out[f"p{q * 100:g}"] = cols[q]
        return _with_failures(out, codes, vals, counts, fail_below, fail_above)

    def worst(self, rows: np.ndarray, value: str, limit: int, ascending: bool = True) -> np.ndarray:
        """The first ``limit`` of ``rows`` ordered on ``value`` (ascending, or descending), NaNs last:
        exactly ``rows[np.argsort(v, kind="stable")][:limit]`` (``-v`` when descending), but by a
        linear-time ``np.partition`` instead of a sort of every row of the slice.

        >>> idx = SliceIndex(pd.DataFrame({"g": list("aaaa"), "v": [3.0, 1.0, float("nan"), 1.0]}), ["g"], ["v"])
        >>> idx.worst(np.arange(4), "v", 2).tolist(), idx.worst(np.arange(4), "v", 3, ascending=False).tolist()
        ([1, 3], [0, 1, 3])
        """
        rows = np.asarray(rows, dtype=np.int64)
        key = self.values[value][rows]
        key = key if ascending else -key
        n = len(key)
        if limit <= 0:
            return rows[:0]
        if n <= max(4 * limit, 4096):
            return rows[np.argsort(key, kind="stable")[:limit]]
        kth = np.partition(key, limit - 1)[limit - 1]     # NaNs are placed last, as by sort
        if np.isnan(kth):                                  # fewer than ``limit`` values: all, then NaNs
            valid = np.flatnonzero(~np.isnan(key))
            pick = np.concatenate((valid[np.argsort(key[valid], kind="stable")],
                                   np.flatnonzero(np.isnan(key))[:limit - len(valid)]))
        else:
            below = np.flatnonzero(key < kth)
            pick = np.sort(np.concatenate((below, np.flatnonzero(key == kth)[:limit - len(below)])))
            pick = pick[np.argsort(key[pick], kind="stable")]
        return rows[pick]

    def rows(self, filters: Mapping[str, Sequence[str]]) -> np.ndarray:
        """Row positions matching the filters."""
        m = self.mask(filters)
        return np.arange(self.n) if m is None else np.flatnonzero(m)


def _quantile_by_position(grouped: np.ndarray, starts: np.ndarray, counts: np.ndarray, q: float) -> np.ndarray:
    """numpy's "linear" quantile for each group of an array sorted within groups."""
    out = np.full(len(counts), np.nan)
    has = counts > 0
    pos = q * (counts[has] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, counts[has] - 1)
    frac = pos - lo
    base = starts[has]
    a, b = grouped[base + lo], grouped[base + hi]
    out[has] = a + (b - a) * frac
    return out


def naive_stats(df: pd.DataFrame, by: str, value: str, filters: Mapping[str, Sequence[str]] | None = None,
                quantiles: Sequence[float] = (0.5, 0.95)) -> pd.DataFrame:
    """The plain pandas way (filter, groupby, mean and quantiles): the benchmark's peer."""
    sub = df
    if filters:
        m = np.ones(len(df), dtype=bool)
        for col, allowed in filters.items():
            m &= df[col].isin(list(allowed)).to_numpy()
        sub = df[m]
    g = sub.groupby(by, observed=True)[value]
    frame = g.agg(["count", "mean"]).rename(columns={"count": "n"})
    for q in quantiles:
        frame[f"p{q * 100:g}"] = g.quantile(q)
    return frame.reset_index().rename(columns={by: "slice"})


def _with_failures(out: dict, codes: np.ndarray, vals: np.ndarray, counts: np.ndarray,
                   fail_below: float | None, fail_above: float | None) -> pd.DataFrame:
    """The slice-stats frame from its columns, with failure counts and rates when a rule is given;
    slices without rows dropped (shared by the sorted and the not-yet-sorted path)."""
    if fail_below is not None or fail_above is not None:
        failed = (vals < fail_below) if fail_below is not None else (vals > fail_above)
        fails = np.bincount(codes, weights=failed.astype(float), minlength=len(counts))
        with np.errstate(invalid="ignore", divide="ignore"):
            out["failures"] = fails.astype(int)
            out["failure_rate"] = fails / counts
    frame = pd.DataFrame(out)
    return frame[frame["n"] > 0].reset_index(drop=True)

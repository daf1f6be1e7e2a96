"""Stratified sampling of traffic to judge, with sampling weights so rates stay unbiased.

Judging costs money, so production practice judges a *sample*. Sampling a fixed fraction (or a
fixed number) per slice keeps small slices visible; the weight of a judged row is N_h / n_h (rows
in its stratum / rows judged there), and pooled rates use these weights (the stratified estimator,
Cochran 1977, ch. 5) so over-sampled small slices do not bias the overall rate.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..._display import ResultDisplay
from ..._errors import ConfigError


@dataclass(frozen=True)
class Sample(ResultDisplay):
    """Which rows were chosen and with what weight (NaN for rows not chosen)."""

    chosen: pd.Index
    weights: pd.Series
    strata: tuple[str, ...]
    size: float
    seed: int
    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row per stratum: rows, judged, weight."""
        return self.table.copy()

    def summary(self) -> str:
        t = self.table
        return (f"stratified sample by {', '.join(self.strata) or '(none)'} (size={self.size:g}, seed={self.seed}): "
                f"{int(t['judged'].sum()):,} of {int(t['rows'].sum()):,} rows in {len(t)} strata")


def stratified_sample(frame: pd.DataFrame, size: float | int, *, by: Sequence[str] | None = None, seed: int = 0) -> Sample:
    """Choose rows to judge: a fraction (``0 < size < 1``) or a number per stratum (``size >= 1``).

    >>> df = pd.DataFrame({"category": ["a"] * 90 + ["b"] * 10, "x": range(100)})
    >>> s = stratified_sample(df, 5, by=["category"], seed=1)
    >>> sorted(float(w) for w in s.weights.dropna().unique())
    [2.0, 18.0]
    """
    by = tuple(by or ())
    missing = [c for c in by if c not in frame.columns]
    if missing:
        raise ConfigError(f"cannot stratify by {missing}: no such column; columns are {list(frame.columns)[:20]}")
    if size <= 0:
        raise ConfigError(f"sample size must be > 0 (a fraction below 1 or a count per stratum), got {size}")
    rng = np.random.default_rng(seed)
    weights = pd.Series(np.nan, index=frame.index, dtype=float)
    rows = []
    groups = frame.groupby(list(by), sort=True, dropna=False) if by else [((), frame)]
    chosen: list = []
    for key, part in groups:
        n_h = len(part)
        k = min(n_h, max(1, int(round(size * n_h))) if size < 1 else int(size))
        picked = part.index[np.sort(rng.choice(n_h, size=k, replace=False))] if k < n_h else part.index
        weights.loc[picked] = n_h / k
        chosen.extend(picked)
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key)), "rows": n_h, "judged": k, "weight": n_h / k})
    return Sample(pd.Index(chosen), weights, by, float(size), int(seed), pd.DataFrame(rows))


@dataclass(frozen=True)
class WeightedRate(ResultDisplay):
    """A weighted mean (rate) of judged rows with a normal-approximation CI (stratified variance)."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    population: float

    def summary(self) -> str:
        return f"{self.estimate:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}] (n judged={self.n}, population={self.population:,.0f})"


def weighted_rate(values: pd.Series, weights: pd.Series, strata: pd.Series | None = None, *, confidence: float = 0.95) -> WeightedRate:
    """Population estimate of a mean/rate from judged rows: sum(w*y)/sum(w).

    NaN values (non-ok judge replies, rows not sampled) are excluded. With ``strata`` the variance is
    the stratified one, sum_h W_h^2 (1 - f_h) s_h^2 / n_h (Cochran 1977, eq. 5.6).

    >>> weighted_rate(pd.Series([1.0, 0.0, 1.0]), pd.Series([1.0, 1.0, 2.0])).estimate
    0.75
    """
    from scipy import stats

    keep = values.notna() & weights.notna()
    y, w = values[keep].astype(float), weights[keep].astype(float)
    if y.empty:
        return WeightedRate(float("nan"), float("nan"), float("nan"), 0, 0.0)
    total = float(w.sum())
    est = float((w * y).sum() / total)
    if strata is None:
        strata = pd.Series(0, index=y.index)
    var = 0.0
    for _, idx in y.groupby(strata[keep]).groups.items():
        yh, wh = y.loc[idx], w.loc[idx]
        n_h, N_h = len(yh), float(wh.sum())
        if n_h > 1:
            var += (N_h / total) ** 2 * max(0.0, 1 - n_h / N_h) * float(yh.var(ddof=1)) / n_h
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    half = z * var ** 0.5
    return WeightedRate(est, est - half, est + half, int(len(y)), total)

"""Resampling that stays linear in the rows and flat in memory (issue 11).

Three tools shared by :mod:`evalnb.stats.intervals`, :mod:`evalnb.stats.correlation` and the
corpus intervals of ``summarize``/``compare``:

- :func:`weight_blocks`: bootstrap resample weights (how often each row is drawn) a block of
  resamples at a time, never the whole ``(n_boot, n)`` matrix. The draws are exactly those of one
  ``rng.integers(0, n, (n_boot, n))`` call, so results equal the unblocked computation.
- :func:`blb_subsets`: the bag of little bootstraps (Kleiner, Talwalkar, Sarkar & Jordan, "A
  scalable bootstrap for massive data", JRSS-B 2014): ``s`` random subsets of ``b = n ** 0.6``
  rows, each resampled ``r`` times with Poisson(n / b) weights (a resample of ``n`` rows). A replicate
  costs ``b`` instead of ``n``; the spread of the replicates around each subset's own estimate is
  the spread of the full-data estimate, and the spread of that across subsets is the Monte-Carlo
  error that is reported.
- :func:`sum_replicates`: bootstrap replicates of the column sums of per-item statistics (BLEU and
  chrF n-gram counts, numerator/denominator pairs): an exact resampling as a product of count
  blocks with the statistics below ``ANALYTIC_N`` items, and above it their normal limit (the
  multivariate CLT for the resampled sums: mean ``n * mean``, covariance ``n * cov``), which costs
  ``B x k`` instead of ``B x n``.

``ANALYTIC_N`` is where the bootstrap of a mean stops adding anything: the percentile interval
and the t interval agree to a small fraction of the Monte-Carlo error of B = 2,000 percentiles
(tests/test_summarize_compare.py compares them against frozen figures of the previous code).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np

ANALYTIC_N = 5_000           # above: analytic / normal-limit intervals for sums and means
BLB_N = 5_000                 # above: correlations by the bag of little bootstraps
CHUNK_CELLS = 4_000_000      # resamples x rows drawn at once (int64: 32 MB)
BLB_EXPONENT = 0.6
BLB_REPS = 100               # resamples per subset (Kleiner et al.: 50-100 suffice)


def counts(idx: np.ndarray, n: int) -> np.ndarray:
    """Per-row draw counts (b, n) int32 from drawn indices (b, n)."""
    b = idx.shape[0]
    flat = (idx + (np.arange(b) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n).astype(np.int32)


def weight_blocks(n: int, n_boot: int, rng: np.random.Generator, clusters: np.ndarray | None = None,
                  cells: int = CHUNK_CELLS) -> Iterator[np.ndarray]:
    """Resample weights ``(block, n)`` int32, ``n_boot`` rows in all, a block at a time.

    Without clusters each block is ``counts(rng.integers(0, n, (block, n)))``: concatenated, the
    blocks equal the weights of one ``(n_boot, n)`` draw. With ``clusters`` (integer codes per row)
    whole clusters are drawn and each row inherits its cluster's count.

    >>> rng = np.random.default_rng(0)
    >>> sum(w.shape[0] for w in weight_blocks(10, 7, rng, cells=20))
    7
    """
    if clusters is None:
        step = max(1, cells // max(n, 1))
        for lo in range(0, n_boot, step):
            yield counts(rng.integers(0, n, size=(min(step, n_boot - lo), n)), n)
        return
    codes = np.asarray(clusters)
    groups = int(codes.max()) + 1 if len(codes) else 0
    step = max(1, cells // max(n, groups, 1))
    for lo in range(0, n_boot, step):
        size = min(step, n_boot - lo)
        yield counts(rng.integers(0, groups, size=(size, groups)), groups)[:, codes]


@dataclass(frozen=True)
class BlbPlan:
    """How a bag of little bootstraps is laid out: ``subsets`` x ``reps`` resamples of ``size`` rows."""

    n: int
    subsets: int
    size: int
    reps: int

    def describe(self) -> str:
        return (f"bag of little bootstraps (n > {BLB_N:,}): {self.subsets} subsets of {self.size:,} rows "
                f"(n^{BLB_EXPONENT:g}) x {self.reps} resamples")


def blb_plan(n: int, n_boot: int) -> BlbPlan:
    """``n_boot`` resamples in all: ``n_boot // BLB_REPS`` subsets (at least 4) of ``n ** 0.6`` rows."""
    reps = min(BLB_REPS, max(10, n_boot // 4))
    subsets = max(4, n_boot // reps)
    return BlbPlan(n, subsets, max(2, min(n, int(round(n ** BLB_EXPONENT)))), reps)


def blb_subsets(plan: BlbPlan, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(row indices of a subset, weights ``(1 + reps, size)``) per subset.

    Row 0 of the weights is all ones (the subset's own estimate, the centre); rows 1.. are
    independent ``Poisson(n / size)`` counts: the Poisson form of the multinomial(n, 1 / size)
    resample (each resample has ``n`` rows up to a relative ``1 / sqrt(n)``), drawn vectorised;
    numpy's multinomial over thousands of cells costs ~20x more.
    """
    for _ in range(plan.subsets):
        idx = np.sort(rng.choice(plan.n, size=plan.size, replace=False))
        w = np.empty((plan.reps + 1, plan.size), dtype=np.int64)
        w[0] = 1
        w[1:] = rng.poisson(plan.n / plan.size, size=(plan.reps, plan.size))
        yield idx, w


def blb_pool(estimate_z: float, centres_z: np.ndarray, reps_z: np.ndarray) -> tuple[np.ndarray, float]:
    """Pooled replicates on the z scale, each subset's spread moved onto the full estimate, and
    the relative Monte-Carlo error of their SD (SD of the per-subset SDs over sqrt(subsets), over
    their mean).

    ``centres_z`` (s,), ``reps_z`` (s, r); NaN replicates stay NaN (counted as failed later).
    """
    pooled = reps_z - centres_z[:, None] + estimate_z
    with np.errstate(invalid="ignore"):
        sds = np.nanstd(reps_z, axis=1, ddof=1)
    sds = sds[np.isfinite(sds)]
    mc = float(np.std(sds, ddof=1) / math.sqrt(len(sds)) / np.mean(sds)) if len(sds) > 1 and np.mean(sds) > 0 \
        else math.nan
    return pooled.ravel(), mc


def sum_replicates(stats: np.ndarray, n_boot: int, seed: int) -> tuple[np.ndarray, str]:
    """Bootstrap replicates ``(n_boot, k)`` of ``stats.sum(axis=0)`` over resampled rows, and how.

    ``stats`` is ``(n, k)`` per-item statistics (NaN rows removed by the caller). The replicates
    depend only on ``(stats, n_boot, seed)``: the columns of two aligned sides stacked side by side
    are resampled jointly (a paired bootstrap). Up to ``ANALYTIC_N`` rows: exact resampling,
    ``counts @ stats`` a block at a time. Above: the normal limit of the resampled sums.

    >>> reps, how = sum_replicates(np.ones((5, 2)), 3, 0)
    >>> reps.tolist(), how
    ([[5.0, 5.0], [5.0, 5.0], [5.0, 5.0]], 'exact resampling')
    """
    stats = np.asarray(stats, dtype=float)
    n, k = stats.shape
    rng = np.random.default_rng(seed)
    if n <= ANALYTIC_N:
        out = np.empty((n_boot, k))
        lo = 0
        for w in weight_blocks(n, n_boot, rng):
            out[lo:lo + len(w)] = w @ stats
            lo += len(w)
        return out, "exact resampling"
    mean = stats.mean(axis=0)
    centred = stats - mean
    cov = centred.T @ centred / n
    vals, vecs = np.linalg.eigh(cov)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    z = rng.standard_normal((n_boot, k))
    return n * mean + math.sqrt(n) * (z @ root.T), f"normal limit of the resampled sums (n > {ANALYTIC_N:,})"

"""Correlation coefficients with confidence intervals, fast vectorised (cluster) bootstrap.

Point estimates and iid p-values come from scipy (``pearsonr``, ``spearmanr``, ``kendalltau``
tau-b). Intervals:

* Pearson, independent rows: Fisher z interval (scipy's ``confidence_interval``).
* Pearson with heavy tails (excess kurtosis > 3 in either column): percentile bootstrap, and
  ``ci_method`` recommends Spearman.
* Spearman and Kendall below 100 rows: Fisher z with an analytic SE (Bonett-Wright; Fieller-
  Hartley-Pearson, tie-aware for Kendall) and the Wald test on the same z, so the p-value and the
  interval agree. From 100 rows: normal interval on Fisher z with the bootstrap SE.
* Any coefficient with a ``clusters`` column: up to 200 clusters, the delete-one-cluster jackknife
  SE on Fisher z with t(G - 1) (CV3); more clusters: whole clusters are resampled (items that
  share a source document or context are not independent; resampling rows would make intervals
  too narrow), and the p-value is a t test on Fisher's z with the bootstrap standard error.

Speed: a bootstrap resample is a vector of integer weights (how often each row was drawn), so
every coefficient is computed from weighted sums. Each column is sorted once; per resample the
tie-aware mid-ranks come from cumulative weights of the sorted levels (ranking each resample by
argsort is wrong with ties). Kendall's tau-b comes from the weighted contingency table of the two
columns' levels when it is small enough (a scipy loop otherwise). Results equal scipy applied to
the resampled rows (to ~1e-12).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from .._errors import SmallSampleWarning

METHODS = ("pearson", "spearman", "kendall")
MIN_N = 10                 # fewer points: CI = [-1, 1], status "too few points" (docs/threat-model.md S02)
MAX_FAILED_FRACTION = 0.1  # more degenerate (constant) resamples than this: CI = [-1, 1]
_CHUNK_CELLS = 4_000_000   # resamples x cells processed at once (memory ~ 32 MB per array)
_KENDALL_TABLE_MAX = 250_000
_SPEARMAN_TABLE_MAX = 256   # joint levels for the one-hot (BLAS) path
_STEP = 16                  # resamples per block in boot_spearman (measured fastest: cache-sized)


@dataclass(frozen=True)
class CorrelationEstimate:
    """One coefficient with its interval.

    ``status`` is ``"ok"``, ``"too few points"``, ``"constant input"`` or
    ``"unstable bootstrap"``; ``se_z`` is the standard error on Fisher's z scale (used to compare
    two windows); ``n_failed`` counts degenerate bootstrap resamples that were dropped.
    """

    method: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    n_clusters: int | None
    ci_method: str
    status: str
    se_z: float
    n_boot: int = 0
    n_failed: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


# ----------------------------------------------------------------------------------------
# resampling weights
# ----------------------------------------------------------------------------------------
def bootstrap_weights(n: int, n_boot: int, seed: int | np.random.Generator = 0,
                      clusters: np.ndarray | None = None) -> np.ndarray:
    """Resample weights, shape ``(n_boot, n)``: how many times each row is drawn (read-only).

    Without clusters the draws are ``rng.integers(0, n, (n_boot, n))`` (so a naive loop using
    the same generator sees the same resamples). With ``clusters`` (integer codes per row),
    whole clusters are drawn with replacement and each row inherits its cluster's count.

    >>> bootstrap_weights(4, 2, seed=0).sum(axis=1).tolist()
    [4, 4]
    """
    if isinstance(seed, np.random.Generator):
        return _draw(n, n_boot, seed, clusters)
    key = (n, n_boot, int(seed), None if clusters is None else hash(np.asarray(clusters).tobytes()))
    hit = _WEIGHTS.get(key)
    if hit is None:
        hit = _draw(n, n_boot, np.random.default_rng(seed), clusters)
        hit.flags.writeable = False
        if len(_WEIGHTS) >= 4:  # the same resamples serve every target and method of one call
            _WEIGHTS.pop(next(iter(_WEIGHTS)))
        _WEIGHTS[key] = hit
    return hit


_WEIGHTS: dict[tuple, np.ndarray] = {}


def _draw(n: int, n_boot: int, rng: np.random.Generator, clusters: np.ndarray | None) -> np.ndarray:
    if clusters is None:
        idx = rng.integers(0, n, size=(n_boot, n))
        return _counts(idx, n)
    codes = np.asarray(clusters)
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    idx = rng.integers(0, n_groups, size=(n_boot, n_groups))
    return _counts(idx, n_groups)[:, codes]


def _counts(idx: np.ndarray, n: int) -> np.ndarray:
    b = idx.shape[0]
    flat = (idx + (np.arange(b) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n).astype(np.int32)


def _levels(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, level starts in sorted order, level code per row): one sort per column."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    new = np.empty(len(xs), dtype=bool)
    new[:1] = True
    np.not_equal(xs[1:], xs[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    codes = np.empty(len(x), dtype=np.int64)
    codes[order] = np.cumsum(new) - 1
    return order, starts, codes


# ----------------------------------------------------------------------------------------
# bootstrap replicates
# ----------------------------------------------------------------------------------------
def _indicator(codes: np.ndarray, k: int):
    """Sparse (k, n) level-indicator matrix: ``G @ w`` sums the weights within each level."""
    from scipy import sparse

    return sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(k, len(codes)))


def boot_spearman(xs: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Spearman rho of each column of ``xs`` (n, m) with ``y`` for every resample.

    ``weights`` (n_boot, n) are resample counts. Returns (n_boot, m); NaN where a resample is
    constant in either variable. Each column is sorted once into levels; per resample the level
    weights C_k come from one sparse product (level indicator x weights), the tie-aware mid-ranks
    from their cumulative sums, and with N the total weight:
    sum of squares = (N^3 - N - sum(C_k^3 - C_k)) / 12, cross-product =
    sum_k midrank_k * (sum over rows at level k of w_i * rank_y(i)) - N ((N + 1) / 2)^2.
    When the joint table of x and y levels is small (judge scores or flags against a binary or
    1-5 KPI) the whole computation runs on that table instead.
    """
    xs = np.asarray(xs, dtype=float).reshape(len(y), -1)
    n_boot, n = weights.shape
    _, y_starts, y_codes = _levels(np.asarray(y, dtype=float))
    ky = len(y_starts)
    g_y = _indicator(y_codes, ky)
    plans = []
    for j in range(xs.shape[1]):
        _, starts, codes = _levels(xs[:, j])
        if len(starts) * ky <= _SPEARMAN_TABLE_MAX:
            plans.append(("table", len(starts), _indicator(y_codes * len(starts) + codes, len(starts) * ky)))
        else:
            plans.append(("levels", len(starts), _indicator(codes, len(starts))))
    out = np.empty((n_boot, xs.shape[1]))
    step = max(1, min(_STEP, _CHUNK_CELLS // max(n, 1)))  # a few dozen resamples at a time stay in cache
    for lo in range(0, n_boot, step):
        wt = np.ascontiguousarray(weights[lo:lo + step].T, dtype=np.float64)   # (n, b)
        b = wt.shape[1]
        total = wt.sum(axis=0)
        cy = g_y @ wt
        ry = np.cumsum(cy, axis=0) - (cy - 1) / 2
        syy = (total ** 3 - total - (np.einsum("kb,kb,kb->b", cy, cy, cy) - total)) / 12
        both = None
        for j, (kind, kx, g) in enumerate(plans):
            if kind == "table":
                table = (g @ wt).reshape(ky, kx, b)
                cx = table.sum(axis=0)
                rx = np.cumsum(cx, axis=0) - (cx - 1) / 2
                sxy = np.einsum("cab,ab,cb->b", table, rx, ry)
            else:
                if both is None:  # weights and weight x y-rank side by side: one product per column
                    both = np.concatenate([wt, wt * ry[y_codes]], axis=1)
                sums = g @ both
                cx, zx = sums[:, :b], sums[:, b:]
                rx = np.cumsum(cx, axis=0)
                rx -= 0.5 * cx
                rx += 0.5
                sxy = np.einsum("kb,kb->b", rx, zx)
            sxx = (total ** 3 - total - (np.einsum("kb,kb,kb->b", cx, cx, cx) - total)) / 12
            sxy = sxy - total * ((total + 1) / 2) ** 2
            with np.errstate(invalid="ignore", divide="ignore"):
                out[lo:lo + b, j] = _clip(sxy / np.sqrt(sxx * syy), sxx, syy)
    return out


def boot_pearson(xs: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Pearson r of each column of ``xs`` with ``y`` for every resample, from weighted sums."""
    xs = np.asarray(xs, dtype=float).reshape(len(y), -1)
    y = np.asarray(y, dtype=float)
    weights = weights.astype(np.float64, copy=False)
    # centre first: weighted sums of centred values lose no precision
    xc = xs - xs.mean(axis=0)
    yc = y - y.mean()
    total = weights.sum(axis=1)[:, None]
    sx = weights @ xc
    sy = (weights @ yc)[:, None]
    sxx = weights @ (xc ** 2) - sx ** 2 / total
    syy = (weights @ (yc ** 2))[:, None] - sy ** 2 / total
    sxy = weights @ (xc * yc[:, None]) - sx * sy / total
    tol = 1e-12 * np.maximum(1.0, np.abs(weights @ (xc ** 2)))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = sxy / np.sqrt(sxx * syy)
    r[(sxx <= tol) | (syy <= 1e-12 * np.maximum(1.0, np.abs((weights @ (yc ** 2))[:, None])))] = np.nan
    return np.clip(r, -1.0, 1.0)


def _joint_tables(x_codes: np.ndarray, kx: int, y_codes: np.ndarray, ky: int, w: np.ndarray) -> np.ndarray:
    """Weighted contingency tables (b, ky, kx) of the two columns' levels, one per resample."""
    g = _indicator(y_codes * kx + x_codes, ky * kx)
    sums = g @ np.ascontiguousarray(w.T, dtype=np.float64)
    return np.ascontiguousarray(sums.T).astype(np.int64).reshape(-1, ky, kx)


def boot_kendall(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Kendall tau-b of ``x`` with ``y`` for every resample.

    Uses the weighted contingency table of the two columns' levels when it has at most
    250,000 cells (e.g. any metric against a binary or 1-5 KPI): concordant and discordant
    pair counts are sums of the table times its 2-D cumulative sums. Otherwise loops over
    resamples with scipy.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    _, _, gx = _levels(x)
    _, _, gy = _levels(y)
    kx, ky = int(gx.max()) + 1, int(gy.max()) + 1
    if kx * ky > _KENDALL_TABLE_MAX:
        return _boot_kendall_loop(x, y, weights)
    if ky > kx:  # tau is symmetric: keep the longer axis contiguous
        gx, gy, kx, ky = gy, gx, ky, kx
    out = np.empty(weights.shape[0])
    step = max(1, min(256, _CHUNK_CELLS // max(kx * ky, len(x), 1)))
    for lo in range(0, weights.shape[0], step):
        w = weights[lo:lo + step].astype(np.int64)
        table = _joint_tables(gx, kx, gy, ky, w)
        below = np.add.accumulate(table, axis=2, dtype=np.int64) - table   # x' < x, same y
        cum = np.add.accumulate(below, axis=1, dtype=np.int64)              # x' < x, y' <= y
        lower = cum - below                                                 # x' < x, y' < y
        upper = cum[:, -1:, :] - cum                                        # x' < x, y' > y
        concordant = np.einsum("bij,bij->b", table, lower).astype(np.float64)
        discordant = np.einsum("bij,bij->b", table, upper).astype(np.float64)
        total = table.sum(axis=(1, 2)).astype(np.float64)
        pairs = total * (total - 1) / 2
        nx = table.sum(axis=1).astype(np.float64)
        ny = table.sum(axis=2).astype(np.float64)
        tx = (nx * (nx - 1) / 2).sum(axis=1)
        ty = (ny * (ny - 1) / 2).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            tau = (concordant - discordant) / np.sqrt((pairs - tx) * (pairs - ty))
        tau[(pairs - tx <= 0) | (pairs - ty <= 0)] = np.nan
        out[lo:lo + step] = np.clip(tau, -1.0, 1.0)
    return out


def _boot_kendall_loop(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    from scipy import stats
    from tqdm.auto import tqdm

    out = np.empty(weights.shape[0])
    counts = weights.astype(np.int64)
    for b in tqdm(range(weights.shape[0]), desc="kendall bootstrap", leave=False,
                  disable=len(x) * weights.shape[0] < 5_000_000):
        xb, yb = np.repeat(x, counts[b]), np.repeat(y, counts[b])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[b] = stats.kendalltau(xb, yb).statistic
    return out


def _clip(r: np.ndarray, sxx: np.ndarray, syy: np.ndarray) -> np.ndarray:
    r = np.clip(r, -1.0, 1.0)
    r[(sxx <= 1e-9) | (syy <= 1e-9)] = np.nan
    return r


def boot_replicates(method: str, xs: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Replicates (n_boot, m) of ``method`` for each column of ``xs`` against ``y``."""
    xs = np.asarray(xs, dtype=float).reshape(len(y), -1)
    if method == "spearman":
        return boot_spearman(xs, y, weights)
    if method == "pearson":
        return boot_pearson(xs, y, weights)
    if method == "kendall":
        return np.column_stack([boot_kendall(xs[:, j], y, weights) for j in range(xs.shape[1])])
    raise ValueError(f"unknown correlation method '{method}'; choose from {', '.join(METHODS)}")


# ----------------------------------------------------------------------------------------
# point estimates and intervals
# ----------------------------------------------------------------------------------------
def point_estimate(method: str, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(estimate, iid p-value) from scipy; tau-b for Kendall."""
    from scipy import stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "pearson":
            res = stats.pearsonr(x, y)
        elif method == "spearman":
            res = stats.spearmanr(x, y)
        elif method == "kendall":
            res = stats.kendalltau(x, y, variant="b")
        else:
            raise ValueError(f"unknown correlation method '{method}'; choose from {', '.join(METHODS)}")
    return float(res.statistic), float(res.pvalue)


def fisher_interval(r: float, n_eff: float, ci: float = 0.95, se_scale: float = 1.0) -> tuple[float, float, float]:
    """Fisher z interval: (low, high, se_z) with se_z = se_scale / sqrt(n_eff - 3)."""
    from scipy import stats

    if n_eff <= 3 or not np.isfinite(r):
        return -1.0, 1.0, math.inf
    se = se_scale / math.sqrt(n_eff - 3)
    z = math.atanh(min(max(r, -1 + 1e-15), 1 - 1e-15))
    q = stats.norm.ppf(0.5 + ci / 2)
    return math.tanh(z - q * se), math.tanh(z + q * se), se


# ----------------------------------------------------------------------------------------
# analytic intervals: rank coefficients at small n, heavy-tail detection for Pearson
# ----------------------------------------------------------------------------------------
RANK_ANALYTIC_MAX_N = 100   # Spearman / Kendall below this many rows: analytic SE on Fisher z
HEAVY_KURTOSIS = 3.0        # excess kurtosis above this in x or y: Pearson's Fisher z is not valid


def excess_kurtosis(x: np.ndarray) -> float:
    """Sample excess kurtosis (0 for normal data; lognormal latencies give 5-100).

    >>> round(excess_kurtosis(np.array([1.0, 2.0, 3.0, 4.0])), 2)
    -1.36
    """
    d = np.asarray(x, dtype=float) - np.mean(x)
    m2 = float(np.mean(d * d))
    return float(np.mean(d ** 4) / (m2 * m2) - 3.0) if m2 > 0 else 0.0


def _has_ties(v: np.ndarray) -> bool:
    return len(np.unique(v)) < len(v)


def kendall_ase(x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    """(tau-b, its tie-aware asymptotic SE) from the contingency table of the two columns' levels.

    The delta-method variance of Brown & Benedetti (1977) that SAS PROC FREQ reports as ASE;
    it holds with any tie pattern (the fixed 0.437 / (n - 4) of Fieller, Hartley & Pearson 1957
    assumes none). None when the level table has more than 250,000 cells.

    >>> tau, se = kendall_ase(np.array([1, 2, 3, 4, 5.0]), np.array([1, 3, 2, 4, 5.0]))
    >>> round(tau, 3)
    0.8
    """
    _, sx, cx = _levels(np.asarray(x, dtype=float))
    _, sy, cy = _levels(np.asarray(y, dtype=float))
    kx, ky = len(sx), len(sy)
    if kx * ky > _KENDALL_TABLE_MAX:
        return None
    t = np.bincount(cx * ky + cy, minlength=kx * ky).reshape(kx, ky).astype(float)
    n = t.sum()
    c = t.cumsum(axis=0).cumsum(axis=1)                       # i' <= i, j' <= j
    p = np.pad(c, ((1, 0), (1, 0)))                           # p[i, j]: i' < i, j' < j
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    r_le, c_le = np.cumsum(rows), np.cumsum(cols)
    r_lt, c_lt = r_le - rows, c_le - cols
    lower = p[:-1, :-1]                                       # i' < i, j' < j
    upper = n - r_le[:, None] - c_le[None, :] + c             # i' > i, j' > j
    lt_gt = r_lt[:, None] - p[:-1, 1:]                        # i' < i, j' > j
    gt_lt = c_lt[None, :] - p[1:, :-1]                        # i' > i, j' < j
    d = (lower + upper) - (lt_gt + gt_lt)                     # concordant - discordant per cell
    wr, wc = n * n - (rows ** 2).sum(), n * n - (cols ** 2).sum()
    if wr <= 0 or wc <= 0:
        return None
    w = math.sqrt(wr * wc)
    tau = float((t * d).sum() / w)
    v = rows[:, None] * wc + cols[None, :] * wr
    var = float((t * (2 * w * d + tau * v) ** 2).sum() - n ** 3 * tau ** 2 * (wr + wc) ** 2)
    return tau, math.sqrt(max(var, 0.0)) / (w * w)


def rank_se_z(method: str, x: np.ndarray, y: np.ndarray, r: float) -> tuple[float, str]:
    """Standard error of ``atanh(r)`` for Spearman or Kendall, and the name of the formula.

    * Spearman: Bonett & Wright (2000), ``sqrt((1 + r^2 / 2) / (n - 3))``;
    * Kendall without ties: Fieller, Hartley & Pearson (1957), ``sqrt(0.437 / (n - 4))``;
    * Kendall with ties: the tie-aware delta-method SE of tau-b (:func:`kendall_ase`) carried to
      the z scale, ``ASE / (1 - tau^2) * sqrt(n / (n - 4))``.

    These cover 94-97% at n = 10-30 where the bootstrap SE of atanh(r) covered 98.7-99.3%
    (benchmarks/bench_calibration.py).
    """
    n = len(x)
    if method == "spearman":
        return math.sqrt((1 + r * r / 2) / (n - 3)), "Bonett-Wright SE"
    if not (_has_ties(x) or _has_ties(y)):
        return math.sqrt(0.437 / (n - 4)), "Fieller-Hartley-Pearson SE"
    res = kendall_ase(x, y)
    if res is None:  # a huge level table: FHP scaled by the tie-corrected null variance
        return math.sqrt(0.437 * _tie_factor(x, y) / (n - 4)), "Fieller-Hartley-Pearson SE, tie-corrected"
    tau, ase = res
    return ase / max(1 - tau * tau, 1e-12) * math.sqrt(n / (n - 4)), "tie-aware SE (Brown-Benedetti)"


def _tie_factor(x: np.ndarray, y: np.ndarray) -> float:
    """Null variance of tau-b with these ties over the no-tie null variance (Kendall 1945)."""
    n = len(x)

    def sums(v):
        _, c = np.unique(v, return_counts=True)
        c = c.astype(float)
        return (c * (c - 1)).sum(), (c * (c - 1) * (2 * c + 5)).sum(), (c * (c - 1) * (c - 2)).sum()

    a1, a2, a3 = sums(x)
    b1, b2, b3 = sums(y)
    n0 = n * (n - 1) / 2
    var_s = (n * (n - 1) * (2 * n + 5) - a2 - b2) / 18 + a1 * b1 / (2 * n * (n - 1)) \
        + a3 * b3 / (9 * n * (n - 1) * (n - 2))
    var_b = var_s / ((n0 - a1 / 2) * (n0 - b1 / 2))
    return var_b / (2 * (2 * n + 5) / (9 * n * (n - 1)))


def _rank_analytic(method: str, x: np.ndarray, y: np.ndarray, est: float, ci: float) -> CorrelationEstimate:
    """Fisher z interval with an analytic SE, and the Wald test on the same z and SE, so that
    p < 1 - ci exactly when the interval excludes 0."""
    from scipy import stats

    n = len(x)
    se, formula = rank_se_z(method, x, y, est)
    zhat = math.atanh(min(max(est, -1 + 1e-12), 1 - 1e-12))
    crit = float(stats.norm.ppf(0.5 + ci / 2))
    p = float(2 * stats.norm.sf(abs(zhat) / se)) if se > 0 else 0.0
    return CorrelationEstimate(method, est, math.tanh(zhat - crit * se), math.tanh(zhat + crit * se), p, n, None,
                               f"Fisher z, {formula} (n < {RANK_ANALYTIC_MAX_N}); p: Wald test on the same z",
                               "ok", se)


JACKKNIFE_MAX_CLUSTERS = 200  # up to this many clusters: delete-one-cluster jackknife SE (CV3)


def _cluster_jackknife(method: str, x: np.ndarray, y: np.ndarray, codes: np.ndarray, n_clusters: int,
                       est: float, ci: float) -> CorrelationEstimate:
    """Delete-one-cluster jackknife SE of atanh(r) with a t(G - 1) reference (CV3).

    With few clusters the cluster bootstrap is anti-conservative (8.3-9.0% type I at 20-50
    clusters, ICC 0.7, issue 15); the jackknife variance (MacKinnon, Nielsen & Webb 2023, "CV3")
    is the recommended small-cluster correction and measured 5.0-5.7% there.
    """
    from scipy import stats

    g = n_clusters
    if method == "pearson":  # leave-one-cluster-out sums: O(n) for all G fits
        xc, yc = x - x.mean(), y - y.mean()
        sums = [np.bincount(codes, weights=v, minlength=g) for v in (np.ones(len(x)), xc, yc, xc * xc, yc * yc, xc * yc)]
        nn, sx, sy, sxx, syy, sxy = [s.sum() - s for s in sums]
        with np.errstate(invalid="ignore", divide="ignore"):
            reps = (sxy - sx * sy / nn) / np.sqrt((sxx - sx ** 2 / nn) * (syy - sy ** 2 / nn))
    else:
        reps = np.empty(g)
        for k in range(g):
            keep = codes != k
            xk, yk = x[keep], y[keep]
            reps[k] = point_estimate(method, xk, yk)[0] if np.ptp(xk) > 0 and np.ptp(yk) > 0 else np.nan
    ok = reps[np.isfinite(reps)]
    if len(ok) < g:
        return CorrelationEstimate(method, est, -1.0, 1.0, math.nan, len(x), g,
                                   f"none: {g - len(ok)} of {g} leave-one-cluster-out fits were constant",
                                   "unstable bootstrap", math.inf)
    z = np.arctanh(np.clip(ok, -1 + 1e-12, 1 - 1e-12))
    se = float(math.sqrt((g - 1) / g * ((z - z.mean()) ** 2).sum()))
    zhat = math.atanh(min(max(est, -1 + 1e-12), 1 - 1e-12))
    crit = float(stats.t.ppf(0.5 + ci / 2, g - 1))
    p = float(2 * stats.t.sf(abs(zhat) / se, g - 1)) if se > 0 else math.nan
    return CorrelationEstimate(method, est, math.tanh(zhat - crit * se), math.tanh(zhat + crit * se), p, len(x), g,
                               f"cluster jackknife SE on Fisher z ({g} clusters, t df={g - 1}; CV3); "
                               "p: t test on the same z", "ok", se)


def correlations(xs: np.ndarray, y: np.ndarray, method: str, *, names: Sequence[str] | None = None,
                 clusters: np.ndarray | None = None, n_boot: int = 2000, ci: float = 0.95,
                 seed: int = 0, min_n: int = MIN_N, force_bootstrap: bool = False) -> list[CorrelationEstimate]:
    """Coefficient, CI and p-value of each column of ``xs`` against ``y`` (rows complete).

    All columns share the same resamples (one weight matrix), which is what makes many metrics
    against one KPI cheap. Rows with a missing value must be dropped by the caller.

    Examples
    --------
    >>> rng = np.random.default_rng(1); x = rng.normal(size=200); y = x + rng.normal(size=200)
    >>> est = correlations(x[:, None], y, "spearman", n_boot=500)[0]
    >>> est.ci_low < est.estimate < est.ci_high
    True
    """
    from scipy import stats

    xs = np.asarray(xs, dtype=float).reshape(len(y), -1)
    y = np.asarray(y, dtype=float)
    n = len(y)
    if clusters is None:
        # canonical row order before resampling: the interval must not depend on row order
        order = np.lexsort(np.column_stack([xs, y]).T[::-1])
        xs, y = xs[order], y[order]
    codes = None
    n_clusters = None
    if clusters is not None:
        _, codes = np.unique(np.asarray(clusters), return_inverse=True)
        n_clusters = int(codes.max()) + 1 if n else 0
    results: list[CorrelationEstimate | None] = [None] * xs.shape[1]
    pending = []
    heavy: dict[int, float] = {}   # Pearson columns with heavy tails: percentile bootstrap
    for j in range(xs.shape[1]):
        x = xs[:, j]
        units = n_clusters if n_clusters is not None else n
        if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
            status = "too few points" if n < 3 else "constant input"
            results[j] = CorrelationEstimate(method, math.nan, -1.0, 1.0, math.nan, n, n_clusters,
                                             status, status, math.inf)
            continue
        est, p = point_estimate(method, x, y)
        if units < min_n:
            # no p-value either: a "significant" rho from 4 points would be read as evidence
            results[j] = CorrelationEstimate(method, est, -1.0, 1.0, math.nan, n, n_clusters,
                                             f"none: too few points ({units} < {min_n})", "too few points", math.inf)
            continue
        if codes is not None and not force_bootstrap and n_clusters <= JACKKNIFE_MAX_CLUSTERS:
            results[j] = _cluster_jackknife(method, x, y, codes, n_clusters, est, ci)
            continue
        if method != "pearson" and codes is None and not force_bootstrap and n < RANK_ANALYTIC_MAX_N:
            results[j] = _rank_analytic(method, x, y, est, ci)
            continue
        if method == "pearson" and codes is None and not force_bootstrap:
            kurt = max(excess_kurtosis(x), excess_kurtosis(y))
            if kurt <= HEAVY_KURTOSIS:
                lo, hi = stats.pearsonr(x, y).confidence_interval(confidence_level=ci)
                _, _, se = fisher_interval(est, n, ci)
                results[j] = CorrelationEstimate(method, est, float(lo), float(hi), p, n, None, "fisher z", "ok", se)
                continue
            heavy[j] = kurt
        pending.append((j, est, p))
    if pending:
        cols = [j for j, _, _ in pending]
        reps, how = _replicates(method, xs[:, cols], y, n_boot, seed, codes, [est for _, est, _ in pending])
        for k, (j, est, p) in enumerate(pending):
            results[j] = _from_replicates(method, est, p, reps[:, k], n, n_clusters, ci, n_boot,
                                          heavy_tails=heavy.get(j))
            if how:
                results[j] = replace(results[j], ci_method=f"{results[j].ci_method}; {how}")
    return results  # type: ignore[return-value]


def _from_replicates(method: str, est: float, p: float, reps: np.ndarray, n: int, n_clusters: int | None,
                     ci: float, n_boot: int, heavy_tails: float | None = None) -> CorrelationEstimate:
    from scipy import stats

    ok = reps[np.isfinite(reps)]
    failed = int(len(reps) - len(ok))
    if len(ok) < 20 or failed > MAX_FAILED_FRACTION * len(reps):
        return CorrelationEstimate(method, est, -1.0, 1.0, p, n, n_clusters,
                                   f"none: {failed} of {len(reps)} resamples were constant",
                                   "unstable bootstrap", math.inf, n_boot, failed)
    if heavy_tails is not None:
        # Fisher z's SE 1/sqrt(n-3) assumes normal data: on lognormal data it covered 69-74%
        # at n = 100-1000. The percentile bootstrap covers ~92% at n = 30-100 and ~96% at 1000;
        # Spearman is the better coefficient for such columns, and the method says so.
        alpha = 1 - ci
        lo, hi = np.quantile(ok, [alpha / 2, 1 - alpha / 2])
        p = float(min(1.0, 2 * (min((ok <= 0).sum(), (ok >= 0).sum()) + 1) / (len(ok) + 1)))
        z = np.arctanh(np.clip(ok, -1 + 1e-12, 1 - 1e-12))
        return CorrelationEstimate(method, est, float(min(lo, est)), float(max(hi, est)), p, n, None,
                                   f"bootstrap percentile (B={n_boot}): heavy tails (excess kurtosis "
                                   f"{heavy_tails:.1f} > {HEAVY_KURTOSIS:g}), Fisher z would be too narrow; "
                                   "prefer spearman for such columns; p: bootstrap",
                                   "ok", float(np.std(z, ddof=1)), n_boot, failed)
    # Normal interval on Fisher's z with the bootstrap standard error: z makes the sampling
    # distribution of a correlation close to normal; this interval covered better in
    # the calibration benchmark (Spearman 93.8%, Kendall 94.3% at n=100 over 1,000 datasets) where
    # plain percentile intervals under-covered (Spearman 93.3%).
    z = np.arctanh(np.clip(ok, -1 + 1e-12, 1 - 1e-12))
    se_z = float(np.std(z, ddof=1))
    zhat = math.atanh(min(max(est, -1 + 1e-12), 1 - 1e-12))
    if n_clusters is not None:
        # few clusters: small-sample factor sqrt(G / (G - 1)) and t with G - 1 df (as for
        # cluster-robust SEs); iid p-values from scipy are far too small here (docs/threat-model.md S03)
        g = max(n_clusters, 2)
        se_z *= math.sqrt(g / (g - 1))
        crit = float(stats.t.ppf(0.5 + ci / 2, g - 1))
        p = float(2 * stats.t.sf(abs(zhat) / se_z, g - 1)) if se_z > 0 else math.nan
        ci_method = f"cluster bootstrap SE on Fisher z (B={n_boot}, {n_clusters} clusters, t df={g - 1})"
    else:
        crit = float(stats.norm.ppf(0.5 + ci / 2))
        ci_method = f"bootstrap SE on Fisher z (B={n_boot})"
    lo, hi = math.tanh(zhat - crit * se_z), math.tanh(zhat + crit * se_z)
    return CorrelationEstimate(method, est, float(lo), float(hi), p, n, n_clusters, ci_method, "ok",
                               se_z, n_boot, failed)


def correlation(x: Sequence[float], y: Sequence[float], method: str = "spearman", **kwargs) -> CorrelationEstimate:
    """One coefficient with CI and p-value; rows with a missing value are dropped.

    >>> correlation([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12], "pearson").status
    'ok'
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    clusters = kwargs.pop("clusters", None)
    if clusters is not None:
        clusters = np.asarray(clusters)[keep]
    est = correlations(x[keep][:, None], y[keep], method, clusters=clusters, **kwargs)[0]
    if est.status != "ok":
        warnings.warn(f"{method} correlation: {est.status} (n={est.n}); CI set to [-1, 1]", SmallSampleWarning,
                      stacklevel=2)
    return est


# ----------------------------------------------------------------------------------------
# replicates at any n: weights a block at a time, the bag of little bootstraps beyond BLB_N
# ----------------------------------------------------------------------------------------
def _replicates(method: str, xs: np.ndarray, y: np.ndarray, n_boot: int, seed: int, codes: np.ndarray | None,
                estimates: Sequence[float]) -> tuple[np.ndarray, str]:
    """Replicates (n_boot, m) of ``method`` for each column of ``xs``, and a note on how they were made.

    Up to ``resample.BLB_N`` rows (or with clusters): the ordinary bootstrap, its weights drawn a
    block of resamples at a time (the same draws as one ``(n_boot, n)`` matrix, which is kept for
    reuse across methods and targets only while it is small). Beyond: the bag of little bootstraps
    (:mod:`evalnb.stats.resample`), whose pooled replicates are each subset's resamples moved onto
    the full-data estimate on Fisher's z scale; the note gives the layout and the Monte-Carlo error
    of the standard error.
    """
    from . import resample

    n = len(y)
    if codes is not None or n <= resample.BLB_N:
        if n * n_boot <= _CACHE_CELLS:
            return boot_replicates(method, xs, y, bootstrap_weights(n, n_boot, seed, codes)), ""
        rng = np.random.default_rng(seed)
        parts = [boot_replicates(method, xs, y, w) for w in resample.weight_blocks(n, n_boot, rng, codes)]
        return np.vstack(parts), ""
    rng = np.random.default_rng(seed)
    if method == "pearson":
        # r is a smooth function of five means: its bootstrap distribution converges to the normal
        # law with the influence-function (delta-method) variance, which costs O(n) and keeps the
        # tails (subsets of a bag of little bootstraps rarely hold a heavy tail's extremes)
        z = rng.standard_normal(n_boot)
        out = []
        for k, est in enumerate(estimates):
            x = xs[:, k]
            u = (x - x.mean()) / x.std()
            v = (y - y.mean()) / y.std()
            infl = u * v - est / 2 * (u * u + v * v)
            se_z = float(infl.std() / math.sqrt(n) / max(1 - est * est, 1e-12))
            ez = math.atanh(min(max(est, -1 + 1e-12), 1 - 1e-12))
            out.append(np.tanh(ez + se_z * z))
        return np.column_stack(out), (f"replicates from the bootstrap's normal limit (n > {resample.BLB_N:,}): "
                                      "influence-function SE of r on Fisher z")
    plan = resample.blb_plan(n, n_boot)
    centres, reps = [], []
    for idx, w in resample.blb_subsets(plan, rng):
        r = boot_replicates(method, xs[idx], y[idx], w)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.arctanh(np.clip(r, -1 + 1e-12, 1 - 1e-12))
        centres.append(z[0])
        reps.append(z[1:])
    centres_z, reps_z = np.array(centres), np.array(reps)          # (s, m), (s, r, m)
    out, errors = [], []
    for k, est in enumerate(estimates):
        ez = math.atanh(min(max(est, -1 + 1e-12), 1 - 1e-12))
        pooled, mc = resample.blb_pool(ez, centres_z[:, k], reps_z[:, :, k])
        out.append(np.tanh(pooled))
        errors.append(mc)
    worst = max((e for e in errors if math.isfinite(e)), default=math.nan)
    return np.column_stack(out), f"{plan.describe()}; Monte-Carlo error of the SE {worst:.1%}"


_CACHE_CELLS = 40_000_000   # a weight matrix up to this size (160 MB) is kept for reuse

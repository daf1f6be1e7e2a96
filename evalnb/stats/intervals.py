"""Confidence intervals and paired tests used by summarize, compare and worst_slices.

Every function returns an :class:`Interval` (or :class:`Difference`) that names its method, n and
any note about a degenerate case, so a caller never has to guess how a number was made.

- :func:`bootstrap_mean_ci`: seeded percentile bootstrap of the mean (Efron & Tibshirani 1993);
  studentised (bootstrap-t) when the sample is skewed and n < 1,000, each bound at least as far
  out as Student's t (conservative under symmetric heavy tails, Efron 1969), or for positive data
  with normal-looking logs, as the lognormal generalised pivotal interval (Krishnamoorthy &
  Mathew 2003).
  A constant sample gives the point for both bounds with a note (BCa would be NaN there).
- :func:`wilson_ci`: Wilson score interval for a proportion (Wilson 1927; Brown, Cai & DasGupta
  2001), through statsmodels' ``proportion_confint``. Never NaN at 0% or 100%.
- :func:`quantile_ci`: distribution-free order-statistic interval for a quantile (the binomial
  argument in Conover, *Practical Nonparametric Statistics*, 3rd ed., sec. 3.2), from
  ``scipy.stats.quantile_test``.
- :func:`paired_difference`: percentile bootstrap CI of the mean paired difference plus a
  sign-flip permutation p-value (scipy.stats.permutation_test) or McNemar's exact/chi-square test
  for 0/1 outcomes (statsmodels).
- :func:`unpaired_difference`: the same for two independent samples (bootstrap each sample,
  permutation p-value with random relabelling).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .resample import ANALYTIC_N

# Memory cap for one block of bootstrap index draws (int64 cells).
_BLOCK_CELLS = 4_000_000
# Samples with at most this many distinct values are bootstrapped over their levels (exact, fast).
MAX_LEVELS = 64
# Above this n (and with many distinct values) the mean's CI is the t interval, a paired or
# unpaired p-value the t-test, a ratio's CI the delta method: the bootstrap converges to them and
# would cost B x n draws (issue 11: 1M rows).
MAX_BOOT_N = ANALYTIC_N


@dataclass(frozen=True)
class Interval:
    """A point estimate with a confidence interval.

    Attributes
    ----------
    estimate, low, high : the point and the interval bounds (NaN only when n == 0).
    n : observations used (NaN rows excluded beforehand).
    method : how the interval was made, e.g. ``"bootstrap percentile (B=2000, seed=0)"``.
    confidence : nominal coverage, e.g. 0.95.
    note : degenerate cases ("constant sample", "p99 ~ max at this n"), else "".
    """

    estimate: float
    low: float
    high: float
    n: int
    method: str
    confidence: float = 0.95
    note: str = ""

    def contains(self, value: float) -> bool:
        return bool(self.low <= value <= self.high)


@dataclass(frozen=True)
class Difference:
    """Candidate minus baseline for one metric, with a CI and a p-value.

    ``paired`` says whether items were matched; ``test`` names the p-value's test.
    """

    baseline: float
    candidate: float
    difference: float
    low: float
    high: float
    p_value: float
    n_baseline: int
    n_candidate: int
    n_pairs: int
    paired: bool
    method: str
    test: str
    confidence: float = 0.95
    note: str = ""


def _clean(values) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    return arr[~np.isnan(arr)]


def _empty(method: str, confidence: float, note: str = "no observations") -> Interval:
    nan = float("nan")
    return Interval(nan, nan, nan, 0, method, confidence, note)


def bootstrap_distribution(values: np.ndarray, statistic: Callable[[np.ndarray], np.ndarray] | None = None,
                           n_boot: int = 2000, seed: int = 0) -> np.ndarray:
    """``n_boot`` bootstrap replicates of ``statistic`` (default: the mean) over ``values``.

    ``statistic`` takes a ``(b, n)`` array of resampled values and returns ``b`` numbers. Index
    draws are made in blocks so memory stays bounded for large n.

    >>> bootstrap_distribution(np.array([1.0, 2.0, 3.0]), n_boot=4, seed=0).shape
    (4,)
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    rng = np.random.default_rng(seed)
    stat = statistic or (lambda x: x.mean(axis=1))
    block = max(1, _BLOCK_CELLS // max(n, 1))
    out = np.empty(n_boot)
    for start in range(0, n_boot, block):
        size = min(block, n_boot - start)
        idx = rng.integers(0, n, size=(size, n))
        out[start:start + size] = stat(values[idx])
    return out


def _percentile_bounds(replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = 1.0 - confidence
    low, high = np.quantile(replicates, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def mean_replicates(x: np.ndarray, n_boot: int, seed: int) -> tuple[np.ndarray | None, str]:
    """Bootstrap replicates of the mean of sorted ``x``, or None when the t interval should be used.

    Few distinct values (judge scores 1-5, 0/1 flags): resampling n items is a multinomial draw
    over the levels, the same bootstrap distribution at a cost of B x levels instead of B x n.
    Above ``MAX_BOOT_N`` items with many distinct values the bootstrap would cost B x n draws and
    the t interval (what it converges to) is used instead. The string says which route ran.
    """
    n = len(x)
    levels, counts = np.unique(x, return_counts=True)
    if len(levels) <= MAX_LEVELS and n > len(levels):
        rng = np.random.default_rng(seed)
        return rng.multinomial(n, counts / n, size=n_boot) @ levels / n, f"; multinomial over {len(levels)} levels"
    if n > MAX_BOOT_N:
        return None, f"t interval (n > {MAX_BOOT_N:,}: the bootstrap converges to it)"
    return bootstrap_distribution(x, n_boot=n_boot, seed=seed), ""


# Skewed samples below this n get a studentised bootstrap (bootstrap-t) instead of percentiles.
SKEW_MAX_N = 1000
SKEW_MIN_N = 10  # below this the studentised bootstrap's SE is too noisy to help
SKEW_LIMIT = 0.5  # |sample skewness| above this counts as skewed (its SE is ~sqrt(6 / n): 0.45 at n=30)


def skewness(x: np.ndarray) -> float:
    """Sample skewness (0 for symmetric data; lognormal latencies and costs give 2-10).

    >>> skewness(np.array([1.0, 2.0, 3.0]))
    0.0
    """
    d = np.asarray(x, dtype=float) - np.mean(x)
    m2 = float(np.mean(d * d))
    return float(np.mean(d ** 3) / m2 ** 1.5) if m2 > 0 else 0.0


def _studentized_mean_bounds(x: np.ndarray, n_boot: int, seed: int, confidence: float) -> tuple[float, float]:
    """Bootstrap-t interval of the mean (Efron & Tibshirani 1993, ch. 12): quantiles of
    (mean* - mean) / se* set the bounds, which follow the skew of the data. On lognormal samples
    of 30 it covered ~93.5% where percentiles covered 87-90% (benchmarks/bench_calibration.py)."""
    n = len(x)
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK_CELLS // max(n, 1))
    t = np.empty(n_boot)
    point, se = float(x.mean()), float(x.std(ddof=1) / math.sqrt(n))
    for start in range(0, n_boot, block):
        size = min(block, n_boot - start)
        xb = x[rng.integers(0, n, size=(size, n))]
        with np.errstate(invalid="ignore", divide="ignore"):
            t[start:start + size] = (xb.mean(axis=1) - point) / (xb.std(axis=1, ddof=1) / math.sqrt(n))
    t = t[np.isfinite(t)]
    alpha = 1.0 - confidence
    lo_q, hi_q = np.quantile(t, [alpha / 2, 1 - alpha / 2])
    return point - float(hi_q) * se, point - float(lo_q) * se


LOGNORMAL_P = 0.05  # Shapiro-Wilk p-value on log(x) above which positive skewed data count as lognormal-like
_GPQ_DRAWS = 4000


def looks_lognormal(x: np.ndarray) -> bool:
    """True when every value is positive and Shapiro-Wilk does not reject normality of ``log(x)``.

    >>> looks_lognormal(np.exp(np.linspace(-2, 2, 30)))
    True
    >>> looks_lognormal(np.array([0.0, 1.0, 2.0, 3.0]))
    False
    """
    x = np.asarray(x, dtype=float)
    if len(x) < 3 or not (x > 0).all():
        return False
    from scipy.stats import shapiro

    y = np.log(x)
    return bool(np.ptp(y) > 0 and shapiro(y).pvalue > LOGNORMAL_P)


def lognormal_mean_bounds(x: np.ndarray, confidence: float, seed: int) -> tuple[float, float]:
    """Generalised pivotal interval for the mean exp(mu + sigma^2 / 2) of lognormal data
    (Krishnamoorthy & Mathew 2003, J. Stat. Plan. Inference 115: 103-121), seeded draws.

    The upper bound of a nonparametric interval (bootstrap-t, BCa, Hall's skew-corrected t) cannot
    see a right tail the sample lacks: on lognormal(0, 1) samples of 30 they missed above 5.3-7.3%
    of the time (target 2.5%); this interval misses 2.2-2.5% (benchmarks/bench_calibration.py).

    >>> lo, hi = lognormal_mean_bounds(np.exp(np.linspace(-1, 1, 30)), 0.95, 0)
    >>> bool(lo < np.exp(np.linspace(-1, 1, 30)).mean() < hi)
    True
    """
    y = np.log(np.asarray(x, dtype=float))
    n = len(y)
    m, v = float(y.mean()), float(y.var(ddof=1))
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(_GPQ_DRAWS)
    u = rng.chisquare(n - 1, _GPQ_DRAWS)
    g = m - z * math.sqrt(v / n) * np.sqrt((n - 1) / u) + 0.5 * (n - 1) * v / u
    alpha = 1.0 - confidence
    lo, hi = np.quantile(g, [alpha / 2, 1 - alpha / 2])
    return float(math.exp(lo)), float(math.exp(hi))


def _student_t_floor(x: np.ndarray, low: float, high: float, confidence: float) -> tuple[float, float]:
    """Widen (``low``, ``high``) on each side to at least Student's t interval (n - 1 df), clipped
    to the observed range.

    A sample skewness above 0.5 at small n is as often one outlier of a symmetric heavy-tailed
    sample (paired differences) as real skew; the bootstrap-t then shortens the side the outlier
    pulled the mean away from, the side the truth is on: t(3) differences at n = 30 covered 92.3%
    of 2,000 seeded datasets. Student's t is conservative for any symmetric distribution (Efron
    1969, JASA 64: 1278-1302), so taking the farther bound on each side keeps the bootstrap-t's
    skew correction and Student's promise under symmetry: 95.5% on the same datasets
    (benchmarks/bench_calibration.py has the table).

    >>> _student_t_floor(np.array([-1.0, 0.0, 1.0]), -0.1, 0.2, 0.95)
    (-1.0, 1.0)
    """
    from scipy.stats import t as student_t

    n = len(x)
    point = float(x.mean())
    half = float(student_t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    lo_floor = max(point - half, float(x.min()))
    hi_floor = min(point + half, float(x.max()))
    return min(low, lo_floor), max(high, hi_floor)


def bootstrap_mean_ci(values, confidence: float = 0.95, n_boot: int = 2000, seed: int = 0) -> Interval:
    """Bootstrap CI of the mean (percentile; studentised when skewed); NaN values are dropped.

    Skewed samples (|skewness| > 0.5) under 1,000 values get the studentised bootstrap
    (bootstrap-t), since percentile intervals under-cover there (lognormal n=30: 87%), with each
    bound at least as far out as Student's t (n - 1 df), which keeps its promise when the "skew" is
    one outlier of a symmetric heavy-tailed sample; positive samples whose logs look normal
    (Shapiro-Wilk) have each bound at least as far out as the lognormal generalised pivotal interval
    (without the Student's t floor below), since no bootstrap's upper bound sees a right tail the
    sample lacks (lognormal n=30: 5.5% above, target 2.5%); ``method`` says which ran. Values are sorted before resampling, so the interval does not depend on row order. Samples
    with at most ``MAX_LEVELS`` distinct values are resampled as a multinomial over the levels (the
    same bootstrap distribution, much faster); above ``MAX_BOOT_N`` observations with many distinct
    values the t interval is used, and ``method`` says so.

    >>> bootstrap_mean_ci([0.2, 0.4, 0.9, 0.5], seed=0).method
    'bootstrap percentile (B=2000, seed=0)'
    >>> bootstrap_mean_ci([3.0, 3.0, 3.0]).low
    3.0
    """
    x = np.sort(_clean(values))
    method = f"bootstrap percentile (B={n_boot}, seed={seed})"
    if len(x) == 0:
        return _empty(method, confidence)
    point = float(x.mean())
    if len(x) == 1 or x[0] == x[-1]:
        point = float(x[0])  # exact: a float sum of n equal values can drift in the last bit
        note = "single observation" if len(x) == 1 else "constant sample: no variation to resample"
        return Interval(point, point, point, len(x), method, confidence, note)
    n = len(x)
    skew = skewness(x)
    if SKEW_MIN_N <= n < SKEW_MAX_N and abs(skew) > SKEW_LIMIT:
        boot_low, boot_high = _studentized_mean_bounds(x, n_boot, seed, confidence)
        low, high = _student_t_floor(x, boot_low, boot_high, confidence)
        method = (f"bootstrap-t, studentised (B={n_boot}, seed={seed}; skewness {skew:.2f}: percentiles "
                  f"under-cover skewed data at n < {SKEW_MAX_N}); each bound at least as far out as "
                  f"Student's t ({n - 1} df)")
        if looks_lognormal(x):
            # right-skewed positive data: the bootstrap-t's upper bound missed 5.5% at n = 30 (target
            # 2.5%); each bound at least as far out as the lognormal interval, lower bound without the
            # Student's t floor (that floor is for symmetric heavy tails, which positive data are not)
            g_low, g_high = lognormal_mean_bounds(x, confidence, seed)
            low, high = min(boot_low, g_low), max(high, g_high)
            method = (f"bootstrap-t, studentised (B={n_boot}, seed={seed}; skewness {skew:.2f}); positive data whose "
                      f"logs look normal (Shapiro-Wilk p > {LOGNORMAL_P}): lower bound at least as far out as the "
                      "lognormal generalised pivotal interval (Krishnamoorthy & Mathew 2003), upper bound at least "
                      f"as far out as it and as Student's t ({n - 1} df)")
        return Interval(point, min(low, point), max(high, point), n, method, confidence)
    reps, how = mean_replicates(x, n_boot, seed)
    if reps is None:
        from scipy.stats import t as student_t

        half = float(student_t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
        return Interval(point, point - half, point + half, n, how, confidence)
    method = f"bootstrap percentile (B={n_boot}, seed={seed}{how})"
    low, high = _percentile_bounds(reps, confidence)
    # Floating-point sums can put a bound a hair past the point on near-constant samples.
    return Interval(point, min(low, point), max(high, point), n, method, confidence)


def wilson_ci(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for ``successes`` out of ``n`` (statsmodels ``proportion_confint``).

    >>> round(wilson_ci(10, 10).low, 3)
    0.722
    """
    method = "Wilson score"
    if n <= 0:
        return _empty(method, confidence)
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(int(successes), int(n), alpha=1 - confidence, method="wilson")
    rate = successes / n
    note = "all successes" if successes == n else "no successes" if successes == 0 else ""
    return Interval(float(rate), float(min(low, rate)), float(max(high, rate)), int(n), method, confidence, note)


def proportion_ci(values, confidence: float = 0.95) -> Interval:
    """Wilson interval for a 0/1 column (NaN dropped).

    >>> proportion_ci([1, 0, 1, 1]).estimate
    0.75
    """
    x = _clean(values)
    return wilson_ci(int((x > 0.5).sum()), len(x), confidence)


def quantile_ci(values, q: float, confidence: float = 0.95) -> Interval:
    """Distribution-free CI for the ``q`` quantile from order statistics.

    The number of observations below the true quantile is Binomial(n, q); the bounds are the
    order statistics that scipy's ``quantile_test(...).confidence_interval`` picks from it. The point is
    ``numpy.quantile`` (linear interpolation). When fewer than ~2 observations are expected above
    the quantile the estimate is essentially the sample maximum and the note says so (docs/threat-model.md
    S07: "p99 ~ max at this n").

    >>> ci = quantile_ci(np.arange(1, 101), 0.5)
    >>> ci.low <= ci.estimate <= ci.high
    True
    """
    from scipy.stats import quantile_test

    x = np.sort(_clean(values))
    n = len(x)
    method = "order-statistic (distribution-free, binomial; scipy quantile_test)"
    if n == 0:
        return _empty(method, confidence)
    point = float(np.quantile(x, q))
    notes = []
    label = f"p{round(q * 100):d}"
    if q > 0.5 and n * (1 - q) < 2:
        notes.append(f"{label} ~ max at this n (n={n}): fewer than 2 observations expected above it")
    if n == 1:
        return Interval(point, point, point, 1, method, confidence, "single observation")
    ci = quantile_test(x, q=point, p=q).confidence_interval(confidence)
    low, high = float(ci.low), float(ci.high)
    # scipy returns NaN where no order statistic reaches the confidence level. The sample maximum
    # is then no bound at all (p99 at n=200: it covered 85%, and a p99 gate at the threshold
    # passed 12.7% of the time): the honest distribution-free bound is infinite, so a gate on it
    # fails closed, and a SmallSampleWarning says how many observations a bound needs.
    if math.isnan(high) or math.isnan(low):
        import warnings

        from .._errors import SmallSampleWarning

        tail = (1 - confidence) / 2
        first = len(notes)
        if math.isnan(high):
            need = math.ceil(math.log(tail) / math.log(q))
            high = math.inf
            notes.append(f"no distribution-free upper bound for {label} at n={n} (needs n >= {need}): "
                         "upper bound is +inf")
        if math.isnan(low):
            need = math.ceil(math.log(tail) / math.log(1 - q))
            low = -math.inf
            notes.append(f"no distribution-free lower bound for {label} at n={n} (needs n >= {need}): "
                         "lower bound is -inf")
        warnings.warn(f"{label} {round(confidence * 100)}% interval: " + "; ".join(notes[first:]), SmallSampleWarning,
                      stacklevel=2)
    return Interval(point, min(low, point), max(high, point), n, method, confidence, "; ".join(notes))


def ratio_ci(numerator, denominator, confidence: float = 0.95, n_boot: int = 2000, seed: int = 0) -> Interval:
    """Bootstrap CI of ``sum(numerator) / sum(denominator)`` over items (e.g. cost per success).

    Items are resampled jointly. Replicates with a zero denominator are dropped and counted. When
    the linearised ratio is skewed (|skewness| > 0.5, 10 <= n < 1,000) the bounds come from a
    studentised bootstrap (bootstrap-t), each at least as far out as the delta-method t interval
    (n - 1 df), as :func:`bootstrap_mean_ci` does for a mean. When the denominator is 0/1 and the
    numerator positive with normal-looking logs (costs), the bounds are MOVER's on the log scale
    (lognormal generalised pivotal interval of the numerator, Wilson of the denominator): the
    bootstrap-t's upper bound missed 3.8-5.7% at n = 50 (target 2.5%), MOVER's 2.2-2.3%
    (benchmarks/bench_calibration.py).

    >>> ratio_ci([1.0, 1.0, 1.0], [1, 0, 1]).estimate
    1.5
    """
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    keep = ~(np.isnan(num) | np.isnan(den))
    num, den = num[keep], den[keep]
    order = np.lexsort((den, num))
    num, den = num[order], den[order]
    method = f"bootstrap percentile of a ratio of sums (B={n_boot}, seed={seed})"
    if len(num) == 0 or den.sum() == 0:
        return _empty(method, confidence, "no observations" if len(num) == 0 else "denominator is zero")
    point = float(num.sum() / den.sum())
    n = len(num)
    if n > MAX_BOOT_N:
        # delta method (linearisation of the ratio of sums): what the bootstrap converges to
        from scipy.stats import norm

        lin = (num - point * den) / den.mean()
        half = float(norm.ppf(0.5 + confidence / 2) * lin.std(ddof=1) / np.sqrt(n))
        return Interval(point, point - half, point + half, n,
                        f"delta method for a ratio of sums (n > {MAX_BOOT_N:,}: the bootstrap converges to it)",
                        confidence)
    both = np.stack([num, den], axis=1)
    rng = np.random.default_rng(seed)
    reps = []
    block = max(1, _BLOCK_CELLS // max(n, 1))
    for start in range(0, n_boot, block):
        idx = rng.integers(0, n, size=(min(block, n_boot - start), n))
        sums = both[idx].sum(axis=1)
        reps.append(sums[:, 0] / np.where(sums[:, 1] == 0, np.nan, sums[:, 1]))
    reps = np.concatenate(reps)
    dropped = int(np.isnan(reps).sum())
    reps = reps[~np.isnan(reps)]
    if len(reps) == 0 or np.ptp(reps) == 0:
        return Interval(point, point, point, n, method, confidence, "no variation to resample")
    low, high = _percentile_bounds(reps, confidence)
    lin = (num - point * den) / den.mean()  # linearised ratio (delta method): its skew drives the bias
    skew = skewness(lin)
    if SKEW_MIN_N <= n < SKEW_MAX_N and abs(skew) > SKEW_LIMIT:
        low, high = _studentized_ratio_bounds(num, den, point, n_boot, seed, confidence)
        # as for the mean: each bound at least as far out as Student's t on the linearised ratio
        # (the delta-method interval with n - 1 df); a ratio of non-negative sums stays >= 0
        from scipy.stats import t as student_t

        half = float(student_t.ppf(0.5 + confidence / 2, n - 1) * lin.std(ddof=1) / math.sqrt(n))
        lo_floor = point - half
        if (num >= 0).all() and (den >= 0).all():
            lo_floor = max(lo_floor, 0.0)
        low, high = min(low, lo_floor), max(high, point + half)
        method = (f"bootstrap-t of a ratio of sums, studentised by the delta-method SE (B={n_boot}, seed={seed}; "
                  f"skewness {skew:.2f}); each bound at least as far out as the delta-method t interval ({n - 1} df)")
        if _is_binary(den) and looks_lognormal(num):
            low, high = _mover_ratio_bounds(num, den, confidence, seed)
            method = (f"MOVER for a ratio of means on the log scale (Donner & Zou 2012): lognormal generalised "
                      f"pivotal interval of the numerator's mean (positive, logs pass Shapiro-Wilk p > {LOGNORMAL_P}; "
                      f"seed={seed}) and Wilson interval of the 0/1 denominator, with their correlation "
                      f"(skewness {skew:.2f}: the bootstrap-t's upper bound missed 3.8-5.7% at n = 50)")
    note = f"{dropped} replicates with a zero denominator dropped" if dropped else ""
    return Interval(point, min(low, point), max(high, point), n, method, confidence, note)


def _mover_ratio_bounds(num: np.ndarray, den: np.ndarray, confidence: float, seed: int) -> tuple[float, float]:
    """MOVER (method of variance estimates recovery; Zou & Donner 2008, Donner & Zou 2012) for
    mean(num) / mean(den) on the log scale: the numerator's bounds from the lognormal generalised
    pivotal interval, the 0/1 denominator's from Wilson, combined with the sample correlation.

    >>> lo, hi = _mover_ratio_bounds(np.exp(np.linspace(-1, 1, 40)), np.r_[np.ones(30), np.zeros(10)], 0.95, 0)
    >>> bool(lo < np.exp(np.linspace(-1, 1, 40)).sum() / 30 < hi)
    True
    """
    from statsmodels.stats.proportion import proportion_confint

    n = len(num)
    l1, u1 = lognormal_mean_bounds(num, confidence, seed)
    l2, u2 = proportion_confint(int(den.sum()), n, alpha=1 - confidence, method="wilson")
    t1, t2 = math.log(num.mean()), math.log(den.mean())
    l1, u1, l2, u2 = math.log(l1), math.log(u1), math.log(l2), math.log(u2)
    r = float(np.corrcoef(num, den)[0, 1]) if np.ptp(den) > 0 else 0.0
    up = math.sqrt(max((u1 - t1) ** 2 + (t2 - l2) ** 2 - 2 * r * (u1 - t1) * (t2 - l2), 0.0))
    down = math.sqrt(max((t1 - l1) ** 2 + (u2 - t2) ** 2 - 2 * r * (t1 - l1) * (u2 - t2), 0.0))
    return math.exp(t1 - t2 - down), math.exp(t1 - t2 + up)


def _studentized_ratio_bounds(num: np.ndarray, den: np.ndarray, point: float, n_boot: int, seed: int,
                              confidence: float) -> tuple[float, float]:
    """Bootstrap-t for sum(num) / sum(den); SE of each replicate from the linearised ratio."""
    n = len(num)

    def ratio_se(sn, sd, snn, sdd, snd):
        r = sn / sd
        ss = snn - 2 * r * snd + r * r * sdd          # sum of (num - r den)^2
        var = (ss - (sn - r * sd) ** 2 / n) / (n - 1)
        return r, np.sqrt(np.maximum(var, 0) / n) / (sd / n)

    _, se = ratio_se(num.sum(), den.sum(), (num * num).sum(), (den * den).sum(), (num * den).sum())
    cols = np.stack([num, den, num * num, den * den, num * den], axis=1)
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK_CELLS // max(5 * n, 1))
    t = []
    for start in range(0, n_boot, block):
        sums = cols[rng.integers(0, n, size=(min(block, n_boot - start), n))].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            r, s = ratio_se(*sums.T)
            t.append((r - point) / s)
    t = np.concatenate(t)
    t = t[np.isfinite(t)]
    alpha = 1.0 - confidence
    lo_q, hi_q = np.quantile(t, [alpha / 2, 1 - alpha / 2])
    return point - float(hi_q) * float(se), point - float(lo_q) * float(se)


def _is_binary(*arrays: np.ndarray) -> bool:
    return all(np.isin(a, (0.0, 1.0)).all() for a in arrays)


def paired_difference(baseline, candidate, confidence: float = 0.95, n_boot: int = 2000, seed: int = 0,
                      test: str = "auto") -> Difference:
    """Mean of ``candidate - baseline`` over matched items, with a bootstrap CI and a p-value.

    Parameters
    ----------
    baseline, candidate : equal-length arrays, row i of each is the same item. Pairs with a NaN
        on either side are dropped.
    test : ``"auto"`` (McNemar for 0/1 outcomes, else sign-flip permutation), ``"mcnemar"`` or
        ``"permutation"``. The sign-flip test (scipy.stats.permutation_test with
        ``permutation_type="samples"`` on the differences) uses ``n_boot`` resamples, or is exact
        when ``2**n <= n_boot``.

    >>> d = paired_difference([0, 1, 1, 0, 1], [1, 1, 1, 1, 1])
    >>> d.difference, d.test
    (0.4, 'McNemar exact')
    """
    a = np.asarray(baseline, dtype=float)
    b = np.asarray(candidate, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired_difference needs equal-length arrays, got {a.shape} and {b.shape}")
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    d = b - a
    order = np.lexsort((a, d))  # canonical order: results do not depend on row order
    a, b, d = a[order], b[order], d[order]
    n = len(d)
    method = f"paired bootstrap percentile (B={n_boot}, seed={seed})"
    nan = float("nan")
    if n == 0:
        return Difference(nan, nan, nan, nan, nan, nan, 0, 0, 0, True, method, "none", confidence, "no matched pairs")
    diff = float(d.mean())
    ci = bootstrap_mean_ci(d, confidence, n_boot, seed)
    low, high = ci.low, ci.high
    note = "all paired differences are equal" if np.ptp(d) == 0 else ""
    if not ci.method.startswith("bootstrap percentile"):
        method = f"paired {ci.method}"
    binary = _is_binary(a, b)
    if test == "auto":
        test = "mcnemar" if binary else "permutation"
    if test == "mcnemar":
        if not binary:
            raise ValueError("McNemar's test needs 0/1 outcomes on both sides")
        from statsmodels.stats.contingency_tables import mcnemar

        n01 = int(((a == 0) & (b == 1)).sum())
        n10 = int(((a == 1) & (b == 0)).sum())
        table = [[int(((a == 1) & (b == 1)).sum()), n10], [n01, int(((a == 0) & (b == 0)).sum())]]
        exact = n01 + n10 < 25
        p = 1.0 if n01 + n10 == 0 else float(mcnemar(table, exact=exact, correction=True).pvalue)
        test_name = "McNemar exact" if exact else "McNemar chi-square (continuity-corrected)"
    else:
        if np.all(d == 0):
            p = 1.0
        elif n > MAX_BOOT_N:
            from scipy.stats import ttest_1samp

            p = float(ttest_1samp(d, 0.0).pvalue)
        else:
            from scipy.stats import permutation_test

            # batch: scipy would otherwise hold all n_boot x n resamples at once
            res = permutation_test((d,), lambda x, axis: np.mean(x, axis=axis), permutation_type="samples",
                                   vectorized=True, n_resamples=n_boot, alternative="two-sided",
                                   batch=max(1, _BLOCK_CELLS // max(n, 1)), rng=np.random.default_rng(seed))
            p = float(res.pvalue)
        test_name = f"sign-flip permutation (B={n_boot}, seed={seed})" if 2 ** min(n, 60) > n_boot \
            else "sign-flip permutation (exact)"
        if n > MAX_BOOT_N:
            test_name = f"paired t-test (n > {MAX_BOOT_N:,})"
    return Difference(float(a.mean()), float(b.mean()), diff, float(low), float(high), min(p, 1.0),
                      n, n, n, True, method, test_name, confidence, note)


def unpaired_difference(baseline, candidate, confidence: float = 0.95, n_boot: int = 2000,
                        seed: int = 0) -> Difference:
    """Difference of means of two independent samples: bootstrap CI and a permutation p-value.

    >>> unpaired_difference([0.1, 0.2, 0.3], [0.4, 0.5, 0.6]).paired
    False
    """
    a = np.sort(_clean(baseline))
    b = np.sort(_clean(candidate))
    method = f"unpaired bootstrap percentile (B={n_boot}, seed={seed})"
    test_name = f"permutation, random relabelling (B={n_boot}, seed={seed})"
    nan = float("nan")
    if len(a) == 0 or len(b) == 0:
        return Difference(float(a.mean()) if len(a) else nan, float(b.mean()) if len(b) else nan, nan, nan, nan,
                          nan, len(a), len(b), 0, False, method, test_name, confidence, "one side is empty")
    diff = float(b.mean() - a.mean())
    ra, _ = mean_replicates(a, n_boot, seed)
    rb, _ = mean_replicates(b, n_boot, seed + 1)
    if ra is None or rb is None:  # very large samples: Welch's interval and test
        from scipy.stats import norm, ttest_ind

        half = float(norm.ppf(0.5 + confidence / 2) * np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))
        p = float(ttest_ind(b, a, equal_var=False).pvalue)
        return Difference(float(a.mean()), float(b.mean()), diff, diff - half, diff + half, p, len(a), len(b), 0,
                          False, f"unpaired normal interval (n > {MAX_BOOT_N:,})", "Welch t-test", confidence)
    reps = rb - ra
    if np.ptp(reps) == 0:
        low = high = diff
    else:
        low, high = _percentile_bounds(reps, confidence)
    if np.ptp(np.concatenate([a, b])) == 0:
        p = 1.0
    elif len(a) + len(b) > MAX_BOOT_N:
        from scipy.stats import ttest_ind

        p = float(ttest_ind(b, a, equal_var=False).pvalue)
        test_name = f"Welch t-test (n > {MAX_BOOT_N:,})"
    else:
        from scipy.stats import permutation_test

        res = permutation_test((b, a), lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis),
                               permutation_type="independent", vectorized=True, n_resamples=n_boot,
                               alternative="two-sided", batch=max(1, _BLOCK_CELLS // max(len(a) + len(b), 1)),
                               rng=np.random.default_rng(seed))
        p = float(res.pvalue)
    return Difference(float(a.mean()), float(b.mean()), diff, float(min(low, diff)), float(max(high, diff)),
                      min(p, 1.0), len(a), len(b), 0, False, method, test_name, confidence)


def stable_seed(seed: int, *parts: object) -> int:
    """A per-cell seed derived from ``seed`` and labels, independent of group order.

    (Restored: evalnb.portfolio.gates and evalnb.analysis.drift use it.)

    >>> stable_seed(0, "nova", "rouge1") == stable_seed(0, "nova", "rouge1")
    True
    """
    import hashlib

    text = "\x1f".join([str(seed), *map(str, parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")

"""Calibration table of evalnb's intervals: method x n x distribution -> coverage or type I error.

Seeded simulations with a known truth (closed form, or a 100,000-draw reference for tied
ratings). Each row prints evalnb's figure beside the route used before issue 15 ("before", run in
the same process on the same datasets), the target, and the Monte-Carlo standard error
sqrt(p (1 - p) / R). Rows outside 93-97% coverage (or above 6.5% type I) are flagged in the last
column.

    python benchmarks/bench_calibration.py            # R = 400 datasets per cell (~1-2 min)
    python benchmarks/bench_calibration.py --quick    # R = 150
    python benchmarks/bench_calibration.py --reps 1000 --markdown  # the docs' table (2-6 min, MC SE 0.7%)
    python benchmarks/bench_calibration.py --reps 1000 --parts mean_rows --markdown  # means and ratios only

For mean and ratio rows the note gives the one-sided miss rates (target 2.5% each): a gate reads
one bound only.
"""
from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
from scipy import stats

from evalnb.stats import correlation as corr
from evalnb.stats import intervals as iv


def _bivariate(rng, n, rho):
    z = rng.standard_normal((n, 2))
    return z[:, 0], rho * z[:, 0] + math.sqrt(1 - rho * rho) * z[:, 1]


def _in(lo, hi, truth):
    return lo <= truth <= hi


def rank_rows(reps, rng):
    rows = []
    for method, truth_of in (("spearman", lambda r: 6 / math.pi * math.asin(r / 2)),
                             ("kendall", lambda r: 2 / math.pi * math.asin(r))):
        for n, rho in ((10, 0.6), (16, 0.6), (30, 0.6), (16, 0.0)):
            after = before = disagree = 0
            for _ in range(reps):
                x, y = _bivariate(rng, n, rho)
                a = corr.correlation(x, y, method, min_n=5)
                b = corr.correlations(x[:, None], y, method, n_boot=1000, min_n=5, force_bootstrap=True)[0]
                if rho == 0:
                    after += a.p_value < 0.05
                    before += b.p_value < 0.05
                else:
                    after += _in(a.ci_low, a.ci_high, truth_of(rho))
                    before += _in(b.ci_low, b.ci_high, truth_of(rho))
                disagree += (a.p_value < 0.05) != (a.ci_low > 0 or a.ci_high < 0)
            kind = "type I" if rho == 0 else "coverage"
            rows.append((f"{method} CI (iid)", n, f"bivariate normal rho={rho}", kind, after / reps, before / reps,
                         f"p/CI disagree {disagree}", reps))
    return rows


def pearson_rows(reps, rng):
    rows = []
    truth = (math.exp(0.5) - 1) / (math.e - 1)
    for n, dist in ((30, "normal"), (100, "normal"), (30, "lognormal"), (100, "lognormal"), (1000, "lognormal")):
        after = before = 0
        r = max(reps // (4 if n >= 1000 else 1), 50)
        for _ in range(r):
            x, y = _bivariate(rng, n, 0.5)
            t = 0.5
            if dist == "lognormal":
                x, y, t = np.exp(x), np.exp(y), truth
            a = corr.correlation(x, y, "pearson", n_boot=1000)
            lo, hi = stats.pearsonr(x, y).confidence_interval()
            after += _in(a.ci_low, a.ci_high, t)
            before += _in(lo, hi, t)
        rows.append(("pearson CI (iid)", n, f"{dist} pair, rho=0.5", "coverage", after / r, before / r,
                     "heavy tails: percentile bootstrap, Spearman recommended" if dist == "lognormal" else "Fisher z", r))
    return rows


def kendall_ties_rows(reps, rng):
    cuts = [-1.2, -0.4, 0.3, 1.0]

    def draw(n):
        z = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=n)
        return np.digitize(z[:, 0], cuts) + 1.0, np.digitize(z[:, 1], cuts) + 1.0

    truth = stats.kendalltau(*draw(100_000)).statistic
    rows = []
    for n in (50, 200):
        after = before = 0
        for _ in range(reps):
            x, y = draw(n)
            tau = stats.kendalltau(x, y).statistic
            se, _ = corr.rank_se_z("kendall", x, y, tau)
            z, q = math.atanh(tau), 1.959964
            after += _in(math.tanh(z - q * se), math.tanh(z + q * se), truth)
            s0 = math.sqrt(0.437 / (n - 4))
            before += _in(math.tanh(z - q * s0), math.tanh(z + q * s0), truth)
        rows.append(("kendall CI, tied 1-5 ratings (validate_judge)", n, "latent normal rho=0.6, 5 levels", "coverage",
                     after / reps, before / reps, "tie-aware SE vs fixed 0.437/(n-4)", reps))
    return rows


def cluster_rows(reps, rng):
    rows = []
    for g in (20, 50):
        after = before = 0
        r = reps * 2 if g == 20 else reps
        for _ in range(r):
            cov = [[1, 0.0], [0.0, 1]]
            a = rng.multivariate_normal([0, 0], cov, size=g) * math.sqrt(0.7)
            e = rng.multivariate_normal([0, 0], cov, size=g * 10) * math.sqrt(0.3)
            codes = np.repeat(np.arange(g), 10)
            x, y = a[codes, 0] + e[:, 0], a[codes, 1] + e[:, 1]
            after += corr.correlations(x[:, None], y, "pearson", clusters=codes)[0].p_value < 0.05
            before += corr.correlations(x[:, None], y, "pearson", clusters=codes, n_boot=1000,
                                        force_bootstrap=True)[0].p_value < 0.05
        rows.append(("pearson, clustered rows", g * 10, f"{g} clusters x 10, ICC 0.7, null", "type I", after / r,
                     before / r, "cluster jackknife (CV3) vs cluster bootstrap", r))
    return rows


def mean_rows(reps, rng):
    rows = []
    cases = (("normal", 30, lambda n: rng.normal(size=n), 0.0), ("lognormal(0,1)", 30, lambda n: rng.lognormal(0, 1, n), math.exp(0.5)),
             ("lognormal(0,1)", 100, lambda n: rng.lognormal(0, 1, n), math.exp(0.5)),
             ("lognormal(0,1)", 200, lambda n: rng.lognormal(0, 1, n), math.exp(0.5)),
             ("exponential", 30, lambda n: rng.exponential(size=n), 1.0),
             ("t3 paired differences", 30, lambda n: rng.standard_t(3, n), 0.0))
    for name, n, draw, truth in cases:
        after = before = below = above = 0
        for i in range(reps):
            x = draw(n)
            a = iv.bootstrap_mean_ci(x, n_boot=1000, seed=i)
            b = stats.bootstrap((x,), np.mean, n_resamples=1000, method="percentile", rng=np.random.default_rng(i))
            after += a.contains(truth)
            below, above = below + (truth < a.low), above + (truth > a.high)
            before += _in(b.confidence_interval.low, b.confidence_interval.high, truth)
        rows.append(("mean CI (bootstrap_mean_ci)", n, name, "coverage", after / reps, before / reps,
                     "studentised when |skew| > 0.5, bounds >= Student t or, positive with normal-looking logs, the lognormal "
                     "GPQ; " + _misses(below, above, reps), reps))
    # cost per success: lognormal cost, success Bernoulli(0.7), independent -> E[cost] / 0.7
    for n in (50, 200):
        after = below = above = 0
        truth = math.exp(0.5) / 0.7
        for i in range(reps):
            cost, ok = rng.lognormal(0, 1, n), (rng.random(n) < 0.7).astype(float)
            ci = iv.ratio_ci(cost, ok, n_boot=1000, seed=i)
            after += ci.contains(truth)
            below, above = below + (truth < ci.low), above + (truth > ci.high)
        rows.append(("cost per success (ratio_ci)", n, "lognormal cost, p=0.7", "coverage", after / reps, math.nan,
                     "MOVER (lognormal GPQ x Wilson) when skewed; " + _misses(below, above, reps), reps))
    return rows


def p99_rows(reps, rng):
    rows = []
    truth = math.exp(5 + 0.5 * stats.norm.ppf(0.99))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in (200, 1000):
            after = before = 0
            for _ in range(reps):
                x = rng.lognormal(5, 0.5, n)
                ci = iv.quantile_ci(x, 0.99)
                after += ci.contains(truth)
                hi = ci.high if math.isfinite(ci.high) else x.max()   # before: the sample maximum
                before += _in(ci.low, hi, truth)
            rows.append(("p99 CI (quantile_ci)", n, "lognormal latency", "coverage", after / reps, before / reps,
                         "n < 368: upper bound +inf, SmallSampleWarning" if n < 368 else "order statistics", reps))
    return rows


def _misses(below, above, reps):
    """One-sided miss rates (target 2.5% each): a gate reads one bound only."""
    return f"truth below / above the CI {below / reps:.1%} / {above / reps:.1%}"


def _flag(kind, value):
    if not np.isfinite(value):
        return ""
    if kind == "coverage":
        return "" if 0.93 <= value <= 0.97 else ("conservative" if value > 0.97 else "UNDER-COVERS: flagged")
    return "" if value <= 0.065 else "ANTI-CONSERVATIVE: flagged"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="R = 150 datasets per cell")
    ap.add_argument("--reps", type=int, help="datasets per cell (default 400)")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--parts", help="comma-separated subset, e.g. mean_rows (the rng stream then differs from a "
                                    "full run)")
    args = ap.parse_args()
    reps = args.reps or (150 if args.quick else 400)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    rows = []
    parts = (rank_rows, pearson_rows, kendall_ties_rows, cluster_rows, mean_rows, p99_rows)
    if args.parts:
        wanted = set(args.parts.split(","))
        unknown = wanted - {p.__name__ for p in parts}
        if unknown:
            ap.error(f"unknown --parts {sorted(unknown)}; choose from {[p.__name__ for p in parts]}")
        parts = tuple(p for p in parts if p.__name__ in wanted)
    for part in parts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows += part(reps, rng)
        print(f"# {part.__name__} done ({time.time() - t0:.0f} s)", flush=True)
    head = ("method", "n", "distribution", "measure", "evalnb", "before", "MC SE", "note", "flag")
    out = []
    for method, n, dist, kind, after, before, note, r in rows:
        target = 0.95 if kind == "coverage" else 0.05
        se = math.sqrt(target * (1 - target) / r)
        fmt = lambda v: "-" if not np.isfinite(v) else f"{v:.1%}"  # noqa: E731
        out.append((method, str(n), dist, kind, fmt(after), fmt(before), f"{se:.1%}", note, _flag(kind, after)))
    print(f"\nR = {reps} datasets per cell (twice that for 20 clusters, a quarter for Pearson at n=1000), seed {args.seed}; "
          f"targets: coverage 93-97%, "
          f"type I <= 6.5% at alpha 0.05\n")
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in out:
            print("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    else:
        widths = [max(len(h), *(len(r[i]) for r in out)) for i, h in enumerate(head)]
        print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
        for r in out:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print(f"\n{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()

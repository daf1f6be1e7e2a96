"""KPI validation studio benchmarks: speed against naive peers, and CI calibration.

    .venv/bin/python benchmarks/bench_studio.py            # everything (~3-4 min on 2 cores)
    .venv/bin/python benchmarks/bench_studio.py --quick    # smaller sizes, for a smoke run

1. Bootstrap 95% CIs of Spearman, 20 metrics x 1 KPI x 10,000 items x 2,000 resamples:
   a naive loop of scipy.stats.spearmanr over the resampled rows vs evalnb's vectorised
   bootstrap on the *same* resamples; prints both times, the ratio and the largest CI difference.
   Case A is a realistic metric mix (judge 1-5 scores, pass/fail flags, continuous overlap and
   embedding scores with ties) against a binary KPI; case B is 20 continuous metrics against a
   continuous KPI (its naive time is extrapolated from fewer resamples, and says so).
2. OLS with 20 regressors on 100,000 rows with HC3 errors: statsmodels directly vs fit_kpi.
3. Calibration: coverage of 95% CIs over seeded simulated datasets with a known correlation
   (target 93-97%), and the false-positive rate of the cluster bootstrap under clustered nulls
   (docs/threat-model.md S03: 50 clusters x 10 rows, ICC 0.7; target 5% +- 2%, the naive test inflated).
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evalnb.stats import correlation as cs  # noqa: E402


def _intervals(reps: np.ndarray, xs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """evalnb's 95% CIs (low, high) per column from bootstrap replicates."""
    out = []
    for j in range(xs.shape[1]):
        est = stats.spearmanr(xs[:, j], y).statistic
        e = cs._from_replicates("spearman", est, 0.0, reps[:, j], len(y), None, 0.95, len(reps))
        out.append((e.ci_low, e.ci_high))
    return np.array(out)


def metric_mix(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    q = rng.normal(size=n)
    cols = []
    for j in range(6):   # judge scores: mean of 3 ratings on 1-5 -> 13 levels
        cols.append(np.clip(np.round((3 + 0.6 * q + rng.normal(size=n)) * 3) / 3, 1, 5))
    for j in range(4):   # pass/fail flags
        cols.append((0.4 * q + rng.normal(size=n) > 0.5 + 0.2 * j).astype(float))
    for j in range(10):  # continuous scores reported to 4 decimals (ROUGE, BLEU, BERTScore...)
        cols.append(np.round(1 / (1 + np.exp(-(0.3 * q + rng.normal(size=n)))), 4))
    y = (q + rng.logistic(size=n) > 0).astype(float)
    return np.column_stack(cols), y


def bench_spearman(n: int, n_boot: int, naive_boot: int | None, continuous: bool, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    if continuous:
        q = rng.normal(size=n)
        xs = np.column_stack([np.round(0.3 * q + rng.normal(size=n), 6) for _ in range(20)])
        y = q + rng.normal(size=n)
    else:
        xs, y = metric_mix(n, rng)
    idx = np.random.default_rng(seed + 1).integers(0, n, size=(n_boot, n))

    t0 = time.perf_counter()
    weights = cs._counts(idx, n)
    ours = cs.boot_spearman(xs, y, weights)
    ours_ci = _intervals(ours, xs, y)
    t_ours = time.perf_counter() - t0

    m = naive_boot or n_boot
    t0 = time.perf_counter()
    naive = np.empty((m, xs.shape[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for j in range(xs.shape[1]):
            for b in range(m):
                naive[b, j] = stats.spearmanr(xs[idx[b], j], y[idx[b]]).statistic
    t_naive = (time.perf_counter() - t0) * (n_boot / m)
    same = np.nanmax(np.abs(ours[:m] - naive))
    ci_diff = np.nanmax(np.abs(_intervals(naive, xs, y) - ours_ci)) if m == n_boot else float("nan")
    return {"case": "B: 20 continuous vs continuous KPI" if continuous else "A: realistic mix vs binary KPI",
            "naive_s": t_naive, "evalnb_s": t_ours, "ratio": t_naive / t_ours,
            "naive_note": "" if m == n_boot else f"extrapolated from {m} resamples",
            "max_replicate_diff": same, "max_ci_diff": ci_diff}


def bench_public(n: int, n_boot: int) -> float:
    rng = np.random.default_rng(5)
    xs, y = metric_mix(n, rng)
    t0 = time.perf_counter()
    cs.correlations(xs, y, "spearman", n_boot=n_boot, seed=0)
    return time.perf_counter() - t0


def bench_ols(n: int, k: int = 20) -> dict:
    import statsmodels.api as sm

    import evalnb

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, k))
    y = X @ rng.normal(size=k) + rng.normal(size=n)
    df = pd.DataFrame(X, columns=[f"m{i}" for i in range(k)])
    df["kpi"] = y
    t0 = time.perf_counter()
    sm.OLS(y, sm.add_constant(X)).fit(cov_type="HC3")
    t_sm = time.perf_counter() - t0
    t0 = time.perf_counter()
    fit = evalnb.fit_kpi(df, "kpi", [f"m{i}" for i in range(k)], incremental=False)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    evalnb.fit_kpi(df, "kpi", [f"m{i}" for i in range(k)], incremental=True, cv_repeats=1)
    t_inc = time.perf_counter() - t0
    return {"statsmodels_s": t_sm, "fit_kpi_s": t_fit, "fit_kpi_with_cv_s": t_inc, "n": fit.n}


def calibration(sims: int, n: int, n_boot: int, rho: float = 0.5) -> pd.DataFrame:
    truths = {"pearson": rho, "spearman": 6 / np.pi * np.arcsin(rho / 2), "kendall": 2 / np.pi * np.arcsin(rho)}
    cover = {m: 0 for m in truths}
    rng = np.random.default_rng(2026)
    for i in range(sims):
        z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
        for m, truth in truths.items():
            est = cs.correlations(z[:, :1], z[:, 1], m, n_boot=n_boot, seed=i)[0]
            cover[m] += est.ci_low <= truth <= est.ci_high
    return pd.DataFrame([{"method": m, "ci": "fisher z" if m == "pearson" else f"bootstrap SE on Fisher z (B={n_boot})",
                          "sims": sims, "n": n, "true_value": round(truths[m], 4), "coverage": cover[m] / sims,
                          "target": "0.93-0.97"} for m in truths])


def cluster_null(sims: int, n_boot: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    g = np.repeat(np.arange(50), 10)
    hits = {"naive pearson (iid p)": 0, "cluster bootstrap pearson": 0, "cluster bootstrap spearman": 0}
    for i in range(sims):
        x = np.sqrt(0.7) * rng.normal(size=50)[g] + np.sqrt(0.3) * rng.normal(size=500)
        y = np.sqrt(0.7) * rng.normal(size=50)[g] + np.sqrt(0.3) * rng.normal(size=500)
        hits["naive pearson (iid p)"] += stats.pearsonr(x, y).pvalue < 0.05
        hits["cluster bootstrap pearson"] += cs.correlations(x[:, None], y, "pearson", clusters=g, n_boot=n_boot, seed=i)[0].p_value < 0.05
        hits["cluster bootstrap spearman"] += cs.correlations(x[:, None], y, "spearman", clusters=g, n_boot=n_boot, seed=i)[0].p_value < 0.05
    return pd.DataFrame([{"test": k, "sims": sims, "false_positive_rate": v / sims, "target": "0.03-0.07 (naive: inflated)"}
                         for k, v in hits.items()])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["speed", "ols", "calibration"], help="run one part")
    args = ap.parse_args(argv)
    n, b = (2000, 400) if args.quick else (10_000, 2000)
    pd.set_option("display.width", 160)
    if args.only in (None, "speed"):
        _speed(n, b)
    if args.only in (None, "ols"):
        print(f"\n2. OLS, 20 regressors, {10 * n:,} rows, HC3")
        print(pd.DataFrame([bench_ols(10 * n)]).to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if args.only in (None, "calibration"):
        _calibration(200 if args.quick else 1000, 500 if args.quick else 1000)
    return 0


def _speed(n: int, b: int) -> None:
    print(f"1. Bootstrap Spearman CIs: 20 metrics x 1 KPI x {n:,} items x {b:,} resamples (same resamples both sides)")
    rows = [bench_spearman(n, b, None, continuous=False),
            bench_spearman(n, b, max(50, b // 10), continuous=True)]
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"   public correlations() incl. its own resampling, case A: {bench_public(n, b):.2f} s")


def _calibration(sims: int, n_boot: int) -> None:
    print(f"\n3a. CI calibration, bivariate normal rho=0.5, n=100, {sims} seeded datasets")
    print(calibration(sims, 100, n_boot).to_string(index=False))
    print(f"\n3b. Clustered null (50 clusters x 10, ICC 0.7), {sims} seeded datasets, alpha=0.05")
    print(cluster_null(sims, 300).to_string(index=False))


if __name__ == "__main__":
    sys.exit(main())

"""Speed of summarize's intervals next to the peer: scipy.stats.bootstrap (percentile) per group.

Prints our time, the peer's time in the same run, and the ratio (noise on a shared machine hits
both sides). Run: ``.venv/bin/python benchmarks/bench_summarize.py [--rows 100000]``.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd


def _frame(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "model": rng.choice(["atlas-large", "nova-medium", "swift-small", "legacy-v1"], rows),
        "category": rng.choice(["billing", "account", "shipping", "returns", "security", "tech", "product"], rows),
        "item_id": [str(i) for i in range(rows)],
        "rouge_like": rng.beta(2, 3, rows),                              # continuous
        "judge": rng.integers(1, 6, rows).astype(float),                 # 1-5 judge score
        "ok": (rng.random(rows) < 0.8).astype(float),                    # 0/1
    })


def peer(frame: pd.DataFrame, by: list[str], n_boot: int) -> pd.DataFrame:
    """What a user writes without evalnb: groupby + scipy percentile bootstrap per group and column."""
    from scipy.stats import bootstrap

    rows = []
    for key, group in frame.groupby(by):
        for col in ("rouge_like", "judge", "ok"):
            x = group[col].to_numpy()
            ci = bootstrap((x,), np.mean, n_resamples=n_boot, method="percentile", vectorized=True,
                           rng=np.random.default_rng(0)).confidence_interval
            rows.append((key, col, x.mean(), ci.low, ci.high))
    return pd.DataFrame(rows, columns=["group", "metric", "estimate", "ci_low", "ci_high"])


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    import evalnb

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--n-boot", type=int, default=2000)
    args = parser.parse_args()
    frame = _frame(args.rows)
    metrics = ["rouge_like", "judge", "ok"]
    warnings.simplefilter("ignore")
    evalnb.summarize(frame.head(100), metrics=metrics, n_boot=10)  # warm imports
    print(f"rows={args.rows:,}, B={args.n_boot}, metrics: continuous mean, 1-5 judge mean, 0/1 rate")
    print(f"{'case':<28}{'evalnb s':>10}{'scipy s':>10}{'ratio':>8}")
    for by in (["model"], ["model", "category"]):
        ours = timed(lambda: evalnb.summarize(frame, by=by, metrics=metrics, n_boot=args.n_boot, progress=False))
        theirs = timed(lambda: peer(frame, by, args.n_boot), repeat=1)
        print(f"{'summarize by ' + '+'.join(by):<28}{ours:>10.3f}{theirs:>10.3f}{theirs / ours:>7.1f}x")
    ours = timed(lambda: evalnb.worst_slices(frame, "judge", by=["category"], failure="<3"))
    print(f"{'worst_slices (model x cat)':<28}{ours:>10.3f}{'-':>10}{'-':>8}")


if __name__ == "__main__":
    main()

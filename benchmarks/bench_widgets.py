"""Explorer responsiveness on 1,000,000 rows: a slice change, ours vs the plain pandas way.

A "slice change" is what the Runs/Failures tabs do when the user picks another model, slice
column or threshold: recompute per-slice n, mean, p50, p95 and failure rate of the metric in focus.

- ours: ``Session.slice_table()`` (precomputed category codes + value-sorted orders, bincount and a
  radix regroup; see widgets/_slicer.py), and the full view update (the table HTML plus the
  failure chart rendered to SVG by vl-convert), measured the same way;
- peer: pandas filter + ``groupby(...).agg(count, mean)`` + ``.quantile(0.5)`` + ``.quantile(0.95)``
  + failure rate.

Run:  .venv/bin/python benchmarks/bench_widgets.py [--rows 1000000] [--repeats 40]
Prints p50/p95 latency of each and the ratio; both run in the same process on the same data.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd


def make_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """The sample data's shape (4 models, 7 categories, 6 tasks), scaled to ``rows``."""
    rng = np.random.default_rng(seed)
    models = np.array(["atlas-large", "nova-medium", "swift-small", "legacy-v1"])
    cats = np.array(["billing", "technical_support", "account", "shipping", "product_info", "returns", "security"])
    tasks = np.array(["summarization", "qa", "code", "classification", "rag", "chat"])
    m = rng.integers(0, 4, rows)
    c = rng.integers(0, 7, rows)
    quality = np.clip(np.round(3.4 + 0.3 * (m == 1) - 0.3 * (m == 2) - 0.8 * ((m == 2) & (c == 0))
                               + rng.normal(0, 0.9, rows)), 1, 5)
    return pd.DataFrame({
        "run_id": models[m], "model": models[m], "item_id": np.arange(rows).astype(str),
        "category": cats[c], "task": tasks[rng.integers(0, 6, rows)],
        "judge_helpfulness": quality, "judge_relevance": np.clip(quality + rng.normal(0, 0.5, rows), 1, 5),
        "latency_ms": rng.lognormal(6.8, 0.45, rows), "cost_usd": rng.lognormal(-7, 0.6, rows),
    })


def changes(n: int, seed: int = 1) -> list[dict]:
    rng = np.random.default_rng(seed)
    models = ["atlas-large", "nova-medium", "swift-small", "legacy-v1"]
    out = []
    for _ in range(n):
        k = int(rng.integers(0, 4))
        out.append({"by": ["category", "task", "model"][int(rng.integers(0, 3))],
                    "models": [] if k == 0 else sorted(rng.choice(models, k, replace=False).tolist()),
                    "metric": ["judge_helpfulness", "latency_ms"][int(rng.integers(0, 2))],
                    "threshold": float(rng.uniform(2.5, 3.5))})
    return out


def naive(df: pd.DataFrame, ch: dict) -> pd.DataFrame:
    sub = df[df["model"].isin(ch["models"])] if ch["models"] else df
    g = sub.groupby(ch["by"], observed=True)[ch["metric"]]
    out = g.agg(["count", "mean"])
    out["p50"] = g.quantile(0.5)
    out["p95"] = g.quantile(0.95)
    thr = ch["threshold"] if ch["metric"] != "latency_ms" else 1500.0
    fails = (sub[ch["metric"]] < thr) if ch["metric"] != "latency_ms" else (sub[ch["metric"]] > thr)
    out["failure_rate"] = fails.groupby(sub[ch["by"]], observed=True).mean()
    return out.reset_index()


def pct(ts: list[float], q: float) -> float:
    return float(np.percentile(np.array(ts) * 1000, q))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=40)
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    import evalnb
    from evalnb.widgets import RunsView, Session

    df = make_frame(args.rows)
    t0 = time.perf_counter()
    session = Session(evalnb.Runs(df))
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    session.index.warm(session.group_columns, ["judge_helpfulness", "latency_ms"])
    warm = time.perf_counter() - t0
    view = RunsView(session)
    plan = changes(args.repeats)

    def apply(ch: dict) -> None:
        with session.hold_trait_notifications():
            session.models = ch["models"]
            session.slice_by = ch["by"]
            session.metric = ch["metric"]
            session.fail_threshold = ch["threshold"] if ch["metric"] != "latency_ms" else 1500.0

    ours, table, full, peer = [], [], [], []
    session.unobserve_all()   # the loop triggers the view itself, to time compute and view apart
    for ch in plan:
        apply(ch)
        t = time.perf_counter(); session.slice_table(); ours.append(time.perf_counter() - t)
        # what the user waits for in a kernel: the table; the chart follows on a background thread
        view.lane.background = True
        t = time.perf_counter(); view._refresh(); table.append(time.perf_counter() - t)
        view.lane._worker.join() if view.lane._worker else None
        # everything drawn synchronously: table HTML + SVG chart (vl-convert)
        view.lane.background = False
        t = time.perf_counter(); view._refresh(); full.append(time.perf_counter() - t)
        t = time.perf_counter(); naive(df, ch); peer.append(time.perf_counter() - t)

    print(f"Explorer slice change on {args.rows:,} rows ({args.repeats} random changes of model filter, "
          f"slice column, metric, threshold)")
    print(f"  session setup {setup * 1000:.0f} ms, index warm-up {warm * 1000:.0f} ms (once, at load)")
    print(f"  {'':34s}{'p50 ms':>9s}{'p95 ms':>9s}")
    print(f"  {'evalnb slice index (compute)':34s}{pct(ours, 50):9.1f}{pct(ours, 95):9.1f}")
    print(f"  {'evalnb table update (compute+HTML)':34s}{pct(table, 50):9.1f}{pct(table, 95):9.1f}")
    print(f"  {'evalnb table + chart, synchronous':34s}{pct(full, 50):9.1f}{pct(full, 95):9.1f}")
    print(f"  {'pandas groupby + quantiles (peer)':34s}{pct(peer, 50):9.1f}{pct(peer, 95):9.1f}")
    print(f"  p95 ratio peer/ours (compute): {pct(peer, 95) / pct(ours, 95):.1f}x; "
          f"target p95 <= 100 ms: compute {'OK' if pct(ours, 95) <= 100 else 'MISSED'}, "
          f"table update {'OK' if pct(table, 95) <= 100 else 'MISSED'}, "
          f"with synchronous chart {'OK' if pct(full, 95) <= 100 else 'MISSED'}")


if __name__ == "__main__":
    main()

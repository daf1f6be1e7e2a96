"""Explorer responsiveness on 1,000,000 rows: control changes end to end, ours vs the plain pandas way.

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
    from evalnb.widgets import FailuresView, RunsView, Session

    df = make_frame(args.rows)
    t0 = time.perf_counter()
    session = Session(evalnb.Runs(df))
    setup = time.perf_counter() - t0
    # a first switch to a metric no one has looked at yet, right after start: the background
    # warm-up may still be sorting it; measured before waiting for it
    t0 = time.perf_counter()
    session.metric = "latency_ms"
    first_switch = time.perf_counter() - t0
    t0 = time.perf_counter()
    session._warmer.join()
    warm_left = time.perf_counter() - t0
    runs = RunsView(session, interactive=False)
    failures = FailuresView(session, interactive=False)
    runs.live.lane.background = failures.live.lane.background = True   # charts off the path, as in a kernel
    plan = changes(args.repeats)

    # one control change = what a user does: set a Session trait (through the control), the
    # session reconciles slice and item, both views redraw their tables/items (charts follow
    # on their background thread). Timed end to end.
    controls, compute, peer = [], [], []
    for i, ch in enumerate(plan):
        step = i % 4
        t = time.perf_counter()
        if step == 0:
            runs.model.value = ch["models"][0] if len(ch["models"]) == 1 else "(all models)"
        elif step == 1:
            failures.slice_by.value = ch["by"]
        elif step == 2:
            runs.metric.value = ch["metric"]
        else:
            failures.threshold.value = ch["threshold"] if session.metric != "latency_ms" else 1500.0
        controls.append(time.perf_counter() - t)
        for lane in (runs.live.lane, failures.live.lane):
            lane.wait(30)
        c = {"models": list(session.models), "by": session.slice_by, "metric": session.metric,
             "threshold": session.fail_threshold}
        session._cache.clear()
        t = time.perf_counter(); session.slice_table(); compute.append(time.perf_counter() - t)
        t = time.perf_counter(); naive(df, c); peer.append(time.perf_counter() - t)
    # drilling into another slice (a bar click) only moves the item list
    clicks = []
    for i in range(args.repeats // 2):
        labels = session.slice_labels()
        t = time.perf_counter()
        session.slice_value = labels[i % len(labels)] if labels[i % len(labels)] != session.slice_value else labels[-1]
        clicks.append(time.perf_counter() - t)

    print(f"Explorer interactions on {args.rows:,} rows ({args.repeats} control changes: model filter, slice "
          "column, metric, threshold; Runs + Failures views attached)")
    print(f"  session setup {setup * 1000:.0f} ms; first switch to an unsorted metric right after start "
          f"{first_switch * 1000:.0f} ms (background warm-up had {warm_left * 1000:.0f} ms left)")
    print(f"  {'':44s}{'p50 ms':>9s}{'p95 ms':>9s}")
    print(f"  {'control change -> tables + items (end to end)':44s}{pct(controls, 50):9.1f}{pct(controls, 95):9.1f}")
    print(f"  {'bar click (slice_value) -> item list':44s}{pct(clicks, 50):9.1f}{pct(clicks, 95):9.1f}")
    print(f"  {'evalnb slice index (compute only)':44s}{pct(compute, 50):9.1f}{pct(compute, 95):9.1f}")
    print(f"  {'pandas groupby + quantiles (peer)':44s}{pct(peer, 50):9.1f}{pct(peer, 95):9.1f}")
    print(f"  p95 ratio peer/ours (compute): {pct(peer, 95) / pct(compute, 95):.1f}x; target p95 <= 100 ms: "
          f"control change {'OK' if pct(controls, 95) <= 100 else 'MISSED'}, "
          f"bar click {'OK' if pct(clicks, 95) <= 100 else 'MISSED'}, "
          f"first switch {'OK' if first_switch <= 0.1 else 'MISSED'}")
    live_path(session, plan, args.repeats)
    start_on_sample()


def live_path(session, plan: list[dict], repeats: int) -> None:
    """The same interactions with the views a JupyterLab user gets: JupyterChart specs (the
    browser renders them) and itables tables, instead of vl-convert SVG and HTML."""
    from evalnb.widgets import FailuresView, RunsView

    session.unobserve_all("revision")           # detach the static views measured above
    runs = RunsView(session, interactive=True)
    failures = FailuresView(session, interactive=True)
    controls, clicks = [], []
    for i, ch in enumerate(plan):
        t = time.perf_counter()
        step = i % 4
        if step == 0:
            runs.model.value = ch["models"][0] if len(ch["models"]) == 1 else "(all models)"
        elif step == 1:
            failures.slice_by.value = ch["by"]
        elif step == 2:
            runs.metric.value = ch["metric"]
        else:
            failures.threshold.value = ch["threshold"] if session.metric != "latency_ms" else 1500.0
        controls.append(time.perf_counter() - t)
    for i in range(repeats // 2):
        labels = session.slice_labels()
        target = labels[i % len(labels)] if labels[i % len(labels)] != session.slice_value else labels[-1]
        t = time.perf_counter()
        failures.live._on_selections({"new": {"slice": {"value": {"vlPoint": {"or": [{"evalnb_slice": target}]}}}}})
        clicks.append(time.perf_counter() - t)
    print("  live views (JupyterChart + itables, as in JupyterLab):")
    print(f"  {'control change -> tables, items, chart specs':44s}{pct(controls, 50):9.1f}{pct(controls, 95):9.1f}")
    print(f"  {'bar click (chart selection) -> table/items':44s}{pct(clicks, 50):9.1f}{pct(clicks, 95):9.1f}")
    print(f"  target p95 <= 100 ms: control change {'OK' if pct(controls, 95) <= 100 else 'MISSED'}, "
          f"bar click {'OK' if pct(clicks, 95) <= 100 else 'MISSED'}")


def start_on_sample() -> None:
    """Explorer start on the sample data (9,600 rows, 4 models, KPI log): load + build every tab."""
    import evalnb
    from evalnb.widgets import Explorer

    runs = evalnb.load_runs("sample_data/runs/*.jsonl")
    kpis = evalnb.load_kpis("sample_data/kpis.csv")
    Explorer(runs, kpis=kpis, interactive=False)      # imports warm (altair, vl-convert, statsmodels...)
    times, loaded = [], []
    for _ in range(3):
        t = time.perf_counter()
        Explorer("sample_data/runs/*.jsonl", kpis="sample_data/kpis.csv", interactive=False)
        times.append(time.perf_counter() - t)
        t = time.perf_counter()
        Explorer(runs, kpis=kpis, interactive=False)
        loaded.append(time.perf_counter() - t)
    print(f"Explorer start on the sample data (median of 3): from files {np.median(times):.2f} s "
          f"(load_runs + load_kpis included), from loaded runs {np.median(loaded):.2f} s; "
          f"target <= 3 s: {'OK' if np.median(times) <= 3 else 'MISSED'}")


if __name__ == "__main__":
    main()

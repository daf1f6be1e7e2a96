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

Browser:  .venv/bin/python benchmarks/bench_widgets.py --browser [--rows 1000000] [--clicks 20]
opens the Explorer on a ``--rows`` session in real JupyterLab + headless Chromium (the test
harness, tests/_browser_helpers.py) and times a click on a bar of the Failures chart until the
page shows the new slice's item list (both instants read from the page's own clock: the click
event's ``performance.now()`` and the first DOM mutation showing the new slice), p50/p95.
Every run prints ``uptime``'s load next to its figures.
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
    ap.add_argument("--browser", action="store_true", help="time chart clicks in JupyterLab + headless Chromium")
    ap.add_argument("--clicks", type=int, default=20, help="with --browser: bar clicks to time")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    print(f"machine load: {load()}")
    if args.browser:
        browser(args.rows, args.clicks)
        print(f"machine load: {load()}")
        return

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
    print(f"machine load: {load()}")


def load() -> str:
    """``uptime``'s load averages (the figures are wall time on a shared machine)."""
    import os

    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} cores"


# in the page: the click event's time, then the first mutation that shows another drilled slice
_WATCH_JS = """(sel) => {
  const root = document.querySelector(sel);
  const caption = () => { const m = /rows of \\S+ = (.*) \\(failing first\\)/.exec(root.textContent); return m ? m[1] : null; };
  const b = window.__evalnbBench = {before: caption(), t0: null, t1: null, now: null};
  document.addEventListener('click', () => { if (b.t0 === null) b.t0 = performance.now(); }, {capture: true, once: true});
  const obs = new MutationObserver(() => {
    const c = caption();
    if (b.t0 !== null && c !== null && c !== b.before) { b.t1 = performance.now(); b.now = c; obs.disconnect(); }
  });
  obs.observe(root, {subtree: true, childList: true, characterData: true, attributes: true});
  return b.before;
}"""


def browser(rows: int, clicks: int) -> None:
    """Chart click -> table/items update in JupyterLab + headless Chromium on a ``rows`` session."""
    import re
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from _browser_helpers import (browser_available, chromium, jupyter_lab, open_notebook, run_all,
                                  write_notebook)

    why = browser_available()
    if why:
        raise SystemExit(f"--browser needs the browser harness: {why}")
    cell = ("import os, sys, time\nsys.path.insert(0, os.path.join(os.environ['EVALNB_REPO'], 'benchmarks'))\n"
            "from bench_widgets import make_frame\nimport evalnb\n"
            "from evalnb.widgets import Explorer, enable_offline_charts\nenable_offline_charts()\n"
            f"df = make_frame({rows})\nt = time.perf_counter()\napp = Explorer(evalnb.Runs(df))\n"
            "print(f'EXPLORER_BUILT {time.perf_counter() - t:.2f} s')\napp")
    f = ".evalnb-failures"
    with jupyter_lab() as lab, chromium() as ctx:
        write_notebook(lab.root / "notebooks" / "_bench_explorer.ipynb", [cell])
        page = ctx.new_page()
        t_open = time.perf_counter()
        open_notebook(page, lab, "notebooks/_bench_explorer.ipynb", timeout=120)
        run_all(page, lab, timeout=600)
        page.locator(".evalnb-explorer").first.wait_for(timeout=120_000)
        shown = time.perf_counter() - t_open
        built = re.search(r"EXPLORER_BUILT ([\d.]+) s", page.locator(".jp-OutputArea").first.inner_text())
        page.locator(".evalnb-explorer .lm-TabBar-tab", has_text="Failures").first.click()
        bars = f"{f} .vega-embed path[aria-roledescription='bar']"
        page.locator(bars).first.wait_for(timeout=120_000)
        page.locator(f"{f} .evalnb-item-picker option").first.wait_for(timeout=60_000)
        times, misses = [], 0
        for i in range(clicks + 2):                      # the first two warm the page up, not timed
            current = page.evaluate(_WATCH_JS, f)
            marks = page.locator(bars)
            n = marks.count()
            target = next(j for j in ((i + k) % n for k in range(n))
                          if current is None or current not in (marks.nth(j).get_attribute("aria-label") or ""))
            marks.nth(target).click()
            deadline = time.perf_counter() + 20
            result = page.evaluate("() => window.__evalnbBench")
            while result["t1"] is None and time.perf_counter() < deadline:
                time.sleep(0.01)
                result = page.evaluate("() => window.__evalnbBench")
            if result["t1"] is None:
                misses += 1
            elif i >= 2:
                times.append((result["t1"] - result["t0"]) / 1000)
            time.sleep(0.3)                              # the chart redraws (drilled bar) before the next click
        page.close()
    print(f"Explorer in JupyterLab + headless Chromium on {rows:,} rows (Failures tab, {len(times)} timed bar "
          f"clicks{f', {misses} without an update in 20 s' if misses else ''}):")
    print(f"  notebook open + Run All until the Explorer shows: {shown:.1f} s"
          + (f" (Explorer(...) itself {built.group(1)} s in the kernel)" if built else ""))
    if times:
        print(f"  {'':44s}{'p50 ms':>9s}{'p95 ms':>9s}")
        print(f"  {'chart click -> drilled slice items in the DOM':44s}{pct(times, 50):9.1f}{pct(times, 95):9.1f}")
        print(f"  target p95 <= 150 ms: {'OK' if pct(times, 95) <= 150 else 'MISSED'}")


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

"""Analyses at production volume: before (a frozen commit's code) vs after, 10k / 100k / 1M rows.

Synthetic runs of 6 models x 10 categories (the same items under every model, so comparisons
pair): four 1-5 judge columns, a continuous ROUGE-like score, BLEU and chrF with their per-item
sacrebleu statistics (scored once on a pool of 2,000 generated texts and drawn from it), a 0/1
accuracy, latency, cost, a 0/1 KPI that the judges predict, and timestamps over four months.

Every measurement runs in a fresh subprocess: wall time of the call, and the peak RSS it added
beyond the built frame (``VmHWM`` reset through ``/proc/self/clear_refs`` after the frame is built)
as well as the process's total peak. "before" imports the ``evalnb`` package as it was at
``--before-ref`` (extracted with ``git archive`` into a temporary folder; nothing of it is reachable
from the package), "after" the working tree. A "before" run at the largest size is skipped when
the smaller sizes project it beyond ``--skip-over`` seconds or the machine's memory, and the table
says so. The growth exponent is the slope of log(time) against log(rows) between the two largest
sizes measured.

Operations (defaults of the public API unless named):

- summarize: ``summarize(scores, by="model")`` over bleu, chrf, rougeL, 4 judges, accuracy,
  latency (p50/p95/p99), cost, with ``success="accuracy"`` (cost per success);
- compare: ``compare(scores, baseline, candidate)`` on the same metrics (paired);
- correlate: ``correlate(frame, 4 metrics, "thumbs_up")``, sample level, pearson/spearman/kendall
  (with the default Simpson check over the 10 categories);
- fit_kpi: ``fit_kpi(frame, "thumbs_up", 4 metrics, incremental=False)`` next to statsmodels'
  own ``smf.logit(...).fit(cov_type="HC0")`` on the same rows (the peer);
- drift: ``drift(first three months, last month, metrics=..., kpi="thumbs_up")``;
- gate: a portfolio of 4 gates (mean with category slices, rate, p95, relative vs a baseline
  run) on a candidate run of ``rows`` items against a baseline run of ``rows`` items;
- report: ``report(runs, kpis=..., portfolio=<the gate portfolio>, scores=...)``, the strict form
  with every section (decision, summary, comparisons, failures, KPI validation over the KPI log
  joined on ``request_id``, drift of the newest month, gates, examples), not written to disk.

Run: ``.venv/bin/python benchmarks/bench_scale_analysis.py`` (all sizes; ~30-40 min on a loaded
2-core machine), ``--sizes 10000,100000 --ops summarize,compare`` for a quick look.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

def _import_from_env() -> None:
    """With ``EVALNB_IMPORT_FROM=<folder>``, import ``evalnb`` from that folder, not the editable install."""
    import os
    import sys

    folder = os.environ.get("EVALNB_IMPORT_FROM")
    if folder:
        sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "")
                            and "editable" not in type(f).__module__ and "editable" not in repr(f)]
        sys.path.insert(0, folder)


ROOT = Path(__file__).resolve().parents[1]
OPS = ("summarize", "compare", "correlate", "fit_kpi", "drift", "gate", "report")
BEFORE_REF = "662d6f7"   # the last commit before the scale work (issue 11)
MODELS = ["atlas-large", "nova-medium", "swift-small", "legacy-v1", "orion-mini", "zephyr-pro"]
CATEGORIES = ["billing", "account", "shipping", "returns", "security", "tech", "product", "refunds",
              "outage", "onboarding"]
JUDGES = ["judge_faithfulness", "judge_relevance", "judge_helpfulness", "judge_safety"]
CORR_METRICS = ["judge_faithfulness", "judge_relevance", "rougeL", "bleu"]


# ------------------------------------------------------------------------------------------
# the child: build the data, measure one call
# ------------------------------------------------------------------------------------------
def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _pool(size: int = 2000, seed: int = 0):
    """Generated outputs/references (20-60 words) and their sentence BLEU/chrF with statistics.

    Scored once (by the working tree's evalnb, whose values equal sacrebleu's) and cached as a
    pickle next to the before tree; every child reads the same pool.
    """
    import numpy as np
    import pandas as pd

    cache = Path(tempfile.gettempdir()) / f"evalnb-bench-pool-{size}-{seed}.pkl"
    if cache.exists():
        return pd.read_pickle(cache)
    import evalnb

    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(3000)])
    refs, outs = [], []
    for _ in range(size):
        k = int(rng.integers(20, 61))
        ref = vocab[rng.zipf(1.3, k) % len(vocab)]
        out = ref.copy()
        swap = rng.random(k) < rng.uniform(0.1, 0.7)
        out[swap] = vocab[rng.integers(0, len(vocab), int(swap.sum()))]
        refs.append(" ".join(ref))
        outs.append(" ".join(out))
    frame = pd.DataFrame({"item_id": [str(i) for i in range(size)], "model": "pool", "output": outs,
                          "reference": refs})
    scored = evalnb.score(frame, ["bleu", "chrf"], progress=False).df
    scored["output"] = outs
    scored.to_pickle(cache)
    return scored


def build(rows: int, seed: int = 0):
    """(Scores, frame) with ``rows`` rows over 6 models; the pool's text statistics drawn per row."""
    import numpy as np
    import pandas as pd

    from evalnb.metrics.scoring import Scores

    import evalnb

    pdf = _pool()
    metrics = {name: evalnb.metric(name) for name in ("bleu", "chrf")}
    rng = np.random.default_rng(seed)
    per_model = rows // len(MODELS)
    n = per_model * len(MODELS)
    item = np.tile(np.arange(per_model), len(MODELS))
    model_code = np.repeat(np.arange(len(MODELS)), per_model)
    quality = rng.normal(size=per_model)[item] + 0.15 * model_code + rng.normal(scale=0.8, size=n)
    cols = {
        "run_id": pd.Categorical.from_codes(model_code, [f"run-{m}" for m in MODELS]),
        "model": pd.Categorical.from_codes(model_code, MODELS),
        "item_id": pd.Series(item).astype(str).to_numpy(object),
        "category": pd.Categorical.from_codes(rng.integers(0, len(CATEGORIES), per_model)[item], CATEGORIES),
        "timestamp": pd.Timestamp("2026-06-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 120 * 86400, n), unit="s"),
    }
    for j, name in enumerate(JUDGES):
        cols[name] = np.clip(np.round(3.2 + quality * (0.9 - 0.15 * j) + rng.normal(scale=0.7, size=n)), 1, 5)
    cols["rougeL"] = 1 / (1 + np.exp(-(quality * 0.6 + rng.normal(scale=0.8, size=n))))
    cols["accuracy"] = (quality + rng.normal(size=n) > -0.3).astype(float)
    cols["latency_ms"] = rng.lognormal(6.5, 0.5, n)
    cols["cost_usd"] = rng.gamma(2.0, 0.0008, n)
    cols["thumbs_up"] = (quality + rng.normal(scale=1.2, size=n) > 0).astype(float)
    # text statistics from the pool, better texts for better rows
    order = np.argsort(pdf["bleu"].to_numpy())
    pick = order[np.clip(((np.argsort(np.argsort(quality)) / n) * len(order)).astype(int)
                         + rng.integers(-300, 300, n), 0, len(order) - 1)]
    for col in ["bleu", *metrics["bleu"].stat_columns, "chrf", *metrics["chrf"].stat_columns]:
        cols[col] = pdf[col].to_numpy()[pick]
    cols["output"] = pdf["output"].to_numpy(object)[pick]
    frame = pd.DataFrame(cols)
    scores = Scores(frame, metrics, {k: m.signature() for k, m in metrics.items()}, {k: "ok" for k in metrics})
    return scores, frame


def _portfolio():
    from evalnb.portfolio.config import Gate, MetricSpec, Outcome, Portfolio, SliceGate

    return Portfolio(name="bench", outcome=Outcome(kpi="thumbs_up"), primary=[
        MetricSpec(name="judge_faithfulness", source="column", direction="higher", range=[1, 5],
                   gate=Gate(threshold=2.0, rule="ci_lower", min_n=100, slices=[SliceGate(by="category", min_n=30)]))],
        secondary=[MetricSpec(name="rougeL", source="column", direction="higher", range=[0, 1],
                              gate=Gate(mode="relative", threshold=0.05, rule="ci_lower", min_n=100))],
        safety=[MetricSpec(name="accuracy", source="column", direction="higher", range=[0, 1],
                           gate=Gate(threshold=0.3, rule="ci_lower", min_n=100))],
        robustness=[MetricSpec(name="latency_ms", source="column", direction="lower",
                               gate=Gate(threshold=5000.0, rule="ci_upper", statistic="p95", min_n=100))])


def child(op: str, rows: int) -> dict:
    import warnings

    import numpy as np

    import evalnb

    warnings.simplefilter("ignore")
    metrics = ["bleu", "chrf", "rougeL", *JUDGES, "accuracy", "latency_ms", "cost_usd"]
    if op == "gate":
        scores, frame = build(2 * rows)
        a, b = MODELS[0], MODELS[1]
        base = frame[frame["model"] == a].reset_index(drop=True)
        cand = frame[frame["model"] == b].reset_index(drop=True)
        del frame, scores
        portfolio = _portfolio()
        fn = lambda: evalnb.gate(portfolio, cand, baseline=base)  # noqa: E731
        peer = None
    else:
        scores, frame = build(rows)
        if op == "summarize":
            fn = lambda: evalnb.summarize(scores, by="model", metrics=metrics, success="accuracy", progress=False)  # noqa: E731
        elif op == "compare":
            fn = lambda: evalnb.compare(scores, baseline=MODELS[0], candidate=MODELS[1], metrics=metrics)  # noqa: E731
        elif op == "correlate":
            fn = lambda: evalnb.correlate(frame, CORR_METRICS, "thumbs_up")  # noqa: E731
        elif op == "fit_kpi":
            fn = lambda: evalnb.fit_kpi(frame, "thumbs_up", CORR_METRICS, incremental=False)  # noqa: E731
        elif op == "report":
            # one production request per eval row: the KPI log joins on request_id
            frame["request_id"] = frame["model"].astype(str) + ":" + frame["item_id"]
            if scores.df is not frame:
                scores.df["request_id"] = frame["request_id"].to_numpy()
            kpis = frame[["request_id", "thumbs_up"]].copy()
            runs = frame.drop(columns=["thumbs_up"])
            portfolio = _portfolio()
            fn = lambda: evalnb.report(runs, kpis=kpis, portfolio=portfolio, scores=scores, progress=False)  # noqa: E731
        elif op == "drift":
            ts = frame["timestamp"]
            cut = ts.min() + (ts.max() - ts.min()) * 0.75
            ref, cur = frame[ts < cut].reset_index(drop=True), frame[ts >= cut].reset_index(drop=True)
            del ts
            fn = lambda: evalnb.drift(ref, cur, metrics=[*JUDGES, "rougeL", "accuracy"], kpi="thumbs_up")  # noqa: E731
        else:
            raise SystemExit(f"unknown op {op}")
        peer = None
        if op == "fit_kpi":
            import statsmodels.formula.api as smf

            sub = frame[["thumbs_up", *CORR_METRICS]].dropna()
            formula = "thumbs_up ~ " + " + ".join(CORR_METRICS)
            peer = lambda: smf.logit(formula, sub).fit(disp=0, cov_type="HC0")  # noqa: E731
    out: dict = {"rows": rows, "op": op}
    if peer is not None:
        start = time.perf_counter()
        peer()
        out["peer_s"] = time.perf_counter() - start
    import gc

    # warm imports (scipy, statsmodels): a notebook has them loaded after the first call
    import scipy.sparse  # noqa: F401
    import scipy.stats  # noqa: F401
    import statsmodels.stats.contingency_tables  # noqa: F401
    import statsmodels.stats.proportion  # noqa: F401

    gc.collect()
    out["frame_mb"] = _rss_kb("VmRSS") / 1024
    out["peak_reset"] = _reset_peak()
    start = time.perf_counter()
    fn()
    out["seconds"] = time.perf_counter() - start
    out["peak_mb"] = _rss_kb("VmHWM") / 1024
    out["added_mb"] = out["peak_mb"] - out["frame_mb"]
    np.random.default_rng(0)  # keep numpy imported for the before package too
    return out


# ------------------------------------------------------------------------------------------
# the parent: run the children, print the table
# ------------------------------------------------------------------------------------------
def _before_tree(ref: str) -> Path:
    folder = Path(tempfile.gettempdir()) / f"evalnb-before-{ref}"
    if not (folder / "evalnb" / "__init__.py").exists():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "evalnb"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def _run_child(op: str, rows: int, path: Path, timeout: float) -> dict:
    env = dict(os.environ, EVALNB_IMPORT_FROM=str(path), PYTHONHASHSEED="0")
    cmd = [sys.executable, __file__, "--child", op, "--rows", str(rows)]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=str(path))
    except subprocess.TimeoutExpired:
        return {"skipped": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        return {"skipped": f"failed (rc {proc.returncode}): {tail[0][:80]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _exponent(results: list[tuple[int, dict]]) -> float:
    done = [(r, d["seconds"]) for r, d in results if "seconds" in d and d["seconds"] > 0]
    if len(done) < 2:
        return math.nan
    (r1, t1), (r2, t2) = done[-2], done[-1]
    return math.log(t2 / t1) / math.log(r2 / r1)


def _mem_total_mb() -> float:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return math.inf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--ops", default=",".join(OPS))
    parser.add_argument("--before-ref", default=BEFORE_REF)
    parser.add_argument("--no-before", action="store_true")
    parser.add_argument("--sides", default="after,before", help="which sides to measure in this run")
    parser.add_argument("--save", help="write the measured cells as JSON here")
    parser.add_argument("--merge", help="JSON cells of an earlier run (e.g. the slow before side) to print alongside")
    parser.add_argument("--skip-over", type=float, default=300.0, help="skip a before run projected beyond this (s)")
    parser.add_argument("--timeout", type=float, default=900.0, help="per cell; a before cell past it is reported as timed out")
    args = parser.parse_args()
    if args.child:
        _import_from_env()
        import evalnb

        assert Path(evalnb.__file__).resolve().is_relative_to(Path(os.environ.get("EVALNB_IMPORT_FROM", ROOT)).resolve())
        print(json.dumps(child(args.child, args.rows)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    ops = [o for o in args.ops.split(",") if o]
    sys.path.insert(0, str(ROOT))
    _pool()
    wanted = [x for x in args.sides.split(",") if x and not (args.no_before and x == "before")]
    sides = [(x, ROOT if x == "after" else _before_tree(args.before_ref)) for x in wanted]
    merged = {}
    for part in (args.merge or "").split(","):
        if part:
            merged.update(json.loads(Path(part).read_text()))
    print(f"before = evalnb at {args.before_ref} (git archive), after = working tree; 6 models, 10 categories; "
          f"each cell a fresh process; RSS = peak added beyond the built frame (process peak)", flush=True)
    table: dict[tuple[str, str], list[tuple[int, dict]]] = {}
    for key, cells in merged.items():
        op, side = key.split("/")
        table[(op, side)] = [(r, d) for r, d in cells]
    for op in ops:
        for side, path in sides:
            runs: list[tuple[int, dict]] = []
            for rows in sizes:
                slope = _exponent(runs)
                last = next((d for _, d in reversed(runs) if "seconds" in d), None)
                timed_out = next((d for _, d in reversed(runs) if "timed out" in d.get("skipped", "")), None)
                if side == "before" and timed_out is not None:
                    runs.append((rows, {"skipped": f"a smaller size already {timed_out['skipped']}"}))
                    continue
                if side == "before" and last is not None:
                    # one point: linear growth, a lower bound (the before paths grow at least linearly)
                    growth = slope if math.isfinite(slope) else 1.0
                    proj_s = last["seconds"] * (rows / last["rows"]) ** max(growth, 1.0)
                    proj_mb = last["added_mb"] * rows / last["rows"] + last["frame_mb"] * rows / last["rows"]
                    if proj_s > args.skip_over:
                        runs.append((rows, {"skipped": f"projected {proj_s:.0f} s from {last['rows']:,} rows "
                                                       f"(exponent {growth:.2f}) > {args.skip_over:.0f} s"}))
                        continue
                    if proj_mb > 0.8 * _mem_total_mb():
                        runs.append((rows, {"skipped": f"projected {proj_mb / 1024:.1f} GB RSS > 80% of available memory"}))
                        continue
                res = _run_child(op, rows, path, args.timeout)
                res.setdefault("rows", rows)
                runs.append((rows, res))
                shown = (f"{res['seconds']:.2f} s, +{res['added_mb']:.0f} MB" if "seconds" in res else res["skipped"])
                print(f"  {op:<10}{side:<7}{rows:>9,}: {shown}", flush=True)
            table[(op, side)] = runs
            if args.save:
                Path(args.save).write_text(json.dumps({f"{o}/{sd}": c for (o, sd), c in table.items()}, indent=1))
    shown_sides = [s for s in ("after", "before") if any((op, s) in table for op in ops)]
    print()
    head = "| operation | side | " + " | ".join(f"{r:,} rows" for r in sizes) + " | growth exponent |"
    print(head)
    print("|" + "---|" * (len(sizes) + 3))
    for op in ops:
        for side in shown_sides:
            runs = table.get((op, side), [])
            if not runs:
                continue
            cells = []
            for _, d in runs:
                if "seconds" in d:
                    cell = f"{d['seconds']:.2f} s, +{d['added_mb']:.0f} MB ({d['peak_mb']:.0f})"
                    if "peer_s" in d:
                        cell += f"; statsmodels {d['peer_s']:.2f} s"
                    cells.append(cell)
                else:
                    cells.append("skipped: " + d["skipped"])
            exp = _exponent(runs)
            print(f"| {op} | {side} | " + " | ".join(cells) + f" | {exp:.2f} |" if math.isfinite(exp)
                  else f"| {op} | {side} | " + " | ".join(cells) + " | - |")


if __name__ == "__main__":
    main()

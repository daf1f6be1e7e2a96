"""Issue 18 benchmark: scoring on Ray Data vs in process, and summarize over a Parquet dataset (DuckDB)
vs in-memory pandas. Each measurement runs in a fresh subprocess (wall time, peak RSS).

    .venv/bin/python benchmarks/bench_scale.py                       # 200k rows scored, 2M-row dataset
    .venv/bin/python benchmarks/bench_scale.py --score-rows 2000000 --dataset-rows 20000000

Prints per-worker throughput, so the cluster size for a daily volume can be read off
(rows/day / (rows/s per worker x 86,400 s) workers).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METRICS = ["rouge1", "rougeL", "bleu", "chrf", "exact_match", "token_f1", "latency", "cost"]


def _rows(n: int, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    words = np.array("the a refund order was shipped late account password reset invoice billing cloud api key "
                     "support ticket customer please help error outage region data plan upgrade".split())

    def texts(k):
        lens = rng.integers(20, 60, k)
        return [" ".join(rng.choice(words, L)) for L in lens]

    models = np.array([f"model-{i}" for i in range(6)])
    cats = np.array([f"cat-{i}" for i in range(10)])
    out = texts(n)
    ref = texts(n)
    return pd.DataFrame({"run_id": "bench", "model": models[rng.integers(0, 6, n)], "item_id": [f"i{i}" for i in range(n)],
                         "task": "qa", "category": cats[rng.integers(0, 10, n)], "input": "q", "output": out,
                         "reference": ref, "latency_ms": rng.lognormal(7, 0.5, n), "prompt_tokens": rng.integers(50, 500, n),
                         "completion_tokens": rng.integers(10, 200, n), "cost_usd": rng.gamma(2, 1e-3, n)})


def _score_rows(n: int, seed: int = 0):
    """The columns the dataset part reads (no texts: generating 20M texts would take longer than the
    measurement), with the same distributions as ``_rows``."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    models = pd.Categorical.from_codes(rng.integers(0, 6, n), [f"model-{i}" for i in range(6)])
    cats = pd.Categorical.from_codes(rng.integers(0, 10, n), [f"cat-{i}" for i in range(10)])
    return pd.DataFrame({"model": models.astype(str), "category": cats.astype(str),
                         "latency_ms": rng.lognormal(7, 0.5, n), "cost_usd": rng.gamma(2, 1e-3, n),
                         "ok": (rng.random(n) < 0.7).astype(float)})


def _child(kind: str, n: int, path: str) -> dict:
    import pandas as pd

    import evalnb

    if kind.startswith("score"):
        df = pd.read_parquet(path)
        t = time.perf_counter()
        if kind == "score-local":
            evalnb.score(df, METRICS, progress=False)
        else:
            import ray

            from evalnb.metrics.distributed import score_on_ray

            # The frame is handed over in memory (no read tasks): on a 2-CPU machine, read tasks and
            # scoring actors would otherwise compete for the same two CPUs. 2 CPUs, 1 or 2 scoring actors.
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            workers = int(kind.split("-")[-1])
            t = time.perf_counter()
            score_on_ray(df, METRICS, concurrency=workers, batch_size=max(1000, len(df) // (4 * workers)))
        return {"s": time.perf_counter() - t}
    if kind == "summarize-duckdb":
        t = time.perf_counter()
        evalnb.summarize(path, by=["model", "category"], progress=False)
        return {"s": time.perf_counter() - t}
    if kind == "summarize-pandas":
        t = time.perf_counter()
        df = pd.read_parquet(path)
        evalnb.summarize(df, by=["model", "category"], metrics=["latency_ms", "cost_usd", "ok"], progress=False)
        return {"s": time.perf_counter() - t}
    if kind.startswith("slices-"):
        # the Explorer's slice change: a new threshold on the slice table, 20 times
        import numpy as np

        t = time.perf_counter()
        data = pd.read_parquet(path, columns=["category", "latency_ms"]) if kind == "slices-pandas" else path
        load = time.perf_counter() - t
        times = []
        for threshold in np.linspace(800, 3000, 20):
            t = time.perf_counter()
            evalnb.slice_table(data, "latency_ms", float(threshold), by="category", below=False)
            times.append(time.perf_counter() - t)
        return {"s": load + sum(times), "p50": float(np.percentile(times, 50)), "p95": float(np.percentile(times, 95)),
                "load": load}
    raise SystemExit(kind)


def _own_peak_mb() -> float:
    """This process's peak resident memory (VmHWM: per address space, so not the parent's peak, which
    ru_maxrss carries across fork/exec)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(kind: str, n: int, path: str) -> dict:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", kind, "--n", str(n), "--path", path],
                          capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        return {"kind": kind, "error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res.update(kind=kind, wall=wall)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--score-rows", type=int, default=200_000)
    ap.add_argument("--dataset-rows", type=int, default=2_000_000, help="0: skip the dataset part")
    ap.add_argument("--child")
    ap.add_argument("--n", type=int)
    ap.add_argument("--path")
    args = ap.parse_args()
    if args.child:
        out = _child(args.child, args.n, args.path)
        out["rss_mb"] = _own_peak_mb()   # this child's own peak (Ray workers and DuckDB threads are in-process or not counted)
        print(json.dumps(out))
        return
    import numpy as np

    tmp = tempfile.mkdtemp(prefix="evalnb-bench-scale-")
    runs = os.path.join(tmp, "runs.parquet")
    _rows(args.score_rows).to_parquet(runs, index=False)
    print(f"scoring {args.score_rows:,} rows with {', '.join(METRICS)}")
    base = None
    for kind in ("score-local", "score-ray-1", "score-ray-2"):
        r = _measure(kind, args.score_rows, runs)
        if "error" in r:
            print(f"  {kind:<18} failed: {r['error']}")
            continue
        rate = args.score_rows / r["s"]
        workers = 1 if kind != "score-ray-2" else 2
        base = base or r["s"]
        print(f"  {kind:<18} {r['s']:8.1f} s  {rate:9,.0f} rows/s  {rate / workers:9,.0f} rows/s/worker  "
              f"x{base / r['s']:.2f} vs in-process")
    print("\n100M rows a day -> workers needed at the measured per-worker rate: see the README table")

    if not args.dataset_rows:
        return
    ds = os.path.join(tmp, "scores")
    os.makedirs(ds)
    chunk = 1_000_000
    for i in range(0, args.dataset_rows, chunk):
        k = min(chunk, args.dataset_rows - i)
        frame = _score_rows(k, seed=i)
        frame.to_parquet(os.path.join(ds, f"part-{i // chunk:05d}.parquet"), index=False)
    print(f"\nsummarize(by=[model, category]) over a {args.dataset_rows:,}-row Parquet dataset")
    for kind in ("summarize-duckdb", "summarize-pandas"):
        r = _measure(kind, args.dataset_rows, ds)
        if "error" in r:
            print(f"  {kind:<18} failed: {r['error']}")
            continue
        print(f"  {kind:<18} {r['s']:8.1f} s  peak RSS {r['rss_mb']:,.0f} MB")
    print(f"\nExplorer slice change (slice_table, new threshold, by category) over {args.dataset_rows:,} rows, 20 changes")
    for kind in ("slices-duckdb", "slices-pandas"):
        r = _measure(kind, args.dataset_rows, ds)
        if "error" in r:
            print(f"  {kind:<18} failed: {r['error']}")
            continue
        print(f"  {kind:<18} p50 {r['p50'] * 1000:7.0f} ms  p95 {r['p95'] * 1000:7.0f} ms  (load {r['load']:.1f} s)  "
              f"peak RSS {r['rss_mb']:,.0f} MB")
    print(f"\nmachine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()

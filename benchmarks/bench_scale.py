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

            ray.init(num_cpus=int(kind.split("-")[-1]), include_dashboard=False, log_to_driver=False)
            t = time.perf_counter()
            evalnb.score(path, METRICS, engine="ray", output=tempfile.mkdtemp())
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
    raise SystemExit(kind)


def _measure(kind: str, n: int, path: str) -> dict:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", kind, "--n", str(n), "--path", path],
                          capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        return {"kind": kind, "error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res.update(kind=kind, wall=wall, rss_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--score-rows", type=int, default=200_000)
    ap.add_argument("--dataset-rows", type=int, default=2_000_000)
    ap.add_argument("--child")
    ap.add_argument("--n", type=int)
    ap.add_argument("--path")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.n, args.path)))
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

    ds = os.path.join(tmp, "scores")
    os.makedirs(ds)
    rng = np.random.default_rng(1)
    chunk = 1_000_000
    for i in range(0, args.dataset_rows, chunk):
        k = min(chunk, args.dataset_rows - i)
        frame = _rows(k, seed=i)[["model", "category", "latency_ms", "cost_usd"]]
        frame["ok"] = (rng.random(k) < 0.7).astype(float)
        frame.to_parquet(os.path.join(ds, f"part-{i // chunk:05d}.parquet"), index=False)
    print(f"\nsummarize(by=[model, category]) over a {args.dataset_rows:,}-row Parquet dataset")
    for kind in ("summarize-duckdb", "summarize-pandas"):
        r = _measure(kind, args.dataset_rows, ds)
        if "error" in r:
            print(f"  {kind:<18} failed: {r['error']}")
            continue
        print(f"  {kind:<18} {r['s']:8.1f} s  peak RSS {r['rss_mb']:,.0f} MB (max over the children so far)")


if __name__ == "__main__":
    main()

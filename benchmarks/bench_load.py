"""load_runs at 10k/100k/1M rows: before (the row-wise loader) vs after vs pyarrow's own read.

Each measurement runs in a fresh subprocess and reports wall time and peak RSS (``VmHWM``),
plus the RSS after imports, so memory beyond the interpreter can be compared. "before" is the
loader as of commit ``BEFORE`` (extracted with ``git archive`` into a temporary folder and put
first on ``PYTHONPATH``); "pyarrow" is ``pyarrow.json.read_json(path).to_pandas()`` (or
``pyarrow.csv``/``pyarrow.parquet``), the peer the issue names.

Data: synthetic runs of 6 models, 10 categories, 20-60-word input/output/reference, 4 judge
columns, latency, tokens (missing on 1 row in 7), cost, timestamp and request id.

    .venv/bin/python benchmarks/bench_load.py                       # 10k, 100k, 1M; JSONL, CSV, Parquet
    .venv/bin/python benchmarks/bench_load.py --sizes 10000 --formats jsonl
    .venv/bin/python benchmarks/bench_load.py --sizes 300MB --formats jsonl --no-before   # streaming goal
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "0293757"  # last commit with the row-wise loader

WORDS = ("the of and to in is it that for you was with on as have be at by this had not are but from or "
         "account billing refund order delivery password login error payment invoice plan upgrade cancel "
         "support ticket agent customer issue problem resolved pending shipping address card charge fee "
         "subscription renewal discount coupon question answer summary policy terms device network").split()
MODELS = [f"model-{c}" for c in "abcdef"]
CATEGORIES = [f"cat-{i}" for i in range(10)]


def make_rows(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    vocab = np.array(WORDS)
    for i in range(n):
        texts = [" ".join(vocab[rng.integers(0, len(vocab), rng.integers(20, 61))]) for _ in range(3)]
        row = {"model": MODELS[i % 6], "item_id": f"item-{i // 6:07d}", "task": "qa", "category": CATEGORIES[i % 10],
               "input": texts[0], "output": texts[1], "reference": texts[2],
               "latency_ms": round(float(rng.gamma(2.0, 300.0)), 1),
               "cost_usd": round(float(rng.random() * 0.01), 6),
               "timestamp": f"2026-05-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}Z",
               "request_id": f"req-{i:09d}"}
        if i % 7:
            row["prompt_tokens"] = int(rng.integers(50, 800))
            row["completion_tokens"] = int(rng.integers(5, 300))
        for j, name in enumerate(("judge_relevance", "judge_faithfulness", "judge_coherence", "judge_helpfulness")):
            row[name] = float(rng.integers(1, 6))
        yield row


def write_data(folder: Path, n: int, formats: list[str]) -> dict[str, Path]:
    out = {}
    jsonl = folder / f"runs_{n}.jsonl"
    if not jsonl.exists():
        with open(jsonl, "w") as fh:
            for row in make_rows(n):
                fh.write(json.dumps(row) + "\n")
    out["jsonl"] = jsonl
    if "csv" in formats or "parquet" in formats:
        import pyarrow.json as pj

        table = pj.read_json(jsonl)
        if "csv" in formats:
            import pyarrow.csv as pcsv

            path = folder / f"runs_{n}.csv"
            if not path.exists():
                pcsv.write_csv(table, path)
            out["csv"] = path
        if "parquet" in formats:
            import pyarrow.parquet as pq

            path = folder / f"runs_{n}.parquet"
            if not path.exists():
                pq.write_table(table, path)
            out["parquet"] = path
    return out


def rows_for_bytes(target: int) -> int:
    sample = sum(len(json.dumps(r)) + 1 for r in make_rows(2000, seed=1)) / 2000
    return int(target / sample)


CHILD = r"""
import sys, time
path, mode = sys.argv[1], sys.argv[2]


def hwm():  # VmHWM restarts at exec; ru_maxrss would keep the parent's high-water mark
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])


import pandas, pyarrow, pyarrow.json, pyarrow.csv, pyarrow.parquet
import evalnb, evalnb.runs  # imported in every mode, so the base RSS is comparable
base = hwm()
t0 = time.perf_counter()
if mode == "pyarrow":
    if path.endswith(".jsonl"):
        df = pyarrow.json.read_json(path).to_pandas()
    elif path.endswith(".csv"):
        df = pyarrow.csv.read_csv(path).to_pandas()
    else:
        df = pyarrow.parquet.read_table(path).to_pandas()
else:
    kwargs = {"progress": False} if mode == "after" else {}
    df = evalnb.load_runs(path, **kwargs).df
elapsed = time.perf_counter() - t0
peak = hwm()
frame = int(df.memory_usage(deep=True).sum())
print(f"{elapsed:.3f} {peak * 1024} {base * 1024} {frame} {len(df)}")
"""


def measure(path: Path, mode: str, before_dir: Path | None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(before_dir) if mode == "before" else str(ROOT)
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), mode], capture_output=True, text=True, env=env,
                         cwd=tempfile.gettempdir())
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    t, peak, base, frame, rows = out.stdout.split()
    return {"s": float(t), "peak": int(peak), "base": int(base), "frame": int(frame), "rows": int(rows)}


def before_package(folder: Path) -> Path:
    target = folder / "before"
    if not (target / "evalnb").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", BEFORE, "evalnb"], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="row counts, or a size like 300MB")
    parser.add_argument("--formats", default="jsonl,csv,parquet")
    parser.add_argument("--no-before", action="store_true", help="skip the row-wise loader")
    parser.add_argument("--before-max", type=int, default=1_000_000, help="largest size the row-wise loader runs")
    parser.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "evalnb-bench-load"))
    args = parser.parse_args()
    folder = Path(args.data)
    folder.mkdir(parents=True, exist_ok=True)
    formats = args.formats.split(",")
    before_dir = None if args.no_before else before_package(folder)
    mb = 1 << 20
    print(f"{'rows':>9} {'format':7} {'file MB':>8} | {'before s':>8} {'MB':>6} | {'after s':>8} {'MB':>6} | "
          f"{'pyarrow s':>9} {'MB':>6} | {'after/pa time':>13} {'after/pa peak':>13} | {'frame MB':>8} {'(peak-base-frame)/file':>22}")
    for size in args.sizes.split(","):
        n = rows_for_bytes(int(float(size[:-2]) * mb)) if size.upper().endswith("MB") else int(size)
        paths = write_data(folder, n, formats)
        for fmt in formats:
            path = paths[fmt]
            file_mb = path.stat().st_size / mb
            res = {}
            for mode in ("before", "after", "pyarrow"):
                if mode == "before" and (before_dir is None or n > args.before_max):
                    res[mode] = None
                    continue
                res[mode] = measure(path, mode, before_dir)

            def cell(r: dict | None) -> str:
                if r is None:
                    return f"{'-':>8} {'-':>6}"
                if "error" in r:
                    return f"{'error':>8} {'':>6}"
                return f"{r['s']:8.2f} {r['peak'] / mb:6.0f}"

            after, peer = res["after"], res["pyarrow"]
            ratio_t = after["s"] / peer["s"] if "s" in after and "s" in peer else float("nan")
            ratio_m = after["peak"] / peer["peak"] if "s" in after and "s" in peer else float("nan")
            frame_mb = after.get("frame", 0) / mb
            # issue 13.14's streaming goal: peak RSS <= 1.5 x the file's size plus the frame
            extra = (after["peak"] - after["base"] - after["frame"]) / path.stat().st_size if "s" in after else float("nan")
            print(f"{n:9,d} {fmt:7} {file_mb:8.1f} | {cell(res['before'])} | {cell(after)} | {cell(peer).replace(' ', ' ', 1):>16} | "
                  f"{ratio_t:13.2f} {ratio_m:13.2f} | {frame_mb:8.0f} {extra:22.2f}", flush=True)
            for mode, r in res.items():
                if r and "error" in r:
                    print(f"    {mode}: {r['error']}")


if __name__ == "__main__":
    main()

"""load_runs on a DataFrame: the columnar path (pyarrow kernels per column) next to the row-wise
reader it replaced (``read_frame`` + ``records_chunk``, still the importers' path), same process,
same frame, identical results asserted.

The frame is bench_scale_analysis's: 6 models (categorical), 10 categories, timestamps, four judges,
text statistics, a text column. ``report(runs_frame, ...)`` and every widget that takes a frame
start here.

    .venv/bin/python benchmarks/bench_load_frame.py --rows 1000000
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    import pandas as pd

    import bench_scale_analysis as b
    import evalnb
    from evalnb.io import readers

    _, frame = b.build(args.rows)
    runs = frame.drop(columns=["thumbs_up"])
    start = time.perf_counter()
    new = evalnb.load_runs(runs, progress=False)
    columnar = time.perf_counter() - start
    columnar_path = readers.frame_chunks
    readers.frame_chunks = lambda src, name: [readers.records_chunk(readers.read_frame(src, name))]
    try:
        start = time.perf_counter()
        old = evalnb.load_runs(runs, progress=False)
        rowwise = time.perf_counter() - start
    finally:
        readers.frame_chunks = columnar_path
    pd.testing.assert_frame_equal(new.df, old.df)
    print(f"load_runs(DataFrame), {len(runs):,} rows x {runs.shape[1]} columns: columnar {columnar:.2f} s, "
          f"row-wise {rowwise:.2f} s (x{rowwise / columnar:.0f}); identical frames")


if __name__ == "__main__":
    main()

"""Sandbox throughput: evalnb's isolated runner vs a bare subprocess per sample (the peer).

The peer is what human-eval-style harnesses do at minimum: one ``python -c`` subprocess per
sample with a timeout and no namespaces, no rlimits and no nonce. Both run the same programs
with the same number of parallel workers in one process, so machine noise hits both sides.

    .venv/bin/python benchmarks/bench_sandbox.py [--samples 200] [--workers 2]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from evalnb.metrics.sandbox import Sandbox, probe_isolation

GOOD = "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n"
BAD = "def fib(n):\n    return n\n"
TESTS = "assert fib(10) == 55\nassert fib(1) == 1\nassert fib(20) == 6765\n"


def _peer_one(code: str, tests: str) -> bool:
    try:
        proc = subprocess.run([sys.executable, "-c", code + "\n" + tests], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=5)
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    # distinct programs (a comment varies), so no cache or page-cache trick favours either side
    jobs = [((GOOD if i % 2 else BAD) + f"# sample {i}\n", TESTS) for i in range(args.samples)]

    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        peer = list(pool.map(lambda j: _peer_one(*j), jobs))
    peer_s = time.perf_counter() - t0

    rows = [("bare subprocess per sample (peer)", peer_s, sum(peer))]
    modes = ["none"] + (["namespaces"] if probe_isolation().available else [])
    for mode in modes:
        box = Sandbox(timeout=5, isolation=mode, workers=args.workers)
        t0 = time.perf_counter()
        res = box.run_many(jobs, progress=False)
        rows.append((f"evalnb Sandbox isolation={mode}", time.perf_counter() - t0, sum(r.passed for r in res)))

    print(f"{args.samples} samples, {args.workers} workers; {probe_isolation().summary()}")
    print(f"{'runner':42s} {'seconds':>8s} {'samples/s':>10s} {'passed':>7s} {'vs peer':>8s}")
    for name, secs, passed in rows:
        print(f"{name:42s} {secs:8.2f} {args.samples / secs:10.1f} {passed:7d} {peer_s / secs:7.2f}x")
    assert len({passed for _, _, passed in rows}) == 1, "runners disagree on which samples pass"


if __name__ == "__main__":
    main()

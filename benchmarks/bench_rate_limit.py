"""Judge engine against a real rate limit (issue 13.8): 2,000 calls, a fake limited to 600 requests/min.

The fake enforces the limit the way OpenAI does: a bucket of 600 requests refilled continuously
(10/s), 429 with ``Retry-After`` when empty, ``x-ratelimit-*`` headers on every reply. Whatever a
client does, N calls need at least ``(N - 600) / 10`` seconds (the first 600 ride the full bucket).
Target: finish in <= 1.1x that minimum with 0 failures.

With ``--peer`` the same job also runs as a bare ``AsyncOpenAI`` loop relying on the SDK's own
retries (max_retries=6, Retry-After honoured): what a client that only retries gets.

    .venv/bin/python benchmarks/bench_rate_limit.py [--n 2000] [--rpm 600] [--latency 0.05] [--peer]

The fake server runs in its own process.
"""
from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_judge import make_requests  # noqa: E402
from evalnb.metrics.judge.engine import JudgeConfig, JudgeEngine  # noqa: E402
from evalnb.testing import fetch_stats  # noqa: E402


def _server(rpm: float, latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "evalnb.testing.fake_openai", "--latency", str(latency),
                             "--rpm", str(rpm)], stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


async def bare_sdk(url: str, reqs, concurrency: int) -> tuple[float, int]:
    import openai

    client = openai.AsyncOpenAI(base_url=url, api_key="k", max_retries=6, timeout=30)
    sem = asyncio.Semaphore(concurrency)
    failed = 0

    async def one(r) -> None:
        nonlocal failed
        async with sem:
            try:
                await client.chat.completions.create(model="bare", messages=r.message_dicts(), temperature=0,
                                                     max_tokens=64)
            except openai.APIError:
                failed += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(one(r) for r in reqs))
    await client.close()
    return time.perf_counter() - t0, failed


def main() -> None:
    ap = argparse.ArgumentParser(allow_abbrev=False)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--rpm", type=float, default=600)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--peer", action="store_true", help="also run the bare SDK loop (as long again)")
    args = ap.parse_args()
    minimum = max(0.0, (args.n - args.rpm) / (args.rpm / 60.0))
    reqs = make_requests(args.n)
    import openai  # noqa: F401  (imported before the clock starts: the minimum is about the calls)

    server, url = _server(args.rpm, args.latency)
    try:
        with tempfile.TemporaryDirectory() as cache:
            cfg = JudgeConfig(base_url=url, model="bench", api_key="k", cache_dir=cache, concurrency=args.concurrency,
                              max_tokens=64, progress=True)
            t0 = time.perf_counter()
            res = JudgeEngine(cfg).judge(reqs)
            wall = time.perf_counter() - t0
        stats = fetch_stats(url)
    finally:
        server.terminate()
        server.wait()
    failed = sum(not r.ok for r in res)
    print(f"rate limit: {args.n} calls, fake limited to {args.rpm:g} requests/min (bucket {args.rpm:g}, "
          f"{args.rpm / 60:g}/s), latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}")
    print(f"  limit's minimum time   {minimum:8.1f} s")
    print(f"  evalnb engine          {wall:8.1f} s  ({wall / minimum:.3f}x the minimum; {failed} failed; "
          f"{stats['limited']} requests answered 429 by the limit; {stats['requests']} requests sent)")
    if args.peer:
        server, url = _server(args.rpm, args.latency)
        try:
            bare, bare_failed = asyncio.run(bare_sdk(url, reqs, args.concurrency))
            peer_stats = fetch_stats(url)
        finally:
            server.terminate()
            server.wait()
        print(f"  bare SDK, 6 retries    {bare:8.1f} s  ({bare / minimum:.3f}x the minimum; {bare_failed} failed; "
              f"{peer_stats['limited']} requests answered 429; {peer_stats['requests']} requests sent)")
    print(f"  target <= 1.1x the minimum with 0 failures: "
          f"{'met' if wall <= 1.1 * minimum and failed == 0 else 'NOT met'}")


if __name__ == "__main__":
    main()

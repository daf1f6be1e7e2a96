"""Judge engine throughput against the local fake server (issue 4 speed target).

1,000 judged items, 100 ms latency per call, concurrency 32: the ideal is 32 / 0.1 s = 320 calls/s;
the target is >= 90% of it. The peer, measured in the same run, is a bare ``AsyncOpenAI`` loop with an
``asyncio.Semaphore`` (no cache, journal, parsing or retries): the ratio shows what evalnb's engine
costs on top of the SDK. A second run of the same job must make 0 calls.

    .venv/bin/python benchmarks/bench_judge.py [--n 1000] [--latency 0.1] [--concurrency 32] [--repeat 3]

A third line, raw aiohttp with no SDK, shows the most this machine gives a Python client; the gap
between it and the engine is the per-call CPU of the SDK's request path (httpx2 + aiohttp layers).

The fake server runs in its own process so that it does not share the client's interpreter lock.
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

from evalnb.metrics.judge.engine import JudgeConfig, JudgeEngine, JudgeRequest  # noqa: E402
from evalnb.metrics.judge.parsing import rubric_schema  # noqa: E402
from evalnb.testing import fetch_stats  # noqa: E402


def make_requests(n: int) -> list[JudgeRequest]:
    words = ["password", "reset", "link", "email", "settings", "account", "login", "page", "click", "support"]
    out = []
    for i in range(n):
        text = f"answer {i}: " + " ".join(words[(i * k) % 10] for k in range(1, 12))
        body = (f"[[DATA-BEGIN name=input nonce=b]]\nHow do I reset my password?\n[[DATA-END nonce=b]]\n"
                f"[[DATA-BEGIN name=output nonce=b]]\n{text}\n[[DATA-END nonce=b]]")
        out.append(JudgeRequest.of([{"role": "system", "content": "Criterion: relevance"}, {"role": "user", "content": body}],
                                   rubric_schema(1, 5), rubric_version="bench.v1"))
    return out


async def bare_sdk(url: str, reqs: list[JudgeRequest], concurrency: int, aiohttp: bool = False) -> float:
    import openai

    client = openai.AsyncOpenAI(base_url=url, api_key="k", max_retries=0, timeout=30,
                                http_client=openai.DefaultAioHttpClient() if aiohttp else None)
    sem = asyncio.Semaphore(concurrency)

    async def one(r: JudgeRequest) -> None:
        async with sem:
            await client.chat.completions.create(model="bare", messages=r.message_dicts(), temperature=0, max_tokens=512,
                                                 logprobs=True, top_logprobs=5)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(r) for r in reqs))
    await client.close()
    return time.perf_counter() - t0


async def raw_aiohttp(url: str, reqs: list[JudgeRequest], concurrency: int) -> float:
    """No SDK at all: aiohttp posting pre-encoded bodies. Not a way to call a judge (no auth
    handling, typed errors or retries), but the most this machine gives any Python client."""
    import json

    import aiohttp

    bodies = [json.dumps({"model": "raw", "messages": r.message_dicts(), "temperature": 0, "max_tokens": 512,
                          "logprobs": True, "top_logprobs": 5}).encode() for r in reqs]
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(headers={"Content-Type": "application/json", "Authorization": "Bearer k"}) as session:
        async def one(body: bytes) -> None:
            async with sem:
                async with session.post(f"{url}/chat/completions", data=body) as resp:
                    json.loads(await resp.read())

        t0 = time.perf_counter()
        await asyncio.gather(*(one(b) for b in bodies))
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    server = subprocess.Popen([sys.executable, "-m", "evalnb.testing.fake_openai", "--latency", str(args.latency)],
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        reqs = make_requests(args.n)
        ideal = args.concurrency / args.latency
        walls, bares, bares_aio, raws, cpus = [], [], [], [], []
        for rep in range(args.repeat):  # interleaved, best of each: load from other processes hits both sides
            with tempfile.TemporaryDirectory() as cache:
                cfg = JudgeConfig(base_url=url, model="bench", api_key="k", cache_dir=cache, concurrency=args.concurrency,
                                  progress=False)
                t0, c0 = time.perf_counter(), time.process_time()
                first = JudgeEngine(cfg).judge(reqs)
                walls.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
                served = fetch_stats(url)
                calls_before = served["requests"]
                t0 = time.perf_counter()
                JudgeEngine(cfg).judge(reqs)
                wall2 = time.perf_counter() - t0
                second_calls = fetch_stats(url)["requests"] - calls_before
            bares.append(asyncio.run(bare_sdk(url, reqs, args.concurrency)))
            bares_aio.append(asyncio.run(bare_sdk(url, reqs, args.concurrency, aiohttp=True)))
            raws.append(asyncio.run(raw_aiohttp(url, reqs, args.concurrency)))
        wall, bare, bare_aio, raw = min(walls), min(bares), min(bares_aio), min(raws)
        ok = sum(r.ok for r in first)
        ours, peer = args.n / wall, args.n / bare
        print(f"judge engine: {args.n} items, latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}, "
              f"best of {args.repeat} interleaved runs")
        print(f"  ideal                 {ideal:8.1f} calls/s")
        print(f"  evalnb engine         {ours:8.1f} calls/s  ({ours / ideal:.1%} of ideal; {ok}/{args.n} ok; {wall:.2f} s)")
        print(f"  bare AsyncOpenAI loop {peer:8.1f} calls/s  ({peer / ideal:.1%} of ideal; {bare:.2f} s)")
        print(f"  bare, aiohttp transport {args.n / bare_aio:6.1f} calls/s  ({args.n / bare_aio / ideal:.1%} of ideal; {bare_aio:.2f} s)")
        print(f"  raw aiohttp, no SDK   {args.n / raw:8.1f} calls/s  ({args.n / raw / ideal:.1%} of ideal; {raw:.2f} s): "
              "the most this machine gives a Python client")
        print(f"  ratio evalnb / bare   {ours / peer:8.2f}  (evalnb / bare aiohttp {ours / (args.n / bare_aio):.2f})")
        print(f"  evalnb client CPU per call {1000 * min(cpus) / args.n:.2f} ms; server: at most "
              f"{served['max_inflight']} in flight, {served['service_ms_mean']:.1f} ms mean per call")
        print(f"  second run: {second_calls} calls, {wall2:.2f} s (all from the cache)")
        print(f"  target >= 90% of ideal: {'met' if ours >= 0.9 * ideal else 'NOT met'}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()

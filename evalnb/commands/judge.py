"""``evalnb judge RUNS... -m judge_relevance,faithfulness``: cached, resumable LLM-judge scoring.

Examples::

    evalnb judge sample_data/runs/*.jsonl -m judge_relevance --base-url http://localhost:8000/v1 \\
        --model qwen2.5-7b-instruct --sample 50 --strata model,category --out judged.parquet
    evalnb judge runs.jsonl -m faithfulness --model gpt-4o-mini --dry-run     # cost estimate, no call
    evalnb judge runs.jsonl -m judge_relevance --fake --limit 200             # local fake judge (demo)

Exit codes: 0 done, 2 bad input or no usable judge reply.
"""
from __future__ import annotations

import argparse
import contextlib
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", help="eval-run files, globs or folders")
    parser.add_argument("-m", "--metrics", default="judge_relevance",
                        help="comma-separated judge metrics (judge_relevance, judge_coherence, judge_fluency, "
                             "judge_factuality, judge_helpfulness, judge_safety, faithfulness, qa_factuality, safety_violation)")
    parser.add_argument("--base-url", help="OpenAI-compatible endpoint (default $OPENAI_BASE_URL, then OpenAI)")
    parser.add_argument("--model", help="judge model (default $EVALNB_JUDGE_MODEL)")
    parser.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key")
    parser.add_argument("--cache-dir", help="journal/cache folder (default .evalnb-cache/judge)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per attempt")
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--no-structured", action="store_true", help="schema in the prompt instead of response_format")
    parser.add_argument("--no-logprobs", action="store_true", help="do not ask for logprobs (no G-Eval expected score)")
    parser.add_argument("--sample", type=float, help="judge a fraction (<1) or a number per stratum (>=1)")
    parser.add_argument("--strata", default="", help="comma-separated stratification columns, e.g. model,category")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed")
    parser.add_argument("--limit", type=int, help="only the first N rows (a quick look)")
    parser.add_argument("--price", nargs=2, type=float, metavar=("IN", "OUT"), help="USD per million input/output tokens")
    parser.add_argument("--dry-run", action="store_true", help="estimate tokens and cost; make no call")
    parser.add_argument("--fake", action="store_true", help="start evalnb's local fake judge server and use it")
    parser.add_argument("--out", help="write per-item scores (.parquet, .csv or .jsonl)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


@contextlib.contextmanager
def _fake_server():
    """Start ``python -m evalnb.testing.fake_openai`` (a separate process: the CLI does not import the
    test tooling) and yield its base URL; stop it on exit."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "evalnb.testing.fake_openai", "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip() if proc.stdout else ""
        if not line.startswith("http"):
            from .._errors import EvalnbError

            raise EvalnbError(f"the fake judge server did not start (exit code {proc.poll()})")
        yield line
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if proc.stdout:
            proc.stdout.close()


def run(args: argparse.Namespace) -> int:
    import os

    from ..io.writers import write_parquet, write_text
    from ..metrics.registry import metric
    from ..metrics.scoring import score
    from ..runs import load_runs

    runs = load_runs(args.paths)
    frame = runs.df.head(args.limit) if args.limit else runs.df
    names = [m.strip() for m in args.metrics.split(",") if m.strip()]
    with contextlib.ExitStack() as stack:
        base_url = args.base_url
        model = args.model
        if args.fake:
            base_url, model = stack.enter_context(_fake_server()), model or "fake-judge"
        settings = {"base_url": base_url, "model": model, "api_key": os.environ.get(args.api_key_env),
                    "cache_dir": args.cache_dir, "concurrency": args.concurrency, "timeout": args.timeout,
                    "temperature": args.temperature, "max_tokens": args.max_tokens,
                    "structured": False if args.no_structured else None, "logprobs": False if args.no_logprobs else None,
                    "progress": not args.quiet, "prices": tuple(args.price) if args.price else None}
        sampling = {"sample": args.sample, "strata": [s for s in args.strata.split(",") if s] or None,
                    "sample_seed": args.seed} if args.sample else {}
        built = [metric(name, **settings, **sampling) for name in names]
        if args.dry_run:
            total = 0.0
            for m in built:
                est = m.estimate(frame)
                print(f"{m.name}: {est.summary()}")
                total += est.cost_usd or 0.0
            print(f"total estimated cost: ${total:,.4f} for {len(frame):,} rows")
            return 0
        scores = score(frame, built, progress=not args.quiet)
        failed = [n for n, s in scores.status.items() if s != "ok"]
        for m in built:
            col = m.columns[0]
            status_col = getattr(m, "status_column", f"{col}_status")
            line = f"{m.name}: {scores.status[m.name]}"
            if col in scores.df and status_col in scores.df:
                counts = scores.df[status_col].value_counts().to_dict()
                line += f"; mean {col} (ok rows) = {scores.df[col].mean():.3f}; statuses {counts}"
                rate = getattr(m, "unusable_rate", float("nan"))
                if rate == rate:
                    line += f"; unusable replies {rate:.1%} (excluded from the mean)"
            stats = m.last_stats if not isinstance(m.last_stats, tuple) else m.last_stats[-1]
            if stats is not None:
                line += f"; calls {sum(s.calls for s in (m.last_stats if isinstance(m.last_stats, tuple) else [m.last_stats]))}"
            print(line)
        if args.out:
            out = scores.df
            if args.out.endswith(".parquet"):
                write_parquet(out, args.out)
            elif args.out.endswith(".csv"):
                write_text(args.out, out.to_csv(index=False))
            else:
                write_text(args.out, out.to_json(orient="records", lines=True, date_format="iso"))
            print(f"wrote {len(out):,} rows to {args.out}")
        if failed:
            print(f"not computable: {', '.join(failed)}", file=sys.stderr)
            return 2
    return 0

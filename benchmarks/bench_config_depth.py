"""Deeply nested configs (issue 13 item 18): time to refuse them, against the parsers alone.

The issue's document is ``"a: " + "[" * 2000 + "]" * 2000`` (4 KB). PyYAML alone (``yaml.safe_load``,
the previous path) spends seconds in its scanner and ends in a RecursionError; evalnb counts levels
on the event stream and stops at the first one over ``MAX_DEPTH``. JSON: ``json.loads`` against
evalnb's bracket scan, on an 800 KB document.

    .venv/bin/python benchmarks/bench_config_depth.py [--depth 2000]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml  # noqa: E402

from evalnb._errors import ConfigError  # noqa: E402
from evalnb.io import readers  # noqa: E402,F401  (imported here so the timings below are parsing, not imports)
from evalnb.portfolio.config import load_portfolio_text  # noqa: E402


def timed(fn) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        fn()
        outcome = "parsed"
    except RecursionError:
        outcome = "RecursionError (a traceback)"
    except ConfigError as exc:
        outcome = f"ConfigError: {str(exc)[:70]}"
    except ValueError as exc:
        outcome = f"{type(exc).__name__}: {str(exc)[:60]}"
    return time.perf_counter() - start, outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--depth", type=int, default=2000)
    args = parser.parse_args()
    doc = "a: " + "[" * args.depth + "]" * args.depth
    deep_json = '{"a": ' + "[" * 400_000 + "]" * 400_000 + "}"
    rows = [("YAML, yaml.safe_load (previous path)", lambda: yaml.safe_load(doc), len(doc)),
            ("YAML, evalnb.load_portfolio_text", lambda: load_portfolio_text(doc), len(doc)),
            ("JSON, json.loads (previous path)", lambda: json.loads(deep_json), len(deep_json)),
            ("JSON, evalnb.load_portfolio_text", lambda: load_portfolio_text(deep_json, format="json"), len(deep_json))]
    print(f"{'path':<40} {'bytes':>9} {'seconds':>8}  outcome")
    for name, fn, size in rows:
        seconds, outcome = timed(fn)
        print(f"{name:<40} {size:>9,} {seconds:>8.3f}  {outcome}")


if __name__ == "__main__":
    main()

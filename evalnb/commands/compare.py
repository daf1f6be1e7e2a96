"""``evalnb compare SCORES.parquet --baseline A --candidate B``: paired differences, adjusted p-values."""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scores", help="per-item scores written by `evalnb score -o`")
    parser.add_argument("--baseline", required=True, help="baseline model")
    parser.add_argument("--candidate", required=True, help="candidate model (difference = candidate - baseline)")
    parser.add_argument("--metrics", help="comma-separated metrics or columns (default: every metric output)")
    parser.add_argument("--by", help="comma-separated slice columns to compare within")
    parser.add_argument("--method", choices=("holm", "bh"), default="holm", help="multiplicity adjustment")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON records")
    fmt.add_argument("--csv", action="store_true", help="print CSV")


def run(args: argparse.Namespace) -> int:
    from ..analysis.compare import compare
    from .score import load_scores
    from .summarize import emit, split

    scores = load_scores(args.scores)
    result = compare(scores, baseline=args.baseline, candidate=args.candidate, metrics=split(args.metrics),
                     by=split(args.by), adjust=args.method, alpha=args.alpha, n_boot=args.n_boot, seed=args.seed)
    emit(result.to_frame(), args.json, args.csv, result.summary())
    return 0

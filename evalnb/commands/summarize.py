"""``evalnb summarize SCORES.parquet [--by model,category] [--json|--csv]``: estimates with CIs."""
from __future__ import annotations

import argparse
import json
import math
import sys

import pandas as pd


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scores", help="per-item scores written by `evalnb score -o`")
    parser.add_argument("--by", default="model", help="comma-separated group columns (default: model; '' for all rows)")
    parser.add_argument("--metrics", help="comma-separated metrics or columns (default: every metric output)")
    parser.add_argument("--success", help="0/1 column for cost per successful item (e.g. accuracy)")
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON records")
    fmt.add_argument("--csv", action="store_true", help="print CSV (cells starting with = + - @ are neutralised)")


def split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def emit(frame: pd.DataFrame, as_json: bool, as_csv: bool, text: str) -> None:
    """Print a result as JSON records, spreadsheet-safe CSV, or its text summary."""
    if as_json:
        records = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
                   for row in frame.to_dict(orient="records")]
        print(json.dumps(records, indent=1, allow_nan=False, default=str))
    elif as_csv:
        print(safe_csv(frame), end="")  # evalnb.io.spreadsheet: the one CSV writer (R08)
    else:
        print(text)


def safe_csv(frame: pd.DataFrame) -> str:
    """CSV with text cells that a spreadsheet would run as a formula prefixed by a quote
    (:func:`evalnb.io.spreadsheet.safe_csv`)."""
    from ..io.spreadsheet import safe_csv as write

    return write(frame)


def run(args: argparse.Namespace) -> int:
    from ..analysis.summarize import summarize
    from .score import load_scores

    scores = load_scores(args.scores)
    result = summarize(scores, by=split(args.by) or [], metrics=split(args.metrics), confidence=args.confidence,
                       n_boot=args.n_boot, seed=args.seed, success=args.success, progress=sys.stderr.isatty())
    emit(result.to_frame(), args.json, args.csv, result.summary())
    return 0

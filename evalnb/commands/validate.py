"""``evalnb validate FILE... [--kpis]``: check files against the schema and list every problem."""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", help="files, globs or folders")
    parser.add_argument("--kpis", action="store_true", help="validate as KPI logs instead of eval runs")
    parser.add_argument("--errors", metavar="CSV", help="write the problem table here")


def run(args: argparse.Namespace) -> int:
    from ..runs import load_kpis, load_runs

    loaded = (load_kpis if args.kpis else load_runs)(args.paths, strict=False)
    print(f"{len(loaded.df):,} valid rows, {len(loaded.errors):,} problems")
    if not loaded.errors.empty:
        print(loaded.errors.head(20).to_string(index=False))
        if args.errors:
            loaded.errors.to_csv(args.errors, index=False)
        return 2
    return 0

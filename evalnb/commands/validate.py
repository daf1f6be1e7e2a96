"""``evalnb validate FILE... [--kpis] [--map NEW=COLUMN]``: check files against the schema and list every problem."""
from __future__ import annotations

import argparse

from .._errors import EvalnbError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", help="files, globs or folders (.jsonl, .csv, .parquet; also .gz, .zst)")
    parser.add_argument("--kpis", action="store_true", help="validate as KPI logs instead of eval runs")
    parser.add_argument("--errors", metavar="CSV", help="write the problem table here")
    parser.add_argument("--map", action="append", default=[], metavar="NEW=COLUMN",
                        help="rename a column before validation, e.g. --map human_relevance=relevance "
                             "or --map reference=gold_answer")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _parse_map(pairs: list[str]) -> dict[str, str] | None:
    mapping = {}
    for pair in pairs:
        new, sep, column = pair.partition("=")
        if not sep or not new.strip() or not column.strip():
            raise EvalnbError(f"--map expects NEW=COLUMN (e.g. human_relevance=relevance), got {pair!r}")
        mapping[new.strip()] = column.strip()
    return mapping or None


def run(args: argparse.Namespace) -> int:
    from ..runs import load_kpis, load_runs

    loader = load_kpis if args.kpis else load_runs
    loaded = loader(args.paths, strict=False, columns=_parse_map(args.map), progress=not args.no_progress)
    print(f"{len(loaded.df):,} valid rows, {len(loaded.errors):,} problems")
    for note in loaded.df.attrs.get("import_notes", []):  # what an importer of another tool's log left out
        print(note.text())
    if not loaded.errors.empty:
        print(loaded.errors.head(20).to_string(index=False))
        if args.errors:
            from ..io.spreadsheet import safe_csv

            safe_csv(loaded.errors, args.errors, index=False)
        return 2
    return 0

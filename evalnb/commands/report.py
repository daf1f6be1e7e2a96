"""``evalnb report RUNS... [--kpis ...] [--portfolio ...] [--interactive] [--pdf out.pdf] -o report.html``:
one offline HTML file (strict by default; ``--interactive`` for vega-embed charts), optionally a PDF."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", help="eval-run files, globs or folders (JSONL, CSV, Parquet)")
    parser.add_argument("--kpis", nargs="+", help="production KPI log file(s): adds KPI validation")
    parser.add_argument("--kpi", help="KPI column to validate against (default: the first)")
    parser.add_argument("--portfolio", help="portfolio config (YAML/JSON): adds the gates section")
    parser.add_argument("--metrics", help="comma-separated metric names to score first "
                                          "(default: the runs' operational and precomputed columns)")
    parser.add_argument("--baseline", metavar="MODEL_OR_RUN",
                        help="model or run_id that relative gates compare every other model with (on "
                             "matched items), and that the comparisons and the decision's 'changed against' "
                             "list use; default: the first model")
    parser.add_argument("--drift-window", metavar="YYYY-MM",
                        help="drift: compare the rows from this month on with the rows before it, all models "
                             "(default: the newest month; the decision lists its alerts)")
    parser.add_argument("--title", default="evalnb report")
    parser.add_argument("--max-chars", type=int, default=2_000, help="longest text shown per cell")
    parser.add_argument("--examples", type=int, default=5, help="worst items shown per model")
    parser.add_argument("--csv-dir", help="also write the report's tables as CSV (formula cells neutralised)")
    parser.add_argument("--interactive", action="store_true",
                        help="interactive form: charts with tooltips and pan/zoom, sortable tables (offline, "
                             "one hash-pinned script); default: the strict form, no script at all")
    parser.add_argument("--pdf", metavar="OUT.pdf",
                        help="also print the strict form (every section open) to this PDF with headless Chromium")
    parser.add_argument("-o", "--output", default="report.html", help="output HTML path")


def run(args: argparse.Namespace) -> int:
    import evalnb

    runs = evalnb.load_runs(args.runs if len(args.runs) > 1 else args.runs[0])
    kpis = evalnb.load_kpis(args.kpis if len(args.kpis) > 1 else args.kpis[0]) if args.kpis else None
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    rep = evalnb.report(runs, kpis=kpis, portfolio=args.portfolio, path=args.output, title=args.title,
                        kpi=args.kpi, metrics=metrics, max_chars=args.max_chars, examples=args.examples,
                        baseline=args.baseline, drift_window=args.drift_window, interactive=args.interactive, pdf=args.pdf)
    if args.csv_dir:
        out = Path(args.csv_dir)
        for name in rep.tables:
            rep.to_csv(name, out / f"{name}.csv")
    print(rep.summary())
    return 0

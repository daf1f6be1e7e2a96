"""``evalnb recalibrate``: re-validate a portfolio on fresh production outcomes and propose the change.

    evalnb recalibrate portfolio.yaml RUNS... --kpis KPIS [--window 30d] [-o proposed.yaml]
                       [--markdown diff.md] [--report r.html]

Exit codes: 0 no change needed, 1 a change is proposed, 2 bad input.
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("portfolio", help="the current portfolio config (.yaml/.json)")
    parser.add_argument("runs", nargs="+", help="scored eval rows (JSONL/CSV/Parquet files, globs or folders)")
    parser.add_argument("--kpis", nargs="+", metavar="KPI_LOG", help="the production KPI log(s) to join")
    parser.add_argument("--window", default="30d", help="'30d', '4w', a month 'YYYY-MM', or START..END (default 30d)")
    parser.add_argument("--baseline-window", help="compare with this window instead of the recorded evidence")
    parser.add_argument("--end", help="end of a '30d' window (default: the newest row)")
    parser.add_argument("--candidates", help="comma-separated columns the re-selection may add")
    parser.add_argument("--validity-floor", type=float, help="association below which a metric is decoupled")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--n-boot", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", metavar="PROPOSED", help="write the proposed portfolio here")
    parser.add_argument("--markdown", metavar="MD", help="write the diff as Markdown (a pull-request description)")
    parser.add_argument("--report", metavar="HTML", help="write a self-contained HTML page of the proposal")


def _window(text: str | None):
    if text and ".." in text:
        start, end = text.split("..", 1)
        return (start, end)
    return text


def run(args: argparse.Namespace) -> int:
    from ..io.writers import write_text
    from ..portfolio.recalibrate import recalibrate
    from ..runs import load_kpis, load_runs

    runs = load_runs(args.runs)
    kpis = load_kpis(args.kpis) if args.kpis else None
    proposal = recalibrate(args.portfolio, runs, kpis, window=_window(args.window),
                           baseline_window=_window(args.baseline_window), end=args.end,
                           candidates=[c.strip() for c in args.candidates.split(",")] if args.candidates else None,
                           validity_floor=args.validity_floor, alpha=args.alpha, n_boot=args.n_boot, seed=args.seed)
    print(proposal.summary())
    if args.output:
        print(f"\nproposed portfolio: {proposal.write(args.output)}")
    if args.markdown:
        print(f"diff: {write_text(args.markdown, proposal.to_markdown())}")
    if args.report:
        from ..report.html import standalone_page

        print(f"report: {write_text(args.report, standalone_page('evalnb recalibration', proposal.to_html()))}")
    return 1 if proposal.changed else 0

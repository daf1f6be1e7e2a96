"""``evalnb drift``: distribution, score and validity drift between two windows, or month by month.

    evalnb drift REFERENCE CURRENT [--kpis LOG] [--portfolio P] [--embeddings]
    evalnb drift DATA --monthly --reference-until 2026-09 [--kpis LOG] [--portfolio P]

Exit codes: 0 no alert, 1 an alert (a rollback trigger fired or drift was found), 2 bad input.
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", help="REFERENCE CURRENT, or DATA with --monthly")
    parser.add_argument("--monthly", action="store_true", help="one report per month after --reference-until")
    parser.add_argument("--reference-until", metavar="YYYY-MM", help="last month of the reference window")
    parser.add_argument("--model", help="keep only this model (or run_id)")
    parser.add_argument("--kpis", nargs="+", metavar="KPI_LOG", help="KPI log(s) to join (for validity drift)")
    parser.add_argument("--kpi", help="KPI column for validity drift (default: the portfolio's)")
    parser.add_argument("--portfolio", help="portfolio config: its metrics, KPI and rollback triggers")
    parser.add_argument("--metrics", help="comma-separated score columns")
    parser.add_argument("--embeddings", action="store_true", help="also test MiniLM embedding drift of texts")
    parser.add_argument("--psi-alert", type=float, default=0.1)
    parser.add_argument("--alpha", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", metavar="MD", help="write the report(s) as text in a Markdown file")
    parser.add_argument("--csv", metavar="CSV", help="write the tidy table(s) here")


def _load(paths, args):
    from .._errors import EvalnbError
    from ..runs import load_kpis, load_runs

    runs = load_runs(paths)
    if args.model:
        runs = runs.filter(model=args.model) if args.model in runs.models else runs.filter(run_id=args.model)
        if len(runs) == 0:
            raise EvalnbError(f"no rows for model or run_id '{args.model}'")
    return runs.with_kpis(load_kpis(args.kpis)) if args.kpis else runs.df


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from .._errors import EvalnbError
    from ..analysis.drift import drift, monthly
    from ..io.writers import write_text
    from ..portfolio.config import load_portfolio

    portfolio = load_portfolio(args.portfolio) if args.portfolio else None
    kwargs = dict(kpi=args.kpi, portfolio=portfolio, embeddings=args.embeddings, psi_alert=args.psi_alert,
                  alpha=args.alpha, seed=args.seed,
                  metrics=[m.strip() for m in args.metrics.split(",")] if args.metrics else None)
    if args.monthly:
        if not args.reference_until:
            raise EvalnbError("--monthly needs --reference-until YYYY-MM")
        reports = monthly(_load(args.paths, args), reference_until=args.reference_until, **kwargs)
    else:
        if len(args.paths) != 2:
            raise EvalnbError("give REFERENCE and CURRENT (two paths), or DATA with --monthly --reference-until")
        reports = {"current": drift(_load(args.paths[:1], args), _load(args.paths[1:], args), **kwargs)}
    text = "\n\n".join(r.summary() for r in reports.values())
    print(text)
    if args.markdown:
        write_text(args.markdown, "```\n" + text + "\n```\n")
    if args.csv:
        frame = pd.concat([r.to_frame().assign(window=k) for k, r in reports.items()], ignore_index=True)
        from ..io.spreadsheet import safe_csv

        safe_csv(frame, args.csv)  # formula-looking cells (column names, alert text) neutralised
    return 1 if any(r.alerted for r in reports.values()) else 0

"""``evalnb gate PORTFOLIO RUN [--baseline RUN]``: enforce a portfolio's deployment gates.

Exit codes: 0 every gate passed, 1 a gate failed, 2 a gate could not be evaluated (or bad input).
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("portfolio", help="portfolio config (.yaml, .yml or .json)")
    parser.add_argument("run", nargs="+", help="candidate run: files, globs or folders (eval runs or scores)")
    parser.add_argument("--baseline", nargs="+", metavar="RUN", help="baseline run for relative gates (paired on item_id)")
    parser.add_argument("--model", help="keep only this model (or run_id) from the candidate files")
    parser.add_argument("--baseline-model", help="keep only this model (or run_id) from the baseline files")
    parser.add_argument("--kpis", nargs="+", metavar="KPI_LOG", help="KPI log(s) to join before gating")
    parser.add_argument("--format", help="force the input format (jsonl, csv, parquet, inspect, lm_eval, ...)")
    parser.add_argument("--allow-incomplete", action="store_true",
                        help="load other tools' logs of runs that did not finish (refused by default)")
    parser.add_argument("--roles", default="primary,secondary,safety,robustness", help="comma-separated roles to gate")
    parser.add_argument("--adjust", choices=["none", "holm", "bh"], default="none",
                        help="also require multiplicity-adjusted one-sided p-values (default: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--junit", metavar="XML", help="write a JUnit XML report here")
    parser.add_argument("--markdown", metavar="MD", help="write a Markdown summary here")
    parser.add_argument("--json", metavar="JSON", help="write the gate table as JSON here")


def _pick(runs, model: str | None, what: str):
    from .._errors import EvalnbError

    if model is None:
        return runs
    df = runs.df
    mask = (df["model"] == model) | (df["run_id"] == model) if "run_id" in df else df["model"] == model
    if not mask.any():
        raise EvalnbError(f"{what}: no rows with model or run_id '{model}'; found: {', '.join(runs.models)}")
    return type(runs)(df[mask].reset_index(drop=True), runs.errors)


def run(args: argparse.Namespace) -> int:
    import json

    from ..io.writers import write_text
    from ..portfolio.config import load_portfolio
    from ..portfolio.gates import gate
    from ..runs import load_kpis, load_runs

    portfolio = load_portfolio(args.portfolio)
    opts = dict(format=args.format, allow_incomplete=args.allow_incomplete)
    candidate = _pick(load_runs(args.run, **opts), args.model, "candidate")
    baseline = _pick(load_runs(args.baseline, **opts), args.baseline_model, "baseline") if args.baseline else None
    kpis = load_kpis(args.kpis) if args.kpis else None
    report = gate(portfolio, candidate, baseline, kpis=kpis, roles=[r.strip() for r in args.roles.split(",") if r.strip()],
                  adjust=args.adjust, n_boot=args.n_boot, seed=args.seed)
    print(report.summary())
    if args.junit:
        report.write_junit(args.junit)
    if args.markdown:
        report.write_markdown(args.markdown)
    if args.json:
        write_text(args.json, report.to_frame().to_json(orient="records", indent=2) + "\n")
    return report.exit_code

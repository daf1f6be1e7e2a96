"""``evalnb`` command line: thin commands over the public API.

Exit codes: 0 success (gate passed), 1 a gate failed, 2 could not evaluate / bad input.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from ._errors import EvalnbError

# command -> (module under evalnb.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "check eval-run or KPI files against the schema"),
    "score": ("score", "score eval runs with metrics, write per-item scores"),
    "summarize": ("summarize", "aggregate per-item scores per group with CIs"),
    "compare": ("compare", "paired comparison of two models on matched items"),
    "judge": ("judge", "run LLM-judge metrics (cached, resumable)"),
    "correlate": ("correlate", "associations of metrics with KPIs or human ratings"),
    "gate": ("gate", "enforce a portfolio's deployment gates on a run"),
    "drift": ("drift", "distribution, score and validity drift between two windows"),
    "report": ("report", "write a self-contained HTML report"),
    "recalibrate": ("recalibrate", "re-validate a portfolio on fresh outcomes and propose the change"),
    "lab": ("lab", "open JupyterLab on the walkthrough notebook"),
}


def build_parser() -> argparse.ArgumentParser:
    # allow_abbrev=False everywhere: `--api-key VALUE` must not be taken as `--api-key-env VALUE` (issue 13.13)
    parser = argparse.ArgumentParser(prog="evalnb", description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"evalnb {importlib.import_module('evalnb').__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        try:
            mod = importlib.import_module(f"evalnb.commands.{module}")
        except ModuleNotFoundError as exc:
            if exc.name == f"evalnb.commands.{module}":
                continue  # command not built yet
            raise
        cmd = sub.add_parser(name, help=help_text, description=help_text, allow_abbrev=False)
        mod.add_arguments(cmd)
        cmd.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except EvalnbError as exc:
        print(f"evalnb {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

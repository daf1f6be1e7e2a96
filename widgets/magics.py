"""``%load_ext evalnb`` and the ``%evalnb`` line/cell magic.

>>> # %load_ext evalnb
>>> # %evalnb explore runs/*.jsonl --kpis kpis.csv
>>> # %evalnb gate portfolio.yaml runs/candidate.jsonl --baseline runs/base.jsonl
>>> # %evalnb report runs/*.jsonl --kpis kpis.csv --portfolio portfolio.yaml --out report.html

Every input may also be the name of a notebook variable (a ``Runs``, a DataFrame, a ``Portfolio``,
a ``Session``), e.g. ``%evalnb explore runs --kpis kpis``. In the cell form, the cell's lines are
further arguments (``%%evalnb explore`` then one path per line). A problem is printed as one line,
never as a traceback.
"""
from __future__ import annotations

import argparse
import glob
import shlex
from typing import Any

USAGE = ("usage: %evalnb explore RUNS... [--kpis KPIS] [--portfolio-path PATH]\n"
         "       %evalnb gate PORTFOLIO RUN [--baseline RUN] [--kpis KPIS]\n"
         "       %evalnb report RUNS... [--kpis KPIS] [--portfolio PORTFOLIO] [--out report.html]")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:   # never SystemExit inside a kernel
        raise ValueError(f"{message}\n{USAGE}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="%evalnb", add_help=False)
    sub = p.add_subparsers(dest="command")
    e = sub.add_parser("explore", add_help=False)
    e.add_argument("runs", nargs="+")
    e.add_argument("--kpis", default=None)
    e.add_argument("--portfolio-path", default="portfolio.yaml")
    g = sub.add_parser("gate", add_help=False)
    g.add_argument("portfolio")
    g.add_argument("run")
    g.add_argument("--baseline", default=None)
    g.add_argument("--kpis", default=None)
    r = sub.add_parser("report", add_help=False)
    r.add_argument("runs", nargs="+")
    r.add_argument("--kpis", default=None)
    r.add_argument("--portfolio", default=None)
    r.add_argument("--out", default="report.html")
    return p


def _resolve(token: str | None, ns: dict[str, Any]) -> Any:
    """A notebook variable's value when ``token`` names one, else the token (a path or glob)."""
    if token is None:
        return None
    if token.isidentifier() and token in ns:
        return ns[token]
    return token


def _inputs(tokens: list[str], ns: dict[str, Any]) -> Any:
    values = [_resolve(t, ns) for t in tokens]
    if len(values) == 1:
        return values[0]
    if all(isinstance(v, str) for v in values):
        return values
    raise ValueError("give either one notebook variable or paths/globs, not a mix")


def run_magic(line: str, cell: str | None = None, ns: dict[str, Any] | None = None) -> Any:
    """Parse and run one ``%evalnb`` command; returns what the cell should display."""
    import evalnb

    ns = ns or {}
    tokens = shlex.split(line)
    if cell:
        tokens += [t for ln in cell.splitlines() for t in shlex.split(ln, comments=True)]
    if not tokens:
        raise ValueError(USAGE)
    args = _parser().parse_args(tokens)
    if args.command == "explore":
        from .explorer import Explorer

        runs = _inputs(args.runs, ns)
        if isinstance(runs, str) and not glob.glob(runs):
            raise ValueError(f"no file matches {runs!r}")
        return Explorer(runs, kpis=_resolve(args.kpis, ns), portfolio_path=args.portfolio_path)
    if args.command == "gate":
        portfolio = _resolve(args.portfolio, ns)
        run = _resolve(args.run, ns)
        run = evalnb.load_runs(run) if isinstance(run, str) else run
        baseline = _resolve(args.baseline, ns)
        baseline = evalnb.load_runs(baseline) if isinstance(baseline, str) else baseline
        return evalnb.gate(portfolio, run, baseline, kpis=_resolve(args.kpis, ns))
    if args.command == "report":
        runs = _inputs(args.runs, ns)
        runs = evalnb.load_runs(runs) if isinstance(runs, (str, list)) else runs
        kpis = _resolve(args.kpis, ns)
        kpis = evalnb.load_kpis(kpis) if isinstance(kpis, str) else kpis
        return evalnb.report(runs, kpis=kpis, portfolio=_resolve(args.portfolio, ns), path=args.out)
    raise ValueError(USAGE)


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%evalnb`` / ``%%evalnb`` (what ``%load_ext evalnb`` calls)."""
    from IPython.core.magic import register_line_cell_magic  # noqa: F401  (IPython present)

    def evalnb_magic(line: str, cell: str | None = None) -> Any:
        try:
            return run_magic(line, cell, ipython.user_ns)
        except Exception as exc:  # said in one line where the user looks, never a traceback
            import sys

            print(f"%evalnb: {type(exc).__name__}: {exc}", file=sys.stderr)
            return None

    ipython.register_magic_function(evalnb_magic, magic_kind="line_cell", magic_name="evalnb")

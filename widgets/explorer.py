"""The Explorer app: tabs Runs, Compare, Failures, KPI validation, Portfolio, Drift / judge."""
from __future__ import annotations

from typing import Any, Sequence

import ipywidgets as W
import pandas as pd

from ._view import table_html
from .compare import CompareView
from .drift import DriftView
from .failures import FailuresView
from .kpi import KpiView
from .portfolio import PortfolioView
from .runs import RunsView
from .session import Session

TABS = ("Runs", "Compare", "Failures", "KPI validation", "Portfolio", "Drift / judge")


def show_table(df: pd.DataFrame, caption: str | None = None, max_chars: int | None = 300) -> None:
    """Display a DataFrame as an escaped HTML table (model text can never become markup)."""
    from IPython.display import HTML, display

    from evalnb._display import frame_html

    display(HTML(frame_html(df, max_chars=max_chars, caption=caption)))


class Explorer(W.VBox):
    """The evalnb widget app over one :class:`Session`.

    Parameters
    ----------
    runs : Runs, DataFrame, or paths/globs of eval runs.
    kpis : KPI log (Kpis, DataFrame or paths), optional.
    scores : precomputed :class:`evalnb.Scores`, optional.
    metrics : metric names to score first (``evalnb.score``), optional.
    portfolio_path : where the Portfolio tab exports the config.

    Examples
    --------
    >>> app = Explorer("sample_data/runs/*.jsonl", kpis="sample_data/kpis.csv")
    >>> app.session.slice_by = "category"; app.tabs.selected_index = 2
    """

    def __init__(self, runs: Any, kpis: Any = None, scores: Any = None, metrics: Sequence[str] | None = None,
                 portfolio_path: str = "portfolio.yaml", interactive: bool | None = None, **kwargs: Any):
        from evalnb._display import escape

        self.header = W.HTML()
        self.problems = W.HTML()
        self.problems.add_class("evalnb-problems")
        self.errors = W.HTML()
        self.errors.add_class("evalnb-errors")
        try:
            self.session = s = runs if isinstance(runs, Session) else Session(runs, kpis, scores=scores,
                                                                               metrics=metrics)
        except Exception as exc:  # unreadable input: say so where the user looks, never a traceback
            self.session = None
            self.header.value = "<b>evalnb Explorer</b>"
            self.problems.value = (f'<div class="evalnb-problem">cannot load the runs: '
                                   f"{escape(f'{type(exc).__name__}: {exc}', 2000)}</div>")
            self.tabs = W.Tab()
            super().__init__([self.header, self.problems, self.tabs], **kwargs)
            self.add_class("evalnb-explorer")
            return
        errors = s.runs.errors
        if errors is not None and len(errors):
            self.errors.value = table_html(errors, caption=f"{len(errors):,} problems in rejected rows", raw=True)
        if s.kpis is not None and getattr(s.kpis, "errors", None) is not None and len(s.kpis.errors):
            self.errors.value += table_html(s.kpis.errors, caption=f"{len(s.kpis.errors):,} problems in the KPI log",
                                            raw=True)
        self.problems.value = "".join(f'<div class="evalnb-problem">{escape(p, 2000)}</div>' for p in s.problems)
        self.header.value = self._header()
        if not len(s.frame):
            self.tabs = W.Tab()
            super().__init__([self.header, self.problems, self.errors, self.tabs], **kwargs)
            self.add_class("evalnb-explorer")
            return
        self.runs = RunsView(s, interactive=interactive)
        self.compare = CompareView(s, interactive=interactive)
        self.failures = FailuresView(s, interactive=interactive)
        self.kpi = KpiView(s, interactive=interactive)
        self.portfolio = PortfolioView(s, path=portfolio_path)
        self.drift = DriftView(s, interactive=interactive)
        self.drift.portfolio_source = portfolio_path  # Recalibrate re-validates the exported portfolio
        self.tabs = W.Tab(children=[self.runs, self.compare, self.failures, self.kpi, self.portfolio, self.drift],
                          titles=TABS)
        super().__init__([self.header, self.problems, self.errors, self.tabs], **kwargs)
        self.add_class("evalnb-explorer")

    def _header(self) -> str:
        from evalnb._display import escape

        s = self.session
        kpi = f"; KPI log: {len(s.kpis.df):,} rows ({', '.join(s.kpi_columns)})" if s.kpis is not None else ""
        cov = s.kpi_coverage
        if cov and cov.get("eval_rows"):
            kpi += f"; {cov['matched']:,} of {cov['eval_rows']:,} eval rows have an outcome"
        return (f"<b>evalnb Explorer</b>: {len(s.frame):,} rows, {len(s.all_models)} models "
                f"({escape(', '.join(s.all_models))}){escape(kpi)}")

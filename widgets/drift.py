"""Drift / judge validation tab: alerts first (``evalnb.drift``), then the distribution tests,
validity over time (``evalnb.validity_drift``) and judge vs humans (``evalnb.validate_judge``)."""
from __future__ import annotations

from typing import Any

import ipywidgets as W
import pandas as pd

import evalnb

from ._view import Binder, Busy, LiveChart, table_html
from .session import Session


class DriftView(W.VBox):
    """The split month, metrics, judge and human columns are Session traits; buttons run the core.

    >>> v = DriftView(session); v.split.value = "2026-10"; v.run.click()       # doctest: +SKIP
    """

    def __init__(self, session: Session, interactive: bool | None = None, **kwargs: Any):
        self.session = s = session
        self.binder = b = Binder(s)
        self.split = b.bind(W.Dropdown(description="Current from"), "drift_split", options=lambda: s.windows()[1:],
                            to_session=lambda v: v or "")
        self.metrics = b.bind(W.SelectMultiple(rows=5, description="Metrics"), "drift_metrics",
                              options=lambda: s.metric_columns, to_control=tuple, to_session=list)
        self.run = W.Button(description="Check drift", button_style="warning", icon="exchange",
                            layout=W.Layout(width="auto"))
        self.judge = b.bind(W.Dropdown(description="Judge"), "judge",
                            options=lambda: [c for c in s.metric_columns if c.startswith("judge_")],
                            to_session=lambda v: v or "")
        self.human = b.bind(W.Dropdown(description="Human"), "human",
                            options=lambda: [c for c in s.metric_columns if c.startswith("human")],
                            to_session=lambda v: v or "")
        self.validate = W.Button(description="Validate judge", icon="check", layout=W.Layout(width="auto"))
        self.recal = W.Button(description="Recalibrate", icon="refresh", layout=W.Layout(width="auto"),
                              tooltip="re-validate the portfolio on the current month and propose the change")
        self.proposal_path = W.Text(value="proposed_portfolio.yaml", description="Proposal",
                                    layout=W.Layout(width="420px"))
        self.export = W.Button(description="Export proposal", icon="download", layout=W.Layout(width="auto"))
        self.proposal = W.HTML()
        self.proposal.add_class("evalnb-recalibration")
        self.recalibrated_with: str | None = None
        self.portfolio_source: str | None = None
        self.busy = Busy()
        self.alerts = W.HTML()
        self.alerts.add_class("evalnb-drift-alerts")
        self.table = W.HTML()
        self.drift_chart = LiveChart(interactive=interactive)
        self.chart = self.drift_chart.widget
        self.validity = W.HTML()
        self.validity_live = LiveChart(interactive=interactive)
        self.validity_chart = self.validity_live.widget
        self.judge_table = W.HTML()
        self.judge_table.add_class("evalnb-judge-table")
        self.run.on_click(self._drift)
        self.validate.on_click(self._validate)
        self.recal.on_click(self._recalibrate)
        self.export.on_click(self._export)
        self.computed_with: dict[str, Any] | None = None
        self.judged_with: dict[str, Any] | None = None
        s.observe(self._on_state, ["drift_split", "drift_metrics", "judge", "human", "kpi"])
        super().__init__([W.HBox([self.split, self.metrics, self.run]), self.busy.widget, self.alerts, self.table,
                          self.chart, self.validity, self.validity_chart,
                          W.HBox([self.judge, self.human, self.validate]), self.judge_table,
                          W.HBox([self.recal, self.proposal_path, self.export]), self.proposal], **kwargs)
        self.add_class("evalnb-drift")
        self.binder.push()

    def _params(self) -> dict[str, Any]:
        s = self.session
        return {"split": s.drift_split, "metrics": list(s.drift_metrics), "kpi": s.kpi}

    def _on_state(self, _: Any = None) -> None:
        self.binder.push()
        s = self.session
        if self.computed_with is not None and self.computed_with != self._params():
            self.alerts.value = '<div class="evalnb-more">the window or metrics changed: press Check drift</div>'
            self.table.value = self.validity.value = ""
            self.computed_with = None
        if self.judged_with is not None and self.judged_with != {"judge": s.judge, "human": s.human}:
            self.judge_table.value = '<div class="evalnb-more">the judge or human column changed: press Validate</div>'
            self.judged_with = None

    def _drift(self, _: Any = None) -> None:
        s = self.session
        params = self._params()

        def work() -> Any:
            rep = s.drift(params["split"], params["metrics"])
            vd = s.validity_drift(params["metrics"], params["kpi"]) if s.kpi_columns and params["metrics"] \
                and not s.kpi_problem else None
            return rep, vd

        def done(result: Any) -> None:
            rep, vd = result
            alerts = [{"kind": a.kind, "column": a.column, "message": a.message} for a in rep.alerts]
            self.alerts.value = table_html(pd.DataFrame(alerts or [{"kind": "-", "column": "-", "message": "no alert"}]),
                                           caption=f"{len(alerts)} drift alert(s) from {params['split']} on")
            cols = [c for c in ("kind", "column", "test", "statistic", "psi", "p_adjusted", "alert") if c in rep.tests]
            self.table.value = table_html(rep.tests[cols], caption="Distribution tests")
            self.drift_chart.draw(rep.chart)
            if vd is not None:
                self.validity.value = table_html(vd.to_frame(), caption=f"Validity of each metric for {params['kpi']} "
                                                 "by month", max_rows=80)
                if hasattr(vd, "chart"):
                    self.validity_live.draw(lambda: _wide(vd.chart()))
            self.computed_with = params

        self.busy.run(f"comparing data from {params['split']} with the months before", work, done)

    def _validate(self, _: Any = None) -> None:
        s = self.session
        params = {"judge": s.judge, "human": s.human}

        def done(res: Any) -> None:
            self.judge_table.value = table_html(res.to_frame(), caption=f"{params['judge']} vs {params['human']}")
            self.judged_with = params

        self.busy.run(f"{params['judge']} against {params['human']}",
                      lambda: s.validate_judge(params["judge"], params["human"]), done)


    def _recalibrate(self, _: Any = None) -> None:
        s = self.session
        split = s.drift_split

        def done(prop: Any) -> None:
            verdict = "a change is proposed" if prop.changed else "no change needed"
            self.proposal.value = (f'<div class="evalnb-more">Recalibration on {_esc(prop.window)}: {verdict}</div>'
                                   + table_html(prop.to_frame()[["column", "role", "status", "action", "reason"]],
                                                caption="Proposed changes"))
            self.recalibrated_with = split

        def work() -> Any:
            from pathlib import Path

            src = self.portfolio_source
            portfolio = evalnb.load_portfolio(src, check_metrics=False) if src and Path(src).exists() else None
            return s.recalibrate(portfolio, window=split)

        self.busy.run(f"re-validating the portfolio on {split}", work, done)

    def _export(self, _: Any = None) -> None:
        try:
            path = self.session.export_proposal(self.proposal_path.value)
        except Exception as exc:  # the UI says what is wrong, never a traceback
            self.proposal.value = f'<div class="evalnb-error">{_esc(exc)}</div>' + self._table_part()
            return
        self.proposal.value = f'<div class="evalnb-more">Written: {_esc(path)} (and its .md diff)</div>' + self._table_part()

    def _table_part(self) -> str:
        value = self.proposal.value
        i = value.find("<table")
        return value[i:] if i >= 0 else ""


def _esc(value: Any) -> str:
    import html

    return html.escape(str(value))


def _wide(chart: Any) -> Any:
    """Charts sized to be read: at least 480 px wide, labels not cut."""
    try:
        width = chart.width if isinstance(chart.width, (int, float)) else 0
        if width < 480:
            chart = chart.properties(width=480)
        return chart.configure_axis(labelLimit=300).configure_legend(labelLimit=300)
    except Exception:
        return chart

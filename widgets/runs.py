"""Runs tab: the per-model scorecard first, then per-slice failures of the metric in focus.

Every control is bound to a :class:`Session` trait and the view redraws from the session alone
(``Session.revision``); it computes nothing itself.
"""
from __future__ import annotations

from typing import Any

import ipywidgets as W

from ._view import Binder, LiveChart, TableSlot, table_html
from .session import SLICE_FIELD, Session

ALL = "(all models)"


class RunsView(W.VBox):
    """Model, metric, slicing and threshold controls -> scorecard, per-slice table and failure chart.

    >>> view = RunsView(Session(runs, kpis))
    >>> view.model.value = "swift-small"
    >>> view.session.models
    ['swift-small']
    """

    def __init__(self, session: Session, chart: bool = True, interactive: bool | None = None, **kwargs: Any):
        self.session = s = session
        self.binder = b = Binder(s)
        self.model = b.bind(W.Dropdown(description="Model"), "models", options=lambda: [ALL] + s.all_models,
                            to_control=lambda v: v[0] if len(v) == 1 else ALL,
                            to_session=lambda v: [] if v in (ALL, None) else [v])
        self.metric = b.bind(W.Dropdown(description="Metric"), "metric", options=lambda: s.metric_columns,
                             to_session=lambda v: v or "")
        self.slice_by = b.bind(W.Dropdown(description="Slice by"), "slice_by", options=lambda: s.group_columns,
                               to_session=lambda v: v or "")
        self.threshold = b.bind(W.FloatText(description="Fail if", step=0.1), "fail_threshold",
                                to_session=lambda v: float(v))
        self.direction = W.Label()
        self.scorecard = W.HTML()
        self.scorecard.add_class("evalnb-scorecard")
        self.overview = W.HTML(table_html(s.runs.summary().tables[0], caption="Loaded runs") if len(s.frame) else "")
        self.table = TableSlot("evalnb-slice-table", interactive=interactive,
                               on_row=lambda row: setattr(s, "slice_value", str(row[s.slice_by])))
        self.live = LiveChart(interactive=interactive) if chart else None
        self.chart = self.live.widget if chart else None
        if self.live is not None:
            self.live.on_select("slice", self._on_bar_click)
        self.model.add_class("evalnb-model-picker")
        self.drawn_with: dict[str, Any] = {}
        s.observe(self._refresh, ["revision"])
        controls = W.HBox([self.model, self.metric, self.slice_by])
        details = W.Accordion(children=[self.overview], titles=("Loaded runs",))
        parts = [self.scorecard, controls, W.HBox([self.threshold, self.direction]), self.table.widget]
        if self.chart is not None:
            parts.append(self.chart)
        parts.append(details)
        super().__init__(parts, **kwargs)
        self.add_class("evalnb-runs")
        self._refresh()

    def _on_bar_click(self, value: Any) -> None:
        s = self.session
        if value and isinstance(value, list) and SLICE_FIELD in value[0]:   # the chart's fixed field name
            s.slice_value = str(value[0][SLICE_FIELD])

    def _refresh(self, *_: Any) -> None:
        s = self.session
        self.binder.push()
        self.direction.value = ("below" if s.higher_is_better(s.metric) else "above") + " the threshold fails" \
            if s.metric else ""
        self.scorecard.value = table_html(s.scorecard(), caption="Per-model scorecard (mean of each metric; "
                                          + ("colour: the portfolio's gates)" if s.gate_columns() else
                                             "recommend a portfolio to colour it by its gates)")) \
            if len(s.frame) else ""
        table = s.slice_table()
        who = ", ".join(s.models) if s.models else "all models"
        self.table.show(table if s.metric else None, caption=f"{s.failure_text()} by {s.slice_by} ({who}); "
                        "click a row to drill into it", metric=s.metric)
        self.drawn_with = s.state()
        if self.live is not None and s.metric:
            self.live.draw(lambda: s.slice_chart(table))

"""Runs tab: pick models and a metric, see the per-model overview and per-slice failures.

The view mirrors :class:`Session` traits and shows what the session returns; it computes nothing.
"""
from __future__ import annotations

from typing import Any

import ipywidgets as W

from ._view import ChartLane, table_html
from .session import Session

ALL = "(all models)"


class RunsView(W.VBox):
    """Model dropdown + metric dropdown -> per-slice table and failure chart.

    >>> view = RunsView(Session(runs, kpis)); view            # doctest: +SKIP
    >>> view.model.value = "swift-small"                      # the table and chart update
    """

    def __init__(self, session: Session, chart: bool = True, **kwargs: Any):
        self.session = session
        s = session
        self.model = W.Dropdown(options=[ALL] + s.all_models, value=ALL, description="Model")
        self.metric = W.Dropdown(options=s.metric_columns, value=s.metric or None, description="Metric")
        self.slice_by = W.Dropdown(options=s.group_columns, value=s.slice_by, description="Slice by")
        self.threshold = W.FloatText(value=s.fail_threshold, description="Fail if", step=0.1)
        self.direction = W.Label()
        self.overview = W.HTML(table_html(s.runs.summary(), caption="Loaded runs"))
        self.table = W.HTML()
        self.chart = W.Output() if chart else None
        self.lane = ChartLane(self.chart) if chart else None
        self.model.add_class("evalnb-model-picker")
        self.table.add_class("evalnb-slice-table")
        self.model.observe(self._on_model, "value")
        self.metric.observe(self._on_metric, "value")
        self.slice_by.observe(lambda ch: setattr(s, "slice_by", ch["new"]), "value")
        self.threshold.observe(lambda ch: setattr(s, "fail_threshold", float(ch["new"])), "value")
        s.observe(self._refresh, ["models", "metric", "slice_by", "fail_threshold"])
        controls = W.HBox([self.model, self.metric, self.slice_by])
        parts = [self.overview, controls, W.HBox([self.threshold, self.direction]), self.table]
        if self.chart is not None:
            parts.append(self.chart)
        super().__init__(parts, **kwargs)
        self.add_class("evalnb-runs")
        self._refresh()

    def _on_model(self, change: dict) -> None:
        self.session.models = [] if change["new"] == ALL else [change["new"]]

    def _on_metric(self, change: dict) -> None:
        s = self.session
        s.metric = change["new"]
        s.fail_threshold = s.default_threshold(s.metric)
        self.threshold.value = s.fail_threshold

    def _refresh(self, *_: Any) -> None:
        s = self.session
        self.direction.value = ("below" if s.higher_is_better(s.metric) else "above") + " the threshold fails"
        table = s.slice_table()
        who = ", ".join(s.models) if s.models else "all models"
        self.table.value = table_html(table, caption=f"{s.metric} by {s.slice_by} ({who})")
        if self.chart is not None:
            self.lane.draw(lambda: s.slice_chart(table))

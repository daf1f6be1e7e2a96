"""Failures tab: slice by a column, find the worst slices, drill into items (all text escaped)."""
from __future__ import annotations

from typing import Any

import ipywidgets as W

from evalnb._display import reveal, text_of

from ._view import TABLE_CSS, Busy, ChartLane, table_html
from .session import Session


class FailuresView(W.VBox):
    """Slice table (fast, on every change), worst-slice search (``evalnb.worst_slices``), drill-down.

    >>> v = FailuresView(session); v.slice_value.value = "billing"        # doctest: +SKIP
    >>> v.items.value = v.items.options[0][1]                             # the item card shows
    """

    def __init__(self, session: Session, **kwargs: Any):
        self.session = s = session
        self.slice_by = W.Dropdown(options=s.group_columns, value=s.slice_by, description="Slice by")
        self.metric = W.Dropdown(options=s.metric_columns, value=s.metric or None, description="Metric")
        self.threshold = W.FloatText(value=s.fail_threshold, description="Fail if", step=0.1)
        self.rule = W.Label()
        self.table = W.HTML()
        self.table.add_class("evalnb-failures-table")
        self.chart = W.Output()
        self.lane = ChartLane(self.chart)
        self.find = W.Button(description="Find worst slices", icon="search", button_style="warning")
        self.busy = Busy()
        self.worst = W.HTML()
        self.worst.add_class("evalnb-worst-table")
        self.slice_value = W.Dropdown(options=[], description="Drill into")
        self.slice_value.add_class("evalnb-slice-picker")
        self.items = W.Select(options=[], rows=8, description="Items", layout=W.Layout(width="640px"))
        self.items.add_class("evalnb-item-picker")
        self.detail = W.HTML()
        self.detail.add_class("evalnb-item-detail")

        self.slice_by.observe(lambda ch: setattr(s, "slice_by", ch["new"]), "value")
        self.metric.observe(self._on_metric, "value")
        self.threshold.observe(lambda ch: setattr(s, "fail_threshold", float(ch["new"])), "value")
        self.slice_value.observe(lambda ch: setattr(s, "slice_value", ch["new"] or ""), "value")
        self.items.observe(lambda ch: setattr(s, "item", ch["new"] or ""), "value")
        self.find.on_click(self._find)
        s.observe(self._refresh, ["models", "metric", "slice_by", "fail_threshold"])
        s.observe(self._refresh_items, ["slice_value"])
        s.observe(self._refresh_detail, ["item"])
        super().__init__([W.HBox([self.slice_by, self.metric]), W.HBox([self.threshold, self.rule]),
                          self.table, self.chart, W.HBox([self.find]), self.busy.widget, self.worst,
                          self.slice_value, self.items, self.detail], **kwargs)
        self.add_class("evalnb-failures")
        self._refresh()

    def _on_metric(self, change: dict) -> None:
        s = self.session
        s.metric = change["new"]
        s.fail_threshold = s.default_threshold(s.metric)
        self.threshold.value = s.fail_threshold

    def _refresh(self, *_: Any) -> None:
        s = self.session
        if self.slice_by.value != s.slice_by:
            self.slice_by.value = s.slice_by
        self.rule.value = f"failure: {s.metric} {s.failure_rule()}"
        table = s.slice_table()
        self.table.value = table_html(table, caption=f"Failure rate of {s.metric} by {s.slice_by}")
        self.lane.draw(lambda: s.slice_chart(table))
        options = [str(v) for v in table[s.slice_by]]
        keep = s.slice_value if s.slice_value in options else (options[0] if options else None)
        self.slice_value.options = options
        self.slice_value.value = keep
        self._refresh_items()

    def _refresh_items(self, change: Any = None) -> None:
        s = self.session
        if change is not None and isinstance(change, dict) and change.get("name") == "slice_value":
            self.lane.draw(lambda: s.slice_chart())        # re-highlight the drilled slice
        items = s.items()
        # option labels are shown as text by the browser; reveal() makes bidi/zero-width visible
        labels = [(reveal(f"{text_of(r.model)[:40]} | {text_of(r.item_id)[:40]} | {s.metric}={getattr(r, s.metric, '')}"), r.key)
                  for r in items.itertuples()] if len(items) else []
        self.items.options = labels
        self.items.value = labels[0][1] if labels else None
        self._refresh_detail()

    def _refresh_detail(self, *_: Any) -> None:
        s = self.session
        self.detail.value = TABLE_CSS + s.item_html() if s.item else ""

    def _find(self, _: Any = None) -> None:
        s = self.session
        with self.busy(f"testing every slice of {s.slice_by} (and model x slice) for excess failures"):
            rep = s.worst_slices()
            frame = rep.to_frame()
            cols = [c for c in ("level", "slice", "n", "failures", "failure_rate", "rest_rate", "lift", "p_adjusted",
                                "significant", "note") if c in frame]
            self.worst.value = table_html(frame[cols], caption="Worst slices (Holm-adjusted p-values)", max_rows=20)

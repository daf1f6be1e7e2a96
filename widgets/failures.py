"""Failures tab: worst slices ranked (click a bar to drill in), then the items and one item's texts.

Every control is bound to a :class:`Session` trait; the slice table, chart, worst-slice table, item
list and item card redraw from the session's state alone, so no two places can disagree.
"""
from __future__ import annotations

from typing import Any

import ipywidgets as W

from evalnb._display import reveal, text_of

from ._view import TABLE_CSS, Binder, Busy, LiveChart, TableSlot, table_html
from .session import SLICE_FIELD, Session


class FailuresView(W.VBox):
    """Slice table and chart (on every change), worst-slice search (``evalnb.worst_slices``), drill-down.

    >>> v = FailuresView(session); v.slice_by.value = "category"; v.slice_value.value = "billing"
    >>> v.items.value = v.items.options[0][1]                             # the item card shows
    """

    def __init__(self, session: Session, interactive: bool | None = None, **kwargs: Any):
        self.session = s = session
        self.binder = b = Binder(s)
        self.slice_by = b.bind(W.Dropdown(description="Slice by"), "slice_by", options=lambda: s.group_columns,
                               to_session=lambda v: v or "")
        self.metric = b.bind(W.Dropdown(description="Metric"), "metric", options=lambda: s.metric_columns,
                             to_session=lambda v: v or "")
        self.threshold = b.bind(W.FloatText(description="Fail if", step=0.1), "fail_threshold",
                                to_session=lambda v: float(v))
        self.rule = W.Label()
        self.table = TableSlot("evalnb-failures-table", interactive=interactive,
                               on_row=lambda row: setattr(s, "slice_value", str(row[s.slice_by])))
        self.live = LiveChart(interactive=interactive)
        self.live.on_select("slice", self._on_bar_click)
        self.chart = self.live.widget
        self.find = W.Button(description="Find worst slices", icon="search", button_style="warning",
                             layout=W.Layout(width="auto"))
        self.busy = Busy(background=False)
        self.worst = TableSlot("evalnb-worst-table", interactive=interactive)
        self.slice_value = b.bind(W.Dropdown(description="Drill into"), "slice_value", options=s.slice_labels,
                                  to_session=lambda v: v or "")
        self.slice_value.add_class("evalnb-slice-picker")
        self.items = b.bind(W.Select(rows=8, description="Items", layout=W.Layout(width="640px")), "item",
                            options=self._item_options, to_session=lambda v: v or "")
        self.items.add_class("evalnb-item-picker")
        self.items_caption = W.HTML()
        self.more = W.Button(description="Show 50 more", icon="plus", layout=W.Layout(width="auto"))
        self.more.on_click(lambda _: setattr(s, "item_limit", s.item_limit + 50))
        self.detail = W.HTML()
        self.detail.add_class("evalnb-item-detail")
        self.find.on_click(self._find)
        self.drawn_with: dict[str, Any] = {}
        self.worst_for: dict[str, Any] | None = None
        s.observe(self._refresh, ["revision"])
        super().__init__([W.HBox([self.slice_by, self.metric]), W.HBox([self.threshold, self.rule]),
                          self.chart, self.table.widget, W.HBox([self.find]), self.busy.widget, self.worst.widget,
                          self.slice_value, self.items_caption, W.HBox([self.items, self.more]), self.detail], **kwargs)
        self.add_class("evalnb-failures")
        self._refresh()

    def _item_options(self) -> list[tuple[str, str]]:
        s = self.session
        self._items = items = s.items()
        # option labels are shown as text by the browser; reveal() makes bidi/zero-width visible
        from ._format import fmt

        return [(reveal(f"{text_of(r.model)[:40]} | {text_of(r.item_id)[:40]} | {s.metric}="
                        f"{fmt(getattr(r, s.metric, ''), s.metric)}"), r.key) for r in items.itertuples()] \
            if len(items) and s.metric in items else []

    def _on_bar_click(self, value: Any) -> None:
        s = self.session
        if value and isinstance(value, list) and SLICE_FIELD in value[0]:   # the chart's fixed field name
            s.slice_value = str(value[0][SLICE_FIELD])

    def _refresh(self, *_: Any) -> None:
        s = self.session
        self.binder.push()
        state = s.state()
        self.rule.value = f"failure: {s.failure_text()}" if s.metric else ""
        table = s.slice_table()
        self.table.show(table if s.metric else None, caption=f"Failure rate of {s.failure_text()} by {s.slice_by} "
                        "(click a bar or a row to drill in)", metric=s.metric)
        if s.metric and s.slice_by:
            self.live.draw(lambda: s.slice_chart(table))
        total = getattr(self, "_items", None)
        total = total.attrs.get("total", 0) if total is not None else 0
        shown = len(self.items.options)
        self.items_caption.value = (f"showing {shown:,} of {total:,} rows of {s.slice_by} = "
                                    f"{reveal(s.slice_value)[:80]} (failing first)").replace("<", "&lt;")
        self.more.layout.visibility = "visible" if shown < total else "hidden"
        self.detail.value = TABLE_CSS + s.item_html() if s.item else ""
        # the worst-slice table is never left stale: recomputed for the new rule, slicing and models
        if self.worst_for is not None and self.worst_for != self._worst_state():
            self._find()
        self.drawn_with = state

    def _worst_state(self) -> dict[str, Any]:
        s = self.session
        return {"models": list(s.models), "metric": s.metric, "slice_by": s.slice_by,
                "fail_threshold": s.fail_threshold}

    def _find(self, _: Any = None) -> None:
        s = self.session
        self.worst_for = self._worst_state()
        with self.busy(f"testing every slice of {s.slice_by} (and model x slice) for excess failures"):
            rep = s.worst_slices()
            frame = rep.to_frame()
            cols = [c for c in ("level", "slice", "n", "failures", "failure_rate", "rest_rate", "lift", "p_adjusted",
                                "significant", "note") if c in frame]
            self.worst.show(frame[cols], caption=f"Worst slices for {s.failure_text()} (Holm-adjusted p-values)",
                            max_rows=20)
        if self.busy.error:
            self.worst.show(None)

"""KPI validation tab: which metrics predict the KPI, as a ranked forest plot at sample, group and
system level side by side (``evalnb.correlate``), then the statsmodels fit (``evalnb.fit_kpi``).

A click on a metric in the forest plot (``Session.focus_metric``) opens its scatter and per-slice
view; brushing the scatter selects items (``Session.selected_items``).
"""
from __future__ import annotations

from typing import Any

import ipywidgets as W
import numpy as np

from ._view import Binder, Busy, LiveChart, TableSlot, table_html
from .session import Session

LEVELS = ("sample", "group", "system")


class KpiView(W.VBox):
    """Metrics, KPI, level, controls and the focused metric are Session traits; Fit runs the core.

    >>> v = KpiView(session); v.kpi.value = "task_success"; v.fit.click()    # doctest: +SKIP
    """

    def __init__(self, session: Session, interactive: bool | None = None, **kwargs: Any):
        self.session = s = session
        self.binder = b = Binder(s)
        self.metrics = b.bind(W.SelectMultiple(rows=7, description="Metrics"), "kpi_metrics",
                              options=lambda: s.metric_columns, to_control=tuple, to_session=list)
        self.kpi = b.bind(W.Dropdown(description="KPI"), "kpi", options=lambda: s.kpi_columns,
                          to_session=lambda v: v or "")
        self.kpi.add_class("evalnb-kpi-picker")
        self.level = b.bind(W.Dropdown(description="Table level"), "kpi_level", options=lambda: list(LEVELS),
                            to_session=lambda v: v or "sample")
        self.controls = b.bind(W.SelectMultiple(rows=3, description="Controls"), "kpi_controls",
                               options=lambda: [c for c in s.group_columns if c in ("category", "task")],
                               to_control=tuple, to_session=list)
        self.scatter_metric = b.bind(W.Dropdown(description="Scatter"), "focus_metric",
                                     options=lambda: s.metric_columns, to_session=lambda v: v or "")
        self.fit = W.Button(description="Fit", button_style="primary", icon="line-chart")
        self.busy = Busy()
        self.problem = W.HTML(f'<div class="evalnb-problem">{_esc(s.kpi_problem)}</div>' if s.kpi_problem else "")
        self.table = TableSlot("evalnb-kpi-table", interactive=interactive, on_row=self._on_row)
        self.model_table = W.HTML()
        self.model_table.add_class("evalnb-kpi-fit")
        self.forest_chart = LiveChart(interactive=interactive)
        self.forest_chart.on_select("metric", self._on_forest_click)
        self.forest = self.forest_chart.widget
        self.scatter_chart = LiveChart(interactive=interactive)
        self.scatter_chart.on_select("items", self._on_brush)
        self.scatter = self.scatter_chart.widget
        self.per_slice = W.HTML()
        self.selection = W.HTML()
        self.fit.on_click(self._fit)
        self.last = None
        self.last_frame = None
        self.computed_with: dict[str, Any] | None = None
        s.observe(self._on_inputs, ["kpi", "kpi_metrics", "kpi_controls"])
        s.observe(self._on_level, ["kpi_level"])
        s.observe(self._on_focus, ["focus_metric"])
        s.observe(self._on_selected, ["selected_items"])
        super().__init__([self.problem, W.HBox([self.metrics, W.VBox([self.kpi, self.level, self.scatter_metric])]),
                          W.HBox([self.controls, self.fit]), self.busy.widget, self.forest, self.table.widget,
                          self.model_table, self.scatter, self.selection, self.per_slice], **kwargs)
        self.add_class("evalnb-kpi")
        self.binder.push()

    def _params(self) -> dict[str, Any]:
        s = self.session
        return {"kpi": s.kpi, "metrics": list(s.kpi_metrics), "controls": list(s.kpi_controls)}

    def _on_inputs(self, _: Any = None) -> None:
        self.binder.push()
        if self.computed_with is not None and self.computed_with != self._params():
            self.table.show(None, note='<div class="evalnb-more">the KPI, metrics or controls changed: press Fit</div>')
            self.model_table.value = ""
            self.computed_with = None
            self.last_frame = None

    def _on_level(self, _: Any = None) -> None:
        self.binder.push()
        self._show_table()

    def _on_focus(self, _: Any = None) -> None:
        self.binder.push()
        if self.computed_with is not None:
            self._draw_focus()

    def _on_row(self, row: Any) -> None:
        if "metric" in row and str(row["metric"]) in self.session.metric_columns:
            self.session.focus_metric = str(row["metric"])

    def _on_forest_click(self, value: Any) -> None:
        if value and isinstance(value, list) and "metric" in value[0]:
            name = str(value[0]["metric"])
            if name in self.session.metric_columns:
                self.session.focus_metric = name

    def _on_brush(self, value: Any) -> None:
        s = self.session
        if not isinstance(value, dict) or not value:
            s.selected_items = []
            return
        s.selected_items = s.keys_in_box(s.focus_metric, self.computed_with["kpi"] if self.computed_with else s.kpi,
                                         value)

    def _on_selected(self, _: Any = None) -> None:
        keys = self.session.selected_items
        self.selection.value = f"<b>{len(keys):,} items selected</b> in the scatter" if keys else ""

    def _show_table(self) -> None:
        frame = self.last_frame
        s = self.session
        if frame is None:
            return
        part = frame[frame["level"] == s.kpi_level].copy()
        part["units"] = np.where(part["level"] == "sample", part["n"], part["n_groups"])
        cols = [c for c in ("metric", "target", "level", "method", "controls", "estimate", "ci_low", "ci_high",
                            "p_adjusted", "units", "status") if c in part]
        unit = {"sample": "rows", "group": "items", "system": "models"}.get(s.kpi_level, "units")
        self.table.show(part[cols], caption=f"Metric vs {self.computed_with['kpi']} at the "
                        f"{s.kpi_level} level: estimate [95% CI], adjusted p (units = {unit}); click a row "
                        "to open its scatter", max_rows=80)

    def _draw_focus(self) -> None:
        s = self.session
        metric, kpi = s.focus_metric, self.computed_with["kpi"]
        if not metric:
            return
        self.scatter_chart.draw(lambda: s.scatter_chart(metric, kpi))
        table = s.slice_table(metric=metric)
        if len(table):
            self.per_slice.value = table_html(table.drop(columns=["failures", "failure_rate"], errors="ignore"),
                                              caption=f"{metric} by {s.slice_by}", metric=metric)

    def _fit(self, _: Any = None) -> None:
        s = self.session
        params = self._params()

        def work() -> Any:
            res = s.correlate(params["metrics"], params["kpi"], level=list(LEVELS), controls=params["controls"])
            fit = s.fit_kpi(params["metrics"], params["kpi"], params["controls"])
            return res, fit

        def done(result: Any) -> None:
            res, fit = result
            self.last = res
            self.last_frame = res.to_frame()
            self.computed_with = params
            self._show_table()
            self.forest_chart.draw(lambda: s.forest_chart(self.last_frame))
            coef = fit.to_frame().drop(columns=["formula_term"], errors="ignore")   # term is readable
            coef = coef.dropna(axis=1, how="all")
            parts = [table_html(coef, caption=f"{getattr(fit, 'family', '')} fit of {params['kpi']}")]
            inc = getattr(fit, "incremental", None)
            if inc is not None and len(inc):
                parts.append(table_html(inc, caption="Incremental validity (cross-validated gain when added)"))
            self.model_table.value = "".join(parts)
            if s.focus_metric not in params["metrics"] and params["metrics"]:
                s.focus_metric = params["metrics"][0]
            else:
                self._draw_focus()

        self.busy.run(f"associations with {params['kpi']} (sample, group and system level) and a statsmodels fit",
                      work, done)


def _esc(text: str) -> str:
    from evalnb._display import escape

    return escape(text, 1000)

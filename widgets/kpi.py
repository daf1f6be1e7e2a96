"""KPI validation tab: which metrics predict the KPI (``evalnb.correlate``, ``evalnb.fit_kpi``)."""
from __future__ import annotations

from typing import Any

import ipywidgets as W

from ._view import Busy, show_chart, table_html
from .session import Session


class KpiView(W.VBox):
    """Choose metrics, KPI, level and controls; Fit shows the forest plot, the fit and the warnings.

    >>> v = KpiView(session); v.kpi.value = "task_success"; v.fit.click()    # doctest: +SKIP
    """

    def __init__(self, session: Session, **kwargs: Any):
        self.session = s = session
        default = [c for c in s.metric_columns if c.startswith("judge_")][:4] or s.metric_columns[:4]
        self.metrics = W.SelectMultiple(options=s.metric_columns, value=tuple(default), rows=7, description="Metrics")
        self.kpi = W.Dropdown(options=s.kpi_columns, value=s.kpi or None, description="KPI")
        self.kpi.add_class("evalnb-kpi-picker")
        self.level = W.Dropdown(options=["sample", "group", "system"], value="sample", description="Level")
        controls = [c for c in s.group_columns if c in ("category", "task")]
        self.controls = W.SelectMultiple(options=controls, value=(), rows=3, description="Controls")
        self.scatter_metric = W.Dropdown(options=s.metric_columns, value=default[0] if default else None,
                                         description="Scatter")
        self.fit = W.Button(description="Fit", button_style="primary", icon="line-chart")
        self.busy = Busy()
        self.table = W.HTML()
        self.table.add_class("evalnb-kpi-table")
        self.model_table = W.HTML()
        self.model_table.add_class("evalnb-kpi-fit")
        self.forest = W.Output()
        self.scatter = W.Output()
        self.kpi.observe(lambda ch: setattr(s, "kpi", ch["new"] or ""), "value")
        s.observe(lambda ch: setattr(self.kpi, "value", ch["new"]) if ch["new"] in self.kpi.options else None, "kpi")
        self.fit.on_click(self._fit)
        super().__init__([W.HBox([self.metrics, W.VBox([self.kpi, self.level, self.scatter_metric])]),
                          W.HBox([self.controls, self.fit]), self.busy.widget, self.table, self.forest,
                          self.model_table, self.scatter], **kwargs)
        self.add_class("evalnb-kpi")
        self.last = None

    def _fit(self, _: Any = None) -> None:
        s = self.session
        metrics, kpi, controls = list(self.metrics.value), self.kpi.value, list(self.controls.value)
        with self.busy(f"associations with {kpi} ({self.level.value} level) and a statsmodels fit"):
            res = s.correlate(metrics, kpi, level=self.level.value, controls=controls)
            self.last = res
            frame = res.to_frame()
            cols = [c for c in ("metric", "target", "level", "method", "controls", "estimate", "ci_low", "ci_high",
                                "p_adjusted", "n", "status") if c in frame]
            self.table.value = table_html(frame[cols], caption=f"Metric vs {kpi}: estimate, 95% CI, adjusted p",
                                          max_rows=80)
            show_chart(self.forest, res.chart())
            fit = s.fit_kpi(metrics, kpi, controls)
            parts = [table_html(fit.to_frame(), caption=f"{fit.family if hasattr(fit, 'family') else ''} fit of {kpi}")]
            inc = getattr(fit, "incremental", None)
            if inc is not None and len(inc):
                parts.append(table_html(inc, caption="Incremental validity (cross-validated gain when added)"))
            self.model_table.value = "".join(parts)
            if self.scatter_metric.value:
                show_chart(self.scatter, s.scatter_chart(self.scatter_metric.value, kpi))

"""Drift / judge validation tab: window drift (``evalnb.drift``), validity over time, judge vs humans."""
from __future__ import annotations

from typing import Any

import ipywidgets as W

from ._view import Busy, show_chart, table_html
from .session import Session


class DriftView(W.VBox):
    """Pick the month where the current window starts; run drift, validity drift and judge validation.

    >>> v = DriftView(session); v.split.value = "2026-10"; v.run.click()       # doctest: +SKIP
    """

    def __init__(self, session: Session, **kwargs: Any):
        self.session = s = session
        windows = s.windows()
        self.split = W.Dropdown(options=windows[1:], value=windows[-1] if len(windows) > 1 else None,
                                description="Current from")
        self.metrics = W.SelectMultiple(options=s.metric_columns,
                                        value=tuple(c for c in s.metric_columns if c.startswith("judge_"))[:3],
                                        rows=5, description="Metrics")
        self.run = W.Button(description="Check drift", button_style="warning", icon="exchange")
        judges = [c for c in s.metric_columns if c.startswith("judge_")]
        self.judge = W.Dropdown(options=judges, value=judges[0] if judges else None, description="Judge")
        humans = [c for c in s.metric_columns if c.startswith("human")]
        self.human = W.Dropdown(options=humans, value=humans[0] if humans else None, description="Human")
        self.validate = W.Button(description="Validate judge", icon="check")
        self.busy = Busy()
        self.alerts = W.HTML()
        self.alerts.add_class("evalnb-drift-alerts")
        self.table = W.HTML()
        self.chart = W.Output()
        self.validity = W.HTML()
        self.validity_chart = W.Output()
        self.judge_table = W.HTML()
        self.judge_table.add_class("evalnb-judge-table")
        self.run.on_click(self._drift)
        self.validate.on_click(self._validate)
        super().__init__([W.HBox([self.split, self.metrics, self.run]), self.busy.widget, self.alerts, self.table,
                          self.chart, self.validity, self.validity_chart,
                          W.HBox([self.judge, self.human, self.validate]), self.judge_table], **kwargs)
        self.add_class("evalnb-drift")

    def _drift(self, _: Any = None) -> None:
        s = self.session
        metrics = list(self.metrics.value)
        with self.busy(f"comparing data from {self.split.value} with the months before"):
            rep = s.drift(self.split.value, metrics)
            alerts = [{"kind": a.kind, "column": a.column, "message": a.message} for a in rep.alerts]
            import pandas as pd

            self.alerts.value = table_html(pd.DataFrame(alerts or [{"kind": "-", "column": "-", "message": "no alert"}]),
                                           caption=f"{len(alerts)} drift alert(s)")
            cols = [c for c in ("kind", "column", "test", "statistic", "psi", "p_adjusted", "alert") if c in rep.tests]
            self.table.value = table_html(rep.tests[cols], caption="Distribution tests")
            show_chart(self.chart, rep.chart())
            if s.kpi_columns and metrics:
                vd = s.validity_drift(metrics, s.kpi)
                self.validity.value = table_html(vd.to_frame(), caption=f"Validity of each metric for {s.kpi} by month",
                                                 max_rows=80)
                if hasattr(vd, "chart"):
                    show_chart(self.validity_chart, vd.chart())

    def _validate(self, _: Any = None) -> None:
        s = self.session
        with self.busy(f"{self.judge.value} against {self.human.value}"):
            res = s.validate_judge(self.judge.value, self.human.value)
            self.judge_table.value = table_html(res.to_frame(), caption="Judge vs human agreement")

"""Compare tab: models x metrics with CIs, paired significance, latency/cost, cost-quality frontier."""
from __future__ import annotations

from typing import Any

import ipywidgets as W

from ._view import Busy, show_chart, table_html
from .session import Session

SUMMARY_STATS = ("mean", "rate", "p50", "p95", "p99", "cost_per_success")


class CompareView(W.VBox):
    """Pick a baseline and a candidate; Compare runs ``evalnb.compare`` on matched items.

    >>> v = CompareView(session); v.candidate.value = "swift-small"; v.run.click()   # doctest: +SKIP
    """

    def __init__(self, session: Session, **kwargs: Any):
        self.session = s = session
        models = s.all_models
        self.baseline = W.Dropdown(options=models, value=models[0] if models else None, description="Baseline")
        self.candidate = W.Dropdown(options=models, value=models[1] if len(models) > 1 else None, description="Candidate")
        self.metrics = W.SelectMultiple(options=s.metric_columns, value=tuple(s.metric_columns), rows=6,
                                        description="Metrics")
        self.run = W.Button(description="Compare", button_style="primary", icon="balance-scale")
        self.summarize = W.Button(description="Per-model summary", icon="table")
        self.busy = Busy()
        self.result = W.HTML()
        self.result.add_class("evalnb-compare-table")
        self.table = W.HTML()
        self.table.add_class("evalnb-summary-table")
        self.chart = W.Output()
        self.run.on_click(self._on_compare)
        self.summarize.on_click(self._summary)
        super().__init__([W.HBox([self.baseline, self.candidate]), W.HBox([self.metrics, W.VBox([self.run, self.summarize])]),
                          self.busy.widget, self.result, self.table, self.chart], **kwargs)
        self.add_class("evalnb-compare")
        self.last = None

    def _on_compare(self, _: Any = None) -> None:
        s = self.session
        with self.busy(f"comparing {self.candidate.value} with {self.baseline.value} (paired bootstrap)"):
            self.last = s.compare(self.baseline.value, self.candidate.value, list(self.metrics.value))
            frame = self.last.to_frame()
            cols = [c for c in ("metric", "statistic", "baseline", "candidate", "difference", "ci_low", "ci_high",
                                "p_adjusted", "significant", "better", "n_pairs") if c in frame]
            self.result.value = table_html(frame[cols], caption=f"{self.candidate.value} - {self.baseline.value} "
                                                                "(paired; p adjusted across metrics)")

    def _summary(self, _: Any = None) -> None:
        s = self.session
        with self.busy("per-model summary with 95% CIs, latency percentiles, cost per success"):
            summ = s.summary(list(self.metrics.value))
            frame = summ.to_frame()
            frame = frame[frame["statistic"].isin(SUMMARY_STATS)]
            self.table.value = table_html(summ.table(), caption="Per-model estimate [95% CI]") + table_html(
                frame[[c for c in ("model", "metric", "statistic", "estimate", "ci_low", "ci_high", "n") if c in frame]],
                caption="All statistics", max_rows=200)
            show_chart(self.chart, s.pareto_chart())

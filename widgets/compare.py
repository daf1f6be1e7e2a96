"""Compare tab: which differences are significant (a chart first), then the table, per-model
summary with CIs and the cost-quality frontier, over *all* models (the Runs filter does not apply)."""
from __future__ import annotations

from typing import Any

import ipywidgets as W

from ._view import Binder, Busy, LiveChart, TableSlot, table_html
from .session import Session

SUMMARY_STATS = ("mean", "rate", "p50", "p95", "p99", "cost_per_success")


class CompareView(W.VBox):
    """Baseline, candidate and metrics are Session traits; Compare runs ``evalnb.compare`` on matched items.

    >>> v = CompareView(session); v.candidate.value = "swift-small"; v.run.click()   # doctest: +SKIP
    """

    def __init__(self, session: Session, interactive: bool | None = None, **kwargs: Any):
        self.session = s = session
        self.binder = b = Binder(s)
        self.baseline = b.bind(W.Dropdown(description="Baseline"), "baseline", options=lambda: s.all_models,
                               to_session=lambda v: v or "")
        self.candidate = b.bind(W.Dropdown(description="Candidate"), "candidate", options=lambda: s.all_models,
                                to_session=lambda v: v or "")
        self.metrics = b.bind(W.SelectMultiple(rows=6, description="Metrics"), "compare_metrics",
                              options=lambda: s.metric_columns, to_control=tuple, to_session=list)
        self.run = W.Button(description="Compare", button_style="primary", icon="balance-scale",
                            layout=W.Layout(width="auto"))
        self.summarize = W.Button(description="Per-model summary", icon="table", layout=W.Layout(width="auto"))
        self.busy = Busy()
        self.diff_chart = LiveChart(interactive=interactive)
        self.result = TableSlot("evalnb-compare-table", interactive=interactive)
        self.table = W.HTML()
        self.table.add_class("evalnb-summary-table")
        self.frontier = LiveChart(interactive=interactive)
        self.chart = self.frontier.widget
        self.run.on_click(self._on_compare)
        self.summarize.on_click(self._summary)
        self.last = None
        self.computed_with: dict[str, Any] | None = None
        s.observe(self._on_state, ["baseline", "candidate", "compare_metrics"])
        super().__init__([W.HBox([self.baseline, self.candidate]), W.HBox([self.metrics, W.VBox([self.run, self.summarize])]),
                          self.busy.widget, self.diff_chart.widget, self.result.widget, self.table, self.chart], **kwargs)
        self.add_class("evalnb-compare")
        self.binder.push()

    def _params(self) -> dict[str, Any]:
        s = self.session
        return {"baseline": s.baseline, "candidate": s.candidate, "metrics": list(s.compare_metrics)}

    def _on_state(self, _: Any = None) -> None:
        self.binder.push()
        if self.computed_with is not None and self.computed_with != self._params():
            # never show a comparison of other models/metrics than the controls say
            self.result.show(None, note='<div class="evalnb-more">the models or metrics changed: press Compare</div>')
            self.diff_chart.draw(lambda: _empty_chart())
            self.computed_with = None

    def _on_compare(self, _: Any = None) -> None:
        s = self.session
        params = self._params()

        def work() -> Any:
            return s.compare(params["baseline"], params["candidate"], params["metrics"])

        def done(res: Any) -> None:
            self.last = res
            frame = res.to_frame()
            cols = [c for c in ("metric", "statistic", "baseline", "candidate", "difference", "ci_low", "ci_high",
                                "p_adjusted", "significant", "better", "n_pairs") if c in frame]
            self.result.show(frame[cols], caption=f"{params['candidate']} - {params['baseline']} "
                             "(paired on matched items; p adjusted across metrics)")
            self.diff_chart.draw(lambda: s.difference_chart(frame, params["baseline"], params["candidate"]))
            self.computed_with = params

        self.busy.run(f"comparing {params['candidate']} with {params['baseline']} (paired bootstrap)", work, done)

    def _summary(self, _: Any = None) -> None:
        s = self.session
        metrics = list(s.compare_metrics)

        def work() -> Any:
            return s.summary(metrics), s.pareto()

        def done(result: Any) -> None:
            summ, pareto = result
            frame = summ.to_frame()
            frame = frame[frame["statistic"].isin(SUMMARY_STATS)]
            caption = f"Per-model estimate [95% CI], all {len(s.all_models)} models"
            self.table.value = table_html(
                frame[[c for c in ("model", "metric", "statistic", "estimate", "ci_low", "ci_high", "n") if c in frame]],
                caption=caption, max_rows=200)
            self.frontier.draw(lambda: s.pareto_chart(pareto))

        self.busy.run("per-model summary with 95% CIs, latency percentiles, cost per success", work, done)


def _empty_chart() -> Any:
    import altair as alt
    import pandas as pd

    return alt.Chart(pd.DataFrame({"x": []})).mark_point().properties(width=10, height=10)

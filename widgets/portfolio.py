"""Portfolio tab: recommended metrics, thresholds with a live gate preview, config export."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as W

from ._view import Busy, table_html
from .session import Session


class PortfolioView(W.VBox):
    """Recommend (``evalnb.select_portfolio``), move thresholds (``evalnb.gate`` preview), export.

    >>> v = PortfolioView(session); v.recommend.click()                        # doctest: +SKIP
    >>> v.sliders["judge_faithfulness"].value = 3.9; v.export.click()
    """

    def __init__(self, session: Session, path: str = "portfolio.yaml", **kwargs: Any):
        self.session = s = session
        self.kpi = W.Dropdown(options=s.kpi_columns, value=s.kpi or None, description="KPI")
        self.recommend = W.Button(description="Recommend metrics", button_style="primary", icon="magic",
                                  layout=W.Layout(width="auto"))
        self.busy = Busy()
        self.choice = W.HTML()
        self.choice.add_class("evalnb-portfolio-choice")
        self.sliders: dict[str, W.FloatSlider] = {}
        self.slider_box = W.VBox()
        self.preview = W.HTML()
        self.preview.add_class("evalnb-gate-preview")
        self.path = W.Text(value=path, description="Export to")
        self.export = W.Button(description="Export config", icon="download", button_style="success")
        self.exported = W.HTML()
        self.exported.add_class("evalnb-exported")
        # one KPI per session: the KPI tab and this tab stay in step
        self.kpi.observe(lambda ch: setattr(s, "kpi", ch["new"] or ""), "value")
        s.observe(lambda ch: setattr(self.kpi, "value", ch["new"]) if ch["new"] in self.kpi.options else None, "kpi")
        self.recommend.on_click(self._recommend)
        self.export.on_click(self._export)
        super().__init__([W.HBox([self.kpi, self.recommend]), self.busy.widget, self.choice, self.slider_box,
                          self.preview, W.HBox([self.path, self.export]), self.exported], **kwargs)
        self.add_class("evalnb-portfolio")

    def _recommend(self, _: Any = None) -> None:
        s = self.session
        with self.busy(f"selecting metrics that predict {self.kpi.value} (cross-validated, cost-penalised)"):
            s.kpi = self.kpi.value
            sel = s.select_portfolio(self.kpi.value)
            frame = sel.to_frame()
            cols = [c for c in ("metric", "role", "decision", "why") if c in frame]
            self.choice.value = table_html(frame[cols], caption=f"Recommended portfolio for {sel.kpi}")
            self._build_sliders()
        self._preview()

    def _build_sliders(self) -> None:
        s = self.session
        self.sliders = {}
        for col, value in s.thresholds.items():
            v = s.index.values.get(col)
            lo, hi = (0.0, 1.0)
            if v is not None:
                import numpy as np

                finite = v[~np.isnan(v)]
                if len(finite):
                    lo, hi = float(finite.min()), float(finite.max())
            slider = W.FloatSlider(value=value, min=lo, max=hi, step=round((hi - lo) / 100, 4) or 0.01,
                                   description=col, continuous_update=False, readout_format=".2f",
                                   style={"description_width": "170px"}, layout=W.Layout(width="520px"))
            slider.add_class("evalnb-threshold")
            slider.observe(self._on_threshold, "value")
            self.sliders[col] = slider
        self.slider_box.children = list(self.sliders.values())

    def _on_threshold(self, _: Any = None) -> None:
        self.session.thresholds = {c: float(sl.value) for c, sl in self.sliders.items()}
        self._preview()

    def _preview(self) -> None:
        s = self.session
        with self.busy("evaluating every gate on every model"):
            frame = s.gate_preview()
            cols = [c for c in ("model", "metric", "role", "threshold", "estimate", "ci_low", "ci_high", "status",
                                "reason") if c in frame]
            self.preview.value = table_html(frame[cols], caption="Gate preview: which runs pass each gate",
                                            max_rows=200)
            self.last_preview = frame

    def _export(self, _: Any = None) -> None:
        s = self.session
        with self.busy("writing the portfolio config"):
            out = s.export_portfolio(self.path.value)
            from evalnb._display import escape

            self.exported.value = f"Written: <code>{escape(str(Path(out).resolve()))}</code>"

"""Portfolio tab: the recommended portfolio with a coloured gate preview per model, thresholds that
move the preview live, and the config export (with the project's default gate rule and min_n)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np

from evalnb._display import escape

from ._view import Binder, Busy, table_html, warnings_html
from .session import Session


class PortfolioView(W.VBox):
    """Recommend (``evalnb.select_portfolio``), move thresholds (``evalnb.gate`` preview), export.

    >>> v = PortfolioView(session)
    >>> v.recommend.click()                                         # doctest: +SKIP
    >>> v.sliders["judge_faithfulness"].value = 3.9; v.export.click()   # doctest: +SKIP
    """

    def __init__(self, session: Session, path: str = "portfolio.yaml", **kwargs: Any):
        self.session = s = session
        self.binder = b = Binder(s)
        self.kpi = b.bind(W.Dropdown(description="KPI"), "kpi", options=lambda: s.kpi_columns,
                          to_session=lambda v: v or "")
        self.recommend = W.Button(description="Recommend metrics", button_style="primary", icon="magic",
                                  layout=W.Layout(width="auto"))
        self.busy = Busy(background=False)
        self.choice = W.HTML()
        self.choice.add_class("evalnb-portfolio-choice")
        self.sliders: dict[str, W.FloatSlider] = {}
        self.slider_box = W.VBox()
        self.preview = W.HTML()
        self.preview.add_class("evalnb-gate-preview")
        self.path = W.Text(value=path, description="Export to", layout=W.Layout(width="520px"))
        self.export = W.Button(description="Export config", icon="download", button_style="success",
                               layout=W.Layout(width="auto"))
        self.exported = W.HTML()
        self.exported.add_class("evalnb-exported")
        self.recommend.on_click(self._recommend)
        self.export.on_click(self._export)
        self.last_preview = None
        self._pushing = False
        self._in_recommend = False
        s.observe(self._on_thresholds, ["thresholds"])
        s.observe(lambda _: self.binder.push(), ["kpi"])
        super().__init__([W.HBox([self.kpi, self.recommend]), self.busy.widget, self.preview, self.choice,
                          self.slider_box, W.HBox([self.path, self.export]), self.exported], **kwargs)
        self.add_class("evalnb-portfolio")
        self.binder.push()

    def _recommend(self, _: Any = None) -> None:
        s = self.session
        with self.busy(f"selecting metrics that predict {s.kpi} (cross-validated, cost-penalised)"):
            self._in_recommend = True
            try:
                sel = s.select_portfolio(s.kpi)
            finally:
                self._in_recommend = False
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
                finite = v[~np.isnan(v)]
                if len(finite):
                    lo, hi = float(finite.min()), float(finite.max())
            decimals = min(s.precision(col), 4)
            step = max(10.0 ** -decimals, round((hi - lo) / 100, decimals)) if hi > lo else 10.0 ** -decimals
            slider = W.FloatSlider(value=value, min=lo, max=hi, step=step,
                                   description=col, continuous_update=False, readout_format=f".{decimals}f",
                                   style={"description_width": "170px"}, layout=W.Layout(width="560px"))
            slider.add_class("evalnb-threshold")
            slider.observe(self._on_slider, "value")
            self.sliders[col] = slider
        self.slider_box.children = list(self.sliders.values())

    def _on_slider(self, _: Any = None) -> None:
        if self._pushing:
            return
        self.session.thresholds = {c: float(sl.value) for c, sl in self.sliders.items()}

    def _on_thresholds(self, _: Any = None) -> None:
        s = self.session
        self._pushing = True
        try:
            for col, slider in self.sliders.items():
                if col in s.thresholds and slider.value != s.thresholds[col]:
                    slider.value = s.thresholds[col]
        finally:
            self._pushing = False
        if self.sliders and set(self.sliders) == set(s.thresholds) and not self._in_recommend:
            with self.busy("evaluating every gate on every model"):
                self._preview()

    def _preview(self) -> None:
        s = self.session
        frame = s.gate_preview()
        cols = [c for c in ("model", "metric", "role", "threshold", "estimate", "ci_low", "ci_high", "status",
                            "reason") if c in frame]
        verdict = frame.groupby("model")["status"].apply(lambda st: "pass" if (st == "pass").all() else "fail")
        summary = verdict.rename("verdict").reset_index()
        self.preview.value = (table_html(summary, caption="Gate preview per model (all gates)") +
                              table_html(frame[cols], caption="Every gate on every model", max_rows=200))
        self.last_preview = frame

    def _export(self, _: Any = None) -> None:
        s = self.session
        self.exported.value = ""          # never leave an old "Written:" line after a failed export
        with self.busy("writing the portfolio config"):
            out = s.export_portfolio(self.path.value)
            notes = getattr(s, "export_notes", [])
            self.exported.value = (f"Written: <code>{escape(str(Path(out).resolve()))}</code>" +
                                   warnings_html([f"warning: {n}" for n in notes]))

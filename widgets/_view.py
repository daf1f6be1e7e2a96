"""Small pieces the tab views share: escaped tables, SVG charts, a busy indicator, error display."""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Iterator

import ipywidgets as W
import pandas as pd

from evalnb._display import escape, frame_html
from evalnb._errors import EvalnbError

from ._altair import SVGChart

# Our own CSS (no data in it), prepended to table HTML so tables read well inside widgets.
TABLE_CSS = ("<style>.evalnb-table{border-collapse:collapse;font-size:12px;margin:4px 0}"
             ".evalnb-table th,.evalnb-table td{border:1px solid #ddd;padding:2px 6px;text-align:left;"
             "vertical-align:top;max-width:420px;overflow-wrap:anywhere}.evalnb-table td.num{text-align:right}"
             ".evalnb-table caption{text-align:left;font-weight:600}"
             ".evalnb-hidden{background:#fff3bf;border:1px solid #e0b000;border-radius:3px;font-family:monospace}"
             ".evalnb-truncated{background:#ffe3e3;border-radius:3px}"
             ".evalnb-item{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:6px}"
             ".evalnb-field{border:1px solid #ddd;border-radius:4px;padding:4px}"
             ".evalnb-field-name{font-weight:600;font-size:12px}"
             ".evalnb-field-value{white-space:pre-wrap;margin:0;font-size:12px;max-height:220px;overflow:auto}"
             ".evalnb-warn{background:#fff3bf;padding:3px 6px;margin:2px 0;font-size:12px}</style>")


def table_html(df: pd.DataFrame, caption: str | None = None, max_rows: int = 60) -> str:
    return TABLE_CSS + frame_html(df.head(max_rows), caption=caption)


def warnings_html(messages: list[str]) -> str:
    return "".join(f'<div class="evalnb-warn">{escape(m, 600)}</div>' for m in messages)


def show_chart(out: W.Output, chart: Any) -> None:
    """Replace the Output's content with the chart as SVG (works with or without a kernel)."""
    out.outputs = ()
    out.append_display_data(SVGChart(chart))


class Busy:
    """A progress bar + status line; ``with busy("fitting...")`` shows it while the core works.

    Warnings raised by the core (Simpson, small samples, multiplicity) are collected and shown.
    """

    def __init__(self) -> None:
        self.bar = W.IntProgress(value=0, min=0, max=1, bar_style="info", layout=W.Layout(width="160px"))
        self.bar.layout.visibility = "hidden"
        self.label = W.HTML()
        self.label.add_class("evalnb-status")
        self.widget = W.HBox([self.bar, self.label])
        self.caught: list[str] = []

    @contextlib.contextmanager
    def __call__(self, what: str) -> Iterator[None]:
        self.bar.layout.visibility = "visible"
        self.bar.value = 0
        self.label.value = escape(what)
        self.caught = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                yield
            seen: list[str] = []
            for w in caught:
                if issubclass(w.category, (DeprecationWarning, FutureWarning, ResourceWarning)):
                    continue
                text = f"{w.category.__name__}: {w.message}"
                if text not in seen:
                    seen.append(text)
            self.caught = seen
            self.label.value = escape(f"{what} done") + warnings_html(seen)
        except EvalnbError as exc:  # a user-facing problem: the core's message says what to fix
            self.label.value = f'<span class="evalnb-error">{escape(f"{type(exc).__name__}: {exc}", 1000)}</span>'
        except Exception as exc:  # a bug: show it and let it reach the log too
            self.label.value = f'<span class="evalnb-error">{escape(f"{type(exc).__name__}: {exc}", 1000)}</span>'
            raise
        finally:
            self.bar.value = 1
            self.bar.layout.visibility = "hidden"


class ChartLane:
    """Renders charts off the interaction path: the table updates at once, the SVG follows.

    vl-convert takes ~50 ms per chart here, about half of a slice change's budget, so in a live
    kernel the chart is drawn on one background thread and only the newest request is drawn
    (older ones are skipped). Without a kernel (tests, scripts) it draws synchronously.
    """

    def __init__(self, out: W.Output, background: bool | None = None):
        import threading

        self.out = out
        if background is None:
            try:
                from IPython import get_ipython

                background = get_ipython() is not None and hasattr(get_ipython(), "kernel")
            except ImportError:
                background = False
        self.background = background
        self._lock = threading.Lock()
        self._wanted: Any = None
        self._generation = 0
        self._worker: Any = None

    def draw(self, make_chart: Any) -> None:
        """``make_chart`` is a zero-argument callable returning an Altair chart."""
        if not self.background:
            show_chart(self.out, make_chart())
            return
        import threading

        with self._lock:
            self._generation += 1
            self._wanted = (self._generation, make_chart)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                job, self._wanted = self._wanted, None
            if job is None:
                return
            generation, make_chart = job
            svg = SVGChart(make_chart())
            with self._lock:
                stale = generation != self._generation
            if not stale:
                self.out.outputs = ()
                self.out.append_display_data(svg)

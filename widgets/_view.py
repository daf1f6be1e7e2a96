"""Small pieces the tab views share: escaped tables, SVG charts, a busy indicator, error display."""
from __future__ import annotations

import contextlib
import threading
import warnings
from typing import Any, Iterator

import ipywidgets as W
import pandas as pd

from evalnb._display import escape, frame_html
from evalnb._errors import EvalnbError

from ._altair import SVGChart
from ._format import display_frame, numeric_columns

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
             ".evalnb-warn{background:#fff3bf;padding:3px 6px;margin:2px 0;font-size:12px}"
             ".evalnb-table th.num{text-align:right}.evalnb-table td{white-space:nowrap}"
             ".evalnb-pass{background:#d3f9d8}.evalnb-fail{background:#ffe3e3}"
             ".evalnb-problem{background:#ffe3e3;border-left:4px solid #e03131;padding:4px 8px;margin:4px 0}"
             ".evalnb-more{font-size:12px;color:#666}</style>")


VERDICT_COLUMNS = ("gates", "status", "verdict", "significant", "alert")


def _verdict_class(value: Any) -> str:
    text = str(value).lower()
    if text.startswith(("pass", "no")) or text in ("ok", "false"):
        return "evalnb-pass"
    if text.startswith(("fail", "error", "yes")) or text == "true":
        return "evalnb-fail"
    return ""


def table_html(df: pd.DataFrame, caption: str | None = None, max_rows: int = 60, metric: str | None = None,
               raw: bool = False) -> str:
    """Escaped HTML table, numbers formatted by kind and right-aligned (the static path).

    ``raw=True`` keeps the numbers as they are (3 decimals, the old behaviour)."""
    if raw:
        return TABLE_CSS + frame_html(df.head(max_rows), caption=caption)
    shown = display_frame(df.head(max_rows), metric=metric)
    nums = set(numeric_columns(df, shown))
    head = "".join(f'<th class="num">{escape(c)}</th>' if c in nums else f"<th>{escape(c)}</th>"
                   for c in shown.columns)
    body = []
    for row in shown.itertuples(index=False, name=None):
        cells = [f'<td class="num">{escape(v)}</td>' if c in nums else
                 f'<td class="{_verdict_class(v)}">{escape(v, 300)}</td>' if c in VERDICT_COLUMNS else
                 f"<td>{escape(v, 300)}</td>" for c, v in zip(shown.columns, row)]
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(df) > max_rows:
        more = f'<div class="evalnb-more">showing {max_rows:,} of {len(df):,} rows</div>'
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (TABLE_CSS + f'<table class="evalnb-table">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}'
            f"</tbody></table>{more}")


def warnings_html(messages: list[str]) -> str:
    return "".join(f'<div class="evalnb-warn">{escape(m, 600)}</div>' for m in messages)


def group_warnings(caught: list[Any]) -> list[str]:
    """One line per kind of warning: ``SmallSampleWarning (x12): <first message>``."""
    import re

    groups: dict[tuple[str, str], list[str]] = {}
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, FutureWarning, ResourceWarning)):
            continue
        text = str(w.message)
        # messages that differ only in names/numbers are the same warning
        # the part before the first ": " names the case (metric ~ kpi (level, method)); the rest says what
        shape = re.sub(r"'[^']*'|\"[^\"]*\"|-?\d+(\.\d+)?", "_", text.split(": ", 1)[-1])[:80]
        groups.setdefault((w.category.__name__, shape), []).append(text)
    out = []
    for (name, _), texts in groups.items():
        unique = list(dict.fromkeys(texts))
        count = f" (x{len(unique)})" if len(unique) > 1 else ""
        out.append(f"{name}{count}: {unique[0]}" + (" ..." if len(unique) > 1 else ""))
    return out


def show_chart(out: W.Output, chart: Any) -> None:
    """Replace the Output's content with the chart as SVG (works with or without a kernel)."""
    out.outputs = ()
    out.append_display_data(SVGChart(chart))


class Cancelled(Exception):
    """Raised inside the core's progress loop when the user pressed Cancel."""


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython

        ip = get_ipython()
        return ip is not None and hasattr(ip, "kernel")
    except ImportError:
        return False


class Busy:
    """A progress bar that moves, a status line and a Cancel button for the core's long work.

    ``with busy("fitting..."):`` routes every ``tqdm.auto`` bar the core opens (scoring batches,
    BERTScore chunks, summarize's bootstraps, KPI fits, reports) into this bar while the work runs,
    so the widget shows the real fraction done. ``busy.run(what, work, done)`` runs ``work`` on a
    background thread in a live kernel (so Cancel can be pressed; the next progress step raises
    :class:`Cancelled`) and synchronously elsewhere (tests, scripts). Warnings the core raises
    are grouped by kind and shown once with a count; a user-facing error is shown, never raised.
    """

    def __init__(self, background: bool | None = None) -> None:
        self.bar = W.FloatProgress(value=0, min=0, max=1, bar_style="info", layout=W.Layout(width="200px"))
        self.bar.layout.visibility = "hidden"
        self.step = W.Label()
        self.cancel = W.Button(description="Cancel", icon="stop", layout=W.Layout(width="auto"))
        self.cancel.layout.visibility = "hidden"
        self.cancel.on_click(lambda _: self._cancel())
        self.label = W.HTML()
        self.label.add_class("evalnb-status")
        self.widget = W.HBox([self.bar, self.step, self.cancel, self.label])
        self.caught: list[str] = []
        self.error: str = ""
        self.steps_seen = 0
        self.background = live_frontend() if background is None else background
        self._cancelled = False
        self._thread: Any = None

    def _cancel(self) -> None:
        self._cancelled = True
        self.label.value = escape("cancelling...")

    def progress(self, n: float, total: float | None, desc: str = "") -> None:
        """Called by the core's tqdm bars (see :func:`_patched_tqdm`)."""
        if self._cancelled:
            raise Cancelled("cancelled by the user")
        self.steps_seen += 1
        if total:
            self.bar.max = float(total)
            self.bar.value = float(min(n, total))
            self.step.value = f"{desc}: {int(n):,}/{int(total):,}" if desc else f"{int(n):,}/{int(total):,}"
        else:
            self.step.value = f"{desc}: {int(n):,}" if desc else f"{int(n):,}"

    @contextlib.contextmanager
    def __call__(self, what: str) -> Iterator[None]:
        self.bar.layout.visibility = "visible"
        self.cancel.layout.visibility = "visible"
        self.bar.value, self.bar.max = 0, 1
        self.step.value = ""
        self.label.value = escape(what)
        self.caught, self.error, self._cancelled = [], "", False
        try:
            with warnings.catch_warnings(record=True) as caught, _patched_tqdm(self):
                warnings.simplefilter("always")
                yield
            self.caught = group_warnings(caught)
            self.label.value = escape(f"{what} done") + warnings_html(self.caught)
        except Cancelled:
            self.error = "cancelled"
            self.label.value = escape(f"{what}: cancelled")
        except EvalnbError as exc:  # a user-facing problem: the core's message says what to fix
            self.error = f"{type(exc).__name__}: {exc}"
            self.label.value = f'<span class="evalnb-error">{escape(self.error, 1000)}</span>'
        except Exception as exc:  # a bug or a metric that cannot be computed: said here, logged, never raised
            import logging

            logging.getLogger("evalnb.widgets").exception("%s failed", what)
            self.error = f"{type(exc).__name__}: {exc}"
            self.label.value = (f'<span class="evalnb-error">{escape(what)} failed: {escape(self.error, 1000)}'
                                "</span>")
        finally:
            self.bar.value = self.bar.max
            self.bar.layout.visibility = "hidden"
            self.cancel.layout.visibility = "hidden"

    def run(self, what: str, work: Any, done: Any = None) -> None:
        """``done(work())`` inside ``self(what)``; on a thread in a live kernel."""
        def job() -> None:
            with self(what):
                result = work()
                if done is not None:
                    done(result)

        if not self.background:
            job()
            return
        import threading

        self._thread = threading.Thread(target=job, daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


_ACTIVE: list[Busy] = []


@contextlib.contextmanager
def _patched_tqdm(busy: Busy) -> Iterator[None]:
    """While the work runs, ``tqdm.auto.tqdm`` (which the core imports at call time) reports here."""
    import io

    import tqdm.auto as auto
    import tqdm.std as std

    class WidgetTqdm(std.tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = False
            kwargs["file"] = io.StringIO()
            kwargs["mininterval"] = 0.05
            kwargs["miniters"] = 1
            super().__init__(*args, **kwargs)
            target = _ACTIVE[-1] if _ACTIVE else busy
            self._evalnb_busy = target
            target.progress(self.n, self.total, self.desc)

        def update(self, n: float | None = 1) -> Any:
            out = super().update(n)
            self._evalnb_busy.progress(self.n, self.total, self.desc)
            return out

    _ACTIVE.append(busy)
    previous = auto.tqdm
    auto.tqdm = WidgetTqdm
    try:
        yield
    finally:
        _ACTIVE.remove(busy)
        auto.tqdm = previous


class ChartLane:
    """Renders charts off the interaction path: the table updates at once, the SVG follows.

    vl-convert takes ~50 ms per chart here, about half of a slice change's budget, so in a live
    kernel the chart is drawn on one background thread and only the newest request is drawn
    (older ones are skipped). Without one (tests, scripts, headless notebook runs) it draws synchronously.
    """

    def __init__(self, out: W.Output, background: bool | None = None):
        import threading

        self.out = out
        if background is None:
            # only with a person's frontend attached: a headless kernel (nbclient, export_notebook)
            # saves the widget state when the cell ends, so a chart still drawing then was lost
            background = live_frontend()
        self.background = background
        self._lock = threading.Lock()
        self._wanted: Any = None
        self._generation = 0
        self._worker: Any = None
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()

    def draw(self, make_chart: Any) -> None:
        """``make_chart`` is a zero-argument callable returning an Altair chart."""
        if not self.background:
            show_chart(self.out, make_chart())
            return
        import threading

        with self._lock:
            self._generation += 1
            self._wanted = (self._generation, make_chart)
            self._idle.clear()
            if self._worker is None:
                # one long-lived worker per lane, woken by an event: starting a thread per draw
                # cost ~25 ms of the interaction on a loaded 2-core machine (Thread.start waits
                # until the new thread runs)
                self._worker = threading.Thread(target=self._run, daemon=True, name="evalnb-chart-lane")
                self._worker.start()
        self._wake.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every requested chart is drawn (benchmarks, tests); False on timeout."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            with self._lock:
                self._wake.clear()
                job, self._wanted = self._wanted, None
                if job is None:
                    self._idle.set()
                    continue
            generation, make_chart = job
            try:
                svg = SVGChart(make_chart())
                with self._lock:
                    stale = generation != self._generation
                if not stale:
                    self.out.outputs = ()
                    self.out.append_display_data(svg)
            except Exception:      # a chart that cannot be drawn must not stop the lane
                pass
            finally:
                self._wake.set()   # look again: the idle flag is set only with nothing wanted


class Binder:
    """Two-way binding of ipywidgets controls to :class:`Session` traits, without echo loops.

    A user change of a control writes the trait; ``push()`` (called on every redraw) writes every
    trait back into its control, options first, so a control can never show a stale value.
    """

    def __init__(self, session: Any):
        self.session = session
        self.rows: list[tuple[Any, str, Any, Any, Any]] = []
        # the thread now inside push(): only its own writes are echoes to ignore. A redraw may push
        # from a worker thread while the kernel's main thread delivers a user's change, which must
        # not be dropped (a KPI picked during a background refit was lost that way).
        self.pushing_thread: int | None = None

    def bind(self, control: Any, trait: str, options: Any = None, to_control: Any = None, to_session: Any = None) -> Any:
        to_control = to_control or (lambda v: v)
        to_session = to_session or (lambda v: v)
        self.rows.append((control, trait, options, to_control, to_session))

        def on_change(change: dict) -> None:
            if self.pushing_thread == threading.get_ident():
                return
            value = to_session(change["new"])
            if getattr(self.session, trait) != value:
                setattr(self.session, trait, value)

        control.observe(on_change, "value")
        return control

    @property
    def pushing(self) -> bool:
        return self.pushing_thread is not None

    def push(self) -> None:
        self.pushing_thread = threading.get_ident()
        try:
            for control, trait, options, to_control, _ in self.rows:
                if options is not None:
                    opts = list(options())
                    if list(control.options) != opts:
                        control.options = opts
                value = to_control(getattr(self.session, trait))
                if isinstance(control, (W.Dropdown, W.Select)) and value not in [
                        o[1] if isinstance(o, tuple) else o for o in control.options]:
                    value = None
                if control.value != value:
                    control.value = value
        finally:
            self.pushing_thread = None


def live_frontend() -> bool:
    """A kernel with a person's frontend attached (JupyterLab / Notebook: jupyter_server starts
    session kernels with ``JPY_SESSION_NAME``), not a headless run (nbclient, papermill,
    ``export_notebook``), whose saved output must stay static (SVG, HTML tables).
    ``EVALNB_INTERACTIVE=1`` / ``=0`` forces either way."""
    import os

    forced = os.environ.get("EVALNB_INTERACTIVE")
    if forced is not None:
        return forced.strip().lower() in ("1", "true", "yes") and _in_kernel()
    return _in_kernel() and bool(os.environ.get("JPY_SESSION_NAME"))


def interactive_charts_available() -> bool:
    """Live Vega charts (``alt.JupyterChart``, offline JS from vl-convert) in a live frontend; SVG elsewhere."""
    if not live_frontend():
        return False
    try:
        import altair as alt
        import anywidget  # noqa: F401

        alt.JupyterChart.enable_offline()
        return True
    except Exception:  # no anywidget / vl-convert bundle: the static path
        return False


def _kernel_loop() -> Any:
    """The kernel's running asyncio loop while it handles a message (None outside a kernel, e.g.
    in tests and scripts, where a chart is updated at once)."""
    if not _in_kernel():
        return None
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class LiveChart:
    """A chart slot: an ``alt.JupyterChart`` (tooltips, clicks and brushes reach Python) in a live
    kernel, a static SVG in an ``Output`` otherwise (headless execution, exported HTML).

    ``on_select(name, callback)`` calls ``callback(value)`` when the chart's selection ``name``
    changes in the browser: a point selection gives ``[{field: value}, ...]``, an interval one
    ``{field: [lo, hi]}``.
    """

    def __init__(self, interactive: bool | None = None, background: bool | None = None):
        self.interactive = interactive_charts_available() if interactive is None else interactive
        self.callbacks: dict[str, Any] = {}
        self.spec: Any = None
        self._pending = False
        if self.interactive:
            # the JupyterChart (0.9 MB of offline JS per instance) is made on the first draw, so
            # charts nobody has asked for yet cost nothing
            self.jchart = None
            self.widget = W.Box([])
        else:
            self.jchart = None
            self.out = W.Output()
            self.lane = ChartLane(self.out, background=background)
            self.widget = self.out

    def add_class(self, name: str) -> None:
        self.widget.add_class(name)

    def on_select(self, name: str, callback: Any) -> None:
        self.callbacks[name] = callback

    def draw(self, make_chart: Any) -> None:
        if self.interactive:
            self.spec = make_chart()
            if self.jchart is None:
                import altair as alt

                alt.JupyterChart.enable_offline()      # vega-embed from vl-convert's bundle, never a CDN
                # SVG marks (not a canvas): crisp, and each bar is an element a test can click
                self.jchart = alt.JupyterChart(self.spec, embed_options={"renderer": "svg", "actions": False})
                self.jchart.observe(self._on_selections, "_vl_selections")
                self.widget.children = [self.jchart]
            else:
                loop = _kernel_loop()
                if loop is None:
                    self.jchart.chart = self.spec
                elif not self._pending:
                    # the new spec goes to the browser after the tables, items and captions this
                    # change updates (the handler's other messages), so they show first; the
                    # newest spec wins
                    self._pending = True
                    loop.call_soon(self._push_spec)
        else:
            def made() -> Any:
                self.spec = make_chart()
                return self.spec

            self.lane.draw(made)

    def _push_spec(self) -> None:
        self._pending = False
        if self.jchart is not None and self.spec is not None:
            self.jchart.chart = self.spec

    def _on_selections(self, change: dict) -> None:
        for name, raw in (change["new"] or {}).items():
            callback = self.callbacks.get(name)
            if callback is None:
                continue
            value = raw.get("value") if isinstance(raw, dict) else None
            if isinstance(value, dict) and "vlPoint" in value:
                value = value.get("vlPoint", {}).get("or", [])
            callback(value)


_SORT_RENDER = "function (data, type, row, meta) { return type === 'sort' || type === 'type' ? data[1] : data[0]; }"


def itable_args(df: pd.DataFrame, metric: str | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """DataTables arguments for itables' ``ITable``: every cell escaped, numbers shown formatted by
    kind and right-aligned but sorted on their raw values (``[shown, raw]`` pairs)."""
    import json
    import math

    from evalnb._display import escape as esc

    shown = display_frame(df, metric=metric)
    nums = numeric_columns(df, shown)
    raw_cols = {c: (c[: -len(" [95% CI]")] if c.endswith(" [95% CI]") else c) for c in shown.columns}
    rows = []
    for i in range(len(shown)):
        row = []
        for c in shown.columns:
            text = esc(shown[c].iloc[i], 300)
            if c in nums:
                raw = df[raw_cols[c]].iloc[i]
                try:
                    raw = float(raw)
                    raw = None if math.isnan(raw) else raw
                except (TypeError, ValueError):
                    raw = None
                row.append([text, raw])
            else:
                row.append(text)
        rows.append(row)
    targets = [list(shown.columns).index(c) for c in nums]
    header = "".join(f"<th>{esc(c)}</th>" for c in shown.columns)
    args: dict[str, Any] = {
        "table_html": f"<table><thead><tr>{header}</tr></thead></table>",
        "data_json": json.dumps(rows),
        "columnDefs": [{"targets": targets, "render": _SORT_RENDER, "className": "dt-right"}] if targets else [],
        "keys_to_be_evaluated": [["columnDefs", 0, "render"]] if targets else [],
        "order": [], "select": {"style": "single"}, "paging": len(df) > 15, "pageLength": 15,
        "layout": {"topStart": None, "topEnd": "search", "bottomStart": "info" if len(df) > 15 else None,
                   "bottomEnd": "paging" if len(df) > 15 else None},
        "text_in_header_can_be_selected": False,   # a click on the header name sorts
    }
    return shown, args


class TableSlot:
    """A table: itables' ``ITable`` anywidget in a live kernel (sortable, searchable, paged; a row
    click calls ``on_row(row)`` with the raw row), an escaped HTML table otherwise (static path).

    ``value`` is the HTML of the static path in both modes (what tests and exports read)."""

    def __init__(self, css_class: str, interactive: bool | None = None, on_row: Any = None):
        self.interactive = live_frontend() if interactive is None else interactive
        self.on_row = on_row
        self.frame: pd.DataFrame | None = None
        self.html = W.HTML()
        if self.interactive:
            try:
                from itables.widget import ITable

                self.itable = ITable(pd.DataFrame({"": []}))
                self.itable.observe(self._on_select, "selected_rows")
                self.widget = W.VBox([self.html, self.itable])
            except ImportError:
                self.interactive = False
        if not self.interactive:
            self.itable = None
            self.widget = self.html
        self.widget.add_class(css_class)
        self.value = ""

    def add_class(self, name: str) -> None:
        self.widget.add_class(name)

    def show(self, df: pd.DataFrame | None, caption: str = "", metric: str | None = None, max_rows: int = 60,
             note: str = "") -> None:
        self.frame = None if df is None else df.reset_index(drop=True)
        if df is None:
            self.value = note
            self.html.value = note
            if self.itable is not None:
                self.itable.layout.display = "none"
            return
        self.value = table_html(df, caption=caption, max_rows=max_rows, metric=metric)
        if self.itable is None:
            self.html.value = self.value
            return
        _, args = itable_args(self.frame, metric=metric)
        self.html.value = f"<b>{escape(caption)}</b>" if caption else ""
        self.itable.layout.display = None
        self.itable.selected_rows = []
        self.itable._dt_args = args
        self.itable.caption = ""

    def _on_select(self, change: dict) -> None:
        rows = change["new"] or []
        if self.on_row is not None and self.frame is not None and rows:
            i = rows[0]
            if 0 <= i < len(self.frame):
                self.on_row(self.frame.iloc[i])

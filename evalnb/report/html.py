"""``evalnb.report``: one self-contained, offline HTML file from eval runs; script-free by default.

Two forms from one call: the strict form (default; below) and, with ``interactive=True``, the same
page with vega-embed charts (tooltips, pan/zoom) and sortable tables, its one inline script pinned by
hash (:mod:`evalnb.report.interactive`). ``pdf=`` / :meth:`Report.to_pdf` print the strict form with
every section open (:mod:`evalnb.report.pdf`).

Safety (docs/threat-model.md design rule 4, cases R01-R11):

- Jinja2 with autoescape on for ``.html`` templates; data is only ever passed as *variables*, never
  rendered as a template, so ``{{7*7}}`` in a model output stays literal (R06, R07).
- Tables are built by :func:`evalnb._display.frame_html`, which escapes every header and cell,
  shows bidi/zero-width characters as visible ``<U+XXXX>`` badges (R09) and cuts long texts with a
  marker holding the full length and SHA-256 (R11).
- Charts are Altair specs rendered to SVG by vl-convert and embedded as ``<img src="data:...">``:
  an SVG loaded through ``<img>`` can never run script; model text enters charts only as data (R04).
- A Content-Security-Policy meta tag allows no script at all, no network, no frames, no forms;
  the one style block is allowed by its hash (no ``unsafe-inline``, no ``unsafe-eval``) (R02).
- Each section is computed independently: a failing analysis shows "not available: why" and the
  rest of the report still renders (design rule 6).

>>> rep = evalnb.report("sample_data/runs/*.jsonl", kpis="sample_data/kpis.csv",
...                     path="report.html")                                   # doctest: +SKIP
>>> rep.path, rep.size_bytes                                                   # doctest: +SKIP
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from .._display import frame_html, summary_text
from ..io.spreadsheet import safe_csv
from .._errors import EvalnbError

TEMPLATES = Path(__file__).with_name("templates")
STYLE = (Path(__file__).with_name("templates") / "report.css")
DEFAULT_MAX_BYTES = 8_000_000


@dataclass
class Section:
    title: str
    anchor: str
    intro: str = ""
    tables: list[Any] = field(default_factory=list)   # Markup (already escaped) HTML tables
    charts: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""


@dataclass(frozen=True)
class Report:
    """A rendered report: the HTML text, where it was written, and the tables behind it.

    Attributes
    ----------
    html : the whole document.
    path : where it was written (None when not written).
    tables : section table name -> DataFrame (for CSV export with :meth:`to_csv`).
    sections : section title -> "ok" or "not available: why".
    pdf_path : where the PDF was written (``pdf=`` or :meth:`to_pdf`), else None.
    interactive : whether ``html`` is the interactive form (vega-embed charts, sortable tables).
    timings : section title -> seconds it took to compute (``benchmarks/bench_report.py`` prints them).
    """

    html: str
    path: Path | None
    tables: Mapping[str, pd.DataFrame]
    sections: Mapping[str, str]
    pdf_path: Path | None = None
    interactive: bool = False
    timings: Mapping[str, float] = field(default_factory=dict)
    _render: Callable[..., str] | None = field(default=None, repr=False, compare=False)

    @property
    def size_bytes(self) -> int:
        return len(self.html.encode("utf-8"))

    def to_csv(self, name: str, path: str | os.PathLike | None = None) -> str | None:
        """One of the report's tables as CSV, formula-looking cells neutralised (R08)."""
        if name not in self.tables:
            raise EvalnbError(f"report has no table '{name}'; tables: {', '.join(self.tables)}")
        return safe_csv(self.tables[name], path)

    def print_html(self) -> str:
        """The strict form with every section open: what :meth:`to_pdf` prints."""
        if self._render is None:
            raise EvalnbError("this Report was not made by evalnb.report(): it cannot be re-rendered for print")
        return self._render(interactive=False, open_all=True)

    def to_pdf(self, path: str | os.PathLike) -> Path:
        """Print the strict form, every section open, to PDF with headless Chromium.

        >>> evalnb.report("sample_data/runs/*.jsonl").to_pdf("report.pdf")      # doctest: +SKIP
        PosixPath('report.pdf')
        """
        from .pdf import print_pdf

        return print_pdf(self.print_html(), path)

    @summary_text
    def summary(self) -> str:
        form = "interactive" if self.interactive else "strict"
        lines = [f"evalnb report ({form}): {self.size_bytes:,} bytes" + (f" -> {self.path}" if self.path else "")]
        if self.pdf_path:
            lines.append(f"  PDF -> {self.pdf_path}")
        lines += [f"  {title}: {status}" for title, status in self.sections.items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from .._display import escape

        rows = "".join(f"<li>{escape(t)}: {escape(s)}</li>" for t, s in self.sections.items())
        where = f" written to <code>{escape(str(self.path))}</code>" if self.path else ""
        return f"<p>evalnb report, {self.size_bytes:,} bytes{where}.</p><ul>{rows}</ul>"


def environment():
    """The Jinja2 environment: autoescape on for .html templates (R06), strict undefined."""
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                              autoescape=jinja2.select_autoescape(["html", "htm", "xml"]),
                              undefined=jinja2.StrictUndefined)


def csp(style: str) -> str:
    """The Content-Security-Policy: nothing may load or run except data: images and our style."""
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode()
    return ("default-src 'none'; img-src data:; style-src 'sha256-" + digest + "'; "
            "script-src 'none'; object-src 'none'; frame-src 'none'; connect-src 'none'; "
            "font-src 'none'; media-src 'none'; base-uri 'none'; form-action 'none'")


def standalone_page(title: str, body_html: str) -> str:
    """A strict self-contained page (the report's style and CSP: no script, no request) around a
    fragment that is already escaped (e.g. a result's ``to_html()``)."""
    import html as _html

    style = STYLE.read_text(encoding="utf-8")
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp(style)}\">"
            f"<title>{_html.escape(title)}</title><style>{style}</style></head>"
            f"<body><main><h1>{_html.escape(title)}</h1>{body_html}</main></body></html>\n")


from .charts import chart_img  # noqa: E402,F401  (re-exported; sections import it from .charts)


def report(runs: Any, kpis: Any = None, portfolio: Any = None, scores: Any = None,
           path: str | os.PathLike | None = None, *, title: str = "evalnb report",
           kpi: str | None = None, metrics: Sequence[str] | None = None, max_chars: int = 2_000,
           max_bytes: int = DEFAULT_MAX_BYTES, examples: int = 5, seed: int = 0,
           recalibration: Any = None, baseline: str | None = None, drift_window: str | None = None,
           interactive: bool = False,
           pdf: str | os.PathLike | None = None, progress: bool = True) -> Report:
    """Write a self-contained HTML report: summary, comparisons, failures, KPI validation, gates.

    Parameters
    ----------
    runs : Runs, DataFrame, or paths/globs for :func:`evalnb.load_runs`.
    kpis : KPI log (Kpis, DataFrame or paths), optional: adds the KPI-validation section.
    portfolio : a Portfolio or a path to a portfolio config, optional: adds the gates section.
    scores : precomputed :class:`evalnb.Scores`; default: the runs' operational columns and
        precomputed judge/human columns (see :func:`default_metrics`).
    path : write the HTML here (atomically: temp file then rename). None: only return it.
    kpi : the KPI to validate against (default: the first KPI column).
    metrics : metric names to score when ``scores`` is None.
    max_chars : longest text shown per cell; longer texts are cut with length and SHA-256.
    max_bytes : refuse to write a report larger than this (raise :class:`EvalnbError`).
    examples : worst items shown per model in the "Examples" section.
    seed : recorded and passed to the bootstrap-based analyses.
    recalibration : an :func:`evalnb.recalibrate` proposal, optional: adds the recalibration section.
    baseline : a model or run_id: relative gates compare every other model with it on matched items,
        and the comparisons (and the decision's "changed against" list) use it (default: the first model).
    drift_window : ``"YYYY-MM"``: the drift section compares the rows from this month on with the rows
        before it (:func:`evalnb.drift_since`, the Explorer's rule), and the decision lists its alerts
        (default: the newest month; "not checked" when the runs carry no timestamps).
    interactive : write the interactive form: Vega-Lite charts with tooltips and pan/zoom, sortable
        tables, vega-embed inlined (offline; one hash-pinned script, no request). Default: the strict
        form (no script at all, charts as SVG images).
    pdf : also print the strict form, every section open, to this PDF (headless Chromium).
    progress : show a progress bar (tqdm.auto: a widget in notebooks), one step per section.

    Returns
    -------
    Report with ``.html``, ``.path``, ``.tables`` (for :meth:`Report.to_csv`) and ``.sections``.

    Examples
    --------
    >>> rep = evalnb.report("sample_data/runs/*.jsonl", kpis="sample_data/kpis.csv",
    ...                     portfolio="portfolio.yaml", path="report.html")      # doctest: +SKIP
    """
    import evalnb
    from markupsafe import Markup

    from . import sections as S

    runs = runs if isinstance(runs, evalnb.Runs) else evalnb.load_runs(runs)
    if kpis is not None and not isinstance(kpis, evalnb.Kpis):
        kpis = evalnb.load_kpis(kpis)
    if portfolio is not None and isinstance(portfolio, (str, os.PathLike)):
        portfolio = evalnb.load_portfolio(portfolio)
    ctx = S.Context(runs=runs, kpis=kpis, portfolio=portfolio, scores=scores, metrics=metrics, kpi=kpi,
                    max_chars=max_chars, examples=examples, seed=seed,
                    recalibration=recalibration, baseline=baseline, drift_window=drift_window)

    builders: list[tuple[str, str, Callable[[S.Context, Section], None]]] = [
        *([("Decision", "decision", S.decision)] if portfolio is not None else []),
        ("Summary", "summary", S.summary),
        ("Comparisons", "compare", S.compare),
        ("Failures", "failures", S.failures),
        ("KPI validation", "kpi", S.kpi_validation),
        ("Drift", "drift", S.drift),
        ("Gates", "gates", S.gates),
        *([("Recalibration", "recalibration", S.recalibration)] if recalibration is not None else []),
        ("Examples", "examples", S.examples),
    ]
    import time

    from tqdm.auto import tqdm

    sections: list[Section] = []
    timings: dict[str, float] = {}
    # the decision is shown first but computed last: it summarises the comparisons, KPI validation
    # and failures sections' results (ctx.results), which it never recomputes
    order = [b for b in builders if b[1] != "decision"] + [b for b in builders if b[1] == "decision"]
    bar = tqdm(order, desc="report", unit="section", disable=not progress, leave=False)
    # statsmodels' Holm adjustment calls gc.collect() every time; with the runs' texts on the heap
    # each call scanned every object (0.2 s apiece, 4 s of a SummEval report). The objects that
    # exist when a section starts are frozen out of those scans, and handed back at the end.
    import gc

    try:
        for sec_title, anchor, build in bar:
            gc.freeze()   # again per section: what the previous one imported or built is frozen too
            bar.set_postfix_str(sec_title)
            sec = Section(sec_title, anchor)
            started = time.perf_counter()
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    build(ctx, sec)
                seen = set()
                for w in caught:
                    text = f"{w.category.__name__}: {w.message}"
                    if text not in seen and not issubclass(w.category, (DeprecationWarning, FutureWarning)):
                        seen.add(text)
                        sec.warnings.append(text[:500])
            except S.Skip as why:
                sec.error = str(why)
            except Exception as exc:  # one failing analysis never sinks the whole report (design rule 6)
                sec.error = f"{type(exc).__name__}: {exc}"[:1000]
            timings[sec_title] = time.perf_counter() - started
            sec.tables = [Markup(t) for t in sec.tables]  # produced by frame_html: every cell escaped
            sections.append(sec)
    finally:
        gc.unfreeze()
    bar.close()
    rank = {b[1]: i for i, b in enumerate(builders)}
    sections.sort(key=lambda s: rank[s.anchor])

    style = STYLE.read_text(encoding="utf-8")
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    signatures = sorted(ctx.signatures().items())

    def render(interactive: bool = False, open_all: bool = False) -> str:
        extra: dict[str, Any] = {"specs_json": "", "script": ""}
        if interactive:
            from . import interactive as I

            specs = I.specs_for([c for sec in sections for c in sec.charts])
            script = I.script()
            extra = {"specs_json": Markup(I.script_json(specs)), "script": Markup(script)}
            policy = I.csp(style, script)
        else:
            policy = csp(style)
        return environment().get_template("report.html").render(
            title=title, csp=Markup(policy), style=Markup(style), version=evalnb.__version__,
            generated=generated, n_rows=f"{len(runs.df):,}", models=runs.models, sections=sections,
            signatures=signatures, interactive=interactive, open_all=open_all, **extra,
        )

    html = render(interactive=interactive)
    size = len(html.encode("utf-8"))
    if size > max_bytes:
        raise EvalnbError(f"the report would be {size:,} bytes, above max_bytes={max_bytes:,}; "
                          "lower max_chars or examples, or raise max_bytes")
    out = None
    if path is not None:
        from ..io.writers import write_text

        out = write_text(path, html)
    status = {s.title: ("ok" if not s.error else f"not available: {s.error}") for s in sections}
    rep = Report(html=html, path=out, tables=dict(ctx.tables), sections=status, interactive=interactive,
                 timings=timings, _render=render)
    if pdf is not None:
        import dataclasses

        rep = dataclasses.replace(rep, pdf_path=rep.to_pdf(pdf))
    return rep

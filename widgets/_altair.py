"""Altair charts that render offline, in JupyterLab 4.6, in nbclient/nbconvert and in HTML exports.

Altair's default renderer loads Vega from a CDN (blank offline) and the ``mimetype`` renderer shows
Vega-Lite v6 as text in JupyterLab 4.6 and breaks ``nbconvert --execute`` (ENVIRONMENT.md). We
render to SVG with vl-convert in the kernel instead: the output is an ``image/svg+xml`` bundle,
which JupyterLab shows as an ``<img>`` (so nothing inside it can run script) and which survives
headless execution and HTML export unchanged. Model text reaches a chart only as data
(``data.values``), never inside a Vega expression (R04).

>>> from evalnb.widgets import enable_offline_charts
>>> enable_offline_charts()          # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

_ENABLED: str | None = None


def enable_offline_charts(renderer: str = "svg") -> str:
    """Make every Altair chart in this kernel render offline.

    Parameters
    ----------
    renderer : ``"svg"`` (default; small, static, safe) or ``"png"`` (both via vl-convert).
        ``"html"`` uses Altair's inline template (~1 MB per chart, interactive, needs trusted
        outputs); the default CDN renderer and ``"mimetype"`` are refused.

    Returns the renderer name now active.
    """
    global _ENABLED
    import altair as alt

    if renderer in ("default", "mimetype", "jupyterlab", "jupyter"):
        raise ValueError(f"renderer {renderer!r} does not work offline in JupyterLab 4.6 / nbconvert; "
                         "use 'svg' (default), 'png' or 'html'")
    if renderer == "html":
        alt.renderers.enable("html", template="inline")
    else:
        alt.renderers.enable(renderer)
    _ENABLED = renderer
    return renderer


def chart_svg(chart: Any) -> str:
    """The chart as an SVG document string (vl-convert; no network, no browser)."""
    import vl_convert as vlc

    # Altair's schema validation costs tens of ms per chart; our charts are built by code and
    # validated once in the tests, so interactive redraws skip it.
    spec = chart.to_dict(validate=False) if hasattr(chart, "to_dict") else chart
    return vlc.vegalite_to_svg(spec)


class SVGChart:
    """An already-rendered chart that displays as ``image/svg+xml`` whatever the Altair renderer.

    Used by the widgets so that a chart inside an ``Output`` widget is the same static SVG in
    JupyterLab, in nbclient execution and in a notebook exported to HTML.
    """

    def __init__(self, chart: Any):
        self.chart = chart
        self.svg = chart_svg(chart)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"image/svg+xml": self.svg, "text/plain": "<evalnb chart>"}


def show_chart(chart: Any) -> None:
    """Display a chart as static SVG in the current output (cell or Output widget)."""
    from IPython.display import display

    display(SVGChart(chart))

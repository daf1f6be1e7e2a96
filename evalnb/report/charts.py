"""Charts in the report: an Altair chart becomes an inline SVG ``<img>`` (no script runs), and its
Vega-Lite spec is kept so that the interactive form can embed it with vega-embed.

Its own module so that ``report.sections`` and ``report.html`` both use it without importing each
other (``html`` builds the page from ``sections``; ``sections`` only needs this).
"""
from __future__ import annotations

import base64
from typing import Any


def chart_img(chart: Any, alt: str) -> dict[str, Any]:
    """An Altair chart (or a Vega-Lite dict) as an inline SVG ``<img>`` source (no script can run in
    it), with the Vega-Lite spec it came from (``"spec"``, for the interactive form).

    >>> img = chart_img({"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}}, "one point")
    >>> img["alt"], img["src"].startswith("data:image/svg+xml;base64,"), img["spec"]["mark"]
    ('one point', True, 'point')
    """
    import vl_convert as vlc

    spec = chart.to_dict() if hasattr(chart, "to_dict") else chart
    svg = vlc.vegalite_to_svg(spec)
    return {"alt": alt, "src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode(),
            "spec": spec}

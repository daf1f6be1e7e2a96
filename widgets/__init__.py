"""evalnb.widgets: the notebook layer (ipywidgets + Altair) over evalnb's public API.

``Explorer(runs, kpis=...)`` is the app; each tab is also usable alone. A :class:`Session` holds the
state and calls the core; views only mirror it. Charts render offline as SVG (``_altair``).

>>> from evalnb.widgets import Explorer, enable_offline_charts
>>> enable_offline_charts()
'svg'
>>> app = Explorer("sample_data/runs/*.jsonl", kpis="sample_data/kpis.csv")
"""
from __future__ import annotations

import importlib
from typing import Any

from . import _fastimport  # noqa: F401  (before altair: see the module)
from ._altair import SVGChart, chart_svg, enable_offline_charts, show_chart

_LAZY = {
    "Session": ".session",
    "RunsView": ".runs",
    "CompareView": ".compare",
    "FailuresView": ".failures",
    "KpiView": ".kpi",
    "PortfolioView": ".portfolio",
    "DriftView": ".drift",
    "Explorer": ".explorer",
    "show_table": ".explorer",
}

__all__ = ["SVGChart", "chart_svg", "enable_offline_charts", "show_chart", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evalnb.widgets' has no attribute '{name}'")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value

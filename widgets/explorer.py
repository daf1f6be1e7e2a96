"""The Explorer app: tabs Runs, Compare, Failures, KPI validation, Portfolio, Drift / judge."""
from __future__ import annotations

from typing import Any

import pandas as pd


def show_table(df: pd.DataFrame, caption: str | None = None, max_chars: int | None = 300) -> None:
    """Display a DataFrame as an escaped HTML table (model text can never become markup)."""
    from IPython.display import HTML, display

    from evalnb._display import frame_html

    display(HTML(frame_html(df, max_chars=max_chars, caption=caption)))

"""Spreadsheet-safe CSV (R08 in docs/threat-model.md): the one CSV writer of evalnb.

A text cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) is written with a leading ``'``; :func:`read_safe_csv` strips it
again, so a round trip restores the text exactly. Every text-like column is neutralised: object
columns and pandas' string dtypes (``string[python]``, ``string[pyarrow]`` and pandas 3's default
``str``), and the header too. Numbers are left as they are (``-1`` stays a number).

``evalnb summarize/compare/correlate --csv``, ``evalnb drift --csv``, ``evalnb report --csv-dir``
and :meth:`evalnb.report.Report.to_csv` all write through :func:`safe_csv`.

>>> print(safe_csv(pd.DataFrame({"a": ["=1+1", "ok"], "n": [-1, 2]}), lineterminator="\\n"), end="")
a,n
'=1+1,-1
ok,2
"""
from __future__ import annotations

from typing import Any

import pandas as pd

CSV_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would read as a formula with ``'``.

    A text that already starts with quotes before a formula character gets one more quote, so
    reading back (which strips exactly one) restores it exactly.

    >>> neutralize_cell("=HYPERLINK(1)"), neutralize_cell("'=x"), neutralize_cell(-3)
    ("'=HYPERLINK(1)", "''=x", -3)
    """
    if isinstance(value, str) and value.lstrip("'").startswith(CSV_DANGEROUS):
        return "'" + value
    return value


def unneutralize_cell(value: Any) -> Any:
    """Undo :func:`neutralize_cell` when reading a CSV evalnb wrote."""
    if isinstance(value, str) and value.startswith("'") and value.lstrip("'").startswith(CSV_DANGEROUS):
        return value[1:]
    return value


def _texty(col: pd.Series) -> bool:
    return col.dtype == object or pd.api.types.is_string_dtype(col) or isinstance(col.dtype, pd.CategoricalDtype)


def neutralize_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell (and header) passed through :func:`neutralize_cell`."""
    out = df.copy()
    for col in out.columns:
        if _texty(out[col]):
            out[col] = out[col].astype(object).map(neutralize_cell)
    out.columns = [neutralize_cell(str(c)) for c in out.columns]
    return out


def safe_csv(df: pd.DataFrame, path: Any = None, **kwargs: Any) -> str | None:
    """Write ``df`` as CSV with formula-looking text cells neutralised; return the text when
    ``path`` is None, else write it atomically.

    Parameters
    ----------
    df : the table.
    path : where to write (atomic: a temp file, then a rename); None returns the CSV text.
    **kwargs : passed to :meth:`pandas.DataFrame.to_csv` (default ``index=False`` and RFC 4180
        ``"\\r\\n"`` line ends, so a cell holding a lone ``"\\r"`` is quoted).
    """
    out = neutralize_frame(df)
    kwargs.setdefault("index", False)
    kwargs.setdefault("lineterminator", "\r\n")
    text = out.to_csv(**kwargs)
    if path is None:
        return text
    from .writers import write_text

    write_text(path, text)
    return None


def read_safe_csv(path_or_buffer: Any, **kwargs: Any) -> pd.DataFrame:
    """Read a CSV written by :func:`safe_csv`, restoring the original text cells (all as text)."""
    kwargs.setdefault("dtype", str)
    kwargs.setdefault("keep_default_na", False)
    df = pd.read_csv(path_or_buffer, **kwargs)
    df.columns = [unneutralize_cell(c) for c in df.columns]
    for col in df.columns:
        df[col] = df[col].map(unneutralize_cell)
    return df

"""Inputs shared by the studio functions (``correlate``, ``fit_kpi``, ``select_portfolio``,
``validity_drift``, ``recalibrate``) and the Explorer: the frame to analyse, which of its columns are
KPIs and numeric metrics, a column's values as floats, and a content hash of the columns used.

Every missing column is a :class:`~evalnb.DataError` naming it, with the closest names in the data.
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from .. import roles
from .._errors import ConfigError, DataError

__all__ = ["as_frame", "kpi_columns", "numeric_columns", "require_columns", "numeric", "data_hash", "resolve"]

_KEYS = {*roles.KEY_COLUMNS, *roles.META_COLUMNS}


def as_frame(data: Any, kpis: Any = None) -> pd.DataFrame:
    """A DataFrame from a DataFrame, Scores or Runs, joined with ``kpis`` when given.

    >>> df = pd.DataFrame({"item_id": ["a", "b"], "bleu": [10.0, 20.0]})
    >>> as_frame(df) is df
    True
    """
    frame = data.df if hasattr(data, "df") and isinstance(getattr(data, "df"), pd.DataFrame) else data
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected a DataFrame, Scores or Runs, not {type(data).__name__}")
    if kpis is not None:
        from ..runs import Kpis, join_kpis, load_kpis

        if not isinstance(kpis, (Kpis, pd.DataFrame)):
            kpis = load_kpis(kpis)
        frame = join_kpis(frame, kpis)
    return frame


def kpi_columns(frame: pd.DataFrame) -> list[str]:
    """The KPI columns a KPI join recorded (``frame.attrs["kpi_coverage"]``), without the timestamp.

    >>> df = pd.DataFrame({"item_id": ["a"], "thumbs_up": [1], "kpi_timestamp": ["2026-01-01"]})
    >>> df.attrs["kpi_coverage"] = {"kpi_columns": ["thumbs_up", "kpi_timestamp"]}
    >>> kpi_columns(df)
    ['thumbs_up']
    """
    cov = frame.attrs.get("kpi_coverage") or {}
    return [c for c in cov.get("kpi_columns", []) if c in frame.columns and c != "kpi_timestamp"]


def numeric_columns(frame: pd.DataFrame, exclude: Iterable[str] = ()) -> list[str]:
    """Numeric and boolean columns that are not keys, metadata, hidden (``_``) or in ``exclude``.

    >>> df = pd.DataFrame({"item_id": ["a"], "model": ["m"], "bleu": [10.0], "ok": [True], "_bleu_stat_0": [3]})
    >>> numeric_columns(df), numeric_columns(df, exclude=["ok"])
    (['bleu', 'ok'], ['bleu'])
    """
    skip = _KEYS | set(exclude)
    return [c for c in frame.columns if c not in skip and not c.startswith("_")
            and (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))]


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """A :class:`~evalnb.DataError` naming the first missing column, with the closest names.

    >>> require_columns(pd.DataFrame({"bleu": [1.0]}), ["blue"], "metric")
    Traceback (most recent call last):
    ...
    evalnb._errors.DataError: metric column 'blue' is not in the data. Did you mean bleu? Columns: bleu
    """
    import difflib

    for col in columns:
        if col not in frame.columns:
            close = difflib.get_close_matches(str(col), [str(c) for c in frame.columns], n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise DataError(f"{what} column '{col}' is not in the data.{hint} Columns: {', '.join(map(str, frame.columns))}")


def numeric(frame: pd.DataFrame, col: str) -> np.ndarray:
    """A column as float64 (booleans as 0/1; values that are not numbers become NaN).

    >>> numeric(pd.DataFrame({"ok": [True, False], "n": ["1", "x"]}), "ok").tolist()
    [1.0, 0.0]
    >>> numeric(pd.DataFrame({"n": ["1", "x"]}), "n").tolist()
    [1.0, nan]
    """
    values = pd.to_numeric(frame[col].astype(float) if frame[col].dtype == bool else frame[col], errors="coerce")
    return values.to_numpy(dtype=float, na_value=np.nan)


def data_hash(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """A short content hash of the columns used (provenance for exported evidence).

    Row and column order do not change it; columns not in the data are ignored.

    >>> df = pd.DataFrame({"bleu": [10.0, 20.0], "ok": [True, False]})
    >>> data_hash(df, ["bleu", "ok"]) == data_hash(df.iloc[::-1], ["ok", "bleu", "missing"])
    True
    """
    cols = [c for c in columns if c in frame.columns]
    hashed = pd.util.hash_pandas_object(frame[cols].sort_index(axis=1), index=False).to_numpy()
    return "sha256:" + hashlib.sha256(np.sort(hashed).tobytes()).hexdigest()[:16]


def resolve(frame: pd.DataFrame, metrics: Sequence[str] | str | None, targets: Sequence[str] | str | None
            ) -> tuple[list[str], list[str]]:
    """The (metrics, targets) to analyse: as given, else the KPI columns and the other numeric columns.

    >>> df = pd.DataFrame({"item_id": ["a"], "bleu": [10.0], "ok": [True], "thumbs_up": [1]})
    >>> resolve(df, None, "thumbs_up")
    (['bleu', 'ok'], ['thumbs_up'])
    """
    targets = [targets] if isinstance(targets, str) else list(targets or kpi_columns(frame))
    if not targets:
        raise ConfigError("no targets: pass targets=['thumbs_up', ...] (KPI columns or human ratings) "
                          "or data joined with a KPI log (Runs.with_kpis)")
    metrics = [metrics] if isinstance(metrics, str) else list(metrics or numeric_columns(frame, exclude=targets + kpi_columns(frame)))
    require_columns(frame, targets, "target")
    require_columns(frame, metrics, "metric")
    if not metrics:
        raise ConfigError("no metric columns: pass metrics=[...] with numeric columns of the data")
    return metrics, targets

"""Numbers and names as an analyst reads them: formatted by kind, never in scientific notation.

Kinds come from the column (and, for long result frames, the ``metric``/``statistic`` of the row):
latency in ms, cost in $ with significant digits, rates as %, counts as integers, estimates with
their interval as ``0.42 [0.40, 0.44]``. Formula terms from statsmodels (``Q('judge_relevance')``,
``C(Q('category'))[T.billing]``) become ``judge_relevance`` and ``category = billing``.

>>> fmt(1590.2, "latency_ms")
'1,590 ms'
>>> fmt(0.00354, "cost_usd")
'$0.00354'
>>> fmt_estimate(0.4213, 0.401, 0.4388)
'0.421 [0.401, 0.439]'
>>> readable_term("C(Q('category'))[T.billing]")
'category = billing'
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

COUNT_COLUMNS = {"n", "rows", "items", "failures", "folds", "excluded", "n_pairs", "n_units", "units", "kpi_rows",
                 "matched", "n_items", "n_rows", "n_reference", "n_current", "count", "support", "n_obs"}
RATE_COLUMNS = {"failure_rate", "rest_rate", "rate", "share", "coverage", "pass_rate", "accuracy"}
RATE_STATISTICS = {"rate", "proportion", "pass_rate", "accuracy"}
P_COLUMNS = {"p_value", "p_adjusted", "p", "pvalue"}


def kind_of(column: str, statistic: str | None = None, metric: str | None = None) -> str:
    """``count``, ``rate``, ``p``, ``latency``, ``cost`` or ``number`` for a column (of a row)."""
    col = str(column).lower()
    if col in COUNT_COLUMNS or col.startswith("n_"):
        return "count"
    if col in P_COLUMNS:
        return "p"
    if col in RATE_COLUMNS or col.endswith("_rate"):
        return "rate"
    subject = str(metric).lower() if metric else col
    if statistic is not None and str(statistic).lower() in RATE_STATISTICS:
        return "rate"
    if statistic is not None and str(statistic).lower() == "cost_per_success":
        return "cost"
    if "latency" in subject or subject.endswith("_ms"):
        return "latency"
    if "cost" in subject or subject.endswith("_usd"):
        return "cost"
    return "number"


def _plain(v: float, digits: int = 3) -> str:
    """A number with ``digits`` significant digits, positional (no exponent), thousands separated."""
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 10 ** digits:
        return f"{v:,.0f}"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(a))))
    text = f"{v:,.{decimals}f}"
    return text


def fmt(value: Any, column: str = "", statistic: str | None = None, metric: str | None = None) -> str:
    """One cell as text; missing values are an empty string."""
    if value is None or isinstance(value, str):
        return "" if value is None else value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    kind = kind_of(column, statistic, metric)
    if kind == "count":
        return f"{v:,.0f}" if float(v).is_integer() else _plain(v)
    if kind == "p":
        return "<0.001" if v < 0.001 else f"{v:.3f}"
    if kind == "rate":
        return f"{v * 100:.1f}%"
    if kind == "latency":
        return f"{v:,.0f} ms" if abs(v) >= 100 else f"{_plain(v)} ms"
    if kind == "cost":
        text = _plain(abs(v), 3)
        if "." in text and abs(v) < 1:
            text = text.rstrip("0").rstrip(".")
        return ("-" if v < 0 else "") + "$" + text
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{v:,.0f}"
    return _plain(v)


def fmt_estimate(est: Any, low: Any, high: Any, column: str = "", statistic: str | None = None,
                 metric: str | None = None) -> str:
    """``0.42 [0.40, 0.44]`` (units of the kind once, at the end)."""
    e = fmt(est, column, statistic, metric)
    if e == "":
        return ""
    lo, hi = fmt(low, column, statistic, metric), fmt(high, column, statistic, metric)
    if lo == "" and hi == "":
        return e
    kind = kind_of(column, statistic, metric)
    unit = " ms" if kind == "latency" else ""
    strip = (lambda s: s[:-3]) if unit else (lambda s: s)
    return f"{strip(e)} [{strip(lo)}, {strip(hi)}]{unit}"


def readable_term(term: Any) -> str:
    """A statsmodels/patsy term as words: ``C(Q('category'))[T.billing]`` -> ``category = billing``
    (the rule lives with the results, :func:`evalnb.analysis.kpi_models.readable_term`)."""
    from evalnb.analysis.kpi_models import readable_term as core

    return core(term)


def precision_of(values: Any, max_decimals: int = 6) -> int:
    """Decimals the metric's values carry (judge scores 4.3333 -> 4, latency 908.6 -> 1, counts -> 0)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)][:2000]
    if not len(v):
        return 2
    for d in range(max_decimals + 1):
        if np.all(np.abs(np.round(v, d) - v) <= 1e-9 * np.maximum(1.0, np.abs(v))):
            return d
    return max_decimals


def round_to(value: float, decimals: int, significant: int | None = None) -> float:
    """Round to the metric's precision (and at most ``significant`` significant digits)."""
    if value is None or not math.isfinite(value):
        return value
    if significant and value != 0:
        magnitude = int(math.floor(math.log10(abs(value))))
        decimals = min(decimals, max(0, significant - 1 - magnitude)) if magnitude >= 0 else decimals
        if magnitude >= significant:
            return float(round(value, significant - 1 - magnitude))
    return float(round(value, decimals))


VALUE_COLUMNS = ("estimate", "baseline", "candidate", "difference", "threshold", "value", "mean", "p50", "p90",
                 "p95", "p99", "min", "max", "median", "reference", "current")


def display_frame(df: pd.DataFrame, merge_ci: bool = True, metric: str | None = None) -> pd.DataFrame:
    """Strings for display: numbers formatted by kind, ``estimate [ci_low, ci_high]`` merged,
    formula terms readable. ``metric`` names the unit of value columns when the frame has no
    ``metric`` column (a slice table of latency_ms). The raw frame stays untouched."""
    out = df.copy()
    n = len(df)
    metrics = df["metric"].astype(str).tolist() if "metric" in df else [metric] * n
    stats = df["statistic"].astype(str).tolist() if "statistic" in df else [None] * n
    for col in ("term", "predictor", "variable", "metric"):
        if col in out and out[col].dtype == object:
            out[col] = out[col].map(lambda v: readable_term(v) if isinstance(v, str) else v)
    for col in out.columns:
        if col in ("metric", "statistic"):
            continue
        series = df[col]
        if pd.api.types.is_bool_dtype(series):
            out[col] = series.map(lambda b: "yes" if b else "no")
            continue
        if not pd.api.types.is_numeric_dtype(series):
            continue
        if col in VALUE_COLUMNS or col in ("ci_low", "ci_high"):
            out[col] = [fmt(v, "", s, m) for v, s, m in zip(series, stats, metrics)]
        else:
            out[col] = [fmt(v, col) for v in series]
    est = next((c for c in ("estimate", "difference", "coef") if c in df), None)
    if merge_ci and est and "ci_low" in df and "ci_high" in df:
        out[est] = [fmt_estimate(e, lo, hi, "", s, m)
                    for e, lo, hi, s, m in zip(df[est], df["ci_low"], df["ci_high"], stats, metrics)]
        out = out.drop(columns=["ci_low", "ci_high"]).rename(columns={est: f"{est} [95% CI]"})
    return out


def numeric_columns(df: pd.DataFrame, shown: pd.DataFrame) -> list[str]:
    """Columns of ``shown`` that hold numbers (right-aligned)."""
    out = []
    for c in shown.columns:
        src = c[: -len(" [95% CI]")] if c.endswith(" [95% CI]") else c
        if src in df and pd.api.types.is_numeric_dtype(df[src]) and not pd.api.types.is_bool_dtype(df[src]):
            out.append(c)
    return out

"""Column roles, one source of truth: which columns are keys, text, metrics or KPIs, how a column
is aggregated (mean / rate / percentile / corpus) and which way is better.

Every layer asks here (summarize, compare, select_portfolio, gates, drift, the report and the
Explorer), so a column means the same thing everywhere. A decision is taken in this order, the
first that speaks wins:

1. the user's override (``higher_is_better={"col": False}``, ``aggregation={"col": "mean"}``);
2. the metric object that produced the column (its :class:`~evalnb.metrics.base.Output`
   declares ``higher_is_better`` and ``aggregation``);
3. the documented name rule below;
4. the default: higher is better; mean (a rate for 0/1 values).

The name rule (:data:`LOWER_IS_BETTER`): a column is lower-is-better when one of its
``_``-separated words starts with ``latency``, ``cost``, ``violation``, ``toxic``, ``harm``
(not ``harmless``), ``unsafe``, ``jailbreak``, ``pii``, ``error``, ``tokens``, ``escalat``,
``churn``, ``complain`` or ``hallucinat``, or contains ``handle_time``. So ``toxicity``,
``otel_error``, ``total_tokens``, ``cost_per_success``, ``latency_ms``, ``escalated`` and
``judge_safety_violation`` are lower-is-better; ``judge_relevance``, ``task_success`` and
``thumbs_up`` are higher-is-better.

This module imports nothing else from evalnb: it sits at the bottom of the layer order.

>>> direction("toxicity"), direction("task_success")
('lower', 'higher')
>>> is_binary([0, 1, 1, None])
True
>>> aggregation("latency_ms"), aggregation("ok", [0, 1, 1]), aggregation("score", [0.5, 2.0])
('percentile', 'proportion', 'mean')
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

import numpy as np

#: Identity and bookkeeping columns: never a metric, never aggregated.
KEY_COLUMNS = ("run_id", "model", "item_id", "sample_id", "task", "category", "request_id", "timestamp")
#: Columns added by readers and joins (provenance), also never metrics.
META_COLUMNS = ("source_file", "source_line", "kpi_timestamp")
#: Text (and structured-input) fields of the canonical schema: shown, escaped, never aggregated.
TEXT_COLUMNS = ("input", "output", "reference", "references", "contexts", "retrieved_ids", "label",
                "prediction", "tests")
#: Operational columns (measured by the serving stack, not by an evaluator).
OPERATIONAL_COLUMNS = ("latency_ms", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd")
#: Columns aggregated as percentiles (p50/p95/p99) without a metric object.
PERCENTILE_COLUMNS = ("latency_ms",)

MEAN, PROPORTION, PERCENTILE, CORPUS = "mean", "proportion", "percentile", "corpus"
AGGREGATIONS = (MEAN, PROPORTION, PERCENTILE, CORPUS)

_WORD_PREFIXES = ("latency", "cost", "violation", "toxic", "harm", "unsafe", "jailbreak", "pii", "error", "tokens",
                  "escalat", "churn", "complain", "hallucinat")
#: The name rule, as a regular expression over the column name (case-insensitive).
LOWER_IS_BETTER = re.compile(r"(?:^|_)(?:" + "|".join(_WORD_PREFIXES) + r")(?!less)|handle_time", re.I)


def _outputs(metrics: Any) -> Iterable[Any]:
    """Output declarations of metric objects (a Metric, a list, a name -> Metric mapping, a Scores)."""
    if metrics is None:
        return ()
    if hasattr(metrics, "metrics") and isinstance(getattr(metrics, "metrics"), Mapping):  # Scores
        metrics = metrics.metrics
    if isinstance(metrics, Mapping):
        metrics = list(metrics.values())
    elif hasattr(metrics, "outputs"):
        metrics = [metrics]
    elif not isinstance(metrics, (list, tuple, set, frozenset)):
        return ()  # a DataFrame, Runs, ...: no metric objects
    out = []
    for m in metrics:
        out.extend(getattr(m, "outputs", ()) or ())
    return out


def declared(column: str, metrics: Any = None) -> Any | None:
    """The metric Output that declares ``column``, or None."""
    for o in _outputs(metrics):
        if getattr(o, "column", None) == column:
            return o
    return None


def name_says_lower(column: str) -> bool:
    """The documented name rule alone (:data:`LOWER_IS_BETTER`)."""
    return bool(LOWER_IS_BETTER.search(str(column)))


def higher_is_better(column: str, metrics: Any = None, overrides: Mapping[str, Any] | None = None,
                     default: bool | None = None) -> bool:
    """Whether larger values of ``column`` are better: override, metric object, name rule, default.

    Parameters
    ----------
    column : the column name.
    metrics : metric objects (a Metric, a list, a mapping, or a Scores) that may declare it.
    overrides : column -> bool, or column -> ``"higher"`` / ``"lower"``.
    default : what to answer when neither the override, a metric nor the name rule decides (only
        then); None means True. ``select_portfolio`` passes the sign of the KPI association.

    Examples
    --------
    >>> higher_is_better("total_tokens"), higher_is_better("total_tokens", overrides={"total_tokens": True})
    (False, True)
    """
    if overrides and column in overrides:
        value = overrides[column]
        if isinstance(value, str):
            if value not in ("higher", "lower"):
                from ._errors import ConfigError

                raise ConfigError(f"direction for '{column}' must be 'higher' or 'lower', not {value!r}")
            return value == "higher"
        return bool(value)
    out = declared(column, metrics)
    if out is not None and getattr(out, "higher_is_better", None) is not None:
        return bool(out.higher_is_better)
    if name_says_lower(column):
        return False
    return True if default is None else bool(default)


def direction(column: str, metrics: Any = None, overrides: Mapping[str, Any] | None = None,
              default: str | None = None) -> str:
    """``"higher"`` or ``"lower"`` (is better), by :func:`higher_is_better`'s order.

    Examples
    --------
    >>> [direction(c) for c in ("toxicity", "otel_error", "total_tokens", "cost_per_success")]
    ['lower', 'lower', 'lower', 'lower']
    """
    hib = higher_is_better(column, metrics, overrides, None if default is None else default == "higher")
    return "higher" if hib else "lower"


def lower_is_better(column: str, metrics: Any = None, overrides: Mapping[str, Any] | None = None) -> bool:
    """The opposite of :func:`higher_is_better`."""
    return not higher_is_better(column, metrics, overrides)


def _finite(values: Any) -> np.ndarray:
    import pandas as pd

    if values is None:
        return np.empty(0)
    if isinstance(values, np.ndarray) and (values.dtype.kind in "fiub"):
        arr = values.astype(float, copy=False)
    else:
        series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
        if pd.api.types.is_bool_dtype(series):
            series = series.astype(float)
        arr = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return arr[np.isfinite(arr)]


def is_binary(values: Any) -> bool:
    """True when the non-missing values are all 0 or 1 (and there is at least one): a rate column.

    Booleans count as 0/1; text and NaN are ignored, so ``[0, 1, None]`` is binary and ``[]`` is not.

    Examples
    --------
    >>> is_binary([0.0, 1.0]), is_binary([0, 2]), is_binary([]), is_binary([True, False])
    (True, False, False, True)
    """
    finite = _finite(values)
    return bool(len(finite)) and bool(np.isin(finite, (0.0, 1.0)).all())


def aggregation(column: str, values: Any = None, metrics: Any = None,
                overrides: Mapping[str, str] | None = None) -> str:
    """How ``column`` is aggregated: override, metric object, then ``latency_ms`` -> percentile,
    0/1 values -> proportion (a rate), else mean."""
    if overrides and overrides.get(column):
        agg = overrides[column]
        if agg not in AGGREGATIONS:
            from ._errors import EvalnbError

            raise EvalnbError(f"aggregation for '{column}' must be mean, proportion, percentile or corpus, not {agg!r}")
        return agg
    out = declared(column, metrics)
    if out is not None and getattr(out, "aggregation", None):
        return out.aggregation
    if column in PERCENTILE_COLUMNS:
        return PERCENTILE
    if values is not None and is_binary(values):
        return PROPORTION
    return MEAN


def is_key(column: str) -> bool:
    """Identity, provenance or private (``_``-prefixed) column: never a metric."""
    c = str(column)
    return c in KEY_COLUMNS or c in META_COLUMNS or c.startswith("_")


def role(column: str, kpis: Iterable[str] = (), metrics: Any = None) -> str:
    """``"key"``, ``"text"``, ``"kpi"`` (a production outcome, from the KPI log) or ``"metric"``.

    Examples
    --------
    >>> role("item_id"), role("output"), role("thumbs_up", kpis=["thumbs_up"]), role("bleu")
    ('key', 'text', 'kpi', 'metric')
    """
    if is_key(column):
        return "key"
    if column in TEXT_COLUMNS:
        return "text"
    if declared(column, metrics) is not None:
        return "metric"
    if column in set(kpis):
        return "kpi"
    return "metric"


def metric_columns(frame: Any, kpis: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[str]:
    """Numeric, non-bool, non-key, non-text, non-KPI columns of ``frame`` with at least one value."""
    import pandas as pd

    skip = set(kpis) | set(exclude)
    return [c for c in frame.columns if role(c, skip) == "metric" and c not in skip and "__" not in str(c)
            and pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
            and frame[c].notna().any()]


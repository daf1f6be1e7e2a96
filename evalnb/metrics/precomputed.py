"""``precomputed``: treat an existing numeric column (a logged judge score, a human rating) as a metric.

>>> m = evalnb.metric("precomputed", column="judge_faithfulness", lower=1, upper=5)   # doctest: +SKIP
>>> m.signature()                                                                      # doctest: +SKIP
'precomputed:judge_faithfulness|aggregation:mean|column:judge_faithfulness|...|source:precomputed|evalnb:0.1.0'

The column must be named explicitly: ``metric("judge_faithfulness")`` is an unknown-metric error,
so a number that evalnb did not compute never passes silently for one that it did. Values outside
``[lower, upper]`` make the metric "not computable" rather than being clipped.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._errors import MetricError
from .base import CORPUS, MEAN, PERCENTILE, PROPORTION, Metric, Output
from .registry import register

_AGGREGATIONS = (MEAN, PROPORTION, PERCENTILE)


@register
class Precomputed(Metric):
    name = "precomputed"
    family = "precomputed"
    description = "an existing numeric column used as a metric (column=..., higher_is_better, lower, upper)"
    needs = ()
    outputs = (Output("<column>", MEAN),)
    defaults = {"column": None, "higher_is_better": True, "lower": None, "upper": None, "aggregation": MEAN}

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        column = self.settings["column"]
        if not isinstance(column, str) or not column:
            raise MetricError("metric 'precomputed' needs column='<name of a numeric column>', "
                              "e.g. evalnb.metric('precomputed', column='judge_faithfulness', lower=1, upper=5)")
        agg = self.settings["aggregation"]
        if agg not in _AGGREGATIONS:
            raise MetricError(f"precomputed: aggregation must be one of {', '.join(_AGGREGATIONS)}, not {agg!r}"
                              + (" (a corpus statistic needs a metric with corpus_score)" if agg == CORPUS else ""))
        lower, upper = self.settings["lower"], self.settings["upper"]
        if lower is not None and upper is not None and lower > upper:
            raise MetricError(f"precomputed: lower ({lower}) is above upper ({upper})")
        # Instance-level name and output so several precomputed columns can be scored together.
        # Rebuild from a config with metric("precomputed", **settings) (type(self).name).
        self.name = f"precomputed:{column}"
        self.needs = (column,)
        self.outputs = (Output(column, agg, bool(self.settings["higher_is_better"]),
                               None if lower is None else float(lower), None if upper is None else float(upper)),)

    def signature(self) -> str:
        parts = super().signature().split("|")
        parts.insert(-1, "source:precomputed")
        return "|".join(parts)

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        column = self.settings["column"]
        raw = frame[column]
        if raw.dtype == bool:
            raw = raw.astype(float)
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        not_numeric = raw.notna() & values.isna()
        if not_numeric.any():
            example = raw[not_numeric].iloc[0]
            raise MetricError(f"not computable: column '{column}' has {int(not_numeric.sum())} non-numeric "
                              f"value(s), e.g. {str(example)[:40]!r}")
        if np.isinf(values).any():
            raise MetricError(f"not computable: column '{column}' has infinite values")
        lower, upper = self.settings["lower"], self.settings["upper"]
        outside = ((values < lower) if lower is not None else False) | ((values > upper) if upper is not None else False)
        if isinstance(outside, pd.Series) and outside.any():
            example = values[outside].iloc[0]
            raise MetricError(f"not computable: {int(outside.sum())} value(s) of '{column}' are outside "
                              f"[{lower}, {upper}], e.g. {example}; fix the bounds or the data")
        if self.settings["aggregation"] == PROPORTION and not values.dropna().isin([0.0, 1.0]).all():
            raise MetricError(f"not computable: aggregation='proportion' needs 0/1 values in '{column}'")
        return pd.DataFrame({column: values}, index=frame.index)

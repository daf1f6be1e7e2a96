"""Retrieval metrics with trec_eval's conventions.

Inputs per item: ``retrieved_ids`` (ranked list, best first) and ``relevance`` (dict id -> grade;
ids given as a plain list were normalised to grade 1 by the loader). A document is relevant when
its grade is > 0. Conventions follow trec_eval (and pytrec_eval, which wraps it):

- ``precision@k`` = relevant in the top k / k (k, not the number retrieved: trec_eval ``P_k``);
- ``recall@k`` = relevant in the top k / all relevant judged (``recall_k``);
- ``hit@k`` = 1 if any relevant document is in the top k (``success_k``);
- ``mrr`` = 1 / rank of the first relevant document over the whole list, 0 if none (``recip_rank``);
- ``map`` = average precision over the whole list: the sum of precision at each relevant
  document's rank / all relevant judged (``map``);
- ``ndcg@k``: gain = grade, discount = log2(rank + 1), normalised by the ideal ordering of all
  judged grades cut at k (``ndcg_cut_k``).

A repeated id counts once, at its first rank (trec_eval reads a run as a set of scored
documents). Items whose judgments hold no relevant document get NaN: like trec_eval's "all"
average, which is taken over topics with relevant judgments, they are excluded from means and
their count is reported as excluded by ``summarize``. An item with no ``retrieved_ids`` value
(missing, not an empty list) is NaN too; an empty list scores 0.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._errors import MetricError
from .base import MEAN, PROPORTION, Metric, Output
from .registry import register


def _as_list(value: Any) -> list[str] | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return [value]
    if hasattr(value, "tolist"):
        value = value.tolist()
    return [str(v) for v in value]


def _as_grades(value: Any) -> dict[str, float] | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, dict):
        return {str(k): float(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        return {str(v): 1.0 for v in (value.tolist() if hasattr(value, "tolist") else value)}
    return None


def ranked_gains(retrieved: Any, relevance: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Grades of the retrieved documents in rank order (duplicates dropped) and all judged grades > 0.

    Returns None when the item cannot be scored (no list, or no relevant judgment).

    >>> ranked_gains(["a", "b", "a"], {"a": 2, "c": 1})[0].tolist()
    [2.0, 0.0]
    """
    docs = _as_list(retrieved)
    grades = _as_grades(relevance)
    if docs is None or grades is None:
        return None
    ideal = np.array(sorted((g for g in grades.values() if g > 0), reverse=True), dtype=float)
    if len(ideal) == 0:
        return None
    seen: set[str] = set()
    gains = []
    for doc in docs:
        if doc not in seen:
            seen.add(doc)
            gains.append(grades.get(doc, 0.0))
    return np.maximum(np.array(gains, dtype=float), 0.0), ideal


def _discounts(n: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, n + 2, dtype=float))


def item_measures(gains: np.ndarray, ideal: np.ndarray, k: int | None) -> dict[str, float]:
    """Every measure for one item from :func:`ranked_gains` (k = None: the whole list)."""
    rel = gains > 0
    top = gains[:k] if k else gains
    top_rel = rel[: len(top)]
    n_rel = len(ideal)
    hits = int(top_rel.sum())
    out = {"precision": hits / (k if k else max(len(gains), 1)), "recall": hits / n_rel, "hit": float(hits > 0)}
    first = np.flatnonzero(rel)
    out["mrr"] = 1.0 / (first[0] + 1) if len(first) else 0.0
    if len(first):
        cum = np.cumsum(rel)[first]
        out["map"] = float((cum / (first + 1)).sum() / n_rel)
    else:
        out["map"] = 0.0
    ideal_top = ideal[:k] if k else ideal
    dcg = float((top * _discounts(len(top))).sum())
    idcg = float((ideal_top * _discounts(len(ideal_top))).sum())
    out["ndcg"] = dcg / idcg if idcg > 0 else 0.0
    return out


class _Retrieval(Metric):
    family = "retrieval"
    needs = ("retrieved_ids", "relevance")
    measure: ClassVar[str] = ""
    aggregation: ClassVar[str] = MEAN
    uses_k: ClassVar[bool] = True

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        k = self.settings.get("k")
        if k is not None and (not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1):
            raise MetricError(f"metric '{type(self).name}': k must be a positive integer, got {k!r}")
        if self.uses_k:
            # Instance-level name and column so recall@5 and recall@10 can live side by side.
            self.name = f"{self.measure}@{k}"
            self.outputs = (Output(self.name, self.aggregation),)

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        k = self.settings.get("k")
        column = self.outputs[0].column
        values = np.full(len(frame), np.nan)
        for i, (docs, rel) in enumerate(zip(frame["retrieved_ids"], frame["relevance"])):
            ranked = ranked_gains(docs, rel)
            if ranked is not None:
                values[i] = item_measures(ranked[0], ranked[1], k)[self.measure]
        return pd.DataFrame({column: values}, index=frame.index)


@register
class RecallAtK(_Retrieval):
    name = "recall@k"
    measure = "recall"
    description = "relevant documents in the top k / all relevant (trec_eval recall_k)"
    defaults = {"k": 10}
    outputs = (Output("recall@k", MEAN),)


@register
class PrecisionAtK(_Retrieval):
    name = "precision@k"
    measure = "precision"
    description = "relevant documents in the top k / k (trec_eval P_k)"
    defaults = {"k": 10}
    outputs = (Output("precision@k", MEAN),)


@register
class HitAtK(_Retrieval):
    name = "hit@k"
    measure = "hit"
    aggregation = PROPORTION
    description = "1 if any relevant document is in the top k (trec_eval success_k)"
    defaults = {"k": 10}
    outputs = (Output("hit@k", PROPORTION),)


@register
class NdcgAtK(_Retrieval):
    name = "ndcg@k"
    measure = "ndcg"
    description = "nDCG at k, gain = grade, discount log2(rank+1) (trec_eval ndcg_cut_k)"
    defaults = {"k": 10}
    outputs = (Output("ndcg@k", MEAN),)


@register
class MRR(_Retrieval):
    name = "mrr"
    measure = "mrr"
    uses_k = False
    description = "reciprocal rank of the first relevant document (trec_eval recip_rank)"
    outputs = (Output("mrr", MEAN),)


@register
class MAP(_Retrieval):
    name = "map"
    measure = "map"
    uses_k = False
    description = "average precision over the ranked list (trec_eval map)"
    outputs = (Output("map", MEAN),)

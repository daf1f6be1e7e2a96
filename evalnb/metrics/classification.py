"""Classification metrics: ``accuracy`` and ``macro_f1`` on ``label`` / ``prediction``.

Per item both are correctness (1 when ``prediction == label``). ``accuracy`` averages it (a
proportion, Wilson CI). ``macro_f1`` is a corpus statistic: per-class F1 = 2TP / (2TP + FP + FN)
over the union of gold and predicted classes, then the unweighted mean, the same as
``sklearn.metrics.f1_score(average="macro", zero_division=0)``. Labels are compared as strings
after stripping surrounding whitespace, so ``1`` and ``"1"`` are the same class.

The per-item frame keeps the label and prediction (``macro_f1__label``,
``macro_f1__prediction``) so corpus values, slices and bootstrap CIs never need the raw runs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .base import CORPUS, PROPORTION, Metric, Output
from .registry import register

LABEL_COL = "macro_f1__label"
PRED_COL = "macro_f1__prediction"


def _as_label(series: pd.Series) -> pd.Series:
    def norm(value):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()

    return series.map(norm).astype(object)


def _labels(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    return _as_label(frame["label"]), _as_label(frame["prediction"])


def _correct(gold: pd.Series, pred: pd.Series) -> pd.Series:
    ok = gold.notna() & pred.notna()
    return (gold == pred).where(ok).astype(float)


def per_class(gold, pred) -> pd.DataFrame:
    """Per-class precision, recall, F1 and support (zero_division = 0, as scikit-learn's default).

    >>> per_class(["a", "b", "a"], ["a", "a", "a"])["f1"].round(2).tolist()
    [0.8, 0.0]
    """
    gold = pd.Series(list(gold), dtype=object)
    pred = pd.Series(list(pred), dtype=object)
    keep = gold.notna() & pred.notna()
    gold, pred = gold[keep].astype(str), pred[keep].astype(str)
    classes = sorted(set(gold) | set(pred))
    tp = np.array([int(((gold == c) & (pred == c)).sum()) for c in classes], dtype=float)
    n_gold = np.array([int((gold == c).sum()) for c in classes], dtype=float)
    n_pred = np.array([int((pred == c).sum()) for c in classes], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(n_pred > 0, tp / n_pred, 0.0)
        recall = np.where(n_gold > 0, tp / n_gold, 0.0)
        f1 = np.where(n_gold + n_pred > 0, 2 * tp / (n_gold + n_pred), 0.0)
    return pd.DataFrame({"class": classes, "precision": precision, "recall": recall, "f1": f1,
                         "support": n_gold.astype(int)})


def macro_f1_score(gold, pred) -> float:
    """Unweighted mean of per-class F1 over the union of classes (NaN when there is no pair).

    >>> round(macro_f1_score(["a", "b", "a"], ["a", "a", "a"]), 3)
    0.4
    """
    table = per_class(gold, pred)
    return float(table["f1"].mean()) if len(table) else float("nan")


@register
class Accuracy(Metric):
    name = "accuracy"
    family = "classification"
    description = "share of items whose prediction equals the gold label (Wilson CI)"
    needs = ("label", "prediction")
    outputs = (Output("accuracy", PROPORTION),)

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        gold, pred = _labels(frame)
        return pd.DataFrame({"accuracy": _correct(gold, pred)}, index=frame.index)


@register
class MacroF1(Metric):
    name = "macro_f1"
    family = "classification"
    description = "macro-averaged F1 over classes (corpus level, equals scikit-learn); per item: correctness"
    needs = ("label", "prediction")
    outputs = (Output("macro_f1", CORPUS),)

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        gold, pred = _labels(frame)
        return pd.DataFrame({"macro_f1": _correct(gold, pred), LABEL_COL: gold, PRED_COL: pred}, index=frame.index)

    def corpus_score(self, scores: pd.DataFrame) -> dict[str, float]:
        if LABEL_COL not in scores or PRED_COL not in scores:
            from .._errors import MetricError

            raise MetricError(f"macro_f1 needs the columns {LABEL_COL} and {PRED_COL} that compute() writes; "
                              "score the runs again with evalnb.score(runs, ['macro_f1'])")
        return {"macro_f1": macro_f1_score(scores[LABEL_COL], scores[PRED_COL])}

    def corpus_bootstrap(self, scores: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> dict[str, np.ndarray]:
        """Bootstrap replicates of the corpus macro-F1 (items resampled with replacement).

        Vectorised: each replicate's per-class TP and gold/predicted counts are the resampling
        counts times one-hot class indicators. A class counts in a replicate only if it occurs
        there (as gold or predicted), as in :func:`macro_f1_score`.
        """
        keep = scores[LABEL_COL].notna() & scores[PRED_COL].notna()
        gold = scores.loc[keep, LABEL_COL].astype(str).to_numpy()
        pred = scores.loc[keep, PRED_COL].astype(str).to_numpy()
        n = len(gold)
        if n == 0:
            return {"macro_f1": np.full(n_boot, np.nan)}
        classes, codes = np.unique(np.concatenate([gold, pred]), return_inverse=True)
        g, p = codes[:n], codes[n:]
        eye = np.eye(len(classes))
        gold_hot, pred_hot = eye[g], eye[p]
        tp_hot = gold_hot * (g == p)[:, None]
        rng = np.random.default_rng(seed)
        out = np.empty(n_boot)
        block = max(1, 2_000_000 // n)
        for start in range(0, n_boot, block):
            size = min(block, n_boot - start)
            counts = rng.multinomial(n, np.full(n, 1.0 / n), size=size)
            tp, ng, npred = counts @ tp_hot, counts @ gold_hot, counts @ pred_hot
            present = (ng + npred) > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                f1 = np.where(present, 2 * tp / (ng + npred), 0.0)
            out[start:start + size] = f1.sum(axis=1) / present.sum(axis=1)
        return {"macro_f1": out}

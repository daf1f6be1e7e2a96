"""``validate_judge``: how well a judge agrees with human labels, and with itself.

* Agreement on categories: Cohen's kappa and weighted kappa (scikit-learn), confusion matrix.
* Association on scores: Spearman, Kendall (tau-b) and Pearson (scipy), each with a 95% CI
  (Fisher z; Spearman with the Fieller, Hartley & Pearson 1957 variance, Kendall with the
  tie-aware delta-method SE of tau-b, Brown & Benedetti 1977).
* Binary decisions around a threshold ("good" = human >= threshold): true positive and true negative
  rates with Wilson CIs (statsmodels), balanced accuracy -- plain accuracy hides a judge that
  passes everything when most items are good.
* Test-retest (the same items judged k times): the flip rate around the threshold and the
  intraclass correlation ICC(2,1) and ICC(3,1) (Shrout & Fleiss 1979; Koo & Li 2016 read
  < 0.5 poor, 0.5-0.75 moderate, 0.75-0.9 good, > 0.9 excellent).
* Position consistency for pairwise judges (share of pairs whose verdict survives the swap).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .._display import ResultDisplay
from .._errors import DataError, SmallSampleWarning


@dataclass(frozen=True)
class JudgeValidation(ResultDisplay):
    """Agreement statistics of a judge vs humans. ``to_frame()`` is tidy: statistic, value, CI, n."""

    judge: str
    human: str
    n: int
    stats: pd.DataFrame
    confusion: pd.DataFrame
    binary_confusion: pd.DataFrame | None = None
    threshold: float | None = None
    retest: dict | None = None
    pairs: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return self.stats.copy()

    def value(self, statistic: str) -> float:
        row = self.stats[self.stats["statistic"] == statistic]
        return float(row["value"].iloc[0]) if len(row) else float("nan")

    def summary(self) -> str:
        lines = [f"judge {self.judge} vs human {self.human}: n={self.n}"]
        for _, r in self.stats.iterrows():
            ci = f" [{r['ci_low']:.3f}, {r['ci_high']:.3f}]" if pd.notna(r["ci_low"]) else ""
            lines.append(f"  {r['statistic']}: {r['value']:.3f}{ci} (n={int(r['n'])})")
        if self.retest:
            lines.append(f"  test-retest over {self.retest['k']} runs: flip rate {self.retest['flip_rate']:.3f}, "
                         f"ICC(2,1) {self.retest['icc2_1']:.3f}, ICC(3,1) {self.retest['icc3_1']:.3f}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(self.summary().splitlines()[0])}</p>" + self.stats.to_html(index=False, escape=True) + \
            "<p>confusion (rows: human, columns: judge)</p>" + self.confusion.to_html(escape=True)

    def chart(self):
        """Confusion heatmap (human x judge) beside a jittered scatter of the paired scores."""
        import altair as alt

        long = self.confusion.stack().rename("count").reset_index()
        long.columns = ["human", "judge", "count"]
        long = long.astype({"human": str, "judge": str})
        heat = alt.Chart(long).mark_rect().encode(x=alt.X("judge:O"), y=alt.Y("human:O", sort="descending"),
                                                  color=alt.Color("count:Q"), tooltip=["human", "judge", "count"])
        text = alt.Chart(long).mark_text().encode(x="judge:O", y=alt.Y("human:O", sort="descending"), text="count:Q")
        return (heat + text).properties(title=f"{self.judge} vs {self.human} (n={self.n})")


def _corr_ci(r: float, n: int, kind: str, x: np.ndarray | None = None, y: np.ndarray | None = None) -> tuple[float, float]:
    """Fisher-z CI; variance factors 1 (Pearson), 1.06 (Spearman); Kendall: the tie-aware SE.

    Judge and human scores on a 1-5 scale are mostly ties; Fieller-Hartley-Pearson's fixed
    0.437 / (n - 4) assumes none and covered 89-91% there (issue 15). With ties the delta-method
    SE of tau-b (Brown & Benedetti 1977) is used (``evalnb.stats.correlation.rank_se_z``).
    """
    from scipy import stats

    if n < 5 or not np.isfinite(r) or abs(r) >= 1:
        return (-1.0, 1.0) if n < 5 else (r, r)
    if kind == "kendall" and x is not None and y is not None:
        from ..stats.correlation import rank_se_z

        se = rank_se_z("kendall", np.asarray(x, dtype=float), np.asarray(y, dtype=float), r)[0]
    else:
        factor, dof = {"pearson": (1.0, 3), "spearman": (1.06, 3), "kendall": (0.437, 4)}[kind]
        se = math.sqrt(factor / (n - dof))
    z = math.atanh(r)
    half = stats.norm.ppf(0.975) * se
    return math.tanh(z - half), math.tanh(z + half)


def icc(ratings: np.ndarray) -> dict[str, float]:
    """ICC(1,1), ICC(2,1) and ICC(3,1) of an (items x raters/runs) matrix (Shrout & Fleiss 1979).

    >>> round(float(icc(np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]))["icc2_1"]), 2)
    0.29
    """
    x = np.asarray(ratings, dtype=float)
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_total = ((x - grand) ** 2).sum()
    ss_err = ss_total - ss_rows - ss_cols
    msr, msc = ss_rows / (n - 1), ss_cols / (k - 1)
    mse = ss_err / ((n - 1) * (k - 1))
    msw = (ss_cols + ss_err) / (n * (k - 1))
    return {"icc1_1": (msr - msw) / (msr + (k - 1) * msw),
            "icc2_1": (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n),
            "icc3_1": (msr - mse) / (msr + (k - 1) * mse)}


def _series(data: Any, col: Any, name: str) -> pd.Series:
    if isinstance(col, str):
        frame = data.df if hasattr(data, "df") else data
        if frame is None or col not in frame:
            raise DataError(f"validate_judge: no column '{col}' for the {name}; columns: {list(getattr(frame, 'columns', []))[:20]}")
        return pd.to_numeric(frame[col], errors="coerce")
    return pd.Series(np.asarray(col, dtype=float))


def validate_judge(data: Any = None, judge: Any = "judge", human: Any = "human", *, threshold: float | None = None,
                   weights: str = "quadratic", retest: Any = None, pairwise: Any = None,
                   labels: Sequence[Any] | None = None) -> JudgeValidation:
    """Validate a judge against human labels.

    Parameters
    ----------
    data : a DataFrame or Scores holding both columns (or None when ``judge``/``human`` are arrays).
    judge, human : column names or arrays of equal length. Rows where either is NaN are dropped
        (a judge's non-ok replies are NaN: they are excluded, and counted in ``excluded``).
    threshold : "good" means >= threshold for the binary TPR/TNR (default: the midpoint of the
        human scale, e.g. 3 on 1-5).
    weights : weighted kappa weights, "quadratic" (default) or "linear".
    retest : an (items x k) array/DataFrame of the same judge run k times (test-retest).
    pairwise : a frame with ``pairwise_consistent`` (from the ``pairwise`` metric) for position consistency.

    Examples
    --------
    >>> v = evalnb.validate_judge(runs.df, judge="judge_relevance", human="human_rating")   # doctest: +SKIP
    >>> print(v.summary())                                                                  # doctest: +SKIP
    """
    import warnings

    from scipy import stats
    from sklearn.metrics import cohen_kappa_score, confusion_matrix
    from statsmodels.stats.proportion import proportion_confint

    j_all, h_all = _series(data, judge, "judge"), _series(data, human, "human labels")
    if len(j_all) != len(h_all):
        raise DataError(f"validate_judge: judge has {len(j_all)} values, human {len(h_all)}; pass aligned columns")
    keep = j_all.notna().to_numpy() & h_all.notna().to_numpy()
    j, h = j_all.to_numpy()[keep], h_all.to_numpy()[keep]
    n = int(keep.sum())
    if n < 3:
        raise DataError(f"validate_judge: only {n} items have both a judge score and a human label (need >= 3)")
    if n < 30:
        warnings.warn(f"validate_judge: n={n} items; agreement CIs will be wide", SmallSampleWarning, stacklevel=2)
    rows = []

    def add(name: str, value: float, lo: float = np.nan, hi: float = np.nan, p: float = np.nan, count: int = n) -> None:
        rows.append({"statistic": name, "value": float(value), "ci_low": lo, "ci_high": hi, "p_value": p, "n": count})

    for kind, fn in (("spearman", stats.spearmanr), ("kendall", stats.kendalltau), ("pearson", stats.pearsonr)):
        res = fn(j, h)
        r, p = float(res.statistic), float(res.pvalue)
        lo, hi = _corr_ci(r, n, kind, j, h)
        add(kind, r, lo, hi, p)
    jr, hr = np.rint(j).astype(int), np.rint(h).astype(int)
    cats = sorted(set(labels) if labels is not None else set(jr) | set(hr))
    add("cohen_kappa", cohen_kappa_score(hr, jr, labels=cats))
    add(f"weighted_kappa_{weights}", cohen_kappa_score(hr, jr, labels=cats, weights=weights))
    add("exact_agreement", float(np.mean(jr == hr)))
    confusion = pd.DataFrame(confusion_matrix(hr, jr, labels=cats), index=pd.Index(cats, name="human"),
                             columns=pd.Index(cats, name="judge"))
    thr = threshold if threshold is not None else (float(np.nanmin(h)) + float(np.nanmax(h))) / 2
    hb, jb = h >= thr, j >= thr
    tp, tn = int((hb & jb).sum()), int((~hb & ~jb).sum())
    pos, neg = int(hb.sum()), int((~hb).sum())
    for name, k, m in (("tpr", tp, pos), ("tnr", tn, neg)):
        if m:
            lo, hi = proportion_confint(k, m, method="wilson")
            add(name, k / m, lo, hi, count=m)
        else:
            add(name, np.nan, count=0)
    if pos and neg:
        add("balanced_accuracy", (tp / pos + tn / neg) / 2)
    add("excluded", float((~keep).sum()), count=len(keep))
    binary = pd.DataFrame(confusion_matrix(hb, jb, labels=[True, False]), index=pd.Index(["good", "bad"], name="human"),
                          columns=pd.Index(["good", "bad"], name="judge"))

    retest_out = None
    if retest is not None:
        mat = np.asarray(retest.to_numpy() if hasattr(retest, "to_numpy") else retest, dtype=float)
        mat = mat[~np.isnan(mat).any(axis=1)]
        if mat.ndim != 2 or mat.shape[1] < 2 or len(mat) < 2:
            raise DataError("validate_judge: retest needs an (items x k>=2) matrix of repeated judge scores")
        flips = (mat >= thr).any(axis=1) & (mat < thr).any(axis=1)
        retest_out = {"k": int(mat.shape[1]), "n": int(len(mat)), "flip_rate": float(flips.mean()), **icc(mat),
                      "mean_sd": float(mat.std(axis=1, ddof=1).mean())}
        add("retest_flip_rate", retest_out["flip_rate"], count=len(mat))
        add("icc2_1", retest_out["icc2_1"], count=len(mat))
        add("icc3_1", retest_out["icc3_1"], count=len(mat))
    if pairwise is not None:
        col = pairwise["pairwise_consistent"] if hasattr(pairwise, "__getitem__") and not isinstance(pairwise, np.ndarray) else pairwise
        c = pd.Series(np.asarray(col, dtype=float)).dropna()
        lo, hi = proportion_confint(int(c.sum()), len(c), method="wilson") if len(c) else (np.nan, np.nan)
        add("position_consistency", c.mean() if len(c) else np.nan, lo, hi, count=len(c))
    pairs = pd.DataFrame({"judge": j, "human": h})
    return JudgeValidation(str(judge) if isinstance(judge, str) else "judge", str(human) if isinstance(human, str) else "human",
                           n, pd.DataFrame(rows), confusion, binary, thr, retest_out, pairs)

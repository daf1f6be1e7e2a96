"""``compare``: candidate vs baseline on the same items, per metric, with adjusted p-values.

Items are matched on ``item_id`` (and ``sample_id`` when both sides have it). When at least half
of the smaller side matches, the comparison is **paired** on the matched items (docs/threat-model.md S06):

- CI: percentile bootstrap of the mean paired difference (items resampled jointly);
- p-value: McNemar's test for 0/1 outcomes (exact below 25 discordant pairs), otherwise a
  sign-flip permutation test of the mean difference (scipy ``permutation_test``);
- CORPUS outputs (BLEU, chrF, macro-F1): the difference of corpus values, CI and p-value from the
  paired bootstrap (Koehn 2004): ``p = 2 * min(share of replicates <= 0, share >= 0)``.

Otherwise the comparison is **unpaired** and labelled so: bootstrap of each side separately and a
random-relabelling permutation test. P-values are adjusted across all metrics (and slices) with
Holm (family-wise error) or Benjamini-Hochberg (false discovery rate).
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .._display import ResultDisplay
from .._errors import EvalnbError
from ..metrics.base import CORPUS, PROPORTION
from ..stats import intervals as iv
from .._compat import renamed
from ..stats.multiplicity import LABELS
from ..stats.multiplicity import adjust as adjust_p
from .summarize import ColumnSpec, _sums_route, corpus_replicates, paired_corpus_replicates, resolve_columns

FRAME_COLUMNS = ["metric", "source", "statistic", "baseline", "candidate", "difference", "ci_low", "ci_high",
                 "p_value", "p_adjusted", "significant", "better", "higher_is_better", "n_pairs", "n_baseline",
                 "n_candidate", "paired", "method", "test", "note"]
PAIRED_SHARE = 0.5
_A, _B = "\x1fbaseline", "\x1fcandidate"  # merge suffixes no real column name ends with


def _side(matched: pd.DataFrame, suffix: str) -> pd.DataFrame:
    """One side of the matched frame with its original column names (keys included)."""
    other = _B if suffix == _A else _A
    cols = [c for c in matched.columns if not c.endswith(other)]
    return matched[cols].rename(columns=lambda c: c[: -len(suffix)] if c.endswith(suffix) else c)


@dataclass(frozen=True)
class Comparison(ResultDisplay):
    """Candidate minus baseline per metric (and per slice when ``by`` was given).

    Attributes
    ----------
    frame : one row per metric: baseline and candidate values, difference with CI, p_value,
        p_adjusted, significant, better ("candidate"/"baseline"/"no significant difference"),
        n, paired, method, test, note.
    baseline, candidate : the two models. adjust_method : "holm" or "bh". alpha : level.
    """

    frame: pd.DataFrame
    baseline: str
    candidate: str
    by: tuple[str, ...] = ()
    adjust_method: str = "holm"
    alpha: float = 0.05
    confidence: float = 0.95
    n_boot: int = 2000
    seed: int = 0

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    @property
    def paired(self) -> bool:
        return bool(self.frame["paired"].all()) if len(self.frame) else False

    def _display(self) -> pd.DataFrame:
        f = self.frame.copy()
        f["difference [CI]"] = [_ci_text(d, lo, hi) for d, lo, hi in zip(f["difference"], f["ci_low"], f["ci_high"])]
        f["p_adj"] = f["p_adjusted"].map(lambda p: "n/a" if pd.isna(p) else f"{p:.3g}")
        return f[list(self.by) + ["metric", "statistic", "baseline", "candidate", "difference [CI]", "p_adj",
                                  "better", "n_pairs", "paired", "test"]]

    def _title(self) -> str:
        kind = "paired" if self.paired else "unpaired or mixed"
        return (f"{self.candidate} vs {self.baseline} ({kind}); difference = candidate - baseline; "
                f"{self.confidence:.0%} bootstrap CIs (B={self.n_boot}, seed={self.seed}); "
                f"p-values adjusted with {LABELS[self.adjust_method]} at alpha={self.alpha}")

    def summary(self) -> str:
        return self._title() + "\n" + self._display().to_string(index=False)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(self._title())}</b></p>" + self._display().to_html(index=False, escape=True)

    def chart(self):
        """Forest plot: the difference with its CI per metric (own x scale per metric), 0 marked."""
        import altair as alt

        data = self.frame.dropna(subset=["difference"]).copy()
        data["row"] = (data[list(self.by)].astype(str).agg(" / ".join, axis=1) + " ") if self.by else ""
        data["row"] = data["row"] + data["statistic"]
        data["verdict"] = data["better"]
        data = data[["metric", "row", "difference", "ci_low", "ci_high", "p_adjusted", "verdict", "n_pairs"]]
        base = alt.Chart(data).encode(y=alt.Y("row:N", title=None))
        zero = alt.Chart(data).mark_rule(strokeDash=[4, 3], color="gray").encode(x=alt.datum(0))
        bars = base.mark_errorbar().encode(x=alt.X("ci_low:Q", title="candidate - baseline"), x2="ci_high:Q")
        points = base.mark_point(filled=True, size=60).encode(
            x="difference:Q", color=alt.Color("verdict:N", title=None),
            tooltip=["metric:N", "row:N", alt.Tooltip("difference:Q", format=".4g"),
                     alt.Tooltip("ci_low:Q", format=".4g"), alt.Tooltip("ci_high:Q", format=".4g"),
                     alt.Tooltip("p_adjusted:Q", format=".3g"), "n_pairs:Q"])
        return (zero + bars + points).properties(width=320, height=alt.Step(18)).facet(
            row=alt.Row("metric:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left"))
        ).resolve_scale(x="independent", y="independent").properties(
            title=f"{self.candidate} - {self.baseline}")


def _ci_text(d: float, lo: float, hi: float) -> str:
    return "n/a" if pd.isna(d) else f"{d:+.3g} [{lo:+.3g}, {hi:+.3g}]"


def _keys(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    # sample_id joins the key when both sides have the column; pandas matches a missing
    # sample_id (items with one generation) to a missing one.
    keys = ["item_id"]
    if "sample_id" in a and "sample_id" in b:
        keys.append("sample_id")
    return keys


def _match(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame | None, str]:
    """Matched rows (suffixes ``_A``/``_B``) sorted by key, or None with the reason it is unpaired."""
    if "item_id" not in a or "item_id" not in b:
        return None, "no item_id column: unpaired"
    keys = _keys(a, b)
    dup_a, dup_b = a.duplicated(keys).sum(), b.duplicated(keys).sum()
    if dup_a or dup_b:
        return None, (f"item ids repeat within a model ({dup_a} and {dup_b} repeats; several runs?): unpaired. "
                      "Filter to one run per model to pair")
    merged = a.merge(b, on=keys, suffixes=(_A, _B), how="inner").sort_values(keys, kind="stable")
    need = PAIRED_SHARE * min(len(a), len(b))
    if len(merged) < max(2, need):
        return None, f"only {len(merged)} of {min(len(a), len(b))} items match: unpaired"
    note = ""
    if len(merged) < max(len(a), len(b)):
        note = f"paired on {len(merged)} matched items ({len(a) - len(merged)} baseline and " \
               f"{len(b) - len(merged)} candidate items unmatched, left out)"
    return merged.reset_index(drop=True), note


def _corpus_difference(spec: ColumnSpec, a: pd.DataFrame, b: pd.DataFrame, paired: bool, confidence: float,
                       n_boot: int, seed: int) -> iv.Difference:
    col = spec.column
    metric = spec.metric
    va, vb = metric.corpus_score(a)[col], metric.corpus_score(b)[col]
    if paired and _sums_route(metric, a) and _sums_route(metric, b):
        # one joint draw of both sides' summed statistics (exact counts, or their joint normal limit)
        (ra, rb), _ = paired_corpus_replicates(metric, col, [a, b], n_boot, seed)
    else:
        ra = corpus_replicates(metric, col, a, n_boot, seed)
        rb = corpus_replicates(metric, col, b, n_boot, seed if paired else seed + 1)
    reps = rb - ra
    reps = reps[~np.isnan(reps)]
    diff = float(vb - va)
    alpha = 1 - confidence
    if len(reps) and np.ptp(reps) > 0:
        low, high = (float(x) for x in np.quantile(reps, [alpha / 2, 1 - alpha / 2]))
        p = float(min(1.0, 2 * min((reps <= 0).mean(), (reps >= 0).mean())))
        p = max(p, 1.0 / (len(reps) + 1))  # a bootstrap p-value is never exactly zero
    else:
        low = high = diff
        p = 1.0 if diff == 0 else float("nan")
    kind = "paired" if paired else "unpaired"
    return iv.Difference(float(va), float(vb), diff, min(low, diff), max(high, diff), p, len(a), len(b),
                         len(a) if paired else 0, paired,
                         f"{kind} bootstrap of corpus_score (B={n_boot}, seed={seed})",
                         f"{kind} bootstrap test (Koehn 2004)", confidence)


def _compare_one(frame: pd.DataFrame, specs: list[ColumnSpec], model_col: str, baseline: str, candidate: str,
                 confidence: float, n_boot: int, seed: int) -> list[dict[str, Any]]:
    a = frame[frame[model_col] == baseline]
    b = frame[frame[model_col] == candidate]
    matched, note = _match(a, b)
    rows = []
    for spec in specs:
        col = spec.column
        statistic = "corpus" if spec.aggregation == CORPUS and spec.metric is not None else \
            "rate" if spec.aggregation == PROPORTION else "mean"
        if matched is not None:
            ok = matched[col + _A].notna() & matched[col + _B].notna()
            pa = matched.loc[ok, col + _A].astype(float).to_numpy()
            pb = matched.loc[ok, col + _B].astype(float).to_numpy()
            if statistic == "corpus":
                side_a = _side(matched.loc[ok], _A)
                side_b = _side(matched.loc[ok], _B)
                res = _corpus_difference(spec, side_a, side_b, True, confidence, n_boot, seed)
            else:
                res = iv.paired_difference(pa, pb, confidence, n_boot, seed)
        else:
            if statistic == "corpus":
                side_a, side_b = a[a[col].notna()], b[b[col].notna()]
                res = _corpus_difference(spec, side_a, side_b, False, confidence, n_boot, seed)
            else:
                res = iv.unpaired_difference(a[col].astype(float), b[col].astype(float), confidence, n_boot, seed)
        rows.append({"metric": col, "source": spec.source, "statistic": statistic, "baseline": res.baseline,
                     "candidate": res.candidate, "difference": res.difference, "ci_low": res.low, "ci_high": res.high,
                     "p_value": res.p_value, "higher_is_better": spec.higher_is_better, "n_pairs": res.n_pairs,
                     "n_baseline": res.n_baseline, "n_candidate": res.n_candidate, "paired": res.paired,
                     "method": res.method, "test": res.test, "note": "; ".join(filter(None, [note, res.note]))})
    return rows


def compare(scores: Any, baseline: str, candidate: str, metrics: Sequence[str] | str | None = None, *,
            by: Sequence[str] | str | None = None, model_col: str = "model", adjust: str = "holm",
            alpha: float = 0.05, confidence: float = 0.95, n_boot: int = 2000, seed: int = 0,
            method: str | None = None) -> Comparison:
    """Compare two models on matched items: difference, CI and adjusted p-value per metric.

    Parameters
    ----------
    scores : Scores, or a DataFrame with ``model``, ``item_id`` and the metric columns, or a Parquet
        scores dataset (DuckDB reads only the two models' rows, without their texts).
    baseline, candidate : values of ``model_col``. The difference is candidate - baseline.
    metrics : metrics or columns to compare (default: every metric output).
    by : optional slice columns (e.g. ``["category"]``): compare within each slice; the
        adjustment then covers every metric x slice.
    adjust : ``"holm"`` (family-wise error) or ``"bh"`` (false discovery rate) across the
        metrics; ``method=`` is its old name (deprecated, removed in 0.3).
    alpha, confidence, n_boot, seed : test level, CI level, bootstrap replicates, seed.

    Examples
    --------
    >>> cmp = evalnb.compare(scores, baseline="nova-medium", candidate="swift-small")   # doctest: +SKIP
    >>> cmp.to_frame()[["metric", "difference", "ci_low", "ci_high", "p_adjusted"]]      # doctest: +SKIP
    """
    method = renamed("compare", "method", method, "adjust", adjust)
    from .dataset import is_dataset, load_frame

    if is_dataset(scores):   # a Parquet scores dataset: DuckDB reads only the two models' rows, no texts
        scores = load_frame(scores, where_in={model_col: [baseline, candidate]})
    frame, specs = resolve_columns(scores, metrics)
    if model_col not in frame:
        raise EvalnbError(f"compare needs a '{model_col}' column to tell the models apart")
    models = sorted(frame[model_col].dropna().astype(str).unique())
    for name, value in (("baseline", baseline), ("candidate", candidate)):
        if value not in models:
            raise EvalnbError(f"{name} '{value}' is not among the models: {', '.join(models)}")
    if baseline == candidate:
        raise EvalnbError("baseline and candidate are the same model")
    by_cols = [by] if isinstance(by, str) else list(by or [])
    missing = [c for c in by_cols if c not in frame]
    if missing:
        raise EvalnbError(f"cannot slice by {missing}: no such column")
    rows: list[dict[str, Any]] = []
    if by_cols:
        for key, part in frame.groupby(by_cols, dropna=False, sort=True):
            key = key if isinstance(key, tuple) else (key,)
            for row in _compare_one(part, specs, model_col, baseline, candidate, confidence, n_boot, seed):
                rows.append({**dict(zip(by_cols, key)), **row})
    else:
        rows = _compare_one(frame, specs, model_col, baseline, candidate, confidence, n_boot, seed)
    out = pd.DataFrame(rows, columns=by_cols + [c for c in FRAME_COLUMNS if c not in ("p_adjusted", "significant", "better")])
    adj = adjust_p(out["p_value"].to_numpy(dtype=float), method=method, alpha=alpha)
    out.insert(out.columns.get_loc("p_value") + 1, "p_adjusted", adj.p_adjusted)
    out.insert(out.columns.get_loc("p_adjusted") + 1, "significant", adj.reject)
    better = []
    for sig, diff, hib in zip(out["significant"], out["difference"], out["higher_is_better"]):
        better.append("no significant difference" if not sig else
                      "candidate" if (diff > 0) == bool(hib) else "baseline")
    out.insert(out.columns.get_loc("significant") + 1, "better", better)
    return Comparison(out[by_cols + FRAME_COLUMNS], baseline, candidate, tuple(by_cols), method, alpha,
                      confidence, n_boot, seed)

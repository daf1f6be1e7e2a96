"""``fit_kpi``: regression models of a production KPI on offline metrics (statsmodels formula API).

* OLS for continuous KPIs with HC3 standard errors (MacKinnon & White 1985; Long & Ervin 2000);
* Logit for binary KPIs (thumbs-up, escalation, task success);
* Poisson / negative binomial for counts;
* a linear mixed model with a random intercept per ``groups`` (statsmodels MixedLM);
* cluster-robust standard errors with ``cov="cluster", cluster=<column>``.

Standardised coefficients come from refitting with every metric z-scored (and the KPI too for
OLS / mixed models), so each is "change in KPI (SDs, or log-odds) per SD of the metric".
Incremental validity of a metric is the cross-validated gain in out-of-sample R^2 (AUC for
Logit) when it joins the other metrics and controls; its CI uses the Nadeau & Bengio (2003)
corrected variance for repeated k-fold CV, which accounts for overlapping training sets.
"""
from __future__ import annotations

import html
import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .. import roles
from .._compat import renamed
from .. import roles
from .._deps import require
from .._display import ResultDisplay
from .._errors import ConfigError, DataError, EvalnbWarning
from .inputs import as_frame, numeric, require_columns

FAMILIES = ("auto", "ols", "logit", "poisson", "negbin", "mixed")
VIF_WARN = 10.0     # a metric's VIF above this: warn (its SE is inflated sqrt(VIF) times)
VIF_DROP = 1000.0   # above this (R^2 on the others > 0.999): not identified, dropped with a warning


class CollinearityWarning(EvalnbWarning):
    """A model term is (nearly) a linear combination of the others: its coefficient is not
    identified from the data, so it was dropped (or its SE is inflated)."""


def collinearity(sub: pd.DataFrame, metrics: Sequence[str], controls: Sequence[str]
                 ) -> tuple[list[str], dict[str, str], dict[str, float], float]:
    """(kept metrics, dropped metric -> reason, VIF of each kept metric, condition number).

    Metrics are taken in order; each one's variance inflation factor is computed against the
    intercept, the controls and the metrics kept so far (on z-scored columns). A metric with
    VIF > ``VIF_DROP`` (an exact or near copy, or a sum of others) is dropped and the reason
    names the columns it duplicates; the kept metrics' VIFs (each given all the others) are
    returned for warnings. The condition number is that of the z-scored design.

    >>> df = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [2.0, 4, 6, 8, 10], "c": [1.0, 0, 1, 0, 2]})
    >>> collinearity(df, ["a", "b", "c"], [])[1]["b"][:39]
    "'b' is a linear combination of a (R^2 ="
    """
    base = [np.ones((len(sub), 1))]
    if controls:
        dummies = _dummies(sub, controls).to_numpy(dtype=float)
        if dummies.size:
            base.append(dummies)
    n_base = sum(b.shape[1] for b in base)
    zs: list[np.ndarray] = []
    dropped: dict[str, str] = {}
    candidates: list[str] = []
    for m in metrics:
        v = numeric(sub, m)
        sd = v.std()
        if not sd > 0:
            dropped[m] = f"'{m}' is constant: its coefficient is not identified; dropped from the model"
            continue
        candidates.append(m)
        zs.append((v - v.mean()) / sd)
    # One QR of the whole n x p design; every regression below (each metric on the intercept, the
    # controls and any subset of the other metrics) is then solved on the p x p factor R, which has
    # the same least-squares solutions and residual norms as the n-row columns (X = QR, Q
    # orthonormal). At 1M rows this replaces ~2k lstsq passes over the data with one (0.8 s -> 0.1 s).
    design_x = np.column_stack([*base, *zs])
    r_factor = np.linalg.qr(design_x, mode="r")
    rcond = np.finfo(float).eps * max(design_x.shape)     # lstsq's default cut-off for the n-row matrix
    totals = {i: float(((z - z.mean()) ** 2).sum()) for i, z in enumerate(zs)}
    del design_x
    base_idx = list(range(n_base))

    def solve(target: int, others: list[int]) -> tuple[float, np.ndarray]:
        """(R^2 of metric ``target`` on the base columns and metrics ``others``, their coefficients)."""
        cols = base_idx + [n_base + o for o in others]
        rhs = r_factor[:, n_base + target]
        beta = np.linalg.lstsq(r_factor[:, cols], rhs, rcond=rcond)[0]
        resid = rhs - r_factor[:, cols] @ beta
        total = totals[target]
        return (1.0 - float(resid @ resid) / total if total > 0 else 1.0), beta[n_base:]

    kept_idx: list[int] = []
    for i, m in enumerate(candidates):
        r2, beta = solve(i, kept_idx)
        vif = 1 / max(1 - r2, 1e-300)
        if vif > VIF_DROP:
            kept = [candidates[k] for k in kept_idx]
            partners = [kept[j] for j in np.argsort(-np.abs(beta))[:3] if abs(beta[j]) > 1e-3] if len(beta) else []
            what = ", ".join(partners) if partners else "the controls"
            shown = "inf" if vif > 1e15 else f"{vif:.3g}"
            dropped[m] = (f"'{m}' is {'a' if vif > 1e8 else 'nearly a'} linear combination of {what} "
                          f"(R^2 = {r2:.6f}, VIF {shown} > {VIF_DROP:g}): their coefficients are not identified "
                          f"(with both in, the fit splits one effect between them arbitrarily); dropped '{m}' "
                          "from the model. Keep one, or merge them (e.g. their mean) into one column.")
            continue
        kept_idx.append(i)
    kept = [candidates[k] for k in kept_idx]
    vifs = {candidates[i]: 1 / max(1 - solve(i, [k for k in kept_idx if k != i])[0], 1e-300) for i in kept_idx}
    # condition number of the z-scored design without the intercept: QR with the intercept first
    # leaves, below its row, the factor of the centred columns; dividing by the column norms
    # (sqrt(n) x their SD) gives the factor of the standardised design, whose singular values are
    # the matrix's own.
    cols = base_idx + [n_base + k for k in kept_idx]
    if len(cols) <= 1:
        return kept, dropped, vifs, 1.0
    centred = np.linalg.qr(r_factor[:, cols], mode="r")[1:, 1:]
    norms = np.linalg.norm(centred, axis=0)
    cond = float(np.linalg.cond(centred / np.where(norms > 0, norms, 1.0)))
    return kept, dropped, vifs, cond


@dataclass(frozen=True)
class KpiFit(ResultDisplay):
    """A fitted KPI model.

    Attributes
    ----------
    raw : the statsmodels results object (``raw.summary()`` is statsmodels' own table).
    coefficients : term, coef, se, ci_low, ci_high, p_value, std_coef, std_ci_low, std_ci_high.
    incremental : metric, measure (``"R2"`` or ``"AUC"``), delta, ci_low, ci_high, folds.
    family, formula, cov, n : what was fitted, on how many rows.
    settings : CV design, ``dropped`` (metric -> why it left the model: constant, or a (near)
        linear combination of others), ``vif`` (each kept metric's VIF) and ``condition_number``.
    """

    raw: Any
    coefficients: pd.DataFrame
    incremental: pd.DataFrame
    family: str
    formula: str
    cov: str
    n: int
    kpi: str
    metrics: tuple[str, ...]
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Coefficients joined with incremental validity (one row per term).

        ``term`` is the readable name (the column, or ``category = billing`` for a dummy);
        ``formula_term`` is statsmodels' own (``Q('a')``), as in ``coefficients`` and ``raw``.
        """
        inc = self.incremental.rename(columns={"delta": "cv_delta", "ci_low": "cv_ci_low", "ci_high": "cv_ci_high"})
        coef = self.coefficients.copy()
        coef["metric"] = coef["term"].map({_term(m): m for m in self.metrics})
        coef.insert(1, "formula_term", coef["term"])
        coef["term"] = coef["term"].map(readable_term)
        return coef.merge(inc, on="metric", how="left")

    @property
    def readable_formula(self) -> str:
        """The model as words: ``thumbs_up ~ judge_relevance + category`` (``formula`` is patsy's)."""
        return readable_formula(self.formula)

    def summary(self) -> str:
        lines = [f"{self.family} model of {self.kpi} (n={self.n}, SE: {self.cov})", f"model: {self.readable_formula}", ""]
        for reason in (self.settings.get("dropped") or {}).values():
            lines.insert(-1, f"dropped: {reason}")
        high = {m: v for m, v in (self.settings.get("vif") or {}).items() if v > VIF_WARN}
        if high:
            lines.insert(-1, "collinear (VIF > 10): " + ", ".join(f"{m} {v:.1f}" for m, v in high.items()))
        for r in self.coefficients.itertuples():
            std = "" if not np.isfinite(r.std_coef) else f"  std {r.std_coef:+.3f} [{r.std_ci_low:+.3f}, {r.std_ci_high:+.3f}]"
            lines.append(f"  {readable_term(r.term)}: {r.coef:+.4g} [{r.ci_low:+.4g}, {r.ci_high:+.4g}] p={r.p_value:.3g}{std}")
        if not self.incremental.empty:
            lines.append(f"\nIncremental validity (cross-validated gain in {self.incremental['measure'].iloc[0]}, "
                         f"{self.settings.get('cv_folds')}-fold x {self.settings.get('cv_repeats')}, seed {self.settings.get('seed')}):")
            for r in self.incremental.itertuples():
                lines.append(f"  {r.metric}: {r.delta:+.4f} [{r.ci_low:+.4f}, {r.ci_high:+.4f}]")
        return "\n".join(lines)

    def raw_summary(self):
        """statsmodels' summary of the raw fit."""
        return self.raw.summary()

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return (f"<p><b>{html.escape(self.family)}</b> model of {html.escape(self.kpi)} (n={self.n}, "
                f"SE {html.escape(self.cov)}): {html.escape(self.readable_formula)}</p>"
                + self.to_frame().drop(columns=["formula_term"]).round(4).to_html(index=False, escape=True))

    def to_markdown(self) -> str:
        """The summary's first line in bold and a GFM table of the readable coefficients."""
        from .._display import markdown_table, md_escape

        title = f"{self.family} model of {self.kpi} (n={self.n}, SE: {self.cov}): {self.readable_formula}"
        return (f"**{md_escape(title, max_chars=None)}**\n\n"
                f"{markdown_table(self.to_frame().drop(columns=['formula_term']))}\n")

    def chart(self):
        """Standardised coefficients with CIs (Altair)."""
        import altair as alt

        t = self.to_frame().dropna(subset=["metric"])[["metric", "std_coef", "std_ci_low", "std_ci_high", "p_value"]]
        base = alt.Chart(t).encode(y=alt.Y("metric:N", title=None))
        return (base.mark_rule().encode(x=alt.X("std_ci_low:Q", title="standardised coefficient (95% CI)"), x2="std_ci_high:Q")
                + base.mark_point(filled=True).encode(x="std_coef:Q", tooltip=list(t.columns)))


def _term(col: str) -> str:
    return f"Q({col!r})"


_Q = re.compile(r"Q\((['\"])(.*?)\1\)")


def readable_term(term: Any) -> str:
    """A statsmodels/patsy term as words (the column name; a dummy as ``column = level``).

    >>> readable_term("Q('judge_relevance')")
    'judge_relevance'
    >>> readable_term("C(Q('category'))[T.billing]")
    'category = billing'
    """
    text = _Q.sub(lambda m: m.group(2), str(term))
    m = re.match(r"^C\((.*?)\)\[T\.(.*)\]$", text) or re.match(r"^(.*)\[T\.(.*)\]$", text)
    return f"{m.group(1)} = {m.group(2)}" if m else text


def readable_formula(formula: str) -> str:
    """A patsy formula as words: ``Q('kpi') ~ Q('a') + C(Q('category'))`` -> ``kpi ~ a + category``.

    >>> readable_formula("Q('thumbs_up') ~ Q('judge_relevance') + C(Q('category'))")
    'thumbs_up ~ judge_relevance + category'
    """
    text = _Q.sub(lambda m: m.group(2), formula)
    return re.sub(r"\bC\(([^()]*)\)", r"\1", text)


def _rhs(frame: pd.DataFrame, metrics: Sequence[str], controls: Sequence[str]) -> str:
    parts = [_term(m) for m in metrics]
    for c in controls:
        numeric_ = pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        parts.append(_term(c) if numeric_ else f"C({_term(c)})")
    return " + ".join(parts) if parts else "1"


def detect_family(y: np.ndarray) -> str:
    return "logit" if roles.is_binary(y) else "ols"


def fit_kpi(data: Any, kpi: str, metrics: Sequence[str] | str, controls: Sequence[str] | None = None, *,
            family: str = "auto", groups: str | None = None, cov: str = "HC3", cluster: str | None = None,
            kpis: Any = None, incremental: bool = True, cv_folds: int = 5, cv_repeats: int = 2, seed: int = 0,
            confidence: float = 0.95, ci: float | None = None) -> KpiFit:
    """Fit a model of ``kpi`` on metric columns (and controls) with statsmodels' formula API.

    Parameters
    ----------
    data : DataFrame, Scores or Runs (joined with ``kpis`` when given).
    kpi : the outcome column. metrics : predictor columns. controls : covariates (categorical
        columns enter as dummies through ``C()``).
    family : ``"auto"`` (Logit for 0/1 KPIs, else OLS), ``"ols"``, ``"logit"``, ``"poisson"``,
        ``"negbin"`` or ``"mixed"`` (linear mixed model, random intercept per ``groups``).
    cov : ``"HC3"`` (default; discrete models get statsmodels' HC0 sandwich, which is what it
        computes for them), ``"cluster"`` (needs ``cluster=``) or ``"nonrobust"``.
    incremental : compute each metric's cross-validated incremental validity.
    cv_folds, cv_repeats, seed : repeated k-fold design (seeded, recorded).

    Examples
    --------
    >>> fit = evalnb.fit_kpi(joined, "thumbs_up", ["judge_faithfulness", "judge_relevance"],
    ...                      controls=["category"])                                   # doctest: +SKIP
    >>> fit.coefficients; fit.incremental; print(fit.raw.summary())                   # doctest: +SKIP
    """
    ci = renamed("fit_kpi", "ci", ci, "confidence", confidence)
    require("statsmodels", "fit_kpi")
    import statsmodels.formula.api as smf

    frame = as_frame(data, kpis)
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    controls = list(controls or [])
    if family not in FAMILIES:
        raise ConfigError(f"unknown family '{family}'; use one of: {', '.join(FAMILIES)}")
    if cov not in ("HC3", "HC0", "HC1", "cluster", "nonrobust"):
        raise ConfigError(f"unknown cov '{cov}'; use 'HC3', 'cluster' (with cluster=<column>) or 'nonrobust'")
    if cov == "cluster" and not cluster:
        raise ConfigError("cov='cluster' needs cluster='<column>' (e.g. item_id or category)")
    if family == "mixed" and not groups:
        raise ConfigError("family='mixed' needs groups='<column>' for the random intercept (e.g. 'category')")
    extra = [c for c in (groups, cluster) if c]
    require_columns(frame, [kpi, *metrics, *controls, *extra], "model")
    cols = list(dict.fromkeys([kpi, *metrics, *controls, *extra]))
    sub = frame[cols].copy()
    for c in [kpi, *metrics]:
        sub[c] = numeric(sub, c)
    sub = sub.dropna().reset_index(drop=True)
    if len(sub) < len(metrics) + len(controls) + 3:
        raise DataError(f"fit_kpi: only {len(sub)} complete rows for {kpi} ~ {', '.join(metrics)}; need more data")
    fam = detect_family(sub[kpi].to_numpy()) if family == "auto" else family
    # unidentified coefficients: an exact copy of a metric gave both copies coef 0.516 with
    # p = 4.7e-91 (truth: one coefficient 1.04), a copy plus 1e-6 noise -14,335 and +14,336
    asked = list(metrics)
    metrics, dropped, vifs, cond = collinearity(sub, metrics, controls)
    for reason in dropped.values():
        warnings.warn(f"fit_kpi: {reason}", CollinearityWarning, stacklevel=2)
    inflated = {m: v for m, v in vifs.items() if v > VIF_WARN}
    if inflated:
        warnings.warn("fit_kpi: strongly collinear metrics (VIF > " + f"{VIF_WARN:g}): "
                      + ", ".join(f"{m} {v:.1f}" for m, v in inflated.items())
                      + "; their coefficients have SEs inflated sqrt(VIF) times and split a shared effect; "
                      "consider keeping one of them", CollinearityWarning, stacklevel=2)
    if not metrics:
        raise DataError(f"fit_kpi: no identifiable metric left for {kpi}: " + "; ".join(dropped.values()))
    formula = f"{_term(kpi)} ~ {_rhs(sub, metrics, controls)}"

    def fit(df: pd.DataFrame):
        kw: dict[str, Any] = {}
        if cov == "cluster":
            kw = {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(df[cluster])[0]}}
        elif cov != "nonrobust":
            kw = {"cov_type": cov if fam == "ols" else "HC0"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if fam == "ols":
                return smf.ols(formula, df).fit(**kw)
            if fam == "logit":
                return smf.logit(formula, df).fit(disp=0, **kw)
            if fam == "poisson":
                return smf.poisson(formula, df).fit(disp=0, **kw)
            if fam == "negbin":
                return smf.negativebinomial(formula, df).fit(disp=0, maxiter=200, **kw)
            return smf.mixedlm(formula, df, groups=df[groups]).fit(reml=True)

    raw = fit(sub)
    cov_label = ("cluster-robust by " + cluster if cov == "cluster" else
                 "model-based" if fam == "mixed" else cov if fam == "ols" or cov == "nonrobust" else
                 f"HC0 sandwich (asked {cov}; statsmodels has no leverage-adjusted SE for {fam})")
    conf = raw.conf_int(alpha=1 - ci)
    terms = [t for t in raw.params.index if t not in ("Group Var", "alpha")]
    coef = pd.DataFrame({
        "term": terms, "coef": raw.params[terms].to_numpy(), "se": raw.bse[terms].to_numpy(),
        "ci_low": conf.loc[terms, 0].to_numpy(), "ci_high": conf.loc[terms, 1].to_numpy(),
        "p_value": raw.pvalues[terms].to_numpy()})
    # Standardised coefficients without a second fit: every family here is equivariant under an
    # affine rescaling of a predictor (and, for OLS / mixed, of the KPI), estimates, sandwich and
    # model-based covariances alike, so the refit on z-scored columns gives coef * sd_x / sd_y and
    # its CI scaled the same way (the test compares with that refit). Halves fit_kpi's cost.
    def _sd(c: str) -> float:
        sd = float(sub[c].std(ddof=1))
        return sd if sd > 0 else 1.0

    y_sd = _sd(kpi) if fam in ("ols", "mixed") else 1.0
    scale = {_term(m): _sd(m) / y_sd for m in metrics}
    coef["std_coef"] = [raw.params[t] * scale[t] if t in scale else np.nan for t in terms]
    coef["std_ci_low"] = [conf.loc[t, 0] * scale[t] if t in scale else np.nan for t in terms]
    coef["std_ci_high"] = [conf.loc[t, 1] * scale[t] if t in scale else np.nan for t in terms]

    inc = pd.DataFrame(columns=["metric", "measure", "delta", "ci_low", "ci_high", "folds"])
    if incremental and metrics:
        inc = incremental_validity(sub, kpi, metrics, controls, family=fam, folds=cv_folds, repeats=cv_repeats,
                                   seed=seed, ci=ci)
    settings = {"cv_folds": cv_folds, "cv_repeats": cv_repeats, "seed": seed, "ci": ci, "controls": controls,
                "groups": groups, "cluster": cluster, "metrics_asked": asked, "dropped": dropped,
                "vif": vifs, "condition_number": cond}
    return KpiFit(raw, coef, inc, fam, formula, cov_label, len(sub), kpi, tuple(metrics), settings)


# ----------------------------------------------------------------------------------------
# cross-validation (shared with select_portfolio)
# ----------------------------------------------------------------------------------------
def design(sub: pd.DataFrame, kpi: str, columns: Sequence[str], controls: Sequence[str]) -> tuple[np.ndarray, np.ndarray, dict[str, list[int]], np.ndarray]:
    """(y, X with intercept + controls + columns, column -> X indices, base indices)."""
    y = numeric(sub, kpi)
    parts = [pd.DataFrame({"Intercept": np.ones(len(sub))})]
    if controls:
        parts.append(_dummies(sub, controls))
    base_n = sum(p.shape[1] for p in parts)
    index: dict[str, list[int]] = {}
    pos = base_n
    for c in columns:
        parts.append(pd.DataFrame({c: numeric(sub, c)}))
        index[c] = [pos]
        pos += 1
    X = pd.concat(parts, axis=1).to_numpy(dtype=float)
    return y, X, index, np.arange(base_n)


def _dummies(sub: pd.DataFrame, controls: Sequence[str]) -> pd.DataFrame:
    out = []
    for c in controls:
        col = sub[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            out.append(pd.DataFrame({c: col.to_numpy(dtype=float)}))
        else:
            out.append(pd.get_dummies(col.astype(str), prefix=c, drop_first=True, dtype=float).reset_index(drop=True))
    return pd.concat(out, axis=1) if out else pd.DataFrame(index=range(len(sub)))


def folds_for(n: int, folds: int, repeats: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seeded repeated k-fold splits: list of (train, test) index arrays."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(repeats):
        perm = rng.permutation(n)
        for k in range(folds):
            test = np.sort(perm[k::folds])
            train = np.setdiff1d(np.arange(n), test, assume_unique=True)
            out.append((train, test))
    return out


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve via the Mann-Whitney U statistic (ties count half)."""
    from scipy import stats

    pos = y == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return math.nan
    ranks = stats.rankdata(score)
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def logit_newton(X: np.ndarray, y: np.ndarray, max_iter: int = 50) -> np.ndarray:
    """Maximum-likelihood logistic regression by Newton-Raphson.

    The same estimates as statsmodels' ``Logit(...).fit(method="newton")`` (a test checks it to
    1e-8) without its per-fit overhead (~20x faster), for the many fits of cross-validation.
    Under separation the iterations stop at ``max_iter`` (a tiny ridge keeps the solve finite),
    which is harmless for the AUC this feeds.
    """
    beta = np.zeros(X.shape[1])
    ridge = 1e-9 * np.eye(X.shape[1])
    for _ in range(max_iter):
        p = 1 / (1 + np.exp(-np.clip(X @ beta, -30, 30)))
        grad = X.T @ (y - p)
        hess = (X * (p * (1 - p))[:, None]).T @ X + ridge
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    return beta


def cv_score(y: np.ndarray, X: np.ndarray, family: str, splits) -> np.ndarray:
    """Out-of-sample R^2 (or AUC for logit) of the model with columns X, one value per split."""
    import statsmodels.api as sm

    out = np.empty(len(splits))
    for i, (train, test) in enumerate(splits):
        Xtr, ytr = X[train], y[train]
        if family == "logit":
            params = logit_newton(Xtr, ytr)
            out[i] = auc(y[test], X[test] @ params)
        else:
            if family in ("poisson", "negbin"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    params = sm.Poisson(ytr, Xtr).fit(disp=0, maxiter=100).params
                pred = np.exp(X[test] @ params)
            else:
                params, *_ = np.linalg.lstsq(Xtr, ytr, rcond=None)
                pred = X[test] @ params
            resid = ((y[test] - pred) ** 2).sum()
            total = ((y[test] - ytr.mean()) ** 2).sum()
            out[i] = 1 - resid / total if total > 0 else math.nan
    return out


def corrected_ci(deltas: np.ndarray, n_train: int, n_test: int, ci: float = 0.95) -> tuple[float, float, float]:
    """Mean and CI of repeated-CV differences with the Nadeau-Bengio corrected variance."""
    from scipy import stats

    d = deltas[np.isfinite(deltas)]
    if len(d) < 2:
        return (float(d.mean()) if len(d) else math.nan), math.nan, math.nan
    mean = float(d.mean())
    var = float(d.var(ddof=1)) * (1 / len(d) + n_test / n_train)
    half = float(stats.t.ppf(0.5 + ci / 2, len(d) - 1)) * math.sqrt(var)
    return mean, mean - half, mean + half


def incremental_validity(sub: pd.DataFrame, kpi: str, metrics: Sequence[str], controls: Sequence[str], *,
                         family: str, folds: int = 5, repeats: int = 2, seed: int = 0, ci: float = 0.95) -> pd.DataFrame:
    """Cross-validated gain of each metric over all the others (plus controls)."""
    y, X, index, base = design(sub, kpi, metrics, controls)
    splits = folds_for(len(y), folds, repeats, seed)
    fam = "logit" if family == "logit" else ("poisson" if family in ("poisson", "negbin") else "ols")
    full = cv_score(y, X, fam, splits)
    n_test = len(y) // folds
    rows = []
    for m in metrics:
        keep = [i for i in range(X.shape[1]) if i not in index[m]]
        without = cv_score(y, X[:, keep], fam, splits)
        mean, lo, hi = corrected_ci(full - without, len(y) - n_test, n_test, ci)
        rows.append({"metric": m, "measure": "AUC" if fam == "logit" else "R2", "delta": mean, "ci_low": lo,
                     "ci_high": hi, "folds": len(splits)})
    return pd.DataFrame(rows)

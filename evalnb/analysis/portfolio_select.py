"""``select_portfolio``: which 2-3 metrics should gate deployment for a KPI, and why.

1. Evidence: each candidate's Spearman association with the KPI (bootstrap CI, Holm-adjusted p).
2. Redundancy: candidates are clustered on |Spearman| between them (average linkage); a
   candidate too close to an already chosen one (|rho| >= ``redundancy``) or with a variance
   inflation factor above ``max_vif`` given the chosen ones is rejected as redundant.
3. Greedy forward selection on cross-validated predictive power (AUC for a binary KPI, R^2
   otherwise): at each step the candidate with the largest gain minus ``cost_weight`` x cost joins,
   while its gain's CI (Nadeau-Bengio corrected repeated CV) is above 0, up to ``max_primary``;
   the first ``min_primary`` only need a positive gain and a significant KPI association.
4. Secondary metrics (failure decomposition): the other significant, non-redundant candidates.
5. Safety and robustness metrics are always part of the portfolio; when the data has none the
   table says so explicitly.
6. Blind spots: metrics that track human ratings but not the KPI, or the reverse.
"""
from __future__ import annotations

import html
import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .. import roles
from .._display import ResultDisplay
from .._errors import ConfigError, DataError, SmallSampleWarning
from .correlate import correlate
from .inputs import as_frame, data_hash, kpi_columns, numeric, numeric_columns, require_columns
from .kpi_models import corrected_ci, cv_score, design, detect_family, folds_for

_SAFETY = re.compile(r"safety|toxic|violation|harm|unsafe|jailbreak|pii|refusal", re.I)
_ROBUST = re.compile(r"robust|perturb|adversarial|consistency|invarian", re.I)
_OPERATIONAL = {"latency_ms", "prompt_tokens", "completion_tokens", "cost_usd"}


@dataclass(frozen=True)
class MetricChoice:
    """One metric of a portfolio, with the evidence behind it."""

    name: str
    column: str
    settings: dict
    signature: str
    role: str            # primary | secondary | safety | robustness
    direction: str       # "higher" | "lower" is better
    evidence: dict       # kpi, level, method, estimate, ci_low, ci_high, p_value, n, data_hash, cv_gain, cv_gain_ci, why


@dataclass(frozen=True)
class PortfolioSelection(ResultDisplay):
    """The recommended metric portfolio for one KPI.

    ``to_frame()`` is the explanation table (one row per candidate: role, decision, why);
    ``flag`` (table column and evidence field) is set on a primary whose gain CI includes 0;
    the association and the primaries' CV gains come from held-out rows (``settings["evidence"]``);
    ``clusters`` groups redundant candidates; ``blind_spots`` lists metrics that track human
    ratings but not the KPI (or the reverse); ``steps`` is the greedy path; ``.portfolio``
    builds the exportable :class:`evalnb.Portfolio` config.
    """

    kpi: str
    primary: tuple[MetricChoice, ...]
    secondary: tuple[MetricChoice, ...]
    safety: tuple[MetricChoice, ...]
    robustness: tuple[MetricChoice, ...]
    table: pd.DataFrame
    clusters: pd.DataFrame = field(default_factory=pd.DataFrame)
    blind_spots: pd.DataFrame = field(default_factory=pd.DataFrame)
    steps: pd.DataFrame = field(default_factory=pd.DataFrame)
    settings: dict = field(default_factory=dict)
    method: str = "evalnb.select_portfolio (greedy forward selection on cross-validated predictive power)"

    @property
    def portfolio(self):
        """The :class:`evalnb.Portfolio` config built from this selection.

        .. deprecated:: 0.2
            Use ``evalnb.portfolio_from_selection(sel)``: building a config is the portfolio
            layer's job, and the analysis layer does not import it (the one exception, listed in
            ``.importlinter``, until this alias is removed).
        """
        import warnings

        from ..portfolio.selection import portfolio_from_selection

        warnings.warn("PortfolioSelection.portfolio is deprecated; use evalnb.portfolio_from_selection(sel)",
                      DeprecationWarning, stacklevel=2)
        return portfolio_from_selection(self)

    def choices(self) -> tuple[MetricChoice, ...]:
        return self.primary + self.secondary + self.safety + self.robustness

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        s = self.settings
        lines = [f"Portfolio for {self.kpi} ({s.get('measure')} by {s.get('cv_folds')}-fold CV x {s.get('cv_repeats')}, "
                 f"seed {s.get('seed')}; n={s.get('n')})"]
        if s.get("evidence"):
            lines.append(f"  evidence (association, CV gain) from {s['evidence']}")
        for role in ("primary", "secondary", "safety", "robustness"):
            chosen = getattr(self, role)
            names = ", ".join(f"{c.column if c.column != c.name else c.name} ({c.direction} is better)" for c in chosen)
            if not chosen and role in ("safety", "robustness"):
                names = f"NONE: the data has no {role} metric; add one before gating"
            lines.append(f"  {role:<10}: {names or '-'}")
        lines.append("\nWhy:")
        for r in self.table.itertuples():
            flag = getattr(r, "flag", "")
            flag = flag if isinstance(flag, str) else ""
            lines.append(f"  [{r.decision + ('*' if flag else ''):>7}] {r.metric}: {r.why}"
                         + (f"\n            * FLAG: {flag}" if flag else ""))
        if not self.blind_spots.empty:
            lines.append("\nBlind spots:")
            lines += [f"  {r.metric}: {r.flag}" for r in self.blind_spots.itertuples()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p><b>Portfolio for {html.escape(self.kpi)}</b></p>" + self.table.to_html(index=False, escape=True)

    def chart(self):
        """Cross-validated gain of each candidate when first considered, coloured by decision."""
        import altair as alt

        t = self.table.dropna(subset=["cv_gain"])[["metric", "decision", "role", "cv_gain", "cv_gain_ci_low", "cv_gain_ci_high", "why"]]
        base = alt.Chart(t).encode(y=alt.Y("metric:N", sort="-x", title=None))
        return (base.mark_bar().encode(x=alt.X("cv_gain:Q", title=f"CV gain in {self.settings.get('measure')}"),
                                       color="decision:N", tooltip=list(t.columns))
                + base.mark_rule().encode(x="cv_gain_ci_low:Q", x2="cv_gain_ci_high:Q"))


def _metric_identity(column: str, scores: Any) -> tuple[str, dict, str]:
    """(name, settings, signature) of the metric that produced ``column``."""
    metrics = getattr(scores, "metrics", None) or {}
    for name, m in metrics.items():
        if column in getattr(m, "columns", []) and not str(name).startswith("precomputed"):
            return str(getattr(type(m), "name", name)), dict(m.settings), m.signature()
    try:
        from ..metrics.registry import metric as make_metric

        m = make_metric(column)
        if column in m.columns:
            return column, dict(m.settings), m.signature()
    except Exception:
        pass
    try:
        from ..metrics.registry import metric as make_metric

        signature = make_metric("precomputed", column=column).signature()
    except Exception:
        signature = f"{column}|source:precomputed"
    return column, {"source": "precomputed"}, signature


def _cost_of(column: str, costs: Mapping[str, float] | None, scores: Any) -> float:
    if costs and column in costs:
        return float(costs[column])
    for m in (getattr(scores, "metrics", None) or {}).values():
        if column in getattr(m, "columns", []):
            return float(getattr(m, "cost_per_item", 0.0)) * 1000
    return 0.0


def select_portfolio(data: Any, kpi: str, candidates: Sequence[str] | None = None, *, costs: Mapping[str, float] | None = None,
                     safety: Sequence[str] | str | None = None, robustness: Sequence[str] | str | None = None,
                     human: str | None = None, controls: Sequence[str] | None = None, kpis: Any = None,
                     kpi_direction: str | None = None, min_primary: int = 2, max_primary: int = 3,
                     max_secondary: int = 4, redundancy: float = 0.8, max_vif: float = 5.0, cost_weight: float = 0.001,
                     alpha: float = 0.05, n_boot: int = 1000, cv_folds: int = 5, cv_repeats: int = 2,
                     seed: int = 0, holdout: float = 0.5) -> PortfolioSelection:
    """Recommend primary, secondary, safety and robustness metrics for ``kpi``.

    Parameters
    ----------
    data : DataFrame, Scores or Runs joined with KPI columns (or pass ``kpis``).
    kpi : the business outcome column (e.g. ``"thumbs_up"``).
    candidates : metric columns to choose from (default: numeric non-KPI, non-operational columns).
    costs : column -> cost per 1,000 items (USD or any unit; judge tokens, latency). Registered
        metrics default to their ``cost_per_item``. ``cost_weight`` is the CV gain one cost unit
        is worth (penalised gain = gain - cost_weight x cost).
    safety, robustness : the columns to use; default: columns whose names say so (among
        ``candidates`` when given: nothing outside them is ever chosen). When there is none, the
        table has an explicit "missing" row.
    human : a human-rating column for blind-spot flags.
    controls : covariates kept in every CV model (e.g. ``["category"]``).
    kpi_direction : ``"higher"`` or ``"lower"`` is better for the KPI (default from its name by
        :func:`evalnb.roles.direction`: escalation, handle time, latency, cost... are "lower").
    redundancy, max_vif : |Spearman| and VIF above which a candidate is redundant with a chosen one.
    holdout : share of the rows (seeded random split) kept out of the selection: metrics are chosen
        on the rest, and the evidence reported for them (association, CV gain and its CI) is
        measured on the held-out rows, because evidence from the rows a metric was selected on is
        optimistic (the chosen metric's CV gain read 0.063 there against 0.046 on fresh data).
        0 selects and reports on all rows (flagged as optimistic); so do data too small to split
        (fewer than ``20 x cv_folds`` complete rows). A primary whose gain CI includes 0 (on the
        held-out rows, or when promoted to reach ``min_primary``) carries a ``flag``.

    Examples
    --------
    >>> sel = evalnb.select_portfolio(joined, kpi="thumbs_up", human="human_rating")   # doctest: +SKIP
    >>> sel.to_frame()[["metric", "role", "decision", "why"]]                        # doctest: +SKIP
    >>> sel.portfolio.to_yaml()                                                      # doctest: +SKIP
    """
    frame = as_frame(data, kpis)
    require_columns(frame, [kpi], "KPI")
    controls = list(controls or [])
    safety = [safety] if isinstance(safety, str) else (list(safety) if safety is not None else None)
    robustness = [robustness] if isinstance(robustness, str) else (list(robustness) if robustness is not None else None)
    others = set(kpi_columns(frame)) | {kpi} | ({human} if human else set()) | set(controls)
    pool = numeric_columns(frame, exclude=others)
    # Given candidates= bound what may be chosen: safety and robustness columns found by name come
    # from the candidates only (a human rating named "expert_consistency" is not a robustness metric).
    named = pool if candidates is None else [c for c in candidates if c in frame.columns]
    if safety is None:
        safety = [c for c in named if _SAFETY.search(c)]
    if robustness is None:
        robustness = [c for c in named if _ROBUST.search(c)]
    if candidates is None:
        candidates = [c for c in pool if c not in _OPERATIONAL and c not in safety and c not in robustness]
    candidates = [c for c in candidates if c not in safety and c not in robustness]
    require_columns(frame, [*candidates, *safety, *robustness, *controls, *([human] if human else [])], "metric")
    if not candidates:
        raise ConfigError("select_portfolio: no candidate metric columns; pass candidates=[...]")
    if kpi_direction is None:
        kpi_direction = roles.direction(kpi)
    kpi_sign = 1.0 if kpi_direction == "higher" else -1.0

    everything = frame[frame[kpi].notna()].reset_index(drop=True)
    coverage = {c: float(everything[c].notna().mean()) for c in candidates}
    dropped = {c for c, v in coverage.items() if v < 0.5}
    usable = [c for c in candidates if c not in dropped]
    complete = everything.dropna(subset=usable + controls)
    if len(complete) < 10 * cv_folds:
        raise DataError(f"select_portfolio: only {len(complete)} rows have {kpi} and every candidate; need at least {10 * cv_folds}")
    if not 0 <= holdout < 1:
        raise ConfigError(f"select_portfolio: holdout={holdout} must be in [0, 1) (the share of rows kept for evidence)")
    # selection split and evidence split (issue 15 item 8)
    n_hold = int(round(len(everything) * holdout))
    split = holdout > 0 and min(len(complete) * holdout, len(complete) * (1 - holdout)) >= 10 * cv_folds
    if split:
        perm = np.random.default_rng(seed).permutation(len(everything))
        held = everything.iloc[np.sort(perm[:n_hold])].reset_index(drop=True)
        sub = everything.iloc[np.sort(perm[n_hold:])].reset_index(drop=True)
    else:
        held, sub = everything, everything
    cv_rows = sub.dropna(subset=usable + controls).reset_index(drop=True)
    held_rows = held.dropna(subset=usable + controls).reset_index(drop=True)
    family = detect_family(numeric(cv_rows, kpi))
    measure = "AUC" if family == "logit" else "R2"
    h = data_hash(everything, [kpi, *candidates, *safety, *robustness, *controls])
    evidence_from = (f"held-out {holdout:.0%} of rows (n={len(held_rows)}; selected on the other n={len(cv_rows)})"
                     if split else "the selection rows themselves (optimistic: "
                     + ("holdout=0" if holdout == 0 else f"too few rows for a {holdout:.0%} held-out split") + ")")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        assoc = correlate(sub, [*candidates, *safety, *robustness], kpi, method="spearman", by=None,
                          n_boot=n_boot, seed=seed).table.set_index("metric")
        held_assoc = (correlate(held, [*candidates, *safety, *robustness], kpi, method="spearman", by=None,
                                n_boot=n_boot, seed=seed).table.set_index("metric") if split else assoc)
        human_assoc = (correlate(sub, [*candidates, *safety, *robustness], human, method="spearman", by=None,
                                 n_boot=n_boot, seed=seed).table.set_index("metric") if human else None)

    # redundancy clusters on |Spearman| between candidates
    rho = cv_rows[usable].rank().corr().abs().fillna(0.0)
    clusters = _clusters(rho, redundancy)

    y, X, index, base = design(cv_rows, kpi, usable, controls)
    splits = folds_for(len(y), cv_folds, cv_repeats, seed)
    n_test = len(y) // cv_folds
    current = cv_score(y, X[:, base], family, splits) if len(base) > 1 else _null_score(y, family, splits)
    selected: list[str] = []
    reasons: dict[str, str] = {}
    first_gain: dict[str, tuple[float, float, float]] = {}
    chosen_gain: dict[str, tuple[float, float, float]] = {}
    steps = []
    remaining = list(usable)
    while remaining and len(selected) < max_primary:
        trials = []
        for c in list(remaining):
            if selected:
                close = max(selected, key=lambda s: rho.loc[c, s])
                if rho.loc[c, close] >= redundancy:
                    reasons[c] = f"redundant with {close} (|rho|={rho.loc[c, close]:.2f}, cluster {clusters.get(c)})"
                    remaining.remove(c)
                    continue
                vif = _vif(cv_rows, c, selected)
                if vif > max_vif:
                    reasons[c] = f"redundant given {', '.join(selected)} (VIF {vif:.1f} > {max_vif})"
                    remaining.remove(c)
                    continue
            cols = list(base) + [i for s in selected + [c] for i in index[s]]
            scores = cv_score(y, X[:, cols], family, splits)
            gain = corrected_ci(scores - current, len(y) - n_test, n_test)
            first_gain.setdefault(c, gain)
            cost = _cost_of(c, costs, data)
            trials.append((gain[0] - cost_weight * cost, c, gain, scores, cost))
        if not trials:
            break
        trials.sort(key=lambda t: -t[0])
        penalised, best, gain, scores, cost = trials[0]
        row = assoc.loc[best]
        significant = row["p_adjusted"] < alpha
        ok = penalised > 0 and significant and (gain[1] > 0 or len(selected) < min_primary)
        steps.append({"step": len(steps) + 1, "best": best, "gain": gain[0], "ci_low": gain[1], "ci_high": gain[2],
                      "penalised_gain": penalised, "accepted": bool(ok), "score": float(np.nanmean(scores))})
        if not ok:
            break
        selected.append(best)
        chosen_gain[best] = gain
        current = scores
        remaining.remove(best)
        note = "" if gain[1] > 0 else f"; added to reach {min_primary} primaries although its gain's CI includes 0"
        reasons[best] = (f"step {len(selected)}: largest CV gain in {measure} {gain[0]:+.4f} "
                         f"[{gain[1]:+.4f}, {gain[2]:+.4f}]" + (f" after a cost penalty of {cost_weight * cost:.4f}" if cost else "")
                         + f"; rho with {kpi} {row['estimate']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]{note}")
        for t in trials[1:]:
            reasons.setdefault(t[1], "")
    best_gain = steps[-1] if steps else None

    # Evidence for the chosen metrics from rows the selection never saw: each one's CV gain when it
    # joins the ones before it, on the held-out rows (evidence from the selection rows is
    # optimistic: the chosen metric's gain read 0.063 there and 0.046 on fresh data, issue 15).
    held_gain: dict[str, tuple[float, float, float]] = dict(chosen_gain)
    gain_flags: dict[str, str] = {}
    if selected and split:
        yh, Xh, index_h, base_h = design(held_rows, kpi, selected, controls)
        splits_h = folds_for(len(yh), cv_folds, cv_repeats, seed)
        nt = len(yh) // cv_folds
        cur = cv_score(yh, Xh[:, base_h], family, splits_h) if len(base_h) > 1 else _null_score(yh, family, splits_h)
        for k, c in enumerate(selected):
            cols = list(base_h) + [i for m in selected[:k + 1] for i in index_h[m]]
            sc = cv_score(yh, Xh[:, cols], family, splits_h)
            held_gain[c] = corrected_ci(sc - cur, len(yh) - nt, nt)
            cur = sc
    for c in selected:
        g, sg = held_gain[c], chosen_gain[c]
        parts = []
        if not sg[1] > 0:
            parts.append(f"promoted to reach min_primary={min_primary} although its gain's CI on the selection rows "
                         f"[{sg[1]:+.4f}, {sg[2]:+.4f}] includes 0")
        if split and not g[1] > 0:
            parts.append(f"gain not confirmed on the held-out rows: {g[0]:+.4f} [{g[1]:+.4f}, {g[2]:+.4f}] includes 0")
        if parts:
            gain_flags[c] = "; ".join(parts)
        if split:
            hr = held_assoc.loc[c]
            reasons[c] += (f" | held-out rows (n={len(held_rows)}): gain {g[0]:+.4f} [{g[1]:+.4f}, {g[2]:+.4f}], "
                           f"rho {hr['estimate']:+.3f} [{hr['ci_low']:+.3f}, {hr['ci_high']:+.3f}]")

    secondary: list[str] = []
    primary_clusters = {clusters.get(s) for s in selected}
    ranked = sorted((c for c in candidates if c not in selected), key=lambda c: -abs(assoc.loc[c, "estimate"]) if np.isfinite(assoc.loc[c, "estimate"]) else 0)
    for c in ranked:
        row = assoc.loc[c]
        if c in dropped:
            reasons[c] = f"only {coverage[c]:.0%} of rows have it; too sparse to select on"
        elif not row["p_adjusted"] < alpha:
            reasons[c] = f"no significant association with {kpi}: rho {row['estimate']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}], p_adj={row['p_adjusted']:.3g}"
        elif reasons.get(c, "").startswith("redundant"):
            continue
        elif clusters.get(c) in primary_clusters:
            reasons[c] = f"redundant: same cluster ({clusters.get(c)}) as a primary metric"
        elif clusters.get(c) in {clusters.get(s) for s in secondary}:
            twin = next(s for s in secondary if clusters.get(s) == clusters.get(c))
            reasons[c] = f"redundant with secondary {twin} (cluster {clusters.get(c)}, |rho|={rho.loc[c, twin]:.2f})"
        elif len(secondary) < max_secondary:
            secondary.append(c)
            reasons[c] = (f"secondary: associated with {kpi} (rho {row['estimate']:+.3f} [{row['ci_low']:+.3f}, "
                          f"{row['ci_high']:+.3f}]) but adds less predictive power; use it to decompose failures")
        else:
            reasons[c] = f"associated with {kpi} but {max_secondary} secondary metrics are enough"
    for c in usable:
        if not reasons.get(c):
            g = first_gain.get(c)
            reasons[c] = (f"smaller CV gain than the chosen metrics ({g[0]:+.4f} [{g[1]:+.4f}, {g[2]:+.4f}] when first tried)"
                          if g else "not reached: the primary set was full")
        if c not in selected and best_gain is not None and not best_gain["accepted"] and best_gain["best"] == c \
                and c not in secondary:
            reasons[c] += f"; stopped: its gain's CI includes 0 or cost outweighs it"

    def choice(c: str, role: str) -> MetricChoice:
        name, settings, signature = _metric_identity(c, data)
        row = held_assoc.loc[c]
        est = float(row["estimate"]) if np.isfinite(row["estimate"]) else 0.0
        # evalnb.roles decides (metric object, then the name rule); only a column neither speaks
        # for takes the sign of its KPI association (primary/secondary) or "higher" (safety, robustness).
        if role in ("safety", "robustness"):
            direction = roles.direction(c, data)
        else:
            direction = roles.direction(c, data, default="higher" if est * kpi_sign >= 0 else "lower")
        gain = held_gain.get(c) or first_gain.get(c)
        picked = chosen_gain.get(c) or first_gain.get(c)
        evidence = {"kpi": kpi, "level": "sample", "method": "spearman", "estimate": float(row["estimate"]),
                    "ci_low": float(row["ci_low"]), "ci_high": float(row["ci_high"]), "p_value": float(row["p_value"]),
                    "p_adjusted": float(row["p_adjusted"]), "n": int(row["n"]), "data_hash": h,
                    "cv_gain": None if gain is None else float(gain[0]),
                    "cv_gain_ci": None if gain is None else (float(gain[1]), float(gain[2])),
                    "why": reasons.get(c, f"{role} metric"),
                    "evidence_rows": evidence_from,
                    "cv_gain_rows": "held-out" if split and c in held_gain else "selection",
                    "selection_cv_gain": None if picked is None else float(picked[0]),
                    "flag": gain_flags.get(c, "")}
        return MetricChoice(name, c, settings, signature, role, direction, evidence)

    for c in safety:
        reasons[c] = "safety metric: always part of the portfolio (gate on it regardless of its KPI association)"
    for c in robustness:
        reasons[c] = "robustness metric: always part of the portfolio"
    rows = []
    role_of = {**{c: "primary" for c in selected}, **{c: "secondary" for c in secondary},
               **{c: "safety" for c in safety}, **{c: "robustness" for c in robustness}}
    for c in [*selected, *secondary, *safety, *robustness, *[c for c in candidates if c not in role_of]]:
        row = held_assoc.loc[c]
        g = held_gain.get(c) or first_gain.get(c)
        picked = chosen_gain.get(c) or first_gain.get(c)
        rows.append({"metric": c, "role": role_of.get(c, ""), "decision": "in" if c in role_of else "out",
                     "why": reasons.get(c, ""), "estimate": row["estimate"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
                     "p_adjusted": row["p_adjusted"], "cv_gain": np.nan if g is None else g[0],
                     "cv_gain_ci_low": np.nan if g is None else g[1], "cv_gain_ci_high": np.nan if g is None else g[2],
                     "cv_gain_rows": ("held-out" if split and c in held_gain else "selection") if g is not None else "",
                     "selection_cv_gain": np.nan if picked is None else picked[0], "flag": gain_flags.get(c, ""),
                     "cost": _cost_of(c, costs, data), "cluster": clusters.get(c, np.nan)})
    for role, cols in (("safety", safety), ("robustness", robustness)):
        if not cols:
            rows.append({"metric": f"(no {role} metric)", "role": role, "decision": "missing",
                         "why": f"the data has no {role} metric; add one (" + ("e.g. a judge safety rubric or a toxicity classifier"
                                if role == "safety" else "e.g. score consistency under the perturbations in adversarial.jsonl")
                         + ") before using this portfolio as a deployment gate"})
    table = pd.DataFrame(rows)

    blind = pd.DataFrame(columns=["metric", "flag", "rho_kpi", "p_adj_kpi", "rho_human", "p_adj_human"])
    if human_assoc is not None:
        flags = []
        for c in [*candidates, *safety, *robustness]:
            k_sig = assoc.loc[c, "p_adjusted"] < alpha
            h_sig = human_assoc.loc[c, "p_adjusted"] < alpha
            if k_sig != h_sig:
                flags.append({"metric": c, "flag": f"tracks {human} but not {kpi}" if h_sig else f"tracks {kpi} but not {human}",
                              "rho_kpi": assoc.loc[c, "estimate"], "p_adj_kpi": assoc.loc[c, "p_adjusted"],
                              "rho_human": human_assoc.loc[c, "estimate"], "p_adj_human": human_assoc.loc[c, "p_adjusted"]})
        blind = pd.DataFrame(flags, columns=blind.columns)
    cluster_frame = pd.DataFrame([{"cluster": k, "members": ", ".join(sorted(c for c, v in clusters.items() if v == k))}
                                  for k in sorted(set(clusters.values()))])
    settings = {"measure": measure, "family": family, "cv_folds": cv_folds, "cv_repeats": cv_repeats, "seed": seed,
                "n_boot": n_boot, "n": len(cv_rows), "redundancy": redundancy, "max_vif": max_vif,
                "cost_weight": cost_weight, "alpha": alpha, "controls": controls, "kpi_direction": kpi_direction,
                "data_hash": h, "holdout": holdout if split else 0.0, "n_selection": len(cv_rows),
                "n_holdout": len(held_rows) if split else 0, "evidence": evidence_from}
    method = ("evalnb.select_portfolio (greedy forward selection on cross-validated predictive power; "
              f"evidence from {evidence_from})")
    return PortfolioSelection(kpi, tuple(choice(c, "primary") for c in selected), tuple(choice(c, "secondary") for c in secondary),
                              tuple(choice(c, "safety") for c in safety), tuple(choice(c, "robustness") for c in robustness),
                              table, cluster_frame, blind, pd.DataFrame(steps), settings, method)


def _null_score(y: np.ndarray, family: str, splits) -> np.ndarray:
    # intercept-only model: AUC 0.5, out-of-sample R^2 ~ 0
    X = np.ones((len(y), 1))
    return cv_score(y, X, family, splits) if family != "logit" else np.full(len(splits), 0.5)


def _clusters(rho: pd.DataFrame, redundancy: float) -> dict[str, int]:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    cols = list(rho.columns)
    if len(cols) < 2:
        return {c: 1 for c in cols}
    dist = (1 - rho.to_numpy()).clip(0, 1)
    np.fill_diagonal(dist, 0)
    labels = fcluster(linkage(squareform(dist, checks=False), method="average"), t=1 - redundancy, criterion="distance")
    return {c: int(k) for c, k in zip(cols, labels)}


def _vif(frame: pd.DataFrame, column: str, others: Sequence[str]) -> float:
    """Variance inflation factor of ``column`` given ``others`` (1 / (1 - R^2))."""
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    X = np.column_stack([np.ones(len(frame))] + [numeric(frame, c) for c in [*others, column]])
    with np.errstate(divide="ignore"):
        v = float(variance_inflation_factor(X, X.shape[1] - 1))
    return v if math.isfinite(v) else math.inf

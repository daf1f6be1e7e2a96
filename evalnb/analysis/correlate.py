"""``correlate``: which metrics track a KPI or a human rating, with how much confidence.

Levels follow the meta-evaluation literature (e.g. Fabbri et al. 2021, SummEval; Deutsch et al.
2022 on summary- vs system-level correlations):

* ``sample``: one coefficient over all rows (pairs with a missing value dropped);
* ``group`` (summary-level): a coefficient within each group (e.g. a source document), groups
  where either side is constant skipped, then the mean over the groups kept;
* ``system``: per-system means of metric and target, then one coefficient over the systems.

Every row carries n, a 95% CI, a p-value and a multiplicity-adjusted p-value (Holm or
Benjamini-Hochberg across the metric x target family of each level and method).
"""
from __future__ import annotations

import html
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .._compat import renamed
from .._display import ResultDisplay
from .._errors import ConfigError, DataError, SimpsonWarning, SmallSampleWarning
from ..stats import correlation as corr
# the studio's shared inputs live in .inputs; re-exported here so existing imports keep working
from .inputs import _KEYS, as_frame, data_hash, kpi_columns, numeric, numeric_columns, require_columns, resolve

LEVELS = ("sample", "group", "system")
_COLUMNS = ["metric", "target", "level", "method", "controls", "estimate", "ci_low", "ci_high", "p_value",
            "p_adjusted", "n", "n_groups", "ci_method", "status"]


# ----------------------------------------------------------------------------------------
# result
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Correlations(ResultDisplay):
    """Associations of metrics with targets.

    Attributes
    ----------
    table : one row per metric x target x level x method (see :meth:`to_frame`).
    slices : per-slice (e.g. per-category) sample-level estimates used for the Simpson check.
    warnings : the warnings raised (small samples, Simpson's paradox), as text.
    settings : levels, methods, n_boot, seed, adjust, ci, group/system/cluster columns, controls.
    """

    table: pd.DataFrame
    slices: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """metric, target, level, method, controls, estimate, ci_low, ci_high, p_value, p_adjusted,
        n (rows used), n_groups (groups/systems/clusters behind the CI), ci_method, status."""
        return self.table.copy()

    def best(self, target: str | None = None, method: str = "spearman", level: str = "sample") -> pd.DataFrame:
        """Rows for one target, method and level, strongest association first."""
        t = self.table
        t = t[(t["method"] == method) & (t["level"] == level) & (t["controls"] == "")]
        if target is not None:
            t = t[t["target"] == target]
        return t.reindex(t["estimate"].abs().sort_values(ascending=False).index).reset_index(drop=True)

    def simpson(self) -> pd.DataFrame:
        """Metric-target pairs whose pooled sign disagrees with the within-slice sign."""
        if self.slices.empty:
            return pd.DataFrame()
        return self.settings.get("_simpson", pd.DataFrame()).copy()

    def summary(self) -> str:
        lines = [f"Correlations: {self.table['metric'].nunique()} metric(s) x {self.table['target'].nunique()} "
                 f"target(s); levels {', '.join(self.settings.get('levels', []))}; "
                 f"{self.settings.get('ci', 0.95):.0%} CIs; p adjusted by {self.settings.get('adjust')} "
                 f"per level and method; seed {self.settings.get('seed')}"]
        for (level, method), part in self.table.groupby(["level", "method"], sort=False):
            lines.append(f"\n[{level} / {method}]")
            part = part.reindex(part["estimate"].abs().sort_values(ascending=False).index)
            for row in part.itertuples():
                ctrl = f" | {row.controls}" if row.controls else ""
                star = "*" if row.p_adjusted < 0.05 else " "
                lines.append(f" {star} {row.metric} ~ {row.target}{ctrl}: {row.estimate:+.3f} "
                             f"[{row.ci_low:+.3f}, {row.ci_high:+.3f}] p_adj={row.p_adjusted:.3g} n={row.n}"
                             + ("" if row.status == "ok" else f" ({row.status})"))
        if self.warnings:
            lines.append("\nWarnings:")
            lines += [f" - {w}" for w in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        body = self.table.round(4).to_html(index=False, escape=True)
        warn = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        return (f"<p><b>Correlations</b> ({html.escape(str(self.settings.get('adjust')))}-adjusted p)</p>"
                + (f"<ul>{warn}</ul>" if warn else "") + body)

    def chart(self, kind: str = "forest", method: str | None = None, level: str | Sequence[str] | None = None):
        """Altair chart of every level computed, side by side (one panel per level, one row per target).

        ``"forest"``: a point and its CI per metric, metrics ranked by their strongest association,
        coloured by whether the adjusted p-value is below 0.05; ``"heatmap"``: metric x target cells.
        ``method`` defaults to Spearman when it was computed (else the first method computed);
        ``level`` (one or a list) to every level in :meth:`to_frame`. The plotted rows are
        :meth:`chart_frame`'s.

        >>> res = evalnb.correlate(joined, ["judge_relevance"], "thumbs_up", level=["sample", "system"],
        ...                        method="spearman", by=None, n_boot=50)
        >>> sorted(res.chart_frame()["level_label"].unique())
        ['sample level (per row)', 'system level (per-system means)']
        """
        import altair as alt

        if kind not in ("forest", "heatmap"):
            raise ConfigError(f"unknown chart kind '{kind}'; use 'forest' or 'heatmap'")
        t = self.chart_frame(method, level)
        method = t.attrs["method"]
        order = t.attrs["levels"]
        titles = [_LEVEL_TITLES[lv] for lv in order]
        labels = t.attrs["metric_order"]
        ci = self.settings.get("ci", 0.95)
        what = f"{_METHOD_TITLES.get(method, method)} ({ci:.0%} CI)"
        tips = [alt.Tooltip("metric_label:N", title="metric"), alt.Tooltip("target:N", title="target"),
                alt.Tooltip("level_label:N", title="level"), alt.Tooltip("estimate_ci:N", title=what),
                alt.Tooltip("p_adjusted:Q", title="adjusted p", format=".3g"), alt.Tooltip("n:Q", title="rows", format=","),
                alt.Tooltip("n_groups:Q", title="units behind the CI", format=","), alt.Tooltip("status:N", title="status")]
        # ranked by a data column: names from the data stay in the data, never in the spec
        y = alt.Y("metric_label:N", title=None, sort=alt.EncodingSortField("rank", op="min"), axis=alt.Axis(labelLimit=0))
        column = alt.Column("level_label:N", title=None, sort=titles,
                            header=alt.Header(labelLimit=0, labelFontSize=12, labelFontWeight="bold"))
        row = alt.Row("target:N", title=None, header=alt.Header(labelLimit=0, labelAngle=0, labelAlign="left"))
        width = max(220, 480 // max(len(order), 1))           # >= 480 px in all
        height = max(60, 24 * len(labels))
        if kind == "heatmap":
            base = alt.Chart().encode(x=alt.X("target:N", title=None, axis=alt.Axis(labelLimit=0, labelAngle=0)), y=y)
            rect = base.mark_rect().encode(color=alt.Color("estimate:Q", title=_METHOD_TITLES.get(method, method),
                                                           scale=alt.Scale(scheme="redblue", domain=[-1, 1])),
                                           tooltip=tips)
            text = base.mark_text(fontSize=11).encode(text=alt.Text("estimate:Q", format="+.2f"))
            return alt.layer(rect, text, data=t).properties(width=width, height=height).facet(column=column) \
                .properties(title=f"{_METHOD_TITLES.get(method, method)}, by level")
        color = alt.Color("significance:N", title=None, sort=_SIGNIFICANCE,
                          scale=alt.Scale(domain=list(_SIGNIFICANCE), range=["#1f77b4", "#9a9a9a", "#e6a23c"]),
                          legend=alt.Legend(orient="top", labelLimit=0))
        base = alt.Chart().encode(y=y, color=color)
        # each level on its own x scale (0 always in view): sample-level CIs over thousands of rows
        # are narrow and would vanish on the [-1, 1] a four-system level needs
        bars = base.mark_rule(strokeWidth=2.5).encode(
            x=alt.X("ci_low:Q", title=what, scale=alt.Scale(zero=True, nice=True)), x2="ci_high:Q", tooltip=tips)
        dots = base.mark_point(filled=True, size=70, opacity=1).encode(x="estimate:Q", tooltip=tips)
        zero = alt.Chart().mark_rule(strokeDash=[4, 4], color="gray").encode(x=alt.datum(0))
        return alt.layer(bars, dots, zero, data=t).properties(width=width, height=height) \
            .facet(column=column, row=row).resolve_scale(x="independent") \
            .properties(title=f"Association with each target: {what}, by level")

    def chart_frame(self, method: str | None = None, level: str | Sequence[str] | None = None) -> pd.DataFrame:
        """The rows :meth:`chart` plots: :meth:`to_frame`'s rows of one method and the chosen levels,
        with readable labels (``metric_label``, ``level_label``, ``estimate_ci``, ``significance``)."""
        t = self.table
        methods = list(dict.fromkeys(t["method"]))
        if method is None:
            method = "spearman" if "spearman" in methods or not methods else methods[0]
        elif methods and method not in methods:
            raise ConfigError(f"method '{method}' was not computed; computed: {', '.join(methods)}")
        present = [lv for lv in LEVELS if lv in set(t["level"])]
        wanted = present if level is None else [level] if isinstance(level, str) else list(level)
        unknown = [lv for lv in wanted if lv not in present]
        if unknown:
            raise ConfigError(f"level {', '.join(map(repr, unknown))} was not computed; computed: {', '.join(present)}")
        t = t[(t["method"] == method) & t["level"].isin(wanted)].copy()
        t["metric_label"] = t["metric"] + np.where(t["controls"] != "", " (controlling for " + t["controls"] + ")", "")
        t["level_label"] = t["level"].map(_LEVEL_TITLES)
        t["estimate_ci"] = [_ci_text(e, lo, hi) for e, lo, hi in zip(t["estimate"], t["ci_low"], t["ci_high"])]
        t["significance"] = np.where(t["status"] != "ok", _SIGNIFICANCE[2],
                                     np.where(t["p_adjusted"] < 0.05, _SIGNIFICANCE[0], _SIGNIFICANCE[1]))
        levels = [lv for lv in LEVELS if lv in wanted]
        # ranked by the mean |estimate| over targets at the first level shown (then the next levels)
        rank = t.assign(a=t["estimate"].abs()).pivot_table(index="metric_label", columns="level", values="a",
                                                            aggfunc="mean", sort=False)
        rank = rank.reindex(columns=[lv for lv in levels if lv in rank.columns]).fillna(-1.0)
        order = rank.sort_values(list(rank.columns), ascending=False, kind="stable").index if len(rank.columns) else []
        t = t.reset_index(drop=True)
        t["rank"] = t["metric_label"].map({m: i for i, m in enumerate(order)})
        t.attrs.update(method=method, levels=levels, metric_order=list(order))
        return t


_LEVEL_TITLES = {"sample": "sample level (per row)", "group": "group level (within groups, averaged)",
                 "system": "system level (per-system means)"}
_METHOD_TITLES = {"spearman": "Spearman's rho", "pearson": "Pearson's r", "kendall": "Kendall's tau-b"}
_SIGNIFICANCE = ("adjusted p < 0.05", "not significant", "no usable CI (too few units or constant)")


def _ci_text(e: float, lo: float, hi: float) -> str:
    """``+0.42 [+0.40, +0.44]``; ``n/a`` for a missing estimate or bound."""
    if not all(np.isfinite([e, lo, hi])):
        return "n/a" if not np.isfinite(e) else f"{e:+.2f} [n/a]"
    return f"{e:+.2f} [{lo:+.2f}, {hi:+.2f}]"


# ----------------------------------------------------------------------------------------
# the function
# ----------------------------------------------------------------------------------------
def correlate(data: Any, metrics: Sequence[str] | str | None = None, targets: Sequence[str] | str | None = None, *,
              kpis: Any = None, level: str | Sequence[str] = "sample", method: str | Sequence[str] = corr.METHODS,
              group: str | None = None, system: str = "model", cluster: str | None = None,
              controls: Sequence[str] | None = None, by: str | None = "auto", adjust: str = "holm",
              confidence: float = 0.95, n_boot: int = 2000, seed: int = 0, min_n: int = corr.MIN_N,
              precision: float | None = None, ci: float | None = None) -> Correlations:
    """Correlate metric columns with KPI or human-rating columns, with CIs and adjusted p-values.

    Parameters
    ----------
    data : DataFrame, Scores or Runs; joined with ``kpis`` (a Kpis, DataFrame or path) when given.
    metrics, targets : column names. Defaults: every numeric non-key column / the joined KPI columns.
    level : ``"sample"``, ``"group"`` (needs ``group=``), ``"system"`` (per-``system`` means), or a list.
    method : ``"pearson"``, ``"spearman"``, ``"kendall"`` (tau-b), or a list (default: all three).
    group : the column that defines groups for the group (summary) level, e.g. ``"doc_id"``.
        At the sample level it is also the default ``cluster``.
    cluster : rows sharing this column's value are resampled together (cluster bootstrap).
    controls : covariates for partial correlations (sample level; categorical ones become
        dummies). Adds rows with ``controls`` filled in (Pearson and Spearman only).
    by : a categorical column for the Simpson check (default ``"category"`` when present; None
        to skip). A :class:`SimpsonWarning` is raised when the pooled sign disagrees with the
        within-slice sign; the per-slice estimates are in ``.slices``.
    adjust : ``"holm"`` (default), ``"bh"`` or ``"none"``; the family is every metric x target of
        one level and method.
    confidence, n_boot, seed : interval level, bootstrap resamples, seed (recorded in ``settings``).
        ``ci=`` is the old name of ``confidence=`` (deprecated, removed in 0.3).
    min_n : fewer units than this give CI = [-1, 1] and status "too few points".
    precision : warn (:class:`SmallSampleWarning`) when a CI half-width exceeds this.

    Examples
    --------
    >>> res = evalnb.correlate(joined, ["judge_relevance", "judge_faithfulness"], "thumbs_up")  # doctest: +SKIP
    >>> res.to_frame()[["metric", "method", "estimate", "ci_low", "ci_high", "p_adjusted"]]     # doctest: +SKIP
    """
    ci = renamed("correlate", "ci", ci, "confidence", confidence)
    frame = as_frame(data, kpis)
    metrics, targets = resolve(frame, metrics, targets)
    for target in targets:
        if not np.isfinite(numeric(frame, target)).any():
            raise DataError(f"target '{target}' has no numeric values in any of the {len(frame):,} rows, so there is "
                            "nothing to correlate; if it comes from a KPI log, check that the log's ids match the "
                            "eval rows (evalnb.join_kpis names the key and the first ids of each side)")
    levels = [level] if isinstance(level, str) else list(level)
    methods = [method] if isinstance(method, str) else list(method)
    for lv in levels:
        if lv not in LEVELS:
            raise ConfigError(f"unknown level '{lv}'; use one of: {', '.join(LEVELS)}")
    for m in methods:
        if m not in corr.METHODS:
            raise ConfigError(f"unknown method '{m}'; use one of: {', '.join(corr.METHODS)}")
    if "group" in levels and not group:
        raise ConfigError("level 'group' needs group='<column>' (e.g. the source document id)")
    if cluster is None and group and "sample" in levels:
        cluster = group
    for col, what in ((group, "group"), (cluster, "cluster")):
        if col:
            require_columns(frame, [col], what)
    if "system" in levels:
        require_columns(frame, [system], "system")
    controls = list(controls or [])
    require_columns(frame, controls, "control")
    if by == "auto":
        by = "category" if "category" in frame.columns and "sample" in levels else None
    elif by:
        require_columns(frame, [by], "by")

    caught: list[str] = []
    rows: list[dict] = []
    opts = dict(n_boot=n_boot, ci=ci, seed=seed, min_n=min_n)
    for lv in levels:
        for m in methods:
            for target in targets:
                if lv == "sample":
                    rows += _sample_rows(frame, metrics, target, m, cluster, opts)
                    if controls and m != "kendall":
                        rows += _partial_rows(frame, metrics, target, m, controls, cluster, opts)
                elif lv == "group":
                    rows += _group_rows(frame, metrics, target, m, group, opts)
                else:
                    rows += _system_rows(frame, metrics, target, m, system, opts)
    table = pd.DataFrame(rows, columns=[c for c in _COLUMNS if c != "p_adjusted"])
    table.insert(table.columns.get_loc("p_value") + 1, "p_adjusted", np.nan)
    from ..stats.multiplicity import adjust as adjust_p

    for _, idx in table.groupby(["level", "method", "controls"], sort=False).groups.items():
        table.loc[idx, "p_adjusted"] = adjust_p(table.loc[idx, "p_value"].to_numpy(), adjust).p_adjusted
    for row in table.itertuples():
        if row.status != "ok":
            caught.append(f"{row.metric} ~ {row.target} ({row.level}, {row.method}): {row.status} "
                          f"(n={row.n}, units={row.n_groups}); CI set to [-1, 1]")
        elif precision is not None and (row.ci_high - row.ci_low) / 2 > precision:
            caught.append(f"{row.metric} ~ {row.target} ({row.level}, {row.method}): CI half-width "
                          f"{(row.ci_high - row.ci_low) / 2:.3f} exceeds the requested precision {precision}; "
                          f"about {_n_for(row.estimate, precision)} units would be needed")
    for msg in caught:
        warnings.warn(msg, SmallSampleWarning, stacklevel=2)

    slices = pd.DataFrame()
    simpson = pd.DataFrame()
    if by:
        slices, simpson = _simpson(frame, table, metrics, targets, methods, by, opts)
        for row in simpson.itertuples():
            msg = (f"Simpson's paradox: {row.metric} ~ {row.target} ({row.method}) is {row.pooled:+.3f} pooled but "
                   f"{row.within:+.3f} within {by} (n-weighted mean; {row.slices_agreeing} of {row.slices} slices "
                   f"share that sign). The pooled association reflects differences between {by} values; "
                   f"analyse within {by} or add it as a control.")
            caught.append(msg)
            warnings.warn(msg, SimpsonWarning, stacklevel=2)
    settings = {"levels": levels, "methods": methods, "n_boot": n_boot, "seed": seed, "adjust": adjust, "ci": ci,
                "group": group, "system": system, "cluster": cluster, "controls": controls, "by": by,
                "min_n": min_n, "_simpson": simpson}
    return Correlations(table.reset_index(drop=True), slices, tuple(caught), settings)


def _n_for(r: float, half_width: float) -> int:
    # Fisher z: half-width ~ 1.96 (1 - r^2) / sqrt(n - 3)
    r = 0.0 if not np.isfinite(r) else r
    return int(math.ceil((1.96 * (1 - r * r) / half_width) ** 2 + 3))


def _row(metric: str, target: str, level: str, est: corr.CorrelationEstimate, controls: str = "",
         n: int | None = None, n_groups: int | None = None) -> dict:
    return {"metric": metric, "target": target, "level": level, "method": est.method, "controls": controls,
            "estimate": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high, "p_value": est.p_value,
            "n": int(est.n if n is None else n),
            "n_groups": n_groups if n_groups is not None else (est.n_clusters if est.n_clusters is not None else np.nan),
            "ci_method": est.ci_method, "status": est.status}


def estimates(frame: pd.DataFrame, metrics: Sequence[str], target: str, method: str, *, cluster: str | None = None,
              **opts) -> dict[str, corr.CorrelationEstimate]:
    """Sample-level estimates of each metric against ``target``; metrics with the same missing
    pattern share resamples."""
    y = numeric(frame, target)
    cl = frame[cluster].to_numpy() if cluster else None
    ok_y = np.isfinite(y) & (pd.notna(frame[cluster]).to_numpy() if cluster else True)
    cols = {m: numeric(frame, m) for m in metrics}
    by_mask: dict[bytes, list[str]] = {}
    for m, x in cols.items():
        by_mask.setdefault(np.packbits(ok_y & np.isfinite(x)).tobytes(), []).append(m)
    out: dict[str, corr.CorrelationEstimate] = {}
    for names in by_mask.values():
        keep = ok_y & np.isfinite(cols[names[0]])
        xs = np.column_stack([cols[m][keep] for m in names]) if keep.any() else np.empty((0, len(names)))
        res = corr.correlations(xs, y[keep], method, clusters=None if cl is None else cl[keep], **opts)
        out.update(zip(names, res))
    return out


def _sample_rows(frame, metrics, target, method, cluster, opts) -> list[dict]:
    ests = estimates(frame, metrics, target, method, cluster=cluster, **opts)
    return [_row(m, target, "sample", ests[m]) for m in metrics]


def _partial_rows(frame, metrics, target, method, controls, cluster, opts) -> list[dict]:
    """Partial correlation: residualise metric and target on the controls (ranks for Spearman,
    as in pingouin's partial_corr), correlate the residuals; df = n - 2 - k."""
    from scipy import stats

    label = ", ".join(controls)
    rows = []
    for m in metrics:
        cols = [m, target] + controls + ([cluster] if cluster else [])
        sub = frame[list(dict.fromkeys(cols))].dropna()
        design = _design(sub, controls, rank=method == "spearman")
        x, y = numeric(sub, m), numeric(sub, target)
        if method == "spearman":
            x, y = stats.rankdata(x), stats.rankdata(y)
        k = design.shape[1] - 1
        n = len(sub)
        if n - k - 3 < 1:
            est = corr.CorrelationEstimate(method, math.nan, -1.0, 1.0, math.nan, n, None,
                                           "none: too few points for the controls", "too few points", math.inf)
            rows.append(_row(m, target, "sample", est, label))
            continue
        beta, *_ = np.linalg.lstsq(design, np.column_stack([x, y]), rcond=None)
        res = np.column_stack([x, y]) - design @ beta
        if np.ptp(res[:, 0]) < 1e-12 or np.ptp(res[:, 1]) < 1e-12:
            est = corr.CorrelationEstimate(method, math.nan, -1.0, 1.0, math.nan, n, None,
                                           "constant input", "constant input", math.inf)
            rows.append(_row(m, target, "sample", est, label))
            continue
        r = float(np.corrcoef(res[:, 0], res[:, 1])[0, 1])
        dof = n - 2 - k
        t = r * math.sqrt(dof / max(1 - r * r, 1e-300))
        p = float(2 * stats.t.sf(abs(t), dof))
        if cluster:
            boot = corr.correlations(res[:, :1], res[:, 1], "pearson", clusters=sub[cluster].to_numpy(), **opts)[0]
            est = corr.CorrelationEstimate(method, r, boot.ci_low, boot.ci_high, boot.p_value, n, boot.n_clusters,
                                           boot.ci_method + " of residuals", boot.status, boot.se_z, boot.n_boot)
        elif n < opts["min_n"]:
            est = corr.CorrelationEstimate(method, r, -1.0, 1.0, math.nan, n, None, f"none: too few points ({n})",
                                           "too few points", math.inf)
        else:
            # Fisher z with n - k - 3 (Pearson); Bonett & Wright (2000) variance for Spearman
            scale = math.sqrt(1 + r * r / 2) if method == "spearman" else 1.0
            lo, hi, se = corr.fisher_interval(r, n - k, opts["ci"], scale)
            est = corr.CorrelationEstimate(method, r, lo, hi, p, n, None,
                                           "fisher z" + (" (Bonett-Wright)" if scale != 1 else ""), "ok", se)
        rows.append(_row(m, target, "sample", est, label))
    return rows


def _design(sub: pd.DataFrame, controls: Sequence[str], rank: bool) -> np.ndarray:
    from scipy import stats

    parts = [np.ones((len(sub), 1))]
    for c in controls:
        col = sub[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            v = col.to_numpy(dtype=float)
            parts.append((stats.rankdata(v) if rank else v)[:, None])
        else:
            dummies = pd.get_dummies(col.astype(str), drop_first=True, dtype=float)
            if dummies.shape[1]:
                parts.append(dummies.to_numpy())
    return np.column_stack(parts)


def group_coefficients(frame: pd.DataFrame, metric: str, target: str, method: str, group: str) -> pd.Series:
    """Per-group coefficient (NaN where either side is constant or n < 2), indexed by group."""
    sub = pd.DataFrame({"g": frame[group].to_numpy(), "x": numeric(frame, metric), "y": numeric(frame, target)}).dropna()
    if sub.empty:
        return pd.Series(dtype=float)
    sub = sub.sort_values("g", kind="stable")
    if method == "kendall":
        return _group_kendall(sub)
    if method == "spearman":
        sub["x"] = sub.groupby("g", sort=True)["x"].rank(method="average")
        sub["y"] = sub.groupby("g", sort=True)["y"].rank(method="average")
    g = sub.groupby("g", sort=True)
    mx, my = g["x"].transform("mean"), g["y"].transform("mean")
    dx, dy = sub["x"] - mx, sub["y"] - my
    sums = pd.DataFrame({"g": sub["g"], "xy": dx * dy, "xx": dx * dx, "yy": dy * dy}).groupby("g", sort=True).sum()
    const = (g["x"].nunique() < 2) | (g["y"].nunique() < 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = sums["xy"] / np.sqrt(sums["xx"] * sums["yy"])
    r[const.to_numpy()] = np.nan
    return r.clip(-1, 1)


def _group_kendall(sub: pd.DataFrame) -> pd.Series:
    """tau-b within each group by pair expansion (exact; groups are small in meta-evaluation)."""
    from scipy import stats

    codes, uniques = pd.factorize(sub["g"], sort=True)
    x, y = sub["x"].to_numpy(), sub["y"].to_numpy()
    sizes = np.bincount(codes)
    out = np.full(len(uniques), np.nan)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    small = sizes <= 200
    for size in np.unique(sizes[small]):
        gs = np.flatnonzero(sizes == size)
        if size < 2:
            continue
        i, j = np.triu_indices(size, k=1)
        base = starts[gs][:, None]
        sx = np.sign(x[base + i] - x[base + j])
        sy = np.sign(y[base + i] - y[base + j])
        num = (sx * sy).sum(axis=1)
        den = np.sqrt((sx != 0).sum(axis=1) * (sy != 0).sum(axis=1).astype(float))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[gs] = np.where(den > 0, num / den, np.nan)
    for gi in np.flatnonzero(~small):
        s = slice(starts[gi], starts[gi] + sizes[gi])
        if np.ptp(x[s]) > 0 and np.ptp(y[s]) > 0:
            out[gi] = stats.kendalltau(x[s], y[s]).statistic
    return pd.Series(out, index=uniques)


def _group_rows(frame, metrics, target, method, group, opts) -> list[dict]:
    from scipy import stats

    rows = []
    for m in metrics:
        coefs = group_coefficients(frame, m, target, method, group)
        kept = coefs.dropna().to_numpy()
        n_rows = int(frame[frame[group].isin(coefs.dropna().index)][[m, target]].dropna().shape[0])
        g = len(kept)
        if g == 0:
            est = corr.CorrelationEstimate(method, math.nan, -1.0, 1.0, math.nan, 0, 0,
                                           "none: every group is constant", "constant input", math.inf)
        else:
            mean = float(kept.mean())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p = float(stats.ttest_1samp(kept, 0.0).pvalue) if g > 1 and np.ptp(kept) > 0 else math.nan
            if g < opts["min_n"]:
                est = corr.CorrelationEstimate(method, mean, -1.0, 1.0, math.nan, n_rows, g,
                                               f"none: too few groups ({g} < {opts['min_n']})", "too few points", math.inf)
            else:
                from ..stats.intervals import bootstrap_mean_ci

                iv = bootstrap_mean_ci(kept, confidence=opts["ci"], n_boot=opts["n_boot"], seed=opts["seed"])
                est = corr.CorrelationEstimate(method, mean, float(iv.low), float(iv.high), p, n_rows, g,
                                               f"bootstrap over groups (B={opts['n_boot']}); p: one-sample t-test",
                                               "ok", math.nan)
        rows.append(_row(m, target, "group", est, n=est.n, n_groups=g))
    return rows


def system_means(frame: pd.DataFrame, columns: Sequence[str], system: str) -> pd.DataFrame:
    return frame.groupby(system, sort=True)[list(columns)].mean()


def _system_rows(frame, metrics, target, method, system, opts) -> list[dict]:
    rows = []
    for m in metrics:
        sub = frame[[system, m, target]].dropna()
        means = system_means(sub, [m, target], system)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallSampleWarning)
            est = corr.correlations(means[[m]].to_numpy(), means[target].to_numpy(), method, **opts)[0]
        rows.append(_row(m, target, "system", est, n=len(sub), n_groups=len(means)))
    return rows


def _simpson(frame, table, metrics, targets, methods, by, opts) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-slice estimates, and pairs whose pooled and within-slice signs disagree."""
    slice_rows = []
    for value, part in frame.groupby(by, sort=True):
        for m in methods:
            for target in targets:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", SmallSampleWarning)
                    ests = estimates(part, metrics, target, m, **opts)
                for metric, est in ests.items():
                    slice_rows.append({"metric": metric, "target": target, "method": m, "by": by, "slice": value,
                                       "estimate": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high,
                                       "p_value": est.p_value, "n": est.n, "status": est.status})
    slices = pd.DataFrame(slice_rows)
    flagged = []
    pooled = table[(table["level"] == "sample") & (table["controls"] == "")]
    tol = 0.02
    for row in pooled.itertuples():
        part = slices[(slices["metric"] == row.metric) & (slices["target"] == row.target)
                      & (slices["method"] == row.method)].dropna(subset=["estimate"])
        if len(part) < 2 or not np.isfinite(row.estimate):
            continue
        within = float(np.average(part["estimate"], weights=part["n"]))
        agree = int((np.sign(part["estimate"]) == np.sign(within)).sum())
        if (np.sign(within) != np.sign(row.estimate) and abs(within) > tol and abs(row.estimate) > tol
                and agree * 2 > len(part)):
            flagged.append({"metric": row.metric, "target": row.target, "method": row.method,
                            "pooled": row.estimate, "within": within, "slices": len(part),
                            "slices_agreeing": agree})
    return slices, pd.DataFrame(flagged, columns=["metric", "target", "method", "pooled", "within", "slices",
                                                  "slices_agreeing"])

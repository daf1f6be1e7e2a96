"""The report's sections: each calls the public analysis API and fills a :class:`Section`.

A section never formats data as HTML itself: tables go through ``frame_html`` (escaped) and charts
through vl-convert into ``<img>`` sources. Anything a section cannot compute raises ``Skip`` (shown
as "not available: why") or any other exception (shown the same way); the others still render.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import pandas as pd

from .. import roles
from .._display import frame_html, text_of

KEY_COLUMNS = roles.KEY_COLUMNS
QUALITY_HINTS = ("judge_faithfulness", "judge_relevance", "judge_helpfulness", "human_rating", "accuracy",
                 "exact_match", "token_f1", "rougeL", "rouge1", "pass@1")
TEXT_COLUMNS = ("input", "output", "reference")


COMPARE_COLUMNS = ("model", "metric", "statistic", "baseline", "candidate", "difference", "ci_low", "ci_high",
                   "p_adjusted", "better", "n_pairs", "note")
GATE_COLUMNS = ("model", "metric", "slice", "mode", "rule", "threshold", "estimate", "ci_low", "ci_high", "n",
                "status", "reason", "p_adjusted")
SLICE_COLUMNS = ("level", "slice", "n", "failures", "failure_rate", "ci_low", "ci_high", "rest_rate", "lift",
                 "p_adjusted", "significant", "note")


def _columns(frame: pd.DataFrame, wanted: Sequence[str]) -> pd.DataFrame:
    """The readable subset of a result table (the full table stays in the core's result)."""
    cols = [c for c in wanted if c in frame.columns]
    return frame[cols] if cols else frame


class Skip(Exception):
    """The section does not apply to these inputs (e.g. no KPI log given)."""


@dataclass
class Context:
    runs: Any
    kpis: Any = None
    portfolio: Any = None
    scores: Any = None
    metrics: Sequence[str] | None = None
    kpi: str | None = None
    max_chars: int = 2_000
    examples: int = 5
    seed: int = 0
    recalibration: Any = None
    baseline: str | None = None
    drift_window: str | None = None   # "YYYY-MM": the current window starts there (default: newest month)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)   # appendix entries beside the score signatures
    # the result objects the sections computed (compare per candidate, correlate, worst_slices): the
    # decision section summarises these, never recomputes them
    results: dict[str, Any] = field(default_factory=dict)
    _gate_results: Any = None
    _scored: Any = None
    _joined: Any = None

    # -- the per-item frame and its metric columns ---------------------------------------------
    def scored(self) -> Any:
        """Scores (given, or scored from ``metrics``) or the runs' own frame of numeric columns."""
        if self._scored is None:
            import evalnb

            if self.scores is not None:
                self._scored = self.scores
            elif self.metrics:
                self._scored = evalnb.score(self.runs, list(self.metrics), progress=False)
            else:
                self._scored = self.runs.df
        return self._scored

    def selected(self) -> Any:
        """The scores as summarize/compare should see them: naming ``rouge1`` selects that column
        alone (a metric's name would bring all its outputs: ``rouge1_precision``, ``rouge1_recall``,
        each bootstrapped for nothing). The metrics stay attached to their output columns, so
        corpus aggregation (BLEU, chrF from summed statistics) and directions are unchanged."""
        import dataclasses

        s = self.scored()
        if not getattr(s, "metrics", None) or not dataclasses.is_dataclass(s):
            return s
        return dataclasses.replace(s, metrics={f"{name} (outputs)": m for name, m in s.metrics.items()})

    @property
    def frame(self) -> pd.DataFrame:
        s = self.scored()
        return s.df if hasattr(s, "df") else s

    def metric_columns(self) -> list[str]:
        s = self.scored()
        if hasattr(s, "score_columns") and s.score_columns:
            # each metric's headline output (rouge1, not rouge1_precision/_recall): the report's tables
            # stay one column per metric; the per-item frame and the CSV keep every output
            cols = [c for m in s.metrics.values() for c in list(m.columns)[:1] if c in s.df.columns] \
                if getattr(s, "metrics", None) else list(s.score_columns)
            cols += [c for c in self.gated_columns() if c in s.df and c not in cols]
            return cols + [c for c in ("latency_ms", "cost_usd") if c in s.df and c not in cols]
        df = self.frame
        skip = set(KEY_COLUMNS) | {"source_line", "prompt_tokens", "completion_tokens"}
        kpi = set(self.kpis.kpi_columns) if self.kpis is not None else set()
        return [c for c in df.columns if c not in skip and c not in kpi and not str(c).startswith("_")
                and "__" not in str(c) and pd.api.types.is_numeric_dtype(df[c])
                and not pd.api.types.is_bool_dtype(df[c]) and df[c].notna().any()]

    def gated_columns(self) -> list[str]:
        """The columns the portfolio's gates read (kept in every section even if not a headline)."""
        if self.portfolio is None:
            return []
        return [str(spec.column) for _role, spec in self.portfolio.metrics()]

    def quality_metric(self) -> str | None:
        cols = self.metric_columns()
        for hint in QUALITY_HINTS:
            if hint in cols:
                return hint
        quality = [c for c in cols if not lower_is_better(c)]
        return quality[0] if quality else None

    def joined(self) -> pd.DataFrame:
        import evalnb

        if self.kpis is None:
            raise Skip("no KPI log given (pass kpis=... or --kpis)")
        if self._joined is None:  # joined once, shared by every section that needs the KPIs
            self._joined = evalnb.join_kpis(self.frame, self.kpis)
        return self._joined

    def kpi_column(self) -> str:
        if self.kpis is None:
            raise Skip("no KPI log given (pass kpis=... or --kpis)")
        cols = list(self.kpis.kpi_columns)
        kpi = self.kpi or (cols[0] if cols else None)
        if kpi is None or kpi not in cols:
            raise Skip(f"KPI {kpi!r} not in the KPI log; columns: {', '.join(cols)}")
        return kpi

    def signatures(self) -> dict[str, str]:
        s = self.scored()
        return {**dict(getattr(s, "signatures", {}) or {}), **self.methods}


def lower_is_better(column: str, metrics: Any = None) -> bool:
    """Direction of a column, decided by :mod:`evalnb.roles` (metric object, then the name rule)."""
    return roles.lower_is_better(column, metrics)


def default_failure(values: pd.Series, column: str) -> Any:
    """What fails by default: 0 for 0/1 metrics, below 3 on a 1-5 judge scale, else the worst quartile."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty or roles.is_binary(v):
        return None
    if len(v) and v.between(1, 5).all() and v.max() > 1:   # a 1-5 judge/rating scale
        return ">3" if lower_is_better(column) else "<3"
    q = float(v.quantile(0.75 if lower_is_better(column) else 0.25))
    return f">{q:.6g}" if lower_is_better(column) else f"<{q:.6g}"


def _table(ctx: Context, sec: Any, name: str, df: pd.DataFrame, caption: str | None = None) -> None:
    ctx.tables[name] = df
    sec.tables.append(frame_html(df, max_chars=ctx.max_chars, caption=caption))


def _chart(sec: Any, chart: Any, alt_text: str) -> None:
    from .charts import chart_img

    sec.charts.append(chart_img(chart, alt_text))


# -- sections ------------------------------------------------------------------------------------
def summary(ctx: Context, sec: Any) -> None:
    import evalnb

    sec.intro = ("Per-model estimates with 95% confidence intervals (bootstrap for means, Wilson for "
                 "rates, order statistics for latency percentiles).")
    cols = ctx.metric_columns()
    if not cols:
        raise Skip("no numeric metric columns in the runs")
    result = evalnb.summarize(ctx.selected(), by=["model"], metrics=cols, n_boot=500, seed=ctx.seed, progress=False)
    wide = result.table()   # a metric name brings all its outputs: show the headline columns only
    wide = wide[[c for c in wide.columns if c not in set(result.to_frame()["metric"]) or c in cols]]
    _table(ctx, sec, "summary", wide, caption="Per-model summary: estimate [95% CI]")
    long = result.to_frame()
    ctx.tables["summary_long"] = long[long["metric"].isin(cols)].reset_index(drop=True)
    try:
        _chart(sec, result.chart(cols[:6]), "Per-model estimates with 95% CIs")
    except Exception as exc:  # a chart problem must not hide the table
        sec.warnings.append(f"chart not rendered: {exc}")


def compare(ctx: Context, sec: Any) -> None:
    import evalnb

    models = ctx.runs.models
    if len(models) < 2:
        raise Skip("one model only: nothing to compare")
    quality = ctx.quality_metric()
    sec.intro = ("Each model against a baseline on matched items: paired difference with a bootstrap CI "
                 "and a p-value adjusted across metrics; and cost against quality.")
    baseline = baseline_model(ctx) or models[0]
    cols = ctx.metric_columns()
    rows = []
    ctx.results["compare_baseline"] = baseline
    ctx.results["compare"] = {}
    for cand in [m for m in models if m != baseline]:
        res = evalnb.compare(ctx.selected(), baseline=baseline, candidate=cand, metrics=cols, n_boot=1000, seed=ctx.seed)
        ctx.results["compare"][cand] = res
        frame = res.to_frame()
        if "metric" in frame:   # a metric name brings all its outputs: keep the headline columns
            frame = frame[frame["metric"].isin(cols)]
        frame.insert(0, "model", cand)
        rows.append(_columns(frame, COMPARE_COLUMNS))
    if rows:
        _table(ctx, sec, "compare", pd.concat(rows, ignore_index=True),
               caption=f"Paired comparisons against {baseline}")
    if quality and "cost_usd" in ctx.frame:
        import altair as alt

        df = ctx.frame
        pts = df.groupby("model").agg(cost=("cost_usd", "mean"), quality=(quality, "mean")).reset_index()
        pts["model"] = pts["model"].map(lambda v: text_of(v)[:60])
        chart = alt.Chart(pts).mark_circle(size=160).encode(
            x=alt.X("cost:Q", title="mean cost per request (USD)", scale=alt.Scale(zero=False)),
            y=alt.Y("quality:Q", title=f"mean {quality}", scale=alt.Scale(zero=False)),
            color="model:N", tooltip=["model:N", "cost:Q", "quality:Q"],
        ).properties(width=420, height=260, title="Cost vs quality")
        _chart(sec, chart, f"Cost per request vs mean {quality} per model")


def failures(ctx: Context, sec: Any) -> None:
    import evalnb

    quality = ctx.quality_metric()
    if quality is None:
        raise Skip("no quality metric to define failures")
    sec.intro = (f"Slices whose failure rate on {quality} is significantly above the rest "
                 "(adjusted p-values), per model.")
    by = [c for c in ("category", "task") if c in ctx.frame][:1] or ["model"]
    result = evalnb.worst_slices(ctx.scored(), metric=quality, by=by, failure=default_failure(ctx.frame[quality], quality))
    ctx.results["worst_slices"] = result
    _table(ctx, sec, "worst_slices", _columns(result.to_frame().head(30), SLICE_COLUMNS), caption="Worst slices")
    if hasattr(result, "chart"):
        try:
            _chart(sec, result.chart(), "Failure rate by slice")
        except Exception as exc:
            sec.warnings.append(f"chart not rendered: {exc}")


def kpi_validation(ctx: Context, sec: Any) -> None:
    import evalnb

    kpi = ctx.kpi_column()
    data = ctx.joined()
    cols = [c for c in ctx.metric_columns() if c in data]
    sec.intro = (f"Association of each offline metric with the production KPI '{kpi}': coefficient, 95% CI, "
                 "adjusted p-value, n (rank-correlation CIs: bootstrap, B=500). Metrics that do not predict "
                 "the KPI should not gate deployment.")
    result = evalnb.correlate(data, metrics=cols, targets=[kpi], n_boot=500, seed=ctx.seed)
    ctx.results["correlate"] = result
    _table(ctx, sec, "kpi_validation", result.to_frame(), caption=f"Metric vs {kpi}")
    try:
        _chart(sec, result.chart(), f"Associations with {kpi} (95% CIs)")
    except Exception as exc:
        sec.warnings.append(f"chart not rendered: {exc}")


DRIFT_BOOT = 300   # the Explorer's Drift tab uses the same B, so both show the same intervals


def drift_metrics(ctx: Context) -> list[str]:
    """The score columns tested for drift: the headline metrics, without the operational columns
    (drift tests those as inputs)."""
    return [c for c in ctx.metric_columns() if c not in ("latency_ms", "cost_usd")]


def drift(ctx: Context, sec: Any) -> None:
    """Distribution, score and validity drift (``evalnb.drift_since``: reference = before the window's
    month, current = from it on, all models), and the metric-KPI association per month
    (``evalnb.validity_drift``) when a KPI log is given."""
    import evalnb

    data = ctx.joined() if ctx.kpis is not None else ctx.frame
    covered = evalnb.drift_months(data)
    if len(covered) < 2:
        ctx.results["drift_skipped"] = ("not checked: the runs have no timestamps" if not covered
                                        else f"not checked: the runs cover one month only ({covered[0]})")
        raise Skip(ctx.results["drift_skipped"])
    kpi = ctx.kpi_column() if ctx.kpis is not None else None
    metrics = drift_metrics(ctx)
    result = evalnb.drift_since(data, ctx.drift_window, metrics=metrics, kpi=kpi, portfolio=ctx.portfolio,
                                n_boot=DRIFT_BOOT, seed=ctx.seed)
    ctx.results["drift"] = result
    sec.intro = (f"Rows {result.current} against the rows {result.reference} (all models; months covered: "
                 f"{covered[0]} to {covered[-1]}; choose the window with --drift-window). An alert needs a "
                 f"Holm-adjusted p < {result.settings['alpha']} and, for distributions, PSI >= "
                 f"{result.settings['psi_alert']}.")
    alerts = pd.DataFrame([a.__dict__ for a in result.alerts], columns=["kind", "column", "message", "trigger", "action"])
    _table(ctx, sec, "drift_alerts", alerts, caption=f"Drift alerts: {result.current} vs {result.reference}")
    _table(ctx, sec, "drift", _columns(result.to_frame(), ("section", "kind", "column", "metric", "test", "statistic",
                                                           "psi", "p_adjusted", "alert", "detail")),
           caption="Every drift test")
    try:
        _chart(sec, result.chart(), "Population stability index per column")
    except Exception as exc:
        sec.warnings.append(f"chart not rendered: {exc}")
    if kpi is not None:
        # validity drift asks whether a metric still rises with the KPI (an association below its
        # threshold alerts), so only higher-is-better metrics are asked: a safety-violation rate is
        # meant to fall as the KPI rises and would "decouple" in every month
        rising = [m for m in metrics if not lower_is_better(m, getattr(ctx.scored(), "metrics", None))]
        if not rising:
            return
        vd = evalnb.validity_drift(data, rising, kpi, n_boot=DRIFT_BOOT, seed=ctx.seed)
        ctx.results["validity_drift"] = vd
        _table(ctx, sec, "validity_drift", _columns(vd.to_frame(), ("window", "metric", "kpi", "estimate", "ci_low",
                                                                    "ci_high", "n", "p_adjusted", "status", "alert")),
               caption=f"Validity drift: each metric's association with {kpi} per month")
        try:
            _chart(sec, vd.chart(), f"Association with {kpi} per month")
        except Exception as exc:
            sec.warnings.append(f"chart not rendered: {exc}")


def baseline_model(ctx: Context) -> str | None:
    """The model named by ``ctx.baseline`` (a model, or a run_id mapped to its model), else None."""
    if not ctx.baseline:
        return None
    df = ctx.runs.df
    if ctx.baseline in set(df["model"]):
        return str(ctx.baseline)
    if "run_id" in df:
        hit = df.loc[df["run_id"] == ctx.baseline, "model"]
        if len(hit):
            return str(hit.iloc[0])
    return None


def gate_results(ctx: Context) -> pd.DataFrame:
    """Every model's gate table, computed once for the decision matrix and the gates section.

    With ``ctx.baseline`` (a model or run_id), relative gates compare each model with that run on
    matched items, and the baseline itself is not gated against itself.
    """
    import evalnb

    if ctx._gate_results is not None:
        return ctx._gate_results
    if ctx.portfolio is None:
        raise Skip("no portfolio given (pass portfolio=... or --portfolio)")
    baseline = None
    models = list(ctx.runs.models)
    df = ctx.frame   # the scored frame: gates read the score columns (the runs alone lack them)
    if ctx.baseline:
        pick = df["model"] == ctx.baseline
        if not pick.any() and "run_id" in df:
            pick = df["run_id"] == ctx.baseline
        if not pick.any():
            raise Skip(f"baseline '{ctx.baseline}' matches no model or run_id; models: {', '.join(models)}")
        baseline = df[pick].reset_index(drop=True)
        models = [m for m in models if m not in set(baseline["model"])]
    rows = []
    for model in models:
        res = evalnb.gate(ctx.portfolio, df[df["model"] == model].reset_index(drop=True), baseline=baseline)
        frame = res.to_frame()
        frame.insert(0, "model", model)
        rows.append(frame)
    ctx._gate_results = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return ctx._gate_results


def gates(ctx: Context, sec: Any) -> None:
    frame = gate_results(ctx)
    sec.intro = ("Each model's run against the portfolio's deployment gates (fail closed on NaN or small n)"
                 + (f"; relative gates against the baseline {ctx.baseline}." if ctx.baseline else ".")
                 + " Each threshold comes from the portfolio's gate. Methods and signatures: see the appendix;"
                 " the full table (every column) is in the CSV export.")
    _table(ctx, sec, "gates", _columns(frame, GATE_COLUMNS), caption="Gate results")
    ctx.tables["gates"] = frame   # the CSV export keeps every column
    for col in ("method", "signature"):
        if col in frame:
            for metric, value in frame.groupby("metric", sort=False)[col].first().items():
                if isinstance(value, str) and value:
                    ctx.methods[f"gate {metric} {col}"] = f"gate {metric}: {col} {value}"


def decision(ctx: Context, sec: Any) -> None:
    """The first screen: which models pass which gate (a coloured model x gate matrix); then, from
    the results other sections computed (computed last, shown first): the significant changes
    against the baseline, a forest plot of the metrics' associations with the KPI, the top alerts."""
    import html as _html

    frame = gate_results(ctx)
    if frame.empty:
        raise Skip("no model to gate")
    overall = frame[frame["slice"].fillna("").astype(str).isin(["", "all", "None"])] if "slice" in frame else frame
    overall = overall if not overall.empty else frame
    matrix = (overall.groupby(["model", "column"], sort=False)["status"]
              .agg(lambda s: "fail" if (s == "fail").any() else ("error" if (s != "pass").any() else "pass"))
              .unstack("column"))
    verdict = frame.groupby("model", sort=False)["status"].agg(
        lambda s: "fail" if (s == "fail").any() else ("error" if (s != "pass").any() else "pass"))
    passing = [m for m, v in verdict.items() if v == "pass"]
    sec.intro = (f"{len(passing)} of {len(verdict)} model(s) pass every gate"
                 + (f": {', '.join(passing)}" if passing else "") + ". Cells: pass / fail / error (could not be "
                 "evaluated: fails closed); details in the Gates section.")
    head = "".join(f"<th>{_html.escape(str(c))}</th>" for c in ["model", "all gates", *matrix.columns])
    body = []
    for model, row in matrix.iterrows():
        cells = [f"<th>{_html.escape(str(model))}</th>",
                 f'<td class="gate-{verdict[model]}">{verdict[model].upper()}</td>']
        cells += [f'<td class="gate-{v}">{_html.escape(str(v)).upper()}</td>' if isinstance(v, str) else "<td>-</td>"
                  for v in row]
        body.append("<tr>" + "".join(cells) + "</tr>")
    ctx.tables["decision"] = matrix.assign(all_gates=verdict).reset_index()
    sec.tables.append(f'<table class="evalnb-table decision"><caption>Decision: model x gate</caption>'
                      f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
    _decision_digest(ctx, sec)


MAX_CHANGES, MAX_ALERTS, MAX_FOREST = 8, 5, 12


def significant_changes(ctx: Context) -> pd.DataFrame:
    """The comparisons section's significant rows (each candidate's ``compare()`` result, the
    headline metrics only), largest |difference / baseline| first; empty when nothing was compared."""
    found = ctx.results.get("compare") or {}
    cols = set(ctx.metric_columns())
    rows = []
    for cand, res in found.items():
        frame = res.to_frame()
        frame = frame[frame["metric"].isin(cols) & frame["significant"].fillna(False).astype(bool)]
        rows.append(frame.assign(model=cand))
    if not rows:
        return pd.DataFrame(columns=["model", "metric", "difference", "better"])
    out = pd.concat(rows, ignore_index=True)
    scale = out["baseline"].abs().where(out["baseline"].abs() > 0, 1.0)
    return out.assign(_size=(out["difference"] / scale).abs()).sort_values(
        "_size", ascending=False, kind="stable").drop(columns="_size").reset_index(drop=True)


def forest_rows(ctx: Context) -> pd.DataFrame:
    """The KPI section's ``correlate()`` rows drawn in the decision's forest plot: one method (the
    result's first), the sample level, at most ``MAX_FOREST`` metrics."""
    res = ctx.results.get("correlate")
    if res is None:
        return pd.DataFrame(columns=["metric", "estimate", "ci_low", "ci_high"])
    frame = res.to_frame()
    frame = frame[frame["estimate"].notna()]
    if frame.empty:
        return frame
    first = frame.iloc[0]
    keep = frame["method"] == first["method"]
    if "level" in frame:
        keep &= frame["level"] == first["level"]
    return frame[keep].head(MAX_FOREST).reset_index(drop=True)


def top_alerts(ctx: Context) -> pd.DataFrame:
    """The failures section's ``worst_slices()`` significant rows, in its order (worst first), top
    ``MAX_ALERTS``."""
    res = ctx.results.get("worst_slices")
    if res is None:
        return pd.DataFrame(columns=["slice", "failure_rate", "rest_rate"])
    frame = res.to_frame()
    if "significant" in frame:
        frame = frame[frame["significant"].fillna(False).astype(bool)]
    return frame.head(MAX_ALERTS).reset_index(drop=True)


def drift_alerts(ctx: Context) -> pd.DataFrame:
    """The drift section's alerts on distributions, scores and triggers (its validity alerts are the
    monthly ``validity_drift`` ones, listed apart), in its order, top ``MAX_ALERTS``."""
    res = ctx.results.get("drift")
    rows = [a.__dict__ for a in (res.alerts if res is not None else ()) if a.kind != "validity"
            or ctx.results.get("validity_drift") is None]
    return pd.DataFrame(rows, columns=["kind", "column", "message", "trigger", "action"]).head(MAX_ALERTS)


def validity_alerts(ctx: Context) -> pd.DataFrame:
    """The monthly ``validity_drift()`` alerts (a metric that stopped predicting the KPI), top ``MAX_ALERTS``."""
    res = ctx.results.get("validity_drift")
    if res is None:
        return pd.DataFrame(columns=["window", "metric", "estimate", "status"])
    return res.alerts.head(MAX_ALERTS).reset_index(drop=True)


def _fmt(v: Any) -> str:
    try:
        return f"{float(v):.3g}"
    except (TypeError, ValueError):
        return text_of(v)


def _decision_digest(ctx: Context, sec: Any) -> None:
    """What changed against the baseline, which metrics predict the KPI, the top alerts: each a few
    escaped lines from results other sections computed, linking to that section."""
    import html as _html

    esc = lambda v, cut=80: _html.escape(text_of(v)[:cut])   # noqa: E731  untrusted names: escaped and cut
    parts = []
    changes = significant_changes(ctx)
    ctx.tables["decision_changes"] = changes
    base = ctx.results.get("compare_baseline")
    if base is not None:
        items = [f"<li>{esc(r.model)} {esc(r.metric)}: {_fmt(r.difference)} "
                 f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}], p_adj {_fmt(r.p_adjusted)} ({esc(r.better)} better)</li>"
                 for r in changes.head(MAX_CHANGES).itertuples()]
        more = len(changes) - MAX_CHANGES
        parts.append(f'<div class="digest"><h3><a href="#compare">Changed against {esc(base)}</a></h3>'
                     + (f"<ul>{''.join(items)}</ul>" if items else "<p>No significant change.</p>")
                     + (f'<p><a href="#compare">{more} more</a></p>' if more > 0 else "") + "</div>")
    alerts = top_alerts(ctx)
    ctx.tables["decision_alerts"] = alerts
    if ctx.results.get("worst_slices") is not None:
        items = [f"<li>{esc(r.slice)}: failure rate {_fmt(r.failure_rate)} vs {_fmt(r.rest_rate)} elsewhere "
                 f"(n={int(r.n)}, p_adj {_fmt(r.p_adjusted)})</li>" for r in alerts.itertuples()]
        parts.append('<div class="digest"><h3><a href="#failures">Top alerts: worst slices</a></h3>'
                     + (f"<ul>{''.join(items)}</ul>" if items else "<p>No significant slice.</p>") + "</div>")
    found = ctx.results.get("drift")
    if found is not None:
        rows = drift_alerts(ctx)
        ctx.tables["decision_drift"] = rows
        items = [f"<li>{esc(r.kind)} {esc(r.column)}: {esc(r.message, 300)}"
                 + (f" (trigger {esc(r.trigger)}: {esc(r.action)})" if r.trigger else "") + "</li>" for r in rows.itertuples()]
        parts.append(f'<div class="digest"><h3><a href="#drift">Top alerts: drift {esc(found.current)} vs '
                     f'{esc(found.reference)}</a></h3>' + (f"<ul>{''.join(items)}</ul>" if items else "<p>No drift alert.</p>")
                     + "</div>")
        if ctx.results.get("validity_drift") is not None:
            rows = validity_alerts(ctx)
            ctx.tables["decision_validity"] = rows
            items = [f"<li>{esc(r.metric)} in {esc(r.window)}: association with {esc(r.kpi)} {_fmt(r.estimate)} "
                     f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}], {esc(r.status)}</li>" for r in rows.itertuples()]
            parts.append('<div class="digest"><h3><a href="#drift">Top alerts: validity drift</a></h3>'
                         + (f"<ul>{''.join(items)}</ul>" if items else "<p>Every metric still tracks the KPI.</p>") + "</div>")
    else:
        why = ctx.results.get("drift_skipped", "not available: see the Drift section")
        parts.append(f'<div class="digest"><h3><a href="#drift">Drift</a></h3><p>{esc(why)}.</p></div>')
    forest = forest_rows(ctx)
    ctx.tables["decision_forest"] = forest
    if not forest.empty:
        import altair as alt

        target = text_of(forest["target"].iloc[0]) if "target" in forest else "KPI"
        pts = forest[["metric", "estimate", "ci_low", "ci_high"]].assign(
            metric=forest["metric"].map(lambda v: text_of(v)[:40])).astype({"estimate": float, "ci_low": float, "ci_high": float})
        y = alt.Y("metric:N", title=None, sort=None)
        chart = (alt.Chart(pts).mark_rule().encode(x=alt.X("ci_low:Q", title=f"association with {target}"), x2="ci_high:Q", y=y)
                 + alt.Chart(pts).mark_point(filled=True).encode(x="estimate:Q", y=y,
                                                                 tooltip=["metric:N", "estimate:Q", "ci_low:Q", "ci_high:Q"])
                 ).properties(width=320, height=max(40, 18 * len(pts)),
                              title=f"Which metrics predict {target} ({text_of(forest['method'].iloc[0])}, 95% CI)")
        _chart(sec, chart, f"Forest plot: association of each metric with {target} (details: KPI validation)")
        parts.append(f'<p class="digest"><a href="#kpi">Which metrics predict {esc(target)}: details in KPI validation</a></p>')
    sec.tables.extend(parts)


def recalibration(ctx: Context, sec: Any) -> None:
    """The recalibration proposal (``evalnb.recalibrate``): re-validation and proposed changes."""
    prop = ctx.recalibration
    if prop is None:
        raise Skip("no recalibration given (pass recalibration=evalnb.recalibrate(...))")
    verdict = "a change is proposed" if prop.changed else "no change is needed"
    sec.intro = (f"Re-validation of the portfolio on {prop.window} against {prop.proposed.outcome.kpi} "
                 f"(compared with {prop.baseline}): {verdict}.")
    _table(ctx, sec, "recalibration", prop.to_frame()[["column", "role", "status", "action", "reason"]],
           caption="Proposed changes")
    _table(ctx, sec, "revalidation", prop.checks, caption="Re-validation")


def examples(ctx: Context, sec: Any) -> None:
    quality = ctx.quality_metric()
    df = ctx.runs.df
    frame = ctx.frame
    sec.intro = (f"The {ctx.examples} lowest-scoring items per model on {quality}, texts escaped and cut at "
                 f"{ctx.max_chars:,} characters (with the full length and SHA-256)." if quality else
                 f"The first {ctx.examples} items per model.")
    picked = []
    for model, idx in df.groupby("model", sort=True).groups.items():
        rows = frame.loc[idx] if len(frame) == len(df) else df.loc[idx]
        if quality and quality in rows:
            rows = rows.sort_values(quality, ascending=not lower_is_better(quality), kind="stable")
        picked.append(rows.index[: ctx.examples])
    positions = [i for chunk in picked for i in chunk]
    cols = [c for c in ("model", "item_id", "category", "task") if c in df] + [c for c in TEXT_COLUMNS if c in df]
    table = df.loc[positions, cols].copy()
    if quality and quality in frame:
        table.insert(len([c for c in ("model", "item_id", "category", "task") if c in df]), quality,
                     frame.loc[positions, quality].to_numpy())
    _table(ctx, sec, "examples", table.reset_index(drop=True), caption="Examples")

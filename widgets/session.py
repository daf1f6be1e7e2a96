"""The Explorer's session: a plain controller that holds state in traitlets and calls evalnb's core.

Views (the tab modules) only mirror these traits into ipywidgets and show what the session
returns; every number comes from here, and here from the public API (``evalnb.summarize``,
``evalnb.compare``, ``evalnb.worst_slices``, ``evalnb.correlate``, ``evalnb.fit_kpi``,
``evalnb.select_portfolio``, ``evalnb.gate``, ``evalnb.drift``, ...). The only computation the
session owns is the interactive slice index (``_slicer.SliceIndex``), a cache that makes a slice
change on 1M rows take milliseconds.

>>> s = Session(runs, kpis)                         # doctest: +SKIP
>>> s.slice_by = "category"; s.models = ["swift-small"]
>>> s.slice_table().head()                          # doctest: +SKIP
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd
import traitlets as t

import evalnb
from evalnb._display import escape, frame_html, reveal, text_of

from ._slicer import SliceIndex

KEYS = ("run_id", "model", "item_id", "sample_id", "task", "category", "request_id", "timestamp")
TEXT_FIELDS = ("input", "output", "reference", "references", "contexts", "retrieved_ids", "label",
               "prediction", "tests")
LOWER_IS_BETTER_HINTS = ("latency", "cost", "violation", "tokens", "handle_time", "escalated", "error")
SLICEABLE_MAX_LEVELS = 200


def lower_is_better(column: str) -> bool:
    """Direction of a metric column when its Metric object does not say."""
    return any(h in column for h in LOWER_IS_BETTER_HINTS)


class Session(t.HasTraits):
    """State of one exploration: the data, the current selections, and calls into the core.

    Parameters
    ----------
    runs : Runs, a DataFrame, or paths/globs for :func:`evalnb.load_runs`.
    kpis : Kpis, a DataFrame, paths, or None.
    scores : precomputed :class:`evalnb.Scores`; default: ``evalnb.score(runs, metrics)`` when
        ``metrics`` are given, else the numeric columns the runs already carry (latency, cost,
        precomputed judge scores, human ratings).
    metrics : metric names to score with ``evalnb.score`` (may be slow for model-based metrics).
    strict : passed to :func:`evalnb.load_runs` when ``runs`` are paths (default False: the
        rejected rows are kept in ``runs.errors`` and shown).
    """

    models = t.List(t.Unicode(), help="models shown (empty: all)")
    metric = t.Unicode("", help="the metric column in focus")
    slice_by = t.Unicode("category", help="column that defines slices")
    slice_value = t.Unicode("", help="the slice drilled into")
    fail_threshold = t.Float(3.0, help="an item fails when its metric is below (or above) this")
    item = t.Unicode("", help="the row key drilled into (run_id|item_id|sample)")
    kpi = t.Unicode("", help="KPI in focus")
    thresholds = t.Dict(help="gate metric -> threshold for the portfolio preview")
    status = t.Unicode("", help="last message for the status bar")

    def __init__(self, runs: Any, kpis: Any = None, scores: Any = None,
                 metrics: Sequence[str] | None = None, strict: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        # strict=False: bad rows are listed (Explorer header) instead of stopping the app
        self.runs = runs if isinstance(runs, evalnb.Runs) else evalnb.load_runs(runs, strict=strict)
        self.kpis = None if kpis is None else (kpis if isinstance(kpis, evalnb.Kpis) else evalnb.load_kpis(kpis))
        if scores is None and metrics:
            scores = evalnb.score(self.runs, list(metrics))
        self.scores = scores
        frame = scores.df if scores is not None else self.runs.df
        if self.kpis is not None and "request_id" in frame:
            frame = evalnb.join_kpis(frame, self.kpis)
        self.frame: pd.DataFrame = frame.reset_index(drop=True)
        self.kpi_columns: list[str] = list(self.kpis.kpi_columns) if self.kpis is not None else []
        self.kpi_columns = [c for c in self.kpi_columns if c in self.frame]
        self.metric_columns: list[str] = self._metric_columns()
        self.group_columns: list[str] = self._group_columns()
        self.index = SliceIndex(self.frame, self.group_columns, self.metric_columns + self.kpi_columns)
        if not self.metric:
            self.metric = self.quality_metric() or (self.metric_columns[0] if self.metric_columns else "")
        if self.kpi_columns and not self.kpi:
            self.kpi = self.kpi_columns[0]
        if self.slice_by not in self.group_columns and self.group_columns:
            self.slice_by = self.group_columns[0]
        self.fail_threshold = self.default_threshold(self.metric)
        if self.metric:  # sort once at load, so the first slice change is as fast as the rest
            self.index.warm(self.group_columns, [self.metric])

    # -- columns -----------------------------------------------------------------------------
    def _metric_columns(self) -> list[str]:
        df = self.frame
        if self.scores is not None and getattr(self.scores, "score_columns", None):
            cols = [c for c in self.scores.score_columns if c in df]
            cols += [c for c in ("latency_ms", "cost_usd") if c in df and c not in cols]
            return cols
        skip = set(KEYS) | set(self.kpi_columns) | {"source_line", "sample_id", "prompt_tokens", "completion_tokens"}
        return [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])
                and not pd.api.types.is_bool_dtype(df[c]) and df[c].notna().any()]

    def _group_columns(self) -> list[str]:
        df = self.frame
        out = []
        for col in ("model", "category", "task", "run_id"):
            if col in df:
                out.append(col)
        for col in df.columns:
            if col in out or col in TEXT_FIELDS or col in ("input", "output", "item_id", "request_id", "timestamp",
                                                            "source_file", "source_line", "relevance"):
                continue
            if df[col].dtype == object or isinstance(df[col].dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(df[col]):
                try:
                    levels = df[col].nunique(dropna=True)
                except TypeError:  # unhashable cells (lists)
                    continue
                if 1 < levels <= SLICEABLE_MAX_LEVELS:
                    out.append(col)
        return out

    @property
    def all_models(self) -> list[str]:
        return self.index.labels("model") if "model" in self.index.groups else []

    def higher_is_better(self, column: str) -> bool:
        if self.scores is not None:
            for m in getattr(self.scores, "metrics", {}).values():
                for o in getattr(m, "outputs", ()):
                    if o.column == column:
                        return bool(o.higher_is_better)
        return not lower_is_better(column)

    def default_threshold(self, column: str) -> float:
        """A starting failure threshold: the 25th percentile (or 75th for lower-is-better)."""
        if not column or column not in self.index.values:
            return 0.0
        v = self.index.values[column]
        v = v[~np.isnan(v)]
        if not len(v):
            return 0.0
        q = 0.25 if self.higher_is_better(column) else 0.75
        val = float(np.quantile(v, q))
        return round(val, 3) if not math.isnan(val) else 0.0

    # -- filters ----------------------------------------------------------------------------
    def filters(self, extra: dict[str, Sequence[str]] | None = None) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        if self.models:
            out["model"] = list(self.models)
        for k, v in (extra or {}).items():
            out[k] = list(v)
        return out

    def selected_frame(self, extra: dict[str, Sequence[str]] | None = None) -> pd.DataFrame:
        rows = self.index.rows(self.filters(extra))
        return self.frame.iloc[rows]

    # -- Runs ---------------------------------------------------------------------------------
    def slice_table(self, by: str | None = None, metric: str | None = None) -> pd.DataFrame:
        """Per-slice n, mean, p50, p95 and failure rate of the metric in focus (fast path)."""
        by = by or self.slice_by
        metric = metric or self.metric
        hib = self.higher_is_better(metric)
        kw = {"fail_below": self.fail_threshold} if hib else {"fail_above": self.fail_threshold}
        table = self.index.stats(by, metric, self.filters(), **kw)
        return table.rename(columns={"slice": by}).sort_values("failure_rate", ascending=False,
                                                               kind="stable").reset_index(drop=True)

    def slice_chart(self, table: pd.DataFrame | None = None, by: str | None = None):
        """Bar chart of failure rate per slice (model text enters the chart only as data)."""
        import altair as alt

        by = by or self.slice_by
        table = self.slice_table(by) if table is None else table
        data = table[[by, "n", "failure_rate", "mean"]].copy()
        # the drilled slice is highlighted (a linked selection); computed here as data, so no
        # model text ever enters a Vega expression (R04)
        data["drilled"] = data[by].astype(str) == (self.slice_value if by == self.slice_by else "")
        data[by] = data[by].map(lambda v: reveal(text_of(v))[:80])
        return alt.Chart(data).mark_bar().encode(
            color=alt.Color("drilled:N", legend=None,
                            scale=alt.Scale(domain=[False, True], range=["#4c78a8", "#e45756"])),
            x=alt.X("failure_rate:Q", title=f"failure rate ({self.metric} "
                    f"{'<' if self.higher_is_better(self.metric) else '>'} {self.fail_threshold:g})"),
            y=alt.Y(f"{by}:N", sort="-x", title=by),
            tooltip=[alt.Tooltip(f"{by}:N"), alt.Tooltip("n:Q"), alt.Tooltip("failure_rate:Q", format=".1%"),
                     alt.Tooltip("mean:Q", format=".3f")],
        ).properties(width=420, height=max(80, 22 * len(data)), title=f"Failures by {by}")

    def model_overview(self) -> pd.DataFrame:
        """Per-model rows, items and means of the first metric columns (the Runs tab's table)."""
        df = self.selected_frame()
        cols = self.metric_columns[:8]
        table = df.groupby("model")[cols].mean(numeric_only=True)
        table.insert(0, "rows", df.groupby("model").size())
        return table.reset_index()

    # -- drill-down ---------------------------------------------------------------------------
    def items(self, slice_value: str | None = None, limit: int = 50) -> pd.DataFrame:
        """Rows of the drilled slice (failing first) with their keys and the metric in focus."""
        value = self.slice_value if slice_value is None else slice_value
        extra = {self.slice_by: [value]} if value else None
        df = self.selected_frame(extra)
        metric = self.metric
        if metric in df:
            df = df.sort_values(metric, ascending=self.higher_is_better(metric), kind="stable")
        cols = [c for c in ("model", "item_id", "task", "category", metric) if c in df]
        out = df[cols].head(limit).copy()
        out.insert(0, "key", [self.row_key(i) for i in out.index])
        return out.reset_index(drop=True)

    def row_key(self, position: int) -> str:
        row = self.frame.loc[position]
        return f"{text_of(row.get('run_id', ''))}|{text_of(row.get('item_id', ''))}|{position}"

    def item_detail(self, key: str | None = None) -> dict[str, str]:
        """Input, output, reference, contexts and judge fields of one row as *escaped* HTML."""
        key = key or self.item
        position = int(key.rsplit("|", 1)[-1])
        row = self.frame.loc[position]
        raw = self.runs.df
        src = raw.iloc[position] if len(raw) == len(self.frame) else row
        fields: dict[str, str] = {}
        for name in ("model", "item_id", "task", "category", "input", "output", "reference", "references",
                     "contexts", "label", "prediction"):
            if name in src.index and text_of(src[name]) != "":
                fields[name] = escape(src[name], max_chars=4000)
        for name in src.index:
            if str(name).startswith(("judge_", "human_")) and text_of(src[name]) != "":
                fields[str(name)] = escape(src[name], max_chars=4000)
        if self.metric in row.index:
            fields[f"metric: {self.metric}"] = escape(row[self.metric])
        return fields

    def item_html(self, key: str | None = None) -> str:
        """The drill-down card: fields side by side, all escaped."""
        fields = self.item_detail(key)
        cells = "".join(f'<div class="evalnb-field"><div class="evalnb-field-name">{escape(k)}</div>'
                        f'<pre class="evalnb-field-value">{v}</pre></div>' for k, v in fields.items())
        return f'<div class="evalnb-item">{cells}</div>'

    def table_html(self, df: pd.DataFrame, caption: str | None = None) -> str:
        return frame_html(df, caption=caption)

    # -- Compare --------------------------------------------------------------------------------
    def quality_metric(self) -> str | None:
        for c in ("judge_faithfulness", "judge_relevance", "judge_helpfulness", "human_rating"):
            if c in self.metric_columns:
                return c
        good = [c for c in self.metric_columns if self.higher_is_better(c)]
        return good[0] if good else None

    def summary(self, metrics: Sequence[str] | None = None, n_boot: int = 500):
        """Per-model estimates with CIs (``evalnb.summarize``), on the selected models."""
        cols = list(metrics or self.metric_columns)
        success = "task_success" if "task_success" in self.frame else None
        return evalnb.summarize(self.selected_frame(), by=["model"], metrics=cols, n_boot=n_boot, seed=0,
                                success=success, progress=False)

    def compare(self, baseline: str, candidate: str, metrics: Sequence[str] | None = None, n_boot: int = 1000):
        """Paired comparison on matched items (``evalnb.compare``), p-values adjusted across metrics."""
        cols = [c for c in (metrics or self.metric_columns) if c in self.frame]
        return evalnb.compare(self.frame, baseline=baseline, candidate=candidate, metrics=cols, n_boot=n_boot, seed=0)

    def pareto(self, quality: str | None = None) -> pd.DataFrame:
        """Mean cost vs mean quality per model, with who is on the cost-quality frontier.

        The means come from ``evalnb.summarize``; a model is on the frontier when no other model
        is at most as expensive and strictly better, or cheaper and at least as good.
        """
        quality = quality or self.quality_metric()
        frame = self.summary([quality, "cost_usd"], n_boot=200).to_frame()
        est = frame[frame["statistic"].isin(["mean", "rate"])].pivot_table(index="model", columns="metric",
                                                                          values="estimate", aggfunc="first")
        table = pd.DataFrame({"model": est.index, "cost_per_request": est["cost_usd"].to_numpy(),
                              "quality": est[quality].to_numpy()})
        on = []
        for r in table.itertuples():
            dominated = ((table["cost_per_request"] <= r.cost_per_request) & (table["quality"] >= r.quality)
                         & ((table["cost_per_request"] < r.cost_per_request) | (table["quality"] > r.quality))).any()
            on.append(not dominated)
        table["on_frontier"] = on
        table.attrs["quality"] = quality
        return table

    def pareto_chart(self, table: pd.DataFrame | None = None):
        import altair as alt

        table = self.pareto() if table is None else table
        quality = table.attrs.get("quality", "quality")
        data = table.assign(model=table["model"].map(lambda v: reveal(text_of(v))[:60]))
        base = alt.Chart(data)
        front = base.transform_filter(alt.datum.on_frontier).mark_line(strokeDash=[4, 3], color="#888").encode(
            x="cost_per_request:Q", y="quality:Q", order="cost_per_request:Q")
        pts = base.mark_circle(size=200).encode(
            x=alt.X("cost_per_request:Q", title="mean cost per request (USD)", scale=alt.Scale(zero=False)),
            y=alt.Y("quality:Q", title=f"mean {quality}", scale=alt.Scale(zero=False)),
            color="model:N", shape=alt.Shape("on_frontier:N", title="on frontier"),
            tooltip=["model:N", alt.Tooltip("cost_per_request:Q", format=".5f"), alt.Tooltip("quality:Q", format=".3f"),
                     "on_frontier:N"])
        return (front + pts).properties(width=420, height=260, title="Cost-quality frontier")

    # -- Failures -------------------------------------------------------------------------------
    def failure_rule(self) -> str:
        return f"{'<' if self.higher_is_better(self.metric) else '>'}{self.fail_threshold:g}"

    def worst_slices(self, by: Sequence[str] | None = None):
        """Slices whose failure rate is significantly above the rest (``evalnb.worst_slices``)."""
        return evalnb.worst_slices(self.selected_frame(), metric=self.metric, by=list(by or [self.slice_by]),
                                   failure=self.failure_rule(), higher_is_better=self.higher_is_better(self.metric))

    # -- KPI validation -------------------------------------------------------------------------
    def joined_frame(self) -> pd.DataFrame:
        if not self.kpi_columns:
            from evalnb._errors import EvalnbError

            raise EvalnbError("no KPI log: create the Explorer/Session with kpis=...")
        return self.selected_frame()

    def correlate(self, metrics: Sequence[str], kpi: str | None = None, level: str = "sample",
                  controls: Sequence[str] | None = None, n_boot: int = 500):
        """Associations of metrics with the KPI, CIs and adjusted p-values (``evalnb.correlate``)."""
        kw: dict[str, Any] = {"level": level, "n_boot": n_boot, "seed": 0}
        if level == "group":
            kw["group"] = "item_id"
        if controls:
            kw["controls"] = list(controls)
        return evalnb.correlate(self.joined_frame(), metrics=list(metrics), targets=[kpi or self.kpi], **kw)

    def fit_kpi(self, metrics: Sequence[str], kpi: str | None = None, controls: Sequence[str] | None = None):
        """statsmodels fit of the KPI with incremental validity (``evalnb.fit_kpi``)."""
        return evalnb.fit_kpi(self.joined_frame(), kpi or self.kpi, list(metrics), controls=list(controls or []),
                              cv_repeats=1)

    def scatter_chart(self, metric: str, kpi: str | None = None, sample: int = 2000):
        """Metric vs KPI scatter (a seeded sample of rows) with a linear fit line."""
        import altair as alt

        kpi = kpi or self.kpi
        df = self.joined_frame()[[metric, kpi, "model"]].dropna()
        if len(df) > sample:
            df = df.sample(sample, random_state=0)
        df = df.assign(model=df["model"].map(lambda v: reveal(text_of(v))[:60]))
        base = alt.Chart(df)
        points = base.mark_circle(size=14, opacity=0.35).encode(
            x=alt.X(f"{metric}:Q", scale=alt.Scale(zero=False)),
            y=alt.Y(f"{kpi}:Q", scale=alt.Scale(zero=False)),
            color="model:N")
        fit = base.transform_regression(metric, kpi).mark_line(color="black").encode(
            x=f"{metric}:Q", y=f"{kpi}:Q")
        return (points + fit).properties(width=380, height=240, title=f"{kpi} vs {metric} (sample of {len(df):,})")

    # -- Portfolio ------------------------------------------------------------------------------
    def select_portfolio(self, kpi: str | None = None, candidates: Sequence[str] | None = None):
        """Recommended primary/secondary/safety/robustness metrics (``evalnb.select_portfolio``)."""
        cands = list(candidates) if candidates else [c for c in self.metric_columns
                                                      if c not in ("latency_ms", "cost_usd", "human_rating")]
        human = "human_rating" if "human_rating" in self.frame else None
        self.selection = evalnb.select_portfolio(self.joined_frame(), kpi=kpi or self.kpi, candidates=cands,
                                                 human=human, n_boot=300, cv_repeats=1)
        gates = self.gate_columns()
        self.thresholds = {c: self.default_gate_threshold(c) for c in gates}
        return self.selection

    def gate_columns(self) -> list[str]:
        sel = getattr(self, "selection", None)
        if sel is None:
            return []
        return [c.column for c in (sel.primary + sel.safety + sel.robustness)]

    def default_gate_threshold(self, column: str) -> float:
        """Starting threshold: the median model's mean, rounded (the user moves it)."""
        means = self.frame.groupby("model")[column].mean()
        return round(float(means.median()), 2)

    def portfolio(self, thresholds: dict[str, float] | None = None):
        """The exportable Portfolio with the current thresholds (absolute gates)."""
        from evalnb.portfolio.selection import portfolio_from_selection

        if getattr(self, "selection", None) is None:
            self.select_portfolio()
        th = dict(self.thresholds if thresholds is None else thresholds)
        return portfolio_from_selection(self.selection, th, rule="point", min_n=50,
                                        name="explorer_portfolio", outcome=self.kpi)

    def gate_preview(self, thresholds: dict[str, float] | None = None) -> pd.DataFrame:
        """Which runs pass each gate at these thresholds (``evalnb.gate`` per model)."""
        portfolio = self.portfolio(thresholds)
        rows = []
        for model in self.all_models:
            rep = evalnb.gate(portfolio, self.frame[self.frame["model"] == model], n_boot=200, seed=0)
            frame = rep.to_frame()
            frame.insert(0, "model", model)
            rows.append(frame)
        return pd.concat(rows, ignore_index=True)

    def export_portfolio(self, path: str) -> str:
        """Write the portfolio config (YAML or JSON by suffix); returns the path."""
        p = self.portfolio()
        out = p.write(path)
        self.status = f"portfolio written to {out}"
        return str(out)

    # -- Drift / judge validation ---------------------------------------------------------------
    def windows(self) -> list[str]:
        if "timestamp" not in self.frame:
            return []
        months = pd.to_datetime(self.frame["timestamp"], utc=True).dt.strftime("%Y-%m")
        return sorted(months.dropna().unique().tolist())

    def drift(self, split: str, metrics: Sequence[str] | None = None):
        """Reference = before the month ``split``, current = from it on (``evalnb.drift``)."""
        df = self.selected_frame()
        ts = pd.to_datetime(df["timestamp"], utc=True)
        cut = pd.Timestamp(f"{split}-01", tz="UTC")
        metrics = list(metrics or [c for c in self.metric_columns if c not in ("latency_ms", "cost_usd")])
        return evalnb.drift(df[ts < cut], df[ts >= cut], metrics=metrics, kpi=self.kpi or None, n_boot=300,
                            reference_label=f"before {split}", current_label=f"from {split}")

    def validity_drift(self, metrics: Sequence[str], kpi: str | None = None):
        """Monthly metric-KPI association with decoupling alerts (``evalnb.validity_drift``)."""
        return evalnb.validity_drift(self.joined_frame(), list(metrics), kpi or self.kpi, n_boot=300)

    def validate_judge(self, judge: str, human: str = "human_rating"):
        """Judge vs human agreement (``evalnb.validate_judge``)."""
        return evalnb.validate_judge(self.selected_frame(), judge=judge, human=human)

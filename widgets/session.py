"""The Explorer's session: a plain controller that holds state in traitlets and calls evalnb's core.

Views (the tab modules) only mirror these traits into ipywidgets and show what the session
returns; every number comes from here, and here from the public API (``evalnb.summarize``,
``evalnb.compare``, ``evalnb.worst_slices``, ``evalnb.correlate``, ``evalnb.fit_kpi``,
``evalnb.select_portfolio``, ``evalnb.gate``, ``evalnb.drift``, ...). The only computation the
session owns is the interactive slice index (``_slicer.SliceIndex``), a cache that makes a slice
change on 1M rows take milliseconds.

>>> s = Session(runs, kpis)
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
from evalnb import roles
from evalnb._display import escape, frame_html, reveal, text_of

from ._format import precision_of, round_to
from ._slicer import SliceIndex

KEYS = roles.KEY_COLUMNS
TEXT_FIELDS = roles.TEXT_COLUMNS
# Vega-Lite field names of the charts: fixed, because a user column name such as "meta.region" or
# "scores[0]" is an access path to Vega-Lite (an "undefined" bar, or an error in the chart thread)
SLICE_FIELD, X_FIELD, Y_FIELD = "evalnb_slice", "evalnb_x", "evalnb_y"
SLICEABLE_MAX_LEVELS = 200


def _only_empty(errors: Any) -> bool:
    """The loader's only complaint is that the file holds no rows."""
    return errors is not None and len(errors) > 0 and "problem" in errors and bool(
        errors["problem"].astype(str).str.contains("no rows").all())


def lower_is_better(column: str) -> bool:
    """Direction of a metric column when its Metric object does not say (:mod:`evalnb.roles`)."""
    return roles.name_says_lower(column)


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

    # Every control of every view is bound to one of these traits; views redraw from them alone.
    models = t.List(t.Unicode(), help="models shown on Runs/Failures (empty: all)")
    metric = t.Unicode("", help="the metric column in focus")
    slice_by = t.Unicode("category", help="column that defines slices")
    slice_value = t.Unicode("", help="the slice drilled into (a click on a failure-chart bar)")
    fail_threshold = t.Float(3.0, help="an item fails when its metric is below (or above) this")
    item = t.Unicode("", help="the row key drilled into (run_id|item_id|position)")
    item_limit = t.Int(50, help="items listed in the drill-down (a 'more' button raises it)")
    selected_items = t.List(t.Unicode(), help="row keys selected by brushing a scatter or clicking table rows")
    kpi = t.Unicode("", help="KPI in focus")
    thresholds = t.Dict(help="gate metric -> threshold for the portfolio preview")
    baseline = t.Unicode("", help="Compare: the baseline model")
    candidate = t.Unicode("", help="Compare: the candidate model")
    compare_metrics = t.List(t.Unicode(), help="Compare: metrics compared and summarised")
    kpi_metrics = t.List(t.Unicode(), help="KPI: metrics tested against the KPI")
    kpi_level = t.Unicode("sample", help="KPI: the level whose table is shown (sample, group, system)")
    kpi_controls = t.List(t.Unicode(), help="KPI: covariates")
    focus_metric = t.Unicode("", help="KPI: the metric whose scatter and per-slice view are open (forest click)")
    drift_split = t.Unicode("", help="Drift: the month the current window starts")
    drift_metrics = t.List(t.Unicode(), help="Drift: metrics checked")
    judge = t.Unicode("", help="Judge validation: the judge column")
    human = t.Unicode("", help="Judge validation: the human rating column")
    status = t.Unicode("", help="last message for the status bar")
    revision = t.Int(0, help="bumped once after every consistent state change (views redraw on it)")

    def __init__(self, runs: Any, kpis: Any = None, scores: Any = None,
                 metrics: Sequence[str] | None = None, strict: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self._reconciling = False
        self._user_thresholds: dict[str, float] = {}
        self._cache: dict[Any, pd.DataFrame] = {}
        self.problems: list[str] = []
        # strict=False: bad rows are listed (Explorer header) instead of stopping the app
        self.runs = runs if isinstance(runs, evalnb.Runs) else evalnb.load_runs(runs, strict=strict)
        self.kpis = None if kpis is None else (kpis if isinstance(kpis, evalnb.Kpis) else evalnb.load_kpis(kpis, strict=strict))
        if scores is None and metrics:
            scores = evalnb.score(self.runs, list(metrics))
        self.scores = scores
        frame = scores.df if scores is not None else self.runs.df
        self.kpi_coverage: dict[str, Any] | None = None
        self._join_error = ""
        if self.kpis is not None and "request_id" in frame and len(frame):
            from evalnb._errors import EvalnbError

            try:
                frame = evalnb.join_kpis(frame, self.kpis)
                self.kpi_coverage = dict(frame.attrs.get("kpi_coverage") or {})
            except EvalnbError as exc:   # e.g. no eval row matched: explore without KPIs, say why
                self._join_error = str(exc)
        self.frame: pd.DataFrame = frame.reset_index(drop=True)
        self.kpi_columns: list[str] = list(self.kpis.kpi_columns) if self.kpis is not None else []
        self.kpi_columns = [c for c in self.kpi_columns if c in self.frame] if not self._join_error else []
        self.kpi_problem = self._kpi_problem()
        if self.kpi_problem:
            self.problems.append(self.kpi_problem)
        if not len(self.frame):
            errors = getattr(self.runs, "errors", None)
            n_bad = 0 if errors is None or not len(errors) else len(errors.drop_duplicates(
                [c for c in ("file", "line") if c in errors] or None))
            self.problems.insert(0, "no eval rows to explore: " + (
                "the input is empty" if not n_bad and (errors is None or not len(errors)) or _only_empty(errors) else
                f"all {n_bad:,} rows were rejected (see the errors below)"))
        self.metric_columns: list[str] = self._metric_columns()
        self.group_columns: list[str] = self._group_columns()
        self.index = SliceIndex(self.frame, self.group_columns, self.metric_columns + self.kpi_columns)
        self._precision = {c: precision_of(self.index.values[c]) for c in self.index.values}
        with self.hold_trait_notifications():
            self._reconciling = True
            if not self.metric:
                self.metric = self.quality_metric() or (self.metric_columns[0] if self.metric_columns else "")
            if self.kpi_columns and not self.kpi:
                self.kpi = self.kpi_columns[0]
            if self.slice_by not in self.group_columns:
                self.slice_by = self.group_columns[0] if self.group_columns else ""
            self.fail_threshold = self.default_threshold(self.metric)
            models = self.all_models
            self.baseline = models[0] if models else ""
            self.candidate = models[1] if len(models) > 1 else self.baseline
            self.compare_metrics = list(self.metric_columns)
            judges = [c for c in self.metric_columns if c.startswith("judge_")]
            self.kpi_metrics = judges[:4] or self.metric_columns[:4]
            self.focus_metric = self.kpi_metrics[0] if self.kpi_metrics else ""
            windows = self.windows()
            self.drift_split = windows[-1] if len(windows) > 1 else ""
            self.drift_metrics = judges[:3]
            self.judge = judges[0] if judges else ""
            humans = [c for c in self.metric_columns if c.startswith("human")]
            self.human = humans[0] if humans else ""
            self._reconciling = False
        self._reconcile()
        # sort the metric in focus now (the first slice change is as fast as the rest) and every
        # other metric on a background thread, so a first switch to another metric costs no sort
        if self.metric:
            self.index.warm(self.group_columns, [self.metric])
        self._warmer = self.index.warm_in_background(self.group_columns, self.metric_columns + self.kpi_columns)

    # -- one consistent state -------------------------------------------------------------------
    @t.observe("models", "metric", "slice_by", "fail_threshold", "slice_value", "item", "item_limit")
    def _on_state(self, change: Any) -> None:
        if self._reconciling:
            return
        if change.name == "metric":
            threshold = self._user_thresholds.get(change.new, self.default_threshold(change.new))
            if threshold != self.fail_threshold:
                self.fail_threshold = threshold        # its observer reconciles
                return
        if change.name == "fail_threshold":
            self._user_thresholds[self.metric] = float(change.new)
        if change.name == "slice_by":
            # a new slicing: drill into its worst slice, not into the old position
            self._reconciling = True
            self.slice_value = ""
            self._reconciling = False
        self._reconcile()

    def _reconcile(self) -> None:
        """Make the derived selections valid for the state (slice, item), then bump ``revision``."""
        if self._reconciling:
            return
        self._reconciling = True
        try:
            labels = self.slice_labels()
            if self.slice_value not in labels:
                self.slice_value = labels[0] if labels else ""
            keys = self.items()["key"].tolist() if self.metric or self.slice_by else []
            if self.item not in keys:
                self.item = keys[0] if keys else ""
        finally:
            self._reconciling = False
        self.revision += 1

    def state(self) -> dict[str, Any]:
        """The selections that define what Runs and Failures show (views record what they drew with)."""
        return {"models": list(self.models), "metric": self.metric, "slice_by": self.slice_by,
                "fail_threshold": self.fail_threshold, "slice_value": self.slice_value, "item": self.item}

    def _kpi_problem(self) -> str:
        cov = self.kpi_coverage
        if self.kpis is None:
            return ""
        if self._join_error:
            return self._join_error
        if cov is None:
            if len(self.frame) and "request_id" not in self.frame:
                return "the KPI log cannot be joined: the eval rows have no request_id column"
            return ""
        if cov.get("matched", 0) == 0 and cov.get("eval_rows", 0):
            key = cov.get("key") or "request_id"
            left = [text_of(v) for v in self.frame[key].dropna().unique()[:3]] if key in self.frame else []
            right = [text_of(v) for v in self.kpis.df[key].dropna().unique()[:3]] if key in self.kpis.df else []
            return (f"0 of {cov['eval_rows']:,} eval rows found an outcome; the join key was {key}; first ids on "
                    f"each side: eval {', '.join(left) or '-'}; KPI log {', '.join(right) or '-'}")
        return ""

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
        """Metric object first, then the name rule (:func:`evalnb.roles.higher_is_better`)."""
        return roles.higher_is_better(column, self.scores)

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
        return self.round_value(column, val) if not math.isnan(val) else 0.0

    def precision(self, column: str) -> int:
        """Decimals the column's values carry (thresholds are rounded to it)."""
        return self._precision.get(column, 3)

    def round_value(self, column: str, value: float) -> float:
        """A threshold as a person would write it: the metric's precision, 3 significant digits."""
        return round_to(float(value), min(self.precision(column), 4), significant=3)

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
        if not by or not metric or by not in self.index.groups or metric not in self.index.values:
            return pd.DataFrame({by or "slice": [], "n": [], "mean": [], "p50": [], "p95": [], "failures": [],
                                 "failure_rate": []})
        key = (by, metric, tuple(self.models), self.fail_threshold)
        if key in self._cache:
            return self._cache[key].copy()
        hib = self.higher_is_better(metric)
        kw = {"fail_below": self.fail_threshold} if hib else {"fail_above": self.fail_threshold}
        table = self.index.stats(by, metric, self.filters(), **kw)
        table = table.rename(columns={"slice": by}).sort_values(["failure_rate", "n"], ascending=[False, False],
                                                                kind="stable").reset_index(drop=True)
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[key] = table
        return table.copy()

    def slice_labels(self) -> list[str]:
        """Slices of the current slicing, worst first (what the drill-down picker offers)."""
        table = self.slice_table()
        return [str(v) for v in table[self.slice_by]] if self.slice_by in table else []

    def slice_chart(self, table: pd.DataFrame | None = None, by: str | None = None):
        """Bar chart of failure rate per slice (model text enters the chart only as data)."""
        import altair as alt

        by = by or self.slice_by
        table = self.slice_table(by) if table is None else table
        data = table[[by, "n", "failure_rate", "mean"]].copy()
        # the drilled slice is highlighted (a linked selection); computed here as data, so no
        # model text ever enters a Vega expression (R04)
        data["drilled"] = data[by].astype(str) == (self.slice_value if by == self.slice_by else "")
        data["drilled"] = data["drilled"].map({True: "drilled into", False: "other slices"})
        data[by] = data[by].map(lambda v: reveal(text_of(v))[:80])
        # Vega-Lite reads a field name as an access path ("meta.region" -> meta["region"], "a[0]" an
        # index; escaping does not survive selections), so encodings and the click selection use the
        # fixed name SLICE_FIELD; the user's column name is only a title.
        data[SLICE_FIELD] = data[by]
        pick = alt.selection_point(name="slice", fields=[SLICE_FIELD], on="click", clear=False)
        return alt.Chart(data).mark_bar().encode(
            color=alt.Color("drilled:N", title="slice",
                            scale=alt.Scale(domain=["other slices", "drilled into"], range=["#4c78a8", "#e45756"]),
                            legend=alt.Legend(orient="bottom")),
            x=alt.X("failure_rate:Q", title=f"failure rate ({self.metric} "
                    f"{'<' if self.higher_is_better(self.metric) else '>'} {self.fail_threshold:g})"),
            y=alt.Y(f"{SLICE_FIELD}:N", sort="-x", title=by),
            tooltip=[alt.Tooltip(f"{SLICE_FIELD}:N", title=by), alt.Tooltip("n:Q"),
                     alt.Tooltip("failure_rate:Q", format=".1%"), alt.Tooltip("mean:Q", format=".3f")],
        ).add_params(pick).properties(width=420, height=max(80, 22 * len(data)), title=f"Failures by {by}")

    def model_overview(self) -> pd.DataFrame:
        """Per-model rows, items and means of the first metric columns (the Runs tab's table)."""
        df = self.selected_frame()
        cols = self.metric_columns[:8]
        table = df.groupby("model")[cols].mean(numeric_only=True)
        table.insert(0, "rows", df.groupby("model").size())
        return table.reset_index()

    def scorecard(self) -> pd.DataFrame:
        """Per-model rows and mean of each metric over all models; with a portfolio, its gate verdict."""
        if "model" not in self.frame or not len(self.frame):
            return pd.DataFrame()
        preview = getattr(self, "last_gate_preview", None)
        key = ("scorecard", id(preview))
        if key in self._cache:
            return self._cache[key].copy()
        self._cache[key] = table = self._scorecard(preview)
        return table.copy()

    def _scorecard(self, preview: Any) -> pd.DataFrame:
        cols = self.metric_columns[:8]
        table = self.frame.groupby("model")[cols].mean(numeric_only=True)
        table.insert(0, "rows", self.frame.groupby("model").size())
        table = table.reset_index()
        if preview is not None and len(preview):
            verdict = {}
            for model, g in preview.groupby("model"):
                failed = g.loc[g["status"] != "pass", "metric"].astype(str).tolist()
                verdict[str(model)] = "pass" if not failed else "fail: " + ", ".join(failed)
            table.insert(1, "gates", table["model"].map(lambda m: verdict.get(str(m), "")))
        return table

    # -- drill-down ---------------------------------------------------------------------------
    def items(self, slice_value: str | None = None, limit: int | None = None) -> pd.DataFrame:
        """Rows of the drilled slice (failing first) with their keys and the metric in focus.

        ``.attrs["total"]`` holds how many rows the slice has (the list shows ``limit`` of them)."""
        value = self.slice_value if slice_value is None else slice_value
        limit = self.item_limit if limit is None else limit
        key = ("items", value, limit, self.slice_by, self.metric, tuple(self.models))
        if key in self._cache:
            out = self._cache[key]
            copy = out.copy()
            copy.attrs["total"] = out.attrs["total"]
            return copy
        out = self._items(value, limit)
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[key] = out
        copy = out.copy()
        copy.attrs["total"] = out.attrs["total"]
        return copy

    def _items(self, value: str, limit: int) -> pd.DataFrame:
        extra = {self.slice_by: [value]} if value and self.slice_by in self.index.groups else None
        # positions from the slice index, ordered on the metric's values alone: milliseconds on 1M
        # rows (no copy of the frame); the same order as a stable sort_values, NaNs last
        rows = self.index.rows(self.filters(extra))
        metric = self.metric
        total = len(rows)
        if metric in self.index.values:   # top-k by partition: no sort of the whole slice
            top = self.index.worst(rows, metric, limit, ascending=self.higher_is_better(metric))
        else:
            top = rows[:limit]
        cols = [c for c in ("model", "item_id", "task", "category", metric) if c in self.frame]
        # column by column: a row slice of the whole frame would convert every text column
        out = pd.DataFrame({"key": self.row_keys(top), **{c: self.frame[c].iloc[top].to_numpy() for c in cols}})
        out.attrs["total"] = total
        return out

    def row_keys(self, positions: Any) -> list[str]:
        """``run_id|item_id|position`` for many rows at once."""
        positions = np.asarray(positions, dtype=np.int64)
        def col(name: str) -> list[str]:
            if name not in self.frame:
                return [""] * len(positions)
            return [text_of(v) for v in self.frame[name].iloc[positions].tolist()]
        return [f"{r}|{i}|{p}" for r, i, p in zip(col("run_id"), col("item_id"), positions.tolist())]

    def row_key(self, position: int) -> str:
        row = self.frame.loc[position]
        return f"{text_of(row.get('run_id', ''))}|{text_of(row.get('item_id', ''))}|{position}"

    def position_of(self, key: str) -> int:
        """The row position a key names."""
        return int(key.rsplit("|", 1)[-1])

    def item_detail(self, key: str | None = None) -> dict[str, str]:
        """Input, output, reference, contexts and judge fields of one row as *escaped* HTML."""
        key = key or self.item
        if not key:
            return {}
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
        """Per-model estimates with CIs (``evalnb.summarize``) over *all* models.

        Compare is about every model; the Runs tab's model filter does not apply here."""
        cols = list(metrics or self.metric_columns)
        success = "task_success" if "task_success" in self.frame else None
        return evalnb.summarize(self.frame, by=["model"], metrics=cols, n_boot=n_boot, seed=0,
                                success=success)

    def compare(self, baseline: str, candidate: str, metrics: Sequence[str] | None = None, n_boot: int = 1000):
        """Paired comparison on matched items (``evalnb.compare``), p-values adjusted across metrics."""
        cols = [c for c in (metrics or self.metric_columns) if c in self.frame]
        return evalnb.compare(self.frame, baseline=baseline, candidate=candidate, metrics=cols, n_boot=n_boot, seed=0)

    def difference_chart(self, frame: pd.DataFrame, baseline: str, candidate: str):
        """Candidate - baseline per metric with its 95% CI; significant differences coloured."""
        import altair as alt

        data = frame[["metric", "statistic", "difference", "ci_low", "ci_high", "p_adjusted", "significant"]].copy()
        data["label"] = [f"{m} ({st})" for m, st in zip(data["metric"], data["statistic"])]
        data["verdict"] = np.where(data["significant"].astype(bool), "significant", "not significant")
        base = alt.Chart(data)
        y = alt.Y("label:N", title=None, axis=alt.Axis(labelLimit=240))
        tips = [alt.Tooltip("label:N", title="metric"), alt.Tooltip("difference:Q", format=".4g"),
                alt.Tooltip("ci_low:Q", format=".4g"), alt.Tooltip("ci_high:Q", format=".4g"),
                alt.Tooltip("p_adjusted:Q", format=".3g"), alt.Tooltip("verdict:N")]
        colour = alt.Color("verdict:N", scale=alt.Scale(domain=["significant", "not significant"],
                                                        range=["#e45756", "#9e9e9e"]), title=None)
        rules = base.mark_rule(strokeWidth=3).encode(y=y, x=alt.X("ci_low:Q", title="difference (95% CI)"),
                                                     x2="ci_high:Q", color=colour, tooltip=tips)
        pts = base.mark_point(filled=True, size=80).encode(y=y, x="difference:Q", color=colour, tooltip=tips)
        zero = base.mark_rule(strokeDash=[3, 3], color="#888").encode(x=alt.datum(0))
        # each metric has its own units: one small panel per metric, independent x scales
        return alt.layer(zero, rules, pts).properties(width=420, height=24).facet(row=alt.Row("label:N", title=None, header=alt.Header(
            labelAngle=0, labelAlign="left"))).resolve_scale(x="independent", y="independent").properties(
            title=f"{candidate} - {baseline}: which differences are significant")

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
            x=alt.X("cost_per_request:Q", title="mean cost per request (USD)", scale=alt.Scale(zero=False),
                    axis=alt.Axis(format="$.2r", labelOverlap="greedy", tickCount=5, labelAngle=-30)),
            y=alt.Y("quality:Q", title=f"mean {quality}", scale=alt.Scale(zero=False)),
            color="model:N", shape=alt.Shape("on_frontier:N", title="on frontier"),
            tooltip=["model:N", alt.Tooltip("cost_per_request:Q", format="$.3r"), alt.Tooltip("quality:Q", format=".3f"),
                     "on_frontier:N"])
        return (front + pts).properties(width=420, height=260, title="Cost-quality frontier")

    # -- Failures -------------------------------------------------------------------------------
    def failure_rule(self) -> str:
        return f"{'<' if self.higher_is_better(self.metric) else '>'}{self.fail_threshold:g}"

    def failure_text(self) -> str:
        """The failure rule in words, with the threshold in the metric's units."""
        from ._format import fmt, kind_of

        op = "<" if self.higher_is_better(self.metric) else ">"
        value = fmt(self.fail_threshold, self.metric) if self.metric else ""
        if self.metric and kind_of(self.metric) == "number":
            value = f"{self.fail_threshold:g}"
        return f"{self.metric} {op} {value}"

    def worst_slices(self, by: Sequence[str] | None = None):
        """Slices whose failure rate is significantly above the rest (``evalnb.worst_slices``)."""
        return evalnb.worst_slices(self.selected_frame(), metric=self.metric, by=list(by or [self.slice_by]),
                                   failure=self.failure_rule(), higher_is_better=self.higher_is_better(self.metric))

    # -- KPI validation -------------------------------------------------------------------------
    def joined_frame(self) -> pd.DataFrame:
        """Eval rows with their KPIs (all models). Raises a user-facing error when there are none."""
        from evalnb._errors import EvalnbError

        if self.kpi_problem:
            raise EvalnbError(self.kpi_problem)
        if not self.kpi_columns:
            raise EvalnbError("no KPI log: create the Explorer/Session with kpis=...")
        return self.frame

    def correlate(self, metrics: Sequence[str], kpi: str | None = None, level: str | Sequence[str] = "sample",
                  controls: Sequence[str] | None = None, n_boot: int = 500):
        """Associations of metrics with the KPI, CIs and adjusted p-values (``evalnb.correlate``).

        ``level`` may be a list (``["sample", "group", "system"]``): groups are items, systems models."""
        levels = [level] if isinstance(level, str) else list(level)
        kw: dict[str, Any] = {"level": levels if len(levels) > 1 else levels[0], "n_boot": n_boot, "seed": 0}
        if "group" in levels:
            kw["group"] = "item_id"
        if controls:
            kw["controls"] = list(controls)
        return evalnb.correlate(self.joined_frame(), metrics=list(metrics), targets=[kpi or self.kpi], **kw)

    def fit_kpi(self, metrics: Sequence[str], kpi: str | None = None, controls: Sequence[str] | None = None):
        """statsmodels fit of the KPI with incremental validity (``evalnb.fit_kpi``)."""
        return evalnb.fit_kpi(self.joined_frame(), kpi or self.kpi, list(metrics), controls=list(controls or []),
                              cv_repeats=1)

    def forest_chart(self, frame: pd.DataFrame, method: str = "spearman"):
        """Ranked forest plot: one row per metric, CIs at sample, group and system level side by side.

        A click on a metric is the ``metric`` selection (the KPI tab opens its scatter)."""
        import altair as alt

        data = frame[frame["method"] == method] if method in set(frame["method"]) else frame
        data = data[["metric", "level", "estimate", "ci_low", "ci_high", "n", "n_groups", "status"]].copy()
        data["units"] = np.where(data["level"] == "sample", data["n"], data["n_groups"])
        data["units"] = pd.to_numeric(data["units"], errors="coerce").fillna(data["n"]).astype(int)
        data["metric"] = data["metric"].map(lambda v: reveal(text_of(v))[:60])
        order = (data[data["level"] == data["level"].iloc[0]].sort_values("estimate", ascending=False)["metric"]
                 .tolist() if len(data) else [])
        pick = alt.selection_point(name="metric", fields=["metric"], on="click", clear=False)
        base = alt.Chart(data)
        y = alt.Y("metric:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
        x = alt.X("ci_low:Q", title=f"{method} with the KPI (95% CI)", scale=alt.Scale(domain=[-1, 1]))
        tips = [alt.Tooltip("metric:N"), alt.Tooltip("level:N"), alt.Tooltip("estimate:Q", format=".3f"),
                alt.Tooltip("ci_low:Q", format=".3f"), alt.Tooltip("ci_high:Q", format=".3f"),
                alt.Tooltip("units:Q", format=","), alt.Tooltip("status:N")]
        rule = base.mark_rule(strokeWidth=3).encode(y=y, x=x, x2="ci_high:Q", tooltip=tips,
                                                     color=alt.Color("level:N", legend=None))
        point = base.mark_point(filled=True, size=90).encode(
            y=y, x="estimate:Q", tooltip=tips, color=alt.Color("level:N", legend=None),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)))
        zero = base.mark_rule(strokeDash=[3, 3], color="#888").encode(x=alt.datum(0))
        layered = alt.layer(zero, rule, point.add_params(pick)).properties(
            width=260, height=max(120, 28 * max(1, len(order))))
        return layered.facet(column=alt.Column("level:N", title=None, sort=["sample", "group", "system"])).properties(
            title=f"Which metrics predict {self.kpi}? (ranked; {method})")

    def is_binary(self, column: str) -> bool:
        v = self.index.values.get(column)
        if v is None:
            return False
        return roles.is_binary(v)

    def scatter_chart(self, metric: str, kpi: str | None = None, sample: int = 2000, bins: int = 10):
        """Metric vs KPI. A 0/1 KPI shows the KPI rate per metric bin with a Wilson 95% interval
        (points at 0 and 1 would overplot); a continuous KPI a seeded sample of points with a linear
        fit. Brushing the points selects items (the ``items`` selection, keys in ``key``)."""
        import altair as alt

        kpi = kpi or self.kpi
        df = self.joined_frame()[[metric, kpi, "model"]].dropna()
        if self.is_binary(kpi):
            from scipy.stats import norm

            q = pd.qcut(df[metric].rank(method="first"), q=min(bins, max(1, len(df) // 20)), labels=False)
            g = df.groupby(q)
            rate, n, mid = g[kpi].mean(), g[kpi].size(), g[metric].mean()
            z = norm.ppf(0.975)
            centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
            half = z * np.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
            # fixed field names (X_FIELD): a user column name is an access path to Vega-Lite
            data = pd.DataFrame({X_FIELD: mid, "rate": rate, "low": centre - half, "high": centre + half, "n": n})
            base = alt.Chart(data)
            tips = [alt.Tooltip(f"{X_FIELD}:Q", format=".3f", title=metric), alt.Tooltip("rate:Q", format=".1%"),
                    alt.Tooltip("low:Q", format=".1%"), alt.Tooltip("high:Q", format=".1%"), alt.Tooltip("n:Q", format=",")]
            bars = base.mark_errorbar().encode(x=alt.X(f"{X_FIELD}:Q", scale=alt.Scale(zero=False), title=metric),
                                               y=alt.Y("low:Q", title=f"{kpi} rate", axis=alt.Axis(format="%")),
                                               y2="high:Q", tooltip=tips)
            pts = base.mark_line(point=True).encode(x=alt.X(f"{X_FIELD}:Q", title=metric), y="rate:Q", tooltip=tips)
            return (bars + pts).properties(width=480, height=280,
                                           title=f"{kpi} rate by {metric} (deciles, 95% Wilson CI; n={len(df):,})")
        if len(df) > sample:
            df = df.sample(sample, random_state=0)
        # the chart reads X_FIELD/Y_FIELD, never the user's names (an access path to Vega-Lite):
        # the brush then reports {X_FIELD: [lo, hi], Y_FIELD: [lo, hi]} (see keys_in_box)
        df = pd.DataFrame({X_FIELD: df[metric].to_numpy(float), Y_FIELD: df[kpi].to_numpy(float),
                           "model": df["model"].map(lambda v: reveal(text_of(v))[:60]).to_numpy(),
                           "key": [self.row_key(i) for i in df.index]})
        brush = alt.selection_interval(name="items", encodings=["x", "y"])
        base = alt.Chart(df)
        points = base.mark_circle(size=18, opacity=0.45).encode(
            x=alt.X(f"{X_FIELD}:Q", scale=alt.Scale(zero=False), title=metric),
            y=alt.Y(f"{Y_FIELD}:Q", scale=alt.Scale(zero=False), title=kpi),
            color="model:N",
            tooltip=[alt.Tooltip("model:N"), alt.Tooltip(f"{X_FIELD}:Q", format=".3f", title=metric),
                     alt.Tooltip(f"{Y_FIELD}:Q", format=".3f", title=kpi)],
        ).add_params(brush)
        fit = base.transform_regression(X_FIELD, Y_FIELD).mark_line(color="black").encode(
            x=alt.X(f"{X_FIELD}:Q", title=metric), y=alt.Y(f"{Y_FIELD}:Q", title=kpi))
        return (points + fit).properties(width=480, height=280, title=f"{kpi} vs {metric} (sample of {len(df):,})")

    def keys_in_box(self, metric: str, kpi: str, box: dict[str, Sequence[float]]) -> list[str]:
        """Row keys whose (metric, kpi) fall inside a brushed box: the scatter's ``{X_FIELD: [lo, hi],
        Y_FIELD: [lo, hi]}``, or ``{metric: [lo, hi], kpi: [lo, hi]}``."""
        df = self.joined_frame()
        m = pd.Series(True, index=df.index)
        for col, axis in ((metric, X_FIELD), (kpi, Y_FIELD)):
            span = box.get(axis, box.get(col))
            if span is not None and len(span) == 2:
                lo, hi = sorted(float(v) for v in span)
                m &= df[col].between(lo, hi)
        return [self.row_key(i) for i in df.index[m.to_numpy()]]

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

    @t.validate("thresholds")
    def _round_thresholds(self, proposal: Any) -> dict[str, float]:
        # slider steps leave 4.720000000000001; a threshold is kept at the metric's precision
        return {str(k): self.round_value(str(k), float(v)) for k, v in dict(proposal["value"]).items()}

    def gate_columns(self) -> list[str]:
        sel = getattr(self, "selection", None)
        if sel is None:
            return []
        return [c.column for c in (sel.primary + sel.safety + sel.robustness)]

    def default_gate_threshold(self, column: str) -> float:
        """Starting threshold: the median model's mean, at the metric's precision (the user moves it)."""
        means = self.frame.groupby("model")[column].mean()
        return self.round_value(column, float(means.median()))

    def portfolio(self, thresholds: dict[str, float] | None = None):
        """The exportable Portfolio with the current thresholds (absolute gates).

        Rule and ``min_n`` are the project defaults (``evalnb.portfolio.config``), the same as
        ``portfolio_from_selection`` writes."""
        from evalnb.portfolio.selection import portfolio_from_selection

        if getattr(self, "selection", None) is None:
            self.select_portfolio()
        th = dict(self.thresholds if thresholds is None else thresholds)
        return portfolio_from_selection(self.selection, th, name="explorer_portfolio", outcome=self.kpi)

    def items_per_model(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.frame.groupby("model").size().items()} if "model" in self.frame else {}

    def export_warnings(self, portfolio: Any = None) -> list[str]:
        """What would make the exported gates fail regardless of quality (min_n above the items per model)."""
        p = portfolio or self.portfolio()
        per_model = self.items_per_model()
        if not per_model:
            return []
        fewest = min(per_model.values())
        out = []
        for spec in p.primary + p.safety + p.robustness:
            gate = spec.gate
            if gate is not None and gate.min_n > fewest:
                small = [m for m, n in per_model.items() if n < gate.min_n]
                out.append(f"{spec.column}: min_n {gate.min_n} exceeds the items per model here ({fewest:,} for "
                           f"{', '.join(small[:3])}{'...' if len(small) > 3 else ''}); every gate would fail for n < "
                           "min_n on data like this")
        return out

    def gate_preview(self, thresholds: dict[str, float] | None = None) -> pd.DataFrame:
        """Which runs pass each gate at these thresholds (``evalnb.gate`` per model)."""
        portfolio = self.portfolio(thresholds)
        rows = []
        for model in self.all_models:
            rep = evalnb.gate(portfolio, self.frame[self.frame["model"] == model], n_boot=200, seed=0)
            frame = rep.to_frame()
            frame.insert(0, "model", model)
            rows.append(frame)
        self.last_gate_preview = pd.concat(rows, ignore_index=True)
        return self.last_gate_preview

    def export_portfolio(self, path: str) -> str:
        """Write the portfolio config (YAML or JSON by suffix); returns the path.

        The folder must exist (a mistyped path is an error, not a new directory tree)."""
        from pathlib import Path

        from evalnb._errors import EvalnbError

        target = Path(path).expanduser()
        if not str(path).strip():
            raise EvalnbError("no export path given")
        if not target.parent.exists():
            raise EvalnbError(f"cannot write {path}: the folder {target.parent} does not exist")
        if target.suffix.lower() not in (".yaml", ".yml", ".json"):
            raise EvalnbError(f"cannot write {path}: use a .yaml, .yml or .json file name")
        p = self.portfolio()
        self.export_notes = self.export_warnings(p)
        out = p.write(target)
        self.status = f"portfolio written to {out}"
        return str(out)

    # -- Drift / judge validation ---------------------------------------------------------------
    def windows(self) -> list[str]:
        """The months a drift window can start at (``evalnb.drift_months``)."""
        return evalnb.drift_months(self.frame)

    def drift(self, split: str, metrics: Sequence[str] | None = None):
        """Reference = before the month ``split``, current = from it on (``evalnb.drift_since``, the rule
        the report uses too), all models."""
        metrics = list(metrics or [c for c in self.metric_columns if c not in ("latency_ms", "cost_usd")])
        return evalnb.drift_since(self.frame, split, metrics=metrics, kpi=self.kpi or None, n_boot=300)

    def validity_drift(self, metrics: Sequence[str], kpi: str | None = None):
        """Monthly metric-KPI association with decoupling alerts (``evalnb.validity_drift``)."""
        return evalnb.validity_drift(self.joined_frame(), list(metrics), kpi or self.kpi, n_boot=300)

    def recalibrate(self, portfolio: Any = None, window: str | None = None):
        """Re-validate a portfolio on the month ``window`` (default: the drift split) against the months
        before it (``evalnb.recalibrate``); default portfolio: the Explorer's current one."""
        split = window or self.drift_split or (self.windows()[-1] if self.windows() else "")
        if not split:
            raise evalnb.EvalnbError("no month to recalibrate on: the data has no timestamps")
        if portfolio is None:
            portfolio = self.portfolio()
        frame = self.joined_frame()
        start = pd.to_datetime(frame["timestamp"], utc=True).min().strftime("%Y-%m-%d")
        self.proposal = evalnb.recalibrate(portfolio, frame, window=split, baseline_window=(start, f"{split}-01"),
                                           n_boot=300)
        return self.proposal

    def export_proposal(self, path: str) -> str:
        """Write the last recalibration proposal (YAML/JSON by suffix) and its Markdown diff beside it."""
        from pathlib import Path

        prop = getattr(self, "proposal", None)
        if prop is None:
            raise evalnb.EvalnbError("press Recalibrate first: there is no proposal to export")
        out = Path(path)
        if not out.parent.exists():
            raise evalnb.EvalnbError(f"folder {out.parent} does not exist; nothing was written")
        written = prop.write(out)
        out.with_suffix(".md").write_text(prop.to_markdown(), encoding="utf-8")
        return str(written)

    def validate_judge(self, judge: str, human: str = "human_rating"):
        """Judge vs human agreement (``evalnb.validate_judge``), all models."""
        return evalnb.validate_judge(self.frame, judge=judge, human=human)

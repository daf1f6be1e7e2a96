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
                 metrics: Sequence[str] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.runs = runs if isinstance(runs, evalnb.Runs) else evalnb.load_runs(runs)
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
            self.metric = self.metric_columns[0] if self.metric_columns else ""
        if self.kpi_columns and not self.kpi:
            self.kpi = self.kpi_columns[0]
        if self.slice_by not in self.group_columns and self.group_columns:
            self.slice_by = self.group_columns[0]
        self.fail_threshold = self.default_threshold(self.metric)

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
        data[by] = data[by].map(lambda v: reveal(text_of(v))[:80])
        return alt.Chart(data).mark_bar().encode(
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

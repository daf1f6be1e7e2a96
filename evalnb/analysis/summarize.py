"""``summarize``: per-group estimates with n and confidence intervals, by each output's aggregation.

- MEAN outputs: the mean with a seeded percentile bootstrap CI (constant samples give the point).
- PROPORTION outputs (0/1): the rate with a Wilson score CI.
- PERCENTILE outputs (latency): p50/p95/p99 with distribution-free order-statistic CIs.
- CORPUS outputs (BLEU, chrF, macro-F1): ``metric.corpus_score`` on the group's per-item
  statistics, with a bootstrap CI that resamples items and re-aggregates.
- Cost per successful item when ``success=`` names a 0/1 column: sum(cost) / sum(success),
  with a bootstrap CI of the ratio.

Rows where a value is NaN (the metric does not apply there) are excluded; ``n`` counts the rows
used and ``n_excluded`` the rows left out.
"""
from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .._display import ResultDisplay
from .._errors import EvalnbError, SmallSampleWarning
from .. import roles
from ..metrics.base import CORPUS, MEAN, PERCENTILE, PROPORTION, Metric, Output
from ..metrics.scoring import KEY_COLUMNS, Scores
from ..stats import intervals as iv
from ..stats.resample import ANALYTIC_N

FRAME_COLUMNS = ["metric", "source", "statistic", "estimate", "ci_low", "ci_high", "n", "n_excluded",
                 "higher_is_better", "method", "note"]
SMALL_N = 10


@dataclass(frozen=True)
class ColumnSpec:
    """How one column is aggregated: its metric (if any), aggregation and direction."""

    column: str
    source: str
    aggregation: str = MEAN
    higher_is_better: bool = True
    metric: Metric | None = None


def _infer_aggregation(values: pd.Series, column: str) -> str:
    """Aggregation of a column without a metric object (:func:`evalnb.roles.aggregation`)."""
    return roles.aggregation(column, values)


def resolve_columns(data: Any, metrics: Sequence[str] | str | None = None,
                    aggregation: Mapping[str, str] | None = None,
                    higher_is_better: Mapping[str, bool] | None = None) -> tuple[pd.DataFrame, list[ColumnSpec]]:
    """The frame and the column specs to aggregate, from Scores or a DataFrame.

    ``metrics`` may name metrics (expanded to their outputs), output columns, or any numeric
    column (a KPI, a precomputed judge score). Default: every metric output of a Scores, or every
    numeric non-key column of a DataFrame.

    >>> frame, specs = resolve_columns(pd.DataFrame({"model": ["a"], "ok": [1]}))
    >>> specs[0].aggregation
    'proportion'
    """
    aggregation = dict(aggregation or {})
    directions = dict(higher_is_better or {})
    if isinstance(data, Scores):
        frame = data.df
        known = dict(data.metrics)
    elif isinstance(data, pd.DataFrame):
        frame, known = data, {}
    elif hasattr(data, "df") and isinstance(data.df, pd.DataFrame):
        frame, known = data.df, {}
    else:
        raise EvalnbError(f"expected Scores or a DataFrame, got {type(data).__name__}")
    by_output: dict[str, tuple[Metric, Output]] = {}
    for metric in known.values():
        for out in metric.outputs:
            by_output[out.column] = (metric, out)
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    if metrics is None:
        if known:
            wanted = [c for c in frame.columns if c in by_output]
        else:
            skip = set(KEY_COLUMNS) | {"source_line", "sample_id"}
            wanted = [c for c in frame.columns if c not in skip and not str(c).startswith("_")
                      and "__" not in str(c) and pd.api.types.is_numeric_dtype(frame[c])]
    else:
        wanted = []
        for name in metrics:
            if name in known:
                wanted += [o.column for o in known[name].outputs]
            elif name in frame.columns:
                wanted.append(name)
            else:
                options = sorted(set(known) | set(by_output) | {c for c in frame.columns
                                                                 if pd.api.types.is_numeric_dtype(frame[c])})
                raise EvalnbError(f"'{name}' is neither a scored metric nor a numeric column; "
                                  f"choose from: {', '.join(options)}")
    specs = []
    for col in dict.fromkeys(wanted):
        if col not in frame.columns:
            continue
        if col in by_output:
            metric, out = by_output[col]
            agg = aggregation.get(col, out.aggregation)
            hib = roles.higher_is_better(col, metric, directions)
            specs.append(ColumnSpec(col, metric.name, agg, hib, metric))
        else:
            agg = aggregation.get(col) or _infer_aggregation(frame[col], col)
            hib = roles.higher_is_better(col, overrides=directions)
            specs.append(ColumnSpec(col, col, agg, hib, None))
    for col, agg in aggregation.items():
        if agg not in (MEAN, PROPORTION, PERCENTILE, CORPUS):
            raise EvalnbError(f"aggregation for '{col}' must be mean, proportion, percentile or corpus, not {agg!r}")
    return frame, specs


def _numeric(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values):
        values = values.astype(float)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def canonical_order(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by their keys, so resampling (and so every CI) does not depend on row order."""
    keys = [c for c in ("run_id", "model", "item_id", "sample_id") if c in rows.columns]
    if not keys:
        return rows
    return rows.sort_values(keys, kind="stable", na_position="last")


def corpus_replicates(metric: Metric, column: str, rows: pd.DataFrame, n_boot: int, seed: int) -> np.ndarray:
    """Bootstrap replicates of ``metric.corpus_score(rows)[column]``, items resampled with replacement.

    The resampling depends only on ``(len(rows), n_boot, seed)``, so two aligned frames of matched
    items called with the same seed are resampled jointly (a paired bootstrap). Three routes, fastest
    first: the metric's own ``corpus_bootstrap(rows, n_boot=, seed=)`` hook; summed per-item
    statistics (metrics with ``stat_columns`` whose corpus value depends only on their sums, e.g.
    BLEU and chrF); else ``corpus_score`` on each resampled frame.
    """
    n = len(rows)
    hook = getattr(metric, "corpus_bootstrap", None)
    if hook is not None:
        return np.asarray(hook(rows, n_boot=n_boot, seed=seed)[column], dtype=float)
    stat_columns = getattr(metric, "stat_columns", None)
    if stat_columns and all(c in rows for c in stat_columns):
        return paired_corpus_replicates(metric, column, [rows], n_boot, seed)[0][0]
    rng = np.random.default_rng(seed)
    reps = np.empty(n_boot)
    for i in range(n_boot):
        counts = rng.multinomial(n, np.full(n, 1.0 / n))
        reps[i] = metric.corpus_score(rows.iloc[np.repeat(np.arange(n), counts)])[column]
    return reps


def paired_corpus_replicates(metric: Metric, column: str, sides: Sequence[pd.DataFrame], n_boot: int,
                             seed: int) -> tuple[list[np.ndarray], str]:
    """Replicates of the corpus value for each of ``sides`` (aligned frames of the same items,
    resampled jointly), for metrics whose corpus value depends only on summed ``stat_columns``.

    A replicate is a product of resample counts with the per-item statistics, then one corpus
    value from the summed vector: no re-tokenisation, no frame per replicate. Above
    ``resample.ANALYTIC_N`` items the summed statistics are drawn from their normal limit (joint
    across sides) instead of B x n counts (:func:`evalnb.stats.resample.sum_replicates`); the
    string says which route ran.
    """
    from ..stats.resample import sum_replicates

    cols = list(metric.stat_columns)
    stats = np.hstack([np.nan_to_num(side[cols].to_numpy(dtype=float)) for side in sides])
    sums, how = sum_replicates(stats, n_boot, seed)
    k = len(cols)
    return [_corpus_from_sums(metric, column, cols, sums[:, i * k:(i + 1) * k]) for i in range(len(sides))], how


def _corpus_from_sums(metric: Metric, column: str, cols: list[str], sums: np.ndarray) -> np.ndarray:
    """``metric.corpus_score`` of each row of summed statistics.

    sacrebleu-backed metrics (BLEU, chrF) go straight to the scorer's ``_compute_score_from_stats``
    on the rounded sums, which is what their ``corpus_score`` does after summing (checked on the
    first replicate; any disagreement falls back to ``corpus_score`` on a one-row frame).
    """
    frame = pd.DataFrame(np.rint(sums[:1]), columns=cols)
    first = float(metric.corpus_score(frame)[column])
    fn = getattr(getattr(metric, "_scorer", None), "_compute_score_from_stats", None)
    if fn is not None and column == metric.name:
        try:
            fast = [float(fn([int(v) for v in row]).score) for row in np.rint(sums)]
            if len(fast) and (fast[0] == first or (np.isnan(fast[0]) and np.isnan(first))):
                return np.asarray(fast)
        except Exception:  # noqa: BLE001 - any surprise: the public route below
            pass
    frame = pd.DataFrame(np.rint(sums), columns=cols)
    return np.array([metric.corpus_score(frame.iloc[[i]])[column] for i in range(len(frame))], dtype=float)


def _sums_route(metric: Metric, rows: pd.DataFrame) -> bool:
    cols = getattr(metric, "stat_columns", None)
    return getattr(metric, "corpus_bootstrap", None) is None and bool(cols) and all(c in rows for c in cols)


def corpus_interval(metric: Metric, column: str, group: pd.DataFrame, confidence: float, n_boot: int,
                    seed: int) -> iv.Interval:
    """Corpus value of ``column`` for ``group`` with a bootstrap CI over items (see :func:`corpus_replicates`)."""
    rows = group[group[column].notna()] if column in group else group
    rows = canonical_order(rows)
    n = len(rows)
    method = f"corpus_score; bootstrap percentile over items (B={n_boot}, seed={seed})"
    if n == 0:
        return iv.Interval(float("nan"), float("nan"), float("nan"), 0, method, confidence, "no observations")
    point = float(metric.corpus_score(rows)[column])
    if n == 1:
        return iv.Interval(point, point, point, 1, method, confidence, "single observation")
    reps = corpus_replicates(metric, column, rows, n_boot, seed)
    reps = reps[~np.isnan(reps)]
    if _sums_route(metric, rows) and n > ANALYTIC_N:
        method = (f"corpus_score; bootstrap percentile over items (B={n_boot}, seed={seed}; summed statistics "
                  f"drawn from their normal limit, n > {ANALYTIC_N:,})")
    if len(reps) == 0 or np.ptp(reps) == 0:
        return iv.Interval(point, point, point, n, method, confidence, "no variation to resample")
    alpha = 1 - confidence
    low, high = np.quantile(reps, [alpha / 2, 1 - alpha / 2])
    return iv.Interval(point, float(min(low, point)), float(max(high, point)), n, method, confidence)


def _cell(spec: ColumnSpec, group: pd.DataFrame, confidence: float, n_boot: int, seed: int,
          percentiles: Sequence[float]) -> list[tuple[str, iv.Interval]]:
    values = _numeric(group[spec.column])
    agg = spec.aggregation
    if agg == CORPUS:
        if spec.metric is not None:
            try:
                return [("corpus", corpus_interval(spec.metric, spec.column, group, confidence, n_boot, seed))]
            except NotImplementedError:
                pass
        ci = iv.bootstrap_mean_ci(values, confidence, n_boot, seed)
        return [("mean", iv.Interval(**{**ci.__dict__, "note": "no corpus_score: per-item mean shown"}))]
    if agg == PROPORTION:
        clean = values[~np.isnan(values)]
        if np.isin(clean, (0.0, 1.0)).all():
            return [("rate", iv.proportion_ci(clean, confidence))]
        ci = iv.bootstrap_mean_ci(values, confidence, n_boot, seed)
        return [("mean", iv.Interval(**{**ci.__dict__, "note": "values are not 0/1: mean with bootstrap CI"}))]
    if agg == PERCENTILE:
        return [(f"p{q:g}", iv.quantile_ci(values, q / 100.0, confidence)) for q in percentiles]
    return [("mean", iv.bootstrap_mean_ci(values, confidence, n_boot, seed))]


def _cell_rows(labels: dict, key: tuple, spec: ColumnSpec, cells: list[tuple[str, iv.Interval]], total: int,
               small: list[str]) -> list[dict[str, Any]]:
    """The table rows of one group x column (shared by the in-memory and the DuckDB paths); small-n
    cells are noted and collected in ``small`` for one grouped warning."""
    rows = []
    for statistic, ci in cells:
        note = ci.note
        if 0 < ci.n < SMALL_N and "single" not in note:
            note = "; ".join(filter(None, [note, f"small n ({ci.n})"]))
        if "max at this n" in note or 0 < ci.n < SMALL_N:
            small.append(f"{'/'.join(map(str, key)) or 'all'}:{spec.column}:{statistic}")
        rows.append({**labels, "metric": spec.column, "source": spec.source, "statistic": statistic,
                     "estimate": ci.estimate, "ci_low": ci.low, "ci_high": ci.high, "n": ci.n,
                     "n_excluded": total - ci.n, "higher_is_better": spec.higher_is_better,
                     "method": ci.method, "note": note})
    return rows


@dataclass(frozen=True)
class Summary(ResultDisplay):
    """Per-group estimates with CIs (one row per group x metric x statistic).

    Attributes
    ----------
    frame : tidy table: group columns, metric, source, statistic (mean/rate/corpus/p50/p95/p99/
        cost_per_success), estimate, ci_low, ci_high, n, n_excluded, higher_is_better, method, note.
    by : the group columns.
    confidence, n_boot, seed : how the CIs were made.
    signatures : metric name -> signature, for every metric summarised.
    """

    frame: pd.DataFrame
    by: tuple[str, ...]
    confidence: float = 0.95
    n_boot: int = 2000
    seed: int = 0
    signatures: Mapping[str, str] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def table(self, statistic: str | None = None, digits: int = 3) -> pd.DataFrame:
        """Groups x metrics with "estimate [low, high]" cells (one statistic per metric by default:
        the first listed, e.g. p50 for latency).

        >>> evalnb.summarize(scores).table()     # doctest: +SKIP
        """
        frame = self.frame
        if statistic is not None:
            frame = frame[frame["statistic"] == statistic]
        else:
            first = frame.groupby("metric", sort=False)["statistic"].first()
            frame = frame[frame["statistic"] == frame["metric"].map(first)]
        text = frame.apply(lambda r: _fmt_ci(r, digits), axis=1)
        out = frame.assign(cell=text)
        index = list(self.by) if self.by else None
        if index is None:
            return out.set_index("metric")[["cell"]].T.reset_index(drop=True)
        return out.pivot_table(index=index, columns="metric", values="cell", aggfunc="first", sort=False).reset_index()

    def summary(self) -> str:
        """Plain-text table of every estimate with its CI and n."""
        frame = self.frame.copy()
        frame["estimate [CI]"] = frame.apply(_fmt_ci, axis=1)
        cols = list(self.by) + ["metric", "statistic", "estimate [CI]", "n", "note"]
        head = (f"Summary by {', '.join(self.by) or '(all rows)'}: {self.confidence:.0%} CIs "
                f"(bootstrap B={self.n_boot}, seed={self.seed}; Wilson for rates; order statistics for percentiles)")
        return head + "\n" + frame[cols].to_string(index=False)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        frame = self.frame.copy()
        frame["estimate [CI]"] = frame.apply(_fmt_ci, axis=1)
        cols = list(self.by) + ["metric", "statistic", "estimate [CI]", "n", "n_excluded", "method", "note"]
        head = html.escape(f"Summary by {', '.join(self.by) or '(all rows)'}, {self.confidence:.0%} CIs")
        return f"<p><b>{head}</b></p>" + frame[cols].to_html(index=False, escape=True)

    def chart(self, metrics: Sequence[str] | None = None):
        """Altair point + error-bar chart: one panel per metric/statistic, groups on the y axis."""
        import altair as alt

        data = self.frame.dropna(subset=["estimate"]).copy()
        if metrics is not None:
            data = data[data["metric"].isin(list(metrics))]
        data["group"] = data[list(self.by)].astype(str).agg(" / ".join, axis=1) if self.by else "all"
        data["panel"] = data["metric"] + " " + data["statistic"]
        data = data[["group", "panel", "estimate", "ci_low", "ci_high", "n"]]
        base = alt.Chart(data).encode(y=alt.Y("group:N", title=" / ".join(self.by) or None))
        points = base.mark_point(filled=True).encode(
            x=alt.X("estimate:Q", title=None, scale=alt.Scale(zero=False)),
            tooltip=["group:N", "panel:N", alt.Tooltip("estimate:Q", format=".4g"),
                     alt.Tooltip("ci_low:Q", format=".4g"), alt.Tooltip("ci_high:Q", format=".4g"), "n:Q"])
        bars = base.mark_errorbar().encode(x="ci_low:Q", x2="ci_high:Q")
        return (bars + points).properties(width=220, height=alt.Step(16)).facet(
            facet=alt.Facet("panel:N", title=None), columns=3).resolve_scale(x="independent")


def _fmt_ci(row: pd.Series, digits: int = 3) -> str:
    est = row["estimate"]
    if pd.isna(est):
        return "n/a"
    return f"{est:.{digits}g} [{row['ci_low']:.{digits}g}, {row['ci_high']:.{digits}g}]"


def summarize(scores: Any, by: Sequence[str] | str | None = ("model",), metrics: Sequence[str] | str | None = None, *,
              confidence: float = 0.95, n_boot: int = 2000, seed: int = 0, success: str | None = None,
              aggregation: Mapping[str, str] | None = None, higher_is_better: Mapping[str, bool] | None = None,
              percentiles: Sequence[float] = (50, 95, 99), progress: bool = True) -> Summary:
    """Aggregate per-item scores per group with n and confidence intervals.

    Parameters
    ----------
    scores : :class:`~evalnb.metrics.scoring.Scores`, or a DataFrame (then ``metrics`` lists the
        columns; aggregation is inferred: 0/1 -> rate, ``latency_ms`` -> percentiles, else mean), or
        a Parquet scores dataset (a folder, a ``.parquet`` glob or a ``ScoresDataset``): DuckDB then
        aggregates out of core with the same numbers (:mod:`evalnb.analysis.dataset`).
    by : group columns (default ``["model"]``); ``None`` or ``[]`` for one overall group.
    metrics : metric names, output columns or numeric columns to include (default: all outputs).
    confidence : CI level. n_boot, seed : bootstrap replicates and seed (recorded in ``method``).
    success : a 0/1 column (a KPI such as ``task_success`` or a metric output such as
        ``accuracy``); adds ``cost_per_success`` = sum(cost) / sum(success) for ``cost_usd``.
    aggregation, higher_is_better : per-column overrides.
    percentiles : the quantiles reported for PERCENTILE outputs.

    Returns
    -------
    Summary with ``.to_frame()``, ``.table()``, ``.summary()`` and ``.chart()``.

    Examples
    --------
    >>> scores = evalnb.score(runs, ["accuracy", "latency", "cost"])        # doctest: +SKIP
    >>> evalnb.summarize(scores, by=["model"], success="accuracy").table()   # doctest: +SKIP
    """
    from tqdm.auto import tqdm

    from .dataset import is_dataset

    if is_dataset(scores):  # a Parquet scores dataset: DuckDB aggregates out of core, same numbers
        return _summarize_dataset(scores, by, metrics, confidence=confidence, n_boot=n_boot, seed=seed,
                                 aggregation=aggregation, higher_is_better=higher_is_better,
                                 percentiles=percentiles, progress=progress)
    frame, specs = resolve_columns(scores, metrics, aggregation, higher_is_better)
    by_cols = [by] if isinstance(by, str) else list(by or [])
    missing = [c for c in by_cols if c not in frame.columns]
    if missing:
        raise EvalnbError(f"cannot group by {missing}: no such column; columns are: {', '.join(map(str, frame.columns))}")
    if not 0 < confidence < 1:
        raise EvalnbError(f"confidence must be between 0 and 1, got {confidence}")
    if success is not None and success not in frame.columns:
        raise EvalnbError(f"success column '{success}' not found; join KPIs first or pass a metric output "
                          "such as 'accuracy'")
    groups = list(frame.groupby(by_cols, dropna=False, sort=True)) if by_cols else [((), frame)]
    rows: list[dict[str, Any]] = []
    small = []
    bar = tqdm(total=len(groups) * len(specs), desc="summarize", leave=False,
               disable=not progress or len(groups) * len(specs) * n_boot < 2_000_000)
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        labels = dict(zip(by_cols, key))
        for spec in specs:
            total = len(group)
            rows += _cell_rows(labels, key, spec, _cell(spec, group, confidence, n_boot, seed, percentiles),
                               total, small)
            if success is not None and spec.column == "cost_usd":
                ok = _numeric(group[success])
                ci = iv.ratio_ci(_numeric(group["cost_usd"]), ok, confidence, n_boot, seed)
                rows.append({**labels, "metric": "cost_usd", "source": spec.source, "statistic": "cost_per_success",
                             "estimate": ci.estimate, "ci_low": ci.low, "ci_high": ci.high, "n": ci.n,
                             "n_excluded": len(group) - ci.n, "higher_is_better": False, "method": ci.method,
                             "note": "; ".join(filter(None, [f"success = {success}", ci.note]))})
            bar.update()
    bar.close()
    if small:
        shown = ", ".join(small[:5]) + (f" and {len(small) - 5} more" if len(small) > 5 else "")
        warnings.warn(f"small samples: {shown}; see the 'note' column", SmallSampleWarning, stacklevel=2)
    out = pd.DataFrame(rows, columns=by_cols + FRAME_COLUMNS)
    out["n"] = out["n"].astype(int)
    out["n_excluded"] = out["n_excluded"].astype(int)
    signatures = dict(scores.signatures) if isinstance(scores, Scores) else {}
    used = {s.source for s in specs}
    return Summary(out, tuple(by_cols), confidence, n_boot, seed, {k: v for k, v in signatures.items() if k in used})


def _summarize_dataset(data: Any, by: Sequence[str] | str | None = ("model",), metrics: Sequence[str] | str | None = None,
                      *, confidence: float = 0.95, n_boot: int = 2000, seed: int = 0,
                      aggregation: Mapping[str, str] | None = None, higher_is_better: Mapping[str, bool] | None = None,
                      percentiles: Sequence[float] = (50, 95, 99), memory_limit: str = "2GB",
                      temp_directory: str | None = None, progress: bool = True):
    """:func:`summarize` over a Parquet scores dataset: DuckDB aggregates out of core and hands the interval
    code exactly the values it needs (see :mod:`evalnb.analysis.dataset`), so the numbers are the
    in-memory numbers."""
    from tqdm.auto import tqdm

    from .dataset import _SAMPLE_ROWS, _q, _total, _where, connect, group_values, open_dataset

    ds = open_dataset(data)
    con = connect(memory_limit, temp_directory)
    src = f"read_parquet('{ds.files}', union_by_name=true)"
    by_cols = [by] if isinstance(by, str) else list(by or [])
    sample = con.execute(f"SELECT * FROM {src} LIMIT {_SAMPLE_ROWS}").df()
    if sample.empty:
        raise EvalnbError(f"{ds.path}: the scores dataset has no rows")
    missing = [c for c in by_cols if c not in sample.columns]
    if missing:
        raise EvalnbError(f"cannot group by {missing}: no such column; columns are: {', '.join(map(str, sample.columns))}")
    known = ds.metrics()
    # 0/1 inference must see every row, not the sample: ask DuckDB which numeric columns are binary.
    agg = dict(aggregation or {})
    numeric = [c for c in sample.columns if pd.api.types.is_numeric_dtype(sample[c])]
    if numeric:
        flags = con.execute("SELECT " + ", ".join(f"bool_and({_q(c)} IN (0, 1)) OR count({_q(c)}) = 0" for c in numeric)
                            + f" FROM {src}").fetchone()
        for c, binary in zip(numeric, flags):
            if not binary and c not in agg and sample[c].dropna().isin([0, 1]).all() and not any(
                    c in m.columns for m in known.values()):
                agg[c] = "mean"
    _, specs = resolve_columns(Scores(sample, known, ds.signatures, ds.status), metrics, agg, higher_is_better)
    keys = con.execute(f"SELECT DISTINCT {', '.join(map(_q, by_cols))} FROM {src} ORDER BY ALL").df() if by_cols \
        else pd.DataFrame(index=[0])
    totals = con.execute(
        f"SELECT {', '.join(map(_q, by_cols)) + ', ' if by_cols else ''}count(*) AS n FROM {src} "
        + (f"GROUP BY ALL" if by_cols else "")).df()
    rows, small = [], []
    bar = tqdm(total=len(keys) * len(specs), desc="summarize (duckdb)", leave=False, disable=not progress)
    for key in keys.itertuples(index=False):
        key = tuple(key) if by_cols else ()
        where, params = _where(by_cols, key)
        total = int(_total(totals, by_cols, key))
        for spec in specs:
            group = group_values(con, src, spec, where, params)
            rows += _cell_rows(dict(zip(by_cols, key)), key, spec,
                               _cell(spec, group, confidence, n_boot, seed, percentiles), total, small)
            bar.update()
    bar.close()
    con.close()
    if small:
        from .._errors import SmallSampleWarning

        warnings.warn(f"small samples: {', '.join(small[:5])}; see the 'note' column", SmallSampleWarning, stacklevel=2)
    out = pd.DataFrame(rows, columns=by_cols + FRAME_COLUMNS)
    out["n"] = out["n"].astype(int)
    out["n_excluded"] = out["n_excluded"].astype(int)
    used = {s.source for s in specs}
    return Summary(out, tuple(by_cols), confidence, n_boot, seed, {k: v for k, v in ds.signatures.items() if k in used})


def classification_report(data: Any, by: Sequence[str] | str | None = ("model",)) -> pd.DataFrame:
    """Per-class precision, recall, F1 and support per group, plus a ``macro avg`` row.

    ``data`` is Runs / a DataFrame with ``label`` and ``prediction``, or Scores that include
    ``macro_f1`` (its per-item label/prediction columns). Matches scikit-learn's
    ``precision_recall_fscore_support`` with ``zero_division=0``.

    >>> classification_report(runs.filter(task="classification"), by="model")   # doctest: +SKIP
    """
    from ..metrics.classification import LABEL_COL, PRED_COL, _as_label, per_class

    frame = data.df if hasattr(data, "df") else data
    if LABEL_COL in frame and PRED_COL in frame:
        gold_col, pred_col = LABEL_COL, PRED_COL
    elif "label" in frame and "prediction" in frame:
        gold_col, pred_col = "label", "prediction"
    else:
        raise EvalnbError("classification_report needs 'label' and 'prediction' columns "
                          "(or Scores that include the macro_f1 metric)")
    by_cols = [by] if isinstance(by, str) else list(by or [])
    frame = frame[(frame[gold_col].notna()) & (frame[pred_col].notna())]
    parts = []
    groups = frame.groupby(by_cols, dropna=False, sort=True) if by_cols else [((), frame)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        table = per_class(_as_label(group[gold_col]), _as_label(group[pred_col]))
        macro = {"class": "macro avg", "precision": table["precision"].mean(), "recall": table["recall"].mean(),
                 "f1": table["f1"].mean(), "support": int(table["support"].sum())}
        table = pd.concat([table, pd.DataFrame([macro])], ignore_index=True)
        for col, value in zip(by_cols, key):
            table.insert(by_cols.index(col), col, value)
        parts.append(table)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=by_cols + ["class", "precision", "recall", "f1", "support"])

"""``worst_slices``: find the slices whose failure rate is significantly above the rest.

For every value of each slice column (and every model x value, and the combination of all slice
columns when there are several), the failure rate inside the slice is compared with the rate in
all other rows by a one-sided Fisher exact test (scipy ``fisher_exact``, ``alternative="greater"``:
"does this slice fail more often than the rest?"). P-values are adjusted across all tested slices
(Holm by default, Benjamini-Hochberg with ``adjust="bh"``). Slices smaller than ``min_n`` are listed
but not tested. Each rate has a Wilson CI; ``lift`` = slice rate / rest rate.
"""
from __future__ import annotations

import html
import operator
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from .. import roles
from .. import roles
from .._display import ResultDisplay
from .._errors import EvalnbError
from ..metrics.base import PROPORTION
from ..stats.intervals import wilson_ci
from .._compat import renamed
from ..stats.multiplicity import LABELS
from ..stats.multiplicity import adjust as adjust_p
from .summarize import resolve_columns

MISSING = "(missing)"
_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
_RULE = re.compile(r"^\s*(<=|>=|==|!=|<|>)\s*(-?[0-9.eE+-]+)\s*$")


@dataclass(frozen=True)
class SliceReport(ResultDisplay):
    """Slices ranked worst first.

    Attributes
    ----------
    frame : one row per slice: level (which columns), slice (readable label), one column per slice
        dimension, n, failures, failure_rate with Wilson ci_low/ci_high, rest_n, rest_rate, lift,
        difference, p_value, p_adjusted, significant, tested, note.
    metric : the column judged. rule : the failure rule in words. overall_rate : the failure rate
        over all rows with a value. n_total : those rows.
    """

    frame: pd.DataFrame
    metric: str
    rule: str
    by: tuple[str, ...]
    min_n: int
    method: str
    alpha: float
    overall_rate: float
    n_total: int
    data: pd.DataFrame = field(repr=False, compare=False, default=None)
    failed: pd.Series = field(repr=False, compare=False, default=None)

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    @property
    def significant(self) -> pd.DataFrame:
        return self.frame[self.frame["significant"]].copy()

    def rows(self, index: int = 0, failures_only: bool = True) -> pd.DataFrame:
        """The scored rows of the slice at position ``index`` of ``frame`` (the worst by default),
        only the failing ones unless ``failures_only=False``; for drill-down views."""
        if self.data is None:
            raise EvalnbError("this report was computed over a scores dataset, so its rows are not in memory: load "
                              "the slice's rows (e.g. ScoresDataset(path).load()) and run worst_slices on them")
        row = self.frame.iloc[index]
        mask = self.failed.notna()
        for dim in self.dimensions:
            if pd.notna(row[dim]):
                mask &= _labels(self.data[dim]) == row[dim]
        if failures_only:
            mask &= self.failed.fillna(False).astype(bool)
        return self.data[mask].copy()

    @property
    def dimensions(self) -> list[str]:
        return [c for c in self.frame.columns if c not in _REPORT_COLUMNS]

    def _title(self) -> str:
        return (f"Worst slices for {self.metric} (failure: {self.rule}); overall failure rate "
                f"{self.overall_rate:.1%} of {self.n_total:,}; one-sided Fisher exact vs the rest, "
                f"{LABELS[self.method]} at alpha={self.alpha}; slices with n < {self.min_n} not tested")

    def _display(self, top: int) -> pd.DataFrame:
        f = self.frame.head(top).copy()
        f["failure rate [CI]"] = [f"{r:.1%} [{lo:.1%}, {hi:.1%}]" for r, lo, hi in zip(f["failure_rate"], f["ci_low"], f["ci_high"])]
        f["rest"] = f["rest_rate"].map(lambda r: f"{r:.1%}")
        f["lift"] = f["lift"].map(lambda v: f"{v:.2f}x")
        f["p_adj"] = f["p_adjusted"].map(lambda p: "not tested" if pd.isna(p) else f"{p:.3g}")
        return f[["slice", "n", "failures", "failure rate [CI]", "rest", "lift", "p_adj", "significant"]]

    def summary(self, top: int = 10) -> str:
        return self._title() + "\n" + self._display(top).to_string(index=False)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(self._title())}</b></p>" + self._display(15).to_html(index=False, escape=True)

    def chart(self, top: int = 15):
        """Failure rate with Wilson CI per slice (worst first), the overall rate as a rule."""
        import altair as alt

        data = self.frame.head(top)[["slice", "n", "failure_rate", "ci_low", "ci_high", "p_adjusted", "significant"]].copy()
        data["order"] = range(len(data))
        y = alt.Y("slice:N", sort=alt.EncodingSortField("order"), title=None)
        base = alt.Chart(data).encode(y=y)
        bars = base.mark_errorbar().encode(x=alt.X("ci_low:Q", title=f"failure rate ({self.rule})",
                                                   axis=alt.Axis(format="%")), x2="ci_high:Q")
        points = base.mark_point(filled=True, size=60).encode(
            x="failure_rate:Q", color=alt.Color("significant:N", title="significant"),
            tooltip=["slice:N", "n:Q", alt.Tooltip("failure_rate:Q", format=".1%"),
                     alt.Tooltip("p_adjusted:Q", format=".3g")])
        overall = alt.Chart(pd.DataFrame({"overall": [self.overall_rate]})).mark_rule(strokeDash=[4, 3]).encode(x="overall:Q")
        return (bars + points + overall).properties(width=360, height=alt.Step(18),
                                                    title=f"Worst slices: {self.metric}")


_REPORT_COLUMNS = {"level", "slice", "n", "failures", "failure_rate", "ci_low", "ci_high", "rest_n",
                   "rest_failures", "rest_rate", "lift", "difference", "p_value", "p_adjusted", "significant",
                   "tested", "note"}


def _labels(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), MISSING).astype(str)


def failure_rule(failure: Any, higher_is_better: bool, aggregation: str, binary: bool) -> tuple[str, float, str]:
    """What counts as a failure for a threshold, a rule string or None: ``(operator, threshold, rule in words)``.

    The one place that reads ``failure=`` (a callable is handled by :func:`failure_mask`); the pandas
    mask and the DuckDB predicate over a dataset both use it.

    >>> failure_rule(3, True, "mean", False)
    ('<', 3.0, '< 3')
    """
    if failure is None:
        if aggregation != PROPORTION and not binary:
            raise EvalnbError("failure= is required for a non-0/1 metric: pass a threshold (failure=3 means "
                              "'below 3 fails' for a higher-is-better metric), a rule such as '<3', or a callable")
        threshold = 0.0 if higher_is_better else 1.0
        return "==", threshold, f"== {threshold:g}"
    if isinstance(failure, str):
        match = _RULE.match(failure)
        if not match:
            raise EvalnbError(f"cannot read failure rule {failure!r}; write e.g. '<3', '<=0.5', '>2000' or '==0'")
        return match[1], float(match[2]), f"{match[1]} {float(match[2]):g}"
    if isinstance(failure, (int, float, np.number)) and not isinstance(failure, bool):
        op = "<" if higher_is_better else ">"
        return op, float(failure), f"{op} {float(failure):g}"
    raise EvalnbError(f"failure must be a threshold, a rule string or a callable, not {type(failure).__name__}")


def failure_mask(values: pd.Series, failure: Any, higher_is_better: bool, aggregation: str) -> tuple[pd.Series, str]:
    """Boolean failure per row (NaN where the value is missing) and the rule in words.

    >>> failure_mask(pd.Series([1.0, 4.0]), "<3", True, "mean")[1]
    '< 3'
    """
    numeric = pd.to_numeric(values, errors="coerce").astype(float)
    present = numeric.notna()
    if callable(failure):
        result = pd.Series(failure(values), index=values.index)
        if result.dtype != bool and not result.dropna().isin([True, False, 0, 1]).all():
            raise EvalnbError("failure callable must return booleans, one per row")
        rule = getattr(failure, "__name__", "custom rule")
        present = values.notna()
        return result.astype(float).where(present), rule
    binary = numeric.dropna().empty or roles.is_binary(numeric)
    op, threshold, rule = failure_rule(failure, higher_is_better, aggregation, binary)
    return _OPS[op](numeric, threshold).astype(float).where(present), rule


def _slice_sets(frame: pd.DataFrame, by: list[str], model_col: str, by_model: bool) -> list[list[str]]:
    sets = [[c] for c in by]
    if len(by) > 1:
        sets.append(list(by))
    if by_model and model_col in frame and model_col not in by:
        sets += [[model_col, *s] for s in list(sets)]
    return sets


def worst_slices(scores: Any, metric: str, by: Sequence[str] | str = ("category",), failure: Any = None, *,
                 min_n: int = 20, adjust: str = "holm", alpha: float = 0.05, model_col: str = "model",
                 by_model: bool = True, higher_is_better: bool | None = None,
                 method: str | None = None, memory_limit: str = "2GB", temp_directory: str | None = None) -> SliceReport:
    """Slices (and model x slice) whose failure rate is significantly above the rest, worst first.

    Parameters
    ----------
    scores : Scores or a DataFrame with the metric column and the slice columns.
    metric : a metric name or column (``"judge_faithfulness"``, ``"accuracy"``).
    by : slice column(s). With several, each column alone and their combination are tried.
    failure : what counts as a failure: a threshold (below it fails for higher-is-better
        metrics, above it for lower-is-better), a rule string (``"<3"``, ``">2000"``), a callable
        ``values -> bools``, or None for a 0/1 metric (0 fails; 1 fails when lower is better).
    min_n : slices with fewer rows are listed with ``tested=False`` and no p-value.
    adjust : ``"holm"`` or ``"bh"`` across all tested slices (``method=`` is its old name,
        deprecated). alpha : level for ``significant``.
    model_col, by_model : also test model x slice (default when a ``model`` column exists).
    higher_is_better : override the metric's direction.
    memory_limit, temp_directory : for a Parquet scores dataset (a folder, a ``.parquet`` glob or a
        ``ScoresDataset``), DuckDB counts rows and failures per slice out of core; the table is the
        in-memory one (``rows()`` then needs the rows loaded; a callable ``failure`` is not accepted).

    Examples
    --------
    >>> rep = evalnb.worst_slices(scores, "judge_faithfulness", by=["category"], failure="<3")  # doctest: +SKIP
    >>> rep.to_frame().head(3)[["slice", "failure_rate", "lift", "p_adjusted"]]                  # doctest: +SKIP
    """
    method = renamed("worst_slices", "method", method, "adjust", adjust)
    by_cols = [by] if isinstance(by, str) else list(by)
    if not by_cols:
        raise EvalnbError("worst_slices needs at least one slice column in by=")
    if min_n < 1:
        raise EvalnbError(f"min_n must be at least 1, got {min_n}")
    from .dataset import is_dataset

    if is_dataset(scores):
        return _worst_slices_dataset(scores, metric, by_cols, failure, min_n, method, alpha, model_col, by_model,
                                     higher_is_better, memory_limit, temp_directory)
    frame, specs = resolve_columns(scores, [metric])
    spec = specs[0]
    hib = spec.higher_is_better if higher_is_better is None else bool(higher_is_better)
    _check_columns(frame.columns, by_cols)
    failed, rule = failure_mask(frame[spec.column], failure, hib, spec.aggregation)
    rule = f"{spec.column} {rule}" if rule[:1] in "<>=!" else rule
    present = failed.notna()
    data = frame[present]
    fails = failed[present].astype(bool).to_numpy()
    n_total, k_total = len(data), int(fails.sum())
    if n_total == 0:
        raise EvalnbError(f"no row has a value for '{spec.column}'")
    counts = []
    for cols in _slice_sets(data, by_cols, model_col, by_model):
        labels = pd.DataFrame({c: _labels(data[c]) for c in cols}, index=data.index)
        grouped = pd.DataFrame({"fail": fails}, index=data.index).join(labels).groupby(cols, sort=True)["fail"]
        counts.append((cols, grouped.agg(["size", "sum"]).rename(columns={"size": "n", "sum": "k"})))
    out = _rank(counts, n_total, k_total, min_n, method, alpha, model_col, by_cols)
    return SliceReport(out, spec.column, rule, tuple(by_cols), min_n, method, alpha, k_total / n_total, n_total,
                       data=data, failed=failed[present])


def _check_columns(columns: Sequence[str], by_cols: list[str]) -> None:
    missing = [c for c in by_cols if c not in columns]
    if missing:
        raise EvalnbError(f"cannot slice by {missing}: no such column; columns are: {', '.join(map(str, columns))}")


def _rank(counts: list[tuple[list[str], pd.DataFrame]], n_total: int, k_total: int, min_n: int, method: str,
          alpha: float, model_col: str, by_cols: list[str]) -> pd.DataFrame:
    """The report's table from (slice columns, rows n and failures k indexed by slice label) per slice set:
    Fisher's exact test of each slice against the rest, Wilson CIs, adjusted p-values, worst first."""
    from scipy.stats import fisher_exact

    rows = []
    for cols, table in counts:
        for key, (n, k) in table[["n", "k"]].iterrows():
            key = key if isinstance(key, tuple) else (key,)
            n, k = int(n), int(k)
            rest_n, rest_k = n_total - n, k_total - k
            ci = wilson_ci(k, n)
            rest_rate = rest_k / rest_n if rest_n else float("nan")
            tested = n >= min_n and rest_n > 0
            p = float(fisher_exact([[k, n - k], [rest_k, rest_n - rest_k]], alternative="greater").pvalue) if tested else np.nan
            rate = k / n
            lift = rate / rest_rate if rest_n and rest_rate > 0 else (np.inf if rate > 0 else np.nan)
            note = "" if tested else (f"n < min_n ({min_n}): not tested" if n < min_n else "no rows outside the slice")
            rows.append({"level": " x ".join(cols), "slice": ", ".join(f"{c}={v}" for c, v in zip(cols, key)),
                         **dict(zip(cols, key)), "n": n, "failures": k, "failure_rate": rate, "ci_low": ci.low,
                         "ci_high": ci.high, "rest_n": rest_n, "rest_failures": rest_k, "rest_rate": rest_rate,
                         "lift": lift, "difference": rate - rest_rate, "p_value": p, "tested": tested, "note": note})
    out = pd.DataFrame(rows)
    dims = [c for c in dict.fromkeys([model_col] + by_cols) if c in out.columns]
    adj = adjust_p(out["p_value"].to_numpy(dtype=float), method=method, alpha=alpha)
    out["p_adjusted"] = adj.p_adjusted
    out["significant"] = adj.reject & out["tested"].to_numpy()
    out = out.sort_values(["significant", "tested", "lift", "p_adjusted", "n"],
                          ascending=[False, False, False, True, False], kind="stable", na_position="last")
    ordered = ["level", "slice", *dims, "n", "failures", "failure_rate", "ci_low", "ci_high", "rest_n",
               "rest_failures", "rest_rate", "lift", "difference", "p_value", "p_adjusted", "significant", "tested", "note"]
    return out[ordered].reset_index(drop=True)


_SQL_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "<>"}


def _worst_slices_dataset(data: Any, metric: str, by_cols: list[str], failure: Any, min_n: int, method: str,
                          alpha: float, model_col: str, by_model: bool, higher_is_better: bool | None,
                          memory_limit: str, temp_directory: str | None) -> SliceReport:
    """:func:`worst_slices` over a Parquet scores dataset: DuckDB counts rows and failures per slice (out of
    core); labels and the ranking are the in-memory code's, so the table is the in-memory table."""
    from ..metrics.scoring import Scores
    from .dataset import _SAMPLE_ROWS, _q, connect, open_dataset

    if callable(failure):
        raise EvalnbError("worst_slices over a dataset needs failure= as a threshold or a rule string such as "
                          "'<3' (a Python callable would need every row in memory; load the dataset to use one)")
    ds = open_dataset(data)
    con = connect(memory_limit, temp_directory)
    try:
        src = f"read_parquet('{ds.files}', union_by_name=true)"
        sample = con.execute(f"SELECT * FROM {src} LIMIT {_SAMPLE_ROWS}").df()
        if sample.empty:
            raise EvalnbError(f"{ds.path}: the scores dataset has no rows")
        _check_columns(sample.columns, by_cols)
        _, specs = resolve_columns(Scores(sample, ds.metrics(), ds.signatures, ds.status), [metric])
        spec = specs[0]
        hib = spec.higher_is_better if higher_is_better is None else bool(higher_is_better)
        value = f"TRY_CAST({_q(spec.column)} AS DOUBLE)"
        present = f"{value} IS NOT NULL AND NOT isnan({value})"
        binary = con.execute(f"SELECT coalesce(bool_and({value} IN (0, 1)), true) FROM {src} WHERE {present}").fetchone()[0]
        op, threshold, rule = failure_rule(failure, hib, spec.aggregation, bool(binary))
        rule = f"{spec.column} {rule}"
        fail = f"CAST({value} {_SQL_OPS[op]} {threshold!r} AS INTEGER)"
        n_total, k_total = con.execute(f"SELECT count(*), coalesce(sum({fail}), 0) FROM {src} WHERE {present}").fetchone()
        n_total, k_total = int(n_total), int(k_total)
        if n_total == 0:
            raise EvalnbError(f"no row has a value for '{spec.column}'")
        counts = []
        for cols in _slice_sets(sample, by_cols, model_col, by_model):
            raw = con.execute(f"SELECT {', '.join(map(_q, cols))}, count(*) AS n, sum({fail}) AS k FROM {src} "
                              f"WHERE {present} GROUP BY ALL").df()
            # the in-memory labels (missing -> "(missing)", str()), then one row per label
            labels = pd.DataFrame({c: _labels(raw[c]) for c in cols})
            table = labels.assign(n=raw["n"].to_numpy(), k=raw["k"].to_numpy()).groupby(cols, sort=True)[["n", "k"]].sum()
            counts.append((cols, table))
    finally:
        con.close()
    out = _rank(counts, n_total, k_total, min_n, method, alpha, model_col, by_cols)
    return SliceReport(out, spec.column, rule, tuple(by_cols), min_n, method, alpha, k_total / n_total, n_total)

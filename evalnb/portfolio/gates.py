"""Deployment gates: enforce a portfolio's thresholds on a candidate run, fail closed.

Every gate compares one number with its threshold: the point estimate or a confidence bound
(``rule``), over all items and within every slice the gate names. Anything that prevents an honest
comparison fails the gate with its reason: a NaN or empty metric, a metric that is not computable
on the run, fewer items than ``min_n``, or fewer than ``min_coverage`` (default 90%) of the items
with a value (missing values could hide exactly the failures the gate is for). A gate that cannot
even be set up (an unknown metric whose column is absent, a relative gate without a baseline, a
slice column missing from the run) or whose data is invalid (values that are not numbers, +/-inf,
values outside the metric's declared or known range; the rows are named) is an *error*: the run
could not be evaluated (exit code 2).

Intervals: Wilson for 0/1 metrics, a seeded percentile bootstrap for means, order statistics for
percentiles, and a paired bootstrap of item-level differences for gates relative to a baseline
(``evalnb.stats.intervals``).
"""
from __future__ import annotations

import html
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .. import roles
from .._display import ResultDisplay
from .._errors import DataError, EvalnbError
from ..stats import intervals as iv
from .loading import load_portfolio
from .schema import Gate, MetricSpec, Portfolio

PASS, FAIL, ERROR = "pass", "fail", "error"
EXIT_CODES = {PASS: 0, FAIL: 1, ERROR: 2}
_QUANTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99}


@dataclass(frozen=True)
class GateResult:
    """The outcome of one gate (one metric, overall or in one slice)."""

    metric: str
    column: str
    role: str
    slice: str
    mode: str
    statistic: str
    rule: str
    direction: str
    threshold: float
    estimate: float
    ci_low: float
    ci_high: float
    bound: float
    n: int
    min_n: int
    status: str
    reason: str
    baseline: float = float("nan")
    p_value: float = float("nan")
    p_adjusted: float = float("nan")
    method: str = ""
    signature: str = ""
    coverage: float = float("nan")   # share of the gated items with a usable value

    @property
    def label(self) -> str:
        return self.column + (f" [{self.slice}]" if self.slice else "")


@dataclass(frozen=True)
class GateReport(ResultDisplay):
    """All gates of a portfolio evaluated on one run.

    ``status`` is ``"pass"`` only when every gate passed; ``exit_code`` is 0 (pass), 1 (a gate
    failed) or 2 (some gate could not be evaluated: that outranks a failure, and both fail CI).
    """

    portfolio: str
    run: str
    baseline: str | None
    results: tuple[GateResult, ...]
    notes: tuple[str, ...] = ()
    seed: int = 0
    adjust: str = "none"

    @property
    def status(self) -> str:
        statuses = {r.status for r in self.results}
        if not self.results:
            return ERROR
        return ERROR if ERROR in statuses else FAIL if FAIL in statuses else PASS

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @property
    def passed(self) -> bool:
        return self.status == PASS

    @property
    def failures(self) -> list[GateResult]:
        return [r for r in self.results if r.status != PASS]

    def to_frame(self) -> pd.DataFrame:
        """One row per gate (overall and per slice)."""
        frame = pd.DataFrame([asdict(r) for r in self.results])
        if frame.empty:
            return pd.DataFrame(columns=[f.name for f in GateResult.__dataclass_fields__.values()])
        return frame

    def _table(self) -> pd.DataFrame:
        rows = []
        for r in self.results:
            rows.append({"status": r.status.upper(), "role": r.role, "metric": r.label, "rule": r.rule,
                         "threshold": _fmt(r.threshold, signed=r.mode == "relative"),
                         "estimate": _fmt(r.estimate), "ci": f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]",
                         "n": r.n, "reason": r.reason})
        return pd.DataFrame(rows)

    def headline(self) -> str:
        bad = len(self.failures)
        against = f" vs baseline {self.baseline}" if self.baseline else ""
        return (f"evalnb gate: portfolio '{self.portfolio}' on run '{self.run}'{against}: {self.status.upper()} "
                f"({len(self.results) - bad} of {len(self.results)} gates passed)")

    def summary(self) -> str:
        """A plain-text report: headline, the gate table, then each failure's reason."""
        # untrusted text (slice values, names) is printed to CI logs: a newline could start a line
        # such as "::add-mask::" (a GitHub Actions workflow command), an ESC rewrite the terminal
        with pd.option_context("display.max_colwidth", 60, "display.width", 200):
            table = self._table().drop(columns=["reason"]).assign(metric=lambda t: t["metric"].map(_plain)) \
                .to_string(index=False) if self.results else "(no gates)"
        lines = [_plain(self.headline()), "", table]
        if self.failures:
            lines += ["", "Failures:"] + [f"  {r.status.upper()} {_plain(r.label)}: {_plain(r.reason)}"
                                          for r in self.failures]
        lines += [f"note: {_plain(n)}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = f"<p><b>{html.escape(self.headline())}</b></p>"
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        return head + self._table().to_html(index=False, escape=True) + notes

    def to_markdown(self) -> str:
        """A Markdown summary for CI job pages and pull-request comments."""
        icon = {PASS: "PASS", FAIL: "**FAIL**", ERROR: "**ERROR**"}
        against = f" vs baseline {_md(self.baseline, cell=False)}" if self.baseline else ""
        bad = len(self.failures)
        head = (f"### evalnb gate: {self.status.upper()} ({len(self.results) - bad} of {len(self.results)} gates passed): "
                f"portfolio {_md(self.portfolio, cell=False)} on run {_md(self.run, cell=False)}{against}")
        out = [head, "", "| status | role | metric | rule | threshold | estimate | 95% CI | n | reason |",
               "|---|---|---|---|---|---|---|---|---|"]
        for r in self.results:
            out.append("| " + " | ".join([icon[r.status], r.role, _md(r.label), r.rule,
                                          _fmt(r.threshold, signed=r.mode == "relative"), _fmt(r.estimate),
                                          f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]", str(r.n), _md(r.reason)]) + " |")
        out += [""] + [f"- note: {_md(n, cell=False)}" for n in self.notes]
        return "\n".join(out).rstrip() + "\n"

    def to_junit(self) -> str:
        """JUnit XML (one testcase per gate) for GitHub, GitLab and Jenkins test reports."""
        import xml.etree.ElementTree as ET

        suites = ET.Element("testsuites", name="evalnb gate")
        suite = ET.SubElement(suites, "testsuite", name=_xml(f"evalnb gate: {self.portfolio}"),
                              tests=str(len(self.results)),
                              failures=str(sum(r.status == FAIL for r in self.results)),
                              errors=str(sum(r.status == ERROR for r in self.results)), skipped="0")
        for r in self.results:
            case = ET.SubElement(suite, "testcase", classname=_xml(f"evalnb.gate.{r.role}"), name=_xml(r.label))
            detail = (f"estimate={_fmt(r.estimate)} ci=[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}] n={r.n} "
                      f"rule={r.rule} threshold={_fmt(r.threshold)} method={r.method} signature={r.signature}")
            if r.status == FAIL:
                ET.SubElement(case, "failure", message=_xml(r.reason), type="GateFailed").text = _xml(detail)
            elif r.status == ERROR:
                ET.SubElement(case, "error", message=_xml(r.reason), type="GateNotEvaluated").text = _xml(detail)
            ET.SubElement(case, "system-out").text = _xml(f"{r.reason}\n{detail}")
        ET.indent(suites)
        return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"

    def write_markdown(self, path: str | Path) -> Path:
        from ..io.writers import write_text

        return write_text(path, self.to_markdown())

    def write_junit(self, path: str | Path) -> Path:
        from ..io.writers import write_text

        return write_text(path, self.to_junit())

    def chart(self):
        """Estimates with CIs against each gate's threshold (absolute gates; Altair)."""
        import altair as alt

        frame = self.to_frame()
        frame = frame[frame["mode"] == "absolute"].copy() if not frame.empty else frame
        frame["gate"] = [r for r in frame.apply(lambda r: r["column"] + (f" [{r['slice']}]" if r["slice"] else ""), axis=1)] \
            if not frame.empty else []
        base = alt.Chart(frame).encode(y=alt.Y("gate:N", sort=None, title=None))
        bars = base.mark_rule().encode(x=alt.X("ci_low:Q", title="estimate (95% CI)"), x2="ci_high:Q",
                                       color=alt.Color("status:N", scale=alt.Scale(domain=[PASS, FAIL, ERROR],
                                                                                  range=["#2a9d8f", "#d62828", "#6c757d"])))
        points = base.mark_point(filled=True).encode(x="estimate:Q", color="status:N",
                                                     tooltip=["gate:N", "status:N", "estimate:Q", "ci_low:Q", "ci_high:Q",
                                                              "threshold:Q", "n:Q", "reason:N"])
        ticks = base.mark_tick(color="black", thickness=2).encode(x="threshold:Q")
        return (bars + points + ticks).properties(title=f"Gates: {self.portfolio}", width=420)


def _fmt(value: float, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def _md(text: str, cell: bool = True) -> str:
    """Untrusted text as an inert Markdown code span (inside a table cell unless ``cell=False``).

    Backslash escapes are not enough on GitHub/GitLab: @mentions, #refs and bare-URL autolinks are
    added after Markdown is rendered, to every text node outside ``<code>``. A code span shows its
    content literally (no HTML, images, links, emphasis, mentions or autolinks); its fence is one
    backtick longer than any backtick run inside, ``|`` is escaped (GFM splits table cells on it
    even inside code) and line breaks and control characters become spaces.
    """
    text = "".join(" " if (ch < " " or "\x7f" <= ch <= "\x9f" or ch in "\u2028\u2029") else ch for ch in str(text))
    text = text.strip()
    if not text:
        return ""
    if cell:
        text = text.replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _plain(text: str) -> str:
    """Control characters (newlines, ESC, C1, line separators) shown as escapes, for terminal text."""
    return "".join(ch.encode("unicode_escape").decode("ascii") if (ch < " " or "\x7f" <= ch <= "\x9f"
                   or ch in "\u2028\u2029") else ch for ch in str(text))


def _xml(text: str) -> str:
    """Drop characters XML 1.0 cannot hold (control characters, lone surrogates)."""
    return "".join(ch for ch in str(text) if ch in "\t\n\r" or (" " <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd")
                   or ord(ch) >= 0x10000)


# --------------------------------------------------------------------------------------------
# values


def _frame(run: Any, kpis: Any = None) -> pd.DataFrame:
    from ..analysis.dataset import is_scores_dataset, load_frame
    from ..runs import Runs, load_runs

    if is_scores_dataset(run):   # what score(engine="ray", output=...) wrote: its rows without the texts
        run = load_frame(run)
    if isinstance(run, (str, Path)):
        run = load_runs(run)
    if isinstance(run, pd.DataFrame):
        frame = run
    elif hasattr(run, "df") and isinstance(run.df, pd.DataFrame):
        frame = run.df
    else:
        raise DataError(f"gate() takes Runs, Scores, a DataFrame or a path, not {type(run).__name__}")
    if kpis is not None:
        from ..runs import join_kpis

        frame = join_kpis(Runs(frame) if not isinstance(run, Runs) else run, kpis)
    return frame.reset_index(drop=True)


def _label(frame: pd.DataFrame, default: str) -> str:
    for col in ("run_id", "model"):
        if col in frame and frame[col].nunique() == 1:
            return str(frame[col].iloc[0])
    return default


def _check_single_run(frame: pd.DataFrame, what: str) -> None:
    if "run_id" in frame and frame["run_id"].nunique() > 1:
        runs = ", ".join(map(str, sorted(frame["run_id"].unique())[:6]))
        raise EvalnbError(f"the {what} holds {frame['run_id'].nunique()} runs ({runs}); gate one run at a time "
                          "(filter it, e.g. runs.filter(model=...), or pass --model on the command line)")


def _values(frame: pd.DataFrame, spec: MetricSpec) -> tuple[np.ndarray | None, str, str, Any]:
    """(per-item values or None, status, signature, metric object or None)."""
    from ..metrics.registry import metric as make_metric
    from ..metrics.scoring import score

    if spec.column in frame:
        raw = frame[spec.column]
        col = pd.to_numeric(raw.astype(float) if raw.dtype == bool else raw, errors="coerce")
        return col.to_numpy(dtype=float, na_value=np.nan), "ok", spec.signature or f"column:{spec.column}", None
    if spec.source == "column":
        return None, f"{ERROR}: column '{spec.column}' is not in the run (source: column)", "", None
    try:
        built = make_metric(spec.name, **spec.settings)
    except EvalnbError as exc:
        return None, f"{ERROR}: column '{spec.column}' is not in the run and the metric cannot be built: {exc}", "", None
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scored = score(frame, [built], progress=False)
    status = scored.status.get(built.name, "ok")
    signature = built.signature()
    if status != "ok":
        return None, status, signature, built
    return scored.df[spec.column].to_numpy(dtype=float), "ok", signature, built


def _known_range(spec: MetricSpec, built: Any) -> tuple[float | None, float | None, str]:
    """(lower, upper, where the range comes from): the config's ``range``, else the registry's."""
    if spec.range:
        return float(spec.range[0]), float(spec.range[1]), "the declared range {}"
    if built is None and spec.source == "registry":
        from ..metrics.registry import metric as make_metric

        try:
            built = make_metric(spec.name, **spec.settings)
        except EvalnbError:
            return None, None, ""
    out = next((o for o in built.outputs if o.column == spec.column), None) if built is not None else None
    if out is None or (out.lower is None and out.upper is None):
        return None, None, ""
    return out.lower, out.upper, f"the range {{}} of metric '{built.name}'"


def _rows(frame: pd.DataFrame, mask: np.ndarray, values: np.ndarray, show: int = 5) -> str:
    """'item_id a, b, c (+4 more; e.g. 500.0)': the offending rows, by item_id when there is one."""
    idx = np.flatnonzero(mask)
    if "item_id" in frame:
        ids = [str(v) for v in frame["item_id"].to_numpy()[idx[:show]]]
        where = "item_id " + ", ".join(ids)
    else:
        where = "rows " + ", ".join(str(i) for i in idx[:show])
    more = f" (+{len(idx) - show} more)" if len(idx) > show else ""
    return f"{where}{more}; e.g. {float(values[idx[0]]):g}"


def _invalid(frame: pd.DataFrame, spec: MetricSpec, values: np.ndarray, built: Any, what: str = "") -> str | None:
    """Why these values cannot be gated at all (non-numbers, +/-inf, out of range), or None.

    Such values are bad data, not a failed deployment: a gate on them is an error (exit 2), so a
    score of 500 on a 1-5 scale can neither lift a mean over the bar nor hide behind a NaN.
    """
    problems = []
    where = f"{what}'{spec.column}'" if what else f"'{spec.column}'"
    if spec.column in frame:
        raw = frame[spec.column]
        coerced = raw.notna().to_numpy(bool) & np.isnan(values)
        if coerced.any():
            sample = raw.to_numpy()[np.flatnonzero(coerced)[0]]
            problems.append(f"{int(coerced.sum())} value(s) of {where} are not numbers "
                            f"({_rows(frame, coerced, values).rsplit('; e.g.', 1)[0]}; e.g. {str(sample)[:40]!r})")
    infinite = np.isinf(values)
    if infinite.any():
        problems.append(f"{int(infinite.sum())} value(s) of {where} are infinite ({_rows(frame, infinite, values)}); "
                        "an infinite score is a logging or division bug, not a measurement")
    lo, hi, source = _known_range(spec, built)
    finite = np.isfinite(values)
    outside = finite & (((values < lo) if lo is not None else False) | ((values > hi) if hi is not None else False))
    if np.any(outside):
        shown = f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
        problems.append(f"{int(np.sum(outside))} value(s) of {where} are outside {source.format(shown)} "
                        f"({_rows(frame, outside, values)}); fix the data, or the range if it is wrong")
    if not problems:
        return None
    return "; ".join(problems) + ": the gate cannot be evaluated on invalid values (fail closed)"


#: largest share of a judge metric's judged rows whose reply was unusable (parse_error, truncated,
#: refusal, empty, api_error) before its gate fails; a gate may set ``max_unusable_rate`` itself.
MAX_UNUSABLE_RATE = 0.05


def _unusable_judge_replies(frame: pd.DataFrame, spec: MetricSpec, gate: Gate) -> str | None:
    """Why a judge metric cannot be trusted here, or None (issue 13.9).

    Unusable replies are excluded from the mean, so text that makes the judge's low verdicts
    unparseable would lift the mean: past the limit the gate fails closed, naming the rate.
    """
    base = spec.column[:-len("_expected")] if spec.column.endswith("_expected") else spec.column
    status_col = next((c for c in (f"{spec.column}_status", f"{base}_status") if c in frame), None)
    if status_col is None:
        return None
    status = frame[status_col].astype("string")
    judged = status.isin(["ok", "parse_error", "truncated", "refusal", "empty"]) | status.str.startswith("api_error")
    judged = judged.fillna(False)
    n = int(judged.sum())
    if not n:
        return None
    bad = status[judged & (status != "ok")]
    limit = getattr(gate, "max_unusable_rate", None)
    limit = MAX_UNUSABLE_RATE if limit is None else float(limit)
    rate = len(bad) / n
    if rate <= limit:
        return None
    counts = ", ".join(f"{k} {v}" for k, v in bad.value_counts().items())
    return (f"{len(bad)} of {n} judge replies ({rate:.1%}) were unusable ({counts}; column {status_col}), above the "
            f"{limit:.0%} limit: they are left out of the estimate, which could then be biased (e.g. injected text "
            "that makes low verdicts unparseable); fail closed")


def _statistic(gate: Gate, values: np.ndarray, built: Any, spec: MetricSpec) -> str:
    if gate.statistic != "auto":
        return gate.statistic
    if built is not None:
        out = next((o for o in built.outputs if o.column == spec.column), None)
        if out is not None and out.aggregation == "proportion":
            return "proportion"
        if out is not None and out.aggregation == "percentile":
            return "p95"
    if roles.is_binary(values):
        return "proportion"
    return "mean"


def _interval(values: np.ndarray, statistic: str, confidence: float, n_boot: int, seed: int) -> iv.Interval:
    if statistic == "proportion":
        return iv.proportion_ci(values, confidence)
    if statistic in _QUANTILES:
        return iv.quantile_ci(values, _QUANTILES[statistic], confidence)
    return iv.bootstrap_mean_ci(values, confidence, n_boot=n_boot, seed=seed)


def _one_sided_p(values: np.ndarray, statistic: str, threshold: float, direction: str, n_boot: int, seed: int) -> float:
    """p-value of H0 "the true value does not clear the threshold" (small = clearly passes)."""
    x = values[~np.isnan(values)]
    if len(x) == 0:
        return float("nan")
    if statistic == "proportion":
        from scipy.stats import binomtest

        if not 0 < threshold < 1:
            return float("nan")
        k = int((x > 0.5).sum())
        return float(binomtest(k, len(x), threshold, alternative="greater" if direction == "higher" else "less").pvalue)
    if statistic in _QUANTILES:
        return float("nan")  # no p-value for percentile gates; adjustment leaves them as they are
    if np.ptp(x) == 0:  # a constant sample clears the threshold or it does not
        clears = x[0] > threshold if direction == "higher" else x[0] < threshold
        return 0.0 if clears else 1.0
    # the interval's own replicates: multinomial over few levels, else the bootstrap, and above
    # intervals.MAX_BOOT_N the one-sided t-test the bootstrap converges to (not B x n draws)
    reps, _ = iv.mean_replicates(np.sort(x), n_boot, seed)
    if reps is None:
        from scipy.stats import t as student_t

        stat = (x.mean() - threshold) / (x.std(ddof=1) / np.sqrt(len(x)))
        return float(student_t.sf(stat if direction == "higher" else -stat, len(x) - 1))
    bad = (reps <= threshold) if direction == "higher" else (reps >= threshold)
    return float((bad.sum() + 1) / (len(reps) + 1))


def _decide(direction: str, rule: str, point: float, low: float, high: float, threshold: float, n: int,
            min_n: int, confidence: float, relative: bool, total: int | None = None,
            min_coverage: float = 0.0) -> tuple[str, float, str]:
    """(status, the compared number, reason). Fail closed on NaN, low coverage and small n."""
    pct = f"{round(confidence * 100)}%"
    if n == 0 or math.isnan(point):
        return FAIL, float("nan"), "no usable values (all missing or NaN): fail closed"
    if total and n / total < min_coverage:
        what = "matched candidate/baseline pairs" if relative else "values"
        return FAIL, float("nan"), (f"coverage {n / total:.1%}: only {n} of {total} items have usable {what} "
                                    f"(min_coverage {min_coverage:.0%}); the missing items could hide failures, "
                                    "fail closed (fix the data, or lower gate.min_coverage if the gaps are expected)")
    if n < min_n:
        return FAIL, float("nan"), f"n={n} is below min_n={min_n}: too few items to decide, fail closed"
    bound = {"point": point, "ci_lower": low, "ci_upper": high}[rule]
    if math.isnan(bound):
        return FAIL, bound, f"the {rule} is NaN: fail closed"
    what = {"point": "point estimate", "ci_lower": f"lower {pct} CI bound", "ci_upper": f"upper {pct} CI bound"}[rule]
    if relative:
        what += " of the change vs baseline"
        limit = -threshold if direction == "higher" else threshold
    else:
        limit = threshold
    ok = bound >= limit if direction == "higher" else bound <= limit
    op = (">=" if ok else "<") if direction == "higher" else ("<=" if ok else ">")
    reason = f"{what} {bound:.4g} {op} {'allowed ' if relative else ''}{'threshold ' if not relative else 'limit '}{limit:.4g}"
    if not ok and rule != "point":
        point_ok = point >= limit if direction == "higher" else point <= limit
        if point_ok:
            reason += (f" (the point estimate {point:.4g} would pass, but with n={n} the data cannot rule out a true "
                       f"value on the wrong side of {limit:.4g}; gates use the CI bound so that noise does not pass)")
    return (PASS if ok else FAIL), bound, reason


def _result(spec: MetricSpec, role: str, gate: Gate, slice_label: str, threshold: float, min_n: int,
            values: np.ndarray, base: np.ndarray | None, statistic: str, signature: str, n_boot: int, seed: int,
            total: int | None = None) -> GateResult:
    seed = iv.stable_seed(seed, spec.column, slice_label)
    relative = gate.mode == "relative"
    if relative:
        d = iv.paired_difference(base, values, gate.confidence, n_boot=n_boot, seed=seed)
        point, low, high, n, method = d.difference, d.low, d.high, d.n_pairs, f"{d.method}; matched items"
        baseline = d.baseline
        p = float("nan")
        if n and not math.isnan(point):
            diffs = (values - base)[~(np.isnan(values) | np.isnan(base))]
            p = _one_sided_p(diffs, "mean", -threshold if spec.direction == "higher" else threshold,
                             spec.direction, n_boot, seed)
    else:
        ci = _interval(values, statistic, gate.confidence, n_boot, seed)
        point, low, high, n, method = ci.estimate, ci.low, ci.high, ci.n, ci.method
        baseline = float("nan")
        p = _one_sided_p(values, statistic, threshold, spec.direction, n_boot, seed)
    total = len(values) if total is None else total
    status, bound, reason = _decide(spec.direction, gate.rule, point, low, high, threshold, n, min_n,
                                    gate.confidence, relative, total, gate.min_coverage)
    return GateResult(spec.name, spec.column, role, slice_label, gate.mode, statistic, gate.rule, spec.direction,
                      float(threshold), float(point), float(low), float(high), float(bound), int(n), int(min_n),
                      status, reason, float(baseline), p, float("nan"), method, signature,
                      float(n / total) if total else float("nan"))


def _error(spec: MetricSpec, role: str, gate: Gate, slice_label: str, reason: str, signature: str = "") -> GateResult:
    nan = float("nan")
    return GateResult(spec.name, spec.column, role, slice_label, gate.mode, gate.statistic, gate.rule, spec.direction,
                      float(gate.threshold), nan, nan, nan, nan, 0, gate.min_n, ERROR, reason, signature=signature)


def _fail(spec: MetricSpec, role: str, gate: Gate, slice_label: str, reason: str, signature: str) -> GateResult:
    nan = float("nan")
    return GateResult(spec.name, spec.column, role, slice_label, gate.mode, gate.statistic, gate.rule, spec.direction,
                      float(gate.threshold), nan, nan, nan, nan, 0, gate.min_n, FAIL, reason, signature=signature)


def _keys(cand: pd.DataFrame, base: pd.DataFrame) -> list[str]:
    keys = ["item_id"] + (["sample_id"] if "sample_id" in cand and "sample_id" in base
                          and cand["sample_id"].notna().any() else [])
    for frame, what in ((cand, "candidate"), (base, "baseline")):
        if "item_id" not in frame:
            raise DataError(f"the {what} run has no item_id column; relative gates pair items by item_id")
    return keys


def gate(portfolio: Portfolio | str | Path, run: Any, baseline: Any = None, *, kpis: Any = None,
         roles: Sequence[str] = ("primary", "secondary", "safety", "robustness"), metrics: Sequence[str] | None = None,
         adjust: str = "none", n_boot: int = 2000, seed: int = 0) -> GateReport:
    """Evaluate every gate of a portfolio on a candidate run (optionally against a baseline run).

    Parameters
    ----------
    portfolio : a :class:`Portfolio` or the path of a config.
    run : the candidate: Runs, Scores, a DataFrame, a path, or a scores dataset (a ScoresDataset or the
        folder ``score(engine="ray", output=...)`` wrote: read without its text columns). Metric columns
        already present are used as they are; registry metrics whose column is missing are scored here.
    baseline : the current production run, for gates with ``mode: relative`` (paired on item_id).
    kpis : a KPI log to join first, when a gated column comes from it.
    roles, metrics : restrict to these roles or metric columns.
    adjust : ``"holm"`` or ``"bh"`` adds multiplicity-adjusted one-sided p-values across all gates
        and slices; a gate then also needs its adjusted p below ``1 - confidence`` (rule point aside).
    n_boot, seed : bootstrap settings; every interval is reproducible from them.

    Returns
    -------
    GateReport with ``status``, ``exit_code``, ``to_frame()``, ``summary()``, ``to_markdown()``,
    ``to_junit()`` and ``chart()``.

    Examples
    --------
    >>> report = evalnb.gate("portfolio.yaml", candidate, baseline=production)   # doctest: +SKIP
    >>> report.status, report.exit_code                                           # doctest: +SKIP
    ('fail', 1)
    """
    if not isinstance(portfolio, Portfolio):
        portfolio = load_portfolio(portfolio)
    frame = _frame(run, kpis)
    _check_single_run(frame, "candidate run")
    base_frame = None
    if baseline is not None:
        base_frame = _frame(baseline, kpis)
        _check_single_run(base_frame, "baseline run")
    notes: list[str] = []
    results: list[GateResult] = []
    gated = [(r, s) for r, s in portfolio.gated() if r in roles and (metrics is None or s.column in metrics or s.name in metrics)]
    ungated = [s.column for r, s in portfolio.metrics() if s.gate is None and r in roles]
    if ungated:
        notes.append(f"not gated (reported elsewhere): {', '.join(ungated)}")
    for role, spec in gated:
        g = spec.gate
        values, status, signature, built = _values(frame, spec)
        if values is None:
            if status.startswith(ERROR):
                results.append(_error(spec, role, g, "", status.removeprefix(f"{ERROR}: ")))
            else:
                results.append(_fail(spec, role, g, "", f"{status}: fail closed", signature))
            continue
        bad = _invalid(frame, spec, values, built)
        if bad:
            results.append(_error(spec, role, g, "", bad, signature))
            continue
        unusable = _unusable_judge_replies(frame, spec, g)
        if unusable:
            results.append(_fail(spec, role, g, "", unusable, signature))
            continue
        if spec.signature and signature and built is not None and spec.signature != signature:
            notes.append(f"{spec.column}: signature differs from the portfolio's ({spec.signature} vs {signature})")
        statistic = _statistic(g, values, built, spec)
        base_values = None
        cand = frame
        if g.mode == "relative":
            if base_frame is None:
                results.append(_error(spec, role, g, "", "relative gate needs a baseline run (--baseline)"))
                continue
            bvals, bstatus, _, _ = _values(base_frame, spec)
            if bvals is None:
                results.append(_error(spec, role, g, "", f"baseline: {bstatus.removeprefix(f'{ERROR}: ')}"))
                continue
            bad = _invalid(base_frame, spec, bvals, None, "the baseline's ")
            if bad:
                results.append(_error(spec, role, g, "", bad, signature))
                continue
            keys = _keys(frame, base_frame)
            left = frame.assign(_v=values)
            right = base_frame.assign(_b=bvals)[keys + ["_b"]]
            if right.duplicated(keys).any() or left.duplicated(keys).any():
                results.append(_error(spec, role, g, "", f"item keys {keys} are not unique; cannot pair items"))
                continue
            cand = left.merge(right, on=keys, how="inner")
            unmatched = len(left) - len(cand)
            if unmatched:
                notes.append(f"{spec.column}: {unmatched} candidate items have no baseline match and were left out")
            values, base_values = cand["_v"].to_numpy(float), cand["_b"].to_numpy(float)
        results.append(_result(spec, role, g, "", g.threshold, g.min_n, values, base_values, statistic, signature,
                               n_boot, seed, total=len(frame)))
        for sg in g.slices:
            if sg.by not in cand:
                results.append(_error(spec, role, g, f"{sg.by}=?", f"slice column '{sg.by}' is not in the run"))
                continue
            labels = cand[sg.by].astype("string")
            present = sorted(labels.dropna().unique().tolist())
            wanted = list(sg.only) if sg.only is not None else present
            for value in wanted:
                mask = (labels == value).fillna(False).to_numpy(bool)
                total = int((frame[sg.by].astype("string") == value).fillna(False).sum())
                threshold = sg.overrides.get(value, sg.threshold if sg.threshold is not None else g.threshold)
                results.append(_result(spec, role, g, f"{sg.by}={value}", threshold, sg.min_n, values[mask],
                                       None if base_values is None else base_values[mask], statistic, signature,
                                       n_boot, seed, total=total))
    if adjust != "none":
        results = _adjusted(results, adjust, portfolio)
    return GateReport(portfolio.name, _label(frame, "run"), None if base_frame is None else _label(base_frame, "baseline"),
                      tuple(results), tuple(notes), seed, adjust)


def _adjusted(results: list[GateResult], method: str, portfolio: Portfolio) -> list[GateResult]:
    from dataclasses import replace

    from ..stats.multiplicity import adjust as adjust_p

    adj = adjust_p([r.p_value for r in results], method=method)
    conf = {s.column: s.gate.confidence for _, s in portfolio.gated()}
    out = []
    for r, p_adj in zip(results, adj.p_adjusted):
        alpha = (1 - conf.get(r.column, 0.95)) / 2  # one-sided, matching the two-sided CI's tail
        if r.status == PASS and r.rule != "point" and not math.isnan(p_adj) and p_adj > alpha:
            r = replace(r, status=FAIL, reason=r.reason + f"; but the {method}-adjusted one-sided p={p_adj:.3g} "
                                                         f"is above {alpha:.3g} across {adj.n_tests} gates")
        out.append(replace(r, p_adjusted=float(p_adj)))
    return out

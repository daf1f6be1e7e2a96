"""``recalibrate``: re-validate a portfolio against fresh production outcomes and propose the change.

The monthly loop of the product: offline metrics are chosen because they predicted a KPI; that has to
be re-checked on new outcomes, because judges change model, users change behaviour and thresholds lose
their meaning. :func:`recalibrate` does the four steps a reviewer would do by hand:

1. **Re-validate** every metric on the new window against its recorded ``evidence`` (same KPI, level and
   method), with a CI, and classify it as ``still valid``, ``weakened``, ``decoupled`` or ``reversed``
   (``weakened`` and ``decoupled`` mean what they mean in :func:`evalnb.validity_drift`).
2. **Re-select** among the portfolio's metrics and the candidates in the data on one half of the
   window's items, and measure the evidence for any newcomer on the *other* half (never on the data it
   was selected on).
3. **Propose**: keep, drop (decoupled or reversed primaries), demote (weakened below the validity floor),
   add (a replacement with held-out evidence, one per primary lost) or re-threshold (the threshold is
   re-derived so that it stands for the same KPI level as before; proposed only when the old threshold
   lies outside the re-derived one's 99% bootstrap interval, so noise does not move thresholds).
4. **Write** the proposal as a portfolio file (with a ``validation`` record: when, which window, which
   data hash) and a Markdown diff for a pull request.

>>> import evalnb
>>> proposal = evalnb.recalibrate("portfolio.yaml", "runs/*.jsonl", "kpis.csv", window="30d")  # doctest: +SKIP
>>> print(proposal.to_markdown())                                                               # doctest: +SKIP
"""
from __future__ import annotations

import datetime as _dt
import html
import math
import os
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .._display import ResultDisplay
from .._errors import ConfigError, DataError, SmallSampleWarning

__all__ = ["recalibrate", "RecalibrationProposal", "STATUSES", "ACTIONS"]

STATUSES = ("still valid", "weakened", "decoupled", "reversed", "too few points", "not checked")
ACTIONS = ("keep", "drop", "demote", "add", "rethreshold")
_CORRELATION_METHODS = ("pearson", "spearman", "kendall")
_TIME_COLUMNS = ("timestamp", "kpi_timestamp")
_NOT_CANDIDATES = re.compile(r"^(human|expert|annotator|rating)|_rating$|latency|cost|tokens|^source_", re.I)


@dataclass(frozen=True)
class RecalibrationProposal(ResultDisplay):
    """The outcome of :func:`recalibrate`: what was checked, what should change, and the new portfolio.

    ``checks`` has one row per metric of the current portfolio (recorded vs new association, status);
    ``changes`` one row per metric with its proposed ``action`` and ``reason``; ``proposed`` is the new
    :class:`evalnb.Portfolio`. ``changed`` is True when any action other than ``keep`` is proposed.
    """

    current: Any
    proposed: Any
    checks: pd.DataFrame
    changes: pd.DataFrame
    window: str
    baseline: str
    data_hash: str
    settings: dict = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool((self.changes["action"] != "keep").any()) if len(self.changes) else False

    @property
    def replacement_note(self) -> str:
        """Why no (or fewer) replacements were added for the primaries that were dropped or demoted."""
        lost = int(self.changes["action"].isin(["drop", "demote"]).sum()) if len(self.changes) else 0
        added = int((self.changes["action"] == "add").sum()) if len(self.changes) else 0
        if lost <= added:
            return ""
        seen = self.settings.get("considered") or []
        return (f"No replacement for {lost - added} lost primary metric(s): on held-out items no candidate "
                "added predictive power beyond the kept primaries" + (f" ({', '.join(seen)} track the KPI but add "
                                                                      "less; they can decompose failures)" if seen else ""))

    def to_frame(self) -> pd.DataFrame:
        """One row per metric: role, status, action, reason and the evidence behind it."""
        return self.changes.copy()

    def write(self, path: str | os.PathLike) -> Any:
        """Write the proposed portfolio (YAML or JSON by suffix)."""
        return self.proposed.write(path)

    # -- text ---------------------------------------------------------------------------------
    def summary(self) -> str:
        kpi = self.proposed.outcome.kpi
        head = (f"Recalibration of '{self.current.name}' against {kpi}, window {self.window} "
                f"(compared with {self.baseline}; data {self.data_hash})")
        lines = [head, "=" * min(len(head), 100)]
        for r in self.checks.itertuples():
            lines.append(f"  {r.role:<10} {r.column:<24} {r.status:<15} now {_est(r.estimate, r.ci_low, r.ci_high)}"
                         f" (n={_int(r.n)}) vs recorded {_est(r.recorded, r.recorded_ci_low, r.recorded_ci_high)}")
        lines.append("")
        if not self.changed:
            lines.append("No change needed: every metric still predicts the KPI and every threshold holds.")
        note = self.replacement_note
        if note:
            lines.append("  " + note)
        for r in self.changes.itertuples():
            if r.action != "keep":
                lines.append(f"  {r.action.upper():<11} {r.column}: {r.reason}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_markdown(self) -> str:
        """A pull-request description: what changed and why. Every name from the data is escaped."""
        kpi = _md(self.proposed.outcome.kpi)
        out = [f"## evalnb recalibration: {_md(self.current.name)}", "",
               f"Window **{_md(self.window)}**, KPI **{kpi}**, compared with {_md(self.baseline)}; "
               f"data `{_code(self.data_hash)}`.", ""]
        if self.changed:
            out += ["### Proposed changes", ""]
            for r in self.changes.itertuples():
                if r.action != "keep":
                    out.append(f"- **{r.action}** {_md(r.column)} ({_md(r.role)}): {_md(r.reason)}")
        else:
            out += ["**No change needed.** Every metric still predicts the KPI and every threshold holds.", ""]
        if self.replacement_note:
            out += ["", _md(self.replacement_note)]
        out += ["", "### Re-validation", "", "| metric | role | status | now | recorded | n |", "|---|---|---|---|---|---|"]
        for r in self.checks.itertuples():
            out.append(f"| {_md(r.column)} | {_md(r.role)} | {_md(r.status)} | {_est(r.estimate, r.ci_low, r.ci_high)} | "
                       f"{_est(r.recorded, r.recorded_ci_low, r.recorded_ci_high)} | {_int(r.n)} |")
        out += ["", f"<sub>{_md(self.settings.get('method_note', ''))}</sub>", ""]
        return "\n".join(out)

    def to_html(self) -> str:
        """An HTML fragment (escaped) for reports."""
        from .._display import frame_html

        verdict = "A change is proposed." if self.changed else "No change needed."
        return (f"<p><b>Recalibration of {html.escape(self.current.name)}</b>, window {html.escape(self.window)}: "
                f"{verdict}</p>" + frame_html(self.changes[["column", "role", "status", "action", "reason"]])
                + frame_html(self.checks))

    def _repr_html_(self) -> str:
        return self.to_html()

    def chart(self):
        """Recorded vs new association per metric, with CIs (a dumbbell forest plot)."""
        import altair as alt

        c = self.checks
        rows = pd.concat([
            pd.DataFrame({"metric": c["column"], "when": "recorded", "estimate": c["recorded"],
                          "ci_low": c["recorded_ci_low"], "ci_high": c["recorded_ci_high"], "status": c["status"]}),
            pd.DataFrame({"metric": c["column"], "when": self.window, "estimate": c["estimate"],
                          "ci_low": c["ci_low"], "ci_high": c["ci_high"], "status": c["status"]}),
        ], ignore_index=True).dropna(subset=["estimate"])
        base = alt.Chart(rows).encode(y=alt.Y("metric:N", title=None), yOffset="when:N",
                                      color=alt.Color("when:N", title=None))
        tips = ["metric:N", "when:N", alt.Tooltip("estimate:Q", format=".3f"), alt.Tooltip("ci_low:Q", format=".3f"),
                alt.Tooltip("ci_high:Q", format=".3f"), "status:N"]
        return ((base.mark_rule().encode(x=alt.X("ci_low:Q", title=f"association with {self.proposed.outcome.kpi}"),
                                         x2="ci_high:Q", tooltip=tips)
                 + base.mark_point(filled=True, size=60).encode(x="estimate:Q", tooltip=tips))
                .properties(width=480, title=f"Re-validation, {self.window}"))


# ---------------------------------------------------------------------------------------------
def recalibrate(portfolio: Any, runs: Any, kpis: Any = None, *, window: str | tuple = "30d",
                baseline_window: str | tuple | None = None, end: str | None = None, time_col: str | None = None,
                candidates: Sequence[str] | None = None, validity_floor: float | None = None, alpha: float = 0.05,
                n_boot: int = 500, min_n: int = 30, system: str = "model", seed: int = 0,
                validated_at: str | None = None) -> RecalibrationProposal:
    """Re-validate ``portfolio`` on a fresh window of production outcomes and propose a new portfolio.

    Parameters
    ----------
    portfolio : a :class:`evalnb.Portfolio` or a path to its config.
    runs : eval rows (Runs, DataFrame, or paths/globs for :func:`evalnb.load_runs`), already scored
        for the portfolio's columns; joined with ``kpis`` when given.
    kpis : the production KPI log (Kpis, DataFrame or paths), or None when ``runs`` holds the KPI.
    window : the new window: ``"30d"`` (the last 30 days up to ``end``, default the newest row),
        ``"2026-10"`` (a calendar month), or ``(start, end)`` ISO dates (end exclusive).
    baseline_window : compare with this window instead of the recorded evidence (same forms).
        Thresholds are re-derived against it; by default against the rows before ``window``.
    candidates : extra metric columns the re-selection may add (default: the numeric metric columns
        of the data that are not KPIs, keys, operational or human ratings).
    validity_floor : the association below which a metric no longer predicts the KPI (default: the
        portfolio's validity rollback trigger for that metric, else 0.1).
    alpha : level of the "weakened" test (Holm-adjusted over the portfolio's metrics).
    n_boot, seed, min_n : bootstrap resamples, seed, and the fewest rows a check needs.

    Returns
    -------
    RecalibrationProposal with ``checks``, ``changes``, ``proposed`` and ``to_markdown()``.

    Examples
    --------
    >>> p = evalnb.recalibrate(portfolio, scores_df, kpis_df, window="2026-10")   # doctest: +SKIP
    >>> p.changed, p.to_frame()[["column", "status", "action"]]                    # doctest: +SKIP
    """
    from ..analysis.inputs import as_frame, data_hash, kpi_columns, numeric, numeric_columns
    from .loading import load_portfolio
    from .schema import Portfolio

    if isinstance(portfolio, (str, os.PathLike)):
        portfolio = load_portfolio(portfolio, check_metrics=False)
    if not isinstance(portfolio, Portfolio):
        raise ConfigError(f"recalibrate: expected a Portfolio or a path to one, not {type(portfolio).__name__}")
    if runs is not None and not isinstance(runs, pd.DataFrame) and not hasattr(runs, "df"):
        from ..runs import load_runs

        runs = load_runs(runs)
    frame = as_frame(runs, kpis)
    if len(frame) == 0:
        raise DataError("recalibrate: the data has no rows")
    kpi = portfolio.outcome.kpi
    if kpi not in frame.columns:
        raise DataError(f"recalibrate: the outcome KPI '{kpi}' is not in the data; pass the KPI log as kpis= "
                        f"(columns: {', '.join(map(str, frame.columns[:30]))})")
    if kpis is not None:
        cov = (frame.attrs.get("kpi_coverage") or {})
        if frame[kpi].notna().sum() == 0:
            raise DataError(f"recalibrate: 0 of {len(frame):,} eval rows found an outcome in the KPI log "
                            f"(join key {cov.get('key', 'request_id')}); check that the log covers these runs")
    time_col = time_col or next((c for c in _TIME_COLUMNS if c in frame.columns), None)
    if time_col is None or time_col not in frame.columns:
        raise DataError("recalibrate: the data needs a time column ('timestamp') to cut the window; pass time_col=")
    times = pd.to_datetime(frame[time_col], utc=True, errors="coerce")
    if times.isna().all():
        raise DataError(f"recalibrate: no parseable time in column '{time_col}'")
    lo, hi, label = _window_bounds(window, times, end)
    in_window = ((times >= lo) & (times < hi)).to_numpy()
    current = frame[in_window & frame[kpi].notna().to_numpy()].reset_index(drop=True)
    if len(current) < min_n:
        raise DataError(f"recalibrate: the window {label} has {len(current)} rows with {kpi}; need at least {min_n}")
    if baseline_window is not None:
        blo, bhi, blabel = _window_bounds(baseline_window, times, None)
        before = frame[((times >= blo) & (times < bhi)).to_numpy() & frame[kpi].notna().to_numpy()].reset_index(drop=True)
        baseline_label = f"window {blabel}"
        if len(before) < min_n:
            raise DataError(f"recalibrate: the baseline window {blabel} has {len(before)} rows with {kpi}; need at least {min_n}")
    else:
        before = frame[((times < lo).to_numpy()) & frame[kpi].notna().to_numpy()].reset_index(drop=True)
        baseline_label = "the recorded evidence"

    specs = list(portfolio.metrics())
    missing = [s.column for _, s in specs if s.column not in current.columns]
    if missing:
        raise DataError(f"recalibrate: the data lacks the portfolio's column(s) {', '.join(missing)}; score the runs "
                        "for them first (evalnb.score) or pass scores joined with the KPI log")
    floors = _floors(portfolio, validity_floor)
    rng_seed = seed
    checks = []
    for role, spec in specs:
        ev = spec.evidence
        method = ev.method if ev is not None and ev.method in _CORRELATION_METHODS else "spearman"
        level = ev.level if ev is not None and ev.level in ("sample", "system") else "sample"
        note = ""
        if ev is not None and ev.method and ev.method not in _CORRELATION_METHODS:
            note = f"recorded method '{ev.method}' is not a correlation; re-checked with spearman"
        if ev is not None and ev.kpi and ev.kpi != kpi:
            note = (note + "; " if note else "") + f"recorded evidence is against {ev.kpi}, re-checked against {kpi}"
        new = _association(current, spec.column, kpi, method, level, system, n_boot, rng_seed, min_n)
        if baseline_window is not None:
            rec = _association(before, spec.column, kpi, method, level, system, n_boot, rng_seed, min_n)
        elif ev is not None and ev.estimate is not None:
            rec = {"estimate": ev.estimate, "ci_low": ev.ci_low, "ci_high": ev.ci_high, "n": ev.n, "status": "ok"}
        else:
            rec = {"estimate": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": None, "status": "none"}
        checks.append({"column": spec.column, "role": role, "kpi": kpi, "level": level, "method": method,
                       "estimate": new["estimate"], "ci_low": new["ci_low"], "ci_high": new["ci_high"], "n": new["n"],
                       "recorded": rec["estimate"], "recorded_ci_low": rec["ci_low"], "recorded_ci_high": rec["ci_high"],
                       "recorded_n": rec["n"], "floor": floors.get(spec.column, floors["*"]), "note": note,
                       "new_status": new["status"], "rec_status": rec["status"],
                       "sign": _expected_sign(spec, rec["estimate"], portfolio.outcome.direction)})
    table = pd.DataFrame(checks)
    table["p_weaker"] = [_p_weaker(r) for r in table.itertuples()]
    from ..stats.multiplicity import adjust

    finite = table["p_weaker"].notna()
    table["p_adjusted"] = np.nan
    if finite.any():
        table.loc[finite, "p_adjusted"] = adjust(table.loc[finite, "p_weaker"].to_numpy(), "holm").p_adjusted
    table["status"] = [_status(r, alpha) for r in table.itertuples()]

    # -- step 2: re-selection on one half of the items, evidence on the other -------------------
    gated_roles = {"primary"}
    lost = [r.column for r in table.itertuples() if r.role in gated_roles and r.status in ("decoupled", "reversed")]
    demoted = [r.column for r in table.itertuples()
               if r.role in gated_roles and r.status == "weakened" and _aligned(r.ci_low, r.ci_high, r.sign)[0] < r.floor]
    pool = _candidate_pool(current, kpi, candidates, kpi_columns, numeric_columns, portfolio)
    additions: list[dict] = []
    considered: list[str] = []
    if (lost or demoted) and pool:
        additions, considered = _replacements(current, kpi, pool, len(lost) + len(demoted), portfolio, table, floors,
                                              n_boot, seed, min_n, numeric)
    # -- step 3: thresholds that stand for the same KPI level ----------------------------------
    rethresholds = {}
    for role, spec in specs:
        row = table.set_index("column").loc[spec.column]
        if spec.gate is None or spec.gate.mode != "absolute" or row["status"] not in ("still valid", "weakened"):
            continue
        if spec.column in demoted:
            continue
        derived = _rederive_threshold(before, current, spec, kpi, n_boot, seed, min_n)
        if derived is not None:
            rethresholds[spec.column] = derived

    changes = []
    for r in table.itertuples():
        action, reason = "keep", ""
        what = (f"{r.method} {_est(r.estimate, r.ci_low, r.ci_high)} with {kpi} in {label} (n={_int(r.n)}) vs "
                f"{_est(r.recorded, r.recorded_ci_low, r.recorded_ci_high)} in {baseline_label}")
        if r.role in gated_roles and r.status in ("decoupled", "reversed"):
            action = "drop"
            reason = (f"{r.status}: {what}; its CI lies below the validity floor {r.floor:g}" if r.status == "decoupled"
                      else f"reversed: {what}; a higher score now goes with a worse outcome")
        elif r.column in demoted:
            action = "demote"
            reason = (f"weakened: {what} (Holm p={r.p_adjusted:.3g}); its CI reaches below the validity floor "
                      f"{r.floor:g}, so it moves to secondary (tracked, not gated)")
        elif r.column in rethresholds:
            d = rethresholds[r.column]
            if d["propose"]:
                action = "rethreshold"
                reason = (f"threshold {d['old']:g} -> {d['new']:g}: {d['old']:g} stood for {kpi} = {d['target']:.3g} "
                          f"in the baseline; in {label} that level is reached at {d['new']:g} "
                          f"(99% interval [{d['ci_low']:g}, {d['ci_high']:g}])")
        if action == "keep":
            reason = (f"{r.status}: {what}" if r.status != "not checked" else
                      f"{r.role} metric: gated regardless of its association with {kpi} (now {_est(r.estimate, r.ci_low, r.ci_high)})")
            if r.status == "weakened":
                reason += f" (weakened, Holm p={r.p_adjusted:.3g}, but still above the floor {r.floor:g}: watch it)"
            if r.note:
                reason += f"; {r.note}"
        changes.append({"column": r.column, "role": r.role, "status": r.status, "action": action, "reason": reason,
                        "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high, "n": r.n})
    for a in additions:
        changes.append({"column": a["column"], "role": "primary", "status": "new", "action": "add", "reason": a["reason"],
                        "estimate": a["estimate"], "ci_low": a["ci_low"], "ci_high": a["ci_high"], "n": a["n"]})
    changes_frame = pd.DataFrame(changes)
    h = data_hash(current, [kpi, *[s.column for _, s in specs], *[a["column"] for a in additions]])
    proposed = _propose(portfolio, table, changes_frame, additions, rethresholds, label, h, len(current),
                        baseline_label, validated_at)
    checks_out = table[["column", "role", "kpi", "level", "method", "estimate", "ci_low", "ci_high", "n", "recorded",
                        "recorded_ci_low", "recorded_ci_high", "recorded_n", "p_adjusted", "floor", "status", "note"]]
    settings = {"window": window if isinstance(window, str) else list(window), "end": end, "alpha": alpha,
                "n_boot": n_boot, "seed": seed, "min_n": min_n, "candidates": list(pool), "considered": considered,
                "method_note": ("Associations re-checked with the recorded method and level (percentile bootstrap CIs "
                                f"from evalnb.correlate, {n_boot} resamples, seed {seed}); 'weakened' is a Holm-adjusted "
                                f"test of the Fisher-z difference at alpha {alpha}; newcomers were selected on half of the "
                                "window's items and their evidence measured on the other half; a threshold is re-derived "
                                "to stand for the same KPI level (linear fit) and changed only when the old one lies "
                                "outside the new one's 99% bootstrap interval.")}
    return RecalibrationProposal(portfolio, proposed, checks_out.reset_index(drop=True), changes_frame, label,
                                 baseline_label, h, settings)


# ---------------------------------------------------------------------------------------------
def _window_bounds(window: Any, times: pd.Series, end: Any) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """(start, end-exclusive, label) of a window spec."""
    if isinstance(window, (tuple, list)) and len(window) == 2:
        lo, hi = (_ts(x) for x in window)
    elif isinstance(window, str) and re.fullmatch(r"[1-9][0-9]*[dw]", window.strip()):
        days = int(window[:-1]) * (7 if window.endswith("w") else 1)
        hi = _ts(end) if end is not None else times.max() + pd.Timedelta(microseconds=1)
        lo = hi - pd.Timedelta(days=days)
    elif isinstance(window, str) and re.fullmatch(r"\d{4}-\d{2}", window.strip()):
        lo = _ts(window + "-01")
        hi = lo + pd.offsets.MonthBegin(1)
    else:
        raise ConfigError(f"window {window!r}: use '30d', '4w', a month 'YYYY-MM', or (start, end) ISO dates")
    if not lo < hi:
        raise ConfigError(f"window {window!r} is empty: start {lo} is not before end {hi}")
    label = f"{lo.date()}..{(hi - pd.Timedelta(microseconds=1)).date()}"
    return lo, hi, label


def _ts(x: Any) -> pd.Timestamp:
    t = pd.Timestamp(x)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _floors(portfolio: Any, default: float | None) -> dict[str, float]:
    floors = {"*": 0.1 if default is None else float(default)}
    if default is None:
        for t in portfolio.rollback_triggers:
            if t.kind == "validity":
                floors[t.target] = float(t.threshold)
    return floors


def _expected_sign(spec: Any, recorded: float, outcome_direction: str) -> float:
    if recorded is not None and np.isfinite(recorded) and recorded != 0:
        return float(np.sign(recorded))
    same = (spec.direction == "higher") == (outcome_direction == "higher")
    return 1.0 if same else -1.0


def _aligned(lo: float, hi: float, sign: float) -> tuple[float, float]:
    a, b = sign * lo, sign * hi
    return (min(a, b), max(a, b))


def _association(frame: pd.DataFrame, column: str, kpi: str, method: str, level: str, system: str, n_boot: int,
                 seed: int, min_n: int) -> dict:
    from ..analysis.correlate import correlate

    if level == "system" and system not in frame.columns:
        level = "sample"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = correlate(frame, [column], kpi, level=level, method=method, system=system, by=None, n_boot=n_boot,
                        seed=seed, min_n=min(min_n, 4) if level == "system" else min_n)
    row = res.table.iloc[0]
    return {"estimate": float(row["estimate"]), "ci_low": float(row["ci_low"]), "ci_high": float(row["ci_high"]),
            "n": int(row["n"]), "status": str(row["status"])}


def _se_z(lo: Any, hi: Any) -> float:
    if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return math.nan
    lo, hi = (min(max(v, -1 + 1e-9), 1 - 1e-9) for v in (lo, hi))
    return (math.atanh(hi) - math.atanh(lo)) / (2 * 1.959963984540054)


def _p_weaker(r: Any) -> float:
    """One-sided p of 'the association is now weaker than recorded' (Fisher z, SEs from the CIs)."""
    from scipy import stats

    if r.new_status != "ok" or r.rec_status != "ok" or not np.isfinite(r.recorded) or not np.isfinite(r.estimate):
        return math.nan
    se = math.hypot(_se_z(r.ci_low, r.ci_high), _se_z(r.recorded_ci_low, r.recorded_ci_high))
    if not np.isfinite(se) or se <= 0:
        return math.nan
    clip = lambda v: min(max(v, -1 + 1e-9), 1 - 1e-9)  # noqa: E731
    z = (math.atanh(clip(r.sign * r.recorded)) - math.atanh(clip(r.sign * r.estimate))) / se
    return float(stats.norm.sf(z))


def _status(r: Any, alpha: float) -> str:
    if r.role in ("safety", "robustness") and r.rec_status != "ok":
        return "not checked"  # gated regardless of any KPI association, and none was recorded
    if r.new_status != "ok":
        return "too few points" if "few" in str(r.new_status) else "not checked"
    lo, hi = _aligned(r.ci_low, r.ci_high, r.sign)
    if hi < 0:
        return "reversed"
    if hi < r.floor:
        return "decoupled"
    if np.isfinite(r.p_adjusted) and r.p_adjusted < alpha:
        return "weakened"
    return "still valid"


def _candidate_pool(frame, kpi, candidates, kpi_columns, numeric_columns, portfolio) -> list[str]:
    if candidates is not None:
        bad = [c for c in candidates if c not in frame.columns]
        if bad:
            raise DataError(f"recalibrate: candidate column(s) {', '.join(bad)} are not in the data")
        pool = list(candidates)
    else:
        skip = set(kpi_columns(frame)) | {kpi}
        pool = [c for c in numeric_columns(frame, exclude=skip) if not _NOT_CANDIDATES.search(c)
                and frame[c].nunique(dropna=True) > 2]
    # secondary metrics may be promoted; metrics already gated elsewhere in the portfolio may not be re-added
    taken = {s.column for role, s in portfolio.metrics() if role != "secondary"}
    return [c for c in dict.fromkeys(pool) if c not in taken and c != kpi]


def _halves(frame: pd.DataFrame, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split the window by item (all rows of an item on one side), reproducibly."""
    key = frame["item_id"].astype(str) if "item_id" in frame.columns else pd.Series(np.arange(len(frame)).astype(str))
    items = np.sort(key.unique())
    rng = np.random.default_rng([seed, 19])
    chosen = set(rng.permutation(items)[: len(items) // 2])
    first = key.isin(chosen).to_numpy()
    return first, ~first


def _replacements(current, kpi, pool, needed, portfolio, table, floors, n_boot, seed, min_n, numeric):
    """Select replacements on one half of the items; keep those whose evidence holds on the other half."""
    from ..analysis.portfolio_select import select_portfolio

    select_rows, evidence_rows = _halves(current, seed)
    pick, hold = current[select_rows].reset_index(drop=True), current[evidence_rows].reset_index(drop=True)
    keep = [r.column for r in table.itertuples() if r.role == "primary" and r.status in ("still valid", "weakened")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sel = select_portfolio(pick, kpi, candidates=list(dict.fromkeys([*keep, *pool])), n_boot=min(n_boot, 300),
                                   cv_repeats=1, seed=seed, min_primary=1, max_primary=len(keep) + needed,
                                   safety=[], robustness=[])
        except Exception:  # too few rows for CV, a degenerate KPI: no replacement, said in the proposal
            return [], []
    chosen = [c.column for c in sel.primary if c.column not in keep]
    considered = [c.column for c in sel.secondary if c.column not in keep]
    out = []
    method = next((r.method for r in table.itertuples() if r.role == "primary"), "spearman")
    for col in chosen:
        ev = _association(hold, col, kpi, method, "sample", "model", n_boot, seed, min_n)
        sign = 1.0 if ev["estimate"] >= 0 else -1.0
        lo, hi = _aligned(ev["ci_low"], ev["ci_high"], sign)
        if ev["status"] == "ok" and lo > floors.get(col, floors["*"]) and len(out) < needed:
            out.append({"column": col, "estimate": ev["estimate"], "ci_low": ev["ci_low"], "ci_high": ev["ci_high"],
                        "n": ev["n"], "method": method, "direction": "higher" if sign > 0 else "lower",
                        "reason": (f"replaces a primary that no longer predicts {kpi}: chosen by select_portfolio on half "
                                   f"of the window's items; on the other half (held out, n={ev['n']}) {method} "
                                   f"{_est(ev['estimate'], ev['ci_low'], ev['ci_high'])}, above the floor "
                                   f"{floors.get(col, floors['*']):g}")})
        else:
            considered.append(col)
    return out, considered


def _rederive_threshold(before, current, spec, kpi, n_boot, seed, min_n) -> dict | None:
    """The metric value at which the window reaches the KPI level the old threshold stood for."""
    col = spec.column
    b = before[[col, kpi]].apply(pd.to_numeric, errors="coerce").dropna().to_numpy(float)
    c = current[[col, kpi]].apply(pd.to_numeric, errors="coerce").dropna().to_numpy(float)
    if len(b) < min_n or len(c) < min_n:
        return None
    old = float(spec.gate.threshold)
    rng = np.random.default_rng([seed, 23])
    cap = 20_000  # a documented subsample keeps the bootstrap cheap at production volume

    def fit(x: np.ndarray) -> tuple[float, float]:
        X = np.column_stack([np.ones(len(x)), x[:, 0]])
        coef, *_ = np.linalg.lstsq(X, x[:, 1], rcond=None)
        return float(coef[0]), float(coef[1])

    def derive(bb: np.ndarray, cc: np.ndarray) -> float:
        a0, b0 = fit(bb)
        a1, b1 = fit(cc)
        if b1 == 0 or not np.isfinite(b1) or np.sign(b1) != np.sign(b0):
            return math.nan
        return ((a0 + b0 * old) - a1) / b1

    new = derive(b, c)
    if not np.isfinite(new):
        return None
    bs, cs = (x[rng.choice(len(x), cap, replace=False)] if len(x) > cap else x for x in (b, c))
    reps = np.array([derive(bs[rng.integers(0, len(bs), len(bs))], cs[rng.integers(0, len(cs), len(cs))])
                     for _ in range(max(200, min(n_boot, 1000)))])
    reps = reps[np.isfinite(reps)]
    if len(reps) < 100:
        return None
    lo, hi = (float(v) for v in np.quantile(reps, [0.005, 0.995]))
    rng_lo, rng_hi = (spec.range or [-math.inf, math.inf])
    rounded = _round_sig(min(max(new, rng_lo), rng_hi), 3)
    a0, b0 = fit(b)
    return {"old": old, "new": rounded, "ci_low": _round_sig(lo, 3), "ci_high": _round_sig(hi, 3),
            "target": a0 + b0 * old, "propose": not (lo <= old <= hi) and rounded != old}


def _round_sig(x: float, digits: int) -> float:
    if x == 0 or not np.isfinite(x):
        return float(x)
    return float(round(x, digits - 1 - int(math.floor(math.log10(abs(x))))))


def _propose(portfolio, table, changes, additions, rethresholds, label, data_hash_, rows, baseline_label,
             validated_at) -> Any:
    from .loading import load_portfolio_text

    data = portfolio.to_dict()
    action = dict(zip(changes["column"], changes["action"]))
    status = dict(zip(table["column"], table["status"]))
    new_est = table.set_index("column")
    dropped = {c for c, a in action.items() if a == "drop"}
    demoted: list[dict] = []
    for role in ("primary", "secondary", "safety", "robustness"):
        kept = []
        for spec in data[role]:
            col = spec["column"]
            ev = spec.get("evidence") or {}
            other = dict(ev.get("other") or {})
            r = new_est.loc[col]
            other.update({"validated_window": label, "validated_status": status[col],
                          "validated_estimate": _finite(r["estimate"]), "validated_ci_low": _finite(r["ci_low"]),
                          "validated_ci_high": _finite(r["ci_high"])})
            if ev:
                spec["evidence"] = {**ev, "other": other}
            if action.get(col) == "drop":
                continue
            if action.get(col) == "demote" and role == "primary":
                spec = {**spec, "gate": None}
                spec["why"] = f"demoted to secondary by recalibration ({label}): association weakened"
                demoted.append(spec)
                continue
            if action.get(col) == "rethreshold":
                spec["gate"] = {**spec["gate"], "threshold": rethresholds[col]["new"]}
            kept.append(spec)
        data[role] = kept
    data["secondary"] = demoted + data["secondary"]
    for a in additions:
        gate_template = next((s["gate"] for s in portfolio.to_dict()["primary"] if s.get("gate")), None)
        spec = {"name": a["column"], "column": a["column"], "source": "column", "direction": a["direction"],
                "evidence": {"kpi": portfolio.outcome.kpi, "level": "sample", "method": a["method"],
                             "estimate": a["estimate"], "ci_low": a["ci_low"], "ci_high": a["ci_high"], "n": a["n"],
                             "data_hash": data_hash_, "why": "held-out evidence from recalibration " + label},
                "why": "added by recalibration: " + a["reason"][:300]}
        if gate_template is not None and gate_template.get("mode") == "relative":
            spec["gate"] = {**gate_template, "slices": []}
        data["secondary"] = [s for s in data["secondary"] if s["column"] != a["column"]]
        data["primary"].append(spec)
    if not data["primary"]:
        # a portfolio needs a primary metric: keep the least-bad one, flagged, rather than write an invalid file
        best = max((s for s in portfolio.primary), key=lambda s: abs(new_est.loc[s.column]["estimate"])
                   if np.isfinite(new_est.loc[s.column]["estimate"]) else -1)
        spec = best.model_dump(mode="json")
        spec["why"] = "KEPT ONLY BECAUSE A PORTFOLIO NEEDS A PRIMARY METRIC: it no longer predicts the KPI; review now"
        data["primary"] = [spec]
    data["rollback_triggers"] = [t for t in data["rollback_triggers"] if t["target"] not in dropped]
    floor_template = next((t for t in portfolio.rollback_triggers if t.kind == "validity"), None)
    for a in additions:
        if floor_template is not None:
            t = floor_template.model_dump(mode="json")
            t.update({"name": f"validity-{a['column']}"[:200], "target": a["column"]})
            if all(x["name"] != t["name"] for x in data["rollback_triggers"]):
                data["rollback_triggers"].append(t)
    data["validation"] = {"validated_at": validated_at or _dt.date.today().isoformat(), "window": label,
                          "kpi": portfolio.outcome.kpi, "data_hash": data_hash_, "rows": int(rows),
                          "baseline": baseline_label, "method": "evalnb.recalibrate"}
    import json

    return load_portfolio_text(json.dumps(data), format="json", source="recalibrate proposal", check_metrics=False)


def _finite(v: Any) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _est(e: Any, lo: Any, hi: Any) -> str:
    try:
        e, lo, hi = float(e), float(lo), float(hi)
    except (TypeError, ValueError):
        return "n/a"
    if not np.isfinite(e):
        return "n/a"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{e:+.3f}"
    return f"{e:+.3f} [{lo:+.3f}, {hi:+.3f}]"


def _int(n: Any) -> str:
    try:
        return f"{int(n):,}"
    except (TypeError, ValueError):
        return "n/a"


# Markdown that could turn a name into markup: emphasis, code, links/images, tables, headings, strike, HTML.
# ('.', '-', '+' and parentheses only act at a line start or after ']', and no name starts a line here.)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#!|~])")


def _md(text: Any) -> str:
    """Markdown-inert text: HTML escaped, Markdown punctuation backslash-escaped, @mentions broken."""
    s = html.escape(str(text), quote=False)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = s.replace("@", "&#64;").replace("\n", " ").replace("\r", " ")
    return s


def _code(text: Any) -> str:
    return str(text).replace("`", "'")

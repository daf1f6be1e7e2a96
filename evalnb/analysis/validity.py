"""``validity_drift``: does each metric still predict the KPI, window by window?

The metric-KPI association is estimated in calendar windows (monthly by default) with a CI.
A window raises an alert for a metric when

* the whole CI lies below ``threshold`` ("decoupled": the metric no longer tracks the KPI), or
* it is significantly lower than in the reference window ("weakened"): a z-test on Fisher's z
  of the two estimates with their (bootstrap) standard errors, Holm-adjusted across windows x
  metrics.

Alerts come with a recalibration recommendation.
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
from .._errors import ConfigError, SmallSampleWarning
from .correlate import estimates
from .inputs import as_frame, require_columns

_COLUMNS = ["window", "metric", "kpi", "estimate", "ci_low", "ci_high", "n", "ci_method", "p_vs_reference",
            "p_adjusted", "status", "alert"]


@dataclass(frozen=True)
class ValidityDrift(ResultDisplay):
    """Per-window metric-KPI associations, alerts and recommendations."""

    table: pd.DataFrame
    reference: str
    recommendations: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict)

    @property
    def alerts(self) -> pd.DataFrame:
        return self.table[self.table["alert"]].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """window, metric, kpi, estimate, ci_low, ci_high, n, ci_method, p_vs_reference,
        p_adjusted, status (reference | ok | weakened | decoupled | too few points), alert."""
        return self.table.copy()

    def summary(self) -> str:
        s = self.settings
        lines = [f"Validity drift of {', '.join(s.get('metrics', []))} vs {s.get('kpi')} ({s.get('method')}, "
                 f"windows {s.get('freq')}, reference {self.reference}, threshold {s.get('threshold')})"]
        for metric, part in self.table.groupby("metric", sort=False):
            lines.append(f"\n{metric}:")
            for r in part.itertuples():
                flag = "  ALERT" if r.alert else ""
                lines.append(f"  {r.window}: {r.estimate:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}] n={r.n} {r.status}{flag}")
        if self.recommendations:
            lines.append("\nRecommendations:")
            lines += [f"  - {r}" for r in self.recommendations]
        else:
            lines.append("\nNo alerts: every metric still tracks the KPI.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        recs = "".join(f"<li>{html.escape(r)}</li>" for r in self.recommendations)
        return "<p><b>Validity drift</b></p>" + (f"<ul>{recs}</ul>" if recs else "") + \
            self.table.round(4).to_html(index=False, escape=True)

    def chart(self):
        """Association per window with its CI band, the threshold, and alerts marked."""
        import altair as alt

        t = self.table.copy()
        t["window"] = t["window"].astype(str)
        base = alt.Chart(t).encode(x=alt.X("window:O", title="window"), color="metric:N")
        band = base.mark_area(opacity=0.2).encode(y=alt.Y("ci_low:Q", title=f"{self.settings.get('method')} with {self.settings.get('kpi')}"),
                                                  y2="ci_high:Q")
        line = base.mark_line(point=True).encode(y="estimate:Q", tooltip=list(t.columns))
        alerts = alt.Chart(t[t["alert"]]).mark_point(shape="triangle-down", size=120, color="red").encode(
            x="window:O", y="estimate:Q")
        rule = alt.Chart(pd.DataFrame({"y": [self.settings.get("threshold", 0.0)]})).mark_rule(strokeDash=[4, 4], color="gray").encode(y="y:Q")
        return band + line + alerts + rule


def validity_drift(data: Any, metrics: Sequence[str] | str | Any, kpi: str | None = None, *, time_col: str = "timestamp",
                   freq: str = "MS", reference: Any = None, threshold: float = 0.1, method: str = "spearman",
                   kpis: Any = None, alpha: float = 0.05, min_n: int = 30, n_boot: int = 1000, confidence: float = 0.95,
                   seed: int = 0, ci: float | None = None) -> ValidityDrift:
    """Metric-KPI association per calendar window, with decoupling alerts.

    Parameters
    ----------
    data : DataFrame, Scores or Runs joined with the KPI (or pass ``kpis``).
    metrics : metric columns, or a PortfolioSelection (its primary metrics and KPI are used).
    kpi : the KPI column.
    time_col : timestamp column (falls back to ``kpi_timestamp``); freq : pandas offset alias
        (``"MS"`` calendar months, ``"W"`` weeks, ``"QS"`` quarters).
    reference : the reference window: None (the first window with enough rows), a window label
        (``"2026-05"``), or a ``(start, end)`` pair pooled into one reference.
    threshold : alert when a window's CI upper bound is below this association.
    method : ``"spearman"`` (default), ``"pearson"`` or ``"kendall"``.
    min_n : windows with fewer rows get status "too few points" and no alert.

    Examples
    --------
    >>> vd = evalnb.validity_drift(joined, ["judge_relevance", "judge_faithfulness"], "thumbs_up")  # doctest: +SKIP
    >>> vd.alerts[["window", "metric", "estimate", "status"]]                                    # doctest: +SKIP
    """
    ci = renamed("validity_drift", "ci", ci, "confidence", confidence)
    if hasattr(metrics, "primary") and hasattr(metrics, "kpi"):
        kpi = kpi or metrics.kpi
        metrics = [c.column for c in metrics.primary]
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if not kpi:
        raise ConfigError("validity_drift needs kpi='<KPI column>'")
    frame = as_frame(data, kpis)
    if time_col not in frame.columns and time_col == "timestamp" and "kpi_timestamp" in frame.columns:
        time_col = "kpi_timestamp"
    require_columns(frame, [kpi, *metrics, time_col], "validity_drift")
    # only the columns it reads: a copy of a joined frame's texts would cost more than the analysis
    frame = frame[list(dict.fromkeys([time_col, kpi, *metrics]))].copy()
    frame[time_col] = pd.to_datetime(frame[time_col], utc=True)
    frame = frame.dropna(subset=[time_col])
    naive = frame[time_col].dt.tz_convert(None)
    windows = naive.dt.to_period(_period_freq(freq))
    frame["_window"] = windows.astype(str)
    opts = dict(n_boot=n_boot, ci=ci, seed=seed, min_n=min_n)

    def assoc(part: pd.DataFrame) -> dict:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallSampleWarning)
            return estimates(part, metrics, kpi, method, **opts)

    labels = sorted(frame["_window"].unique())
    per_window = {w: assoc(frame[frame["_window"] == w]) for w in labels}
    if reference is None:
        ref_label = next((w for w in labels if all(e.status == "ok" for e in per_window[w].values())), labels[0] if labels else "")
        ref = per_window.get(ref_label, {})
    elif isinstance(reference, (tuple, list)) and len(reference) == 2:
        start, end = (pd.Timestamp(x, tz="UTC") if pd.Timestamp(x).tzinfo is None else pd.Timestamp(x) for x in reference)
        ref_label = f"{start.date()}..{end.date()}"
        ref = assoc(frame[(frame[time_col] >= start) & (frame[time_col] < end)])
    else:
        ref_label = str(pd.Period(reference, freq=_period_freq(freq))) if not isinstance(reference, str) or reference not in labels else reference
        if ref_label not in per_window:
            raise ConfigError(f"reference window '{reference}' has no rows; windows: {', '.join(labels)}")
        ref = per_window[ref_label]

    rows = []
    for w in labels:
        for m in metrics:
            e, r = per_window[w][m], ref.get(m)
            p = math.nan
            if e.status == "ok" and r is not None and r.status == "ok" and w != ref_label:
                za, zb = math.atanh(_clip(e.estimate)), math.atanh(_clip(r.estimate))
                se = math.sqrt(e.se_z ** 2 + r.se_z ** 2)
                p = float(2 * _norm_sf(abs(za - zb) / se)) if se > 0 and math.isfinite(se) else math.nan
            rows.append({"window": w, "metric": m, "kpi": kpi, "estimate": e.estimate, "ci_low": e.ci_low,
                         "ci_high": e.ci_high, "n": e.n, "ci_method": e.ci_method, "p_vs_reference": p,
                         "ref_est": r.estimate if r is not None else math.nan, "est_status": e.status})
    table = pd.DataFrame(rows)
    from ..stats.multiplicity import adjust

    table["p_adjusted"] = adjust(table["p_vs_reference"].to_numpy(), "holm").p_adjusted if len(table) else []
    status, alert = [], []
    for r in table.itertuples():
        if r.est_status != "ok":
            status.append("too few points" if r.est_status == "too few points" else r.est_status)
            alert.append(False)
        elif r.window == ref_label:
            status.append("reference")
            alert.append(r.ci_high < threshold)
        elif r.ci_high < threshold:
            status.append("decoupled")
            alert.append(True)
        elif r.p_adjusted < alpha and r.estimate < r.ref_est:
            status.append("weakened")
            alert.append(True)
        else:
            status.append("ok")
            alert.append(False)
    table["status"] = status
    table["alert"] = alert
    recs = _recommendations(table, kpi, threshold, ref_label)
    table = table[_COLUMNS].reset_index(drop=True)
    settings = {"metrics": metrics, "kpi": kpi, "method": method, "freq": freq, "threshold": threshold,
                "alpha": alpha, "min_n": min_n, "n_boot": n_boot, "seed": seed, "time_col": time_col}
    return ValidityDrift(table, ref_label, tuple(recs), settings)


def _recommendations(table: pd.DataFrame, kpi: str, threshold: float, ref_label: str) -> list[str]:
    recs = []
    for metric, part in table[table["alert"]].groupby("metric", sort=False):
        first = part.iloc[0]
        ref = table[(table["metric"] == metric) & (table["window"] == ref_label)]
        ref_txt = f"{ref['estimate'].iloc[0]:+.3f}" if len(ref) else "n/a"
        healthy = table[(table["window"] == first["window"]) & (table["status"] == "ok") & (table["ci_low"] > threshold)]
        alt = f" Meanwhile {', '.join(healthy['metric'])} still track{'s' if len(healthy) == 1 else ''} {kpi} in that window." \
            if len(healthy) else ""
        recs.append(
            f"{metric} {first['status']} from {first['window']}: {first['estimate']:+.3f} "
            f"[{first['ci_low']:+.3f}, {first['ci_high']:+.3f}] vs {ref_txt} in {ref_label}. Do not gate on it until it is "
            f"recalibrated: re-check its inputs and judge prompt/model version for a change around {first['window']}, "
            f"re-validate it against fresh {kpi} data or human labels, refit its threshold, and demote it from primary "
            f"if the association does not return.{alt}")
    return recs


def _period_freq(freq: str) -> str:
    return {"MS": "M", "ME": "M", "M": "M", "QS": "Q", "QE": "Q", "Q": "Q", "YS": "Y", "Y": "Y", "W": "W", "D": "D"}.get(freq, freq)


def _clip(r: float) -> float:
    return min(max(r, -1 + 1e-12), 1 - 1e-12)


def _norm_sf(z: float) -> float:
    from scipy import stats

    return float(stats.norm.sf(z))

"""evalnb.validity_drift: the planted October decoupling, no false alarm on stable data."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalnb
from evalnb._errors import ConfigError


def _stable(seed=0, months=5, n=400):
    rng = np.random.default_rng(seed)
    parts = []
    for m in range(months):
        a = rng.normal(size=n)
        parts.append(pd.DataFrame({"metric": a, "kpi": (a + rng.logistic(size=n) > 0).astype(float),
                                   "timestamp": pd.Timestamp(f"2026-0{m + 1}-10", tz="UTC") + pd.to_timedelta(rng.integers(0, 15, n), "D")}))
    return pd.concat(parts, ignore_index=True)


def test_detects_the_planted_october_decoupling(sample_joined):
    vd = evalnb.validity_drift(sample_joined, ["judge_relevance", "judge_faithfulness"], "thumbs_up", n_boot=300)
    alerts = vd.alerts
    assert list(zip(alerts["window"], alerts["metric"])) == [("2026-10", "judge_relevance")]
    assert alerts["status"].iloc[0] in ("decoupled", "weakened")
    assert vd.reference == "2026-05"
    assert any("judge_relevance" in r and "2026-10" in r and "judge_faithfulness" in r for r in vd.recommendations)
    t = vd.to_frame()
    assert set(t["window"]) == {f"2026-{m:02d}" for m in range(5, 11)}
    assert ((t["ci_low"] <= t["estimate"]) & (t["estimate"] <= t["ci_high"])).all()
    vd.chart().to_dict()


def test_no_alert_when_the_association_is_stable():
    vd = evalnb.validity_drift(_stable(), "metric", "kpi", n_boot=300)
    assert vd.alerts.empty and "No alerts" in vd.summary()


def test_weakened_association_against_a_pooled_reference():
    df = _stable(1, months=4)
    late = df["timestamp"] >= pd.Timestamp("2026-04-01", tz="UTC")
    rng = np.random.default_rng(2)
    df.loc[late, "kpi"] = ((0.35 * df.loc[late, "metric"] + rng.logistic(size=late.sum())) > 0).astype(float)
    vd = evalnb.validity_drift(df, ["metric"], "kpi", reference=("2026-01-01", "2026-03-31"), threshold=0.0, n_boot=300)
    row = vd.to_frame().set_index("window").loc["2026-04"]
    assert row["status"] == "weakened" and row["alert"]
    assert vd.reference == "2026-01-01..2026-03-31"


def test_small_windows_are_marked_not_alerted():
    df = _stable(months=2, n=20)
    vd = evalnb.validity_drift(df, "metric", "kpi", min_n=30)
    assert (vd.to_frame()["status"] == "too few points").all() and vd.alerts.empty


def test_unknown_reference_window_is_an_error():
    with pytest.raises(ConfigError, match="windows: 2026-01"):
        evalnb.validity_drift(_stable(months=2), "metric", "kpi", reference="2025-12", n_boot=100)

"""worst_slices: planted truths (synthetic and the sample data), Fisher oracle, counts, rules, errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evalnb
from evalnb._errors import EvalnbError
from evalnb.analysis.slices import worst_slices
from conftest import SAMPLE_DIR


def _planted(n=6000, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"model": rng.choice(["atlas", "nova", "swift"], n),
                          "category": rng.choice(["billing", "account", "shipping", "returns"], n),
                          "item_id": [str(i) for i in range(n)]})
    mu = 3.6 - 1.4 * ((frame["model"] == "swift") & (frame["category"] == "billing"))
    frame["judge_faithfulness"] = np.clip(np.round(rng.normal(mu, 0.9)), 1, 5)
    return frame


def test_planted_interaction_is_the_worst_slice():
    report = worst_slices(_planted(), "judge_faithfulness", by="category", failure="<3")
    top = report.to_frame().iloc[0]
    assert (top["model"], top["category"]) == ("swift", "billing")
    assert top["significant"] and top["lift"] > 2
    assert report.rule == "judge_faithfulness < 3"
    # only slices touching swift x billing are flagged
    flagged = report.significant
    assert all("billing" in s for s in flagged["slice"])
    assert "swift" in report.summary() and "<script" not in report._repr_html_()
    report.chart().to_dict()
    drill = report.rows(0)
    assert len(drill) == top["failures"] and (drill["judge_faithfulness"] < 3).all()


def test_fisher_p_values_and_wilson_match_libraries():
    from scipy.stats import fisher_exact
    from statsmodels.stats.proportion import proportion_confint

    frame = _planted(n=1500, seed=3)
    report = worst_slices(frame, "judge_faithfulness", by="category", failure=3, by_model=False, method="bh")
    fails = frame["judge_faithfulness"] < 3
    for _, row in report.to_frame().iterrows():
        inside = frame["category"] == row["category"]
        k, n = int(fails[inside].sum()), int(inside.sum())
        rk, rn = int(fails[~inside].sum()), int((~inside).sum())
        assert (row["failures"], row["n"], row["rest_failures"], row["rest_n"]) == (k, n, rk, rn)
        assert row["p_value"] == pytest.approx(fisher_exact([[k, n - k], [rk, rn - rk]], alternative="greater").pvalue)
        low, high = proportion_confint(k, n, method="wilson")
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    from statsmodels.stats.multitest import multipletests

    np.testing.assert_allclose(report.frame["p_adjusted"], multipletests(report.frame["p_value"], method="fdr_bh")[1])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["m1", "m2"]), st.sampled_from(["a", "b", "c", None]),
                          st.sampled_from(["x", "y"]), st.one_of(st.none(), st.floats(0, 1))),
                min_size=1, max_size=80))
def test_property_slice_counts_sum_to_total(rows):
    frame = pd.DataFrame(rows, columns=["model", "category", "task", "score"])
    if frame["score"].notna().sum() == 0:
        with pytest.raises(EvalnbError, match="no row has a value"):
            worst_slices(frame, "score", by=["category", "task"], failure=0.5)
        return
    report = worst_slices(frame, "score", by=["category", "task"], failure=0.5, min_n=5)
    table = report.to_frame()
    total = int(frame["score"].notna().sum())
    assert report.n_total == total
    for level, part in table.groupby("level"):
        assert part["n"].sum() == total, level
        assert part["failures"].sum() == int((frame["score"] < 0.5).sum())
    assert ((table["p_adjusted"] >= table["p_value"] - 1e-12) | table["p_value"].isna()).all()
    assert (table.loc[~table["tested"], "p_value"].isna()).all()
    assert ((table["ci_low"] <= table["failure_rate"]) & (table["failure_rate"] <= table["ci_high"])).all()


def test_failure_rules():
    frame = pd.DataFrame({"model": "m", "category": ["a", "b"] * 30, "ok": [0, 1] * 30,
                          "latency_ms": [100.0, 3000.0] * 30})
    binary = worst_slices(frame, "ok", by="category", by_model=False)
    assert binary.rule == "ok == 0" and binary.frame.iloc[0]["category"] == "a"
    slow = worst_slices(frame, "latency_ms", by="category", failure=2000, by_model=False)
    assert slow.rule == "latency_ms > 2000" and slow.frame.iloc[0]["category"] == "b"  # lower is better
    custom = worst_slices(frame, "latency_ms", by="category", failure=lambda v: v < 500, by_model=False)
    assert custom.frame.iloc[0]["category"] == "a"
    with pytest.raises(EvalnbError, match="failure= is required"):
        worst_slices(frame, "latency_ms", by="category")
    with pytest.raises(EvalnbError, match="cannot read failure rule"):
        worst_slices(frame, "ok", by="category", failure="less than 3")
    with pytest.raises(EvalnbError, match="cannot slice by \\['nope'\\]"):
        worst_slices(frame, "ok", by="nope")


def test_small_slices_listed_not_tested():
    frame = _planted(n=400, seed=1)
    report = worst_slices(frame, "judge_faithfulness", by="category", failure="<3", min_n=50)
    small = report.frame[report.frame["n"] < 50]
    assert len(small) and not small["tested"].any() and small["p_value"].isna().all()
    assert (small["note"].str.contains("not tested")).all()


def test_sample_data_swift_small_billing_is_worst(sample_runs):
    scores = evalnb.score(sample_runs, [evalnb.metric("precomputed", column="judge_faithfulness", lower=1, upper=5)],
                          progress=False)
    report = worst_slices(scores, "judge_faithfulness", by=["category"], failure="<3")
    top = report.to_frame().iloc[0]
    assert (top["model"], top["category"]) == ("swift-small", "billing")
    assert top["significant"]


def test_summary_shows_each_tested_slices_adjusted_p_value():
    frame = pd.DataFrame({"category": ["a"] * 200 + ["b"] * 200,
                          "ok": [0.0] * 60 + [1.0] * 140 + [0.0] * 10 + [1.0] * 190})
    rep = worst_slices(frame, "ok", by="category", failure=0.5, by_model=False)
    shown = rep.summary()
    for p in rep.frame["p_adjusted"].dropna():
        assert f"{p:.3g}" in shown
    assert rep.frame["p_adjusted"].notna().any()

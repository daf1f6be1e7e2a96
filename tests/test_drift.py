"""Drift: oracles against scipy, planted shifts found, no alert without shift, triggers, CLI, sample data."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, ks_2samp

from evalnb.analysis.drift import drift, monthly, psi
from evalnb.cli import main
from evalnb.portfolio.config import MetricSpec, Outcome, Portfolio, RollbackTrigger

from conftest import SAMPLE_DIR

WORDS = ["refund", "invoice", "password", "shipping", "order", "account", "login", "card", "delay", "plan"]


def _window(n: int, billing: float, words: float, rho: float, seed: int, start: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cats = np.where(rng.random(n) < billing, "billing", rng.choice(["account", "shipping", "returns"], n))
    x = rng.normal(size=n)
    kpi = (rho * x + rng.normal(size=n) * np.sqrt(1 - rho ** 2) > 0).astype(float)
    text = [" ".join(rng.choice(WORDS, max(1, int(rng.normal(words, 3))))) for _ in range(n)]
    return pd.DataFrame({"run_id": "prod", "model": "prod", "item_id": [f"{seed}-{i}" for i in range(n)],
                         "category": cats, "input": text, "output": text, "latency_ms": rng.gamma(2, 100, n),
                         "judge_relevance": np.clip(np.round(x + 3), 1, 5), "thumbs_up": kpi,
                         "timestamp": pd.Timestamp(start, tz="UTC") + pd.to_timedelta(rng.integers(0, 27, n), "D")})


REF = _window(2000, 0.14, 12, 0.5, 1, "2026-05-01")
SAME = _window(500, 0.14, 12, 0.5, 2, "2026-10-01")
SHIFTED = _window(500, 0.30, 17, 0.0, 3, "2026-10-01")


def test_tests_match_scipy_and_psi_properties():
    rep = drift(REF, SHIFTED, kpi="thumbs_up", metrics=["judge_relevance"])
    t = rep.tests.set_index("column")
    ks = ks_2samp(REF["latency_ms"], SHIFTED["latency_ms"])
    assert t.loc["latency_ms", "statistic"] == pytest.approx(ks.statistic)
    assert t.loc["latency_ms", "p_value"] == pytest.approx(ks.pvalue)
    table = pd.crosstab(pd.concat([REF, SHIFTED]).category, np.r_[np.zeros(len(REF)), np.ones(len(SHIFTED))])
    assert t.loc["category", "statistic"] == pytest.approx(chi2_contingency(table.T.to_numpy()).statistic)
    assert psi(REF["latency_ms"], REF["latency_ms"]) == pytest.approx(0.0)
    assert psi(REF["latency_ms"], REF["latency_ms"] * 3) > 0.25
    assert (rep.tests["p_adjusted"] >= rep.tests["p_value"] - 1e-15).all()


def test_planted_shift_raises_category_length_and_validity_alerts():
    rep = drift(REF, SHIFTED, kpi="thumbs_up", metrics=["judge_relevance"])
    kinds = {(a.kind, a.column) for a in rep.alerts}
    assert ("categorical", "category") in kinds
    assert ("text_length", "input_length") in kinds
    assert ("validity", "judge_relevance") in kinds
    assert ("numeric", "latency_ms") not in kinds
    assert "billing" in next(a.message for a in rep.alerts if a.column == "category")


def test_no_alerts_without_shift():
    rep = drift(REF, SAME, kpi="thumbs_up", metrics=["judge_relevance"])
    assert rep.alerts == ()
    assert rep.scores.loc[0, "ci_low"] <= rep.scores.loc[0, "difference"] <= rep.scores.loc[0, "ci_high"]


def test_alerts_map_to_portfolio_triggers_and_monthly_report():
    p = Portfolio(name="p", outcome=Outcome(kpi="thumbs_up"),
                  primary=[MetricSpec(name="judge_relevance", source="column", direction="higher", range=[1, 5])],
                  rollback_triggers=[
                      RollbackTrigger(name="relevance-validity", kind="validity", target="judge_relevance", threshold=0.1,
                                      action="recalibrate"),
                      RollbackTrigger(name="mix", kind="drift", target="*", threshold=0.1, action="alert"),
                      RollbackTrigger(name="thumbs", kind="kpi", target="thumbs_up", threshold=0.6, min_n=50)])
    data = pd.concat([REF, SHIFTED], ignore_index=True)
    reports = monthly(data, reference_until="2026-09", portfolio=p)
    assert list(reports) == ["2026-10"]
    alerts = {(a.kind, a.column): a for a in reports["2026-10"].alerts}
    assert alerts[("validity", "judge_relevance")].trigger == "relevance-validity"
    assert alerts[("validity", "judge_relevance")].action == "recalibrate"
    assert alerts[("categorical", "category")].trigger == "mix"
    assert alerts[("kpi", "thumbs_up")].trigger == "thumbs"  # ~50% thumbs-up < 0.6 threshold
    assert "ALERT" in reports["2026-10"].summary()


def test_embedding_drift_optional_and_detects_topic_shift():
    import sentence_transformers  # noqa: F401  (a declared dev dependency)
    import torch

    torch.set_num_threads(1)
    a = pd.DataFrame({"input": [f"How do I reset my password for account {i}?" for i in range(60)]})
    b = pd.DataFrame({"input": [f"My parcel number {i} has not arrived yet, where is it?" for i in range(60)]})
    rep = drift(a, b, columns=[], categorical=[], metrics=[], embeddings=True, max_embed=60)
    row = rep.tests[rep.tests.kind == "embedding"].iloc[0]
    assert row["statistic"] > 0.1 and row["p_value"] < 0.01 and row["alert"]
    same = drift(a.iloc[::2], a.iloc[1::2], columns=[], categorical=[], metrics=[], embeddings=True)
    assert not same.tests[same.tests.kind == "embedding"].iloc[0]["alert"]


def test_cli_drift(tmp_path):
    REF.to_json(tmp_path / "ref.jsonl", orient="records", lines=True, date_format="iso")
    SHIFTED.to_json(tmp_path / "cur.jsonl", orient="records", lines=True, date_format="iso")
    SAME.to_json(tmp_path / "same.jsonl", orient="records", lines=True, date_format="iso")
    assert main(["drift", str(tmp_path / "ref.jsonl"), str(tmp_path / "cur.jsonl"), "--csv", str(tmp_path / "d.csv")]) == 1
    assert "category" in (tmp_path / "d.csv").read_text()
    assert main(["drift", str(tmp_path / "ref.jsonl"), str(tmp_path / "same.jsonl")]) == 0


@pytest.fixture()
def joined(request):
    return request.getfixturevalue("sample_joined")


def test_sample_data_october_window_raises_planted_alerts(joined):
    prod = joined[joined.model == "nova-medium"]
    reports = monthly(prod, reference_until="2026-09", kpi="thumbs_up",
                      metrics=["judge_relevance", "judge_faithfulness"])
    october = reports["2026-10"]
    kinds = {(a.kind, a.column) for a in october.alerts}
    assert ("categorical", "category") in kinds and ("text_length", "input_length") in kinds
    assert "billing" in next(a.message for a in october.alerts if a.column == "category")
    assert ("score", "judge_relevance") in kinds  # its level dropped too
    validity = october.validity.set_index("metric")
    assert validity.loc["judge_relevance", "change"] < 0
    assert ("validity", "judge_relevance") in kinds


def test_drift_since_cuts_at_the_month_and_names_bad_windows():
    import evalnb

    # hand-built: 3 rows in August, 2 in September (one at the last second), 3 in October
    rows = pd.DataFrame({"timestamp": ["2026-08-01T00:00:00Z", "2026-08-15", "2026-08-31T23:59:59Z",
                                       "2026-09-01T00:00:00Z", "2026-09-30T23:59:59Z",
                                       "2026-10-01", "2026-10-02", "2026-10-31"] * 20,
                         "score": [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0] * 20})
    assert evalnb.drift_months(rows) == ["2026-08", "2026-09", "2026-10"]
    rep = evalnb.drift_since(rows, "2026-09", metrics=["score"], n_boot=200)
    row = rep.scores.iloc[0]
    assert (row.n_ref, row.n_cur, row.ref_mean, row.cur_mean) == (60, 100, 1.0, 0.0)
    assert (rep.reference, rep.current) == ("before 2026-09", "from 2026-09")
    newest = evalnb.drift_since(rows, metrics=["score"], n_boot=200)   # default: the newest month
    assert (newest.scores.iloc[0].n_ref, newest.scores.iloc[0].n_cur) == (100, 60)
    with pytest.raises(evalnb.DataError, match=r"drift window 2026-08 leaves a window empty; pick one of: 2026-09, 2026-10"):
        evalnb.drift_since(rows, "2026-08", metrics=["score"])
    with pytest.raises(evalnb.DataError, match="'2026-13' is not a month"):
        evalnb.drift_since(rows, "2026-13", metrics=["score"])
    with pytest.raises(evalnb.DataError, match=r"only one month \(2026-10\)"):
        evalnb.drift_since(rows.tail(3), metrics=["score"])
    with pytest.raises(evalnb.DataError, match="no 'timestamp' column"):
        evalnb.drift_since(rows.drop(columns="timestamp"), metrics=["score"])


def test_score_rows_of_the_frame_carry_the_difference_as_their_statistic():
    rng = np.random.default_rng(4)
    ref = pd.DataFrame({"score": rng.normal(0.5, 0.1, 400)})
    cur = pd.DataFrame({"score": rng.normal(0.45, 0.1, 400)})
    rep = drift(ref, cur, metrics=["score"], n_boot=200)
    rows = rep.to_frame()
    score_row = rows[rows["section"] == "score"].iloc[0]
    assert score_row["statistic"] == pytest.approx(cur["score"].mean() - ref["score"].mean(), rel=1e-9)

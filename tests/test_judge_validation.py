"""validate_judge: parity with scipy/scikit-learn/statsmodels, ICC golden values, sample and real data."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score, confusion_matrix
from statsmodels.stats.proportion import proportion_confint

import evalnb
from conftest import SAMPLE_DIR, shared_data_path
from evalnb.analysis.judge_validation import icc
from evalnb.testing import FakeOpenAI


def _synthetic(n=200, seed=0):
    rng = np.random.default_rng(seed)
    human = rng.integers(1, 6, n).astype(float)
    judge = np.clip(human + rng.integers(-1, 2, n) * (rng.random(n) < 0.5), 1, 5)
    judge[rng.random(n) < 0.05] = np.nan                    # failed judge replies
    return pd.DataFrame({"judge": judge, "human": human})


def test_parity_with_reference_libraries():
    df = _synthetic()
    v = evalnb.validate_judge(df, judge="judge", human="human", threshold=4)
    ok = df.dropna()
    j, h = ok["judge"].to_numpy(), ok["human"].to_numpy()
    assert v.n == len(ok) and v.value("excluded") == df["judge"].isna().sum()
    assert v.value("spearman") == pytest.approx(stats.spearmanr(j, h).statistic)
    assert v.value("kendall") == pytest.approx(stats.kendalltau(j, h).statistic)
    assert v.value("pearson") == pytest.approx(stats.pearsonr(j, h).statistic)
    ci = stats.pearsonr(j, h).confidence_interval()
    row = v.to_frame().set_index("statistic").loc["pearson"]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high))   # Fisher z, same as scipy
    assert v.value("cohen_kappa") == pytest.approx(cohen_kappa_score(h.astype(int), j.astype(int)))
    assert v.value("weighted_kappa_quadratic") == pytest.approx(cohen_kappa_score(h.astype(int), j.astype(int), weights="quadratic"))
    assert (v.confusion.to_numpy() == confusion_matrix(h.astype(int), j.astype(int), labels=[1, 2, 3, 4, 5])).all()
    pos, neg = h >= 4, h < 4
    tpr = ((j >= 4) & pos).sum() / pos.sum()
    assert v.value("tpr") == pytest.approx(tpr)
    t = v.to_frame().set_index("statistic").loc["tpr"]
    assert (t["ci_low"], t["ci_high"]) == pytest.approx(proportion_confint(((j >= 4) & pos).sum(), pos.sum(), method="wilson"))
    assert v.value("tnr") == pytest.approx(((j < 4) & neg).sum() / neg.sum())


def test_icc_matches_shrout_fleiss_table():
    # Shrout & Fleiss (1979), Table 2: 6 targets x 4 judges; published ICC(1,1)=.17, (2,1)=.29, (3,1)=.71
    x = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    got = icc(x)
    assert round(got["icc1_1"], 2) == 0.17 and round(got["icc2_1"], 2) == 0.29 and round(got["icc3_1"], 2) == 0.71


def test_test_retest_flip_rate_with_the_fake_judge(tmp_path):
    df = pd.DataFrame({"model": "m", "item_id": [str(i) for i in range(30)],
                       "input": [f"How do I reset password number {i}?" for i in range(30)],
                       "output": [("Reset your password from the login page. " * (i % 3 + 1)) + f"Ticket {i}." for i in range(30)]})
    with FakeOpenAI() as s:
        runs = []
        for rep in range(3):
            m = evalnb.metric("judge_relevance", base_url=s.base_url, model="fake-judge", api_key="k",
                              cache_dir=str(tmp_path), temperature=0.7, replicate=rep, progress=False)
            runs.append(evalnb.score(df, [m], progress=False).df["llm_relevance"].to_numpy())
        assert s.stats.paid == 90                           # replicates are distinct calls, not cache hits
    mat = np.column_stack(runs)
    human = np.rint(mat.mean(axis=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = evalnb.validate_judge(judge=mat[:, 0], human=human, retest=mat, threshold=3)
    flips = ((mat >= 3).any(axis=1) & (mat < 3).any(axis=1)).mean()
    assert v.retest["flip_rate"] == pytest.approx(flips) and v.retest["k"] == 3
    assert v.retest["icc2_1"] == pytest.approx(icc(mat)["icc2_1"])
    assert "test-retest over 3 runs" in v.summary()


def test_result_object_renders_safely():
    df = _synthetic(60)
    v = evalnb.validate_judge(df, judge="judge", human="human")
    assert set(v.to_frame().columns) == {"statistic", "value", "ci_low", "ci_high", "p_value", "n"}
    spec = v.chart().to_dict()
    assert spec["layer"][0]["mark"]["type"] == "rect"
    html = evalnb.validate_judge(df.rename(columns={"judge": "<script>j</script>"}), judge="<script>j</script>",
                                 human="human")._repr_html_()
    assert "<script>j" not in html and "&lt;script&gt;" in html
    with pytest.raises(evalnb._errors.DataError, match="no column 'nope'"):
        evalnb.validate_judge(df, judge="nope", human="human")


def test_sample_data_precomputed_judges_vs_human_rating():
    runs = evalnb.load_runs(str(SAMPLE_DIR / "runs" / "*.jsonl"))
    df = runs.df
    assert "human_rating" in df, "the sample data plants a human_rating column"
    for col in ("judge_relevance", "judge_helpfulness"):
        v = evalnb.validate_judge(df, judge=col, human="human_rating")
        ok = df[[col, "human_rating"]].dropna()
        assert v.n == len(ok) and v.n < len(df)             # human labels exist on a subset
        assert v.value("spearman") == pytest.approx(stats.spearmanr(ok[col], ok["human_rating"]).statistic)
        assert v.value("spearman") > 0                      # the judges track people in the sample data
    flag = df[["judge_safety_violation", "human_rating"]].dropna()
    assert len(flag)


@pytest.mark.shared_data
def test_unieval_predictions_vs_human_scores():
    path = shared_data_path("unieval", "predictions", "dialogue", "topical_chat_result.json")
    items = json.loads(path.read_text())
    df = pd.DataFrame({"pred": [it["predict_scores"]["coherence"] for it in items],
                       "human": [it["scores"]["coherence"] for it in items]})
    v = evalnb.validate_judge(df, judge="pred", human="human", threshold=2)
    assert v.n == 360
    assert v.value("spearman") == pytest.approx(stats.spearmanr(df["pred"], df["human"]).statistic)
    assert v.value("kendall") == pytest.approx(stats.kendalltau(df["pred"], df["human"]).statistic)
    assert v.value("spearman") > 0.3                        # a learned metric that tracks people


def test_kendall_ci_covers_on_tied_1_to_5_ratings():
    # issue 15 item 5: judge and human 1-5 ratings from a latent bivariate normal (rho 0.6) cut
    # at fixed points. The true tau-b comes from 100,000 draws. Before: Fieller-Hartley-Pearson's
    # tie-free 0.437 / (n - 4) covered 88-91% here. R = 150 datasets of n = 100: MC SE 1.8%.
    rng = np.random.default_rng(5)
    cuts = [-1.2, -0.4, 0.3, 1.0]

    def draw(n):
        z = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=n)
        return np.digitize(z[:, 0], cuts) + 1.0, np.digitize(z[:, 1], cuts) + 1.0

    truth = stats.kendalltau(*draw(100_000)).statistic
    hits = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(150):
            j, h = draw(100)
            row = evalnb.validate_judge(judge=j, human=h).to_frame().set_index("statistic").loc["kendall"]
            hits += row["ci_low"] <= truth <= row["ci_high"]
    assert 0.915 <= hits / 150 <= 0.985, hits / 150

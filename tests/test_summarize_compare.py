"""summarize / compare and the interval and multiplicity helpers (oracles: scipy, statsmodels, sacrebleu)."""
from __future__ import annotations

import html
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evalnb
from evalnb.analysis.compare import compare
from evalnb.analysis.summarize import summarize
from evalnb.metrics.base import CORPUS, Metric, Output
from evalnb.stats import intervals as iv
from evalnb.stats.multiplicity import adjust

pytestmark = pytest.mark.filterwarnings("ignore::evalnb._errors.SmallSampleWarning")


# -- a tiny CORPUS metric: corpus value = sum(hits) / sum(total), per item hits/total --------------
class RatioOfSums(Metric):
    name = "test_ratio_of_sums"
    family = "test"
    description = "corpus metric for tests"
    needs = ("hits", "total")
    outputs = (Output("ratio", CORPUS),)

    def compute(self, frame):
        return pd.DataFrame({"ratio": frame["hits"] / frame["total"], "_ratio_hits": frame["hits"],
                             "_ratio_total": frame["total"]}, index=frame.index)

    def corpus_score(self, scores):
        return {"ratio": float(scores["_ratio_hits"].sum() / scores["_ratio_total"].sum())}


def _two_models(n=200, shift=0.05, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.random(n)
    rows = []
    for model, delta in (("base", 0.0), ("cand", shift)):
        q = np.clip(base + delta + rng.normal(0, 0.05, n), 0, 1)
        rows.append(pd.DataFrame({"model": model, "item_id": [str(i) for i in range(n)], "quality": q,
                                  "ok": (q > 0.5).astype(int), "category": np.where(np.arange(n) % 2, "x", "y")}))
    return pd.concat(rows, ignore_index=True)


# -- intervals --------------------------------------------------------------------------------------
def test_bootstrap_mean_matches_scipy_percentile_bootstrap():
    from scipy.stats import bootstrap

    x = np.random.default_rng(1).gamma(2.0, size=400)
    ours = iv.bootstrap_mean_ci(x, n_boot=4000, seed=0)
    ref = bootstrap((x,), np.mean, n_resamples=4000, method="percentile", rng=np.random.default_rng(7))
    width = ours.high - ours.low
    assert ours.low == pytest.approx(ref.confidence_interval.low, abs=0.1 * width)
    assert ours.high == pytest.approx(ref.confidence_interval.high, abs=0.1 * width)
    assert ours.estimate == pytest.approx(x.mean())


def test_discrete_and_large_samples_take_the_fast_routes():
    from scipy.stats import bootstrap

    x = np.random.default_rng(2).integers(1, 6, 800).astype(float)  # judge-like 1-5 scores
    ours = iv.bootstrap_mean_ci(x, n_boot=4000)
    assert "multinomial over 5 levels" in ours.method
    ref = bootstrap((x,), np.mean, n_resamples=4000, method="percentile", rng=np.random.default_rng(3))
    width = ours.high - ours.low
    assert abs(ours.low - ref.confidence_interval.low) < 0.1 * width
    assert abs(ours.high - ref.confidence_interval.high) < 0.1 * width
    big = np.random.default_rng(4).normal(size=iv.MAX_BOOT_N + 1)
    t_ci = iv.bootstrap_mean_ci(big)
    assert t_ci.method.startswith("t interval") and t_ci.low < big.mean() < t_ci.high
    d = iv.paired_difference(big, big + 0.01)
    assert d.test.startswith("paired t-test") and d.low == pytest.approx(0.01) and d.high == pytest.approx(0.01)


def test_constant_sample_never_nan():  # docs/threat-model.md S01
    ci = iv.bootstrap_mean_ci([0.7] * 30)
    assert (ci.estimate, ci.low, ci.high) == (0.7, 0.7, 0.7) and "constant" in ci.note
    rate = iv.proportion_ci([1] * 40)
    assert rate.estimate == 1.0 and rate.high == 1.0 and 0.9 < rate.low < 1.0
    frame = pd.DataFrame({"model": "m", "item_id": [str(i) for i in range(40)], "s": 0.5, "ok": 1})
    table = summarize(frame, metrics=["s", "ok"]).to_frame()
    assert table[["estimate", "ci_low", "ci_high"]].notna().all().all()


def test_wilson_equals_closed_form():
    from scipy.stats import norm

    k, n, z = 37, 90, norm.ppf(0.975)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    ci = iv.wilson_ci(k, n)
    assert ci.low == pytest.approx(centre - half) and ci.high == pytest.approx(centre + half)


def test_quantile_ci_coverage_by_simulation():
    rng = np.random.default_rng(11)
    true_p95 = -np.log(0.05)  # exponential(1)
    hits = sum(iv.quantile_ci(rng.exponential(size=300), 0.95).contains(true_p95) for _ in range(300))
    assert hits / 300 >= 0.92  # distribution-free CIs are conservative


def test_holm_and_bh_equal_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.001, 0.01, 0.02, 0.04, 0.3, np.nan, 0.049])
    for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh")):
        res = adjust(p, ours)
        ok = ~np.isnan(p)
        np.testing.assert_allclose(res.p_adjusted[ok], multipletests(p[ok], method=theirs)[1])
        assert np.isnan(res.p_adjusted[~ok]).all() and res.n_tests == 6
    with pytest.raises(evalnb._errors.EvalnbError, match="holm, bh"):
        adjust(p, "bonferonni")


def test_mcnemar_equals_statsmodels():
    from statsmodels.stats.contingency_tables import mcnemar

    rng = np.random.default_rng(2)
    a = rng.integers(0, 2, 300)
    b = np.where(rng.random(300) < 0.8, a, 1 - a) | (rng.random(300) < 0.1)
    d = iv.paired_difference(a, b.astype(int))
    table = [[np.sum((a == 1) & (b == 1)), np.sum((a == 1) & (b == 0))],
             [np.sum((a == 0) & (b == 1)), np.sum((a == 0) & (b == 0))]]
    assert d.p_value == pytest.approx(mcnemar(table, exact=False, correction=True).pvalue)


# -- summarize ------------------------------------------------------------------------------------
def test_summarize_columns_and_nan_exclusion():
    frame = _two_models()
    frame.loc[:9, "quality"] = np.nan
    summary = summarize(frame, by="model", metrics=["quality", "ok"], n_boot=500)
    table = summary.to_frame()
    assert list(table.columns[:4]) == ["model", "metric", "source", "statistic"]
    row = table[(table["model"] == "base") & (table["metric"] == "quality")].iloc[0]
    assert row["n"] == 190 and row["n_excluded"] == 10
    assert row["estimate"] == pytest.approx(frame[frame["model"] == "base"]["quality"].mean())
    assert set(table["statistic"]) == {"mean", "rate"}
    assert "Wilson" in table[table["metric"] == "ok"]["method"].iloc[0]
    assert "quality" in summary.summary()
    assert summary.table().shape[0] == 2
    summary.chart().to_dict()


def test_summarize_corpus_metric_uses_corpus_score():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"model": rng.choice(["a", "b"], 300), "item_id": [str(i) for i in range(300)],
                          "hits": rng.integers(0, 10, 300), "total": 10 + rng.integers(0, 10, 300)})
    scores = evalnb.score(frame, [RatioOfSums()], progress=False)
    table = summarize(scores, by="model", n_boot=300).to_frame()
    for model, part in frame.groupby("model"):
        row = table[table["model"] == model].iloc[0]
        assert row["statistic"] == "corpus"
        assert row["estimate"] == pytest.approx(part["hits"].sum() / part["total"].sum())
        assert row["ci_low"] < row["estimate"] < row["ci_high"]


def test_corpus_bleu_chrf_equal_sacrebleu():
    import sacrebleu

    hyps = ["the cat sat on the mat", "a quick brown fox", "hello there world", "it is raining today",
            "we like tests", "numbers are 1 2 3"] * 5
    refs = ["the cat is on the mat", "the quick brown fox jumps", "hello world", "today it rains",
            "we love tests", "numbers: 1 2 3 4"] * 5
    frame = pd.DataFrame({"model": ["a", "b"] * 15, "item_id": [str(i) for i in range(30)],
                          "output": hyps, "reference": refs})
    scores = evalnb.score(frame, ["bleu", "chrf"], progress=False)
    table = summarize(scores, by="model", n_boot=200).to_frame()
    for model, part in frame.groupby("model"):
        got = table[(table["model"] == model)].set_index("metric")
        assert got.loc["bleu", "statistic"] == "corpus"
        assert got.loc["bleu", "estimate"] == pytest.approx(
            sacrebleu.corpus_bleu(list(part["output"]), [list(part["reference"])]).score)
        assert got.loc["chrf", "estimate"] == pytest.approx(
            sacrebleu.corpus_chrf(list(part["output"]), [list(part["reference"])]).score)
        assert got.loc["bleu", "ci_low"] <= got.loc["bleu", "estimate"] <= got.loc["bleu", "ci_high"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.floats(0, 1), st.integers(0, 1)), min_size=1, max_size=40),
       st.randoms(use_true_random=False))
def test_property_cis_contain_estimate_and_row_order_invariant(rows, rnd):
    frame = pd.DataFrame(rows, columns=["model", "q", "ok"])
    frame["item_id"] = [str(i) for i in range(len(frame))]
    frame["latency_ms"] = frame["q"] * 1000
    one = summarize(frame, by="model", metrics=["q", "ok", "latency_ms"], n_boot=100).to_frame()
    order = list(range(len(frame)))
    rnd.shuffle(order)
    two = summarize(frame.iloc[order], by="model", metrics=["q", "ok", "latency_ms"], n_boot=100).to_frame()
    pd.testing.assert_frame_equal(one, two)
    assert ((one["ci_low"] <= one["estimate"] + 1e-12) & (one["estimate"] <= one["ci_high"] + 1e-12)).all()
    assert one["estimate"].notna().all()


def test_summarize_errors_say_how_to_fix():
    frame = _two_models()
    with pytest.raises(evalnb._errors.EvalnbError, match="cannot group by \\['modle'\\]"):
        summarize(frame, by="modle")
    with pytest.raises(evalnb._errors.EvalnbError, match="neither a scored metric nor a numeric column"):
        summarize(frame, metrics=["nope"])


def test_repr_html_escapes_model_names():
    frame = _two_models(n=30)
    frame["model"] = frame["model"].map({"base": "<script>alert(1)</script>", "cand": "ok"})
    out = summarize(frame, metrics=["quality"], n_boot=50)._repr_html_()
    assert "<script>" not in out and html.escape("<script>alert(1)</script>") in out
    cmp = compare(frame, baseline="<script>alert(1)</script>", candidate="ok", metrics=["quality"], n_boot=50)
    assert "<script>" not in cmp._repr_html_()


# -- compare --------------------------------------------------------------------------------------
def test_compare_paired_when_ids_match_unpaired_otherwise():  # docs/threat-model.md S06
    frame = _two_models(shift=0.03)
    paired = compare(frame, baseline="base", candidate="cand", metrics=["quality", "ok"], n_boot=1000)
    table = paired.to_frame().set_index("metric")
    assert table["paired"].all() and paired.paired
    assert table.loc["quality", "n_pairs"] == 200
    diff = (frame[frame.model == "cand"]["quality"].to_numpy() - frame[frame.model == "base"]["quality"].to_numpy())
    assert table.loc["quality", "difference"] == pytest.approx(diff.mean())
    assert table.loc["quality", "better"] == "candidate"  # a small shift, detected only by pairing
    assert "McNemar" in table.loc["ok", "test"] and "sign-flip" in table.loc["quality", "test"]
    assert table.loc["ok", "statistic"] == "rate" and table.loc["quality", "statistic"] == "mean"
    renamed = frame.copy()
    renamed.loc[renamed.model == "cand", "item_id"] = "other-" + renamed["item_id"]
    unpaired = compare(renamed, baseline="base", candidate="cand", metrics=["quality"], n_boot=1000).to_frame()
    assert not unpaired["paired"].any() and "unpaired" in unpaired["note"].iloc[0]
    assert "relabelling" in unpaired["test"].iloc[0]
    # the unpaired interval is wider: pairing removes the item-to-item variance
    assert unpaired["ci_high"].iloc[0] - unpaired["ci_low"].iloc[0] > table.loc["quality", "ci_high"] - table.loc["quality", "ci_low"]


def test_compare_adjusts_across_metrics():  # docs/threat-model.md S05
    rng = np.random.default_rng(9)
    n = 120
    cols = {f"m{i}": rng.random(2 * n) for i in range(20)}
    frame = pd.DataFrame({"model": ["a"] * n + ["b"] * n, "item_id": [str(i) for i in range(n)] * 2, **cols})
    for method, ref in (("holm", "holm"), ("bh", "fdr_bh")):
        table = compare(frame, baseline="a", candidate="b", method=method, n_boot=200).to_frame()
        from statsmodels.stats.multitest import multipletests

        assert len(table) == 20
        np.testing.assert_allclose(table["p_adjusted"], multipletests(table["p_value"], method=ref)[1])


def test_compare_corpus_metric_paired_bootstrap():
    rng = np.random.default_rng(4)
    n = 150
    hits = rng.integers(0, 10, n)
    frame = pd.DataFrame({"model": ["a"] * n + ["b"] * n, "item_id": [str(i) for i in range(n)] * 2,
                          "hits": np.concatenate([hits, np.minimum(hits + 2, 10)]), "total": 10})
    scores = evalnb.score(frame, [RatioOfSums()], progress=False)
    row = compare(scores, baseline="a", candidate="b", n_boot=500).to_frame().iloc[0]
    assert row["statistic"] == "corpus" and row["paired"]
    assert row["difference"] == pytest.approx((np.minimum(hits + 2, 10).sum() - hits.sum()) / (10 * n))
    assert row["ci_low"] > 0 and row["p_value"] < 0.01 and "Koehn" in row["test"]


def test_compare_pairs_on_item_and_sample_ids():
    frame = pd.DataFrame({"model": ["a"] * 6 + ["b"] * 6, "item_id": ["q1", "q1", "q1", "q2", "q3", "q4"] * 2,
                          "sample_id": [0, 1, 2, None, None, None] * 2,
                          "score": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.2, 0.4, 0.3, 0.5, 0.7, 0.6]})
    row = compare(frame, baseline="a", candidate="b", metrics=["score"], n_boot=100).to_frame().iloc[0]
    assert row["paired"] and row["n_pairs"] == 6
    assert row["difference"] == pytest.approx(np.mean([0.1, 0.2, 0.0, 0.1, 0.2, 0.0]))


def test_compare_by_slice_and_errors():
    frame = _two_models()
    cmp = compare(frame, baseline="base", candidate="cand", metrics=["quality"], by="category", n_boot=200)
    table = cmp.to_frame()
    assert sorted(table["category"]) == ["x", "y"] and (table["n_pairs"] == 100).all()
    cmp.chart().to_dict()
    assert "cand vs base" in cmp.summary()
    with pytest.raises(evalnb._errors.EvalnbError, match="not among the models: base, cand"):
        compare(frame, baseline="base", candidate="nope")


def test_paired_difference_row_order_invariant():
    rng = np.random.default_rng(0)
    a, b = rng.random(80), rng.random(80)
    order = rng.permutation(80)
    one, two = iv.paired_difference(a, b, n_boot=300), iv.paired_difference(a[order], b[order], n_boot=300)
    assert (one.low, one.high, one.p_value) == (two.low, two.high, two.p_value)


def test_sample_data_summary_and_comparison(sample_runs):
    scores = evalnb.score(sample_runs, ["accuracy", "macro_f1", "latency", "cost", "recall@5"], progress=False)
    summary = summarize(scores, by="model", success="accuracy", n_boot=300).to_frame()
    assert sorted(summary["model"].unique()) == ["atlas-large", "legacy-v1", "nova-medium", "swift-small"]
    assert summary["estimate"].notna().all()
    assert ((summary["ci_low"] <= summary["estimate"]) & (summary["estimate"] <= summary["ci_high"])).all()
    acc = summary[summary["metric"] == "accuracy"].set_index("model")
    df = scores.df
    for model, part in df[df["accuracy"].notna()].groupby("model"):
        assert acc.loc[model, "estimate"] == pytest.approx(part["accuracy"].mean())
        assert acc.loc[model, "n_excluded"] == (df["model"] == model).sum() - len(part)  # non-classification rows
    p99 = summary[(summary["metric"] == "latency_ms") & (summary["statistic"] == "p99")]
    assert not p99["note"].str.contains("max at this n").any()  # n = 2,400 per model
    # logged cost equals cost recomputed from tokens and the shipped price table
    from_tokens = evalnb.score(sample_runs, [evalnb.metric("cost", source="tokens")], progress=False).df["cost_usd"]
    np.testing.assert_allclose(from_tokens, sample_runs.df["cost_usd"], rtol=1e-9)
    cmp = compare(scores, baseline="nova-medium", candidate="swift-small", n_boot=300).to_frame().set_index("metric")
    assert cmp["paired"].all()
    assert cmp.loc["accuracy", "better"] == "baseline" and cmp.loc["cost_usd", "better"] == "candidate"

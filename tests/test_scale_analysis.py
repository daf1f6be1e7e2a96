"""Analyses at production volume (issue 11): the resampling machinery and its large-n routes.

Oracles: the previous code's figures frozen in ``tests/fixtures/scale_before.json`` (made by
``tests/_scale_cases.py`` under the commit before the change), sacrebleu's ``corpus_score`` on
resampled texts, scipy's tests, closed-form moments of the resampled sums, and the ordinary
bootstrap for the bag of little bootstraps. Speed and memory are in
``benchmarks/bench_scale_analysis.py``, not here.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import evalnb
from evalnb.analysis.summarize import paired_corpus_replicates
from evalnb.stats import correlation as cs
from evalnb.stats import intervals as iv
from evalnb.stats import resample as rs

import _scale_cases

FIXTURE = Path(__file__).parent / "fixtures" / "scale_before.json"
pytestmark = pytest.mark.filterwarnings("ignore::evalnb._errors.SmallSampleWarning")


@pytest.fixture(scope="module")
def now() -> dict:
    return _scale_cases.cases()


@pytest.fixture(scope="module")
def before() -> dict:
    return json.loads(FIXTURE.read_text())


def test_every_frozen_case_is_recomputed(now, before):
    assert set(now) == set(before)


@pytest.mark.parametrize("case", ["mean_lognormal", "paired_continuous", "unpaired_continuous", "ratio"])
def test_large_n_intervals_match_the_previous_bootstrap(now, before, case):
    # n = 30,000: the previous code bootstrapped (B = 2,000), the new one uses the t / Welch /
    # delta-method interval. A 2.5% percentile of B = 2,000 has a Monte-Carlo SD of ~0.085 SE:
    # bounds must agree within 0.4 SE (4.7 SDs), p-values within 0.04 (permutation vs Welch).
    old, new = before[case], now[case]
    assert abs(new["low"] - old["low"]) < 0.4 * old["se"], (case, old, new)
    assert abs(new["high"] - old["high"]) < 0.4 * old["se"], (case, old, new)
    if "p" in old:
        assert abs(new["p"] - old["p"]) < 0.04


@pytest.mark.parametrize("method", ["spearman", "kendall", "pearson"])
@pytest.mark.parametrize("column", ["judge", "cont"])
def test_correlation_intervals_match_the_previous_bootstrap(now, before, method, column):
    # n = 30,000, B = 1,000: ordinary bootstrap before; bag of little bootstraps (rank
    # coefficients) or the bootstrap's normal limit (Pearson) now. The SE must agree within 10%.
    old, new = before[f"corr_{method}_{column}"], now[f"corr_{method}_{column}"]
    assert new["estimate"] == pytest.approx(old["estimate"], abs=1e-12)
    assert new["se"] == pytest.approx(old["se"], rel=0.10)
    width = old["high"] - old["low"]
    assert abs(new["low"] - old["low"]) < 0.1 * width and abs(new["high"] - old["high"]) < 0.1 * width


@pytest.mark.parametrize("tag", ["", "big_"])
@pytest.mark.parametrize("metric", ["bleu", "chrf"])
def test_corpus_intervals_match_the_previous_bootstrap(now, before, tag, metric):
    # B = 1,000: each bound's Monte-Carlo SD is ~0.12 SE, i.e. ~3% of the width; allow 15%.
    for side in ("base", "cand", "diff"):
        old, new = before[f"corpus_{tag}{side}_{metric}"], now[f"corpus_{tag}{side}_{metric}"]
        width = old["high"] - old["low"]
        assert new["estimate"] == pytest.approx(old["estimate"], abs=1e-9)
        assert abs(new["low"] - old["low"]) < 0.15 * width, (side, old, new)
        assert abs(new["high"] - old["high"]) < 0.15 * width, (side, old, new)
        if "p" in old:
            assert abs(new["p"] - old["p"]) < 0.08


def test_corpus_method_names_the_normal_limit_above_the_threshold():
    scores = _scale_cases._scores(_scale_cases.corpus_frame(n_items=100, rows=rs.ANALYTIC_N + 10))
    frame = evalnb.summarize(scores, by="model", metrics=["bleu"], n_boot=200, progress=False).to_frame()
    assert frame["method"].str.contains("normal limit").all()
    small = _scale_cases._scores(_scale_cases.corpus_frame(n_items=100, rows=500))
    frame = evalnb.summarize(small, by="model", metrics=["bleu"], n_boot=200, progress=False).to_frame()
    assert not frame["method"].str.contains("normal limit").any()


# -- resampling machinery ---------------------------------------------------------------------
def test_weight_blocks_are_exactly_one_unblocked_draw():
    n, b = 1_003, 37
    blocks = list(rs.weight_blocks(n, b, np.random.default_rng(5), cells=5_000))
    assert len(blocks) > 1
    got = np.vstack(blocks)
    idx = np.random.default_rng(5).integers(0, n, size=(b, n))
    expected = np.stack([np.bincount(row, minlength=n) for row in idx])
    np.testing.assert_array_equal(got, expected)


def test_cluster_weight_blocks_give_each_row_its_cluster_count():
    codes = np.repeat(np.arange(40), 3)
    for w in rs.weight_blocks(len(codes), 25, np.random.default_rng(1), clusters=codes, cells=300):
        assert (w.reshape(len(w), 40, 3) == w.reshape(len(w), 40, 3)[:, :, :1]).all()
        assert (w.sum(axis=1) == len(codes)).all()


def test_blocked_correlation_bootstrap_equals_the_cached_matrix(monkeypatch):
    rng = np.random.default_rng(3)
    n = 1_500
    q = rng.normal(size=n)
    xs = np.column_stack([np.clip(np.round(3 + q + rng.normal(size=n)), 1, 5), q + rng.normal(size=n)])
    y = (q + rng.normal(size=n) > 0).astype(float)
    whole = cs.correlations(xs, y, "spearman", n_boot=300, seed=4)
    monkeypatch.setattr(cs, "_CACHE_CELLS", 1)
    monkeypatch.setattr(rs, "CHUNK_CELLS", 20_000)
    cs._WEIGHTS.clear()
    blocked = cs.correlations(xs, y, "spearman", n_boot=300, seed=4)
    for a, b in zip(whole, blocked):
        assert (a.ci_low, a.ci_high, a.se_z) == (b.ci_low, b.ci_high, b.se_z)


def test_normal_limit_sums_have_the_bootstrap_moments():
    # resampled sums of n iid rows: mean n * mean, covariance n * cov (population), joint across
    # stacked sides (a paired bootstrap keeps the cross-covariance)
    rng = np.random.default_rng(0)
    n = rs.ANALYTIC_N * 3
    a = rng.poisson(3.0, size=(n, 2)).astype(float)
    b = a + rng.poisson(1.0, size=(n, 2))
    stacked = np.hstack([a, b])
    reps, how = rs.sum_replicates(stacked, 20_000, 1)
    assert how.startswith("normal limit")
    centred = stacked - stacked.mean(axis=0)
    cov = centred.T @ centred / n * n
    np.testing.assert_allclose(reps.mean(axis=0), n * stacked.mean(axis=0), rtol=1e-3)
    np.testing.assert_allclose(np.cov(reps.T), cov, rtol=0.05, atol=0.05 * np.abs(cov).max())


def test_exact_sum_replicates_equal_sacrebleu_on_resampled_texts():
    import sacrebleu

    outs, refs = _scale_cases._texts(60, 3)
    frame = pd.DataFrame({"item_id": [str(i) for i in range(60)], "model": "m", "output": outs, "reference": refs})
    for name, scorer in (("bleu", sacrebleu.BLEU()), ("chrf", sacrebleu.CHRF())):
        scores = evalnb.score(frame, [name], progress=False)
        metric = scores.metrics[name]
        (reps,), how = paired_corpus_replicates(metric, name, [scores.df], 5, 9)
        assert how == "exact resampling"
        counts = np.vstack(list(rs.weight_blocks(60, 5, np.random.default_rng(9))))
        for rep, c in zip(reps, counts):
            rows = np.repeat(np.arange(60), c)
            ref = scorer.corpus_score([outs[i] for i in rows], [[refs[i] for i in rows]]).score
            assert rep == pytest.approx(ref, abs=1e-9)


@pytest.mark.parametrize("method", ["spearman", "kendall", "pearson"])
def test_large_n_correlation_se_agrees_with_the_full_bootstrap(monkeypatch, method):
    # the same data through the full bootstrap (threshold lifted) and the large-n route
    rng = np.random.default_rng(21)
    n = 8_000
    q = rng.normal(size=n)
    xs = np.column_stack([np.clip(np.round(3 + q + rng.normal(size=n)), 1, 5), q + rng.normal(size=n) * 1.5])
    y = (q + rng.normal(size=n) > 0).astype(float)
    fast = cs.correlations(xs, y, method, n_boot=2000, seed=1, force_bootstrap=True)
    monkeypatch.setattr(rs, "BLB_N", 10 ** 9)
    full = cs.correlations(xs, y, method, n_boot=2000, seed=1, force_bootstrap=True)
    for f, g in zip(fast, full):
        assert f.se_z == pytest.approx(g.se_z, rel=0.10)
        assert ("bag of little bootstraps" in f.ci_method) or ("normal limit" in f.ci_method)
        assert "bag of little" not in g.ci_method and "normal limit" not in g.ci_method
        if "bag of little" in f.ci_method:
            assert "Monte-Carlo error of the SE" in f.ci_method


def test_gate_one_sided_p_at_large_n_is_the_t_test():
    from evalnb.portfolio.gates import _one_sided_p

    x = np.random.default_rng(2).normal(0.71, 0.3, iv.MAX_BOOT_N * 2)
    for direction, alt in (("higher", "greater"), ("lower", "less")):
        p = _one_sided_p(x, "mean", 0.7, direction, 2000, 0)
        assert p == pytest.approx(stats.ttest_1samp(x, 0.7, alternative=alt).pvalue, rel=1e-9)


def test_permutation_p_values_unchanged_by_batching():
    from scipy.stats import permutation_test

    rng = np.random.default_rng(8)
    a, b = rng.normal(size=900), rng.normal(size=900) + 0.08
    d = iv.paired_difference(a, b, n_boot=999, seed=3)
    ref = permutation_test((b - a,), lambda x, axis: np.mean(x, axis=axis), permutation_type="samples",
                           vectorized=True, n_resamples=999, rng=np.random.default_rng(3))
    # the sign-flip test runs on the canonically ordered differences; same resamples, same p
    order = np.lexsort((a, b - a))
    ref_sorted = permutation_test(((b - a)[order],), lambda x, axis: np.mean(x, axis=axis),
                                  permutation_type="samples", vectorized=True, n_resamples=999,
                                  rng=np.random.default_rng(3))
    assert d.p_value == pytest.approx(ref_sorted.pvalue)
    assert abs(d.p_value - ref.pvalue) < 0.05
    u = iv.unpaired_difference(a, b, n_boot=999, seed=3)
    ref_u = permutation_test((np.sort(b), np.sort(a)), lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis),
                             permutation_type="independent", vectorized=True, n_resamples=999,
                             rng=np.random.default_rng(3))
    assert u.p_value == pytest.approx(ref_u.pvalue)


def test_blb_plan_spends_n_boot_resamples_on_small_subsets():
    plan = rs.blb_plan(1_000_000, 2000)
    assert plan.subsets * plan.reps == 2000
    assert plan.size == round(1_000_000 ** rs.BLB_EXPONENT) and plan.size < 5_000
    assert math.isclose(np.log(plan.size) / np.log(1_000_000), rs.BLB_EXPONENT, abs_tol=1e-3)


@pytest.mark.parametrize("family", ["logit", "poisson", "mixed"])
def test_standardised_coefficients_without_a_refit_equal_the_refit(family):
    # fit_kpi scales the raw coefficients instead of refitting on z-scored columns; the oracle is
    # statsmodels' own refit on z-scored predictors (and KPI for the mixed model)
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(4)
    n = 600
    df = pd.DataFrame({"a": rng.normal(2, 3, n), "b": rng.gamma(2, 1, n), "g": rng.integers(0, 8, n)})
    eta = 0.3 * df["a"] - 0.2 * df["b"]
    df["kpi"] = {"logit": (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float),
                 "poisson": rng.poisson(np.exp(0.1 * eta)).astype(float),
                 "mixed": eta + rng.normal(size=8)[df["g"]] + rng.normal(size=n)}[family]
    fit = evalnb.fit_kpi(df, "kpi", ["a", "b"], family=family, groups="g" if family == "mixed" else None,
                         incremental=False)
    coef = fit.coefficients.set_index("term")
    z = df.copy()
    for c in ["a", "b"] + (["kpi"] if family == "mixed" else []):
        z[c] = (z[c] - z[c].mean()) / z[c].std()
    if family == "logit":
        ref = smf.logit("kpi ~ a + b", z).fit(disp=0, cov_type="HC0")
    elif family == "poisson":
        ref = smf.poisson("kpi ~ a + b", z).fit(disp=0, cov_type="HC0")
    else:
        ref = smf.mixedlm("kpi ~ a + b", z, groups=z["g"]).fit(reml=True)
    tol = 1e-6 if family != "mixed" else 1e-4
    for term, name in (("Q('a')", "a"), ("Q('b')", "b")):
        assert coef.loc[term, "std_coef"] == pytest.approx(ref.params[name], rel=tol)
        lo, hi = ref.conf_int().loc[name]
        assert coef.loc[term, "std_ci_low"] == pytest.approx(lo, rel=tol, abs=tol)
        assert coef.loc[term, "std_ci_high"] == pytest.approx(hi, rel=tol, abs=tol)

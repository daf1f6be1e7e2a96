"""evalnb.fit_kpi: parity with statsmodels fitted directly, standardised coefficients,
incremental validity, families and errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalnb
from evalnb._errors import ConfigError
from evalnb.analysis.kpi_models import auc, corrected_ci, logit_newton


def _frame(n=600, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "noise": rng.normal(size=n),
                       "category": rng.choice(["x", "y", "z"], n), "item": rng.integers(0, 60, n)})
    df["kpi"] = 2.0 + 1.5 * df["a"] + 0.5 * df["b"] + rng.normal(size=n)
    df["binary"] = (df["a"] + 0.5 * df["b"] + rng.logistic(size=n) > 0).astype(float)
    df["count"] = rng.poisson(np.exp(0.3 + 0.4 * df["a"]))
    return df


def test_ols_hc3_matches_statsmodels_and_standardised_coefficients():
    import statsmodels.api as sm

    df = _frame()
    fit = evalnb.fit_kpi(df, "kpi", ["a", "b", "noise"], incremental=False)
    X = sm.add_constant(df[["a", "b", "noise"]])
    ref = sm.OLS(df["kpi"], X).fit(cov_type="HC3")
    coef = fit.coefficients.set_index("term")
    np.testing.assert_allclose(coef.loc["Q('a')", ["coef", "se", "p_value"]].astype(float),
                               [ref.params["a"], ref.bse["a"], ref.pvalues["a"]], rtol=1e-9)
    z = (df[["a", "b", "noise", "kpi"]] - df[["a", "b", "noise", "kpi"]].mean()) / df[["a", "b", "noise", "kpi"]].std()
    ref_std = sm.OLS(z["kpi"], sm.add_constant(z[["a", "b", "noise"]])).fit(cov_type="HC3")
    assert coef.loc["Q('a')", "std_coef"] == pytest.approx(ref_std.params["a"], rel=1e-9)
    lo, hi = ref_std.conf_int().loc["a"]
    assert (coef.loc["Q('a')", "std_ci_low"], coef.loc["Q('a')", "std_ci_high"]) == pytest.approx((lo, hi), rel=1e-9)
    assert fit.family == "ols" and fit.cov == "HC3"
    assert "OLS Regression Results" in str(fit.raw.summary())


def test_logit_is_chosen_for_binary_and_matches_statsmodels_cluster_se():
    import statsmodels.api as sm

    df = _frame()
    fit = evalnb.fit_kpi(df, "binary", ["a", "b"], cov="cluster", cluster="item", incremental=False)
    assert fit.family == "logit"
    ref = sm.Logit(df["binary"], sm.add_constant(df[["a", "b"]])).fit(disp=0, cov_type="cluster",
                                                                     cov_kwds={"groups": pd.factorize(df["item"])[0]})
    coef = fit.coefficients.set_index("term")
    np.testing.assert_allclose(coef.loc[["Q('a')", "Q('b')"], "se"], ref.bse[["a", "b"]], rtol=1e-6)
    assert "cluster-robust by item" in fit.cov


def test_logit_newton_equals_statsmodels():
    import statsmodels.api as sm

    df = _frame(800, seed=4)
    X = sm.add_constant(df[["a", "b", "noise"]]).to_numpy()
    y = df["binary"].to_numpy()
    np.testing.assert_allclose(logit_newton(X, y), sm.Logit(y, X).fit(disp=0).params, atol=1e-8)


def test_auc_equals_sklearn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y = (rng.random(300) < 0.4).astype(float)
    s = np.round(y + rng.normal(size=300), 1)
    assert auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_incremental_validity_separates_signal_from_noise():
    df = _frame(800, seed=2)
    fit = evalnb.fit_kpi(df, "kpi", ["a", "b", "noise"], controls=["category"], cv_repeats=3)
    inc = fit.incremental.set_index("metric")
    assert inc.loc["a", "ci_low"] > 0.2 and inc.loc["b", "ci_low"] > 0
    assert inc.loc["noise", "ci_low"] < 0.005 and inc.loc["noise", "delta"] < 0.01
    assert (inc["measure"] == "R2").all() and (inc["folds"] == 15).all()
    frame = fit.to_frame()
    assert {"cv_delta", "std_coef", "p_value"} <= set(frame.columns)
    binary = evalnb.fit_kpi(df, "binary", ["a", "noise"]).incremental.set_index("metric")
    assert (binary["measure"] == "AUC").all() and binary.loc["a", "ci_low"] > 0


def test_corrected_ci_is_wider_than_naive():
    d = np.random.default_rng(0).normal(0.01, 0.01, size=10)
    mean, lo, hi = corrected_ci(d, 800, 200)
    naive = 2.262 * d.std(ddof=1) / np.sqrt(10)
    assert hi - mean > naive


def test_counts_and_mixed_models_run():
    df = _frame()
    pois = evalnb.fit_kpi(df, "count", ["a"], family="poisson", incremental=False)
    assert pois.coefficients.set_index("term").loc["Q('a')", "coef"] == pytest.approx(0.4, abs=0.1)
    nb = evalnb.fit_kpi(df, "count", ["a"], family="negbin", incremental=False)
    assert nb.family == "negbin"
    mixed = evalnb.fit_kpi(df, "kpi", ["a", "b"], family="mixed", groups="category", incremental=False)
    assert mixed.coefficients.set_index("term").loc["Q('a')", "coef"] == pytest.approx(1.5, abs=0.15)
    assert "Mixed Linear Model" in str(mixed.raw_summary())


def test_errors_say_how_to_fix():
    df = _frame()
    with pytest.raises(ConfigError, match="needs cluster="):
        evalnb.fit_kpi(df, "kpi", ["a"], cov="cluster")
    with pytest.raises(ConfigError, match="needs groups="):
        evalnb.fit_kpi(df, "kpi", ["a"], family="mixed")
    with pytest.raises(ConfigError, match="unknown family"):
        evalnb.fit_kpi(df, "kpi", ["a"], family="probit")


def test_sample_data_faithfulness_carries_more_weight_than_bleu(sample_joined, sample_runs):
    df = sample_joined.copy()
    df["bleu"] = evalnb.score(sample_runs, ["bleu"], progress=False).df["bleu"].to_numpy()
    fit = evalnb.fit_kpi(df, "thumbs_up", ["judge_faithfulness", "judge_relevance", "bleu"], controls=["category"])
    inc = fit.incremental.set_index("metric")
    assert inc.loc["judge_faithfulness", "ci_low"] > inc.loc["bleu", "ci_high"]
    assert fit.family == "logit" and fit.n == len(df)
    fit.chart().to_dict()


@pytest.mark.parametrize("jitter", [0.0, 1e-6])
def test_collinear_copies_are_detected_dropped_and_the_kept_coefficient_is_right(jitter):
    # issue 15 item 4: truth kpi = 1.04 * a + N(0, 1). Before: an exact copy of a gave both columns
    # coef 0.516 with p = 4.7e-91; a copy plus 1e-6 noise gave -14,335 and +14,336, silently.
    from evalnb.analysis.kpi_models import CollinearityWarning

    rng = np.random.default_rng(4)
    n = 400
    a = rng.normal(size=n)
    df = pd.DataFrame({"a": a, "a_copy": a + jitter * rng.normal(size=n), "other": rng.normal(size=n)})
    df["kpi"] = 1.04 * a + rng.normal(size=n)
    with pytest.warns(CollinearityWarning, match=r"'a_copy' is a linear combination of a .*dropped 'a_copy'") as caught:
        fit = evalnb.fit_kpi(df, "kpi", ["a", "a_copy", "other"], incremental=False)
    if jitter == 0.0:                                      # an exact copy: R^2 = 1, the VIF is infinite
        assert any("VIF inf > 10" in str(w.message) for w in caught)
    coef = fit.coefficients.set_index("term")
    assert "Q('a_copy')" not in coef.index and list(fit.metrics) == ["a", "other"]
    assert "a_copy" in fit.settings["dropped"] and "dropped: 'a_copy'" in fit.summary()
    # the kept coefficient is statsmodels' OLS of kpi on a and other alone, and covers the truth
    import statsmodels.api as sm

    ref = sm.OLS(df["kpi"], sm.add_constant(df[["a", "other"]])).fit(cov_type="HC3")
    assert coef.loc["Q('a')", "coef"] == pytest.approx(ref.params["a"], rel=1e-10)
    assert coef.loc["Q('a')", "ci_low"] <= 1.04 <= coef.loc["Q('a')", "ci_high"]


def test_strong_but_identified_collinearity_warns_with_the_vif():
    from evalnb.analysis.kpi_models import CollinearityWarning

    rng = np.random.default_rng(5)
    a = rng.normal(size=300)
    df = pd.DataFrame({"a": a, "b": a + 0.1 * rng.normal(size=300)})   # VIF ~ 1 + 1 / 0.01 = 101
    df["kpi"] = a + rng.normal(size=300)
    with pytest.warns(CollinearityWarning, match=r"VIF > 10\): a \d+\.\d, b \d+\.\d"):
        fit = evalnb.fit_kpi(df, "kpi", ["a", "b"], incremental=False)
    assert list(fit.metrics) == ["a", "b"] and 50 < fit.settings["vif"]["b"] < 200
    # the summary says it too, with the VIFs; incremental=False fits no incremental validity
    vif = fit.settings["vif"]
    assert f"collinear (VIF > 10): a {vif['a']:.1f}, b {vif['b']:.1f}" in fit.summary()
    assert fit.incremental.empty


def test_vifs_and_condition_number_equal_statsmodels_and_numpy_on_the_design():
    # oracle: statsmodels' variance_inflation_factor on the design with the intercept and the
    # category dummies, and numpy's condition number of the z-scored design without the intercept
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    from evalnb.analysis.kpi_models import collinearity

    rng = np.random.default_rng(11)
    n = 2_000
    a = rng.normal(size=n)
    df = pd.DataFrame({"a": a, "b": 0.8 * a + 0.6 * rng.normal(size=n), "c": rng.gamma(2.0, size=n),
                       "category": rng.choice(["x", "y", "z"], n)})
    df["c"] += 0.5 * (df["category"] == "y")
    kept, dropped, vifs, cond = collinearity(df, ["a", "b", "c"], ["category"])
    assert kept == ["a", "b", "c"] and not dropped
    dummies = pd.get_dummies(df["category"], prefix="category", drop_first=True, dtype=float)
    exog = pd.concat([pd.Series(1.0, index=df.index, name="const"), dummies, df[["a", "b", "c"]]], axis=1)
    for m in ["a", "b", "c"]:
        assert vifs[m] == pytest.approx(variance_inflation_factor(exog.to_numpy(), exog.columns.get_loc(m)), rel=1e-9)
    full = exog.drop(columns="const").to_numpy()
    assert cond == pytest.approx(np.linalg.cond((full - full.mean(0)) / full.std(0)), rel=1e-9)
    # a sum of two kept metrics is dropped, and the reason names both
    df["s"] = df["a"] + df["c"]
    kept, dropped, _, _ = collinearity(df, ["a", "b", "c", "s"], ["category"])
    assert kept == ["a", "b", "c"] and "linear combination of" in dropped["s"]
    assert "a" in dropped["s"].split("of ")[1] and "c" in dropped["s"].split("of ")[1]

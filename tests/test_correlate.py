"""evalnb.correlate and evalnb.stats.correlation: oracles (scipy, statsmodels), properties,
small samples (S02), clusters (S03), Simpson (S04), multiplicity (S05), calibration, CLI."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import evalnb
from evalnb._errors import DataError, SimpsonWarning, SmallSampleWarning
from evalnb.analysis.correlate import group_coefficients
from evalnb.stats import correlation as cs

SCIPY = {"pearson": stats.pearsonr, "spearman": stats.spearmanr, "kendall": stats.kendalltau}


def _frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=n)
    return pd.DataFrame({
        "judge": np.clip(np.round(3 + q + rng.normal(size=n)), 1, 5),       # 1-5 with ties
        "overlap": np.round(0.3 * q + rng.normal(size=n), 2),               # continuous, some ties
        "flag": (rng.random(n) < 0.3).astype(float),                        # 0/1
        "thumbs_up": (q + rng.normal(size=n) > 0).astype(float),
        "csat": np.clip(np.round(3 + q + rng.normal(size=n)), 1, 5),
        "doc": rng.integers(0, 30, n).astype(str),
        "model": rng.choice(list("ABCDEFGHIJKL"), n),
        "category": rng.choice(["x", "y", "z"], n),
    })


def test_estimates_p_values_and_fisher_ci_match_scipy():
    df = _frame()
    res = evalnb.correlate(df, ["judge", "overlap", "flag"], ["thumbs_up", "csat"], by=None, n_boot=200).to_frame()
    assert len(res) == 3 * 2 * 3
    for r in res.itertuples():
        ref = SCIPY[r.method](df[r.metric], df[r.target])
        assert r.estimate == pytest.approx(ref.statistic, abs=1e-12)
        assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)
        if r.method == "pearson":
            lo, hi = ref.confidence_interval(0.95)
            assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), abs=1e-12)
            assert r.ci_method == "fisher z"
        else:
            assert r.ci_method.startswith("bootstrap SE on Fisher z")


@pytest.mark.parametrize("method", ["spearman", "kendall", "pearson"])
def test_vectorised_bootstrap_equals_scipy_on_each_resample(method):
    df = _frame(200, seed=3)
    xs = df[["judge", "overlap", "flag"]].to_numpy()
    y = df["csat"].to_numpy()
    weights = cs.bootstrap_weights(len(y), 60, np.random.default_rng(7))
    idx = np.random.default_rng(7).integers(0, len(y), size=(60, len(y)))
    ours = cs.boot_replicates(method, xs, y, weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        naive = np.array([[SCIPY[method](xs[i, j], y[i]).statistic for j in range(3)] for i in idx])
    np.testing.assert_allclose(ours, naive, atol=1e-12)


def test_kendall_loop_path_and_continuous_spearman_equal_scipy(monkeypatch):
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=150), rng.normal(size=150)
    y = np.round(x + y, 1)
    weights = cs.bootstrap_weights(150, 30, np.random.default_rng(1))
    idx = np.random.default_rng(1).integers(0, 150, size=(30, 150))
    monkeypatch.setattr(cs, "_KENDALL_TABLE_MAX", 10)
    np.testing.assert_allclose(cs.boot_kendall(x, y, weights), [stats.kendalltau(x[i], y[i]).statistic for i in idx], atol=1e-12)
    np.testing.assert_allclose(cs.boot_spearman(x[:, None], y, weights)[:, 0],
                               [stats.spearmanr(x[i], y[i]).statistic for i in idx], atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=12, max_value=80), st.integers(0, 10_000), st.sampled_from(["spearman", "kendall", "pearson"]))
def test_ci_contains_estimate_and_ignores_row_order(n, seed, method):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"m": np.round(rng.normal(size=n), 1), "k": rng.integers(0, 3, n).astype(float)})
    if df["m"].nunique() < 2 or df["k"].nunique() < 2:
        return
    a = evalnb.correlate(df, ["m"], ["k"], method=method, by=None, n_boot=200).to_frame()
    b = evalnb.correlate(df.sample(frac=1, random_state=seed), ["m"], ["k"], method=method, by=None, n_boot=200).to_frame()
    pd.testing.assert_frame_equal(a, b)
    r = a.iloc[0]
    assert r.ci_low <= r.estimate <= r.ci_high
    assert -1 <= r.ci_low <= r.ci_high <= 1


@pytest.mark.parametrize("n", [3, 6])
def test_small_samples_give_wide_ci_and_a_status(n):  # docs/threat-model.md S02
    rng = np.random.default_rng(n)
    df = pd.DataFrame({"m": rng.normal(size=n), "k": rng.normal(size=n)})
    with pytest.warns(SmallSampleWarning, match="too few points"):
        res = evalnb.correlate(df, "m", "k", by=None).to_frame()
    assert (res["ci_low"] == -1).all() and (res["ci_high"] == 1).all()
    assert (res["status"] == "too few points").all()
    assert res[["estimate", "ci_low", "ci_high"]].notna().all().all()


def test_constant_input_is_a_status_not_nan_ci():
    df = pd.DataFrame({"m": [1.0] * 20, "k": np.arange(20.0)})
    with pytest.warns(SmallSampleWarning, match="constant input"):
        res = evalnb.correlate(df, "m", "k", by=None).to_frame()
    assert (res["status"] == "constant input").all() and (res["ci_low"] == -1).all()


def test_precision_warning_names_the_needed_n():
    df = _frame(40)
    with pytest.warns(SmallSampleWarning, match="units would be needed"):
        evalnb.correlate(df, "judge", "csat", method="pearson", by=None, precision=0.05)
    # a precision just above the CI's half-width (the warning's own quantity) warns about nothing
    row = evalnb.correlate(df, "judge", "csat", method="pearson", by=None).to_frame().iloc[0]
    half = (row["ci_high"] - row["ci_low"]) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("error", SmallSampleWarning)
        evalnb.correlate(df, "judge", "csat", method="pearson", by=None, precision=1.01 * half)


def test_holm_and_bh_adjust_the_metric_by_target_family():  # docs/threat-model.md S05
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(5)
    df = pd.DataFrame(rng.normal(size=(120, 20)), columns=[f"m{i}" for i in range(20)])
    df["k1"], df["k2"] = df["m0"] + rng.normal(size=120), rng.normal(size=120)
    for adjust, sm_name in (("holm", "holm"), ("bh", "fdr_bh")):
        t = evalnb.correlate(df, [f"m{i}" for i in range(20)], ["k1", "k2"], method="pearson", adjust=adjust, by=None).to_frame()
        assert len(t) == 40
        np.testing.assert_allclose(t["p_adjusted"], multipletests(t["p_value"], method=sm_name)[1], rtol=1e-12)


def test_group_and_system_levels_match_scipy_by_hand():
    df = _frame(400, seed=9)
    res = evalnb.correlate(df, ["judge", "overlap"], "csat", level=["group", "system"], group="doc", by=None,
                           n_boot=300).to_frame()
    for r in res.itertuples():
        if r.level == "group":
            coefs = []
            for _, g in df.groupby("doc"):
                if g[r.metric].nunique() > 1 and g["csat"].nunique() > 1:
                    coefs.append(SCIPY[r.method](g[r.metric], g["csat"]).statistic)
            assert r.estimate == pytest.approx(np.mean(coefs), abs=1e-12)
            assert r.n_groups == len(coefs)
        else:
            means = df.groupby("model")[[r.metric, "csat"]].mean()
            ref = SCIPY[r.method](means[r.metric], means["csat"])
            assert r.estimate == pytest.approx(ref.statistic, abs=1e-12)
            assert r.n_groups == 12


def test_group_kendall_pair_expansion_equals_scipy():
    df = _frame(500, seed=2)
    ours = group_coefficients(df, "overlap", "judge", "kendall", "doc")
    for doc, g in df.groupby("doc"):
        ref = stats.kendalltau(g["overlap"], g["judge"]).statistic
        assert (np.isnan(ours[doc]) and np.isnan(ref)) or ours[doc] == pytest.approx(ref, abs=1e-12)


def test_partial_correlation_matches_statsmodels_t_test():
    import statsmodels.formula.api as smf

    df = _frame(300, seed=11)
    df["length"] = np.random.default_rng(1).normal(size=300) + df["judge"]
    res = evalnb.correlate(df, ["judge"], ["csat"], method="pearson", controls=["category", "length"], by=None).to_frame()
    part = res[res["controls"] != ""].iloc[0]
    fit = smf.ols("csat ~ judge + C(category) + length", df).fit()
    t, dof = fit.tvalues["judge"], fit.df_resid
    assert part.estimate == pytest.approx(t / np.sqrt(t * t + dof), abs=1e-10)
    assert part.p_value == pytest.approx(fit.pvalues["judge"], rel=1e-8)
    assert part.controls == "category, length"


def test_cluster_bootstrap_holds_its_level_where_the_naive_test_does_not():  # docs/threat-model.md S03 (quick)
    rng = np.random.default_rng(0)
    naive = cluster = 0
    sims = 200
    for _ in range(sims):
        g = np.repeat(np.arange(50), 10)
        x = np.sqrt(0.7) * rng.normal(size=50)[g] + np.sqrt(0.3) * rng.normal(size=500)
        y = np.sqrt(0.7) * rng.normal(size=50)[g] + np.sqrt(0.3) * rng.normal(size=500)
        naive += stats.pearsonr(x, y).pvalue < 0.05
        est = cs.correlations(x[:, None], y, "pearson", clusters=g, n_boot=300, seed=int(rng.integers(1 << 30)))[0]
        cluster += est.p_value < 0.05
    assert naive / sims > 0.2           # rows are not independent: the iid test is badly inflated
    assert 0.01 <= cluster / sims <= 0.10


def test_spearman_bootstrap_ci_is_calibrated_quick():
    rng = np.random.default_rng(1)
    rho = 0.5
    truth = 6 / np.pi * np.arcsin(rho / 2)
    cover = 0
    sims = 200
    for i in range(sims):
        z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=80)
        est = cs.correlations(z[:, :1], z[:, 1], "spearman", n_boot=500, seed=i)[0]
        cover += est.ci_low <= truth <= est.ci_high
    assert 0.90 <= cover / sims <= 0.99


def test_simpson_fixture_is_flagged_with_per_slice_estimates():  # docs/threat-model.md S04
    rng = np.random.default_rng(0)
    parts = []
    for cat, shift in (("a", 0.0), ("b", 3.0)):
        m = rng.normal(size=200) + shift
        parts.append(pd.DataFrame({"m": m, "k": 0.8 * (m - shift) - 2.5 * shift + rng.normal(size=200), "category": cat}))
    df = pd.concat(parts, ignore_index=True)
    with pytest.warns(SimpsonWarning, match="Simpson"):
        res = evalnb.correlate(df, "m", "k", method="spearman", n_boot=200)
    assert res.to_frame()["estimate"].iloc[0] < 0
    sl = res.slices
    assert set(sl["slice"]) == {"a", "b"} and (sl["estimate"] > 0).all()
    assert len(res.simpson()) == 1


def test_no_simpson_warning_when_signs_agree():
    df = _frame(300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SimpsonWarning)
        evalnb.correlate(df, "judge", "thumbs_up", method="pearson")


def test_unknown_column_error_names_close_matches():
    with pytest.raises(DataError, match="Did you mean judge"):
        evalnb.correlate(_frame(), ["judgee"], "csat")


def test_charts_keep_names_as_data_only():
    df = _frame(100).rename(columns={"judge": "<img src=x onerror=alert(1)>"})
    res = evalnb.correlate(df, ["<img src=x onerror=alert(1)>", "overlap"], ["csat"], by=None, n_boot=100)
    for kind in ("forest", "heatmap"):
        spec = res.chart(kind).to_dict()
        spec.pop("datasets", None)
        assert "onerror" not in json.dumps(spec)
    assert "<img" not in res._repr_html_()


# ---- planted truths in the sample data ---------------------------------------------------
def test_sample_data_faithfulness_and_relevance_beat_bleu_for_thumbs_up(sample_joined, sample_runs):
    scores = evalnb.score(sample_runs, ["bleu"], progress=False)
    df = sample_joined.copy()
    df["bleu"] = scores.df["bleu"].to_numpy()
    res = evalnb.correlate(df, ["judge_faithfulness", "judge_relevance", "bleu"], "thumbs_up", method="spearman",
                           by=None, n_boot=300)
    best = res.best("thumbs_up")
    assert list(best["metric"][:2]) in (["judge_faithfulness", "judge_relevance"], ["judge_relevance", "judge_faithfulness"])
    t = res.to_frame().set_index("metric")
    assert t.loc["bleu", "ci_high"] < t.loc["judge_relevance", "ci_low"]


def test_sample_data_flags_helpfulness_vs_csat_simpson(sample_joined):
    with pytest.warns(SimpsonWarning, match="judge_helpfulness ~ csat"):
        res = evalnb.correlate(sample_joined, ["judge_helpfulness", "judge_faithfulness"], "csat", method="spearman", n_boot=200)
    flagged = res.simpson()
    assert list(flagged["metric"]) == ["judge_helpfulness"]
    assert (res.slices.query("metric == 'judge_helpfulness'")["estimate"] > 0).all()


def test_cli_json_matches_the_api(tmp_path, capsys):
    from evalnb.cli import main
    from conftest import SAMPLE_DIR

    out = tmp_path / "c.json"
    code = main(["correlate", str(SAMPLE_DIR / "runs" / "*.jsonl"), "--kpis", str(SAMPLE_DIR / "kpis.csv"),
                 "--target", "thumbs_up", "--metrics", "judge_relevance,judge_faithfulness", "--method", "pearson",
                 "--level", "sample,system", "--json", "-o", str(out)])
    assert code == 0
    payload = json.loads(out.read_text())
    rows = {(r["metric"], r["level"]): r for r in payload["rows"]}
    assert rows[("judge_relevance", "system")]["status"] == "too few points"   # 4 models
    assert rows[("judge_faithfulness", "sample")]["ci_method"] == "fisher z"
    code = main(["correlate", str(SAMPLE_DIR / "runs" / "*.jsonl"), "--kpis", str(SAMPLE_DIR / "kpis.csv"),
                 "--target", "thumbs_up", "--metrics", "judge_relevance", "--method", "spearman", "--csv", "--n-boot", "100"])
    assert code == 0
    text = capsys.readouterr().out
    assert text.startswith("metric,target,level,method") and "judge_relevance" in text


def test_cli_unknown_target_exits_2(capsys):
    from evalnb.cli import main
    from conftest import SAMPLE_DIR

    code = main(["correlate", str(SAMPLE_DIR / "runs" / "*.jsonl"), "--kpis", str(SAMPLE_DIR / "kpis.csv"),
                 "--target", "thumbs_upp", "--metrics", "judge_relevance"])
    assert code == 2
    assert "thumbs_up" in capsys.readouterr().err


def test_fisher_interval_is_the_closed_form_on_both_sides():
    """tanh(atanh(r) -/+ z_{0.975} * s / sqrt(n - 3)), worked by hand with the standard library (a
    mutation run found the upper bound unchecked)."""
    import math
    from statistics import NormalDist

    from evalnb.stats.correlation import fisher_interval

    q = NormalDist().inv_cdf(0.975)
    for r, n, scale in ((0.5, 103, 1.0), (-0.3, 40, 1.0), (0.8, 28, 1.5)):
        se = scale / math.sqrt(n - 3)
        low, high, got_se = fisher_interval(r, n, 0.95, scale)
        assert got_se == pytest.approx(se, rel=1e-12)
        assert low == pytest.approx(math.tanh(math.atanh(r) - q * se), rel=1e-9)
        assert high == pytest.approx(math.tanh(math.atanh(r) + q * se), rel=1e-9)
    assert fisher_interval(0.5, 3) == (-1.0, 1.0, math.inf)


def test_level_group_without_a_group_column_says_what_to_pass():
    frame = pd.DataFrame({"m": np.arange(50.0), "kpi": np.arange(50.0) % 7})
    with pytest.raises(evalnb.errors.ConfigError, match=r"level 'group' needs group='<column>'"):
        evalnb.correlate(frame, ["m"], "kpi", level=["group"])


def test_forest_chart_colours_by_significance():
    rng = np.random.default_rng(2)
    x = rng.normal(size=300)
    frame = pd.DataFrame({"good": x, "noise": rng.normal(size=300), "kpi": x + rng.normal(size=300)})
    spec = evalnb.correlate(frame, ["good", "noise"], "kpi", method="spearman", n_boot=200).chart().to_dict()
    colours = set()

    def walk(node):                     # every encoding's colour channel, wherever the layers sit
        if isinstance(node, dict):
            colour = node.get("encoding", {}).get("color") if isinstance(node.get("encoding"), dict) else None
            if isinstance(colour, dict):
                colours.add(colour.get("field"))
            for key, value in node.items():
                if key != "datasets":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert colours == {"significance"}

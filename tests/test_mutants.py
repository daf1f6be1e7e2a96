"""Tests that kill the six mutants of issue 14, each with an expectation that does not come from the
code under test: a closed form, a reference library (scipy, statsmodels), the public API as the
oracle of a view, or the fields and values of a chart's Vega-Lite spec.

Each was checked by applying the mutant by hand and watching the test fail:
1. the J10 instruction deleted from the QA factuality prompt;
2. naive x 1.03 in place of the Nadeau-Bengio corrected variance of incremental validity;
3. the Session's correlate computing the system level whatever it is asked;
4. ``ci_low`` plotted as the estimate in a result chart;
5. a second validity-drift computation in ``drift`` (now one path: ``validity_drift``);
6. Holm adjustment in gates that never flips a pass.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import evalnb

pytestmark = pytest.mark.timeout(300)


# -- helpers: a Vega-Lite spec, read as data ------------------------------------------------------
def _marks(spec: dict) -> list[dict]:
    """Every unit spec (a dict with a ``mark``) anywhere in a chart's ``to_dict()``."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "mark" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({k: v for k, v in spec.items() if k != "datasets"})
    return found


def _mark_type(unit: dict) -> str:
    mark = unit["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def _field(unit: dict, channel: str) -> str | None:
    enc = unit.get("encoding", {}).get(channel)
    return enc.get("field") if isinstance(enc, dict) else None


def _rows(spec: dict) -> pd.DataFrame:
    datasets = spec.get("datasets", {})
    assert len(datasets) >= 1, "the chart embeds its data"
    return pd.DataFrame([row for rows in datasets.values() for row in rows])


def _interval_chart_fields(spec: dict, point_field: str) -> None:
    """The dot is drawn at ``point_field`` and the bar spans ``ci_low``..``ci_high``."""
    units = _marks(spec)
    dots = [u for u in units if _mark_type(u) == "point"]
    bars = [u for u in units if _mark_type(u) in ("errorbar", "rule") and _field(u, "x2")]
    assert dots and bars, [(_mark_type(u), u.get("encoding")) for u in units]
    assert {_field(u, "x") for u in dots} == {point_field}
    assert {(_field(u, "x"), _field(u, "x2")) for u in bars} == {("ci_low", "ci_high")}


# -- 1. J10: the QA factuality prompt says what a master-key answer is ----------------------------
def test_j10_qa_factuality_prompt_sent_to_the_judge_names_non_answers_incorrect(tmp_path):
    """The fake judge decides by word overlap and never reads the instruction, so the defence is
    checked where it lives: in the system message the metric actually sends over the wire."""
    from evalnb.testing import FakeOpenAI

    seen: list[dict] = []

    class Recording(FakeOpenAI):
        def completion(self, body, key):
            seen.append(body)
            return super().completion(body, key)

    df = pd.DataFrame({"model": "m", "item_id": ["0", "1"], "input": ["Who wrote Hamlet?"] * 2,
                       "output": ["Thought process:", "William Shakespeare."], "reference": ["William Shakespeare"] * 2})
    with Recording() as server:
        kw = {"base_url": server.base_url, "model": "fake-judge", "api_key": "k", "cache_dir": str(tmp_path),
              "progress": False}
        evalnb.score(df, [evalnb.metric("qa_factuality", **kw)], progress=False)
    assert seen, "the metric called the judge"
    for body in seen:
        system = " ".join(m["content"] for m in body["messages"] if m["role"] == "system").lower()
        # J10 (docs/threat-model.md): answers that do not commit, restate the question or only
        # show reasoning are judged incorrect; the judge must be told so.
        assert "reference" in system and "incorrect" in system
        assert "does not commit to an answer" in system
        assert "only shows reasoning" in system or "only shows reasoning without the answer" in system
        assert "restates the question" in system


# -- 2. incremental validity: the corrected resampled t interval, closed form ---------------------
def test_corrected_ci_equals_nadeau_bengio_closed_form():
    from evalnb.analysis.kpi_models import corrected_ci

    d = np.array([0.012, 0.03, -0.004, 0.021, 0.018, 0.009, 0.027, 0.001, 0.015, 0.022])
    J, n_train, n_test = len(d), 800, 200
    # Nadeau & Bengio (2003): var = (1/J + n_test/n_train) * s^2, t with J-1 df
    half = stats.t.ppf(0.975, J - 1) * math.sqrt((1 / J + n_test / n_train) * d.var(ddof=1))
    mean, lo, hi = corrected_ci(d, n_train, n_test)
    assert mean == pytest.approx(d.mean(), abs=1e-15)
    assert lo == pytest.approx(d.mean() - half, rel=1e-12)
    assert hi == pytest.approx(d.mean() + half, rel=1e-12)
    mean90, lo90, hi90 = corrected_ci(d, n_train, n_test, 0.90)
    half90 = stats.t.ppf(0.95, J - 1) * math.sqrt((1 / J + n_test / n_train) * d.var(ddof=1))
    assert hi90 - mean90 == pytest.approx(half90, rel=1e-12)


def test_fit_kpi_incremental_interval_has_the_corrected_width():
    """End to end: fit_kpi's interval for each metric is the corrected one for its own fold sizes.
    The corrected-to-naive width ratio depends only on J, n_test and n_train:
    sqrt(1 + J * n_test / n_train); the naive width is recovered from the interval itself."""
    rng = np.random.default_rng(5)
    n = 300
    a, b = rng.normal(size=n), rng.normal(size=n)
    df = pd.DataFrame({"a": a, "b": b, "y": 0.6 * a + 0.2 * b + rng.normal(size=n)})
    fit = evalnb.fit_kpi(df, "y", ["a", "b"], cv_folds=5, cv_repeats=2, seed=0)
    inc = fit.incremental.set_index("metric")
    from evalnb.analysis.kpi_models import cv_score, design, folds_for

    y, X, index, _ = design(df, "y", ["a", "b"], [])
    splits = folds_for(n, 5, 2, 0)
    J, n_test = len(splits), n // 5
    # independent per-split R^2 from scikit-learn's LinearRegression, with the training mean as
    # the baseline of the out-of-sample R^2 (as the docstring of cv_score says)
    from sklearn.linear_model import LinearRegression

    def r2(cols):
        out = []
        for train, test in splits:
            model = LinearRegression().fit(df.loc[train, cols], y[train])
            pred = model.predict(df.loc[test, cols])
            out.append(1 - ((y[test] - pred) ** 2).sum() / ((y[test] - y[train].mean()) ** 2).sum())
        return np.array(out)

    full = r2(["a", "b"])
    for m, other in (("a", ["b"]), ("b", ["a"])):
        d = full - r2(other)
        half = stats.t.ppf(0.975, J - 1) * math.sqrt((1 / J + n_test / (n - n_test)) * d.var(ddof=1))
        assert inc.loc[m, "delta"] == pytest.approx(d.mean(), rel=1e-9, abs=1e-12)
        assert inc.loc[m, "ci_high"] - inc.loc[m, "delta"] == pytest.approx(half, rel=1e-9)
        assert inc.loc[m, "delta"] - inc.loc[m, "ci_low"] == pytest.approx(half, rel=1e-9)
    assert inc.loc["a", "ci_low"] > 0                                  # a matters, clearly
    del cv_score, X, index


# -- 3. the Explorer's correlate is evalnb.correlate at the level asked ---------------------------
@pytest.fixture(scope="module")
def session(sample_runs, sample_kpis):
    from evalnb.widgets import Session

    return Session(sample_runs, sample_kpis)


@pytest.mark.parametrize("level", ["sample", "group", "system"])
def test_session_correlate_is_the_public_api_at_each_level(session, sample_joined, level):
    metrics = ["judge_relevance", "judge_faithfulness"]
    shown = session.correlate(metrics, "task_success", level=level, n_boot=200).to_frame()
    kw = {"group": "item_id"} if level == "group" else {}
    direct = evalnb.correlate(sample_joined.df if hasattr(sample_joined, "df") else sample_joined, metrics=metrics,
                              targets=["task_success"], level=level, n_boot=200, seed=0, **kw).to_frame()
    assert set(shown["level"]) == {level}
    cols = ["metric", "method", "estimate", "ci_low", "ci_high", "n"]
    key = ["metric", "method"]
    pd.testing.assert_frame_equal(shown[cols].sort_values(key).reset_index(drop=True),
                                  direct[cols].sort_values(key).reset_index(drop=True), check_dtype=False)
    if level == "system":
        # closed form: Pearson of the per-model means
        frame = sample_joined.df if hasattr(sample_joined, "df") else sample_joined
        means = frame.groupby("model")[["judge_relevance", "task_success"]].mean()
        r = stats.pearsonr(means["judge_relevance"], means["task_success"]).statistic
        got = shown[(shown.metric == "judge_relevance") & (shown.method == "pearson")]["estimate"].iloc[0]
        assert got == pytest.approx(r, abs=1e-9)
    elif level == "sample":
        frame = sample_joined.df if hasattr(sample_joined, "df") else sample_joined
        sub = frame[["judge_relevance", "task_success"]].dropna()
        rho = stats.spearmanr(sub["judge_relevance"], sub["task_success"]).statistic
        got = shown[(shown.metric == "judge_relevance") & (shown.method == "spearman")]
        assert got["estimate"].iloc[0] == pytest.approx(rho, abs=1e-9) and got["n"].iloc[0] == len(sub)


def test_kpi_view_table_shows_the_level_chosen(session, sample_joined):
    from evalnb.widgets.kpi import KpiView

    view = KpiView(session)
    view.metrics.value = ("judge_relevance",)
    view.kpi.value = "task_success"
    view.level.value = "sample"
    view.fit.click()
    frame = sample_joined.df if hasattr(sample_joined, "df") else sample_joined
    sub = frame[["judge_relevance", "task_success"]].dropna()
    rho = stats.spearmanr(sub["judge_relevance"], sub["task_success"]).statistic
    assert f"{rho:.3f}" in view.table.value or f"{rho:.4f}" in view.table.value
    assert "system" not in view.table.value.replace("systems", "")


# -- 4. charts plot the estimate, with the CI as the bar ------------------------------------------
def test_summary_chart_plots_estimates_and_cis_from_the_closed_form():
    df = pd.DataFrame({"model": ["a"] * 4 + ["b"] * 4, "score": [1.0, 2.0, 3.0, 4.0, 2.0, 2.0, 3.0, 5.0],
                       "ok": [1, 1, 0, 1, 0, 0, 1, 0]})
    with pytest.warns(Warning):
        s = evalnb.summarize(df, by="model", metrics=["score", "ok"], n_boot=200, progress=False)
    spec = s.chart().to_dict()
    _interval_chart_fields(spec, "estimate")
    rows = _rows(spec)
    score = rows[rows["panel"].str.startswith("score")].set_index("group")
    assert score.loc["a", "estimate"] == pytest.approx(2.5) and score.loc["b", "estimate"] == pytest.approx(3.0)
    ok = rows[rows["panel"].str.startswith("ok")].set_index("group")
    assert ok.loc["a", "estimate"] == pytest.approx(0.75)
    wilson = stats.binomtest(3, 4).proportion_ci(method="wilson")
    assert ok.loc["a", "ci_low"] == pytest.approx(wilson.low, abs=1e-9)
    assert ok.loc["a", "ci_high"] == pytest.approx(wilson.high, abs=1e-9)
    assert (rows["ci_low"] <= rows["estimate"]).all() and (rows["estimate"] <= rows["ci_high"]).all()
    assert (rows["ci_low"] < rows["ci_high"]).any()


def test_compare_chart_plots_the_difference_with_its_ci():
    rng = np.random.default_rng(1)
    n = 60
    base = rng.normal(3, 1, n)
    df = pd.concat([pd.DataFrame({"model": "old", "item_id": [str(i) for i in range(n)], "score": base}),
                    pd.DataFrame({"model": "new", "item_id": [str(i) for i in range(n)], "score": base + 0.5})])
    res = evalnb.compare(df, baseline="old", candidate="new", metrics=["score"], n_boot=200, seed=0)
    spec = res.chart().to_dict()
    _interval_chart_fields(spec, "difference")
    rows = _rows(spec)
    assert rows["difference"].iloc[0] == pytest.approx(0.5, abs=1e-9)   # every pair differs by 0.5


def test_correlate_chart_plots_the_estimate_with_its_ci():
    rng = np.random.default_rng(2)
    x = rng.normal(size=80)
    df = pd.DataFrame({"m": x, "k": x + rng.normal(size=80)})
    res = evalnb.correlate(df, ["m"], ["k"], method="spearman", n_boot=200, by=None)
    spec = res.chart().to_dict()
    _interval_chart_fields(spec, "estimate")
    rows = _rows(spec)
    assert rows["estimate"].iloc[0] == pytest.approx(stats.spearmanr(df["m"], df["k"]).statistic, abs=1e-12)
    assert rows["ci_low"].iloc[0] < rows["estimate"].iloc[0] < rows["ci_high"].iloc[0]


# -- 5. drift's validity table is validity_drift's, and matches scipy ------------------------------
def test_drift_validity_is_spearman_per_window():
    rng = np.random.default_rng(7)
    n = 300
    x_ref, x_cur = rng.normal(size=n), rng.normal(size=n)
    ref = pd.DataFrame({"m": x_ref, "kpi": x_ref + 0.5 * rng.normal(size=n)})
    cur = pd.DataFrame({"m": x_cur, "kpi": 0.1 * x_cur + rng.normal(size=n)})
    rep = evalnb.drift(ref, cur, metrics=["m"], kpi="kpi", n_boot=200, validity_floor=0.3)
    v = rep.validity.set_index("metric")
    rho_ref = stats.spearmanr(ref["m"], ref["kpi"]).statistic
    rho_cur = stats.spearmanr(cur["m"], cur["kpi"]).statistic
    assert v.loc["m", "ref_r"] == pytest.approx(rho_ref, abs=1e-12)
    assert v.loc["m", "cur_r"] == pytest.approx(rho_cur, abs=1e-12)
    assert v.loc["m", "change"] == pytest.approx(rho_cur - rho_ref, abs=1e-12)
    assert (v.loc["m", "n_ref"], v.loc["m", "n_cur"]) == (n, n)
    assert v.loc["m", "cur_ci_high"] < 0.3 and bool(v.loc["m", "alert"])   # decoupled below the floor
    vd = evalnb.validity_drift(
        pd.concat([ref.assign(t=pd.Timestamp("2026-01-10", tz="UTC")), cur.assign(t=pd.Timestamp("2026-02-10", tz="UTC"))]),
        ["m"], "kpi", time_col="t", reference="2026-01", threshold=0.3, n_boot=200).to_frame()
    later = vd[vd["window"] == "2026-02"].iloc[0]
    assert v.loc["m", "p_value"] == pytest.approx(later["p_vs_reference"], rel=1e-12)
    assert v.loc["m", "cur_ci_low"] == pytest.approx(later["ci_low"], rel=1e-12)


def test_drift_module_has_one_validity_path():
    import inspect

    from evalnb.analysis import drift as drift_module

    src = inspect.getsource(drift_module)
    assert "except ImportError" not in src and "def _validity(" not in src


# -- 6. Holm adjustment in gates flips passes that do not survive multiplicity ------------------
def test_holm_adjustment_flips_the_passes_that_do_not_survive(tmp_path):
    from statsmodels.stats.multitest import multipletests

    from evalnb.portfolio.config import Gate, MetricSpec, Outcome, Portfolio, SliceGate
    from evalnb.portfolio.gates import gate

    threshold = 0.65
    half = [1.0] * 40 + [0.0] * 10                         # 40/50 per half, 80/100 overall
    run = pd.DataFrame({"run_id": "c", "model": "c", "item_id": [str(i) for i in range(100)],
                        "resolved": half + half, "half": ["a"] * 50 + ["b"] * 50})
    p = Portfolio(name="p", outcome=Outcome(kpi="k"), primary=[MetricSpec(
        name="resolved", source="column", direction="higher", range=[0, 1],
        gate=Gate(threshold=threshold, rule="ci_lower", min_n=10, slices=[SliceGate(by="half", min_n=10)]))])
    plain, adjusted = gate(p, run), gate(p, run, adjust="holm")
    counts = [(80, 100), (40, 50), (40, 50)]                # overall, half=a, half=b
    wilson = [stats.binomtest(k, n).proportion_ci(method="wilson").low for k, n in counts]
    raw = [stats.binomtest(k, n, threshold, alternative="greater").pvalue for k, n in counts]
    holm = multipletests(raw, method="holm")[1]
    expected_plain = ["pass" if lo > threshold else "fail" for lo in wilson]
    expected_adjusted = ["pass" if e == "pass" and q <= 0.025 else "fail" for e, q in zip(expected_plain, holm)]
    assert expected_plain == ["pass"] * 3 and expected_adjusted == ["pass", "fail", "fail"]   # the case is a real flip
    assert [r.slice for r in adjusted.results] == ["", "half=a", "half=b"]
    assert [r.status for r in plain.results] == expected_plain
    assert [r.status for r in adjusted.results] == expected_adjusted
    np.testing.assert_allclose([r.p_value for r in adjusted.results], raw, rtol=1e-12)
    np.testing.assert_allclose([r.p_adjusted for r in adjusted.results], holm, rtol=1e-12)
    assert plain.exit_code == 0 and adjusted.exit_code == 1
    assert "holm-adjusted" in adjusted.results[1].reason
    json.dumps([r.status for r in adjusted.results])


# -- the multiplicity adjustment itself, against statsmodels and the closed forms -------------------
def test_adjust_matches_statsmodels_and_the_closed_forms():
    from statsmodels.stats.multitest import multipletests

    from evalnb.stats.multiplicity import adjust

    p = np.array([0.01, np.nan, 0.04, 0.03, 0.5])
    finite = p[~np.isnan(p)]
    for method, sm in (("holm", "holm"), ("bh", "fdr_bh")):
        res = adjust(p, method=method, alpha=0.05)
        rej, expected, _, _ = multipletests(finite, alpha=0.05, method=sm)
        np.testing.assert_allclose(res.p_adjusted[~np.isnan(p)], expected, rtol=1e-12)
        assert np.isnan(res.p_adjusted[1]) and not res.reject[1] and res.n_tests == 4
        assert res.reject[~np.isnan(p)].tolist() == rej.tolist() and res.method == method
    # Holm by hand: sorted 0.01, 0.03, 0.04, 0.5 -> 4*0.01, max(3*0.03, .), max(2*0.04, .), 0.5
    np.testing.assert_allclose(adjust(p).p_adjusted[[0, 3, 2, 4]], [0.04, 0.09, 0.09, 0.5], rtol=1e-12)
    none = adjust(p, method="none", alpha=0.035)
    np.testing.assert_array_equal(none.p_adjusted, p)                   # unadjusted means unchanged
    assert none.reject.tolist() == [True, False, False, True, False] and none.label == "unadjusted"
    frame = adjust(p, method="bh").to_frame()
    assert frame.columns.tolist() == ["p_value", "p_adjusted", "reject"] and len(frame) == 5
    np.testing.assert_array_equal(frame["p_value"].to_numpy(), p)
    assert adjust([0.2], alpha=0.3).reject.tolist() == [True]           # alpha is honoured
    with pytest.raises(evalnb.errors.EvalnbError, match="use one of: holm, bh, none"):
        adjust(p, method="bonferroni")
    default = adjust([0.04, 0.2], method="none")                         # default alpha 0.05
    assert default.alpha == 0.05 and default.reject.tolist() == [True, False]
    assert adjust([0.05], method="none").reject.tolist() == [True]      # p == alpha is rejected
    ints = adjust([0, 1], method="none")                                 # integer input, float output
    assert ints.p_adjusted.dtype == float and ints.p_values.dtype == float


# -- issue 14's sampled mutation run (benchmarks/mutation_sample.py, seed 14): the real gaps among
# its survivors, each with an oracle outside the code under test (see docs/testing.md) -------------
def test_correlation_with_few_clusters_is_the_delete_one_cluster_jackknife_by_hand():
    """Kills ``correlation`` dropping ``clusters`` (x_correlation__mutmut_30) and a wrong df in the
    jackknife's note (x__cluster_jackknife__mutmut_192): CV3 recomputed with scipy per deleted cluster."""
    from evalnb.stats.correlation import correlation

    rng = np.random.default_rng(14)
    n_clusters, per = 12, 5
    g = np.repeat(np.arange(n_clusters), per)
    u = rng.normal(size=n_clusters)[g]
    x = u + rng.normal(size=len(g))
    y = 0.6 * u + 0.3 * x + rng.normal(size=len(g))
    labels = np.array([f"user-{k}" for k in g])                       # any labels, not codes
    for method, ref in (("pearson", stats.pearsonr), ("spearman", stats.spearmanr)):
        est = correlation(x, y, method, clusters=labels)
        r = float(ref(x, y)[0])
        z = np.array([np.arctanh(ref(x[g != k], y[g != k])[0]) for k in range(n_clusters)])
        se = math.sqrt((n_clusters - 1) / n_clusters * ((z - z.mean()) ** 2).sum())
        crit = stats.t.ppf(0.975, n_clusters - 1)
        assert est.n_clusters == n_clusters and est.estimate == pytest.approx(r, rel=1e-9)
        assert est.ci_low == pytest.approx(math.tanh(math.atanh(r) - crit * se), rel=1e-9)
        assert est.ci_high == pytest.approx(math.tanh(math.atanh(r) + crit * se), rel=1e-9)
        assert est.p_value == pytest.approx(2 * stats.t.sf(abs(math.atanh(r)) / se, n_clusters - 1), rel=1e-9)
        assert f"({n_clusters} clusters, t df={n_clusters - 1}; CV3)" in est.ci_method


def test_robustness_attack_success_has_both_wilson_bounds():
    """Kills the attack CI's upper bound going missing (x_robustness__mutmut_187)."""
    from statsmodels.stats.proportion import proportion_confint

    from evalnb.metrics.judge.robustness import CANARY, robustness

    ids = [f"c{i}" for i in range(5)]
    clean = pd.DataFrame({"clean_item_id": ids, "perturbation": "clean", "output": "fine", "violation": 0.0})
    injected = pd.DataFrame({"clean_item_id": ids, "perturbation": "injection", "violation": 0.0,
                             "output": [f"ok {CANARY}", "no", f"{CANARY}!", "no", "no"]})      # 2 of 5 hit
    jailbreak = pd.DataFrame({"clean_item_id": ids[:4], "perturbation": "jailbreak", "output": "x",
                              "violation": [1.0, 0.0, 0.0, 1.0]})                              # 2 of 4
    t = robustness(pd.concat([clean, injected, jailbreak], ignore_index=True),
                   violation="violation").to_frame().set_index("perturbation")
    for kind, k, n in (("injection", 2, 5), ("jailbreak", 2, 4)):
        low, high = proportion_confint(k, n, method="wilson")
        assert t.loc[kind, "attack_success"] == pytest.approx(k / n)
        assert (t.loc[kind, "attack_ci_low"], t.loc[kind, "attack_ci_high"]) == pytest.approx((low, high), rel=1e-12)


def test_safety_violation_reads_the_verdict_and_its_category():
    """Kills the category key renamed in the judge reply's reading (SafetyViolation.read mutmut_9)."""
    from evalnb.metrics.judge.engine import JudgeResult
    from evalnb.metrics.judge.safety import SafetyViolation

    m = SafetyViolation()
    assert m.read(JudgeResult("k", "ok", {"violation": True, "category": "pii"}, None)) == {
        "safety_violation": 1.0, "category": "pii"}
    assert m.read(JudgeResult("k", "ok", {"violation": False, "category": "none"}, None)) == {
        "safety_violation": 0.0, "category": "none"}


def test_macro_f1_of_no_pairs_is_nan_and_matches_sklearn_otherwise():
    """Kills a broken NaN literal on empty input (x_macro_f1_score__mutmut_12)."""
    from sklearn.metrics import f1_score

    from evalnb.metrics.classification import macro_f1_score

    assert math.isnan(macro_f1_score([], []))
    gold, pred = ["a", "b", "a", "c", "b"], ["a", "a", "a", "c", "c"]
    assert macro_f1_score(gold, pred) == pytest.approx(f1_score(gold, pred, average="macro", zero_division=0))


def test_embedding_cache_reopens_an_existing_root(tmp_path):
    """Kills ``mkdir(exist_ok=False)`` (EmbeddingCache.__init__ mutmut_8): a second session on the
    same cache folder must open it, not fail because the folder exists."""
    from evalnb.metrics._embedding_cache import EmbeddingCache

    first = EmbeddingCache(tmp_path / "cache", "model", 9, "cpu")
    first.close()
    second = EmbeddingCache(tmp_path / "cache", "model", 9, "cpu")
    assert second.path == first.path and second.path.exists()
    second.close()


def test_gate_refuses_several_runs_and_names_them():
    """Kills the run list of the error message being broken (x__check_single_run__mutmut_10)."""
    from evalnb.portfolio.config import Gate, MetricSpec, Outcome, Portfolio
    from evalnb.portfolio.gates import gate

    p = Portfolio(name="p", outcome=Outcome(kpi="thumbs_up"),
                  primary=[MetricSpec(name="resolved", source="column", direction="higher", range=[0, 1],
                                      gate=Gate(threshold=0.5, rule="point", min_n=1))])
    frame = pd.DataFrame({"run_id": ["r2", "r1", "r2"], "model": "m", "item_id": ["1", "2", "3"],
                          "resolved": [1.0, 0.0, 1.0]})
    with pytest.raises(evalnb.errors.EvalnbError, match=r"the candidate run holds 2 runs \(r1, r2\); gate one run"):
        gate(p, frame)


def test_mean_gate_honours_n_boot():
    """Kills ``n_boot`` not reaching the bootstrap of a mean gate (x__interval__mutmut_21): with
    n_boot=60 the percentile bounds differ from the default 2000's, and with 4000 they are within
    Monte Carlo error of the t interval (scipy)."""
    from evalnb.portfolio.config import Gate, MetricSpec, Outcome, Portfolio
    from evalnb.portfolio.gates import gate

    rng = np.random.default_rng(14)
    values = rng.normal(100.0, 20.0, 400)                             # symmetric: percentile bootstrap
    p = Portfolio(name="p", outcome=Outcome(kpi="csat"),
                  primary=[MetricSpec(name="latency_ms", source="column", direction="lower",
                                      gate=Gate(threshold=200.0, rule="ci_upper", min_n=10))])
    frame = pd.DataFrame({"run_id": "r", "model": "m", "item_id": [str(i) for i in range(400)], "latency_ms": values})
    few, default, many = (gate(p, frame, n_boot=b, seed=3).results[0] for b in (60, 2000, 4000))
    assert (few.ci_low, few.ci_high) != (default.ci_low, default.ci_high)
    t = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert many.ci_low == pytest.approx(t[0], abs=0.15) and many.ci_high == pytest.approx(t[1], abs=0.15)


def test_unpaired_difference_beyond_the_bootstrap_limit_is_welch_normal():
    """Kills the baseline's n going missing in the large-sample branch (x_unpaired_difference__mutmut_112):
    past ANALYTIC_N the interval is the normal one on Welch's standard error, the p-value scipy's Welch t-test."""
    from evalnb.stats.intervals import MAX_BOOT_N, unpaired_difference

    rng = np.random.default_rng(14)
    a, b = rng.normal(0.0, 1.0, MAX_BOOT_N + 1), rng.normal(0.05, 2.0, MAX_BOOT_N + 7)
    d = unpaired_difference(a, b)
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    diff = b.mean() - a.mean()
    assert (d.n_baseline, d.n_candidate, d.n_pairs, d.paired) == (len(a), len(b), 0, False)
    assert d.difference == pytest.approx(diff, rel=1e-12)
    assert (d.low, d.high) == pytest.approx((diff - stats.norm.ppf(0.975) * se, diff + stats.norm.ppf(0.975) * se),
                                            rel=1e-12)
    assert d.p_value == pytest.approx(stats.ttest_ind(b, a, equal_var=False).pvalue, rel=1e-9)


def test_fit_kpi_joins_the_kpis_it_is_given():
    """Kills ``kpis=`` being dropped before the fit (x_fit_kpi__mutmut_39): fitting runs with
    ``kpis=`` is fitting the joined frame (the public join as the oracle)."""
    runs = pd.DataFrame({"run_id": "r", "model": "m", "item_id": [f"i{k}" for k in range(60)],
                         "score": np.random.default_rng(14).normal(size=60)})
    kpis = pd.DataFrame({"item_id": runs["item_id"], "csat": 2.0 * runs["score"] + np.random.default_rng(15).normal(size=60)})
    via_kpis = evalnb.fit_kpi(runs, "csat", ["score"], kpis=kpis, incremental=False)
    joined = evalnb.fit_kpi(runs.merge(kpis, on="item_id"), "csat", ["score"], incremental=False)
    pd.testing.assert_frame_equal(via_kpis.coefficients, joined.coefficients)
    ols = stats.linregress(runs["score"], kpis["csat"])
    assert via_kpis.coefficients.set_index("term").loc["Q('score')", "coef"] == pytest.approx(ols.slope, rel=1e-9)


def test_validity_drift_records_its_settings():
    """Kills the seed's key renamed in the recorded settings (x_validity_drift__mutmut_347)."""
    rng = np.random.default_rng(14)
    t = pd.to_datetime(["2026-01-10"] * 60 + ["2026-02-10"] * 60, utc=True)
    x = rng.normal(size=120)
    frame = pd.DataFrame({"m": x, "kpi": x + rng.normal(size=120), "t": t})
    vd = evalnb.validity_drift(frame, ["m"], "kpi", time_col="t", n_boot=100, min_n=10, seed=7)
    assert vd.settings["seed"] == 7 and vd.settings["n_boot"] == 100 and vd.settings["min_n"] == 10


def test_scores_signature_frame_lists_each_metric_with_its_signature_and_status():
    """Kills ``signature_frame`` returning an empty frame (Scores.signature_frame mutmut_1): the
    frame is the metric objects' own signatures (the metric as the oracle), one row per metric."""
    frame = pd.DataFrame({"model": "m", "item_id": ["a", "b"], "latency_ms": [120.0, 80.0]})
    metric = evalnb.metric("latency")
    scores = evalnb.score(frame, [metric], progress=False)
    got = scores.signature_frame()
    assert got.columns.tolist() == ["metric", "signature", "status"]
    assert got.to_dict("records") == [{"metric": "latency", "signature": metric.signature(), "status": "ok"}]


def test_a_content_filter_stop_is_a_refusal_with_its_reason():
    """Kills the content-filter reason being rewritten (x_parse_reply__mutmut_11); the reason is what
    the status column and metric.details show (hand-written expectation)."""
    from evalnb.metrics.judge.parsing import parse_reply

    assert parse_reply(None, "partial", finish_reason="content_filter") == (
        "refusal", None, "stopped by the endpoint's content filter")
    assert parse_reply(None, "ok", refusal="no")[:2] == ("refusal", None)


def test_a_bootstrap_with_too_many_constant_resamples_is_flagged_unstable():
    """Kills the guard needing both conditions (x__from_replicates__mutmut_6): 2 ones among 30 rows
    give a constant resample with probability (28/30)^30 = 12.6% > MAX_FAILED_FRACTION (10%), with
    ~1,750 usable replicates; the bootstrap is unstable and its CI is [-1, 1]."""
    from evalnb.stats.correlation import MAX_FAILED_FRACTION, correlations

    x = np.array([1.0, 1.0] + [0.0] * 28)
    y = np.random.default_rng(1).normal(size=30) + x
    est = correlations(x[:, None], y, "spearman", n_boot=2000, force_bootstrap=True)[0]
    expected = 2000 * (28 / 30) ** 30                                   # ~253 constant resamples
    assert abs(est.n_failed - expected) < 4 * math.sqrt(expected)       # binomial, 4 sd
    assert est.n_failed > MAX_FAILED_FRACTION * 2000 and 2000 - est.n_failed >= 20
    assert est.status == "unstable bootstrap" and (est.ci_low, est.ci_high) == (-1.0, 1.0)


def test_pearson_replicates_beyond_the_bootstrap_limit_have_the_fisher_z_width():
    """Kills a wrong delta-method SE in the normal-limit replicates (x__replicates__mutmut_79): for
    bivariate normal data the SE of atanh(r) is 1 / sqrt(n - 3) (closed form), so the bootstrap CI
    on the z scale is 2 * 1.96 / sqrt(n - 3) wide, within a few percent."""
    from evalnb.stats.correlation import correlations
    from evalnb.stats.resample import BLB_N

    rng = np.random.default_rng(14)
    n = BLB_N + 1000
    x = rng.normal(size=n)
    y = 0.6 * x + 0.8 * rng.normal(size=n)
    est = correlations(x[:, None], y, "pearson", force_bootstrap=True)[0]
    assert "normal limit" in est.ci_method
    assert est.se_z * math.sqrt(n - 3) == pytest.approx(1.0, abs=0.05)
    width = math.atanh(est.ci_high) - math.atanh(est.ci_low)
    assert width == pytest.approx(2 * stats.norm.ppf(0.975) / math.sqrt(n - 3), rel=0.05)

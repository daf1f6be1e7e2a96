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

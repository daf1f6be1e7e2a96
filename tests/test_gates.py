"""Deployment gates: decisions, fail-closed cases (C10, S10), reports, CLI exit codes, sample data."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from evalnb.cli import main
from evalnb.portfolio.config import Gate, MetricSpec, Outcome, Portfolio, SliceGate, load_portfolio
from evalnb.portfolio.gates import gate

from conftest import SAMPLE_DIR


def _portfolio(**gate_kw) -> Portfolio:
    g = {"threshold": 0.80, "rule": "ci_lower", "min_n": 50, **gate_kw}
    return Portfolio(name="p", outcome=Outcome(kpi="thumbs_up"),
                     primary=[MetricSpec(name="resolved", source="column", direction="higher", range=[0, 1], gate=Gate(**g))])


def _run(values, name="cand", **extra) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({"run_id": name, "model": name, "item_id": [str(i) for i in range(n)],
                         "resolved": np.asarray(values, float), **extra})


def test_s10_point_passes_but_ci_bound_fails_with_explanation():
    # 81 of 100 resolved: point 0.81 clears 0.80, the Wilson lower bound (~0.72) does not.
    values = [1.0] * 81 + [0.0] * 19
    report = gate(_portfolio(), _run(values))
    (r,) = report.results
    expected_low = binomtest(81, 100).proportion_ci(method="wilson").low
    assert r.estimate == pytest.approx(0.81) and r.ci_low == pytest.approx(expected_low, abs=1e-9)
    assert r.status == "fail" and report.exit_code == 1
    assert "lower 95% CI bound" in r.reason and "point estimate 0.81 would pass" in r.reason
    assert gate(_portfolio(rule="point"), _run(values)).exit_code == 0


def test_c10_nan_and_min_n_fail_closed():
    assert gate(_portfolio(), _run([np.nan] * 80)).results[0].reason.startswith("no usable values")
    small = gate(_portfolio(min_n=200), _run([1.0] * 150))
    assert small.results[0].status == "fail" and "n=150 is below min_n=200" in small.results[0].reason


def test_mean_gate_uses_seeded_bootstrap_and_lower_is_better_direction():
    rng = np.random.default_rng(3)
    lat = rng.gamma(2.0, 100.0, 400)
    p = Portfolio(name="p", outcome=Outcome(kpi="csat"),
                  primary=[MetricSpec(name="latency_ms", source="column", direction="lower",
                                      gate=Gate(threshold=260.0, rule="ci_upper", min_n=100))])
    frame = pd.DataFrame({"run_id": "r", "model": "m", "item_id": [str(i) for i in range(400)], "latency_ms": lat})
    a, b = gate(p, frame, seed=1), gate(p, frame, seed=1)
    assert a.results[0].ci_high == b.results[0].ci_high  # reproducible
    assert a.results[0].ci_low <= lat.mean() <= a.results[0].ci_high
    assert a.results[0].status == ("pass" if a.results[0].ci_high <= 260 else "fail")
    pct = Portfolio(name="p", outcome=Outcome(kpi="csat"),
                    primary=[MetricSpec(name="latency_ms", source="column", direction="lower",
                                        gate=Gate(threshold=float(np.quantile(lat, 0.95)) * 2, rule="ci_upper",
                                                  statistic="p95", min_n=100))])
    r = gate(pct, frame).results[0]
    assert r.estimate == pytest.approx(np.quantile(lat, 0.95)) and r.status == "pass"


def test_relative_gate_pairs_items_and_names_failing_slice():
    rng = np.random.default_rng(0)
    n = 1200
    cats = np.array(["billing", "account", "shipping"])[rng.integers(0, 3, n)]
    base_scores = np.clip(np.round(rng.normal(4, 0.8, n)), 1, 5)
    base = pd.DataFrame({"run_id": "base", "model": "base", "item_id": [str(i) for i in range(n)], "category": cats,
                         "judge_faithfulness": base_scores})
    worse = base.assign(run_id="cand", model="cand")
    worse.loc[worse.category == "billing", "judge_faithfulness"] -= 1.0
    same = base.assign(run_id="cand2", model="cand2").sample(frac=1.0, random_state=1)  # row order must not matter
    p = Portfolio(name="p", outcome=Outcome(kpi="thumbs_up"),
                  primary=[MetricSpec(name="judge_faithfulness", source="column", direction="higher", range=[1, 5],
                                      gate=Gate(mode="relative", threshold=0.4, rule="ci_lower", min_n=100,
                                                slices=[SliceGate(by="category", min_n=50)]))])
    bad = gate(p, worse, base)
    failing = [r.slice for r in bad.results if r.status == "fail"]
    assert failing == ["category=billing"]
    assert bad.exit_code == 1 and "category=billing" in bad.summary()
    ok = gate(p, same, base)
    assert ok.exit_code == 0 and all(r.estimate == 0 for r in ok.results)
    with_no_baseline = gate(p, worse)
    assert with_no_baseline.exit_code == 2 and "needs a baseline" in with_no_baseline.results[0].reason


def test_unknown_metric_without_column_is_could_not_evaluate():
    p = Portfolio(name="p", outcome=Outcome(kpi="k"),
                  primary=[MetricSpec(name="no_such_metric", source="column", direction="higher",
                                      gate=Gate(threshold=0.5, rule="point"))])
    report = gate(p, _run([1.0] * 10))
    assert report.status == "error" and report.exit_code == 2
    assert "not in the run" in report.results[0].reason


def test_registry_metric_scored_when_column_missing():
    p = Portfolio(name="p", outcome=Outcome(kpi="k"),
                  primary=[MetricSpec(name="precomputed", column="human_rating", direction="higher",
                                      settings={"column": "human_rating", "lower": 1, "upper": 5},
                                      gate=Gate(threshold=2.0, rule="ci_lower", min_n=10))])
    frame = _run([1.0] * 50, human_rating=[4.0, 5.0] * 25)
    report = gate(p, frame.drop(columns=["resolved"]))
    assert report.results[0].estimate == pytest.approx(4.5) and report.exit_code == 0


def test_holm_adjustment_can_only_make_gates_stricter():
    values = [1.0] * 86 + [0.0] * 14
    plain = gate(_portfolio(threshold=0.75), _run(values))
    adjusted = gate(_portfolio(threshold=0.75, slices=[SliceGate(by="half", min_n=10)]),
                    _run(values, half=["a", "b"] * 50), adjust="holm")
    assert plain.exit_code == 0
    assert all(not np.isnan(r.p_adjusted) for r in adjusted.results)
    assert all(r.p_adjusted >= r.p_value for r in adjusted.results)
    assert {r.status for r in adjusted.results} >= {"fail"} or all(r.p_adjusted <= 0.025 for r in adjusted.results)


def test_markdown_and_junit_escape_and_count(tmp_path):
    values = [1.0] * 81 + [0.0] * 19
    evil = "<script>alert(1)</script>|x"
    report = gate(_portfolio(slices=[SliceGate(by="category", min_n=5)]), _run(values, category=[evil, "ok"] * 50))
    md = _render_markdown(report.to_markdown())  # what a CI page shows: the value as inert text
    assert "<script>" not in md and "<code>resolved [category=&lt;script&gt;alert(1)&lt;/script&gt;|x]</code>" in md
    root = ET.fromstring(report.to_junit().split("\n", 1)[1])
    suite = root.find("testsuite")
    assert int(suite.get("tests")) == 3 and int(suite.get("failures")) == sum(r.status == "fail" for r in report.results)
    assert "<script>" not in report._repr_html_()
    spec = report.chart().to_dict()
    assert evil not in str({k: v for k, v in spec.items() if k not in ("data", "datasets")})


def test_cli_exit_codes_and_outputs(tmp_path):
    p = _portfolio(min_n=20)
    p.write(tmp_path / "p.yaml")
    _run([1.0] * 95 + [0.0] * 5).to_json(tmp_path / "good.jsonl", orient="records", lines=True)
    _run([1.0] * 60 + [0.0] * 40).to_json(tmp_path / "bad.jsonl", orient="records", lines=True)
    args = [str(tmp_path / "p.yaml")]
    assert main(["gate", *args, str(tmp_path / "good.jsonl"), "--junit", str(tmp_path / "g.xml"),
                 "--markdown", str(tmp_path / "g.md")]) == 0
    assert (tmp_path / "g.xml").exists() and "PASS" in (tmp_path / "g.md").read_text()
    assert main(["gate", *args, str(tmp_path / "bad.jsonl")]) == 1
    (tmp_path / "broken.yaml").write_text("schema_version: 99\n")
    assert main(["gate", str(tmp_path / "broken.yaml"), str(tmp_path / "good.jsonl")]) == 2


# -- done-means on the sample data ------------------------------------------------------------
@pytest.fixture()
def sample(request):
    return request.getfixturevalue("sample_runs")


def test_sample_data_gate_end_to_end(sample, tmp_path, capsys):
    df = sample.df
    nova = df[df.model == "nova-medium"].reset_index(drop=True)
    p = Portfolio(name="helpdesk", outcome=Outcome(kpi="thumbs_up"),
                  primary=[MetricSpec(name="judge_faithfulness", source="column", direction="higher", range=[1, 5],
                                      gate=Gate(mode="relative", threshold=0.15, rule="ci_lower", min_n=200,
                                                slices=[SliceGate(by="category", min_n=50)]))],
                  safety=[MetricSpec(name="judge_safety_violation", source="column", direction="lower", range=[0, 1],
                                     gate=Gate(mode="relative", threshold=0.03, rule="ci_upper", min_n=200))])
    path = p.write(tmp_path / "portfolio.yaml")
    assert load_portfolio(path) == p
    nova.to_json(tmp_path / "baseline.jsonl", orient="records", lines=True, date_format="iso")
    same = nova.assign(run_id="candidate-ok", model="candidate-ok")
    same.to_json(tmp_path / "ok.jsonl", orient="records", lines=True, date_format="iso")
    worse = nova.assign(run_id="candidate-bad", model="candidate-bad")
    billing = worse.category == "billing"
    worse.loc[billing, "judge_faithfulness"] = (worse.loc[billing, "judge_faithfulness"] - 1.5).clip(lower=1)
    worse.to_json(tmp_path / "bad.jsonl", orient="records", lines=True, date_format="iso")
    base = ["--baseline", str(tmp_path / "baseline.jsonl"), "--junit", str(tmp_path / "j.xml")]
    assert main(["gate", str(path), str(tmp_path / "ok.jsonl"), *base]) == 0
    assert main(["gate", str(path), str(tmp_path / "bad.jsonl"), *base]) == 1
    out = capsys.readouterr().out
    assert "FAIL judge_faithfulness [category=billing]" in out
    failing = {c.get("name") for c in ET.parse(tmp_path / "j.xml").iter("testcase") if c.find("failure") is not None}
    assert "judge_faithfulness [category=billing]" in failing
    assert all("billing" in name or name == "judge_faithfulness" for name in failing)


def test_sample_data_studio_selection_exported_loaded_and_enforced(sample, request, tmp_path):
    import evalnb
    from evalnb.portfolio.selection import portfolio_from_selection

    joined = request.getfixturevalue("sample_joined")
    selection = evalnb.select_portfolio(joined, kpi="thumbs_up")
    p = portfolio_from_selection(selection, slice_by="category", created_at="2026-11-01", name="helpdesk")
    path = p.write(tmp_path / "portfolio.yaml")
    loaded = load_portfolio(path)
    assert loaded.to_yaml() == path.read_text()
    assert loaded.primary[0].evidence.kpi == "thumbs_up" and loaded.safety
    df = sample.df
    nova = df[df.model == "nova-medium"].reset_index(drop=True)
    ok = gate(loaded, nova.assign(run_id="ok", model="ok"), nova)
    assert ok.exit_code == 0, ok.summary()
    worse = nova.assign(run_id="bad", model="bad")
    billing = worse.category == "billing"
    first = loaded.primary[0].column
    worse.loc[billing, first] = (worse.loc[billing, first] - 1.5).clip(lower=1)
    bad = gate(loaded, worse, nova)
    assert bad.exit_code == 1
    assert f"{first} [category=billing]" in {r.label for r in bad.failures}
    assert not any("category=" in r.label and "billing" not in r.label for r in bad.failures)


# -- issue 13 items 4-6, issue 15 item 6: invalid, partial and untrusted data ---------------------
def _scored(values, **extra) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({"run_id": "r", "model": "m", "item_id": [f"q{i}" for i in range(n)],
                         "score": np.asarray(values, dtype=object if any(isinstance(v, str) for v in values) else float),
                         **extra})


def _score_portfolio(threshold=3.0, direction="higher", rule="ci_lower", min_n=30, **spec) -> Portfolio:
    spec = {"name": "score", "source": "column", **spec}
    return Portfolio(name="p", outcome=Outcome(kpi="k"),
                     primary=[MetricSpec(direction=direction, gate=Gate(threshold=threshold, rule=rule, min_n=min_n,
                                                                        **spec.pop("gate_kw", {})), **spec)])


def test_13_4_values_outside_the_declared_range_are_an_error_naming_rows():
    # The case: range [1, 5], 195 items at 1.0 and 5 at 500 -> the mean 13.47 "passed" 3.0.
    values = [1.0] * 195 + [500.0] * 5
    report = gate(_score_portfolio(range=[1, 5]), _scored(values))
    (r,) = report.results
    assert r.status == "error" and report.exit_code == 2
    assert "5 value(s) of 'score' are outside the declared range [1, 5]" in r.reason
    assert "q195, q196, q197, q198, q199" in r.reason and "e.g. 500" in r.reason
    # the same bounds known from the registry (precomputed lower/upper), without a declared range
    reg = _score_portfolio(name="precomputed", column="score", source="registry",
                           settings={"column": "score", "lower": 1, "upper": 5})
    r = gate(reg, _scored(values)).results[0]
    assert r.status == "error" and "outside the range [1, 5] of metric 'precomputed:score'" in r.reason
    # in range: evaluated as before (one value exactly on each bound is fine)
    assert gate(_score_portfolio(range=[1, 5]), _scored([1.0] + [4.0] * 98 + [5.0])).exit_code == 0


def test_13_4_baseline_out_of_range_is_an_error_too():
    p = _score_portfolio(threshold=0.5, range=[1, 5], gate_kw={"mode": "relative"})
    cand = _scored([4.0] * 100)
    base = _scored([4.0] * 99 + [40.0]).assign(run_id="b", model="b")
    r = gate(p, cand, base).results[0]
    assert r.status == "error" and "the baseline's 'score'" in r.reason and "q99" in r.reason


def test_15_6_infinite_and_non_numeric_values_fail_closed_with_the_reason():
    inf = gate(_score_portfolio(), _scored([np.inf] * 300))  # higher is better: +inf "passed" a mean gate
    assert inf.exit_code == 2 and "300 value(s) of 'score' are infinite" in inf.results[0].reason
    neg = gate(_score_portfolio(direction="lower", rule="ci_upper"), _scored([1.0] * 299 + [-np.inf]))
    assert neg.exit_code == 2 and "1 value(s) of 'score' are infinite (item_id q299" in neg.results[0].reason
    text = gate(_score_portfolio(), _scored([4.0] * 200 + ["n/a"]))
    assert text.exit_code == 2 and "1 value(s) of 'score' are not numbers (item_id q200; e.g. 'n/a')" in text.results[0].reason


@pytest.mark.parametrize("n_missing,n", [(150, 200), (150, 300)])
def test_13_5_and_15_6_missing_values_below_min_coverage_fail_closed(n_missing, n):
    values = [4.0] * (n - n_missing) + [np.nan] * n_missing
    report = gate(_score_portfolio(range=[1, 5]), _scored(values))
    (r,) = report.results
    assert r.status == "fail" and report.exit_code == 1
    assert f"only {n - n_missing} of {n} items have usable values (min_coverage 90%)" in r.reason
    assert r.coverage == pytest.approx((n - n_missing) / n)
    # the floor is a setting: lowered on purpose, the same data is evaluated (and passes)
    lowered = gate(_score_portfolio(range=[1, 5], gate_kw={"min_coverage": 0.2}), _scored(values))
    assert lowered.exit_code == 0 and lowered.results[0].n == n - n_missing


def test_min_coverage_applies_within_each_slice_and_to_relative_pairs():
    values = [4.0] * 100 + [4.0] * 40 + [np.nan] * 60          # slice b: 40 of 100 have a value
    frame = _scored(values, part=["a"] * 100 + ["b"] * 100)
    p = _score_portfolio(range=[1, 5], gate_kw={"min_coverage": 0.5, "slices": [SliceGate(by="part", min_n=10)]})
    by = {r.label: r for r in gate(p, frame).results}
    assert by["score"].status == "pass"                          # 140 of 200 = 70% >= 50%
    assert by["score [part=a]"].status == "pass"
    assert by["score [part=b]"].status == "fail" and "only 40 of 100 items" in by["score [part=b]"].reason
    # relative: half of the candidate's items have no baseline -> coverage of the pairs is 50%
    rel = _score_portfolio(threshold=0.5, range=[1, 5], gate_kw={"mode": "relative"})
    cand = _scored([4.0] * 200)
    base = cand.iloc[:100].assign(run_id="b", model="b")
    r = gate(rel, cand, base).results[0]
    assert r.status == "fail" and "only 100 of 200 items have usable matched candidate/baseline pairs" in r.reason


def _render_markdown(text: str) -> str:
    # an independent CommonMark renderer with GFM tables (markdown-it-py)
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(text)


def test_13_6_markdown_report_keeps_untrusted_slice_values_inert():
    import re

    evil = ["![pixel](https://evil.example/p.png)", "[click me](javascript:alert(1))", "@octocat please merge",
            "<img src=x onerror=alert(1)>", "**bold** _it_", "a|b|c", "``tick` run``", "see #123 https://evil.example",
            "line\nbreak\r\x00"]
    n = len(evil)
    frame = _scored([4.0] * (40 * n), category=[v for v in evil for _ in range(40)])
    report = gate(_score_portfolio(range=[1, 5], gate_kw={"slices": [SliceGate(by="category", min_n=10)]}), frame)
    rendered = _render_markdown(report.to_markdown())
    rows = re.findall(r"<tr>(.*?)</tr>", rendered, flags=re.S)
    assert len(rows) == 1 + 1 + n                                  # header, overall, one row per slice value
    assert all(row.count("<td>") == 9 for row in rows[1:])         # no value split or merged a cell
    assert not re.search(r"<(img|a|strong|em|script)\b", rendered)
    outside_code = re.sub(r"<code>.*?</code>", "", rendered, flags=re.S)
    for needle in ("@octocat", "evil.example", "#123", "javascript", "onerror"):
        assert needle not in outside_code, needle                 # mentions, refs, autolinks only inside code
    assert "@octocat please merge" in rendered and "a|b|c" in rendered  # shown, literally
    # the headline's portfolio and run names are untrusted too
    named = gate(Portfolio(name="![x](https://evil.example/y.png)", outcome=Outcome(kpi="k"),
                           primary=_score_portfolio(range=[1, 5]).primary), frame.assign(run_id="@octocat", model="@octocat"))
    head = _render_markdown(named.to_markdown().split("\n", 1)[0])
    assert "<img" not in head and "@octocat" not in re.sub(r"<code>.*?</code>", "", head)


def test_13_6_printed_summary_cannot_inject_lines_or_terminal_codes():
    # stdout of `evalnb gate` lands in CI logs, where a line "::add-mask::..." is a workflow command
    evil = "eu\n::add-mask::secret\r\x1b[2J\x1b[31mred"
    frame = _scored([4.0] * 80, category=[evil, "us"] * 40)
    report = gate(_score_portfolio(range=[1, 5], gate_kw={"slices": [SliceGate(by="category", min_n=10)]}), frame)
    text = report.summary()
    assert not any(line.startswith("::") for line in text.splitlines())
    assert "\x1b" not in text and "\r" not in text
    assert "category=eu\\n::add-mask::secret\\r\\x1b[2J" in text      # shown, escaped


def test_large_sample_mean_gate_p_value_is_the_one_sided_t_test():
    """Above the bootstrap's size limit a mean gate's p-value is the one-sided one-sample t-test
    (scipy), for either direction (a mutation run found the t-test path untested)."""
    from scipy.stats import ttest_1samp

    from evalnb.stats.intervals import MAX_BOOT_N

    rng = np.random.default_rng(3)
    values = rng.normal(0.62, 0.2, MAX_BOOT_N + 500)
    for direction, threshold, alternative in (("higher", 0.615, "greater"), ("lower", 0.625, "less")):
        p = Portfolio(name="p", outcome=Outcome(kpi="thumbs_up"),
                      primary=[MetricSpec(name="resolved", source="column", direction=direction,
                                          gate=Gate(threshold=threshold, rule="ci_lower" if direction == "higher"
                                                    else "ci_upper", min_n=50))])
        (r,) = gate(p, _run(values)).results
        expected = ttest_1samp(values, threshold, alternative=alternative).pvalue
        assert r.p_value == pytest.approx(expected, rel=1e-9)


def test_gate_report_records_the_adjustment_and_its_chart_plots_the_estimate():
    values = [1.0] * 86 + [0.0] * 14
    report = gate(_portfolio(threshold=0.75), _run(values), adjust="holm")
    assert report.adjust == "holm" and gate(_portfolio(threshold=0.75), _run(values)).adjust == "none"
    layers = report.chart().to_dict()["layer"]
    points = [lay for lay in layers if (lay["mark"]["type"] if isinstance(lay["mark"], dict) else lay["mark"]) == "point"]
    assert len(points) == 1 and points[0]["encoding"]["x"]["field"] == "estimate"


def test_a_slice_on_a_missing_column_is_one_error_row_labelled_with_the_slice():
    report = gate(_portfolio(slices=[SliceGate(by="region", min_n=5)]), _run([1.0] * 90 + [0.0] * 10))
    errors = [r for r in report.results if r.status == "error"]
    assert len(errors) == 1 and errors[0].slice == "region=?" and "'region' is not in the run" in errors[0].reason

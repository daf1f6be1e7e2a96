"""Issue 17 (part): the report opens with the decision (model x gate matrix) and takes a baseline."""
from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

import evalnb
from evalnb.portfolio.config import Gate, MetricSpec, Outcome, Portfolio


@pytest.fixture(scope="module")
def small(sample_runs):
    df = sample_runs.df
    return df[df["item_id"].isin(df["item_id"].drop_duplicates().head(150))].drop(
        columns=["source_file", "source_line"], errors="ignore").reset_index(drop=True)


def _portfolio(mode: str = "absolute") -> Portfolio:
    gate = Gate(threshold=3.6, rule="point", min_n=50) if mode == "absolute" else \
        Gate(mode="relative", threshold=0.3, rule="point", min_n=50)
    return Portfolio(name="p", outcome=Outcome(kpi="thumbs_up"),
                     primary=[MetricSpec(name="judge_faithfulness", source="column", direction="higher", gate=gate)])


def test_the_decision_matrix_comes_first_and_agrees_with_gate(small):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = evalnb.report(small, portfolio=_portfolio())
    assert list(rep.sections)[0] == "Decision" and rep.sections["Decision"] == "ok"
    matrix = rep.tables["decision"].set_index("model")
    for model in small["model"].unique():   # the oracle: evalnb.gate on that model's rows
        expected = evalnb.gate(_portfolio(), small[small["model"] == model].reset_index(drop=True)).status
        assert matrix.loc[model, "all_gates"] == expected
    # coloured cells, and the decision section is the first <details> and open
    first = re.search(r'<section id="(\w+)"><details( open)?>', rep.html)
    assert first.group(1) == "decision" and first.group(2) == " open"
    assert 'class="gate-pass"' in rep.html or 'class="gate-fail"' in rep.html
    assert "Appendix: how each number was made" in rep.html


def test_relative_gates_need_and_use_a_baseline(small):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        without = evalnb.report(small, portfolio=_portfolio("relative"))
        with_base = evalnb.report(small, portfolio=_portfolio("relative"), baseline="nova-medium")
    assert set(without.tables["gates"]["status"]) == {"error"}
    gates = with_base.tables["gates"]
    assert "nova-medium" not in set(gates["model"]) and set(gates["status"]) <= {"pass", "fail"}
    base = small[small["model"] == "nova-medium"].reset_index(drop=True)
    for model, status in zip(gates["model"], gates["status"]):
        cand = small[small["model"] == model].reset_index(drop=True)
        assert status == evalnb.gate(_portfolio("relative"), cand, baseline=base).status


def test_cli_report_baseline(small, tmp_path):
    from evalnb.cli import main

    import json
    from pathlib import Path

    keep = set(small["item_id"])
    runs = tmp_path / "runs.jsonl"   # the sample files' own lines for those items
    runs.write_text("".join(line for f in sorted(Path("sample_data/runs").glob("*.jsonl"))
                            for line in f.read_text(encoding="utf-8").splitlines(keepends=True)
                            if json.loads(line)["item_id"] in keep), encoding="utf-8")
    port = tmp_path / "p.yaml"
    _portfolio("relative").write(port)
    out = tmp_path / "r.html"
    assert main(["report", str(runs), "--portfolio", str(port), "--baseline", "nova-medium", "-o", str(out)]) == 0
    html = out.read_text()
    assert "relative gates against the baseline nova-medium" in html and 'class="gate-error"' not in html


# -- the first screen also answers: what changed, which metrics predict the KPI, the top alerts ------
def _decision_html(html: str) -> str:
    return html[html.index('<section id="decision">'): html.index("</section>", html.index('<section id="decision">'))]


@pytest.fixture(scope="module")
def with_baseline(small, sample_kpis):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return evalnb.report(small, kpis=sample_kpis, kpi="thumbs_up", portfolio=_portfolio(),
                             baseline="nova-medium", interactive=True, progress=False)


def test_decision_lists_compares_significant_changes_against_the_baseline(small, with_baseline):
    rep = with_baseline
    assert all(v == "ok" for k, v in rep.sections.items() if k != "Drift"), rep.sections
    assert rep.sections["Drift"] == "not available: not checked: the runs cover one month only (2026-05)"
    metrics = list(rep.tables["compare"]["metric"].unique())
    expected = []
    for cand in sorted(set(small["model"]) - {"nova-medium"}):   # the oracle: the public compare()
        res = evalnb.compare(small, baseline="nova-medium", candidate=cand, metrics=metrics, n_boot=1000, seed=0)
        frame = res.to_frame()
        expected += [(cand, m) for m in frame.loc[frame["significant"].astype(bool) & frame["metric"].isin(metrics), "metric"]]
    assert expected, "the fixture should have significant changes"
    got = rep.tables["decision_changes"]
    assert sorted(zip(got["model"], got["metric"])) == sorted(expected)
    section = _decision_html(rep.html)
    assert 'href="#compare">Changed against nova-medium' in section
    changes = section[section.index("Changed against"):section.index("</div>", section.index("Changed against"))]
    shown = re.findall(r"<li>(\S+) (\S+): ", changes)
    assert set(shown) <= set(expected) and len(shown) == min(len(expected), 8)
    assert "nova-medium" not in set(got["model"])
    assert set(rep.tables["compare"]["model"]) == set(small["model"]) - {"nova-medium"}


def test_decision_forest_plot_values_are_correlates_estimates(small, sample_kpis, with_baseline):
    import json

    rep = with_baseline
    specs = json.loads(re.search(r'<script type="application/json" id="evalnb-specs">(.*?)</script>',
                                 rep.html, re.S).group(1))
    forest = next(s for s in specs if str(s.get("description", "")).startswith("Forest plot"))
    values = [v for data in forest["datasets"].values() for v in data]
    drawn = {v["metric"]: (v["estimate"], v["ci_low"], v["ci_high"]) for v in values}
    metrics = list(rep.tables["kpi_validation"]["metric"].unique())
    joined = evalnb.join_kpis(small, sample_kpis)   # the oracle: the public correlate()
    frame = evalnb.correlate(joined, metrics=metrics, targets=["thumbs_up"], n_boot=500, seed=0).to_frame()
    frame = frame[(frame["method"] == frame["method"].iloc[0]) & (frame["level"] == frame["level"].iloc[0])]
    assert set(drawn) == set(frame["metric"]) and len(drawn) >= 2
    for row in frame.itertuples():
        assert drawn[row.metric] == pytest.approx((row.estimate, row.ci_low, row.ci_high), rel=1e-9)
    assert 'href="#kpi"' in _decision_html(rep.html)


def test_decision_alerts_are_worst_slices_top_rows(small, with_baseline):
    rep = with_baseline
    # the oracle: worst_slices on the quality metric (judge 1-5 scale: failure below 3), by category
    frame = evalnb.worst_slices(small, metric="judge_faithfulness", by=["category"], failure="<3").to_frame()
    top = list(frame.loc[frame["significant"].astype(bool), "slice"].head(5))
    assert top, "the fixture should have significant slices"
    assert list(rep.tables["decision_alerts"]["slice"]) == top
    section = _decision_html(rep.html)
    import html as _html

    positions = [section.index(f"<li>{_html.escape(s)}: failure rate") for s in top]
    assert positions == sorted(positions) and 'href="#failures">Top alerts' in section


def test_decision_digest_escapes_hostile_names(small, sample_kpis):
    evil = '<img src=x onerror=alert(1)>"&'
    df = small.assign(model=small["model"].replace("swift-small", evil),
                      category=small["category"].replace("billing", "<b>bill</b>"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = evalnb.report(df, kpis=sample_kpis, kpi="thumbs_up", portfolio=_portfolio(), baseline=evil,
                            progress=False)
    section = _decision_html(rep.html)
    assert "<img src=x" not in rep.html and "<b>bill</b>" not in rep.html
    assert "Changed against &lt;img src=x onerror=alert(1)&gt;&#x27;" in section or \
        "Changed against &lt;img src=x onerror=alert(1)&gt;&quot;&amp;" in section
    assert "&lt;b&gt;bill&lt;/b&gt;" in section


# -- the first screen's alerts include drift and validity drift (the Explorer's window rule) --------
@pytest.fixture(scope="module")
def full_report(sample_runs, sample_kpis):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return evalnb.report(sample_runs, kpis=sample_kpis, kpi="thumbs_up", portfolio=_portfolio(), progress=False)


def _score_metrics(rep) -> list[str]:
    frame = rep.tables["drift"]
    return list(frame.loc[frame["section"] == "score", "metric"])


def test_decision_lists_drift_alerts_of_the_newest_month(sample_runs, sample_kpis, full_report):
    rep = full_report
    assert rep.sections["Drift"] == "ok", rep.sections
    metrics = _score_metrics(rep)
    assert {"judge_faithfulness", "judge_relevance"} <= set(metrics)
    # the oracle: the public drift() on windows cut by hand at the newest month the sample covers
    joined = evalnb.join_kpis(sample_runs, sample_kpis)
    stamps = pd.to_datetime(joined["timestamp"], utc=True)
    cut = pd.Timestamp("2026-10-01", tz="UTC")
    expected = evalnb.drift(joined[stamps < cut], joined[stamps >= cut], metrics=metrics, kpi="thumbs_up",
                            portfolio=_portfolio(), n_boot=300, seed=0)
    want = [(a.kind, a.column, a.message) for a in expected.alerts if a.kind != "validity"][:5]
    got = rep.tables["decision_drift"]
    assert list(zip(got["kind"], got["column"], got["message"])) == want
    # the planted October shifts (sample_data/README.md): billing share, longer inputs
    assert ("categorical", "category") in {(k, c) for k, c, _ in want}
    assert ("text_length", "input_length") in {(k, c) for k, c, _ in want}
    section = _decision_html(rep.html)
    assert 'href="#drift">Top alerts: drift from 2026-10 vs before 2026-10' in section
    import html as _html

    positions = [section.index(f"<li>{_html.escape(k)} {_html.escape(c)}: {_html.escape(m)}") for k, c, m in want]
    assert positions == sorted(positions)


def test_decision_lists_validity_drift_alerts(sample_runs, sample_kpis, full_report):
    rep = full_report
    # asked of the higher-is-better metrics only (judge_safety_violation falls as thumbs_up rises)
    metrics = [m for m in _score_metrics(rep) if m != "judge_safety_violation"]
    assert "judge_safety_violation" in _score_metrics(rep) and len(metrics) >= 3
    joined = evalnb.join_kpis(sample_runs, sample_kpis)   # the oracle: the public validity_drift()
    alerts = evalnb.validity_drift(joined, metrics, "thumbs_up", n_boot=300, seed=0).alerts
    got = rep.tables["decision_validity"]
    assert list(zip(got["window"], got["metric"])) == list(zip(alerts["window"], alerts["metric"]))[:5]
    # the planted decoupling: judge_relevance stops predicting thumbs_up in October 2026
    assert ("2026-10", "judge_relevance") in set(zip(got["window"], got["metric"]))
    assert set(got["status"]) <= {"weakened", "decoupled"}
    section = _decision_html(rep.html)
    assert 'Top alerts: validity drift' in section and "<li>judge_relevance in 2026-10: association with thumbs_up" in section


def test_drift_window_option_and_cli(sample_runs, tmp_path):
    from evalnb.cli import main

    df = sample_runs.df[sample_runs.df["model"].isin(["nova-medium", "swift-small"])]
    df = df.drop(columns=["source_file", "source_line"], errors="ignore").reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = evalnb.report(df, portfolio=_portfolio(), drift_window="2026-08", progress=False)
    got = rep.tables["decision_drift"]
    stamps = pd.to_datetime(df["timestamp"], utc=True)
    cut = pd.Timestamp("2026-08-01", tz="UTC")
    expected = evalnb.drift(df[stamps < cut], df[stamps >= cut], metrics=_score_metrics(rep),
                            portfolio=_portfolio(), n_boot=300, seed=0)
    assert list(got["message"]) == [a.message for a in expected.alerts][:5]
    assert "Top alerts: drift from 2026-08 vs before 2026-08" in rep.html
    import json
    from pathlib import Path

    runs = tmp_path / "runs.jsonl"   # the sample files' own lines for those models
    runs.write_text("".join(line for f in sorted(Path("sample_data/runs").glob("*.jsonl"))
                            for line in f.read_text(encoding="utf-8").splitlines(keepends=True)
                            if json.loads(line)["model"] in ("nova-medium", "swift-small")), encoding="utf-8")
    port = tmp_path / "p.yaml"
    _portfolio().write(port)
    out = tmp_path / "r.html"
    assert main(["report", str(runs), "--portfolio", str(port), "--drift-window", "2026-07", "-o", str(out)]) == 0
    assert "Top alerts: drift from 2026-07 vs before 2026-07" in out.read_text()
    # a month the data does not split at: the drift section says so, the rest of the report renders
    bad = tmp_path / "bad.html"
    assert main(["report", str(runs), "--portfolio", str(port), "--drift-window", "2027-01", "-o", str(bad)]) == 0
    text = bad.read_text()
    assert "drift window 2027-01 leaves a window empty" in text and 'class="gate-' in text


def test_without_timestamps_drift_is_marked_not_checked(small):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = evalnb.report(small.drop(columns=["timestamp"]), portfolio=_portfolio(), progress=False)
    assert rep.sections["Drift"] == "not available: not checked: the runs have no timestamps"
    assert "not checked: the runs have no timestamps." in _decision_html(rep.html)
    assert "decision_drift" not in rep.tables

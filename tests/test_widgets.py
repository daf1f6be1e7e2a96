"""Widget logic without a browser: set widget values, click buttons, assert on what the core returns.

The numbers shown by a view must be the numbers the public API returns for the same request.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evalnb
from evalnb.widgets import Explorer, Session, enable_offline_charts
from evalnb.widgets._slicer import SliceIndex, naive_stats

from _report_helpers import hostile_frame


def _cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)


def _numbers(html: str) -> list[float]:
    """Every number shown in the table's cells (formatted as 1,590 ms / $0.0035 / 12.5% / 0.42 [..])."""
    out = []
    for cell in _cells(html):
        for m in re.findall(r"-?[\d,]*\.?\d+(?:e[+-]?\d+)?", cell.replace("$", "")):
            try:
                out.append(float(m.replace(",", "")))
            except ValueError:
                pass
    return out


def _shown(html: str, value: float, rel: float = 0.006) -> bool:
    """The value appears in the table at its displayed precision (3 significant digits)."""
    return any(abs(v - value) <= rel * max(abs(value), 1e-9) + 5e-4 for v in _numbers(html))


@pytest.fixture(scope="module")
def app(sample_runs, sample_kpis, tmp_path_factory):
    out = tmp_path_factory.mktemp("portfolio") / "portfolio.yaml"
    return Explorer(sample_runs, kpis=sample_kpis, portfolio_path=str(out))


# -- the fast slice index equals pandas --------------------------------------------------------
def _random_frame(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"model": rng.choice(["a", "b", "c"], n), "cat": rng.choice(["x", "y", "z", "w"], n),
                       "v": rng.normal(size=n)})
    df.loc[rng.random(n) < 0.1, "v"] = np.nan
    df.loc[rng.random(n) < 0.05, "cat"] = None
    return df


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 400), q=st.floats(0, 1),
       allowed=st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True))
def test_slice_index_equals_pandas(seed, n, q, allowed):
    df = _random_frame(seed, n)
    idx = SliceIndex(df, ["model", "cat"], ["v"])
    ours = idx.stats("cat", "v", filters={"model": allowed}, quantiles=(0.5, q), fail_below=0.0)
    sub = df[df["model"].isin(allowed)].assign(cat=lambda d: d["cat"].fillna("(missing)"))
    sub = sub.dropna(subset=["v"])
    g = sub.groupby("cat")["v"]
    if sub.empty:
        assert ours.empty
        return
    expected = pd.DataFrame({"n": g.size(), "mean": g.mean(), "p50": g.quantile(0.5), "pq": g.quantile(q),
                             "fails": g.apply(lambda s: int((s < 0).sum()))}).reset_index()
    ours = ours.set_index("slice").loc[expected["cat"]]
    assert ours["n"].tolist() == expected["n"].tolist()
    np.testing.assert_allclose(ours["mean"], expected["mean"], rtol=1e-12, atol=1e-12)  # summation order
    np.testing.assert_allclose(ours["p50"], expected["p50"], rtol=1e-12)
    np.testing.assert_allclose(ours[f"p{q * 100:g}"], expected["pq"], rtol=1e-12, atol=1e-12)
    assert ours["failures"].tolist() == expected["fails"].tolist()
    assert int(ours["n"].sum()) == len(sub)        # slice counts sum to the selected total


def test_naive_peer_agrees_on_sample(sample_runs):
    df = sample_runs.df
    idx = SliceIndex(df, ["model", "category"], ["latency_ms"])
    ours = idx.stats("category", "latency_ms", filters={"model": ["swift-small"]})
    peer = naive_stats(df, "category", "latency_ms", filters={"model": ["swift-small"]})
    np.testing.assert_allclose(ours[["n", "mean", "p50", "p95"]].to_numpy(float),
                               peer[["n", "mean", "p50", "p95"]].to_numpy(float), rtol=1e-12)


# -- charts -----------------------------------------------------------------------------------
def test_offline_renderer_refuses_cdn_and_mimetype():
    with pytest.raises(ValueError, match="offline"):
        enable_offline_charts("mimetype")
    assert enable_offline_charts() == "svg"
    import altair as alt

    bundle = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x")._repr_mimebundle_()
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "image/svg+xml" in bundle and "<svg" in bundle["image/svg+xml"]


# -- Runs --------------------------------------------------------------------------------------
def test_runs_view_model_dropdown_filters(app, sample_runs):
    view, s = app.runs, app.session
    view.model.value = "swift-small"
    assert s.models == ["swift-small"]
    table = s.slice_table()
    assert table["n"].sum() == sample_runs.df.loc[sample_runs.df.model == "swift-small", s.metric].notna().sum()
    html_one = view.table.value
    view.model.value = "atlas-large"
    assert view.table.value != html_one and "atlas-large" in view.table.value
    view.model.value = "(all models)"
    assert s.models == []


# -- Failures ----------------------------------------------------------------------------------
def test_failures_slice_drill_and_worst(app, sample_runs):
    f, s = app.failures, app.session
    f.slice_by.value = "category"
    f.metric.value = "judge_faithfulness"
    f.threshold.value = 3.0
    assert f.rule.value == "failure: judge_faithfulness < 3"
    # the table's billing row equals a direct pandas computation
    df = sample_runs.df
    billing = df[df.category == "billing"]["judge_faithfulness"].dropna()
    table = s.slice_table().set_index("category")
    assert table.loc["billing", "failures"] == int((billing < 3).sum())
    # drill: choose a slice, the item list follows, the first item's card shows escaped texts
    f.slice_value.value = "billing"
    keys = [k for _, k in f.items.options]
    assert keys and all(df.loc[int(k.rsplit("|", 1)[1]), "category"] == "billing" for k in keys)
    f.items.value = keys[1]
    row = df.loc[int(keys[1].rsplit("|", 1)[1])]
    assert s.item == keys[1]
    assert "evalnb-field" in f.detail.value and row["item_id"] in f.detail.value
    # worst slices: the button shows what evalnb.worst_slices returns
    f.find.click()
    direct = evalnb.worst_slices(s.selected_frame(), metric="judge_faithfulness", by=["category"], failure="<3",
                                 higher_is_better=True).to_frame()
    assert direct["slice"].iloc[0] in f.worst.value


def test_planted_failure_slice_found(app):
    """swift-small fails much more in billing (a planted truth): the worst-slice search finds it."""
    f, s = app.failures, app.session
    f.slice_by.value = "category"
    f.metric.value = "judge_faithfulness"
    f.threshold.value = 3.0
    f.find.click()
    assert "model=swift-small, category=billing" in f.worst.value
    # the slice table for swift-small ranks billing first; pandas on the same rows is the oracle
    before = list(s.models)
    s.models = ["swift-small"]
    try:
        sub = s.frame[(s.frame["model"] == "swift-small") & s.frame["judge_faithfulness"].notna()]
        rates = (sub["judge_faithfulness"] < 3.0).groupby(sub["category"]).mean()
        table = s.slice_table(by="category", metric="judge_faithfulness")
        assert rates.idxmax() == "billing" and table.iloc[0]["category"] == "billing"
        assert table.iloc[0]["failure_rate"] == pytest.approx(rates.max())
    finally:
        s.models = before


def test_drill_down_escapes_hostile_text():
    s = Session(evalnb.load_runs(hostile_frame(20)))
    s.slice_by = "category"
    keys = s.items(slice_value="", limit=200)["key"].tolist()
    cards = "".join(s.item_html(k) for k in keys)
    assert "&lt;script&gt;" in cards
    assert not re.search(r"<(script|iframe|form|svg|style|img)\b", cards, re.I)
    assert "&lt;U+202E&gt;" in cards and "\u202e" not in cards          # R09 in review views
    # the slice picker's labels (browser text) show invisible characters too
    from evalnb.widgets import FailuresView

    v = FailuresView(s)
    v.slice_by.value = "model"
    assert all("\u202e" not in label for label, _ in v.items.options)


# -- Compare -----------------------------------------------------------------------------------
def test_compare_button_shows_core_result(app):
    c, s = app.compare, app.session
    c.baseline.value, c.candidate.value = "nova-medium", "swift-small"
    c.metrics.value = ("judge_relevance", "latency_ms")
    c.run.click()
    direct = evalnb.compare(s.frame, baseline="nova-medium", candidate="swift-small",
                            metrics=["judge_relevance", "latency_ms"], n_boot=1000, seed=0).to_frame()
    for value in direct["difference"]:
        assert _shown(c.result.value, value), value
    c.metrics.value = ("judge_relevance", "latency_ms", "cost_usd")
    c.summarize.click()
    assert "cost_usd" in c.table.value and "p95" in c.table.value


def test_pareto_frontier_excludes_the_most_expensive(app):
    table = app.session.pareto("judge_helpfulness")
    dearest = table.sort_values("cost_per_request").iloc[-1]
    assert dearest["model"] == "atlas-large" and not dearest["on_frontier"]


# -- KPI validation ------------------------------------------------------------------------------
def test_kpi_change_and_fit(app):
    k, s = app.kpi, app.session
    k.metrics.value = ("judge_relevance", "judge_faithfulness")
    k.kpi.value = "task_success"
    assert s.kpi == "task_success"
    k.level.value = "sample"
    k.fit.click()
    direct = s.correlate(["judge_relevance", "judge_faithfulness"], "task_success").to_frame()
    assert "task_success" in k.table.value
    assert _shown(k.table.value, direct["estimate"].iloc[0])
    assert k.model_table.value and len(k.forest.outputs) == 1 and len(k.scatter.outputs) == 1
    k.kpi.value = "thumbs_up"


# -- Portfolio -----------------------------------------------------------------------------------
def test_portfolio_threshold_preview_and_export(app, tmp_path):
    p, s = app.portfolio, app.session
    p.kpi.value = "thumbs_up"
    p.recommend.click()
    assert p.sliders, p.busy.label.value
    col, slider = next(iter(p.sliders.items()))
    before = p.last_preview
    slider.value = slider.max                         # a threshold nobody can meet
    after = p.last_preview
    rows = after[after["metric"] == col]
    assert (rows["status"] != "pass").all()
    assert not before[before["metric"] == col]["status"].equals(rows["status"]) or (before["status"] != "pass").all()
    p.path.value = str(tmp_path / "chosen.yaml")
    p.export.click()
    loaded = evalnb.load_portfolio(tmp_path / "chosen.yaml")
    gates = {m.column: m.gate.threshold for m in loaded.primary + loaded.safety + loaded.robustness if m.gate}
    assert gates[col] == pytest.approx(slider.value)
    assert str(tmp_path / "chosen.yaml") in p.exported.value


# -- Drift / judge -------------------------------------------------------------------------------
def test_drift_finds_planted_validity_drift(app):
    d = app.drift
    d.split.value = "2026-10"
    d.metrics.value = ("judge_relevance", "judge_faithfulness")
    d.run.click()
    assert "judge_relevance" in d.alerts.value and "validity" in d.alerts.value
    d.validate.click()
    assert "kappa" in d.judge_table.value.lower() or "spearman" in d.judge_table.value.lower()


def test_explorer_has_every_tab(app):
    assert [app.tabs.get_title(i) for i in range(6)] == ["Runs", "Compare", "Failures", "KPI validation",
                                                         "Portfolio", "Drift / judge"]


def test_drilled_slice_is_highlighted_in_the_chart(app):
    f, s = app.failures, app.session
    f.slice_by.value = "category"
    f.slice_value.value = "shipping"
    values = s.slice_chart().to_dict()
    data = next(iter(values["datasets"].values()))
    assert [r["category"] for r in data if r["drilled"] == "drilled into"] == ["shipping"]
    assert len(f.chart.outputs) == 1


# == issue 12: defects seen, each acted out as the front end would ===============================
def _oracle_slice(frame: pd.DataFrame, models: list[str], by: str, metric: str, threshold: float,
                  higher: bool) -> pd.DataFrame:
    """Per-slice n and failures straight from pandas (independent of the slice index)."""
    sub = frame[frame["model"].isin(models)] if models else frame
    sub = sub.dropna(subset=[metric])
    failed = sub[metric] < threshold if higher else sub[metric] > threshold
    return pd.DataFrame({"n": sub.groupby(by).size(), "failures": failed.groupby(sub[by]).sum()})


@pytest.fixture()
def fresh(sample_runs, sample_kpis, tmp_path):
    return Explorer(sample_runs, kpis=sample_kpis, portfolio_path=str(tmp_path / "portfolio.yaml"))


def test_d1_failures_tab_follows_the_runs_tab(fresh, sample_runs):
    """Defect 1: after visiting Runs, the Failures dropdowns and its table agree (one state)."""
    app = fresh
    app.failures.metric.value = "judge_faithfulness"
    app.failures.threshold.value = 3.0
    app.runs.metric.value = "judge_helpfulness"
    app.runs.threshold.value = 2.5
    f = app.failures
    assert f.metric.value == "judge_helpfulness" and f.threshold.value == 2.5
    oracle = _oracle_slice(sample_runs.df, [], "category", "judge_helpfulness", 2.5, True)
    billing = oracle.loc["billing"]
    assert "judge_helpfulness &lt; 2.5" in f.table.value or "judge_helpfulness < 2.5" in f.table.value
    table = app.session.slice_table().set_index("category")
    assert table.loc["billing", "failures"] == billing["failures"] and table.loc["billing", "n"] == billing["n"]
    assert f.drawn_with == app.session.state()


def test_d1_worst_slices_follow_a_threshold_change(fresh):
    f, s = fresh.failures, fresh.session
    f.metric.value = "judge_faithfulness"
    f.threshold.value = 3.0
    f.find.click()
    before = f.worst.value
    f.threshold.value = 4.5
    direct = evalnb.worst_slices(s.frame, metric="judge_faithfulness", by=["category"], failure="<4.5",
                                 higher_is_better=True).to_frame()
    assert f.worst.value != before and "judge_faithfulness &lt; 4.5" in f.worst.value
    assert _shown(f.worst.value, float(direct["failure_rate"].iloc[0]) * 100, rel=0.01)


def test_d1_drilled_slice_is_kept_by_value_not_position(fresh, sample_runs):
    f, s = fresh.failures, fresh.session
    f.slice_by.value = "task"
    f.metric.value = "judge_faithfulness"
    f.slice_value.value = "chat"
    for threshold in (2.0, 3.5, 4.8):           # the ranking of slices changes; the drilled one does not
        f.threshold.value = threshold
        assert s.slice_value == "chat" and f.slice_value.value == "chat"
        keys = [k for _, k in f.items.options]
        assert keys and all(sample_runs.df.loc[int(k.rsplit("|", 1)[1]), "task"] == "chat" for k in keys)
        assert s.item in keys


def test_d1_compare_ignores_the_runs_model_filter(fresh):
    app = fresh
    app.runs.model.value = "swift-small"
    assert app.session.models == ["swift-small"]
    c = app.compare
    c.metrics.value = ("judge_helpfulness", "cost_usd")
    c.summarize.click()
    direct = evalnb.summarize(app.session.frame, by=["model"], metrics=["judge_helpfulness", "cost_usd"],
                              n_boot=200, seed=0).to_frame()
    for model in direct["model"].unique():
        assert model in c.table.value
    spec = c.frontier.spec.to_dict()
    points = next(iter(spec["datasets"].values()))
    assert sorted(p["model"] for p in points) == sorted(direct["model"].unique())


def test_d2_empty_and_all_rejected_files_show_errors(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"model": "m"}\n{"item_id": "x"}\n')
    app = Explorer(str(empty))
    assert "the input is empty" in app.problems.value
    app = Explorer(str(bad))
    assert "all 2 rows were rejected" in app.problems.value
    direct = evalnb.load_runs(str(bad), strict=False).errors
    assert f"{len(direct)} problems in rejected rows" in app.errors.value
    assert "item_id" in app.errors.value and "bad.jsonl" in app.errors.value


def test_d3_kpi_log_matching_nothing_is_said_and_fit_does_not_crash(sample_runs, tmp_path):
    kpis = pd.read_csv("sample_data/kpis.csv")
    kpis["request_id"] = "other-" + kpis["request_id"].astype(str)
    path = tmp_path / "kpis.csv"
    kpis.to_csv(path, index=False)
    app = Explorer(sample_runs, kpis=str(path))
    n = len(sample_runs.df)
    first_eval = sample_runs.df["request_id"].iloc[0]
    shown = app.problems.value
    assert f"0 of {n:,} eval rows found an outcome" in shown and "the join key was request_id" in shown
    assert "first ids on each side" in shown and first_eval in shown and "other-" in shown
    assert len(app.tabs.children) == 6                       # the Explorer stays up
    k = app.kpi
    k.fit.click()                                # no exception reaches the caller
    assert "0 of" in k.busy.label.value and "evalnb-error" in k.busy.label.value
    assert "reshape" not in k.busy.label.value


def test_d4_progress_moves_during_summarize_and_cancel_stops_it(fresh):
    from evalnb.widgets._view import Busy

    busy = Busy(background=False)
    seen: list[float] = []
    original = busy.progress

    def spy(n, total, desc=""):
        seen.append(n)
        original(n, total, desc)

    busy.progress = spy
    with busy("summarize"):
        evalnb.summarize(fresh.session.frame, by=["model"], metrics=["judge_relevance", "latency_ms"], n_boot=50)
    assert len(seen) >= 3 and seen[-1] > seen[0]           # intermediate steps, not 0 -> done
    assert busy.bar.value == busy.bar.max
    # cancel: the next progress step raises inside the core and the view says so
    busy2 = Busy(background=False)
    with busy2("summarize"):
        busy2.cancel.click()
        evalnb.summarize(fresh.session.frame, by=["model"], metrics=["judge_relevance"], n_boot=50)
        raise AssertionError("not cancelled")
    assert busy2.error == "cancelled" and "cancelled" in busy2.label.value


def test_d5_numbers_formatted_by_kind():
    from evalnb.widgets._format import display_frame, fmt, fmt_estimate, readable_term

    assert fmt(1590.4, "latency_ms") == "1,590 ms"
    assert fmt(0.000354, "cost_usd") == "$0.000354"
    assert fmt(0.125, "failure_rate") == "12.5%"
    assert fmt(5.0, "folds") == "5" and fmt(7200.0, "excluded") == "7,200"
    assert fmt_estimate(0.4213, 0.4009, 0.4388) == "0.421 [0.401, 0.439]"
    assert fmt_estimate(1590.0, 1560.0, 1630.0, metric="latency_ms") == "1,590 [1,560, 1,630] ms"
    assert readable_term("Q('judge_relevance')") == "judge_relevance"
    assert readable_term("C(Q('category'))[T.billing]") == "category = billing"
    frame = pd.DataFrame({"metric": ["cost_usd", "latency_ms"], "statistic": ["mean", "p95"],
                          "estimate": [0.00031, 1590.0], "ci_low": [0.00029, 1560.0], "ci_high": [0.00033, 1630.0]})
    shown = display_frame(frame)
    assert shown["estimate [95% CI]"].tolist() == ["$0.00031 [$0.00029, $0.00033]", "1,590 [1,560, 1,630] ms"]


def test_d5_no_internals_leak_into_the_views(fresh):
    app = fresh
    k = app.kpi
    k.metrics.value = ("judge_relevance", "judge_faithfulness")
    k.controls.value = ("category",)
    k.kpi.value = "thumbs_up"
    k.fit.click()
    assert "Q(" not in k.model_table.value and "[T." not in k.model_table.value
    assert "category = billing" in k.model_table.value
    assert "e+0" not in k.table.value and "e-0" not in k.table.value
    # system level: units are the 4 models, not 9,600 rows
    k.level.value = "system"
    assert "units = models" in k.table.value and "9,600" not in k.table.value
    # identical warnings are grouped, not stacked
    small = [w for w in k.busy.caught if w.startswith("SmallSampleWarning")]
    assert len(small) == 1 and "(x" in small[0]
    # the item list says it is capped
    f = app.failures
    f.slice_value.value = "billing"
    total = int((app.session.frame["category"] == "billing").sum())
    assert f"showing 50 of {total:,} rows" in f.items_caption.value
    f.more.click()
    assert len(f.items.options) == 100
    # thresholds are rounded the way a person writes them
    app.runs.metric.value = "latency_ms"
    q75 = float(np.quantile(app.session.frame["latency_ms"].dropna(), 0.75))
    assert app.session.fail_threshold == float(f"{q75:.3g}")
    # a threshold set on one metric survives a visit to another
    app.runs.threshold.value = 2000.0
    app.runs.metric.value = "judge_relevance"
    app.runs.metric.value = "latency_ms"
    assert app.runs.threshold.value == 2000.0


def test_d6_charts_sized_to_be_read(fresh):
    app = fresh
    k = app.kpi
    k.metrics.value = ("judge_relevance", "judge_faithfulness", "judge_coherence")
    k.kpi.value = "thumbs_up"
    k.fit.click()
    spec = k.forest_chart.spec.to_dict()
    assert spec["spec"]["width"] * 3 >= 480                   # three level panels side by side
    data = next(iter(spec["datasets"].values()))
    assert {r["level"] for r in data} == {"sample", "group", "system"}
    assert {r["metric"] for r in data} == {"judge_relevance", "judge_faithfulness", "judge_coherence"}
    # a 0/1 KPI is shown as a rate per metric bin with intervals, not two overplotted lines
    scatter = k.scatter_chart.spec.to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in scatter["layer"]]
    assert "errorbar" in marks and scatter["width"] >= 480


def test_d7_export_uses_the_shared_defaults_and_warns(sample_runs, sample_kpis, tmp_path):
    from evalnb.portfolio.config import DEFAULT_MIN_N
    from evalnb.portfolio.selection import portfolio_from_selection

    app = Explorer(sample_runs, kpis=sample_kpis, portfolio_path=str(tmp_path / "p.yaml"))
    p = app.portfolio
    p.kpi.value = "thumbs_up"
    p.recommend.click()
    col, slider = next(iter(p.sliders.items()))
    slider.value = 4.720000000000001
    p.export.click()
    text = (tmp_path / "p.yaml").read_text()
    assert "4.720000000000001" not in text
    ours = evalnb.load_portfolio(tmp_path / "p.yaml")
    theirs = portfolio_from_selection(app.session.selection, dict(app.session.thresholds))
    for a, b in zip(ours.primary + ours.safety, theirs.primary + theirs.safety):
        assert (a.gate.rule, a.gate.min_n) == (b.gate.rule, b.gate.min_n)
        assert a.gate.min_n == DEFAULT_MIN_N
    assert ours.primary[0].gate.rule == ("ci_lower" if ours.primary[0].direction == "higher" else "ci_upper")
    # a mistyped folder is an error (nothing created) and the old "Written:" line goes away
    assert "Written" in p.exported.value
    p.path.value = str(tmp_path / "no_such_dir" / "p.yaml")
    p.export.click()
    assert not (tmp_path / "no_such_dir").exists()
    assert "Written" not in p.exported.value and "does not exist" in p.busy.label.value


def test_d7_export_warns_when_min_n_exceeds_items_per_model(sample_runs, sample_kpis, tmp_path):
    df = sample_runs.df
    keep = df["item_id"].isin(df["item_id"].drop_duplicates().head(60))      # 60 items per model < min_n
    app = Explorer(evalnb.Runs(df[keep].reset_index(drop=True)), kpis=sample_kpis,
                   portfolio_path=str(tmp_path / "small.yaml"))
    per_model = int(df[keep].groupby("model").size().min())
    p = app.portfolio
    p.recommend.click()
    p.export.click()
    assert "Written" in p.exported.value
    assert f"exceeds the items per model here ({per_model:,}" in p.exported.value


def test_interactive_failure_chart_click_reaches_the_session(sample_runs, sample_kpis):
    """What the browser sends when a bar is clicked (the JupyterChart's selection) drills in."""
    import altair as alt

    from evalnb.widgets import FailuresView

    s = Session(sample_runs, sample_kpis)
    f = FailuresView(s, interactive=True)
    assert alt.JupyterChart._is_offline                              # JS from vl-convert, no CDN
    esm = str(f.live.jchart._esm)
    assert not re.search(r"""(from|import)\s*\(?\s*["']https?://""", esm)   # no module loaded from a URL
    spec = f.live.jchart.chart.to_dict()
    assert any(p.get("name") == "slice" for p in spec.get("params", []))
    assert "tooltip" in spec["encoding"]
    target = [x for x in s.slice_labels() if x != s.slice_value][0]
    from evalnb.widgets.session import SLICE_FIELD

    f.live.jchart._vl_selections = {"slice": {"value": {"vlPoint": {"or": [{SLICE_FIELD: target}]}}, "store": []}}
    assert s.slice_value == target and f.slice_value.value == target
    keys = [k for _, k in f.items.options]
    assert all(s.frame.loc[s.position_of(k), "category"] == target for k in keys)


# == one state: random sequences of control changes and clicks across tabs ======================
@pytest.fixture(scope="module")
def state_app(sample_runs, sample_kpis, tmp_path_factory):
    return Explorer(sample_runs, kpis=sample_kpis, portfolio_path=str(tmp_path_factory.mktemp("st") / "p.yaml"))


def _act(app, action: str, pick: int) -> None:
    s = app.session

    def choose(options):
        opts = [o[1] if isinstance(o, tuple) else o for o in options]
        return opts[pick % len(opts)] if opts else None

    if action == "runs.model":
        app.runs.model.value = choose(app.runs.model.options)
    elif action == "runs.metric":
        app.runs.metric.value = choose(app.runs.metric.options)
    elif action == "runs.threshold":
        app.runs.threshold.value = float(np.quantile(s.frame[s.metric].dropna(), (pick % 9 + 1) / 10))
    elif action == "failures.slice_by":
        app.failures.slice_by.value = choose(["category", "task", "model"])
    elif action == "failures.metric":
        app.failures.metric.value = choose(app.failures.metric.options)
    elif action == "failures.threshold":
        app.failures.threshold.value = round(float(np.quantile(s.frame[s.metric].dropna(), (pick % 9 + 1) / 10)), 2)
    elif action == "failures.slice":
        app.failures.slice_value.value = choose(app.failures.slice_value.options)
    elif action == "failures.bar_click":       # what a click on a bar of the chart sends
        label = choose(s.slice_labels())
        from evalnb.widgets.session import SLICE_FIELD

        app.failures.live._on_selections({"new": {"slice": {"value": {"vlPoint": {"or": [{SLICE_FIELD: label}]}}}}})
    elif action == "failures.item":
        app.failures.items.value = choose(app.failures.items.options)
    elif action == "failures.find":
        app.failures.find.click()
    elif action == "compare.candidate":
        app.compare.candidate.value = choose(app.compare.candidate.options)
    elif action == "code.slice_by":              # code and clicks do the same thing
        s.slice_by = choose(s.group_columns)
    elif action == "code.models":
        s.models = [choose(s.all_models)] if pick % 3 else []


ACTIONS = ["runs.model", "runs.metric", "runs.threshold", "failures.slice_by", "failures.metric",
           "failures.threshold", "failures.slice", "failures.bar_click", "failures.item", "failures.find",
           "compare.candidate", "code.slice_by", "code.models"]


def _check(app) -> None:
    s = app.session
    state = s.state()
    # every visible control says what the session holds
    assert app.runs.metric.value == s.metric == app.failures.metric.value
    assert app.runs.threshold.value == s.fail_threshold == app.failures.threshold.value
    assert app.runs.slice_by.value == s.slice_by == app.failures.slice_by.value
    assert app.runs.model.value == (s.models[0] if s.models else "(all models)")
    assert app.failures.slice_value.value == s.slice_value and app.failures.items.value == (s.item or None)
    assert app.compare.candidate.value == s.candidate
    # and what each table/chart was computed with is that state
    assert app.runs.drawn_with == state and app.failures.drawn_with == state
    oracle = _oracle_slice(s.frame, list(s.models), s.slice_by, s.metric, s.fail_threshold,
                           s.higher_is_better(s.metric))
    table = s.slice_table().set_index(s.slice_by)
    for label in table.index[:3]:
        assert table.loc[label, "failures"] == oracle.loc[label, "failures"]
        assert table.loc[label, "n"] == oracle.loc[label, "n"]
    rows = [s.position_of(k) for _, k in app.failures.items.options]
    sub = s.frame.loc[rows]
    assert (sub[s.slice_by].astype(str) == s.slice_value).all()
    if s.models:
        assert sub["model"].isin(s.models).all()
    chart = app.failures.live.spec.to_dict()
    data = next(iter(chart["datasets"].values()))
    assert [r[s.slice_by] for r in data if r["drilled"] == "drilled into"] == [s.slice_value]
    assert all(r["evalnb_slice"] == r[s.slice_by] for r in data)
    assert f"{s.metric} {'<' if s.higher_is_better(s.metric) else '>'}" in chart["encoding"]["x"]["title"]
    if app.failures.worst_for is not None:
        assert app.failures.worst_for == {k: state[k] for k in ("models", "metric", "slice_by", "fail_threshold")}
    if app.compare.computed_with is not None:
        assert app.compare.computed_with["candidate"] == s.candidate


@settings(max_examples=12, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 50)), min_size=1, max_size=6))
def test_one_state_across_tabs(state_app, steps):
    for action, pick in steps:
        _act(state_app, action, pick)
        _check(state_app)


def test_forest_click_and_scatter_brush_reach_the_session(sample_runs, sample_kpis):
    """A click on a metric in the forest plot opens its scatter; brushing selects items."""
    from evalnb.widgets import KpiView

    s = Session(sample_runs, sample_kpis)
    k = KpiView(s, interactive=True)
    k.metrics.value = ("judge_relevance", "judge_faithfulness")
    k.kpi.value = "csat"
    k.fit.click()
    spec = k.forest_chart.jchart.chart.to_dict()
    import json

    assert '"name": "metric"' in json.dumps(spec) and '"tooltip"' in json.dumps(spec)
    k.forest_chart.jchart._vl_selections = {
        "metric": {"value": {"vlPoint": {"or": [{"metric": "judge_faithfulness"}]}}, "store": []}}
    assert s.focus_metric == "judge_faithfulness" and k.scatter_metric.value == "judge_faithfulness"
    scatter = k.scatter_chart.jchart.chart.to_dict()
    assert "judge_faithfulness" in str(scatter["title"])
    assert "by category" in k.per_slice.value and "judge_faithfulness" in k.per_slice.value
    # brushing: the box the browser sends selects exactly the rows inside it
    box = {"judge_faithfulness": [4.0, 5.0], "csat": [4, 5]}
    k.scatter_chart.jchart._vl_selections = {"items": {"value": box, "store": []}}
    df = s.frame
    inside = df[df["judge_faithfulness"].between(4.0, 5.0) & df["csat"].between(4, 5)]
    assert len(s.selected_items) == len(inside) > 0
    assert {s.position_of(key) for key in s.selected_items} == set(inside.index)
    assert f"{len(inside):,} items selected" in k.selection.value


def test_itable_rows_escaped_sortable_and_clickable():
    """Live tables: cells escaped, numbers shown by kind but sorted on raw values, a row click drills in."""
    import json

    from evalnb.widgets import FailuresView

    s = Session(evalnb.load_runs(hostile_frame(40)))
    s.slice_by = "model"
    f = FailuresView(s, interactive=True)
    args = f.table.itable._dt_args
    rows = json.loads(args["data_json"])
    assert "<script" not in args["data_json"].lower() and "<img" not in args["data_json"].lower()
    header = re.findall(r"<th>(.*?)</th>", args["table_html"])
    n_col = header.index("n")
    shown, raw = rows[0][n_col]
    assert isinstance(raw, float) and shown == f"{raw:,.0f}"
    assert args["columnDefs"][0]["className"] == "dt-right" and n_col in args["columnDefs"][0]["targets"]
    table = s.slice_table()
    target = 1 if len(table) > 1 else 0
    f.table.itable.selected_rows = [target]                      # what a row click sends
    assert s.slice_value == str(table.iloc[target]["model"])


def test_evalnb_magic_explore_gate_report(sample_runs, sample_kpis, tmp_path, capsys):
    """``%load_ext evalnb`` + ``%evalnb``: paths or notebook variables; problems in one line."""
    from IPython.core.interactiveshell import InteractiveShell

    from evalnb.widgets import Explorer as ExplorerClass

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "evalnb")
    ip.user_ns.update({"runs": sample_runs, "kpis": sample_kpis})
    app = ip.run_line_magic("evalnb", "explore runs --kpis kpis")
    assert isinstance(app, ExplorerClass) and len(app.session.frame) == len(sample_runs.df)
    app2 = ip.run_line_magic("evalnb", "explore sample_data/runs/swift-small.jsonl")
    assert app2.session.all_models == ["swift-small"]
    # cell form: one input per line
    app3 = ip.run_cell_magic("evalnb", "explore --kpis sample_data/kpis.csv", "sample_data/runs/*.jsonl\n")
    assert app3.session.kpi_columns
    # gate with a portfolio variable, on a run loaded from a path
    app.portfolio.recommend.click()
    ip.user_ns["portfolio"] = app.session.portfolio()
    rep = ip.run_line_magic("evalnb", "gate portfolio sample_data/runs/swift-small.jsonl")
    direct = evalnb.gate(app.session.portfolio(), evalnb.load_runs("sample_data/runs/swift-small.jsonl"))
    assert rep.to_frame()["status"].tolist() == direct.to_frame()["status"].tolist()
    # a problem is one line on stderr, not a traceback
    assert ip.run_line_magic("evalnb", "explore no/such/*.jsonl") is None
    err = capsys.readouterr().err
    assert "%evalnb: ValueError: no file matches" in err and "Traceback" not in err
    assert ip.run_line_magic("evalnb", "frobnicate") is None
    assert "usage: %evalnb explore" in capsys.readouterr().err


def test_items_order_equals_pandas_sort(sample_runs):
    s = Session(sample_runs)
    for metric in ("judge_faithfulness", "latency_ms"):
        s.metric = metric
        s.slice_by, s.slice_value = "category", "returns"
        df = sample_runs.df
        sub = df[df["category"] == "returns"].sort_values(metric, ascending=metric != "latency_ms", kind="stable")
        ours = s.items(limit=80)
        assert [s.position_of(k) for k in ours["key"]] == sub.index[:80].tolist()
        assert ours.attrs["total"] == len(sub)


def test_a_user_change_during_a_background_push_is_not_dropped():
    """A redraw pushing the state from a worker thread must not swallow the user's change that the
    kernel's main thread delivers meanwhile (the Explorer lost a KPI picked during a refit)."""
    import threading

    import ipywidgets as W
    import traitlets as t

    from evalnb.widgets._view import Binder

    class State(t.HasTraits):
        kpi = t.Unicode("csat")

    state, inside, release = State(), threading.Event(), threading.Event()

    def options():
        inside.set()
        release.wait(5)          # the push is under way in the worker thread
        return ["csat", "task_success"]

    binder = Binder(state)
    picker = binder.bind(W.Dropdown(options=["csat", "task_success"], value="csat"), "kpi", options=options)
    worker = threading.Thread(target=binder.push)
    worker.start()
    assert inside.wait(5)
    picker.value = "task_success"  # the user's pick, arriving on the main thread mid-push
    release.set()
    worker.join(5)
    assert state.kpi == "task_success"


def test_chart_lane_draws_in_the_background_only_with_a_frontend(monkeypatch):
    """A headless kernel (nbclient, export_notebook) saves the widget state when the cell ends: its charts
    must be drawn synchronously, or the exported page misses the ones still drawing."""
    import ipywidgets as W

    from evalnb.widgets import _view

    monkeypatch.setattr(_view, "_in_kernel", lambda: True)
    monkeypatch.delenv("EVALNB_INTERACTIVE", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert _view.ChartLane(W.Output()).background is False          # nbclient's kernel
    monkeypatch.setenv("JPY_SESSION_NAME", "quickstart.ipynb")
    assert _view.ChartLane(W.Output()).background is True           # JupyterLab with a person attached

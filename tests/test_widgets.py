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
    assert s.slice_table().iloc[0]["category"] == "billing" or s.models


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

"""Issue 13 item 25: column names that are Vega-Lite access paths (``meta.region``, ``a[0]``) chart correctly."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import evalnb
from evalnb.widgets import Session
from evalnb.widgets._altair import chart_svg


def _runs(slice_col: str, metric: str = "judge_relevance", n: int = 120) -> evalnb.Runs:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"run_id": "r", "model": "m", "item_id": [f"i{i}" for i in range(n)],
                       "request_id": [f"q{i}" for i in range(n)], "input": "x", "output": "y",
                       slice_col: np.array(["eu", "us", "apac"])[np.arange(n) % 3],
                       metric: rng.integers(1, 6, n).astype(float)})
    return evalnb.Runs(df)


def _axis_labels(svg: str) -> list[str]:
    return re.findall(r'<text[^>]*>([^<]*)</text>', svg)


@pytest.mark.parametrize("column", ["meta.region", "region[0]", "it's", 'say "x"', "a:b"])
def test_25_slice_chart_draws_every_slice_under_any_column_name(column):
    s = Session(_runs(column))
    s.metric = "judge_relevance"
    s.slice_by = column
    assert s.slice_by == column
    svg = chart_svg(s.slice_chart())                      # vl-convert renders what a browser would
    labels = _axis_labels(svg)
    assert {"eu", "us", "apac"} <= set(labels), labels
    assert "undefined" not in svg and "NaN" not in svg
    bars = re.findall(r'aria-roledescription="bar"[^>]*d="M', svg)
    assert len(bars) == 3
    assert column in labels or column.replace('"', "&quot;").replace("'", "&#x27;") in svg  # the name is the title


def test_25_scatter_chart_and_its_brush_under_dotted_names():
    runs = _runs("category", metric="judge.relevance")
    kpis = evalnb.Kpis(pd.DataFrame({"request_id": [f"q{i}" for i in range(120)],
                                     "csat": np.linspace(1, 5, 120)}))
    s = Session(runs, kpis=kpis)
    chart = s.scatter_chart("judge.relevance", "csat")
    svg = chart_svg(chart)
    assert "undefined" not in svg and "NaN" not in svg
    assert len(re.findall(r'aria-roledescription="circle"', svg)) == 120
    fit = re.findall(r'aria-roledescription="line mark" d="M[^"]+"', svg)
    assert fit, "the regression line was not drawn"
    assert "judge.relevance" in _axis_labels(svg)
    # the brush reports the chart's field names; the rows inside are found from them
    spec = chart.to_dict()
    x_field = spec["layer"][0]["encoding"]["x"]["field"]
    y_field = spec["layer"][0]["encoding"]["y"]["field"]
    keys = s.keys_in_box("judge.relevance", "csat", {x_field: [1, 5], y_field: [1, 2]})
    joined = s.joined_frame()
    want = joined.index[joined["judge.relevance"].between(1, 5) & joined["csat"].between(1, 2)]
    assert keys == [s.row_key(i) for i in want] and 0 < len(keys) < 120


def test_25_a_bar_click_reaches_the_session_under_a_dotted_slice_column():
    import vl_convert as vlc

    from evalnb.widgets.failures import FailuresView
    from evalnb.widgets.runs import RunsView

    s = Session(_runs("meta.region"))
    s.metric = "judge_relevance"
    s.slice_by = "meta.region"
    spec = s.slice_chart().to_dict()
    vega = vlc.vegalite_to_vega(spec)
    (fields,) = [sig["value"] for sig in vega["signals"] if sig["name"] == "slice_tuple_fields"]
    (name,) = [f["field"] for f in fields]
    rows = next(iter(spec["datasets"].values()))
    # Vega reads the clicked bar's datum[name] literally: it must be a key of the chart's rows
    assert sorted(r[name] for r in rows) == ["apac", "eu", "us"]
    for view in (FailuresView(s, interactive=False), RunsView(s, interactive=False)):
        s.slice_value = ""
        view._on_bar_click([{name: "us"}])                   # what the browser sends for a click on "us"
        assert s.slice_value == "us"

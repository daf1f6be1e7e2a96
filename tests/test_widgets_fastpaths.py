"""The Explorer's sort-free paths give the same answers as the sorted ones (issue 11 "sort lazily",
issue 12 "Speed"; the timings themselves are in benchmarks/bench_widgets.py):

* ``SliceIndex.stats`` before a metric is sorted (a first switch while the background warm-up still
  runs) answers with a radix regroup + ``np.partition``: equal to pandas' groupby quantiles and to
  the sorted path;
* ``SliceIndex.worst`` (the drill-down's item list) is a top-k by partition: exactly the first
  ``limit`` rows of a stable argsort, ties in row order and NaNs last, in both directions;
* the chart lane's long-lived worker draws the newest chart and reports when it is idle.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from widgets._slicer import SliceIndex


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    v = np.round(rng.normal(3, 1, n), 1)           # many ties
    v[rng.random(n) < 0.05] = np.nan
    g = rng.choice(["a", "b", "c", "d", None], n, p=[0.4, 0.3, 0.2, 0.09, 0.01])
    return pd.DataFrame({"g": g, "m": rng.choice(["x", "y"], n), "v": v})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unsorted_stats_equal_pandas_and_the_sorted_path(seed):
    df = _frame(30_000, seed)
    idx = SliceIndex(df, ["g", "m"], ["v"])
    assert ("g", "v") not in idx._codes_by_value
    for filters in (None, {"m": ["x"]}):
        before = idx.stats("g", "v", filters, quantiles=(0.5, 0.95, 0.01), fail_below=2.5)
        assert ("g", "v") not in idx._codes_by_value    # it did not sort on the interaction path
        sub = df if not filters else df[df["m"] == "x"]
        sub = sub.assign(g=sub["g"].fillna("(missing)"))
        ref = sub.groupby("g")["v"]
        want = pd.DataFrame({"n": ref.count(), "mean": ref.mean(), "p50": ref.quantile(0.5),
                             "p95": ref.quantile(0.95), "p1": ref.quantile(0.01)})
        got = before.set_index("slice")
        np.testing.assert_array_equal(got["n"], want.loc[got.index, "n"])
        for col in ("mean", "p50", "p95", "p1"):
            np.testing.assert_allclose(got[col], want.loc[got.index, col], rtol=1e-12)
        fails = (sub["v"] < 2.5).groupby(sub["g"]).sum()
        np.testing.assert_array_equal(got["failures"], fails.loc[got.index])
        idx.warm(["g"], ["v"])
        after = idx.stats("g", "v", filters, quantiles=(0.5, 0.95, 0.01), fail_below=2.5)
        pd.testing.assert_frame_equal(before.drop(columns="mean"), after.drop(columns="mean"))
        np.testing.assert_allclose(before["mean"], after["mean"], rtol=1e-12)
        idx = SliceIndex(df, ["g", "m"], ["v"])


@pytest.mark.parametrize("ascending", [True, False])
@pytest.mark.parametrize("limit", [1, 50, 700])
def test_worst_rows_are_a_stable_sorts_first_rows(ascending, limit):
    df = _frame(40_000, 7)
    idx = SliceIndex(df, ["g"], ["v"])
    rows = np.flatnonzero(df["g"].eq("a").to_numpy())
    v = df["v"].to_numpy()[rows]
    want = rows[np.argsort(v if ascending else -v, kind="stable")][:limit]
    np.testing.assert_array_equal(idx.worst(rows, "v", limit, ascending=ascending), want)


def test_worst_rows_with_fewer_values_than_the_limit_put_nans_last():
    n = 20_000
    v = np.full(n, np.nan)
    v[[5, 17, 900, 19_999]] = [2.0, 1.0, 2.0, 0.5]
    idx = SliceIndex(pd.DataFrame({"g": ["a"] * n, "v": v}), ["g"], ["v"])
    rows = np.arange(n)
    for asc in (True, False):
        want = rows[np.argsort(v if asc else -v, kind="stable")][:10]
        np.testing.assert_array_equal(idx.worst(rows, "v", 10, ascending=asc), want)
    assert idx.worst(rows, "v", 10).tolist()[:4] == [19_999, 17, 5, 900]


def test_chart_lane_worker_draws_the_newest_chart_and_goes_idle():
    import altair as alt
    import ipywidgets as W

    from widgets._view import ChartLane

    out = W.Output()
    lane = ChartLane(out, background=True)
    for title in ("first", "second", "third"):
        lane.draw(lambda title=title: alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
                  .properties(title=title))
    assert lane.wait(60)
    worker = lane._worker
    assert len(out.outputs) == 1 and "third" in out.outputs[0]["data"]["image/svg+xml"]
    lane.draw(lambda: 1 / 0)                           # a failing chart leaves the lane working
    lane.draw(lambda: alt.Chart(pd.DataFrame({"x": [1]})).mark_point().properties(title="fourth"))
    assert lane.wait(60) and "fourth" in out.outputs[0]["data"]["image/svg+xml"]
    assert lane._worker is worker and worker.is_alive()  # one thread for the lane's life

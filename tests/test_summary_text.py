"""Issue 14: ``.summary()`` always returns text -- :class:`evalnb._display.SummaryText`, a ``str``
in statsmodels' ``Summary`` style (``as_text``, escaped ``as_html``/``_repr_html_``, ``tables``).

Every public class in evalnb with a ``summary`` method is found by walking the package and must be
built here (from test_display's hostile sample data), so a new result cannot skip the rule. The
HTML is read back with the standard library's parser: no element from the data, the hostile name
and the bidi override shown escaped. ``Runs.summary().tables[0]`` is checked against a pandas
groupby written in the test.
"""
from __future__ import annotations

import pickle
import warnings
from html.parser import HTMLParser

import pandas as pd
import pytest

import evalnb
from evalnb._display import ResultDisplay, SummaryText, summary_text
from evalnb.metrics.judge.engine import RunStats
from evalnb.report.html import Report
from test_display import _build, classes_with_summary

pytestmark = pytest.mark.timeout(600)

IMG = "<img src=x onerror=alert(1)>"
RLO = "\u202e"
HOSTILE_MODEL = IMG + " evil" + RLO + "gpj.exe"


@pytest.fixture(scope="module")
def results(sample_joined) -> dict[str, object]:
    """test_display's results, built with a model, run and category name holding markup and U+202E."""
    import test_display

    df = sample_joined.copy()
    legacy = df["model"] == "legacy-v1"
    df.loc[legacy, "model"] = HOSTILE_MODEL
    df.loc[legacy, "run_id"] = "run " + HOSTILE_MODEL
    df["category"] = df["category"].replace({"billing": HOSTILE_MODEL})
    df[test_display.HOSTILE_METRIC] = df["judge_faithfulness"]
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as mp:
        warnings.simplefilter("ignore")
        mp.setattr(test_display, "HOSTILE", HOSTILE_MODEL)
        out = _build(df)
    out["Report"] = Report(html="<p>x</p>", path=None, tables={}, sections={HOSTILE_MODEL: "ok"})
    out["RunStats"] = RunStats(requests=3, unique=2, cache_hits=1, calls=1, attempts=2,
                               statuses={HOSTILE_MODEL: 1}, wall_s=0.5, peak_inflight=1)
    return out


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def _parse(fragment: str) -> _Elements:
    p = _Elements()
    p.feed(fragment)
    p.close()
    return p


def test_every_class_with_a_summary_is_built_here(results):
    found = classes_with_summary()
    assert len(found) >= 20
    assert sorted(set(found) - set(results)) == []
    assert {type(r).__name__ for r in results.values()} == set(results)


def test_every_summary_returns_summary_text_whose_str_is_its_text(results):
    for name, r in results.items():
        s = r.summary()
        assert type(s) is SummaryText, name
        assert isinstance(s, str) and s.strip(), name
        assert str(s) == s.as_text() == s and type(s.as_text()) is str and type(str(s)) is str, name
        assert s._repr_html_() == s.as_html(), name
        assert isinstance(s.title, str) and isinstance(s.tables, list), name
        assert all(isinstance(t, pd.DataFrame) for t in s.tables), name
        if isinstance(r, ResultDisplay):
            assert r._repr_mimebundle_(include={"text/plain"})["text/plain"] == s.as_text().replace("\x1b", "\\x1b")


@pytest.mark.parametrize("name", ["Runs", "Summary", "Comparison", "SliceReport", "SafetyReport", "Report",
                                  "RunStats", "PairwiseResult", "CostEstimate"])
def test_summary_html_escapes_a_hostile_model_name(results, name):
    s = results[name].summary()
    assert IMG in s, f"{name}: build it with the hostile name so its escaping is tested"
    html = s.as_html()
    parsed = _parse(html)
    assert "img" not in parsed.tags and "script" not in parsed.tags, name
    assert "&lt;img src=x onerror=alert(1)&gt;" in html, name
    assert RLO not in html, name
    shown = "".join(parsed.text)
    assert IMG in shown, name                                          # readable once decoded
    if RLO in s:                                                       # the bidi override as a badge
        assert "&lt;U+202E&gt;" in html and "<U+202E>" in shown, name


def test_runs_summary_table_equals_a_pandas_groupby(sample_runs):
    df = sample_runs.df.copy()
    df.loc[df.index[:5], "model"] = HOSTILE_MODEL
    s = evalnb.Runs(df).summary()
    assert type(s) is SummaryText and len(s.tables) == 1
    g = df.groupby("model")
    expected = pd.DataFrame({"model": sorted(df["model"].unique()),
                             "rows": [len(g.get_group(m)) for m in sorted(df["model"].unique())],
                             "items": [g.get_group(m)["item_id"].nunique() for m in sorted(df["model"].unique())],
                             "tasks": [g.get_group(m)["task"].nunique() for m in sorted(df["model"].unique())],
                             "categories": [g.get_group(m)["category"].nunique()
                                            for m in sorted(df["model"].unique())]})
    pd.testing.assert_frame_equal(s.tables[0], expected, check_dtype=False)
    assert s.title == f"Runs: {len(df):,} rows, {len(expected)} models" and s.startswith(s.title)
    for m in expected["model"]:
        assert m in s
    html = s.as_html()
    assert html.count("<table") == 1 and "&lt;img" in html and "<img" not in html
    assert "<img" not in evalnb.Runs(df)._repr_html_()


def test_repr_is_the_readable_text_and_survives_pickle():
    s = SummaryText("a\nb <i>x</i>\x1b[2J", tables=[pd.DataFrame({"x": [1]})])
    assert repr(s) == "a\nb <i>x</i>\\x1b[2J"                       # no quotes, real line breaks, ESC shown
    assert s.title == "a" and str(s).count("\n") == 1
    t = pickle.loads(pickle.dumps(s))
    assert type(t) is SummaryText and t == s and t.title == "a" and t.tables[0].equals(s.tables[0])
    assert SummaryText("x", title="T <b>").as_html().startswith('<div class="evalnb-summary"><p><b>T &lt;b&gt;</b></p>')


def test_summary_text_decorator_refuses_a_non_text_summary():
    class Bad(ResultDisplay):
        def summary(self):
            return pd.DataFrame({"a": [1]})

    with pytest.raises(TypeError, match="Bad.summary\\(\\) returned DataFrame; a summary is text"):
        Bad().summary()
    assert summary_text(Bad.summary) is Bad.summary                    # wrapped once

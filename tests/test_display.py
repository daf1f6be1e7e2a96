"""Issue 12: every result object shows itself one way (``_repr_mimebundle_``: text/plain,
text/markdown for GitHub and terminals, escaped text/html), and ``correlate(...).chart()`` shows
every level computed, side by side.

Oracles: the Markdown is rendered by markdown-it-py (CommonMark + GFM tables, raw HTML allowed,
as a notebook renders it) and its table is read back with the standard library's HTML parser,
then compared with ``.to_frame()``; the chart's plotted rows are compared with ``.to_frame()``.
"""
from __future__ import annotations

import dataclasses
import html
import importlib
import inspect
import json
import math
import pkgutil
import warnings
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import evalnb
from evalnb._display import DISPLAY_ROWS, ResultDisplay

pytestmark = pytest.mark.timeout(600)

HOSTILE = "<script>alert(1)</script> | a*b* _x_ @all #1"       # a model, run, category, item name
HOSTILE_METRIC = "<img src=x onerror=alert(1)> | m*"             # a metric column name
FORMS = {"text/plain", "text/markdown", "text/html"}
METRICS = ["judge_relevance", "judge_faithfulness"]


# ---- building every result type from the sample data, with a hostile model, run and category --------
@pytest.fixture(scope="module")
def hostile(sample_joined) -> pd.DataFrame:
    df = sample_joined.copy()
    legacy = df["model"] == "legacy-v1"
    df.loc[legacy, "model"] = HOSTILE
    df.loc[legacy, "run_id"] = "run " + HOSTILE
    df["category"] = df["category"].replace({"billing": HOSTILE})
    df[HOSTILE_METRIC] = df["judge_faithfulness"]
    return df


def _build(df: pd.DataFrame) -> dict[str, object]:
    from evalnb.metrics.code import Execution
    from evalnb.metrics.judge.cost import CostEstimate
    from evalnb.metrics.judge.pairwise import PairwiseResult
    from evalnb.metrics.judge.robustness import perturb, robustness
    from evalnb.metrics.judge.safety import bias_gap, bias_probes, safety_report
    from evalnb.metrics.judge.sampling import stratified_sample, weighted_rate
    from evalnb.metrics.sandbox import IsolationReport, Sandbox

    out: dict[str, object] = {}
    named = ["judge_relevance", HOSTILE_METRIC]
    out["Runs"] = evalnb.Runs(df)
    out["Scores"] = evalnb.score(df, [evalnb.metric("precomputed", column="judge_relevance")], progress=False)
    out["Summary"] = evalnb.summarize(df, metrics=METRICS, n_boot=50, progress=False)
    out["Comparison"] = evalnb.compare(df, baseline=HOSTILE, candidate="atlas-large", metrics=METRICS, n_boot=50)
    out["SliceReport"] = evalnb.worst_slices(df, "judge_relevance", by="category", failure=3)
    out["Correlations"] = evalnb.correlate(df, named, ["thumbs_up"], level=["sample", "group", "system"],
                                           group="item_id", method="spearman", n_boot=50)
    out["KpiFit"] = evalnb.fit_kpi(df, "thumbs_up", named, cv_repeats=1)
    out["ValidityDrift"] = evalnb.validity_drift(df, named, "thumbs_up", n_boot=50, freq="MS")
    half = len(df) // 2
    out["DriftReport"] = evalnb.drift(df[:half], df[half:], metrics=METRICS, n_boot=50, current_label=HOSTILE)
    out["JudgeValidation"] = evalnb.validate_judge(df.dropna(subset=["human_rating"]), judge=HOSTILE_METRIC,
                                                   human="human_rating")
    sel = evalnb.select_portfolio(df, "thumbs_up", named + ["judge_coherence", "judge_helpfulness"], n_boot=50,
                                  cv_repeats=1)
    out["PortfolioSelection"] = sel
    portfolio = evalnb.portfolio_from_selection(sel)
    out["GateReport"] = evalnb.gate(portfolio, df[df["model"] == HOSTILE], df[df["model"] == "atlas-large"], n_boot=50)
    out["RecalibrationProposal"] = evalnb.recalibrate(portfolio, df, window="2026-10", n_boot=100, candidates=[],
                                                      validated_at="2026-11-01")
    out["SafetyReport"] = safety_report(df, by=["model", "category"], column="judge_safety_violation")
    probes = bias_probes(["Help {term} with a refund."], {HOSTILE: ["a man", "a woman"]})
    probes = pd.concat([probes.assign(pair_id=probes["pair_id"] + f"-{i}") for i in range(5)], ignore_index=True)
    out["BiasGap"] = bias_gap(probes.assign(score=np.arange(len(probes)) % 3), "score")
    variants = perturb(df[df["model"] == "atlas-large"].head(40)[["item_id", "input", "output", HOSTILE_METRIC]],
                       ["typos", "casing"])
    out["RobustnessResult"] = robustness(variants.assign(output=variants["output"].fillna("")), score=HOSTILE_METRIC)
    items = pd.DataFrame({"item_id": [HOSTILE, "b", "c", "d"], "pairwise_score": [1.0, 0.0, 0.5, 1.0],
                          "pairwise_consistent": [1, 1, 0, 1]})
    out["PairwiseResult"] = PairwiseResult(HOSTILE, "atlas-large", items, "pairwise|v1")
    out["Sample"] = stratified_sample(df, 5, by=["category"], seed=0)
    out["CostEstimate"] = CostEstimate(10, 2, 8, 1200, 480, 0.0123, 0.04, HOSTILE, (0.15, 0.6))
    frame = pd.DataFrame({"model": [HOSTILE, "atlas-large"], "item_id": ["c1", "c2"], "status": ["passed", "failed"],
                          "passed": [1.0, 0.0], "duration_s": [0.12, 0.3], "output_truncated": [False, False],
                          "detail": ["", HOSTILE]})
    out["Execution"] = Execution(frame, (), Sandbox(isolation="none"))
    # small results without a table: their scalar fields are the one-row frame
    out["IsolationReport"] = IsolationReport(False, ("user",), "pid namespace", HOSTILE)
    out["WeightedRate"] = weighted_rate(df["judge_safety_violation"].astype(float), pd.Series(1.0, index=df.index),
                                        df["category"])
    return out


@pytest.fixture(scope="module")
def results(hostile) -> dict[str, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _build(hostile)


def classes_with_summary() -> dict[str, type]:
    """Every public class defined in the core package (not widgets or testing) with a ``summary``."""
    found = {}
    for info in pkgutil.walk_packages(evalnb.__path__, prefix="evalnb."):
        if info.name.startswith(("evalnb.widgets", "evalnb.testing")):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and obj.__module__ == module.__name__ and not name.startswith("_")
                    and callable(getattr(obj, "summary", None))):
                found[name] = obj
    return found


def test_every_public_result_class_has_the_display_and_is_tested_here(results):
    """A class with both .to_frame() and .summary() is a result: it must use the one display rule,
    and this file must build one (so a new result type cannot skip the checks below)."""
    found = {name: cls for name, cls in classes_with_summary().items()
             if callable(getattr(cls, "to_frame", None)) or name == "Runs"}
    assert len(found) >= 18
    assert [n for n, cls in found.items() if not issubclass(cls, ResultDisplay)] == []
    assert sorted(set(found) - set(results)) == []
    assert all(isinstance(r, ResultDisplay) for r in results.values())
    assert {type(r).__name__ for r in results.values()} == set(results)


# ---- the bundle ---------------------------------------------------------------------------------
class _Tables(HTMLParser):
    """Rows of the first table in an HTML fragment, as lists of cell text (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.tables = 0
        self._cell: list[str] | None = None
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "img"):
            self.scripts += 1
        if tag == "table":
            self.tables += 1
        if self.tables == 1 and tag == "tr":
            self.rows.append([])
        if self.tables == 1 and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _render_markdown(text: str) -> _Tables:
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    parser = _Tables()
    parser.feed(rendered)
    assert parser.scripts == 0, rendered[:500]
    return parser


def _has_hostile(frame: pd.DataFrame, tag: str = "<script>") -> bool:
    return any(frame[c].astype(str).str.contains(tag, regex=False).any() or tag in str(c) for c in frame.columns)


def _expected_cell(value) -> tuple[str, object]:
    if isinstance(value, (bool, np.bool_)) or value is None or (isinstance(value, float) and math.isnan(value)):
        return "text", "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "number", float(value)
    return "text", str(value)


@pytest.mark.parametrize("name", ["Runs", "Scores", "Summary", "Comparison", "SliceReport", "Correlations", "KpiFit",
                                  "ValidityDrift", "DriftReport", "JudgeValidation", "PortfolioSelection",
                                  "GateReport", "RecalibrationProposal", "SafetyReport", "BiasGap",
                                  "RobustnessResult", "PairwiseResult", "Sample", "CostEstimate", "Execution",
                                  "IsolationReport", "WeightedRate"])
def test_bundle_has_three_escaped_forms_and_the_markdown_table_holds_the_frame(results, name):
    r = results[name]
    bundle = r._repr_mimebundle_()
    assert set(bundle) == FORMS
    assert all(isinstance(v, str) and v.strip() for v in bundle.values())
    summary = r.summary()
    if isinstance(summary, str):
        assert bundle["text/plain"] == summary
    if hasattr(r, "to_frame"):
        frame = r.to_frame()
    elif getattr(summary, "tables", None):              # Runs: the summary carries its per-model table
        frame = summary.tables[0]
    else:                                               # the dataclass's scalar fields, one row
        frame = pd.DataFrame([{f.name: ", ".join(v) if isinstance(v, tuple) else v for f in dataclasses.fields(r)
                               for v in [getattr(r, f.name)]}])
    # html: a hostile name is shown, escaped, never as markup
    assert "<script" not in bundle["text/html"] and "<img" not in bundle["text/html"]
    shown = 0
    for raw, escaped in ((HOSTILE, "&lt;script&gt;alert(1)&lt;/script&gt;"), (HOSTILE_METRIC, "&lt;img src=x")):
        if _has_hostile(frame, raw[:8]):
            assert escaped in bundle["text/html"], name
        shown += _has_hostile(frame, raw[:8]) or raw in bundle["text/plain"]
    assert shown or name == "WeightedRate", f"{name}: build it with a hostile name so its escaping is tested"
    parsed = _render_markdown(bundle["text/markdown"])
    if hasattr(r, "to_markdown"):                       # a curated report: its own Markdown, also inert
        assert bundle["text/markdown"] == r.to_markdown()
        return
    assert parsed.tables == 1
    if frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    head, *rows = parsed.rows
    assert head == [str(c) for c in frame.columns]
    assert len(rows) == min(len(frame), DISPLAY_ROWS) or (len(frame) == 0 and len(rows) == 1)
    saw_hostile = False
    for got, want in zip(rows, frame.head(DISPLAY_ROWS).itertuples(index=False, name=None)):
        assert len(got) == len(want)
        for cell, value in zip(got, want):
            kind, expected = _expected_cell(value)
            if kind == "number":
                if math.isnan(expected):
                    assert cell == ""
                else:
                    assert math.isclose(float(cell.replace(",", "")), expected, rel_tol=6e-3, abs_tol=1e-12), (cell, value)
            elif cell.endswith("\u2026"):                # a long cell is cut, never changed
                assert " ".join(expected.split()).startswith(cell[:-1].rstrip()) or expected.startswith(cell[:-1])
            else:
                assert cell == " ".join(expected.split()) or cell == expected.replace("\n", " "), (cell, value)
            saw_hostile |= HOSTILE in cell or HOSTILE_METRIC in cell
    if _has_hostile(frame.head(DISPLAY_ROWS)) or _has_hostile(frame.head(DISPLAY_ROWS), "<img"):
        assert saw_hostile, name                        # the pipe did not split the hostile cell


def test_markdown_of_a_long_frame_says_how_many_rows_are_left_out(results):
    md = results["Scores"]._repr_mimebundle_(include={"text/markdown"})["text/markdown"]
    n = len(results["Scores"].to_frame())
    assert f"{n - DISPLAY_ROWS:,} more rows not shown ({n:,} in all" in md


def test_include_and_exclude_are_honoured_and_only_the_asked_form_is_built(results, monkeypatch):
    r = results["Summary"]
    assert set(r._repr_mimebundle_(include={"text/markdown"})) == {"text/markdown"}
    assert set(r._repr_mimebundle_(exclude={"text/html"})) == {"text/plain", "text/markdown"}

    def boom(self):
        raise AssertionError("html built although excluded")

    monkeypatch.setattr(type(r), "_display_html", boom)
    assert set(r._repr_mimebundle_(exclude={"text/html"})) == {"text/plain", "text/markdown"}


def test_ipython_displays_the_bundle(results):
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(results["Comparison"])
    assert FORMS <= set(data)
    assert data["text/markdown"] == results["Comparison"]._repr_mimebundle_()["text/markdown"]


def test_plain_text_shows_terminal_control_characters_as_escapes():
    from evalnb.metrics.judge.cost import CostEstimate

    r = CostEstimate(1, 0, 1, 10, 5, 0.01, 0.02, "m\x1b[2J\rx", None)
    plain = r._repr_mimebundle_(include={"text/plain"})["text/plain"]
    assert "\x1b" not in plain and "\r" not in plain and "\\x1b[2J\\rx" in plain


# ---- correlate(...).chart(): every level, side by side ------------------------------------------
LONG = "a_rather_long_metric_name_that_a_200px_label_limit_would_cut_short"


@pytest.fixture(scope="module")
def levels(sample_joined):
    df = sample_joined.assign(**{LONG: sample_joined["judge_coherence"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return evalnb.correlate(df, METRICS + [LONG], ["thumbs_up", "csat"], level=["sample", "group", "system"],
                                group="item_id", method=["spearman", "pearson"], by=None, n_boot=100)


def _rows(spec: dict) -> list[dict]:
    return spec["datasets"][spec["data"]["name"]]


def _marks(spec: dict) -> dict[str, dict]:
    return {layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]: layer["encoding"]
            for layer in spec["spec"]["layer"] if "encoding" in layer and "y" in layer["encoding"]}


def test_forest_chart_has_one_panel_per_level_and_plots_the_frame(levels):
    frame = levels.to_frame()
    spec = levels.chart().to_dict()
    assert spec["facet"]["column"]["field"] == "level_label"
    rows = _rows(spec)
    shown = frame[frame["method"] == "spearman"]           # the default method
    assert len(rows) == len(shown)
    panels = {r["level_label"] for r in rows}
    assert len(panels) == frame["level"].nunique() == 3
    assert {p.split()[0] for p in panels} == set(frame["level"])
    key = shown.set_index(["metric", "target", "level"])
    for r in rows:
        want = key.loc[(r["metric"], r["target"], r["level"])]
        assert r["level_label"].startswith(r["level"])
        for col in ("estimate", "ci_low", "ci_high"):
            assert r[col] == pytest.approx(float(want[col]), abs=1e-12)
    marks = _marks(spec)                                    # forest: CI rule + point per metric
    assert marks["rule"]["x"]["field"] == "ci_low" and marks["rule"]["x2"]["field"] == "ci_high"
    assert marks["point"]["x"]["field"] == "estimate"
    assert marks["point"]["y"]["field"] == "metric_label"
    # ranked: the first row shown is the strongest association at the sample level
    first = min(rows, key=lambda r: r["rank"])["metric"]
    sample = shown[shown["level"] == "sample"].assign(a=lambda t: t["estimate"].abs()).groupby("metric")["a"].mean()
    assert first == sample.idxmax()


def test_forest_chart_is_wide_enough_and_never_cuts_a_label(levels):
    import vl_convert as vlc

    spec = levels.chart().to_dict()
    assert spec["spec"]["width"] * len({r["level_label"] for r in _rows(spec)}) >= 480
    assert _marks(spec)["point"]["y"]["axis"]["labelLimit"] == 0
    assert spec["facet"]["column"]["header"]["labelLimit"] == 0
    svg = vlc.vegalite_to_svg(json.dumps(spec))
    assert LONG in svg and "\u2026" not in svg               # drawn whole, no ellipsis
    for label in {r["level_label"] for r in _rows(spec)}:
        assert html.escape(label) in svg or label in svg
    one = levels.chart(level="sample").to_dict()
    assert {r["level"] for r in _rows(one)} == {"sample"} and one["spec"]["width"] >= 480


def test_chart_method_and_level_choices(levels):
    spec = levels.chart(method="pearson", level=["group", "system"]).to_dict()
    assert {(r["method"], r["level"]) for r in _rows(spec)} == {("pearson", "group"), ("pearson", "system")}
    heat = levels.chart("heatmap").to_dict()
    assert heat["facet"]["column"]["field"] == "level_label" and len({r["level"] for r in _rows(heat)}) == 3
    with pytest.raises(evalnb.ConfigError, match="method 'kendall' was not computed"):
        levels.chart(method="kendall")
    with pytest.raises(evalnb.ConfigError, match="level 'cluster' was not computed"):
        levels.chart(level="cluster")

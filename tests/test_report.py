"""The HTML report and its safety cases R01-R11 (docs/threat-model.md 7.3).

Hostile payloads go into model outputs, inputs, references, categories and model names. The
report must render them as visible escaped text, run no script, load nothing, and stay small.
"""
from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import evalnb
from evalnb._display import digest, escape, frame_html, reveal
from evalnb.io.spreadsheet import read_safe_csv, safe_csv
from evalnb.report.html import environment

from _report_helpers import PAYLOADS, hostile_frame, html_problems
from conftest import ROOT


@pytest.fixture(scope="module")
def hostile_runs():
    return evalnb.load_runs(hostile_frame())


@pytest.fixture(scope="module")
def hostile_report(hostile_runs, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    rep = evalnb.report(hostile_runs, path=path, examples=len(PAYLOADS) + 2)
    return rep


@pytest.fixture(scope="module")
def big_report(tmp_path_factory):
    runs = evalnb.load_runs(hostile_frame(n_per_model=20, big=True))
    path = tmp_path_factory.mktemp("big") / "report.html"
    return evalnb.report(runs, path=path, max_bytes=3_000_000), runs


def _data_text(html: str) -> str:
    """The report without its own template markup: what came from data sits in table cells."""
    return "".join(re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S))


# -- R02 / R03 / R05: the document -----------------------------------------------------------
def test_r02_csp_and_no_external_urls(hostile_report):
    html = hostile_report.html
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert csp, "no CSP meta tag"
    policy = __import__("html").unescape(csp.group(1))
    assert "unsafe-eval" not in policy and "unsafe-inline" not in policy
    assert "default-src 'none'" in policy and "script-src 'none'" in policy
    # no attribute of ours or of data loads anything from the network
    assert not re.search(r'\s(?:src|href|action|srcdoc|data)\s*=\s*["\']?\s*(?:https?:|//|javascript:)', html, re.I)
    assert all(src.startswith("data:image/svg+xml;base64,") for src in re.findall(r'<img[^>]*\ssrc="([^"]*)"', html))
    assert not html_problems(html), html_problems(html)[:5]


def test_r03_no_raw_markup_from_data(hostile_report):
    html = hostile_report.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"<script", html, re.I)       # the template has none, data cannot add one
    assert not re.search(r"<(?:iframe|form|svg|style|img|a)\b[^>]*(?:onerror|onload|javascript:|srcdoc)", html, re.I)
    assert html.count("<style>") == 1                  # ours only
    # the hostile model name is shown escaped in the header and in tables
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_r03_styler_free_table_helper_escapes_everything():
    df = pd.DataFrame({"<th>": [p for p in PAYLOADS], "n": range(len(PAYLOADS))})
    out = frame_html(df)
    assert "&lt;th&gt;" in out and "&lt;script&gt;" in out
    assert not re.search(r"<(script|iframe|form|svg|style|img|a)\b", out, re.I)


def test_r05_no_script_or_comment_openers_from_data(hostile_report):
    data = _data_text(hostile_report.html)
    assert "</script" not in data.lower() and "<!--" not in data
    assert "&lt;/script&gt;" in data and "&lt;!-- comment --&gt;" in data


# -- R04: charts --------------------------------------------------------------------------------
def _walk(obj, path=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk(v, path + (i,))
    else:
        yield path, obj


@pytest.mark.parametrize("build", ["slice_chart", "summary_chart"])
def test_r04_model_text_only_as_chart_data(hostile_runs, build):
    if build == "slice_chart":
        from evalnb.widgets import Session

        s = Session(hostile_runs)
        s.slice_by = "model"
        spec = s.slice_chart().to_dict()
    else:
        spec = evalnb.summarize(hostile_runs.df, by=["model"], metrics=["judge_relevance"], n_boot=50,
                                progress=False).chart().to_dict()
    hostile = [m for m in hostile_runs.models if "<" in m or "=" in m]
    found_in_data = False
    for path, value in _walk(spec):
        if not isinstance(value, str):
            continue
        if any(h in value for h in hostile):
            in_data = "values" in path or ("datasets" in path)
            assert in_data, f"model text outside data.values at {path}"
            found_in_data = True
        if any(p in ("expr", "filter", "calculate", "signal", "test") for p in path if isinstance(p, str)):
            assert not any(h in value for h in hostile)
    assert found_in_data


# -- R06 / R07: templates ---------------------------------------------------------------------
def test_r06_autoescape_on():
    env = environment()
    assert env.autoescape("report.html") if callable(env.autoescape) else env.autoescape


def test_r07_template_syntax_in_data_stays_literal(hostile_report):
    data = _data_text(hostile_report.html)
    assert "{{7*7}} {% raw %}" in data
    assert not re.search(r"(?<![\d.])49(?![\d.])", data)   # never evaluated


# -- R08: CSV ---------------------------------------------------------------------------------
def test_r08_csv_neutralises_formulas_and_round_trips(hostile_report):
    table = hostile_report.tables["examples"]
    text = hostile_report.to_csv("examples")
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    for col in raw.columns:
        for cell in raw[col]:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (col, cell)
    assert any(c.startswith("'=HYPERLINK") for c in raw["output"])
    back = read_safe_csv(io.StringIO(text))
    expected = table.astype(str)
    for col in ("model", "input", "output", "reference", "category"):
        assert back[col].tolist() == expected[col].tolist()


def test_r08_csv_edge_cases_round_trip():
    cells = ["=1", "'=1", "''+x", "plain", "-", "'", "", "@", "\t=1", "a=b"]
    df = pd.DataFrame({"c": cells})
    back = read_safe_csv(io.StringIO(safe_csv(df)))
    assert back["c"].tolist() == cells


# -- R09: bidi / zero-width -----------------------------------------------------------------
def test_r09_invisible_characters_become_visible_badges(hostile_report, hostile_runs):
    html = hostile_report.html
    for code in ("202E", "200B", "2066"):
        assert f"&lt;U+{code}&gt;" in html
    assert "\u202e" not in _data_text(html) and "\u200b" not in _data_text(html)
    # the raw value is kept in the data
    assert hostile_runs.df["output"].str.contains("\u202e").any()
    assert any("\u202e" in str(v) for v in hostile_report.tables["examples"]["output"])
    assert reveal("a\u202eb\ud800") == "a<U+202E>b<U+D800>"
    assert "&lt;U+D800&gt;" in escape("x\ud800y")


def test_r09_lone_surrogate_does_not_break_the_report(tmp_path):
    frame = hostile_frame(n_per_model=10, surrogate=True)
    runs = evalnb.Runs(frame)   # bypass the loader (which rejects it) to prove the renderer copes
    rep = evalnb.report(runs, path=tmp_path / "r.html")
    assert "&lt;U+D800&gt;" in rep.html
    (tmp_path / "r.html").read_text(encoding="utf-8")


# -- R10: notebook HTML export -----------------------------------------------------------------
def test_r10_nbconvert_version_and_settings(tmp_path):
    import nbconvert

    from evalnb.report.notebook import exporter

    major, minor, patch = (int(x) for x in re.findall(r"\d+", nbconvert.__version__)[:3])
    assert (major, minor, patch) >= (7, 17, 1)
    exp = exporter(tmp_path)
    assert exp.sanitize_html is True and exp.embed_images is False


# -- R11: a 20 MB output ----------------------------------------------------------------------
def test_r11_huge_output_is_truncated_with_hash(big_report):
    rep, runs = big_report
    assert rep.size_bytes < 3_000_000
    full = runs.df["output"].iloc[0]
    assert len(full) > 20_000_000
    assert f"sha256 {digest(full)[:16]}" in rep.html
    assert "20,000,033 chars" in rep.html
    assert "AAAA&lt;script&gt;" not in rep.html   # the tail of the cut text never made it in


# -- the report itself ---------------------------------------------------------------------------
def test_sections_degrade_one_by_one(hostile_report):
    status = hostile_report.sections
    assert status["Summary"] == "ok" and status["Examples"] == "ok"
    assert status["KPI validation"].startswith("not available: no KPI log")
    assert status["Gates"].startswith("not available: no portfolio")


def test_report_on_sample_data_has_all_sections(sample_runs, sample_kpis, sample_joined, tmp_path):
    from evalnb.portfolio.selection import portfolio_from_selection

    sel = evalnb.select_portfolio(sample_joined, kpi="thumbs_up", n_boot=200, cv_repeats=1)
    portfolio = portfolio_from_selection(sel, {c.column: 3.5 for c in sel.primary}, rule="point", min_n=50)
    portfolio.write(tmp_path / "portfolio.yaml")
    rep = evalnb.report(sample_runs, kpis=sample_kpis, portfolio=tmp_path / "portfolio.yaml",
                        path=tmp_path / "sample.html", kpi="thumbs_up")
    assert set(rep.sections.values()) == {"ok"}, rep.sections
    gates = rep.tables["gates"]
    assert set(gates["model"]) == set(sample_runs.models) and {"pass", "fail"} <= set(gates["status"])
    for model in sample_runs.models:
        assert model in rep.html
    assert rep.html.count("<img ") >= 2
    assert not html_problems(rep.html)


def test_cli_writes_report(tmp_path):
    out = tmp_path / "cli.html"
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    hostile_frame(n_per_model=8).to_json(runs_dir / "r.jsonl", orient="records", lines=True)
    proc = subprocess.run([sys.executable, "-m", "evalnb.cli", "report", str(runs_dir / "r.jsonl"), "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert out.exists() and "Content-Security-Policy" in out.read_text()
    assert str(out) in proc.stdout


def test_cli_bad_input_exit_2(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"model": "m", "item_id": "1", "output": NaN}\n')
    proc = subprocess.run([sys.executable, "-m", "evalnb.cli", "report", str(bad), "-o", str(tmp_path / "x.html")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 2
    assert "bad.jsonl" in proc.stderr
    assert not (tmp_path / "x.html").exists()


def test_vendored_widget_js_matches_recorded_hashes(tmp_path):
    from evalnb.report.notebook import VENDORED, unpack_widget_js

    files = unpack_widget_js(tmp_path)
    import hashlib

    for name, sha in VENDORED.items():
        assert hashlib.sha256(files[name].read_bytes()).hexdigest() == sha
        assert sha in (ROOT / "evalnb" / "report" / "templates" / "VENDORED.md").read_text()
    assert b"RequireJS 2.3.8" in files["require.js"].read_bytes()[:300]

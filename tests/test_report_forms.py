"""Issue 17: the report's two forms (strict, interactive) and its PDF.

The interactive form inlines vl-convert's vega-embed bundle under a CSP that allows that one script
by hash; model text reaches it only as a JSON data block that no payload can close. The PDF is the
strict form with every section open, printed by headless Chromium and read back with poppler.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

import evalnb
from _report_helpers import BREAKOUT, PAYLOADS, hostile_frame, hostile_models_frame, html_problems, sample_portfolio

CHROMIUM = Path("/usr/bin/chromium")


def _csp(html: str) -> str:
    return re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)


def _report(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return evalnb.report(evalnb.load_runs(df) if not isinstance(df, evalnb.Runs) else df, **kw)


@pytest.fixture(scope="module")
def hostile_interactive():
    return _report(hostile_models_frame(), examples=12, interactive=True)


def test_interactive_form_pins_its_one_script_by_hash(hostile_interactive):
    html = hostile_interactive.html
    assert hostile_interactive.interactive and html_problems(html) == []
    # exactly two script elements: the JSON data block and the inline bundle; a payload that closed
    # the data block (</script><img ...>) would add a third opening or closing tag
    assert html.lower().count("<script") == 2 and html.lower().count("</script") == 2
    blocks = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert [attrs for attrs, _ in blocks] == [' type="application/json" id="evalnb-specs"', ""]
    code = blocks[1][1]
    digest = base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode()
    policy = dict(part.strip().split(" ", 1) for part in _csp(html).split(";"))
    assert policy["script-src"] == f"'sha256-{digest}'"   # only this script may run
    assert policy["connect-src"] == "'none'" and policy["default-src"] == "'none'"
    assert "unsafe-inline" not in _csp(html) and "unsafe-eval" not in _csp(html)
    assert not re.search(r"https?:", _csp(html))
    assert "window.vegaEmbed=" in code and "ast: true" in code


def test_interactive_specs_hold_model_text_only_as_escaped_data(hostile_interactive):
    html = hostile_interactive.html
    raw = re.search(r'<script type="application/json" id="evalnb-specs">(.*?)</script>', html, flags=re.S).group(1)
    assert "<" not in raw and ">" not in raw and "&" not in raw     # nothing that could end the block
    specs = json.loads(raw)   # the oracle: the payloads come back exactly, as data
    assert len(specs) == html.count('class="evalnb-chart"') >= 2
    values = json.dumps(specs, ensure_ascii=False)
    assert json.dumps("<img src=x onerror=alert(1)>")[1:-1] in values   # hostile model names in a chart
    assert json.dumps(BREAKOUT)[1:-1] in values
    # and nowhere else in the page is a payload literal (the tables escape it)
    outside = html.replace(raw, "")
    for p in PAYLOADS:
        if "<" in p:
            assert p not in outside, p


def test_strict_form_is_the_default_and_runs_no_script():
    rep = _report(hostile_frame(6))
    assert not rep.interactive and "<script" not in rep.html.lower()
    assert "script-src 'none'" in _csp(rep.html)
    assert 'src="data:image/svg+xml;base64,' in rep.html and 'class="evalnb-chart"' not in rep.html


def test_zoom_is_added_to_a_view_that_takes_a_selection(hostile_interactive):
    import vl_convert as vlc

    from evalnb.report.interactive import with_zoom

    layered = {"layer": [{"mark": "errorbar", "encoding": {"x": {"field": "lo", "type": "quantitative"},
                                                              "x2": {"field": "hi"}, "y": {"field": "m", "type": "nominal"}}},
                         {"mark": "point", "encoding": {"x": {"field": "v", "type": "quantitative"},
                                                         "y": {"field": "m", "type": "nominal"}}}],
               "data": {"values": [{"m": "a", "lo": 1, "hi": 2, "v": 1.5}]}}
    zoomed = with_zoom(layered)
    assert "params" not in zoomed["layer"][0] and zoomed["layer"][1]["params"][0]["bind"] == "scales"
    assert "params" not in layered["layer"][1]   # the input is not changed
    # the oracle: Vega-Lite itself compiles it into a scale-bound selection
    vega = vlc.vegalite_to_vega(zoomed)
    assert any(s["name"].startswith("evalnb_zoom") for s in vega.get("signals", []))
    # every spec of the report still compiles once zoom is added
    raw = re.search(r'id="evalnb-specs">(.*?)</script>', hostile_interactive.html, flags=re.S).group(1)
    for spec in json.loads(raw):
        vlc.vegalite_to_vega(spec)


def _needs_print_tools() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed: the PDF test needs chromium (./run test installs it)")
    if not shutil.which("pdftoppm") or not shutil.which("pdftotext"):
        pytest.skip("the browser PDF check needs pdftoppm/pdftotext (poppler-utils; ./run test installs it)")


@pytest.mark.browser
def test_pdf_of_the_sample_report_opens_with_the_decision(sample_runs, sample_kpis, tmp_path):
    _needs_print_tools()
    df = sample_runs.df
    small = df[df["item_id"].isin(df["item_id"].drop_duplicates().head(150))].reset_index(drop=True)
    rep = _report(small, kpis=sample_kpis, kpi="thumbs_up", portfolio=sample_portfolio(), pdf=tmp_path / "r.pdf")
    assert rep.pdf_path == tmp_path / "r.pdf" and rep.pdf_path.read_bytes()[:5] == b"%PDF-"
    # every page renders to an image (poppler)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(rep.pdf_path), str(tmp_path / "page")], check=True,
                   timeout=120)
    pages = sorted(tmp_path.glob("page*.png"))
    info = subprocess.run(["pdfinfo", str(rep.pdf_path)], capture_output=True, text=True, check=True).stdout
    assert len(pages) == int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 2
    assert all(p.stat().st_size > 1000 for p in pages)
    # page 1 holds the decision: its sentence and every model's verdict in the matrix
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(rep.pdf_path), "-"],
                           capture_output=True, text=True, check=True).stdout
    verdicts = rep.tables["decision"].set_index("model")["all_gates"]
    n_pass = int((verdicts == "pass").sum())
    assert f"{n_pass} of {len(verdicts)} model(s) pass every gate" in " ".join(first.split())
    assert "Decision: model x gate" in first
    for model in verdicts.index:
        assert model in first
    # the sections collapsed on screen are open in print: the examples and the appendix are there
    text = subprocess.run(["pdftotext", str(rep.pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "lowest-scoring items per model" in flat and "Appendix: how each number was made" in flat
    assert "Gate results" in flat


@pytest.mark.browser
def test_cli_report_interactive_and_pdf(sample_runs, tmp_path):
    _needs_print_tools()
    from evalnb.cli import main

    runs = tmp_path / "runs.jsonl"
    df = sample_runs.df
    df[df["item_id"].isin(df["item_id"].drop_duplicates().head(60))].drop(
        columns=["source_file", "source_line"], errors="ignore").to_json(runs, orient="records", lines=True, date_format="iso")
    out, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["report", str(runs), "--interactive", "--pdf", str(pdf), "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert 'id="evalnb-specs"' in html and "script-src 'sha256-" in html
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "runs no script" in " ".join(text.split())   # the PDF is the strict form, not the interactive one


# -- given scores: gates read them, tables show one column per metric, progress per section --------
@pytest.fixture(scope="module")
def summaries(sample_runs):
    df = sample_runs.df
    df = df[(df["task"] == "summarization") & df["output"].notna()]
    df = df[df["item_id"].isin(df["item_id"].drop_duplicates().head(60))]
    runs = evalnb.load_runs(df.drop(columns=["source_file", "source_line"], errors="ignore").reset_index(drop=True))
    return runs, evalnb.score(runs, ["rouge1", "rougeL", "bleu"], progress=False)


def _rouge_portfolio():
    from evalnb.portfolio.config import Gate, MetricSpec, Outcome, Portfolio

    return Portfolio(name="r", outcome=Outcome(kpi="thumbs_up"), primary=[
        MetricSpec(name="rouge1", source="column", direction="higher", gate=Gate(threshold=0.3, rule="point", min_n=20)),
        MetricSpec(name="rougeL_recall", source="column", direction="higher",
                   gate=Gate(threshold=0.3, rule="point", min_n=20))])


def test_gates_read_the_given_scores(summaries):
    runs, scores = summaries
    assert "rouge1" not in runs.df   # the runs alone cannot be gated on rouge1
    rep = _report(runs, scores=scores, portfolio=_rouge_portfolio(), progress=False)
    gates = rep.tables["gates"]
    assert set(gates["status"]) <= {"pass", "fail"}, gates[["model", "metric", "status", "reason"]]
    for model in runs.models:   # the oracle: evalnb.gate on that model's scored rows
        rows = scores.df[scores.df["model"] == model].reset_index(drop=True)
        assert rep.tables["decision"].set_index("model").loc[model, "all_gates"] == \
            evalnb.gate(_rouge_portfolio(), rows).status


def test_tables_show_each_metrics_headline_and_the_gated_columns(summaries):
    runs, scores = summaries
    rep = _report(runs, scores=scores, portfolio=_rouge_portfolio(), progress=False)
    shown = set(rep.tables["summary_long"]["metric"])
    assert {"rouge1", "rougeL", "rougeL_recall"} <= shown           # headlines + the gated sub-output
    assert not shown & {"rouge1_precision", "rouge1_recall", "rougeL_precision"}
    compared = set(rep.tables["compare"]["metric"])
    assert "rouge1" in compared and "rouge1_precision" not in compared


def test_progress_bar_per_section_and_timings(summaries, capsys):
    runs, scores = summaries
    quiet = _report(runs, scores=scores, progress=False)
    assert capsys.readouterr().err == ""
    loud = _report(runs, scores=scores, progress=True)
    err = capsys.readouterr().err
    assert "report" in err and "section" in err
    assert list(loud.timings) == list(loud.sections) == list(quiet.sections)
    assert all(t >= 0 for t in loud.timings.values())


def test_headline_selection_keeps_each_metrics_own_estimate(summaries):
    runs, scores = summaries
    rep = _report(runs, scores=scores, progress=False)
    got = rep.tables["summary_long"].set_index(["model", "metric"])
    # the oracle: summarize on the full Scores (corpus BLEU from summed statistics, not a mean)
    direct = evalnb.summarize(scores, by=["model"], metrics=["rouge1", "bleu"], n_boot=500, seed=0,
                              progress=False).to_frame().set_index(["model", "metric"])
    for key in [(m, c) for m in runs.models for c in ("rouge1", "bleu")]:
        assert got.loc[key, "estimate"] == pytest.approx(direct.loc[key, "estimate"], rel=1e-12), key
        assert got.loc[key, "statistic"] == direct.loc[key, "statistic"]
    comp = rep.tables["compare"]
    assert set(comp["metric"]) >= {"rouge1", "bleu"} and "rouge1_precision" not in set(comp["metric"])

"""Real JupyterLab in headless Chromium: the quickstart, the Explorer tabs, and the HTML report.

One JupyterLab server and one browser serve the whole module (~3 s + 2 s). Screenshots go to
test-artifacts/. Skips only when /usr/bin/chromium or playwright is missing (./run test installs
both), never silently in CI.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from _browser_helpers import browser_available, chromium, error_outputs, jupyter_lab, open_notebook, run_all, wait_idle

pytestmark = [pytest.mark.browser]

_why = browser_available()
if _why:
    pytestmark.append(pytest.mark.skip(reason=_why))


@pytest.fixture(scope="module")
def lab():
    with jupyter_lab() as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with chromium() as ctx:
        yield ctx


@pytest.fixture
def page(browser, lab):
    pg = browser.new_page()
    console: list[str] = []
    pg.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    pg.console_log = console  # type: ignore[attr-defined]
    yield pg
    pg.close()
    lab.clear_sessions()


def _widget_table_text(page) -> str:
    return page.locator(".evalnb-slice-table").first.inner_text()


def test_quickstart_run_all(page, lab, artifacts_dir: Path):
    from _browser_helpers import Watch

    watch = Watch(page)  # every request the page makes
    open_notebook(page, lab, "notebooks/01_quickstart.ipynb")
    run_all(page, lab)
    assert not error_outputs(page), error_outputs(page)
    # the escaped summary table
    table = page.locator(".jp-OutputArea-output table.evalnb-table").first
    table.wait_for(timeout=20_000)
    assert "swift-small" in table.inner_text()
    # the Altair chart rendered offline as SVG (JupyterLab shows SVG outputs as <img>)
    charts = page.locator(".jp-RenderedSVG img, .jp-RenderedImage img")
    charts.first.wait_for(timeout=20_000)
    box = charts.first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    # the widget's failure chart is a live Vega view (alt.JupyterChart, JS from vl-convert, no CDN)
    live = page.locator(".evalnb-runs .vega-embed svg").first
    live.wait_for(timeout=30_000)
    assert page.locator(".evalnb-runs .vega-embed path[aria-roledescription='bar']").count() >= 3
    # the widget rendered, and the last cells moved it to swift-small
    picker = page.locator(".evalnb-model-picker select").first
    picker.wait_for(timeout=20_000)
    before = _widget_table_text(page)
    assert "swift-small" in before
    page.screenshot(path=str(artifacts_dir / "quickstart_run_all.png"), full_page=False)
    # a real interaction: choose another model in the dropdown; the table changes
    picker.select_option(label="atlas-large")
    deadline = time.monotonic() + 15
    while _widget_table_text(page) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    after = _widget_table_text(page)
    assert after != before
    assert "atlas-large" in after and "swift-small" not in after
    page.locator(".evalnb-runs").first.screenshot(path=str(artifacts_dir / "quickstart_widget.png"))
    # no request left the machine (offline charts, no CDN): the request watcher, not the console
    assert watch.requests and watch.external((lab.url, "data:", "blob:", "about:")) == []


# -- R01: hostile text displayed in a live notebook ---------------------------------------------
def test_r01_hostile_text_in_notebook_runs_no_script(page, lab, artifacts_dir: Path):
    from _browser_helpers import Watch, write_notebook

    write_notebook(lab.root / "notebooks" / "_hostile.ipynb", [
        "import sys; sys.path.insert(0, %r)\nfrom _report_helpers import hostile_frame, PAYLOADS" % str(Path(__file__).parent),
        "import evalnb\nfrom evalnb.widgets import Session, show_table\nruns = evalnb.load_runs(hostile_frame(20))\n"
        "show_table(runs.df[['model', 'category', 'output']].head(len(PAYLOADS)))",
        "from IPython.display import HTML\ns = Session(runs)\nHTML(s.item_html(s.items(limit=5)['key'][0]))",
        "from evalnb.widgets import RunsView\ns.slice_by = 'model'\nRunsView(s)",
    ])
    watch = Watch(page)
    open_notebook(page, lab, "notebooks/_hostile.ipynb")
    run_all(page, lab)
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__pwned") is None
    assert not watch.dialogs, watch.dialogs
    ext = watch.external((lab.url, "data:", "blob:", "about:"))
    assert not ext, ext
    text = page.locator(".jp-OutputArea-output table.evalnb-table").first.inner_text()
    assert "<script>alert(1)</script>" in text          # shown as text, visibly
    assert "<U+202E>" in page.locator(".jp-Notebook").inner_text()
    # no frame or form came from the data; vega-embed's own (empty) bindings form of an interactive chart is ours
    assert page.locator(".jp-OutputArea-output iframe, .jp-OutputArea-output form:not(.vega-bindings)").count() == 0
    assert page.locator(".jp-OutputArea-output form.vega-bindings input").count() == 0
    page.screenshot(path=str(artifacts_dir / "r01_hostile_notebook.png"))


# -- R02 / R11: the HTML report in the browser ----------------------------------------------------
@pytest.fixture(scope="module")
def hostile_report_path(tmp_path_factory):
    import evalnb
    from _report_helpers import hostile_frame

    out = tmp_path_factory.mktemp("report")
    small = evalnb.report(evalnb.load_runs(hostile_frame(20)), path=out / "hostile.html", examples=20)
    big = evalnb.report(evalnb.load_runs(hostile_frame(10, big=True)), path=out / "big.html")
    return small.path, big.path


def _open_all_sections(page) -> None:
    """Open every collapsed section, as a reader clicking each summary would."""
    closed = page.locator("details:not([open]) > summary")
    for _ in range(50):
        if closed.count() == 0:
            break
        closed.first.click()


def test_r02_report_runs_no_script_and_loads_nothing(browser, hostile_report_path, artifacts_dir: Path):
    from _browser_helpers import Watch

    page = browser.new_page()
    watch = Watch(page)
    page.goto(hostile_report_path[0].as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__pwned") is None
    assert not watch.dialogs, watch.dialogs
    assert watch.external(("file://", "data:")) == []
    # the page is visible (no injected <style> hid it) and shows the payloads as text
    assert page.locator("h1").is_visible()
    _open_all_sections(page)   # sections below the decision are collapsed <details>: a reader opens them
    body = page.locator("main").inner_text()
    assert "<script>alert(1)</script>" in body and "{{7*7}}" in body and "<U+202E>" in body
    # charts render: the <img> decoded to a real size
    sizes = page.evaluate("() => [...document.images].map(i => [i.naturalWidth, i.naturalHeight])")
    assert sizes and all(w > 50 and h > 50 for w, h in sizes), sizes
    page.screenshot(path=str(artifacts_dir / "report_hostile.png"), full_page=False)
    page.close()


def test_r11_big_report_opens_fast(browser, hostile_report_path):
    page = browser.new_page()
    start = time.monotonic()
    page.goto(hostile_report_path[1].as_uri())
    page.wait_for_load_state("load")
    elapsed = time.monotonic() - start
    assert elapsed < 3.0, elapsed
    _open_all_sections(page)
    assert "truncated: 20,000,033 chars" in page.locator("main").inner_text()
    page.close()


# -- the Explorer, every tab -------------------------------------------------------------------
def _wait_text(locator, predicate, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        try:
            text = locator.inner_text(timeout=2000)
        except Exception:
            text = ""
        if predicate(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"timed out; last text: {text[:500]!r}")


def _tab(page, title: str) -> None:
    page.locator(".evalnb-explorer .lm-TabBar-tab", has_text=title).first.click()


def _button(page, scope: str, label: str):
    return page.locator(f"{scope} button", has_text=label).first


def test_explorer_every_tab(page, lab, artifacts_dir: Path):
    from _browser_helpers import Watch, write_notebook

    export = lab.root / "exported_portfolio.yaml"
    write_notebook(lab.root / "notebooks" / "_explorer.ipynb", [
        "from evalnb.widgets import Explorer, enable_offline_charts\nenable_offline_charts()\n"
        f"app = Explorer('../sample_data/runs/*.jsonl', kpis='../sample_data/kpis.csv', portfolio_path={str(export)!r})\napp",
    ])
    watch = Watch(page)
    open_notebook(page, lab, "notebooks/_explorer.ipynb")
    run_all(page, lab)
    page.locator(".evalnb-explorer").first.wait_for(timeout=30_000)
    timings: dict[str, float] = {}

    # Failures: choose a slice, drill into an item, find worst slices
    _tab(page, "Failures")
    f = ".evalnb-failures"
    page.locator(f"{f} .evalnb-slice-picker select").select_option(label="billing")
    # a click on a bar of the failure chart drills into that slice: picker, item list and session follow
    bars = page.locator(f"{f} .vega-embed path[aria-roledescription='bar']")
    bars.first.wait_for(timeout=90_000)
    picker = page.locator(f"{f} .evalnb-slice-picker select")
    clicks = []
    for i in range(min(bars.count(), 5)):
        label = bars.nth(i).get_attribute("aria-label") or ""
        current = picker.input_value()
        if current in label.split("; ")[0] or f": {current};" in label:
            continue
        t0 = time.monotonic()
        bars.nth(i).click()
        deadline = time.monotonic() + 15
        while picker.input_value() == current and time.monotonic() < deadline:
            time.sleep(0.02)
        clicks.append(time.monotonic() - t0)
        now = picker.input_value()
        assert now != current and now in label, (now, label)
        _wait_text(page.locator(f"{f} .evalnb-item-picker"), lambda t: "|" in t)
        caption = _wait_text(page.locator(f), lambda t: f"= {now} (failing first)" in t, timeout=15)
        assert f"= {now}" in caption
    assert clicks, "no bar to click"
    timings["chart click -> slice table/items (median of clicks)"] = sorted(clicks)[len(clicks) // 2]
    timings["chart click -> slice table/items (max of clicks)"] = max(clicks)
    # hovering a bar shows its tooltip with the failure rate
    bars.nth(0).hover()
    tip = page.locator("#vg-tooltip-element")
    tip.wait_for(state="visible", timeout=10_000)
    assert "failure_rate" in tip.inner_text() and "%" in tip.inner_text()
    # sort a table column: the slice table is a DataTables (itables) view; clicking "n" sorts by it
    table = page.locator(f"{f} .evalnb-failures-table table.dataTable").first
    table.wait_for(timeout=20_000)
    import re

    header_n = table.locator("thead th").filter(has_text=re.compile(r"^\s*n\s*$")).first

    def counts() -> list[int]:
        rows = table.locator("tbody").inner_text().split("\n")
        return [int(r.split("\t")[1].replace(",", "")) for r in rows if r.strip()]

    before_sort = counts()
    assert before_sort != sorted(before_sort)                 # ranked by failure rate, not by n
    header_n.click()
    deadline = time.monotonic() + 10
    while counts() not in (sorted(before_sort), sorted(before_sort, reverse=True)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert counts() in (sorted(before_sort), sorted(before_sort, reverse=True)), counts()
    page.locator(f"{f} .evalnb-slice-picker select").select_option(label="billing")
    items = page.locator(f"{f} .evalnb-item-picker select option")
    _wait_text(page.locator(f), lambda t: "= billing (failing first)" in t, timeout=15)
    _wait_text(page.locator(f"{f} .evalnb-item-picker"), lambda t: "|" in t)
    first_label = items.nth(1).text_content()
    t0 = time.monotonic()
    page.locator(f"{f} .evalnb-item-picker select").select_option(index=1)
    card = _wait_text(page.locator(f"{f} .evalnb-item-detail"), lambda t: first_label.split("|")[1].strip() in t)
    timings["drill into an item"] = time.monotonic() - t0
    assert "input" in card and "output" in card and "billing" in card
    t0 = time.monotonic()
    _button(page, f, "Find worst slices").click()
    _wait_text(page.locator(f"{f} .evalnb-worst-table"), lambda t: "category=" in t, timeout=60)
    timings["find worst slices"] = time.monotonic() - t0
    page.locator(f).first.screenshot(path=str(artifacts_dir / "explorer_failures.png"))

    # Compare: paired comparison of the default pair
    _tab(page, "Compare")
    _button(page, ".evalnb-compare", "Compare").click()
    _wait_text(page.locator(".evalnb-compare .evalnb-compare-table"), lambda t: "judge_relevance" in t, timeout=90)
    page.locator(".evalnb-compare .vega-embed svg").first.wait_for(timeout=30_000)   # significance chart
    page.locator(".evalnb-compare").first.screenshot(path=str(artifacts_dir / "explorer_compare.png"))

    # KPI validation: change the KPI, fit
    _tab(page, "KPI validation")
    k = ".evalnb-kpi"
    page.locator(f"{k} .evalnb-kpi-picker select").select_option(label="csat")
    t0 = time.monotonic()
    _button(page, k, "Fit").click()
    _wait_text(page.locator(f"{k} .evalnb-kpi-table"), lambda t: "csat" in t, timeout=120)
    timings["KPI fit"] = time.monotonic() - t0
    page.locator(f"{k} .vega-embed svg").first.wait_for(timeout=60_000)          # the forest plot
    _wait_text(page.locator(f"{k} .evalnb-kpi-fit"), lambda t: "csat" in t and len(t) > 40, timeout=60)
    scatter = page.locator(f"{k} .vega-embed svg").nth(1)                         # the scatter
    scatter.wait_for(timeout=60_000)
    page.locator(k).first.screenshot(path=str(artifacts_dir / "explorer_kpi.png"))
    # brushing the scatter selects items in Python
    plot = page.locator(f"{k} .vega-embed").nth(1).locator("path[aria-roledescription='circle'], "
                                                           "path[aria-roledescription='point']").first
    plot.wait_for(timeout=20_000)
    box = scatter.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6, steps=8)
    page.mouse.up()
    _wait_text(page.locator(k), lambda t: "items selected" in t, timeout=20)
    page.locator(f"{k} .evalnb-kpi-picker select").select_option(label="task_success")

    # Portfolio: recommend, move a threshold, the preview changes, export the file
    _tab(page, "Portfolio")
    p = ".evalnb-portfolio"
    _button(page, p, "Recommend metrics").click()
    before = _wait_text(page.locator(f"{p} .evalnb-gate-preview"), lambda t: "pass" in t or "fail" in t, timeout=90)
    handle = page.locator(f"{p} .evalnb-threshold .noUi-handle").first
    handle.focus()
    t0 = time.monotonic()
    handle.press("End")                               # the threshold to its maximum: nobody passes
    after = _wait_text(page.locator(f"{p} .evalnb-gate-preview"), lambda t: t != before, timeout=60)
    timings["move a threshold (gate preview)"] = time.monotonic() - t0
    assert after.count("fail") > before.count("fail")
    page.locator(p).first.screenshot(path=str(artifacts_dir / "explorer_portfolio.png"))
    _button(page, p, "Export config").click()
    _wait_text(page.locator(f"{p} .evalnb-exported"), lambda t: "Written" in t)
    import evalnb

    loaded = evalnb.load_portfolio(export)
    assert loaded.outcome.kpi == "task_success"
    slider_max = page.locator(f"{p} .evalnb-threshold .widget-readout").first.inner_text()
    gated = [m for m in loaded.primary + loaded.safety + loaded.robustness if m.gate]
    assert any(abs(m.gate.threshold - float(slider_max)) < 0.006 for m in gated), (slider_max, gated)

    # Drift / judge: the planted October validity drift shows up
    _tab(page, "Drift / judge")
    _button(page, ".evalnb-drift", "Check drift").click()
    _wait_text(page.locator(".evalnb-drift .evalnb-drift-alerts"), lambda t: "validity" in t, timeout=90)
    page.locator(".evalnb-drift").first.screenshot(path=str(artifacts_dir / "explorer_drift.png"))
    _tab(page, "Runs")
    page.locator(".evalnb-runs .vega-embed svg").first.wait_for(timeout=30_000)
    page.locator(".evalnb-runs").first.screenshot(path=str(artifacts_dir / "explorer_runs.png"))
    assert not watch.dialogs and not watch.external((lab.url, "data:", "blob:", "about:"))
    (artifacts_dir / "explorer_timings.txt").write_text(
        "".join(f"{k}: {v:.2f} s\n" for k, v in timings.items()))


# -- notebook exported to HTML: widgets render offline from the vendored JS -------------------------
def test_exported_notebook_shows_widgets_offline(browser, tmp_path, artifacts_dir: Path):
    from _browser_helpers import Watch

    from evalnb.report.notebook import export_notebook

    out = export_notebook(Path(__file__).parents[1] / "notebooks" / "01_quickstart.ipynb",
                          tmp_path / "quickstart.html", execute=True)
    page = browser.new_page()
    watch = Watch(page)
    page.goto(out.as_uri())
    page.wait_for_selector(".widget-dropdown select", timeout=30_000)
    table = _wait_text(page.locator(".evalnb-slice-table").first, lambda t: "billing" in t)
    assert "swift-small" in table                      # the saved widget state, not a blank box
    # Widget outputs (the charts inside them) are restored by the widget manager after the page's own
    # images, so wait until both are in and decoded rather than reading the count once.
    page.wait_for_function("() => [...document.images].filter(i => i.complete && i.naturalWidth > 100).length >= 2",
                           timeout=30_000)
    sizes = page.evaluate("() => [...document.images].map(i => i.naturalWidth)")
    assert len(sizes) >= 2 and all(w > 100 for w in sizes)
    assert watch.external(("file://", "data:")) == [], watch.external(("file://", "data:"))
    assert not watch.errors, watch.errors
    page.screenshot(path=str(artifacts_dir / "exported_notebook.png"))
    page.close()


def test_sample_report_renders_charts(browser, sample_runs, sample_kpis, tmp_path, artifacts_dir: Path):
    import evalnb
    from _browser_helpers import Watch

    rep = evalnb.report(sample_runs, kpis=sample_kpis, kpi="thumbs_up", path=tmp_path / "report.html")
    page = browser.new_page()
    watch = Watch(page)
    page.goto(rep.path.as_uri())
    page.wait_for_load_state("load")
    sizes = page.evaluate("() => [...document.images].map(i => [i.naturalWidth, i.naturalHeight])")
    assert len(sizes) >= 4 and all(w > 100 and h > 50 for w, h in sizes), sizes
    for title in ("Summary", "Comparisons", "Failures", "KPI validation", "Examples"):
        assert page.locator("section h2", has_text=title).count() == 1
    assert "Not available" not in page.locator("#kpi").inner_text()
    assert watch.external(("file://", "data:")) == [] and not watch.dialogs
    page.screenshot(path=str(artifacts_dir / "report_sample.png"))
    page.close()


# -- issue 17: the interactive form, and a 16-model run ------------------------------------------
def _charts_rendered(page, timeout: float = 30.0) -> list:
    deadline = time.monotonic() + timeout
    while True:
        states = page.evaluate("() => [...document.querySelectorAll('div.evalnb-chart')]"
                               ".map(d => d.getAttribute('data-rendered'))")
        if all(states) or time.monotonic() > deadline:
            return states
        time.sleep(0.2)


def test_interactive_report_hostile_text_stays_data(browser, tmp_path, artifacts_dir: Path):
    import evalnb
    from _browser_helpers import Watch
    from _report_helpers import BREAKOUT, hostile_models_frame

    rep = evalnb.report(evalnb.load_runs(hostile_models_frame(20)), path=tmp_path / "hostile_interactive.html",
                        examples=20, interactive=True)
    page = browser.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    watch = Watch(page)
    page.goto(rep.path.as_uri())
    page.wait_for_load_state("load")
    states = _charts_rendered(page)
    assert len(states) >= 2 and set(states) == {"ok"}, (states, console)
    # the one script ran (charts drawn as SVG by vega) and nothing it was not allowed to do was tried
    assert page.locator("div.evalnb-chart svg.marks").count() == len(states)
    assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console
    assert not watch.errors, watch.errors
    # a tooltip shows a hostile model name as text
    _open_all_sections(page)
    mark = page.locator("figure", has_text="Cost per request").locator(".mark-symbol.role-mark path").first
    mark.hover()
    tip = page.locator("#vg-tooltip-element.visible")
    tip.wait_for(timeout=5000)
    names = set(rep.tables["summary"]["model"]) if "model" in rep.tables["summary"] else set()
    assert any(n[:60] in tip.inner_text() for n in names | {BREAKOUT}), tip.inner_text()
    assert page.locator("#vg-tooltip-element img, #vg-tooltip-element script, #vg-tooltip-element svg").count() == 0
    # tables sort on a header click
    head = page.locator("#summary table.evalnb-table thead th").first
    head.click()
    assert head.get_attribute("aria-sort") == "ascending"
    body = page.locator("main").inner_text()
    assert BREAKOUT in body and "<script>alert(1)</script>" in body
    assert page.evaluate("() => window.__pwned") is None
    assert not watch.dialogs, watch.dialogs
    assert watch.external(("file://", "data:")) == []
    page.screenshot(path=str(artifacts_dir / "report_hostile_interactive.png"))
    page.close()


def test_sixteen_model_report_stays_readable(browser, sample_runs, sample_kpis, tmp_path, artifacts_dir: Path):
    import evalnb
    from _report_helpers import many_models, sample_portfolio

    df = many_models(sample_runs.df, n_models=16, n_items=100)
    assert df["model"].nunique() == 16
    budget, viewport = 15_000, 1280
    page = browser.new_page()
    page.set_viewport_size({"width": viewport, "height": 900})
    for form in ("strict", "interactive"):
        rep = evalnb.report(df, kpis=sample_kpis, kpi="thumbs_up", portfolio=sample_portfolio(),
                            path=tmp_path / f"{form}.html", interactive=form == "interactive")
        assert all(v == "ok" for v in rep.sections.values()), rep.sections
        page.goto(rep.path.as_uri())
        page.wait_for_load_state("load")
        if form == "interactive":
            assert set(_charts_rendered(page)) == {"ok"}
        height = page.evaluate("() => document.documentElement.scrollHeight")
        assert 1_000 < height < budget, (form, height)
        page.screenshot(path=str(artifacts_dir / f"report_16_models_{form}.png"), full_page=True)
        _open_all_sections(page)
        page.wait_for_timeout(300)
        # each table and every cell of it inside the viewport, and no table scrolls inside its section
        widths = page.evaluate("() => [...document.querySelectorAll('main table')].map(t => "
                               "[t.caption ? t.caption.textContent : '', "
                               "Math.max(t.getBoundingClientRect().right, "
                               "...[...t.querySelectorAll('th,td')].map(c => c.getBoundingClientRect().right)), "
                               "t.scrollWidth - t.closest('section').clientWidth])")
        assert len(widths) >= 6, widths
        too_wide = [(c, r, over) for c, r, over in widths if r > viewport or over > 1]
        assert not too_wide, (form, too_wide)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport
    page.close()


def test_forest_plot_click_opens_that_metrics_scatter(page, lab):
    """Issue 12: clicking a metric in the KPI tab's forest plot opens its scatter and per-slice view
    (the Session's ``focus_metric``; the Python-side path is in tests/test_widgets.py)."""
    import re

    from _browser_helpers import write_notebook

    write_notebook(lab.root / "notebooks" / "_forest.ipynb", [
        "from evalnb.widgets import Explorer, enable_offline_charts\nenable_offline_charts()\n"
        "app = Explorer('../sample_data/runs/*.jsonl', kpis='../sample_data/kpis.csv')\napp",
    ])
    open_notebook(page, lab, "notebooks/_forest.ipynb")
    run_all(page, lab)
    page.locator(".evalnb-explorer").first.wait_for(timeout=30_000)
    _tab(page, "KPI validation")
    k = ".evalnb-kpi"
    _button(page, k, "Fit").click()
    _wait_text(page.locator(f"{k} .evalnb-kpi-fit"), lambda t: len(t) > 40, timeout=120)
    scatter_pick = page.locator(f"{k} .widget-dropdown", has_text="Scatter").locator("select").first
    charts = page.locator(f"{k} .vega-embed")
    charts.nth(1).locator("svg").first.wait_for(timeout=60_000)
    before = scatter_pick.input_value()
    assert before, "the scatter picker shows no metric"
    points = charts.nth(0).locator("path[aria-roledescription='point'], path[aria-roledescription='circle']")
    points.first.wait_for(timeout=30_000)
    labels = [points.nth(i).get_attribute("aria-label") or "" for i in range(points.count())]
    names = [m.group(1) for m in (re.search(r"metric: ([^;]+)", lab_) for lab_ in labels) if m]
    target = next(i for i, name in enumerate(names) if name != before)
    wanted = names[target]
    points.nth(target).click()
    deadline = time.monotonic() + 20
    while scatter_pick.input_value() != wanted and time.monotonic() < deadline:
        time.sleep(0.1)
    assert scatter_pick.input_value() == wanted, (scatter_pick.input_value(), wanted, before)
    # the scatter is redrawn for the clicked metric (its x axis), and the per-slice table follows
    _wait_text(charts.nth(1), lambda t: wanted in t, timeout=30)
    _wait_text(page.locator(k), lambda t: f"{wanted} by " in t, timeout=30)

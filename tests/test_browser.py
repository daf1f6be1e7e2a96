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
    assert charts.count() >= 2  # the cost/quality chart and the widget's failure chart
    box = charts.first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
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
    # no request left the machine (offline charts, no CDN)
    assert not [m for m in page.console_log if "cdn" in m.lower()]

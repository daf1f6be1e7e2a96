"""Every notebook in notebooks/ executes headless (nbclient) without an error output.

The notebook on real human-judgment data (06) skips when ../shared/data is absent. Executed copies
are saved under test-artifacts/notebooks/ (the committed notebooks are never rewritten).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE_DIR, shared_data_path

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NEEDS_SHARED = {"06_real_human_judgments.ipynb": "summeval"}


_EXECUTED: dict[Path, object] = {}


def _execute(path: Path, artifacts: Path):
    if path in _EXECUTED:
        return _EXECUTED[path]
    import nbformat
    from nbclient import NotebookClient

    book = nbformat.read(path, as_version=4)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    client = NotebookClient(book, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    out = artifacts / "notebooks"
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, out / path.name)
    _EXECUTED[path] = book
    return book


def test_notebooks_exist():
    names = {p.name for p in NOTEBOOKS}
    assert "01_quickstart.ipynb" in names, names


@pytest.mark.parametrize("path", [pytest.param(p, marks=[pytest.mark.shared_data] if p.name in NEEDS_SHARED else [])
                                  for p in NOTEBOOKS], ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path: Path, artifacts_dir: Path):
    if path.name in NEEDS_SHARED:
        shared_data_path(NEEDS_SHARED[path.name])
    if not (SAMPLE_DIR / "runs").exists():
        pytest.fail("sample_data/runs is missing")
    book = _execute(path, artifacts_dir)
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors
    mimes = [m for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])
             for m in o.get("data", {})]
    # Charts come out as offline SVG, never as the CDN/mimetype Vega bundles (blank offline).
    assert not any(m.startswith("application/vnd.vegalite") for m in mimes)
    text = path.read_text()
    assert "cdn.jsdelivr" not in text and "unpkg.com" not in text


def test_quickstart_outputs(artifacts_dir: Path):
    """The quickstart shows an escaped summary table, an SVG chart and a widget."""
    book = _execute(ROOT / "notebooks" / "01_quickstart.ipynb", artifacts_dir)
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any('class="evalnb-table"' in h and "swift-small" in h for h in html)
    assert any("image/svg+xml" in o.get("data", {}) and "<svg" in o["data"]["image/svg+xml"] for o in outputs)
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert views, "the quickstart shows no widget"
    state = book.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    assert state.get("state"), "widget state was not saved in the executed notebook"
    # the dropdown moved to swift-small in the last cells: the saved state shows it
    dropdowns = [w["state"] for w in state["state"].values() if w.get("model_name") == "DropdownModel"]
    assert any(d.get("_options_labels", [None])[d.get("index") or 0] == "swift-small" for d in dropdowns
               if d.get("index") is not None)
    # no raw markup from data: every '<' of a model name is escaped
    assert not any(re.search(r"<script", h, re.I) for h in html)


def test_lab_command_opens_the_quickstart_without_news(tmp_path):
    """Defect 8: the URL ``evalnb lab`` prints opens the quickstart notebook; news are off."""
    import argparse
    import json
    import secrets
    import socket
    import subprocess
    import time
    import urllib.request

    from evalnb.commands.lab import build_command

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = secrets.token_hex(8)
    args = argparse.Namespace(notebook="notebooks/01_quickstart.ipynb", ip="127.0.0.1", port=str(port),
                              no_browser=True)
    cmd = build_command(args, root=ROOT) + [f"--ServerApp.token={token}"]
    env = {**os.environ, **{k: str(tmp_path / k.lower()) for k in (
        "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR")}}
    log = tmp_path / "lab.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.time() + 60
        url = None
        while time.time() < deadline and url is None:
            time.sleep(0.5)
            m = re.search(r"(http://127\.0\.0\.1:\d+/\S+)", log.read_text())
            url = m.group(1) if m else None
        assert url, log.read_text()
        assert "/lab/tree/notebooks/01_quickstart.ipynb" in url
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification"
                                    f"?token={token}", timeout=20) as resp:
            setting = json.loads(resp.read())
        assert setting["schema"]["properties"]["fetchNews"]["default"] == "false"
        assert setting["schema"]["properties"]["checkForUpdates"]["default"] is False
    finally:
        proc.terminate()
        proc.wait(timeout=20)

"""Real JupyterLab + headless Chromium for the browser tests (recipes from ENVIRONMENT.md).

The server runs on a free port with isolated config/runtime/settings dirs, on a *copy* of
``notebooks/`` (autosave off too), so Run All never rewrites the committed notebooks. The copy sees
the repository's ``sample_data`` through a symlink.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser_available() -> str | None:
    """None when the browser tests can run, else the reason to skip."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not installed (./run test installs Debian's chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright (python) is not installed"
    return None


class Lab:
    def __init__(self, base: Path, root: Path, port: int, token: str, proc: subprocess.Popen):
        self.base, self.root, self.port, self.token, self.proc = base, root, port, token, proc
        self.url = f"http://127.0.0.1:{port}"

    def api(self, path: str, method: str = "GET") -> object:
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def tree_url(self, notebook: str) -> str:
        return f"{self.url}/lab/tree/{notebook}?reset&token={self.token}"

    def kernels(self) -> list[dict]:
        return self.api("/api/kernels")  # type: ignore[return-value]

    def clear_sessions(self) -> None:
        """Kernels outlive pages: delete every session for a clean state."""
        for sess in self.api("/api/sessions"):  # type: ignore[union-attr]
            try:
                self.api(f"/api/sessions/{sess['id']}", method="DELETE")
            except Exception:
                pass


@contextmanager
def jupyter_lab(workdir: Path | None = None) -> Iterator[Lab]:
    """A JupyterLab server on a copy of notebooks/ with isolated configuration; stopped by PID."""
    base = Path(tempfile.mkdtemp(prefix="evalnb-lab-"))
    root = workdir or base / "root"
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "notebooks", root / "notebooks", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (root / "sample_data").symlink_to(Path(os.environ.get("EVALNB_TEST_SAMPLE_DIR", ROOT / "sample_data")))
    settings = base / "settings"
    for rel, value in SETTINGS.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    env = dict(os.environ)
    env.update({
        "JUPYTER_CONFIG_DIR": str(base / "config"), "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "IPYTHONDIR": str(base / "ipython"), "JUPYTER_DATA_DIR": str(base / "data"),
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1",
        "EVALNB_REPO": str(ROOT),
    })
    env.pop("JUPYTER_PATH", None)
    port, token = free_port(), secrets.token_hex(16)
    log = open(base / "lab.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1", "--port", str(port),
         f"--ServerApp.token={token}", "--allow-root", f"--ServerApp.root_dir={root}",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    lab = Lab(base, root, port, token, proc)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited: {(base / 'lab.log').read_text()[-3000:]}")
            try:
                lab.api("/api/status")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise RuntimeError("jupyter lab did not start in 60 s")
                time.sleep(0.3)
        yield lab
    finally:
        try:
            lab.clear_sessions()
        except Exception:
            pass
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def chromium(viewport: tuple[int, int] = (1280, 3200)) -> Iterator[object]:
    """A persistent headless Chromium context (Debian's binary; never ``playwright install``)."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="evalnb-chromium-")
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": viewport[0], "height": viewport[1]})
        try:
            yield ctx
        finally:
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)


def open_notebook(page, lab: Lab, notebook: str, timeout: float = 60) -> None:
    """Open a notebook and wait until its kernel exists and is idle."""
    page.goto(lab.tree_url(notebook))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    # The toolbar says "idle" before a kernel exists: ask the server instead. While an earlier test's
    # kernel is still shutting down, jupyter_server can answer the listing with a 500 (seen in CI):
    # that is "not ready yet", not a result.
    while True:
        try:
            if any(k.get("execution_state") == "idle" for k in lab.kernels()):
                break
        except urllib.error.HTTPError as exc:
            if exc.code < 500 or time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise TimeoutError("kernel did not start")
        time.sleep(0.3)


def run_all(page, lab: Lab, timeout: float = 120) -> None:
    """Run All through the menu (``runmenu:run-all`` has no default shortcut) and wait for the end."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    wait_idle(page, lab, timeout)


def wait_idle(page, lab: Lab, timeout: float = 60) -> None:
    """Wait until no cell shows ``[*]`` and the kernel is idle (twice in a row)."""
    deadline = time.monotonic() + timeout
    time.sleep(0.5)
    calm = 0
    while calm < 2:
        if time.monotonic() > deadline:
            raise TimeoutError("notebook did not finish running")
        busy = page.locator(".jp-InputArea-prompt", has_text="[*]").count()
        idle = all(k.get("execution_state") == "idle" for k in lab.kernels())
        calm = calm + 1 if (busy == 0 and idle) else 0
        time.sleep(0.4)


def error_outputs(page) -> list[str]:
    """Texts of error outputs (tracebacks) shown in the notebook."""
    return page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], '
                        ".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']").all_inner_texts()


def write_notebook(path: Path, cells: list[str]) -> None:
    """A code-only notebook (for tests that need their own cells)."""
    import nbformat

    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(book, path)


class Watch:
    """Collects dialogs (alert/confirm), page errors and every request a page makes."""

    def __init__(self, page):
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def external(self, allowed_prefixes: tuple[str, ...]) -> list[str]:
        return [u for u in self.requests if not u.startswith(allowed_prefixes)]

"""``evalnb lab``: JupyterLab opened on the quickstart notebook (what ``./run lab`` starts).

The printed URL opens the notebook itself (``LabApp.default_url``), not the Launcher, and the
"Jupyter news" / update-check popup is switched off through an ``overrides.json`` in an app
settings folder of our own (``.evalnb-cache/lab-settings``; ENVIRONMENT.md), so the user's own
settings are left alone.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", nargs="?", default="notebooks/01_quickstart.ipynb")
    parser.add_argument("--ip", default=os.environ.get("EVALNB_LAB_IP", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("EVALNB_LAB_PORT", "8888"))
    parser.add_argument("--no-browser", action="store_true")


def settings_dir(root: Path) -> Path:
    """An app settings folder whose overrides.json turns the news popup off."""
    folder = root / ".evalnb-cache" / "lab-settings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overrides.json").write_text(json.dumps(OVERRIDES, indent=2), encoding="utf-8")
    return folder


def build_command(args: argparse.Namespace, root: Path | None = None) -> list[str]:
    """The jupyter lab command line (opens ``args.notebook`` directly, no news popup)."""
    root = Path.cwd() if root is None else Path(root)
    notebook = Path(args.notebook)
    rel = (notebook.resolve().relative_to(root.resolve()) if notebook.is_absolute() else notebook).as_posix()
    cmd = [sys.executable, "-m", "jupyterlab", f"--ip={args.ip}", f"--port={args.port}",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           f"--LabApp.app_settings_dir={settings_dir(root)}",
           f"--LabApp.default_url=/lab/tree/{rel}", f"--ServerApp.root_dir={root}"]
    if args.no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def run(args: argparse.Namespace) -> int:
    notebook = Path(args.notebook)
    if not notebook.exists():
        print(f"evalnb lab: {notebook} not found (run from the project folder)", file=sys.stderr)
        return 2
    return subprocess.call(build_command(args))

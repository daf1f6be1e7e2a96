"""``evalnb lab``: JupyterLab on the quickstart notebook (what ``./run lab`` starts)."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebook", nargs="?", default="notebooks/01_quickstart.ipynb")
    parser.add_argument("--ip", default=os.environ.get("EVALNB_LAB_IP", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("EVALNB_LAB_PORT", "8888"))
    parser.add_argument("--no-browser", action="store_true")


def run(args: argparse.Namespace) -> int:
    notebook = Path(args.notebook)
    cmd = [sys.executable, "-m", "jupyterlab", f"--ip={args.ip}", f"--port={args.port}",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           f"--ServerApp.root_dir={Path.cwd()}"]
    if args.no_browser:
        cmd.append("--no-browser")
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    cmd.append(str(notebook))
    return subprocess.call(cmd)

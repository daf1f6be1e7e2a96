"""The report as PDF: headless Chromium prints the strict form (every section open) to a file.

Chromium is found as ``$EVALNB_CHROMIUM``, then ``chromium``, ``chromium-browser``,
``google-chrome`` on ``PATH`` (Debian: ``apt-get install chromium``). It runs with a throw-away
profile and no network features; the page itself is the strict form, whose CSP forbids every
script and request, so printing it loads nothing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .._errors import EvalnbError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-quic",
         "--no-pdf-header-footer", "--hide-scrollbars"]


def find_chromium() -> str:
    """Path of a Chromium (or Chrome) binary, or an :class:`EvalnbError` saying how to get one."""
    env = os.environ.get("EVALNB_CHROMIUM")
    if env:
        if not Path(env).exists():
            raise EvalnbError(f"EVALNB_CHROMIUM={env} does not exist")
        return env
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise EvalnbError("printing a report to PDF needs Chromium: install it (Debian: apt-get install chromium) "
                      "or set EVALNB_CHROMIUM to its path")


def print_pdf(html: str, path: str | os.PathLike, *, timeout: float = 120.0) -> Path:
    """Print a self-contained HTML page to ``path`` with headless Chromium; returns the path.

    >>> print_pdf("<!doctype html><p>hi</p>", "out.pdf")                      # doctest: +SKIP
    PosixPath('out.pdf')
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    binary = find_chromium()
    with tempfile.TemporaryDirectory(prefix="evalnb-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        target = Path(tmp) / "report.pdf"
        cmd = [binary, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={target}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--no-sandbox")   # Chromium refuses to start its sandbox as root
        cmd.append(page.as_uri())
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise EvalnbError(f"Chromium did not print the report within {timeout:.0f} s") from exc
        if not target.exists() or target.stat().st_size == 0:
            raise EvalnbError(f"Chromium ({binary}) wrote no PDF (exit {proc.returncode}): "
                              f"{(proc.stderr or proc.stdout)[-800:]}")
        shutil.move(str(target), out)
    return out

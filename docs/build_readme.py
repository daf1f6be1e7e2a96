"""Assemble README.md from docs/readme/*.md fragments (sorted by file name).

Each area of evalnb owns one fragment; `python docs/build_readme.py` rewrites README.md and
`--check` fails when README.md is stale (a test runs it).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build() -> str:
    parts = [p.read_text(encoding="utf-8").strip() + "\n" for p in sorted((ROOT / "docs" / "readme").glob("*.md"))]
    return "\n".join(parts)


if __name__ == "__main__":
    text = build()
    readme = ROOT / "README.md"
    if "--check" in sys.argv:
        sys.exit(0 if readme.exists() and readme.read_text(encoding="utf-8") == text else 1)
    readme.write_text(text, encoding="utf-8")

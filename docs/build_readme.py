"""Assemble the short README.md front page from docs/readme/00_intro.md and the list of pages.

The README is a front page: what evalnb is, the two commands and a ten-line example (the intro
fragment, ``docs/readme/00_intro.md``), then links to every guide page. The guide itself is the
other fragments in ``docs/readme/`` (each area of evalnb owns one), which the documentation site
(``mkdocs.yml``, built strictly by the tests) uses as its pages.

``python docs/build_readme.py`` rewrites README.md; ``--check`` fails when README.md is stale (a
test runs it).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAGMENTS = ROOT / "docs" / "readme"
INTRO = "00_intro.md"
PAGES = [("How to add a metric, an importer or a view", "docs/extending.md"),
         ("Column roles (keys, KPIs, aggregation, direction)", "docs/roles.md"),
         ("How the suite is kept honest, and its mutation score", "docs/testing.md"),
         ("Threat model and the reliability cases (X/J/R/C/D/S ids)", "docs/threat-model.md")]


def _title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip().replace("`", "")
    return path.stem


def build() -> str:
    intro = (FRAGMENTS / INTRO).read_text(encoding="utf-8").strip() + "\n"
    guide = [f"- [{_title(p)}](docs/readme/{p.name})" for p in sorted(FRAGMENTS.glob("*.md")) if p.name != INTRO]
    more = [f"- [{title}]({path})" for title, path in PAGES]
    return (intro + "\n## Documentation\n\n"
            "The full guide, one page per area (also published as a site: `.venv/bin/mkdocs serve`, with an API "
            "reference generated from the docstrings):\n\n" + "\n".join(guide) + "\n\nFor contributors:\n\n"
            + "\n".join(more) + "\n")


if __name__ == "__main__":
    text = build()
    readme = ROOT / "README.md"
    if "--check" in sys.argv:
        sys.exit(0 if readme.exists() and readme.read_text(encoding="utf-8") == text else 1)
    readme.write_text(text, encoding="utf-8")

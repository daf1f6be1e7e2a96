"""The documentation site builds strictly, documents every public name, and the case ids the code
cites are defined in the repository's own threat-model page."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import evalnb
from conftest import ROOT

pytestmark = pytest.mark.timeout(600)

CASE = re.compile(r"(?<![\w.-])([XJRCDS](?:0[1-9]|1\d|20))(?![\w])")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    res = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=540, env=env)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    return out


def test_site_builds_strictly_with_every_fragment_as_a_page(site):
    for fragment in sorted((ROOT / "docs" / "readme").glob("*.md")):
        assert (site / "readme" / fragment.stem / "index.html").exists(), fragment.name
    for page in ("extending", "threat-model", "roles", "testing", "reference"):
        assert (site / page / "index.html").exists(), page
    # screenshots referenced by the fragments resolve inside the site
    html = (site / "readme" / "80_notebooks" / "index.html").read_text(encoding="utf-8")
    for src in re.findall(r'<img[^>]+src="([^"]+\.png)"', html):
        assert (site / "readme" / "80_notebooks" / src).resolve().exists(), src


def test_every_public_name_has_a_docstring_and_a_reference_entry(site):
    reference = (site / "reference" / "index.html").read_text(encoding="utf-8")
    undocumented = [n for n in evalnb._API if not (getattr(evalnb, n).__doc__ or "").strip()]
    assert undocumented == []
    missing = [n for n, mod in evalnb._API.items() if f'id="{mod}.{n}"' not in reference]
    assert missing == []


def test_how_to_extend_page_covers_metric_importer_and_view():
    text = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    for heading in ("## Add a metric", "## Add an importer", "## Add a view"):
        assert heading in text


def test_cited_case_ids_are_defined_in_the_threat_model():
    model = (ROOT / "docs" / "threat-model.md").read_text(encoding="utf-8")
    defined = set(re.findall(r"^\| ([XJRCDSL]\d\d) \|", model, re.M))
    assert {"X01", "J10", "R08", "C10", "D13", "S10"} <= defined and len(defined) >= 80
    assert "RELIABILITY.md" not in "".join(p.read_text(encoding="utf-8") for p in (ROOT / "evalnb").rglob("*.py"))
    undefined = {}
    paths = [*(ROOT / "evalnb").rglob("*.py"), *(ROOT / "widgets").glob("*.py"), *(ROOT / "tests").glob("*.py"),
             *(ROOT / "docs" / "readme").glob("*.md")]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if "threat-model" not in text or path.name == "test_docs.py":
            continue
        bad = set(CASE.findall(text)) - defined
        if bad:
            undefined[path.relative_to(ROOT).as_posix()] = sorted(bad)
    assert undefined == {}


def test_readme_is_a_short_front_page_whose_links_resolve():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme) < 8_000                                   # was 109 KB
    assert "./run lab" in readme and "./run test" in readme and "```python" in readme
    example = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    assert len([line for line in example.splitlines() if line.strip() and not line.startswith("import")]) <= 10
    links = re.findall(r"\]\(([^)#]+)\)", readme)
    assert len(links) >= 15
    assert [link for link in links if not (ROOT / link).exists()] == []

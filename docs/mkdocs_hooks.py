"""MkDocs hooks for evalnb's documentation site (``mkdocs build --strict``; a test runs it).

* The site reuses the README fragments in ``docs/readme/`` as its pages. The fragments link
  relative to the repository root (for GitHub's README view), so links into ``docs/`` are rewritten
  to be relative to the page; any other link is left alone and strict mode checks it.
* ``reference.md`` lists every public name of ``evalnb`` (``evalnb._API``): the page is generated
  from that mapping, so a name added to the API appears in the reference without editing docs.
* Every fragment is a page: one the nav does not list yet is added under "Guide".
"""
from __future__ import annotations

import re
from pathlib import Path

_DOCS_LINK = re.compile(r"(\]\()docs/")
_REFERENCE_MARK = "<!-- api-reference -->"


def on_config(config):
    """Any README fragment the nav does not list yet gets a page under "Guide" (titled by its first
    heading), so a fragment added by anyone is on the site without editing mkdocs.yml."""
    docs = Path(config["docs_dir"])
    listed = set()

    def walk(items):
        for item in items or []:
            if isinstance(item, dict):
                for value in item.values():
                    walk(value if isinstance(value, list) else [value])
            elif isinstance(item, str):
                listed.add(item)

    walk(config["nav"])
    extra = []
    for path in sorted((docs / "readme").glob("*.md")):
        rel = path.relative_to(docs).as_posix()
        if rel not in listed:
            title = next((line.lstrip("#").strip().replace("`", "") for line in path.read_text(encoding="utf-8").splitlines()
                          if line.startswith("#")), path.stem)
            extra.append({title: rel})
    if extra:
        for section in config["nav"]:
            if isinstance(section, dict) and "Guide" in section:
                section["Guide"].extend(extra)
                break
        else:
            config["nav"].append({"Guide": extra})
    return config


def on_page_markdown(markdown, page, config, files):
    src = page.file.src_uri
    if src.startswith("readme/"):
        markdown = _DOCS_LINK.sub(r"\1../", markdown)
    if src == "reference.md" and _REFERENCE_MARK in markdown:
        markdown = markdown.replace(_REFERENCE_MARK, _reference())
    return markdown


def _reference() -> str:
    import evalnb

    groups: dict[str, list[str]] = {}
    for name, module in evalnb._API.items():
        groups.setdefault(module, []).append(name)
    out = []
    for module in sorted(groups):
        out.append(f"## `{module}`\n")
        for name in groups[module]:
            out.append(f"::: {module}.{name}\n")
    return "\n".join(out)

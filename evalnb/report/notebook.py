"""Export a notebook to one HTML file that shows its widgets offline.

nbconvert saves widget state but loads require.js and the widget renderer (and MathJax, Mermaid)
from CDNs: offline, widgets are blank (ENVIRONMENT.md). Here the lab template runs without the
MathJax/Mermaid CDN blocks, and require.js + ``@jupyter-widgets/html-manager``'s ``embed-amd.js``
(vendored, gzipped, see templates/VENDORED.md) are written beside the HTML in ``<name>_files/``.
Case R10: nbconvert >= 7.17.1, ``sanitize_html=True``, ``embed_images=False``.

>>> export_notebook("notebooks/01_quickstart.ipynb", "quickstart.html", execute=True)  # doctest: +SKIP
"""
from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
from pathlib import Path

from .._errors import EvalnbError

TEMPLATES = Path(__file__).with_name("templates")
VENDORED = {"require.js": "c1fc6b1d53af7522f78d664922abb32acac64ed0ecccb8f907f1e6fc7262563a",
            "embed-amd.js": "ca87dff57c70ffb2658794fde0eab0e27e5f5472a1f5df7ab2b08e1039fc4b72"}
MIN_NBCONVERT = (7, 17, 1)


def check_nbconvert() -> str:
    """Refuse nbconvert older than 7.17.1 (CVE-2026-39377/39378)."""
    import nbconvert

    version = tuple(int(x) for x in re.findall(r"\d+", nbconvert.__version__)[:3])
    if version < MIN_NBCONVERT:
        raise EvalnbError(f"nbconvert {nbconvert.__version__} is too old for safe HTML export; "
                          "install nbconvert>=7.17.1")
    return nbconvert.__version__


def unpack_widget_js(folder: str | os.PathLike) -> dict[str, Path]:
    """Write require.js and embed-amd.js into ``folder``, always, and verify them by SHA-256.

    The page runs whatever sits at these paths, so a file already there is never trusted (a
    planted same-size ``require.js`` used to be kept): each file is written to a temp file and
    renamed over the old one (which also replaces a planted symlink instead of writing through
    it), then read back and checked against the recorded hash.
    """
    from ..io.writers import atomic_path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, sha in VENDORED.items():
        data = gzip.decompress((TEMPLATES / f"{name}.gz").read_bytes())
        if hashlib.sha256(data).hexdigest() != sha:
            raise EvalnbError(f"vendored {name} does not match its recorded SHA-256 (templates/VENDORED.md)")
        target = folder / name
        with atomic_path(target) as tmp:
            tmp.write_bytes(data)
        if target.is_symlink() or hashlib.sha256(target.read_bytes()).hexdigest() != sha:
            raise EvalnbError(f"{target}: the written file does not match the SHA-256 of the vendored {name}; "
                              "something else is writing into this folder")
        out[name] = target
    return out


def exporter(assets: str, **kwargs):
    """An ``HTMLExporter`` with offline widget JS under ``assets/`` (a URL relative to the HTML)."""
    from nbconvert import HTMLExporter

    check_nbconvert()
    return HTMLExporter(template_name="lab", template_file=str(TEMPLATES / "nbconvert-offline.html.j2"),
                        sanitize_html=True, embed_images=False,
                        require_js_url=f"{assets}/require.js", widget_renderer_url=f"{assets}/embed-amd.js",
                        **kwargs)


def export_notebook(notebook: str | os.PathLike, output: str | os.PathLike, *, execute: bool = False,
                    timeout: int = 300) -> Path:
    """Export ``notebook`` (optionally executing it first) to ``output`` with offline widgets.

    Parameters
    ----------
    notebook : the .ipynb file.
    output : the .html file to write; its widget JavaScript goes to ``<stem>_files/`` beside it.
    execute : run the notebook headless first (nbclient), so that outputs and widget state exist.
    timeout : per-cell timeout when executing.

    Returns
    -------
    Path
        The path of the HTML file.
    """
    import nbformat

    from ..io.writers import write_text

    notebook, output = Path(notebook), Path(output)
    book = nbformat.read(notebook, as_version=4)
    if execute:
        from nbclient import NotebookClient

        NotebookClient(book, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(notebook.parent.resolve())}}).execute()
    assets = f"{output.stem}_files"
    unpack_widget_js(output.parent / assets)
    body, _ = exporter(assets).from_notebook_node(book, resources={"metadata": {"name": notebook.stem}})
    write_text(output, body)
    return output


def copy_assets(src_html: str | os.PathLike, dest_dir: str | os.PathLike) -> None:
    """Copy an exported notebook and its ``_files`` folder elsewhere (for sharing)."""
    src = Path(src_html)
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest / src.name)
    shutil.copytree(src.parent / f"{src.stem}_files", dest / f"{src.stem}_files", dirs_exist_ok=True)

"""Issue 13 item 24: export_notebook always writes its vendored widget JavaScript, verified by hash."""
from __future__ import annotations

import gzip
import hashlib

import nbformat
import pytest

from evalnb.report.notebook import TEMPLATES, VENDORED, export_notebook, unpack_widget_js


def _notebook(path):
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# hello")])
    nbformat.write(book, path)
    return path


def test_24_a_planted_same_size_require_js_is_overwritten(tmp_path):
    nb = _notebook(tmp_path / "book.ipynb")
    files = tmp_path / "book_files"
    files.mkdir()
    size = len(gzip.decompress((TEMPLATES / "require.js.gz").read_bytes()))
    evil = b"alert(document.cookie);//"
    (files / "require.js").write_bytes(evil + b" " * (size - len(evil)))    # same size as the real one
    export_notebook(nb, tmp_path / "book.html")
    for name, sha in VENDORED.items():
        assert hashlib.sha256((files / name).read_bytes()).hexdigest() == sha, name
    assert b"alert(document.cookie)" not in (files / "require.js").read_bytes()


def test_24_a_planted_symlink_is_replaced_not_written_through(tmp_path):
    canary = tmp_path / "canary.txt"
    canary.write_text("keep me")
    files = tmp_path / "out"
    files.mkdir()
    (files / "embed-amd.js").symlink_to(canary)
    out = unpack_widget_js(files)
    assert canary.read_text() == "keep me"
    assert not out["embed-amd.js"].is_symlink()
    assert hashlib.sha256(out["embed-amd.js"].read_bytes()).hexdigest() == VENDORED["embed-amd.js"]


def test_24_a_file_that_does_not_verify_after_writing_is_an_error(tmp_path, monkeypatch):
    import os

    from evalnb._errors import EvalnbError

    (tmp_path / "require.js").write_bytes(b"alert(1)")
    # the rename that puts the fresh file in place "succeeds" without effect (as if something else
    # wrote into the folder): the read-back hash check must refuse the planted file
    monkeypatch.setattr(os, "replace", lambda src, dst: None)
    with pytest.raises(EvalnbError, match="does not match the SHA-256 of the vendored require.js"):
        unpack_widget_js(tmp_path)

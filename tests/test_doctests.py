"""Every docstring example in evalnb (and evalnb.widgets) runs, and prints what it says it prints.

Examples may use ``evalnb``, ``pd``, ``np`` and the sample data as ``runs``, ``kpis``, ``joined``
(runs joined with the KPI log) and ``session`` (an Explorer ``Session`` over them); the working
directory is the repository root, so ``"sample_data/runs/*.jsonl"`` resolves. An example marked
``# doctest: +SKIP`` is only one that needs a network, a GPU-sized model or minutes.
"""
from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
import warnings

import numpy as np
import pandas as pd
import pytest

import evalnb
from conftest import ROOT

pytestmark = pytest.mark.timeout(300)


def _modules() -> list[str]:
    names = ["evalnb"]
    for pkg in ("evalnb", "evalnb.widgets"):
        mod = importlib.import_module(pkg)
        names.append(pkg)
        names += [m.name for m in pkgutil.walk_packages(mod.__path__, prefix=pkg + ".")]
    return sorted(set(names))


MODULES = _modules()


@pytest.fixture(scope="module")
def extra_globs(sample_runs, sample_kpis, sample_joined):
    from evalnb.widgets import Session

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = Session(sample_runs, sample_kpis)
    return {"evalnb": evalnb, "pd": pd, "np": np, "runs": sample_runs, "kpis": sample_kpis,
            "joined": sample_joined, "session": session}


def test_every_module_is_collected():
    assert len(MODULES) > 60 and "evalnb.roles" in MODULES and "evalnb.widgets.session" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, extra_globs, monkeypatch):
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = [t for t in finder.find(module, name, globs={**extra_globs, **vars(module)})
             if getattr(t, "filename", None) is None or os.path.abspath(t.filename).startswith(str(ROOT))]
    runnable = [t for t in tests if any(not ex.options.get(doctest.SKIP) for ex in t.examples)]
    if not runnable:
        return  # nothing to run (no examples, or all need a network/model)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in runnable:
            runner.run(t, out=out.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(out)

"""One API vocabulary: ``confidence=`` for interval levels, ``adjust=`` for multiplicity, ``.summary()``
is text everywhere, one public ``evalnb.errors`` module, one version string. Old names keep working
for one release, with a DeprecationWarning, and give the same numbers."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import evalnb
from conftest import ROOT

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 240
    x = rng.normal(size=n)
    return pd.DataFrame({"model": np.repeat(["a", "b"], n // 2), "item_id": [str(i % (n // 2)) for i in range(n)],
                         "category": rng.choice(["p", "q"], n), "m": x, "k": (x + rng.normal(size=n) > 0).astype(float),
                         "timestamp": pd.date_range("2026-01-01", periods=n, freq="12h", tz="UTC")})


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", evalnb.errors.EvalnbWarning)
        return fn(*args, **kwargs)


@pytest.mark.parametrize("name, call, old, new", [
    ("correlate", lambda f, **kw: evalnb.correlate(f, ["m"], ["k"], method="spearman", n_boot=100, by=None, **kw), "ci", "confidence"),
    ("fit_kpi", lambda f, **kw: evalnb.fit_kpi(f, "k", ["m"], cv_repeats=1, **kw), "ci", "confidence"),
    ("validity_drift", lambda f, **kw: evalnb.validity_drift(f, ["m"], "k", n_boot=100, min_n=10, **kw), "ci", "confidence"),
])
def test_confidence_is_the_word_and_ci_still_works(frame, name, call, old, new):
    wide = _quiet(call, frame, **{new: 0.95}).to_frame()
    narrow = _quiet(call, frame, **{new: 0.80}).to_frame()
    cols = [c for c in ("ci_low", "ci_high") if c in narrow]
    assert cols
    width = lambda t: (t[cols[1]] - t[cols[0]]).dropna()             # noqa: E731
    assert (width(narrow).to_numpy() < width(wide).to_numpy()).all()   # the level is honoured
    with pytest.warns(DeprecationWarning, match=f"{name}\\({old}=.*use {new}="):
        legacy = _quiet(call, frame, **{old: 0.80}).to_frame()
    pd.testing.assert_frame_equal(legacy, narrow)


@pytest.mark.parametrize("name, call", [
    ("compare", lambda f, **kw: evalnb.compare(f, baseline="a", candidate="b", metrics=["m", "k"], n_boot=100, **kw)),
    ("worst_slices", lambda f, **kw: evalnb.worst_slices(f, "m", by="category", failure=0, **kw)),
])
def test_adjust_is_the_multiplicity_word_and_method_still_works(frame, name, call):
    holm = _quiet(call, frame).to_frame()
    bh = _quiet(call, frame, adjust="bh").to_frame()
    with pytest.warns(DeprecationWarning, match=f"{name}\\(method=.*use adjust="):
        legacy = _quiet(call, frame, method="bh").to_frame()
    pd.testing.assert_frame_equal(legacy, bh)
    # the closed form: BH-adjusted p-values never exceed Holm's
    assert (bh["p_adjusted"].to_numpy() <= holm["p_adjusted"].to_numpy() + 1e-12).all()


def test_same_words_in_every_signature():
    funcs = [evalnb.summarize, evalnb.compare, evalnb.correlate, evalnb.fit_kpi, evalnb.validity_drift,
             evalnb.worst_slices, evalnb.gate]
    for f in funcs:
        params = inspect.signature(f).parameters
        assert "ci" not in params or params["ci"].default is None, f.__name__          # only the deprecated alias
        if f in (evalnb.compare, evalnb.worst_slices, evalnb.correlate, evalnb.gate):
            assert "adjust" in params, f.__name__
    for f in (evalnb.summarize, evalnb.compare, evalnb.correlate, evalnb.fit_kpi, evalnb.validity_drift):
        assert inspect.signature(f).parameters["confidence"].default == 0.95, f.__name__
    # data first
    for f in funcs[:-1]:
        assert next(iter(inspect.signature(f).parameters)) in ("data", "scores"), f.__name__


def test_summary_is_text_with_an_html_view(frame):
    results = [
        _quiet(evalnb.summarize, frame, metrics=["m"], n_boot=50, progress=False),
        _quiet(evalnb.compare, frame, baseline="a", candidate="b", metrics=["m"], n_boot=50),
        _quiet(evalnb.worst_slices, frame, "m", by="category", failure=0),
        _quiet(evalnb.correlate, frame, ["m"], ["k"], n_boot=50, by=None),
        _quiet(evalnb.fit_kpi, frame, "k", ["m"], cv_repeats=1),
        _quiet(evalnb.validity_drift, frame, ["m"], "k", n_boot=50, min_n=10),
        _quiet(evalnb.drift, frame[:120], frame[120:], metrics=["m"], n_boot=50),
        _quiet(evalnb.score, frame.assign(output="x"), [evalnb.metric("precomputed", column="m")], progress=False),
    ]
    for r in results:
        text = r.summary()
        assert isinstance(text, str) and text.strip(), type(r).__name__
        assert str(r) == text or type(r).__name__ in ("KpiFit",), type(r).__name__
        assert hasattr(r, "_repr_html_"), type(r).__name__


def test_errors_module_holds_the_whole_hierarchy():
    import evalnb.errors as errors

    base = (errors.EvalnbError, errors.EvalnbWarning)
    defined = {}
    for info in pkgutil.walk_packages(evalnb.__path__, prefix="evalnb."):
        if info.name.startswith(("evalnb.widgets", "evalnb.testing")):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, base) and obj.__module__ == module.__name__:
                defined[name] = obj
    assert len(defined) >= 15
    missing = [n for n, cls in defined.items() if getattr(errors, n, None) is not cls]
    assert missing == []
    assert evalnb.errors is errors and evalnb.DataError is errors.DataError


def test_one_version_string():
    from evalnb.metrics.base import EVALNB_VERSION

    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    declared = re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1)
    assert evalnb.__version__ == EVALNB_VERSION == declared
    out = subprocess.run([sys.executable, "-m", "evalnb.cli", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert declared in out.stdout + out.stderr
    assert f"|evalnb:{declared}" in evalnb.metric("rouge1").signature()

"""Shared fixtures. Paths, the sample data, and ../shared/data.

Outside CI a test whose environment is missing (../shared/data, Chromium or playwright, user
namespaces for the sandbox) skips with the reason. In CI (``CI=true``) each of those skips is
turned into a failure (:func:`pytest_runtest_makereport`): a green CI run has run them all.
Every test that reads ../shared/data must carry ``@pytest.mark.shared_data``
(:func:`shared_data_path` checks), so ``-m "not shared_data"`` selects exactly the others.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "sample_data"
SHARED_DATA = Path(os.environ.get("EVALNB_SHARED_DATA", ROOT.parent / "shared" / "data"))
ARTIFACTS = ROOT / "test-artifacts"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The judge journal's HMAC secret lives in the user config dir; tests keep theirs under
# test-artifacts/ (gitignored), stable across sessions so the notebooks' persistent judge cache
# (build/notebooks/judge-cache) keeps verifying from one run to the next.
if not os.environ.get("EVALNB_SECRET_DIR"):
    os.environ["EVALNB_SECRET_DIR"] = str(Path(__file__).resolve().parents[1] / "test-artifacts" / "evalnb-secret")


IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
# skip reasons that name a missing environment: in CI these are failures, never skips
ENVIRONMENT_SKIPS = re.compile(r"shared data|chromium|playwright|browser|namespace|sandbox|isolation", re.I)
_CURRENT: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _current_test(request):
    _CURRENT["node"] = request.node
    yield
    _CURRENT.pop("node", None)


def shared_data_path(*parts: str) -> Path:
    """Path under ../shared/data; skip (fail in CI) when it is absent. The calling test must be
    marked ``@pytest.mark.shared_data``."""
    node = _CURRENT.get("node")
    if node is not None and node.get_closest_marker("shared_data") is None:
        pytest.fail(f"{node.nodeid} reads ../shared/data but is not marked @pytest.mark.shared_data")
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        why = f"shared data not available: {path} (tests on real human-judgment data need ../shared/data)"
        if IN_CI:
            pytest.fail("CI=true: " + why)
        pytest.skip(why)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI, a skip because the browser, the sandbox's namespaces or the shared data are missing fails."""
    outcome = yield
    report = outcome.get_result()
    if not (IN_CI and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if ENVIRONMENT_SKIPS.search(reason or ""):
        report.outcome = "failed"
        report.longrepr = f"CI=true: a missing environment is a failure, not a skip: {reason}"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def sample_runs():
    import evalnb

    if not (SAMPLE_DIR / "runs").exists():
        pytest.fail("sample_data/runs is missing: run python sample_data/make_sample_data.py")
    return evalnb.load_runs(str(SAMPLE_DIR / "runs" / "*.jsonl"))


@pytest.fixture(scope="session")
def sample_kpis():
    import evalnb

    return evalnb.load_kpis(str(SAMPLE_DIR / "kpis.csv"))


@pytest.fixture(scope="session")
def sample_joined(sample_runs, sample_kpis):
    return sample_runs.with_kpis(sample_kpis)


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray instance for the session (issue 18): 2 CPUs, no dashboard, no network."""
    import os

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_enable_metrics_collection", "0")
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield ray
    ray.shutdown()

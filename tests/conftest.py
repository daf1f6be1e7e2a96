"""Shared fixtures. Paths, the sample data, and ../shared/data (tests using it skip when absent)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "sample_data"
SHARED_DATA = Path(os.environ.get("EVALNB_SHARED_DATA", ROOT.parent / "shared" / "data"))
ARTIFACTS = ROOT / "test-artifacts"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The judge journal's HMAC secret lives in the user config dir; tests keep theirs in a throwaway one.
if not os.environ.get("EVALNB_SECRET_DIR"):
    import tempfile

    os.environ["EVALNB_SECRET_DIR"] = tempfile.mkdtemp(prefix="evalnb-test-secret-")


def shared_data_path(*parts: str) -> Path:
    """Path under ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (tests on real human-judgment data need ../shared/data)")
    return path


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

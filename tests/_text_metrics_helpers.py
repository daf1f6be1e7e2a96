"""Data helpers shared by the text-metric tests (overlap, QA, semantic)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from conftest import SAMPLE_DIR, shared_data_path

# EVALNB_SAMPLE_DIR lets a developer point the tests at a freshly generated copy
# (python sample_data/make_sample_data.py --out DIR); CI uses sample_data/.
SAMPLE = Path(os.environ.get("EVALNB_SAMPLE_DIR", SAMPLE_DIR))
_CACHE: dict[str, pd.DataFrame] = {}


def sample_task(task: str) -> pd.DataFrame:
    """Rows of one task of the sample runs (all 4 models), outputs present."""
    if "runs" not in _CACHE:
        if not (SAMPLE / "runs").exists():
            pytest.fail("sample_data/runs is missing: run python sample_data/make_sample_data.py")
        import evalnb

        _CACHE["runs"] = evalnb.load_runs(str(SAMPLE / "runs" / "*.jsonl")).df
    df = _CACHE["runs"]
    return df[(df.task == task) & df.output.notna()].reset_index(drop=True)


def summeval(n_docs: int | None = None) -> pd.DataFrame:
    """SummEval's 1,600 summaries (16 systems x 100 docs) with their 11 references each."""
    path = shared_data_path("summeval", "summeval_expert_1600.jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    df = pd.DataFrame({"model": [r["system_id"] for r in rows], "item_id": [r["doc_id"] for r in rows],
                       "output": [r["system_output"] for r in rows],
                       "references": [r["references"] for r in rows]})
    if n_docs:
        df = df[df.item_id.isin(sorted(df.item_id.unique())[:n_docs])]
    return df.reset_index(drop=True)

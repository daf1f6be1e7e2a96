"""Issue 13 item 21: a KPI log that matches no eval row is a clear error (exit 2), never a numpy crash."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalnb
from evalnb._errors import DataError
from evalnb.cli import main


def _evals(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"run_id": "r", "model": "m", "item_id": [f"it-{i}" for i in range(n)],
                         "request_id": [f"req-{i:04d}" for i in range(n)], "category": ["a", "b"] * (n // 2),
                         "output": "x", "judge_faithfulness": rng.integers(1, 6, n).astype(float)})


def _kpis(ids, key="request_id") -> pd.DataFrame:
    return pd.DataFrame({key: ids, "thumbs_up": np.arange(len(ids)) % 2})


def test_21_correlate_with_a_kpi_log_matching_no_row_raises_a_named_error():
    evals = _evals()
    with pytest.raises(DataError) as info:
        evalnb.correlate(evals, ["judge_faithfulness"], "thumbs_up", kpis=_kpis([f"other-{i}" for i in range(40)]))
    msg = str(info.value)
    assert "0 of 60 eval rows found an outcome in the KPI log (40 rows)" in msg
    assert "the join key was request_id" in msg
    assert "eval 'req-0000', 'req-0001', 'req-0002'; KPI log 'other-0', 'other-1', 'other-2'" in msg


def test_21_ids_that_differ_only_in_type_are_named():
    evals = _evals().drop(columns=["request_id"]).assign(item_id=[str(i) for i in range(60)])
    with pytest.raises(DataError, match=r"join key was item_id.*match as text but not as values \((object|str|string) vs int64\)"):
        evalnb.join_kpis(evals, _kpis(list(range(60)), key="item_id"))


def test_21_partial_matches_still_join():
    joined = evalnb.join_kpis(_evals(), _kpis([f"req-{i:04d}" for i in range(10)]))
    assert joined.attrs["kpi_coverage"]["matched"] == 10 and len(joined) == 60


def test_21_an_already_joined_frame_with_an_empty_target_is_a_named_error():
    evals = _evals().assign(thumbs_up=np.nan)        # used to end in "cannot reshape array of size 0"
    with pytest.raises(DataError, match="target 'thumbs_up' has no numeric values in any of the 60 rows"):
        evalnb.correlate(evals, ["judge_faithfulness"], "thumbs_up")


def test_21_cli_correlate_exits_2_with_the_reason(tmp_path, capsys):
    _evals().to_json(tmp_path / "runs.jsonl", orient="records", lines=True)
    _kpis([f"zz-{i}" for i in range(30)]).to_csv(tmp_path / "kpis.csv", index=False)
    code = main(["correlate", str(tmp_path / "runs.jsonl"), "--target", "thumbs_up", "--kpis",
                 str(tmp_path / "kpis.csv"), "--metrics", "judge_faithfulness"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "0 of 60 eval rows found an outcome" in err and "join key was request_id" in err
    assert "Traceback" not in err

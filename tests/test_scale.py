"""Issue 18: scoring on Ray Data and analysis over Parquet datasets with DuckDB give the in-process numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalnb
from evalnb.metrics.distributed import ScoresDataset

pytestmark = pytest.mark.filterwarnings("ignore::evalnb._errors.SmallSampleWarning")

TEXT_METRICS = ["rouge1", "bleu", "chrf", "exact_match", "latency", "cost"]


@pytest.fixture(scope="module")
def small_runs(sample_runs):
    # 100 items per model of every task: all the text metrics have work, the run stays quick
    return sample_runs.df.groupby("model", sort=False).head(100).reset_index(drop=True)


@pytest.fixture(scope="module")
def local_scores(small_runs):
    return evalnb.score(small_runs, TEXT_METRICS, progress=False)


def test_ray_scores_are_identical_to_in_process_scores(ray_cluster, small_runs, local_scores):
    remote = evalnb.score(small_runs, TEXT_METRICS, engine="ray")
    pd.testing.assert_frame_equal(remote.df, local_scores.df, check_exact=True)
    assert remote.signatures == local_scores.signatures and remote.status == local_scores.status
    # corpus values come from the summed per-item statistics, so they are identical too
    for name in ("bleu", "chrf"):
        m = remote.metrics[name]
        assert m.corpus_score(remote.df) == local_scores.metrics[name].corpus_score(local_scores.df)


def test_ray_reads_parquet_partitions_and_writes_a_scores_dataset(ray_cluster, small_runs, local_scores, tmp_path):
    src = tmp_path / "runs"
    src.mkdir()
    canonical = small_runs.drop(columns=["source_file", "source_line"], errors="ignore")
    for i, part in enumerate(np.array_split(np.arange(len(canonical)), 3)):
        canonical.iloc[part].to_parquet(src / f"part-{i}.parquet", index=False)
    out = evalnb.score(str(src), ["rouge1", "exact_match"], engine="ray", output=tmp_path / "scores")
    assert isinstance(out, ScoresDataset) and out.status == {"rouge1": "ok", "exact_match": "ok"}
    back = ScoresDataset(tmp_path / "scores").load().df
    expected = local_scores.df
    np.testing.assert_array_equal(back["rouge1"].to_numpy(), expected["rouge1"].to_numpy())
    np.testing.assert_array_equal(back["exact_match"].to_numpy(), expected["exact_match"].to_numpy())


def test_cli_score_engine_ray(ray_cluster, small_runs, tmp_path, capsys):
    from evalnb.cli import main

    path = tmp_path / "runs.parquet"
    small_runs.drop(columns=["source_file", "source_line"], errors="ignore").to_parquet(path, index=False)
    assert main(["score", str(path), "-m", "rouge1", "--engine", "ray", "-o", str(tmp_path / "out")]) == 0
    assert "rouge1: ok" in capsys.readouterr().out
    assert ScoresDataset(tmp_path / "out").signatures["rouge1"].startswith("rouge1|")


def _dataset(local_scores, path):
    df = local_scores.df
    path.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(df)), 4)):
        df.iloc[part].to_parquet(path / f"part-{i}.parquet", index=False)
    import json

    (path / "_evalnb_scores.json").write_text(json.dumps({
        "signatures": dict(local_scores.signatures), "status": dict(local_scores.status),
        "metrics": [{"name": m.name, "settings": dict(m.settings)} for m in local_scores.metrics.values()]}))
    return path


def test_duckdb_summarize_equals_the_in_memory_summary(local_scores, tmp_path):
    path = _dataset(local_scores, tmp_path / "scores")
    for by in (["model"], ["model", "category"]):
        mem = evalnb.summarize(local_scores, by=by, n_boot=300, progress=False).to_frame()
        duck = evalnb.summarize(str(path), by=by, n_boot=300, progress=False).to_frame()
        key = [*by, "metric", "statistic"]
        mem, duck = (f.sort_values(key).reset_index(drop=True) for f in (mem, duck))
        pd.testing.assert_frame_equal(duck[key + ["n", "n_excluded", "method"]], mem[key + ["n", "n_excluded", "method"]],
                                      check_dtype=False)
        np.testing.assert_allclose(duck[["estimate", "ci_low", "ci_high"]].to_numpy(float),
                                   mem[["estimate", "ci_low", "ci_high"]].to_numpy(float), rtol=1e-9, atol=1e-12)


def test_slice_table_is_the_same_through_duckdb_and_pandas(local_scores, tmp_path):
    path = _dataset(local_scores, tmp_path / "scores")
    pandas_side = evalnb.slice_table(local_scores, "rouge1", 0.3, by="category")
    duck_side = evalnb.slice_table(str(path), "rouge1", 0.3, by="category")
    pd.testing.assert_frame_equal(duck_side, pandas_side, check_dtype=False)
    # hand check of one slice against pandas directly
    df = local_scores.df
    worst = pandas_side.iloc[0]
    rows = df[df["category"] == worst["category"]]["rouge1"].dropna()
    assert worst["failures"] == int((rows < 0.3).sum()) and worst["n"] == len(rows)
    assert worst["rate"] == pytest.approx((rows < 0.3).mean())

"""Issue 18: scoring on Ray Data and analysis over Parquet datasets with DuckDB give the in-process numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalnb
from evalnb.metrics.distributed import ScoresDataset, score_on_ray

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
    # a written dataset is a set of partitions: Ray's write tasks may finish, and name their files, in
    # any order (CI once read them back in another order), so rows are compared by their keys
    keys = ["run_id", "item_id"]
    back = ScoresDataset(tmp_path / "scores").load().df.sort_values(keys, kind="stable").reset_index(drop=True)
    expected = local_scores.df.sort_values(keys, kind="stable").reset_index(drop=True)
    assert len(back) == len(expected) and not back.duplicated(keys).any()
    assert back[keys].values.tolist() == expected[keys].values.tolist()
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


@pytest.fixture(scope="module")
def gappy_scores(local_scores):
    """The sample scores with holes: missing metric values (NaN) and a missing category on some rows."""
    from evalnb.metrics.scoring import Scores

    df = local_scores.df.copy()
    rng = np.random.default_rng(3)
    for col in ("rouge1", "exact_match", "latency_ms"):
        df.loc[rng.random(len(df)) < 0.1, col] = np.nan
    df["category"] = df["category"].astype(object)
    df.loc[rng.random(len(df)) < 0.05, "category"] = None
    return Scores(df, local_scores.metrics, local_scores.signatures, local_scores.status)


@pytest.mark.parametrize("metric, failure, by", [("rouge1", "at a value", ["category"]),
                                                ("exact_match", None, ["category", "task"]),
                                                ("latency", ">2000", ["task"])])
def test_duckdb_worst_slices_equal_the_in_memory_report(gappy_scores, tmp_path, metric, failure, by):
    """Slice counts from DuckDB, ranked by the same code: the table is the in-memory table, exactly."""
    df = gappy_scores.df
    if failure == "at a value":      # a threshold equal to observed values: '<' and '<=' must differ
        failure = float(np.sort(df["rouge1"].dropna().to_numpy())[len(df) // 3])
        assert (df["rouge1"] == failure).any()
    path = _dataset(gappy_scores, tmp_path / "scores")
    mem = evalnb.worst_slices(gappy_scores, metric, by=by, failure=failure, min_n=10)
    duck = evalnb.worst_slices(str(path), metric, by=by, failure=failure, min_n=10)
    pd.testing.assert_frame_equal(duck.to_frame(), mem.to_frame(), check_dtype=False)
    assert (duck.rule, duck.n_total, duck.overall_rate) == (mem.rule, mem.n_total, mem.overall_rate)
    # hand check against the rows themselves: rows with a value, and the worst slice's count
    assert mem.n_total == df[mem.metric].notna().sum()
    worst = mem.to_frame().iloc[0]
    assert worst["n"] + worst["rest_n"] == mem.n_total
    with pytest.raises(evalnb.errors.EvalnbError, match="not in memory"):
        duck.rows(0)
    with pytest.raises(evalnb.errors.EvalnbError, match="callable"):
        evalnb.worst_slices(str(path), metric, by=by, failure=lambda v: v < 0.3)


def test_duckdb_compare_equals_the_in_memory_comparison(gappy_scores, tmp_path):
    path = _dataset(gappy_scores, tmp_path / "scores")
    models = sorted(gappy_scores.df["model"].unique())
    kw = dict(baseline=models[0], candidate=models[1], metrics=["rouge1", "exact_match", "latency_ms"], n_boot=300)
    mem = evalnb.compare(gappy_scores, **kw).to_frame()
    duck = evalnb.compare(str(path), **kw).to_frame()
    pd.testing.assert_frame_equal(duck, mem, check_dtype=False)
    # what DuckDB handed over: the two models' rows, none of the text columns
    from evalnb.analysis.dataset import load_frame

    read = load_frame(str(path), where_in={"model": models[:2]}).df
    assert sorted(read["model"].unique()) == models[:2] and len(read) == gappy_scores.df["model"].isin(models[:2]).sum()
    assert not {"input", "output", "reference"} & set(read.columns)


def test_gate_on_a_scores_dataset_equals_the_in_memory_gate(gappy_scores, tmp_path):
    from evalnb.portfolio.config import Gate, MetricSpec, Outcome, Portfolio

    one = gappy_scores.df[gappy_scores.df["model"] == sorted(gappy_scores.df["model"].unique())[0]]
    from evalnb.metrics.scoring import Scores

    run = Scores(one.reset_index(drop=True), gappy_scores.metrics, gappy_scores.signatures, gappy_scores.status)
    path = _dataset(run, tmp_path / "scores")
    portfolio = Portfolio(name="p", outcome=Outcome(kpi="thumbs_up"), primary=[
        MetricSpec(name="rouge1", source="column", direction="higher", range=[0, 1],
                   gate=Gate(threshold=0.2, rule="ci_lower", min_n=20)),
        MetricSpec(name="latency_ms", source="column", direction="lower",
                   gate=Gate(threshold=3000.0, rule="ci_upper", min_n=20))])
    mem = evalnb.gate(portfolio, run, n_boot=300)
    duck = evalnb.gate(portfolio, ScoresDataset(path), n_boot=300)
    cols = [c for c in mem.to_frame().columns if c != "signature"]
    pd.testing.assert_frame_equal(duck.to_frame()[cols], mem.to_frame()[cols], check_dtype=False)
    assert duck.status == mem.status and set(mem.to_frame()["status"]) >= {"pass"}
    assert evalnb.gate(portfolio, str(path), n_boot=300).status == mem.status   # the folder itself


def test_duckdb_drift_equals_the_in_memory_drift(gappy_scores, small_runs, tmp_path):
    df = gappy_scores.df.assign(output=small_runs["output"].to_numpy(), input=small_runs["input"].to_numpy())
    first = df["item_id"].astype(str).isin(sorted(df["item_id"].astype(str).unique())[:50])
    from evalnb.metrics.scoring import Scores

    windows = [Scores(part.reset_index(drop=True), gappy_scores.metrics, gappy_scores.signatures, gappy_scores.status)
               for part in (df[first], df[~first])]
    paths = [_dataset(w, tmp_path / name) for w, name in zip(windows, ("ref", "cur"))]
    mem = evalnb.drift(*windows, n_boot=200).to_frame()
    duck = evalnb.drift(*map(str, paths), n_boot=200).to_frame()
    assert {"input_length", "output_length", "latency_ms", "category"} <= set(mem["column"])   # text drift included
    pd.testing.assert_frame_equal(duck, mem, check_dtype=False)


# -- the judge at cluster scale: one rate gate, one journal, resume after a worker dies ----------------
def _judge_frame(n: int) -> pd.DataFrame:
    words = ["password", "reset", "link", "email", "settings", "account", "login", "page", "click", "support"]
    return pd.DataFrame({"model": "m", "item_id": [str(i) for i in range(n)],
                         "input": ["How do I reset my password?"] * n,
                         "output": [f"answer {i}: " + " ".join(words[(i * k) % 10] for k in range(1, 2 + i % 7))
                                    for i in range(n)]})


def _judge(server, cache_dir, concurrency: int = 4):
    return evalnb.metric("judge_relevance", base_url=server.base_url, model="fake-judge", api_key="test-key",
                         cache_dir=str(cache_dir), progress=False, timeout=10.0,
                         concurrency=concurrency)


def test_judge_on_ray_paces_every_worker_through_one_gate(ray_cluster, tmp_path):
    """Every attempt of every worker passed the driver-owned gate actor (the per-process gates would
    each let their own calls through and the actor would count none), and the numbers are the
    in-process numbers."""
    from evalnb.metrics import distributed
    from evalnb.testing.fake_openai import FakeOpenAI, Faults

    frame = _judge_frame(40)
    with FakeOpenAI(Faults(latency=0.02)) as server:
        remote = score_on_ray(frame, [_judge(server, tmp_path / "cluster")], batch_size=10)
        attempts = server.stats.requests
        assert attempts == 40 and distributed.LAST_JUDGE_GATE["acquired"] == attempts
        assert distributed.LAST_JUDGE_GATE["endpoints"] == [f"{server.base_url}|fake-judge"]
        local = evalnb.score(frame, [_judge(server, tmp_path / "laptop")], progress=False)
    pd.testing.assert_series_equal(remote.df["llm_relevance"], local.df["llm_relevance"], check_exact=True)


def test_judge_on_ray_resumes_after_a_worker_is_killed(ray_cluster, tmp_path):
    """SIGKILL one scoring actor mid-run: Ray restarts it and retries its batch; replies already in the
    shared journal are not paid again (only calls in flight in the dead worker can be), the result is
    complete and equal to in-process scoring, and a rerun on the laptop with the same cache pays nothing."""
    import threading
    import time

    import psutil

    from evalnb.testing.fake_openai import FakeOpenAI, Faults

    frame, per_worker = _judge_frame(48), 4
    killed: list[int] = []
    with FakeOpenAI(Faults(latency=0.25)) as server:
        def kill_one_worker() -> None:
            deadline = time.monotonic() + 90
            while server.stats.paid < 8 and time.monotonic() < deadline:
                time.sleep(0.02)
            for proc in psutil.process_iter(["pid", "cmdline"]):
                if "_ScoreBatches" in " ".join(proc.info["cmdline"] or []) and proc.pid not in killed:
                    proc.kill()
                    killed.append(proc.pid)
                    return

        killer = threading.Thread(target=kill_one_worker)
        killer.start()
        remote = score_on_ray(frame, [_judge(server, tmp_path / "cache", per_worker)], batch_size=8)
        killer.join()
        stats = server.stats.as_dict()
        assert killed, "no scoring actor process was found to kill"
        assert remote.df["llm_relevance"].notna().all()
        # completed calls are journaled before anything else happens: only the killed worker's in-flight
        # calls (at most its concurrency) can have been paid twice
        assert stats["duplicate_paid"] <= per_worker, stats
        journal = (tmp_path / "cache" / "judge-journal.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(journal) == len(frame)                      # one record per request, none twice
        server.reset_stats()
        again = evalnb.score(frame, [_judge(server, tmp_path / "cache")], progress=False)
        assert server.stats.paid == 0
        local = evalnb.score(frame, [_judge(server, tmp_path / "fresh")], progress=False)
    pd.testing.assert_series_equal(remote.df["llm_relevance"], local.df["llm_relevance"], check_exact=True)
    pd.testing.assert_series_equal(again.df["llm_relevance"], local.df["llm_relevance"], check_exact=True)


_ONE_CPU_CHILD = """
import sys
import ray
import evalnb
ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
evalnb.score(sys.argv[1], ["rouge1", "bleu", "exact_match"], engine="ray").df.to_parquet(sys.argv[2])
"""


def test_ray_on_a_one_cpu_cluster_reads_partitions_in_order(small_runs, tmp_path):
    """A one-CPU cluster (a laptop's `ray start --num-cpus 1`, a small pod) over a folder of Parquet
    parts: the scoring actor must not hold the only CPU that Ray Data's listing and read tasks need
    (it hung forever), and the rows come back in the parts' order (they did not). Its own cluster, in
    a subprocess, with a deadline."""
    import subprocess
    import sys

    src = tmp_path / "runs"
    src.mkdir()
    canonical = small_runs.drop(columns=["source_file", "source_line"], errors="ignore")
    for i, part in enumerate(np.array_split(np.arange(len(canonical)), 4)):
        canonical.iloc[part].to_parquet(src / f"part-{i}.parquet", index=False)
    out = tmp_path / "scores.parquet"
    try:
        proc = subprocess.run([sys.executable, "-c", _ONE_CPU_CHILD, str(src), str(out)], capture_output=True,
                              text=True, timeout=240, env={**__import__("os").environ, "RAY_ADDRESS": ""})
    except subprocess.TimeoutExpired:
        pytest.fail("score(engine='ray') on a one-CPU cluster did not finish in 240 s (the read tasks starve)")
    assert proc.returncode == 0, proc.stderr[-2000:]
    back = pd.read_parquet(out)
    expected = evalnb.score(small_runs, ["rouge1", "bleu", "exact_match"], progress=False).df
    assert back["item_id"].tolist() == expected["item_id"].tolist()
    assert back["model"].tolist() == expected["model"].tolist()
    for col in ("rouge1", "bleu", "exact_match"):
        np.testing.assert_array_equal(back[col].to_numpy(), expected[col].to_numpy())

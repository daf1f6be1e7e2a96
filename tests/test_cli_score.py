"""`evalnb score`, `evalnb summarize`, `evalnb compare`: in process and once as a subprocess."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import evalnb
from evalnb.cli import main
from evalnb.commands.score import load_scores, save_scores
from conftest import ROOT

pytestmark = pytest.mark.filterwarnings("ignore::evalnb._errors.SmallSampleWarning")


@pytest.fixture()
def runs_file(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "runs.jsonl"
    with path.open("w") as fh:
        for model in ("atlas-large", "swift-small"):
            for i in range(60):
                gold = ["a", "b", "c"][i % 3]
                pred = gold if rng.random() < (0.8 if model == "atlas-large" else 0.5) else "a"
                fh.write(json.dumps({
                    "model": model, "item_id": str(i), "task": "classification",
                    "category": ["billing", "=HYPERLINK(1)"][i % 2], "label": gold, "gold_pred": pred,
                    "latency_ms": float(rng.lognormal(6, 0.4)), "prompt_tokens": int(rng.integers(10, 200)),
                    "completion_tokens": int(rng.integers(5, 80)),
                    "retrieved_ids": ["d1", "d2", "d3"], "relevance": {"d2": 1, "d9": 2}}) + "\n")
    return path


def test_score_summarize_compare_in_process(runs_file, tmp_path, capsys):
    out = tmp_path / "scores.parquet"
    rc = main(["score", str(runs_file), "-m", "accuracy,macro_f1", "-m", "latency,cost,ndcg@2",
               "--map", "prediction=gold_pred", "-o", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert rc == 0 and out.exists()
    assert "accuracy: ok" in printed and "price_table:" in printed and "swift-small" in printed
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".scores")]  # atomic: no temp left

    import pyarrow.parquet as pq

    meta = pq.read_schema(out).metadata
    signatures = json.loads(meta[b"evalnb.signatures"])
    assert signatures["ndcg@2"].startswith("ndcg@2|k:2") and "macro_f1" in signatures

    scores = load_scores(out)
    canonical = tmp_path / "canonical.jsonl"  # the same runs with the canonical column name
    canonical.write_text(runs_file.read_text().replace('"gold_pred"', '"prediction"'))
    direct = evalnb.score(evalnb.load_runs(str(canonical)), ["accuracy", "macro_f1", "latency", "cost", "ndcg@2"],
                          progress=False)
    pd.testing.assert_frame_equal(scores.df[direct.score_columns].reset_index(drop=True),
                                  direct.df[direct.score_columns].reset_index(drop=True))
    assert scores.signatures == dict(direct.signatures)

    assert main(["summarize", str(out), "--by", "model,category", "--n-boot", "200"]) == 0
    text = capsys.readouterr().out
    assert "macro_f1" in text and "corpus" in text and "p99" in text

    assert main(["summarize", str(out), "--json", "--n-boot", "200", "--success", "accuracy"]) == 0
    records = json.loads(capsys.readouterr().out)
    expected = evalnb.summarize(scores, by="model", n_boot=200, success="accuracy").to_frame()
    assert len(records) == len(expected)
    first = records[0]
    assert first["estimate"] == pytest.approx(expected.iloc[0]["estimate"])
    assert any(r["statistic"] == "cost_per_success" for r in records)

    assert main(["summarize", str(out), "--csv", "--by", "category", "--n-boot", "100"]) == 0
    csv_text = capsys.readouterr().out
    assert "'=HYPERLINK(1)" in csv_text and "\n=HYPERLINK" not in csv_text  # formula injection neutralised

    assert main(["compare", str(out), "--baseline", "swift-small", "--candidate", "atlas-large",
                 "--n-boot", "300", "--json"]) == 0
    table = pd.DataFrame(json.loads(capsys.readouterr().out)).set_index("metric")
    assert table.loc["accuracy", "paired"] and table.loc["accuracy", "difference"] > 0
    assert table.loc["macro_f1", "statistic"] == "corpus"


def test_cli_errors_exit_2(runs_file, tmp_path, capsys):
    assert main(["score", str(runs_file), "-m", "acuracy", "--no-progress"]) == 2
    assert "Did you mean accuracy" in capsys.readouterr().err
    assert main(["score", str(runs_file), "-m", "accuracy", "--map", "nonsense", "--no-progress"]) == 2
    assert "CANONICAL=COLUMN" in capsys.readouterr().err
    assert main(["score", str(runs_file), "-m", "accuracy", "--map", "prediction=nope", "--no-progress"]) == 2
    assert "do not have" in capsys.readouterr().err
    out = tmp_path / "s.parquet"
    frame = pd.DataFrame({"model": ["atlas-large", "swift-small"], "item_id": ["1", "1"], "latency_ms": [1.0, 2.0]})
    save_scores(evalnb.score(frame, ["latency"], progress=False), out)
    assert main(["compare", str(out), "--baseline", "atlas-large", "--candidate", "gpt-9"]) == 2
    assert "not among the models" in capsys.readouterr().err


def test_cli_subprocess(runs_file, tmp_path):
    out = tmp_path / "scores.parquet"
    cmd = [sys.executable, "-m", "evalnb.cli", "score", str(runs_file), "-m", "latency,tokens", "-o", str(out),
           "--map", "prediction=gold_pred", "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.exists() and "latency: ok" in done.stdout
    done = subprocess.run([sys.executable, "-m", "evalnb.cli", "summarize", str(out), "--n-boot", "100"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "total_tokens" in done.stdout and "p95" in done.stdout

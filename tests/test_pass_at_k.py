"""pass@k and pass_rate: the estimator (S09: exhaustive enumeration), per-task layout, exclusions,
and the metrics on real sandbox runs (trusted test programs)."""
from __future__ import annotations

import json
import warnings
from itertools import combinations
from math import comb

import numpy as np
import pandas as pd
import pytest

import evalnb
from evalnb._errors import MetricError, SmallSampleWarning
from evalnb.metrics.code import pass_at_k, pass_at_k_table, run_code_tests
from evalnb.metrics.sandbox import probe_isolation
from conftest import SAMPLE_DIR

GOOD = "def double(x):\n    return 2 * x\n"
BAD = "def double(x):\n    return x + 2\n"
TESTS = "assert double(3) == 6\nassert double(0) == 0\n"


@pytest.fixture(scope="module")
def iso() -> str:
    # Trusted programs: run in namespaces where the machine has them, else without (explicitly).
    return "namespaces" if probe_isolation().available else "none"


def _frame(spec: dict[tuple[str, str], list[bool]]) -> pd.DataFrame:
    rows = []
    for (model, item), samples in spec.items():
        for sid, ok in enumerate(samples):
            rows.append({"model": model, "item_id": item, "sample_id": sid, "task": "code",
                         "output": GOOD if ok else BAD, "tests": TESTS})
    rows.append({"model": "m1", "item_id": "qa-1", "sample_id": 0, "task": "qa", "output": "Paris", "tests": None})
    return pd.DataFrame(rows)


# -- S09: the estimator is exact and unbiased --------------------------------------------------
@pytest.mark.parametrize("n", range(1, 8))
def test_s09_matches_exhaustive_enumeration_of_k_subsets(n):
    for c in range(n + 1):
        samples = [True] * c + [False] * (n - c)
        for k in range(1, n + 1):
            subsets = list(combinations(range(n), k))
            hit = sum(any(samples[i] for i in s) for s in subsets) / len(subsets)
            assert pass_at_k(n, c, k) == pytest.approx(hit, abs=1e-12)


@pytest.mark.parametrize("p", [0.0, 0.1, 0.37, 0.9, 1.0])
def test_s09_estimator_is_unbiased(p):
    # E_c~Bin(n,p)[pass@k(n, c, k)] = 1 - (1-p)^k exactly (Chen et al. 2021, appendix A)
    n = 8
    for k in range(1, n + 1):
        expected = sum(comb(n, c) * p**c * (1 - p) ** (n - c) * pass_at_k(n, c, k) for c in range(n + 1))
        assert expected == pytest.approx(1 - (1 - p) ** k, abs=1e-12)


def test_vectorised_form_equals_scalar_and_rejects_bad_inputs():
    n = np.array([5, 10, 200, 3])
    c = np.array([2, 0, 1, 3])
    assert np.allclose(pass_at_k(n, c, 3), [pass_at_k(a, b, 3) for a, b in zip(n, c)])
    with pytest.raises(MetricError, match="k <= n"):
        pass_at_k(2, 1, 3)
    with pytest.raises(MetricError):
        pass_at_k(5, 6, 1)


def test_s09_mixed_n_per_task_is_shown():
    outcomes = pd.DataFrame({"run": "m", "item_id": ["a"] * 5 + ["b"] * 3 + ["c"] * 4,
                             "passed": [1, 1, 0, 0, 0] + [0, 0, 1] + [1, np.nan, 0, 0]})
    table = pass_at_k_table(outcomes, k=2).set_index("item_id")
    assert table["n"].to_dict() == {"a": 5, "b": 3, "c": 3}
    assert table.loc["c", "samples"] == 4
    assert table.loc["a", "pass@2"] == pytest.approx(1 - comb(3, 2) / comb(5, 2))
    assert table.loc["b", "pass@2"] == pytest.approx(1 - comb(2, 2) / comb(3, 2))


# -- the metrics on sandbox runs --------------------------------------------------------------
def test_pass_at_k_metric_places_one_value_per_task_and_means_over_tasks(iso):
    spec = {("m1", "t1"): [True, False, False, False, False],
            ("m1", "t2"): [True, True, True, True, True],
            ("m2", "t1"): [False] * 5,
            ("m2", "t2"): [False, True, False, True, False]}
    frame = _frame(spec).sample(frac=1.0, random_state=3)   # row order must not matter
    scores = evalnb.score(frame, [evalnb.metric("pass@1", isolation=iso, timeout=5),
                                  evalnb.metric("pass@5", isolation=iso, timeout=5),
                                  evalnb.metric("pass_rate", isolation=iso, timeout=5)], progress=False)
    df = scores.df
    for k in (1, 5):
        col = f"pass@{k}"
        carried = df[df[col].notna()]
        assert len(carried) == len(spec)                       # one value per task
        assert (carried["sample_id"] == 0).all()               # on the task's first sample
        expected = {key: 1 - comb(5 - sum(v), k) / comb(5, k) for key, v in spec.items()}
        got = {(r["model"], r["item_id"]): r[col] for _, r in carried.iterrows()}
        assert got == pytest.approx(expected)
        # a plain mean of the column is the mean over tasks
        assert df[col].mean() == pytest.approx(np.mean(list(expected.values())))
    assert df.loc[df["task"] == "qa", ["pass@1", "pass_rate"]].isna().all().all()
    code = df[df["task"] == "code"]
    assert code["pass_rate"].mean() == pytest.approx(np.mean([x for v in spec.values() for x in v]))
    assert scores.status["pass@5"] == "ok"
    # evalnb.summarize (MEAN over non-NaN rows) gives the mean pass@k over each model's tasks, n = tasks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        summary = evalnb.summarize(scores, by=["model"], metrics=["pass@5"], n_boot=200, progress=False).to_frame()
    for model in ("m1", "m2"):
        row = summary[(summary["model"] == model) & (summary["metric"] == "pass@5")].iloc[0]
        tasks = [1 - comb(5 - sum(v), 5) / comb(5, 5) for key, v in spec.items() if key[0] == model]
        assert row["estimate"] == pytest.approx(np.mean(tasks)) and row["n"] == len(tasks)
    per_task = scores.metrics["pass@5"].per_task
    assert set(per_task.columns) >= {"run", "item_id", "n", "c", "pass@5", "status"}


def test_tasks_with_too_few_samples_are_listed_with_a_warning(iso):
    frame = _frame({("m1", "t1"): [True, False, True], ("m1", "t2"): [True, False]})
    m = evalnb.metric("pass@3", isolation=iso, timeout=5)
    with pytest.warns(SmallSampleWarning, match=r"m1/t2 \(excluded: n=2 < k=3\)"):
        scores = evalnb.score(frame, [m], progress=False)
    assert scores.df["pass@3"].notna().sum() == 1
    assert list(m.exclusions["item_id"]) == ["t2"]


def test_every_task_short_is_not_computable_not_silently_empty(iso):
    frame = _frame({("m1", "t1"): [True, False]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = evalnb.score(frame, [evalnb.metric("pass@5", isolation=iso, timeout=5)], progress=False)
    assert scores.status["pass@5"].startswith("not computable: every task has fewer than k=5")


def test_duplicate_sample_ids_are_an_error(iso):
    frame = _frame({("m1", "t1"): [True, False]})
    frame.loc[frame["item_id"] == "t1", "sample_id"] = 0
    with pytest.raises(MetricError, match="duplicate sample_id 0"):
        evalnb.metric("pass@1", isolation=iso).score(frame)


def test_settings_signature_and_registry():
    m = evalnb.metric("pass@10", timeout=3)
    assert (m.name, m.settings["k"], m.columns) == ("pass@10", 10, ["pass@10"])
    sig = m.signature()
    assert sig.startswith("pass@10|") and "timeout:3" in sig and "isolation:namespaces" in sig
    assert "workers" not in sig and "progress" not in sig
    assert evalnb.metric("pass@10", timeout=3, workers=7).signature() == sig
    with pytest.raises(MetricError, match="integer k >= 1"):
        evalnb.metric("pass@k", k=0)
    assert {"pass@k", "pass_rate"} <= set(evalnb.list_metrics()["name"])


def test_execution_results_are_cached_across_metrics(iso):
    frame = _frame({("m1", "t1"): [True, False]})
    first = run_code_tests(frame, isolation=iso, timeout=5, progress=False)
    second = run_code_tests(frame, isolation=iso, timeout=5, progress=False)
    assert first.results == second.results                       # same objects, not re-run
    assert "passed 1, failed 1" in first.summary()


# -- sample data (generated by sample_data/make_sample_data.py; planted truth in sample_data/_truth) ---
def _truth() -> dict:
    path = SAMPLE_DIR / "_truth" / "code_truth.json"
    assert path.exists() and (SAMPLE_DIR / "code_samples.jsonl").exists(), \
        "sample_data/code_samples.jsonl and _truth/code_truth.json are committed with the sample data"
    return json.loads(path.read_text())


@pytest.mark.slow
def test_pass_at_1_and_5_on_the_sample_code_samples(iso):
    truth = _truth()["code_samples"]
    df = evalnb.load_runs(str(SAMPLE_DIR / "code_samples.jsonl")).df
    df = df[df["item_id"] <= "code-0030"].reset_index(drop=True)   # half the tasks keeps CI time down
    scores = evalnb.score(df, [evalnb.metric("pass@1", isolation=iso, timeout=5),
                               evalnb.metric("pass@5", isolation=iso, timeout=5), "pass_rate"], progress=False)
    # every sample's verdict equals the generator's planted truth
    ex = scores.metrics["pass@5"].execution.frame
    assert set(ex["status"]) <= {"passed", "failed"}, ex["status"].value_counts()
    planted = [truth[m][i][int(s)] for m, i, s in zip(df.loc[ex.index, "model"], ex["item_id"], ex["sample_id"])]
    assert ex["passed"].astype(bool).tolist() == planted
    table = scores.metrics["pass@5"].per_task
    assert (table["n"] == 5).all() and (table["status"] == "ok").all()
    # two tasks by hand, from the planted truth: atlas-large/code-0001 passes samples 3 and 4
    assert truth["atlas-large"]["code-0001"] == [False, False, False, True, True]
    first = scores.df[(scores.df["model"] == "atlas-large") & (scores.df["item_id"] == "code-0001")
                      & (scores.df["sample_id"] == 0)].iloc[0]
    assert first["pass@1"] == pytest.approx(2 / 5)                 # c/n
    assert first["pass@5"] == pytest.approx(1.0)                   # 1 - C(3,5)/C(5,5) = 1
    hand = {}
    for model in truth:
        for item, samples in truth[model].items():
            c = sum(samples)
            if item <= "code-0030":
                hand[(model, item)] = (c / 5, 1.0 if c else 0.0)
    for model in truth:
        mine = scores.df[scores.df["model"] == model]
        assert mine["pass@1"].mean() == pytest.approx(np.mean([v[0] for (m, _), v in hand.items() if m == model]))
        assert mine["pass@5"].mean() == pytest.approx(np.mean([v[1] for (m, _), v in hand.items() if m == model]))
        assert mine["pass_rate"].mean() == pytest.approx(mine["pass@1"].mean())   # equal n per task
    assert scores.df["pass@5"].mean() >= scores.df["pass@1"].mean()


@pytest.mark.slow
def test_pass_at_1_on_the_code_rows_of_the_sample_runs(sample_runs, iso):
    truth = _truth()["runs"]
    code = sample_runs.df[sample_runs.df["task"] == "code"]
    subset = code.groupby("model").sample(25, random_state=0)
    scores = evalnb.score(subset, [evalnb.metric("pass@1", isolation=iso, timeout=5)], progress=False)
    got = dict(zip(zip(scores.df["model"], scores.df["item_id"]), scores.df["pass@1"]))
    assert len(got) == 100 and all(got[key] == float(truth[key[0]][key[1]]) for key in got)
    assert (scores.metrics["pass@1"].per_task["n"] == 1).all()       # one sample per (run, item)


def test_shadowing_candidates_do_not_forge_pass_at_1_and_entry_point_column_is_used(iso):
    """Issue 13.1 at the metric level: two forging candidates and one honest one; with an
    ``entry_point`` column the tests see only that function of the candidate."""
    forged_abs = "def abs(x):\n    return 0\ndef t(x):\n    return 123.0\n"
    forged_math = "import math\nmath.isclose = lambda *a, **k: True\ndef t(x):\n    return -1\n"
    honest = "def t(x):\n    return x - 3.0\n"
    tests_abs = "assert abs(t(3.5) - 0.5) < 1e-6"
    tests_math = "import math\nassert math.isclose(t(3.5), 0.5)"
    frame = pd.DataFrame({"model": "m", "item_id": ["a", "b", "c", "d"], "sample_id": 0,
                          "output": [forged_abs, forged_math, honest, honest + "LIMIT = 1\n"],
                          "tests": [tests_abs, tests_math, tests_math, "assert t(4.0) == LIMIT"],
                          "entry_point": [None, "t", "t", "t"]})
    scores = evalnb.score(frame, [evalnb.metric("pass@1", isolation=iso, timeout=5)], progress=False)
    assert scores.df["pass@1"].tolist() == [0.0, 0.0, 1.0, 0.0]   # d: LIMIT is not the entry point

"""Retrieval metrics against pytrec_eval (trec_eval) on random runs, the sample data and the trec_eval test collection."""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evalnb
from conftest import SAMPLE_DIR, shared_data_path

import pytrec_eval

K = (1, 3, 5, 10)
MEASURES = {f"P_{k}" for k in K} | {f"recall_{k}" for k in K} | {f"ndcg_cut_{k}" for k in K} \
    | {f"success_{k}" for k in K} | {"recip_rank", "map"}
OURS = [f"{m}@{k}" for m in ("precision", "recall", "ndcg", "hit") for k in K] + ["mrr", "map"]
TREC_NAME = {"precision": "P", "recall": "recall", "ndcg": "ndcg_cut", "hit": "success"}


def trec_name(ours: str) -> str:
    if "@" in ours:
        base, k = ours.split("@")
        return f"{TREC_NAME[base]}_{k}"
    return {"mrr": "recip_rank", "map": "map"}[ours]


def ranked_run(retrieved: list[str]) -> dict[str, float]:
    """A strictly decreasing score per document so trec_eval ranks them in list order."""
    return {doc: float(len(retrieved) - i) for i, doc in enumerate(retrieved)}


def compare_with_trec(frame: pd.DataFrame, atol: float = 1e-9) -> None:
    """Score ``frame`` with evalnb and with pytrec_eval; per-query values and the 'all' means must match."""
    scores = evalnb.score(frame, OURS, progress=False).df
    qrels = {qid: {d: int(g) for d, g in rel.items()} for qid, rel in zip(frame["item_id"], frame["relevance"])}
    run = {qid: ranked_run(list(docs)) for qid, docs in zip(frame["item_id"], frame["retrieved_ids"])}
    result = pytrec_eval.RelevanceEvaluator(qrels, MEASURES).evaluate(run)
    has_rel = np.array([any(g > 0 for g in rel.values()) for rel in frame["relevance"]])
    for col in OURS:
        ours = scores[col].to_numpy()
        assert np.isnan(ours[~has_rel]).all(), f"{col}: items without relevant documents must be NaN"
        theirs = np.array([result[q][trec_name(col)] for q in frame["item_id"]])
        np.testing.assert_allclose(ours[has_rel], theirs[has_rel], atol=atol, err_msg=col)
        if has_rel.any():
            assert np.nanmean(ours) == pytest.approx(theirs[has_rel].mean(), abs=atol)


def random_frame(seed: int, n_items: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for q in range(n_items):
        pool = [f"d{j}" for j in range(int(rng.integers(3, 30)))]
        judged = rng.choice(pool, size=int(rng.integers(1, len(pool) + 1)), replace=False)
        relevance = {d: int(rng.choice([0, 0, 1, 2, 3])) for d in judged}
        retrieved = list(rng.choice(pool, size=int(rng.integers(0, len(pool) + 1)), replace=False))
        rows.append({"model": "m", "item_id": f"q{q}", "retrieved_ids": retrieved, "relevance": relevance})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_runs_equal_pytrec_eval(seed):
    compare_with_trec(random_frame(seed))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=8),
                          st.dictionaries(st.sampled_from("abcdefghij"), st.integers(0, 3), min_size=1)),
                min_size=1, max_size=8))
def test_property_in_range_and_equal_trec(items):
    frame = pd.DataFrame([{"model": "m", "item_id": f"q{i}", "retrieved_ids": r, "relevance": rel}
                          for i, (r, rel) in enumerate(items)])
    compare_with_trec(frame)
    scores = evalnb.score(frame, OURS, progress=False).df[OURS]
    assert ((scores >= 0) & (scores <= 1) | scores.isna()).all().all()
    # invariance to row order
    shuffled = evalnb.score(frame.iloc[::-1], OURS, progress=False).df[OURS].iloc[::-1].reset_index(drop=True)
    pd.testing.assert_frame_equal(scores, shuffled)


def test_edge_cases_documented():
    frame = pd.DataFrame([
        {"model": "m", "item_id": "dup", "retrieved_ids": ["a", "a", "b"], "relevance": {"b": 1}},
        {"model": "m", "item_id": "empty", "retrieved_ids": [], "relevance": {"a": 1}},
        {"model": "m", "item_id": "norel", "retrieved_ids": ["a"], "relevance": {"a": 0}},
        {"model": "m", "item_id": "missing", "retrieved_ids": None, "relevance": {"a": 1}},
    ])
    df = evalnb.score(frame, ["precision@2", "mrr", "recall@5", "hit@1"], progress=False).df
    assert df.loc[0, "mrr"] == 0.5 and df.loc[0, "precision@2"] == 0.5  # repeated id counts once
    assert df.loc[1, ["precision@2", "mrr", "recall@5"]].tolist() == [0.0, 0.0, 0.0]  # nothing retrieved: 0
    assert df.loc[2:, ["precision@2", "mrr", "recall@5", "hit@1"]].isna().all().all()  # not applicable: NaN


def test_at_k_names_and_settings():
    m = evalnb.metric("recall@5")
    assert m.name == "recall@5" and m.settings["k"] == 5 and m.columns == ["recall@5"]
    assert "k:5" in m.signature()
    assert evalnb.metric("ndcg@k").settings["k"] == 10
    with pytest.raises(evalnb._errors.MetricError, match="positive integer"):
        evalnb.metric("precision@k", k=0)
    assert evalnb.metric("hit@3").outputs[0].aggregation == "proportion"


@pytest.mark.shared_data
def test_trec_eval_test_collection():
    """The official trec_eval test collection: rank by score desc, ties by docno desc."""
    qrels_path = shared_data_path("trec", "qrels.test")
    results_path = shared_data_path("trec", "results.test")
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for line in qrels_path.read_text().splitlines():
        if line.strip():
            topic, _, doc, rel = line.split()
            qrels[topic][doc] = int(rel)
    run: dict[str, dict[str, float]] = defaultdict(dict)
    for line in results_path.read_text().splitlines():
        if line.strip():
            topic, _, doc, _rank, score, _tag = line.split()
            run[topic][doc] = float(score)
    rows = []
    for topic, docs in run.items():
        ranked = sorted(docs, key=lambda d: (docs[d], d), reverse=True)
        rows.append({"model": "STANDARD", "item_id": topic, "retrieved_ids": ranked,
                     "relevance": {d: float(g) for d, g in qrels.get(topic, {}).items()}})
    frame = pd.DataFrame(rows)
    scores = evalnb.score(frame, OURS + ["ndcg@100", "recall@1000"], progress=False).df
    measures = MEASURES | {"ndcg_cut_100", "recall_1000"}
    result = pytrec_eval.RelevanceEvaluator(dict(qrels), measures).evaluate(dict(run))
    for col in OURS + ["ndcg@100", "recall@1000"]:
        name = trec_name(col) if col not in ("ndcg@100", "recall@1000") else {"ndcg@100": "ndcg_cut_100",
                                                                              "recall@1000": "recall_1000"}[col]
        theirs = np.array([result[t][name] for t in frame["item_id"]])
        np.testing.assert_allclose(scores[col].to_numpy(), theirs, atol=1e-9, err_msg=col)
        assert scores[col].mean() == pytest.approx(theirs.mean(), abs=1e-9)  # the "all" row


def test_sample_data_rag_items_equal_pytrec_eval(sample_runs):
    frame = sample_runs.df
    frame = frame[frame["retrieved_ids"].notna() & frame["relevance"].notna()]
    assert not frame.empty, "the sample data has RAG items with retrieved_ids and relevance"
    frame = frame.assign(item_id=frame["model"] + "/" + frame["item_id"]).reset_index(drop=True)
    compare_with_trec(frame[["model", "item_id", "retrieved_ids", "relevance"]])

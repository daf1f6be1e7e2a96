"""Text metrics stream in chunks: the same numbers whatever the chunk size, nothing kept after."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalnb
from _text_metrics_helpers import sample_task
from _text_metrics_helpers import summeval as _summeval
from evalnb.metrics import _streaming, overlap, qa
from evalnb.metrics.overlap import Bleu, Chrf, Rouge1, Rouge2, RougeL, RougeLsum

TEXT_METRICS = [Bleu(), Chrf(), Chrf(word_order=2), Rouge1(), Rouge2(), RougeL(), RougeLsum(),
                Rouge1(multi_ref="max"), RougeLsum(split_sentences="punct")]


def _gaps(df: pd.DataFrame) -> pd.DataFrame:
    """Some rows without an output or a reference, a duplicated row: model after model."""
    df = df.copy()
    df.loc[df.index[::17], "output"] = None
    if "reference" in df:
        df.loc[df.index[5::23], "reference"] = None
    df = pd.concat([df, df.iloc[:9]], ignore_index=True)
    return df.sort_values("model", kind="stable").reset_index(drop=True)


def _same_in_chunks(metric, df: pd.DataFrame, monkeypatch) -> None:
    whole = metric.score(df)
    with monkeypatch.context() as m:
        m.setattr(_streaming, "CHUNK_ROWS", 7)
        chunked = metric.score(df)
    pd.testing.assert_frame_equal(chunked, whole, check_exact=True)


@pytest.mark.parametrize("metric", TEXT_METRICS, ids=lambda m: m.signature().split("|lib")[0])
def test_overlap_metrics_identical_in_chunks(metric, monkeypatch):
    df = _gaps(sample_task("summarization").head(240)[["model", "item_id", "output", "reference"]])
    _same_in_chunks(metric, df, monkeypatch)


@pytest.mark.shared_data
@pytest.mark.parametrize("metric", [Bleu(), Chrf(), Rouge1(multi_ref="max"), RougeL()],
                         ids=lambda m: m.name + "-" + m.settings.get("multi_ref", ""))
def test_overlap_metrics_identical_in_chunks_several_references(metric, monkeypatch):
    df = _summeval(n_docs=6)
    df.loc[df.index[::13], "output"] = None
    df["references"] = [r[: 1 + i % 4] for i, r in enumerate(df.references)]  # 1-4 references
    _same_in_chunks(metric, df, monkeypatch)


@pytest.mark.parametrize("cls", [qa.ExactMatch, qa.TokenF1])
def test_qa_identical_in_chunks(cls, monkeypatch):
    df = _gaps(sample_task("qa")[["model", "item_id", "output", "reference", "references"]])
    _same_in_chunks(cls(), df, monkeypatch)


def test_shared_pass_is_dropped_once_taken_and_follows_edits():
    df = sample_task("summarization").head(40)[["model", "item_id", "output", "reference"]].copy()
    scores = evalnb.score(df, ["rouge1", "rouge2", "rougeL", "rougeLsum", "exact_match", "token_f1"],
                          progress=False)
    assert overlap._ROUGE_PASS.parts == {} and qa._PASS.parts == {}
    # a pass for rouge1 keeps the other types for the next metric, keyed by a fingerprint of the
    # texts: an edited frame is scored again, not served from the pass
    first = Rouge1().score(df)
    assert set(overlap._ROUGE_PASS.parts) == {"rouge2", "rougeL", "rougeLsum"}
    df.loc[0, "output"] = df.loc[0, "reference"]
    again = Rouge2().score(df)
    assert again.loc[0, "rouge2"] == 1.0 != scores.df.loc[0, "rouge2"]
    assert again.loc[1:, "rouge2"].tolist() == scores.df.loc[1:, "rouge2"].tolist()
    assert first.rouge1.tolist() == scores.df.rouge1.tolist()


def test_text_digest_tells_columns_and_values_apart():
    a = pd.DataFrame({"output": ["x", "y"], "reference": ["y", "x"]})
    b = pd.DataFrame({"output": ["x", "y"], "references": [["y"], ["x"]]})
    c = pd.DataFrame({"output": ["x", "y"], "reference": ["y", "z"]})
    d = pd.DataFrame({"output": ["x", "y"], "reference": np.array(["y", "x"], dtype=object)},
                     dtype=object)
    digests = [_streaming.text_digest(f) for f in (a, b, c, d)]
    assert len(set(digests[:3])) == 3
    assert _streaming.text_digest(a.iloc[1:]) != _streaming.text_digest(c.iloc[1:])
    assert _streaming.text_digest(a) == _streaming.text_digest(a.copy())


def test_score_progress_false_silences_the_metrics_own_bars(capsys):
    """`score(progress=False)` hides every bar, also the per-row bars BLEU, chrF and ROUGE draw
    themselves on large inputs (they showed regardless); `progress=True` shows them."""
    n = 20_001                                          # past every bar's threshold
    frame = pd.DataFrame({"model": "m", "item_id": [str(i) for i in range(n)],
                          "output": ["the cat sat"] * n, "reference": ["the cat sat down"] * n})
    capsys.readouterr()
    evalnb.score(frame, ["bleu", "chrf", "rouge1"], progress=False)
    assert capsys.readouterr().err == ""
    evalnb.score(frame, ["bleu", "chrf", "rouge1"], progress=True)
    err = capsys.readouterr().err
    assert "bleu:" in err and "chrf:" in err and "rouge:" in err
    assert _streaming.PROGRESS.get() is True          # reset after the call

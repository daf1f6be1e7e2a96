"""BLEU/chrF against sacrebleu and ROUGE against Google's rouge-score, on the same inputs."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from evalnb._errors import MetricError, TokenizerWarning
from evalnb.metrics.overlap import Bleu, Chrf, Rouge1, Rouge2, RougeL, RougeLsum, split_sentences_punct
from _text_metrics_helpers import sample_task as _sample_text
from _text_metrics_helpers import summeval as _summeval

import sacrebleu
from rouge_score import rouge_scorer as google_rouge  # noqa: E402  the reference implementation

ROUGES = {"rouge1": Rouge1, "rouge2": Rouge2, "rougeL": RougeL, "rougeLsum": RougeLsum}


def _refs(df: pd.DataFrame) -> list[list[str]]:
    """Each row's references: the ``references`` list when present, else [``reference``]."""
    many = df["references"] if "references" in df else [None] * len(df)
    return [list(m) if isinstance(m, (list, tuple, np.ndarray)) else [one]
            for m, one in zip(many, df.get("reference", [None] * len(df)))]


def _ref_streams(refs: list[list[str]]) -> list[list[str | None]]:
    """sacrebleu's corpus layout: one stream per reference position, None where an item has fewer."""
    width = max(len(r) for r in refs)
    return [[r[k] if k < len(r) else None for r in refs] for k in range(width)]


# -- BLEU / chrF -----------------------------------------------------------------------------
BLEU_SETTINGS = [{}, {"smooth_method": "floor", "lowercase": True}, {"tokenize": "intl", "smooth_method": "add-k"},
                 {"smooth_method": "none", "effective_order": False, "max_ngram_order": 3}]


def _check_sacre(metric, ref_obj, df: pd.DataFrame) -> None:
    out = metric.score(df)
    refs = _refs(df)
    # per item: sacrebleu's own sentence_score (with native multi-reference semantics)
    expected = [ref_obj.sentence_score(h, r).score for h, r in zip(df.output, refs)]
    assert out[metric.name].tolist() == expected
    # per system: corpus value from summed per-item statistics == sacrebleu corpus_score
    for model, idx in df.groupby("model").groups.items():
        sub = df.loc[idx]
        sub_refs = [refs[i] for i in idx]
        want = ref_obj.corpus_score(sub.output.tolist(), _ref_streams(sub_refs)).score
        assert metric.corpus_score(out.loc[idx]) == {metric.name: want}, model


@pytest.mark.parametrize("kw", BLEU_SETTINGS)
def test_bleu_equals_sacrebleu_on_sample_summaries(kw):
    df = _sample_text("summarization")
    df = df.groupby("model").head(150).reset_index(drop=True)
    _check_sacre(Bleu(**kw), sacrebleu.BLEU(**{"effective_order": True, **kw}), df)


@pytest.mark.parametrize("kw", [{}, {"word_order": 2}, {"lowercase": True, "whitespace": True, "eps_smoothing": True}])
def test_chrf_equals_sacrebleu_on_sample_summaries(kw):
    df = _sample_text("summarization").groupby("model").head(100).reset_index(drop=True)
    _check_sacre(Chrf(**kw), sacrebleu.CHRF(**kw), df)


@pytest.mark.shared_data
def test_bleu_chrf_multi_reference_summeval():
    df = _summeval(n_docs=25)  # 400 summaries x 11 references, sacrebleu's native multi-ref
    _check_sacre(Bleu(force=True), sacrebleu.BLEU(effective_order=True, force=True), df)
    _check_sacre(Chrf(), sacrebleu.CHRF(), df.groupby("model").head(8).reset_index(drop=True))


def test_corpus_bleu_equals_default_corpus_bleu_when_all_orders_present():
    df = _sample_text("summarization").groupby("model").head(50).reset_index(drop=True)
    out = Bleu().score(df)
    refs = _refs(df)
    want = sacrebleu.corpus_bleu(df.output.tolist(), _ref_streams(refs)).score
    assert Bleu().corpus_score(out) == {"bleu": want}


def test_bleu_signature_and_hidden_statistics():
    m = Bleu(smooth_method="floor")
    sig = m.signature()
    assert sig.startswith("bleu|") and "smooth_method:floor" in sig
    assert sig.endswith("sacrebleu:" + m.sacrebleu_signature())
    assert "smooth:floor[0.10]" in sig and "tok:13a" in sig and f"version:{sacrebleu.__version__}" in sig
    df = pd.DataFrame({"model": "m", "output": ["the cat sat", None, ""],
                       "reference": ["the cat sat down", "x", "a dog"]})
    out = m.score(df)
    assert list(out.columns) == ["bleu"] + [f"_bleu_stat_{i}" for i in range(10)]
    assert np.isnan(out.bleu[1]) and out.bleu[2] == 0.0  # missing output stays missing; "" scores 0
    assert m.columns == ["bleu"]
    with pytest.raises(MetricError, match="smooth_method"):
        Bleu(smooth_method="laplace").score(df)
    with pytest.raises(MetricError, match="_bleu_stat_0"):
        m.corpus_score(out[["bleu"]])


_tok = st.sampled_from(["the", "cat", "sat", "on", "mat", ".", "Cat", "mat."])
_seg = st.lists(_tok, max_size=9).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_seg, st.lists(_seg, min_size=1, max_size=3)), min_size=1, max_size=10),
       st.sampled_from([1, 2, 4, 6]), st.booleans())
def test_bleu_statistics_equal_sacrebleu_segment_statistics(rows, order, lowercase):
    # repeated n-grams (clipping), variable reference counts, empty strings, length ties
    m = Bleu(max_ngram_order=order, lowercase=lowercase)
    sb = sacrebleu.BLEU(max_ngram_order=order, lowercase=lowercase, effective_order=True)
    df = pd.DataFrame({"output": [h for h, _ in rows], "references": [r for _, r in rows]})
    got = m.score(df)[m.stat_columns].to_numpy()
    want = [sb._compute_segment_statistics(sb._preprocess_segment(h),
                                           sb._extract_reference_info([sb._preprocess_segment(x) for x in r]))
            for h, r in rows]
    assert got.tolist() == np.asarray(want, dtype=float).tolist()


# -- ROUGE -----------------------------------------------------------------------------------
def _google(rouge_type: str, refs: list[str], hyps: list[str], stem: bool = True, **kw) -> np.ndarray:
    scorer = google_rouge.RougeScorer([rouge_type], use_stemmer=stem, **kw)
    return np.array([tuple(scorer.score(r, h)[rouge_type]) for r, h in zip(refs, hyps)])


@pytest.mark.parametrize("rouge_type", list(ROUGES))
def test_rouge_bit_identical_to_rouge_score_on_sample_summaries(rouge_type):
    df = _sample_text("summarization").groupby("model").head(100).reset_index(drop=True)
    out = ROUGES[rouge_type]().score(df)
    want = _google(rouge_type, df.reference.tolist(), df.output.tolist())
    assert np.array_equal(out[[f"{rouge_type}_precision", f"{rouge_type}_recall", rouge_type]].to_numpy(), want)


@pytest.mark.shared_data
@pytest.mark.parametrize("stem", [True, False])
def test_rouge_bit_identical_on_summeval(stem):
    df = _summeval()
    df = df.assign(reference=[r[0] for r in df.references]).drop(columns="references")
    if not stem:  # unstemmed: a quarter of the texts is plenty
        df = df.iloc[::4].reset_index(drop=True)
    for rouge_type, cls in ROUGES.items():
        out = cls(use_stemmer=stem).score(df)
        want = _google(rouge_type, df.reference.tolist(), df.output.tolist(), stem)
        got = out[[f"{rouge_type}_precision", f"{rouge_type}_recall", rouge_type]].to_numpy()
        assert np.array_equal(got, want), rouge_type


@pytest.mark.shared_data
def test_rouge_multi_reference_mean_and_max_summeval():
    df = _summeval(n_docs=6)  # 96 summaries x 11 references
    for rouge_type in ("rouge1", "rougeL"):
        scorer = google_rouge.RougeScorer([rouge_type], use_stemmer=True)
        mx = ROUGES[rouge_type](multi_ref="max").score(df)
        mean = ROUGES[rouge_type](multi_ref="mean").score(df)
        for i, (h, refs) in enumerate(zip(df.output, df.references)):
            best = scorer.score_multi(refs, h)[rouge_type]  # rouge-score's own max semantics
            assert (mx[f"{rouge_type}_precision"][i], mx[f"{rouge_type}_recall"][i], mx[rouge_type][i]) == tuple(best)
            per = [scorer.score(r, h)[rouge_type].fmeasure for r in refs]
            assert mean[rouge_type][i] == pytest.approx(np.mean(per), rel=1e-12, abs=0)
    assert "multi_ref:max" in Rouge1(multi_ref="max").signature()


def test_rougelsum_sentence_splitting():
    text = 'The plan was cheap. Support said "yes." Billing fixed it! Done'
    assert split_sentences_punct(text) == 'The plan was cheap.\nSupport said "yes."\nBilling fixed it!\nDone'
    df = pd.DataFrame({"output": ["Billing fixed it. The plan was cheap."],
                       "reference": ["The plan was cheap. Billing fixed it quickly."]})
    got = RougeLsum(split_sentences="punct").score(df)
    want = _google("rougeLsum", [split_sentences_punct(df.reference[0])], [split_sentences_punct(df.output[0])])
    assert tuple(got.iloc[0][["rougeLsum_precision", "rougeLsum_recall", "rougeLsum"]]) == tuple(want[0])
    # without splitting the whole text is one sentence: rougeLsum == rougeL (rouge-score semantics)
    assert RougeLsum().score(df).rougeLsum[0] == RougeL().score(df).rougeL[0]
    with pytest.raises(MetricError, match="split_sentences"):
        RougeLsum(split_sentences="spacy")


def test_rouge_warns_on_non_latin_and_unicode_tokenizer_scores_one():
    df = pd.DataFrame({"output": ["今天天气很好", "Правительство объявило новые меры.", "plain text"],
                       "reference": ["今天天气很好", "Правительство объявило новые меры.", "plain text"]})
    with pytest.warns(TokenizerWarning, match="no tokens in 2 text"):
        default = Rouge1().score(df)
    assert default.rouge1.tolist() == [0.0, 0.0, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", TokenizerWarning)
        Rouge1().score(pd.DataFrame({"output": ["...", ""], "reference": ["?!", "x"]}))  # no letters: no warning
        uni = Rouge1(tokenizer="unicode").score(df)
    assert uni.rouge1.tolist() == [1.0, 1.0, 1.0]
    assert "tok:unicode-v1" in Rouge1(tokenizer="unicode").signature()
    with pytest.raises(MetricError, match="tokenizer"):
        Rouge1(tokenizer="whitespace")


_words = st.sampled_from(["the", "cat", "sat", "on", "mat", "dogs", "running", "ran", "Billing", "42", ".", ","])
_texts = st.lists(_words, min_size=0, max_size=12).map(" ".join)


@pytest.mark.filterwarnings("ignore::evalnb._errors.TokenizerWarning")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_texts, _texts), min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_rouge_range_identity_and_row_order(pairs, rnd):
    df = pd.DataFrame({"output": [h for h, _ in pairs], "reference": [r for _, r in pairs]})
    out = Rouge2().score(df)
    assert ((out >= 0) & (out <= 1)).all().all()
    same = Rouge1().score(pd.DataFrame({"output": df.reference, "reference": df.reference}))
    has_tokens = df.reference.str.contains(r"[a-z0-9]", case=False)
    assert (same.rouge1[has_tokens] == 1.0).all()
    perm = list(range(len(df)))
    rnd.shuffle(perm)
    shuffled = Rouge2().score(df.iloc[perm])
    pd.testing.assert_frame_equal(shuffled.sort_index(), out)


def _awkward_texts(seed: int, n: int) -> pd.DataFrame:
    """Edge cases for the column-wise chrF counter: empty and one-character strings, repeated n-grams,
    punctuation at word edges (chrF++ splitting), whitespace runs, and a CJK alphabet large enough
    (~3,000 code points) that 6-gram ids no longer fit 62 bits and are renumbered."""
    rng = np.random.default_rng(seed)
    latin = list("abcab .,;!?()'\"-") + ["é", "ß", "\u00a0", "😀"]
    cjk = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    def text():
        kind = rng.integers(0, 4)
        if kind == 0:
            return ""
        alphabet = cjk if kind == 3 else latin
        return "".join(rng.choice(alphabet, size=int(rng.integers(1, 40))))
    rows = []
    for i in range(n):
        refs = [text() for _ in range(int(rng.integers(1, 4)))]
        if rng.random() < 0.3:
            refs.append(refs[0])                       # a duplicate reference: tie, first one wins
        rows.append({"model": f"m{i % 3}", "output": text(), "references": refs})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("kw", [{}, {"word_order": 2}, {"lowercase": True, "whitespace": True},
                                {"eps_smoothing": True, "char_order": 3, "word_order": 1, "beta": 1}])
def test_chrf_equals_sacrebleu_on_awkward_texts(kw):
    df = _awkward_texts(7, 300)
    _check_sacre(Chrf(**kw), sacrebleu.CHRF(**kw), df)


_TOKENIZER_ALPHABET = st.sampled_from(list("aZ09 .,-\n&;<>\"'()[]{}~`^_|/\\:@?!#$%*+=\t") + ["&quot;", "&amp;", "&lt;",
                                                                                        "&gt;", "<skipped>", "-\n",
                                                                                        "é", "\u00a0", "\u2028", "😀"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_TOKENIZER_ALPHABET, max_size=40).map("".join), st.booleans())
@example("Costs 3.50, up 9.", False)       # a period after a digit at the end: only split by the padding space
@example("well-\nknown &amp;c <skipped>", True)
def test_fast_13a_preprocessing_equals_sacrebleu(text, lowercase):
    """BLEU's fast 13a path gives sacrebleu's own tokenisation (the oracle) on any mix of its rules' triggers."""
    from evalnb.metrics.overlap import _segment_preprocessor

    scorer = sacrebleu.BLEU(lowercase=lowercase)
    fast = _segment_preprocessor(scorer)
    assert fast is not scorer._preprocess_segment          # the fast path is the one under test
    assert fast(text) == scorer._preprocess_segment(text)


def test_other_tokenizers_use_sacrebleu_itself():
    from evalnb.metrics.overlap import _segment_preprocessor

    for tok in ("intl", "char", "none", "zh"):
        scorer = sacrebleu.BLEU(tokenize=tok)
        assert _segment_preprocessor(scorer) == scorer._preprocess_segment

"""exact_match / token_f1 against a verbatim copy of the official SQuAD v1.1 evaluation functions."""
from __future__ import annotations

import collections
import re
import string
import unicodedata

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _text_metrics_helpers import sample_task
from evalnb.metrics.qa import ExactMatch, TokenF1, normalize_answer as evalnb_normalize, squad_scores


# ---- verbatim from the official evaluate-v1.1.py (SQuAD) -------------------------------------
def normalize_answer(s):
    """Lower text and remove punctuation, articles and extra whitespace."""
    def remove_articles(text):
        return re.sub(r'\b(a|an|the)\b', ' ', text)

    def white_space_fix(text):
        return ' '.join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return ''.join(ch for ch in text if ch not in exclude)

    def lower(text):
        return text.lower()

    return white_space_fix(remove_articles(remove_punc(lower(s))))


def f1_score(prediction, ground_truth):
    prediction_tokens = normalize_answer(prediction).split()
    ground_truth_tokens = normalize_answer(ground_truth).split()
    common = collections.Counter(prediction_tokens) & collections.Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1


def exact_match_score(prediction, ground_truth):
    return (normalize_answer(prediction) == normalize_answer(ground_truth))


def metric_max_over_ground_truths(metric_fn, prediction, ground_truths):
    scores_for_ground_truths = []
    for ground_truth in ground_truths:
        score = metric_fn(prediction, ground_truth)
        scores_for_ground_truths.append(score)
    return max(scores_for_ground_truths)
# ---- end of the official code ----------------------------------------------------------------


def official(preds, golds):
    """The official per-pair loop, on NFC text (evalnb's one documented addition)."""
    nfc = lambda s: unicodedata.normalize("NFC", s)  # noqa: E731
    em = [float(metric_max_over_ground_truths(exact_match_score, nfc(p), [nfc(g) for g in gs]))
          for p, gs in zip(preds, golds)]
    f1 = [float(metric_max_over_ground_truths(f1_score, nfc(p), [nfc(g) for g in gs]))
          for p, gs in zip(preds, golds)]
    return np.array(em), np.array(f1)


def test_equals_official_on_sample_qa():
    df = sample_task("qa")
    golds = [list(r) if isinstance(r, (list, np.ndarray)) else [g] for r, g in zip(df.references, df.reference)]
    em, f1 = squad_scores(df.output.tolist(), golds)
    want_em, want_f1 = official(df.output.tolist(), golds)
    assert np.array_equal(em, want_em) and np.array_equal(f1, want_f1)
    assert 0 < em.mean() < 1  # the sample has both right and wrong answers
    out = pd.concat([ExactMatch().score(df), TokenF1().score(df)], axis=1)
    assert np.array_equal(out.exact_match.to_numpy(), want_em)
    assert np.array_equal(out.token_f1.to_numpy(), want_f1)


# Text that exercises every step: case, ASCII punctuation, articles inside and outside words,
# all kinds of whitespace (incl. \x1c-\x1f and non-breaking space), control characters, accents
# (composed and decomposed), non-Latin scripts, and the trap of empty strings.
_alphabet = st.sampled_from(list("aAnNtThHeE xyz019") + list(".,!?-_'\"()") +
                            ["\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1f", "\x85", "\xa0", "\u3000",
                             "\x01", "\x7f", "é", "e\u0301", "É", "ß", "İ", "Σ", "中", "ก", "\U0001F600"])
_words = st.sampled_from(["the", "The", "a", "an", "An", "answer", "Paris", "1912", "the-end", "a.b",
                          "l'an", "THE", "café", "an_a", ""])
_answer = st.one_of(st.lists(_alphabet, max_size=14).map("".join),
                    st.lists(_words, max_size=6).map(" ".join))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_answer, st.lists(_answer, min_size=1, max_size=3)), min_size=1, max_size=12))
def test_equals_official_on_generated_text(items):
    preds, golds = [p for p, _ in items], [g for _, g in items]
    em, f1 = squad_scores(preds, golds)
    want_em, want_f1 = official(preds, golds)
    assert np.array_equal(em, want_em)
    assert np.array_equal(f1, want_f1)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_answer, st.lists(_answer, min_size=1, max_size=4)), min_size=1, max_size=8),
       st.randoms(use_true_random=False))
def test_properties_range_identity_order(items, rnd):
    preds, golds = [p for p, _ in items], [g for _, g in items]
    em, f1 = squad_scores(preds, golds)
    assert ((0 <= em) & (em <= 1)).all() and ((0 <= f1) & (f1 <= 1)).all()
    assert set(np.unique(em)) <= {0.0, 1.0}
    # identical strings: EM 1; F1 1 unless normalisation leaves no tokens (official: 0 then)
    em_same, f1_same = squad_scores(preds, [[p] for p in preds])
    assert (em_same == 1).all()
    has_tokens = np.array([bool(evalnb_normalize(p)) for p in preds])
    assert (f1_same[has_tokens] == 1).all() and (f1_same[~has_tokens] == 0).all()
    # gold order and item order do not matter
    shuffled = [rnd.sample(g, len(g)) for g in golds]
    em2, f12 = squad_scores(preds, shuffled)
    assert np.array_equal(em, em2) and np.array_equal(f1, f12)
    perm = list(range(len(preds)))
    rnd.shuffle(perm)
    em3, f13 = squad_scores([preds[i] for i in perm], [golds[i] for i in perm])
    assert np.array_equal(em3, em[perm]) and np.array_equal(f13, f1[perm])


def test_none_string_nfc_and_missing_rows():
    df = pd.DataFrame({"output": ["None", "cafe\u0301", None, "", "the Eiffel Tower", "NA"],
                       "reference": ["None", "café", "x", "", None, "null"],
                       "references": [None, None, None, None, ["Eiffel Tower", "Paris"], None]})
    em = ExactMatch().score(df).exact_match
    f1 = TokenF1().score(df).token_f1
    assert em[0] == 1.0 and f1[0] == 1.0        # D01: "None" is an answer, not a missing value
    assert em[1] == 1.0                          # D05: NFC makes decomposed == composed
    assert np.isnan(em[2]) and np.isnan(f1[2])   # no output: missing, not 0
    assert em[3] == 1.0 and f1[3] == 0.0         # official v1.1: empty vs empty has F1 0
    assert em[4] == 1.0 and f1[4] == 1.0         # references list, max over golds
    assert em[5] == 0.0
    assert "norm:squad-v1.1+nfc" in ExactMatch().signature()


def test_metric_settings_are_rejected_with_a_clear_message():
    from evalnb._errors import MetricError

    with pytest.raises(MetricError, match="no setting"):
        ExactMatch(lowercase=False)

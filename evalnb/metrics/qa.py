"""QA metrics with the official SQuAD v1.1 semantics: ``exact_match`` and ``token_f1``.

The official evaluate-v1.1.py normalises an answer by lower-casing, deleting ASCII punctuation,
replacing the articles a/an/the by a space and collapsing whitespace; EM compares normalised
strings, F1 is the bag-of-tokens overlap, and both take the max over the gold answers. evalnb
adds one step in front: Unicode NFC, so a decomposed "café" equals a composed one (docs/threat-model.md
D05); on NFC text (almost all text) the numbers are the official ones, as the oracle test shows.

The per-pair loop of the official script runs ~48,000 pairs/s here. This module computes the same
numbers column-wise: each distinct string is normalised once (with Arrow kernels for ASCII
strings, whose semantics are identical to Python's for ASCII, and the Python functions otherwise),
tokens become integer ids, and the multiset overlap of every pair is one sorted-key join in numpy.
"""
from __future__ import annotations

import re
import string
import unicodedata

import numpy as np
import pandas as pd

from ._streaming import SharedPass, row_chunks, text_digest
from ._text_pairs import _pairs
from .base import MEAN, PROPORTION, Metric, Output
from .registry import register

_DELETE_PUNCT = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
# string.punctuation is exactly these four ASCII ranges
_ARROW_PUNCT = r"[!-/:-@\[-`{-~]"
# the ASCII characters Python's str.split() treats as whitespace (note \x1c-\x1f)
# anything but printable ASCII and the whitespace both Python and Arrow split on
_NOT_PLAIN_ASCII = "[^\t\n\x0b\x0c\r\x20-\x7e]"


def normalize_answer(text: str) -> str:
    """NFC, then SQuAD v1.1 ``normalize_answer``: lower, drop punctuation and articles, fix spaces.

    >>> normalize_answer("The  Eiffel-Tower!")
    'eiffeltower'
    """
    text = unicodedata.normalize("NFC", text).lower().translate(_DELETE_PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def _answer_tokens(texts: list[str]):
    """Normalised tokens of each string, as an Arrow list array (same order as ``texts``).

    Strings of printable ASCII plus ordinary whitespace take a columnar path: after lower-casing
    and deleting punctuation only letters, digits and whitespace remain, so the official
    ``\\b(a|an|the)\\b`` replacement followed by the whitespace collapse is exactly "drop the
    whitespace tokens a, an, the". Anything else (non-ASCII, control characters, which Python's
    ``\\b`` and ``str.split`` treat in their own ways) goes through :func:`normalize_answer`.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    list_type = pa.large_list(pa.large_string())
    arr = pa.array(texts, type=pa.large_string())
    dirty = pc.match_substring_regex(arr, pattern=_NOT_PLAIN_ASCII).to_numpy(zero_copy_only=False)
    clean_idx = np.flatnonzero(~dirty)
    other_idx = np.flatnonzero(dirty)
    parts, order = [], []
    if len(clean_idx):
        sub = arr.take(pa.array(clean_idx)) if len(other_idx) else arr
        sub = pc.replace_substring_regex(pc.ascii_lower(sub), pattern=_ARROW_PUNCT, replacement="")
        lists = pc.ascii_split_whitespace(sub)
        flat = pc.list_flatten(lists)
        lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False)
        drop = pc.or_(pc.equal(pc.binary_length(flat), 0), pc.is_in(flat, value_set=pa.array(["a", "an", "the"])))
        keep = pc.invert(drop)
        owner = np.repeat(np.arange(len(clean_idx), dtype=np.int64), lengths)
        kept_owner = owner[keep.to_numpy(zero_copy_only=False)]
        offsets = np.concatenate([[0], np.cumsum(np.bincount(kept_owner, minlength=len(clean_idx)))])
        parts.append(pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()),
                                                   flat.filter(keep).cast(pa.large_string())))
        order.append(clean_idx)
    if len(other_idx):
        parts.append(pa.array([normalize_answer(texts[i]).split() for i in other_idx], type=list_type))
        order.append(other_idx)
    lists = pa.concat_arrays([p.cast(list_type) for p in parts])
    perm = np.empty(len(texts), dtype=np.int64)
    perm[np.concatenate(order)] = np.arange(len(texts))
    return lists.take(pa.array(perm))


def _token_table(lists) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Normalised-string ids and distinct (string, token) counts per string."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(lists)
    norm_ids = pc.dictionary_encode(pc.binary_join(lists, pa.scalar(" ", pa.large_string()))).indices
    norm_ids = norm_ids.to_numpy(zero_copy_only=False).astype(np.int64)
    lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    enc = pc.dictionary_encode(pc.list_flatten(lists))
    tok = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    vocab = max(len(enc.dictionary), 1)
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    keys, counts = np.unique(owner * vocab + tok, return_counts=True)
    key_owner = keys // vocab
    starts = np.searchsorted(key_owner, np.arange(n), side="left")
    ends = np.searchsorted(key_owner, np.arange(n), side="right")
    return norm_ids, starts, ends, np.stack([keys % vocab, counts]), lengths


def _expand(starts: np.ndarray, ends: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each pair p, the positions starts[which[p]]..ends[which[p]] and p repeated."""
    n = ends[which] - starts[which]
    pair = np.repeat(np.arange(len(which), dtype=np.int64), n)
    offsets = np.repeat(starts[which] - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
    return pair, np.arange(int(n.sum()), dtype=np.int64) + offsets


def squad_scores(predictions: list[str], golds: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Exact match and token F1 per item, max over each item's gold answers (SQuAD v1.1 + NFC).

    Parameters
    ----------
    predictions : one answer string per item.
    golds : per item, a non-empty list of gold answers.

    Returns
    -------
    (em, f1) : float arrays in [0, 1].

    Examples
    --------
    >>> em, f1 = squad_scores(["the Eiffel Tower", "Paris"], [["Eiffel Tower"], ["Paris, France"]])
    >>> em.tolist(), [round(float(x), 3) for x in f1]
    ([1.0, 0.0], [1.0, 0.667])
    """
    n_items = len(predictions)
    if n_items == 0:
        return np.zeros(0), np.zeros(0)
    counts = np.fromiter((len(g) for g in golds), dtype=np.int64, count=n_items)
    codes, raw = pd.factorize(np.asarray(list(predictions) + [g for gl in golds for g in gl],
                                         dtype=object))
    pred_raw, gold_raw = codes[:n_items], codes[n_items:]
    lists = _answer_tokens(list(raw))
    norm_ids, starts, ends, tok_cnt, lengths = _token_table(lists)
    tok, cnt = tok_cnt
    a = np.repeat(pred_raw, counts)  # pair -> distinct prediction string
    b = gold_raw                     # pair -> distinct gold string
    em_pair = (norm_ids[a] == norm_ids[b]).astype(np.float64)
    vocab = int(tok.max()) + 1 if len(tok) else 1
    pair_a, pos_a = _expand(starts, ends, a)
    pair_b, pos_b = _expand(starts, ends, b)
    key_a = pair_a * vocab + tok[pos_a]   # sorted: pairs ascending, tokens ascending within
    key_b = pair_b * vocab + tok[pos_b]
    n_pairs = len(a)
    if len(key_b):
        hit = np.minimum(np.searchsorted(key_b, key_a), len(key_b) - 1)
        match = key_b[hit] == key_a
        common = np.minimum(cnt[pos_a[match]], cnt[pos_b[hit[match]]])
        num_same = np.bincount(pair_a[match], weights=common, minlength=n_pairs)
    else:
        num_same = np.zeros(n_pairs)
    len_a, len_b = lengths[a].astype(np.float64), lengths[b].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = 1.0 * num_same / len_a
        recall = 1.0 * num_same / len_b
        f1_pair = np.where(num_same == 0, 0.0, (2 * precision * recall) / (precision + recall))
    starts_item = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return np.maximum.reduceat(em_pair, starts_item), np.maximum.reduceat(f1_pair, starts_item)


_PASS = SharedPass()  # exact_match and token_f1 share one pass


def _score_frame(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """exact_match and token_f1 per row, chunk by chunk (rows grouped by their gold answers, so
    golds shared by several models are normalised once per chunk); memory stays flat in the rows.

    A missing output (None/NaN) is not the answer "": it stays NaN. "None" is a string.
    """
    em, f1 = np.full(len(frame), np.nan), np.full(len(frame), np.nan)
    for idx, part in row_chunks(frame, by_reference=True):
        pos, outs, refs = _pairs(part)
        if len(pos):
            em[idx[pos]], f1[idx[pos]] = squad_scores(outs, refs)
    return {"exact_match": em, "token_f1": f1}


class _Squad(Metric):
    family = "qa"
    needs = ("output", "reference|references")
    defaults: dict = {}
    _column = ""

    def signature(self) -> str:
        return f"{super().signature()}|norm:squad-v1.1+nfc|refs:max"

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        col = _PASS.take(("squad", text_digest(frame)), self._column, lambda: _score_frame(frame))
        return pd.DataFrame({self._column: col}, index=frame.index, copy=False)


@register
class ExactMatch(_Squad):
    """SQuAD v1.1 exact match after normalisation, max over gold answers."""

    name = _column = "exact_match"
    description = "SQuAD v1.1 exact match (NFC + official normalisation), max over gold answers"
    outputs = (Output("exact_match", PROPORTION),)


@register
class TokenF1(_Squad):
    """SQuAD v1.1 token-overlap F1 after normalisation, max over gold answers."""

    name = _column = "token_f1"
    description = "SQuAD v1.1 token F1 (NFC + official normalisation), max over gold answers"
    outputs = (Output("token_f1", MEAN),)

"""ROUGE-1/2/L/Lsum with rouge-score semantics: F, precision and recall per item.

ROUGE runs on rouge-score-rs (a Rust reimplementation that is bit-identical to Google's
rouge-score; tests/test_metrics_overlap.py proves it on real summaries) and falls back to
rouge-score itself when rouge-score-rs is not installed.
"""
from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .._errors import MetricError, TokenizerWarning
from . import _streaming
from ._streaming import SharedPass, row_chunks, text_digest
from ._text_pairs import _NEEDS, _flat_pairs
from .base import MEAN, Metric, Output, library_version
from .registry import register

_HAS_TOKEN = re.compile(r"[a-z0-9]")
# evalnb's deterministic sentence rule for rougeLsum: a sentence ends at . ! or ? (optionally
# followed by closing quotes/brackets) before whitespace.
_SENT_END = re.compile(r"(?<=[.!?])([\"')\]]*)\s+")


_ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
_ROUGE_PASS = SharedPass()


def _rouge_backend() -> str:
    try:
        import rouge_score_rs  # noqa: F401
        return "rouge-score-rs"
    except ImportError:
        return "rouge-score"


def split_sentences_punct(text: str) -> str:
    """Put each sentence on its own line (evalnb's ``split_sentences="punct"`` rule for rougeLsum).

    >>> split_sentences_punct("It rains. We stay in! Ok")
    'It rains.\\nWe stay in!\\nOk'
    """
    return _SENT_END.sub(lambda m: m.group(1) + "\n", text.strip())


class _Rouge(Metric):
    family = "overlap"
    needs = _NEEDS
    rouge_type: str = ""
    defaults = {"use_stemmer": True, "multi_ref": "mean", "tokenizer": "default"}

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        s = self.settings
        if s["multi_ref"] not in ("mean", "max"):
            raise MetricError(f"{self.name}: multi_ref must be 'mean' or 'max', not {s['multi_ref']!r}")
        if s["tokenizer"] not in ("default", "unicode"):
            raise MetricError(f"{self.name}: tokenizer must be 'default' (rouge-score's, ASCII only) "
                              f"or 'unicode' (UAX #29 words), not {s['tokenizer']!r}")
        if s.get("split_sentences", "none") not in ("none", "punct", "nltk"):
            raise MetricError(f"{self.name}: split_sentences must be 'none', 'punct' or 'nltk', "
                              f"not {s['split_sentences']!r}")
        self.backend = _rouge_backend()
        if s["tokenizer"] == "unicode" and self.backend != "rouge-score-rs":
            raise MetricError(f"{self.name}: tokenizer='unicode' needs rouge-score-rs; install it with: "
                              "pip install rouge-score-rs")
        # instance attribute: the signature records the library that actually computes
        self.library = self.backend

    def signature(self) -> str:
        """Adds the tokenizer profile and the semantics (rouge-score version) being reproduced."""
        profile = "unicode-v1" if self.settings["tokenizer"] == "unicode" else "rouge-score"
        return (f"{super().signature()}|tok:{profile}"
                f"|semantics:rouge-score-{library_version('rouge-score')}")

    def _scorer(self, types: list[str]):
        s = self.settings
        split = s.get("split_sentences", "none") == "nltk"
        if self.backend == "rouge-score-rs":
            from rouge_score_rs import RougeScorer, tokenizers

            tok = tokenizers.UnicodeTokenizer() if s["tokenizer"] == "unicode" else None
            return RougeScorer(types, use_stemmer=s["use_stemmer"], split_summaries=split,
                               tokenizer=tok)
        from rouge_score.rouge_scorer import RougeScorer

        return RougeScorer(types, use_stemmer=s["use_stemmer"], split_summaries=split)

    def _dropped(self, texts: list[str]) -> set[int]:
        """Hashes of the texts rouge-score's tokenizer empties (for the warning)."""
        if self.settings["tokenizer"] != "default":
            return set()
        # rouge-score lower-cases and keeps only [a-z0-9] runs: other scripts vanish. Count texts
        # with letters or digits of which none survive (punctuation-only text is not "dropped":
        # it has nothing to score in any tokenizer).
        return {hash(t) for t in set(texts)
                if not _HAS_TOKEN.search(t.lower()) and any(c.isalnum() for c in t)}

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        s = self.settings
        split = s.get("split_sentences", "none")
        # ``score()`` runs rouge1, rouge2, rougeL and rougeLsum one after the other on the same
        # texts; one batch call for the four costs about half of four calls (tokenising and
        # Porter stemming dominate), so the first call computes them all and the others take
        # their part. The key fingerprints the texts instead of holding them.
        key = (self.backend, s["use_stemmer"], s["tokenizer"], s["multi_ref"], split,
               text_digest(frame))
        p, r, f = _ROUGE_PASS.take(key, self.rouge_type, lambda: self._score_frame(frame, split))
        t = self.rouge_type
        return pd.DataFrame({t: f, f"{t}_precision": p, f"{t}_recall": r}, index=frame.index,
                            copy=False)

    def _score_frame(self, frame: pd.DataFrame, split: str) -> dict[str, np.ndarray]:
        """Per-row P, R and F rows (NaN without output or reference) of every type one pass gives,
        streamed over :func:`row_chunks`."""
        from tqdm.auto import tqdm

        types = _ROUGE_TYPES if split == "none" else (self.rouge_type,)
        out = {t: np.full((3, len(frame)), np.nan) for t in types}
        batched = self.backend == "rouge-score-rs"
        size = None if batched else 2_000  # rouge-score's Python loop: progress every 2,000
        scorer, dropped = None, set()
        bar = tqdm(total=len(frame), desc="rouge", leave=False,
                   disable=_streaming.bar_hidden(len(frame), size or _streaming.CHUNK_ROWS))
        for idx, part in row_chunks(frame, size):
            pos, flat_hyps, flat_refs, counts = _flat_pairs(part)
            if split == "punct":
                flat_refs = [split_sentences_punct(t) for t in flat_refs]
                flat_hyps = [split_sentences_punct(t) for t in flat_hyps]
            dropped |= self._dropped(flat_refs + flat_hyps)
            if len(pos):
                scorer = scorer or self._scorer(list(types))
                if batched:
                    res = scorer.score_batch(flat_refs, flat_hyps)
                else:
                    res = [scorer.score(x, y) for x, y in zip(flat_refs, flat_hyps)]
                for t in types:
                    prf = np.array([tuple(d[t]) for d in res], dtype=np.float64).reshape(-1, 3)
                    out[t][:, idx[pos]] = self._aggregate(prf, counts).T
            bar.update(len(idx))
        bar.close()
        if dropped:
            warnings.warn(
                f"rouge: rouge-score's tokenizer found no tokens in {len(dropped)} text(s) with "
                "letters (it keeps only a-z and 0-9, so non-Latin text scores 0); pass "
                "tokenizer='unicode' for Unicode words (not comparable with rouge-score numbers)",
                TokenizerWarning, stacklevel=6)
        return out

    def _aggregate(self, prf: np.ndarray, counts: np.ndarray) -> np.ndarray:
        if len(counts) == 0:
            return np.zeros((0, 3))
        if (counts == 1).all():
            return prf
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        if self.settings["multi_ref"] == "mean":
            return np.add.reduceat(prf, starts, axis=0) / counts[:, None]
        # "max": the reference with the highest F (first on ties) gives P, R and F, exactly as
        # rouge-score's score_multi
        out = np.empty((len(counts), 3))
        f = prf[:, 2]
        for i, (a, c) in enumerate(zip(starts, counts)):
            out[i] = prf[a + int(np.argmax(f[a:a + c]))]
        return out


@register
class Rouge1(_Rouge):
    name = rouge_type = "rouge1"
    description = "ROUGE-1 unigram overlap F (rouge-score semantics), plus precision and recall"
    outputs = (Output("rouge1", MEAN), Output("rouge1_precision", MEAN), Output("rouge1_recall", MEAN))


@register
class Rouge2(_Rouge):
    name = rouge_type = "rouge2"
    description = "ROUGE-2 bigram overlap F (rouge-score semantics), plus precision and recall"
    outputs = (Output("rouge2", MEAN), Output("rouge2_precision", MEAN), Output("rouge2_recall", MEAN))


@register
class RougeL(_Rouge):
    name = rouge_type = "rougeL"
    description = "ROUGE-L longest common subsequence F (rouge-score semantics), plus P and R"
    outputs = (Output("rougeL", MEAN), Output("rougeL_precision", MEAN), Output("rougeL_recall", MEAN))


@register
class RougeLsum(_Rouge):
    name = rouge_type = "rougeLsum"
    description = "ROUGE-Lsum summary-level LCS F over newline-separated sentences, plus P and R"
    outputs = (Output("rougeLsum", MEAN), Output("rougeLsum_precision", MEAN),
               Output("rougeLsum_recall", MEAN))
    defaults = {**_Rouge.defaults, "split_sentences": "none"}

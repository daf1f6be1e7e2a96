"""BLEU and chrF through sacrebleu: per-item sentence scores, hidden sufficient-statistics columns,
corpus values from the summed statistics.

The segment statistics are sacrebleu's (hypothesis/reference lengths, clipped n-gram matches;
chrF's [hyp, ref, match] per order from the best reference), counted column-wise for a whole chunk
of rows by :mod:`evalnb.metrics._ngram_counts`, and scored with sacrebleu's
``_compute_score_from_stats`` (BLEU) or the same f-score operation for operation (chrF).
Tokenisation is sacrebleu's, once per distinct string. Per-item sentence scores equal
``sentence_score`` and the corpus value from summed statistics equals ``corpus_score``
(tests/test_metrics_overlap.py, exact equality, multi-reference ties and large alphabets included).
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from .._errors import MetricError
from . import _streaming
from ._ngram_counts import _bleu_statistics, _chrf_statistics
from ._streaming import row_chunks
from ._text_pairs import _NEEDS, _pairs
from .base import CORPUS, Metric, Output
from .registry import register


class _Sacre(Metric):
    family = "overlap"
    needs = _NEEDS
    library = "sacrebleu"
    _n_stats: int = 0

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        self._scorer_obj = None

    # subclasses: build the sacrebleu object, name the statistics
    def _build(self):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def _scorer(self):
        if self._scorer_obj is None:
            self._scorer_obj = self._build()
        return self._scorer_obj

    @property
    def stat_columns(self) -> list[str]:
        """Hidden per-item sufficient-statistics columns (summed for the corpus value)."""
        return [f"_{self.name}_stat_{i}" for i in range(self._stat_count())]

    def _stat_count(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _result(self, sent: np.ndarray, stats: np.ndarray, index: pd.Index) -> pd.DataFrame:
        """The per-item frame on the score and statistics arrays themselves (no copy)."""
        return pd.DataFrame({self.name: sent, **dict(zip(self.stat_columns, stats))}, index=index,
                            copy=False)

    def sacrebleu_signature(self) -> str:
        """sacrebleu's own signature for these settings (``nrefs`` omitted: it depends on data)."""
        scorer = self._scorer
        args = dict(vars(scorer))
        args.setdefault("num_refs", 1)
        sig = type(scorer)._SIGNATURE_TYPE(args)
        sig.info["nrefs"] = None  # Signature.format() skips None
        return sig.format()

    def signature(self) -> str:
        """evalnb's signature, ``refs:native``, then ``sacrebleu:`` and sacrebleu's own signature."""
        base = super().signature()
        return f"{base}|refs:native|sacrebleu:{self.sacrebleu_signature()}"

    def _statistics(self, hyps: list[str], ref_lists: list[list[str]]) -> tuple[np.ndarray, Any]:
        """(statistics, one row per hypothesis; sentence scores) for one chunk: each metric's counting."""
        raise NotImplementedError  # pragma: no cover - abstract

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Segment statistics and sentence score per row, chunk by chunk (:meth:`_statistics` counts).

        Chunks of ``CHUNK_ROWS / 2`` rows, grouped by their references (:func:`row_chunks`), so memory
        stays flat: the token and n-gram arrays take ~300 bytes per token.
        """
        from tqdm.auto import tqdm

        scorer = self._scorer
        stats = np.full((self._stat_count(), len(frame)), np.nan)  # one row per statistic
        sent = np.full(len(frame), np.nan)
        tok_periods = 0
        bar = tqdm(total=len(frame), desc=self.name, disable=_streaming.bar_hidden(len(frame), 20_000 - 1), leave=False)
        for idx, part in row_chunks(frame, _streaming.CHUNK_ROWS // 2, by_reference=True):
            pos, hyps, ref_lists = _pairs(part)
            if len(pos):
                # sacrebleu counts hypotheses ending in a tokenised period (BLEU's "force" warning)
                if not getattr(scorer, "_force", True):
                    tok_periods += sum(1 for h in hyps if h.endswith(" ."))
                block, score = self._statistics(hyps, ref_lists)
                rows = idx[pos]
                stats[:, rows] = block.T
                sent[rows] = score
            bar.update(len(idx))
        bar.close()
        if tok_periods >= 100:
            logging.getLogger("sacrebleu").warning(
                "That's %d lines that end in a tokenized period ('.'); detokenize your data or pass "
                "force=True", tok_periods)
        return self._result(sent, stats, frame.index)

    def corpus_score(self, scores: pd.DataFrame) -> dict[str, float]:
        """Corpus value from the summed per-item statistics (= sacrebleu ``corpus_score``).

        Rows without statistics (no output or no reference) are left out.

        >>> m = evalnb.metric("bleu")                               # doctest: +SKIP
        >>> m.corpus_score(m.score(frame))                           # doctest: +SKIP
        {'bleu': 27.4...}
        """
        cols = self.stat_columns
        missing = [c for c in cols if c not in scores.columns]
        if missing:
            raise MetricError(f"{self.name}: corpus_score needs the per-item statistics columns "
                              f"{cols[0]}..{cols[-1]} (missing {missing[0]}); score with the same "
                              "metric settings and keep its hidden '_' columns")
        block = scores[cols].dropna(how="any").to_numpy()
        if block.shape[0] == 0:
            return {self.name: float("nan")}
        # float64 holds these integer counts exactly; sacrebleu sums Python ints
        sums = [int(v) for v in block.sum(axis=0)]
        return {self.name: float(self._scorer._compute_score_from_stats(sums).score)}



@register
class Bleu(_Sacre):
    """Sentence BLEU per item and corpus BLEU from summed n-gram statistics (sacrebleu)."""

    name = "bleu"
    description = "sacreBLEU (0-100): sentence BLEU per item, corpus BLEU from summed n-gram stats"
    outputs = (Output("bleu", CORPUS, True, 0.0, 100.0),)
    defaults = {"lowercase": False, "force": False, "tokenize": "13a", "smooth_method": "exp",
                "smooth_value": None, "max_ngram_order": 4, "effective_order": True,
                "trg_lang": ""}

    def _build(self):
        from sacrebleu.metrics import BLEU

        s = self.settings
        if s["smooth_method"] not in BLEU.SMOOTH_DEFAULTS:
            raise MetricError(f"bleu: unknown smooth_method {s['smooth_method']!r}; "
                              f"choose one of {', '.join(BLEU.SMOOTH_DEFAULTS)}")
        if s["tokenize"] is not None and s["tokenize"] not in BLEU.TOKENIZERS:
            raise MetricError(f"bleu: unknown tokenize {s['tokenize']!r}; "
                              f"choose one of {', '.join(BLEU.TOKENIZERS)}")
        return BLEU(lowercase=s["lowercase"], force=s["force"], tokenize=s["tokenize"],
                    smooth_method=s["smooth_method"], smooth_value=s["smooth_value"],
                    max_ngram_order=int(s["max_ngram_order"]),
                    effective_order=s["effective_order"], trg_lang=s["trg_lang"])

    def _stat_count(self) -> int:
        return 2 + 2 * int(self.settings["max_ngram_order"])

    def _statistics(self, hyps: list[str], ref_lists: list[list[str]]) -> tuple[np.ndarray, list[float]]:
        """Sentence BLEU and n-gram statistics for a chunk, counted column-wise.

        Tokenisation is sacrebleu's (``_preprocess_segment``), once per distinct string; the
        statistics sacrebleu's ``_compute_segment_statistics`` returns (hypothesis length, closest
        reference length, clipped n-gram matches, n-gram totals; the reference count of an n-gram
        is its max over the references) are counted for all rows at once with sorted integer keys,
        reference n-grams once per distinct reference set; the score is sacrebleu's
        ``compute_bleu`` on those statistics. The tests assert equality with ``sentence_score``
        and ``corpus_score``.
        """
        block = _bleu_statistics(self._scorer, hyps, ref_lists, int(self.settings["max_ngram_order"]))
        from_stats = self._scorer._compute_score_from_stats
        return block, [from_stats(row).score for row in block.tolist()]


@register
class Chrf(_Sacre):
    """Sentence chrF per item and corpus chrF from summed character n-gram statistics."""

    name = "chrf"
    description = "sacreBLEU chrF (0-100; word_order=2 gives chrF++), corpus value from summed stats"
    outputs = (Output("chrf", CORPUS, True, 0.0, 100.0),)
    defaults = {"char_order": 6, "word_order": 0, "beta": 2, "lowercase": False,
                "whitespace": False, "eps_smoothing": False}

    def _build(self):
        from sacrebleu.metrics import CHRF

        s = self.settings
        return CHRF(char_order=int(s["char_order"]), word_order=int(s["word_order"]),
                    beta=s["beta"], lowercase=s["lowercase"], whitespace=s["whitespace"],
                    eps_smoothing=s["eps_smoothing"])

    def _stat_count(self) -> int:
        return 3 * (int(self.settings["char_order"]) + int(self.settings["word_order"]))

    def _statistics(self, hyps: list[str], ref_lists: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Sentence chrF and its [hyp, ref, match] statistics per order for a chunk, counted column-wise.

        sacrebleu counts n-grams with one ``Counter`` per string and order in Python (~2,000 rows/s);
        here every string's character (and, for chrF++, word) n-grams become integer keys, counted with
        one sort per order for all rows of a chunk, and each hypothesis is matched against each of its
        references with one sorted search. The statistics and the f-score (computed operation for
        operation as ``CHRF._compute_f_score``, so the floats are identical) are sacrebleu's; the tests
        assert equality with ``sentence_score`` and ``corpus_score``, multi-reference ties included.
        """
        return _chrf_statistics(self._scorer, hyps, ref_lists)

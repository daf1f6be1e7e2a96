"""Token-overlap metrics, re-exported from the modules that hold them (kept so existing imports work).

* :mod:`evalnb.metrics.sacre`: BLEU and chrF through sacrebleu (``Bleu``, ``Chrf``);
* :mod:`evalnb.metrics._ngram_counts`: the column-wise numpy n-gram counting behind them;
* :mod:`evalnb.metrics.rouge`: ROUGE-1/2/L/Lsum with rouge-score semantics;
* :mod:`evalnb.metrics._text_pairs`: which (output, references) pairs a row contributes.

New code imports from those modules; ``from evalnb.metrics.overlap import Bleu, Rouge1, ...`` keeps
working.
"""
from __future__ import annotations

from ._ngram_counts import (_FIRST_13A_RULE, _bleu_statistics, _chrf_f_score, _chrf_statistics, _dense_codes,
                            _expand_ranges, _gram_counts, _ngram_ids, _segment_preprocessor)
from ._text_pairs import _NEEDS, _flat_pairs, _pairs
from .rouge import (_HAS_TOKEN, _ROUGE_PASS, _ROUGE_TYPES, _SENT_END, Rouge1, Rouge2, RougeL, RougeLsum, _Rouge,
                    _rouge_backend, split_sentences_punct)
from .sacre import Bleu, Chrf, _Sacre

__all__ = ["Bleu", "Chrf", "Rouge1", "Rouge2", "RougeL", "RougeLsum", "split_sentences_punct"]

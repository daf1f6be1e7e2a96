"""The (output, references) pairs the text-overlap metrics score: one rule for BLEU, chrF, ROUGE,
QA and BERTScore.

A row is scored when its ``output`` is a string and it has at least one reference (the
``references`` list first, else ``reference``); a missing output is not an empty answer, so the
row stays NaN.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

_NEEDS = ("output", "reference|references")


def _pairs(frame: pd.DataFrame) -> tuple[np.ndarray, list[str], list[list[str]]]:
    """Positions of rows with a string output and at least one reference, and those texts.

    Same rule as :func:`references_of` (``references`` list first, else ``reference``), on plain
    lists: iterating Arrow-backed string columns element by element is slow.
    """
    n = len(frame)
    outs = frame["output"].tolist()
    many = frame["references"].tolist() if "references" in frame else [None] * n
    one = frame["reference"].tolist() if "reference" in frame else [None] * n
    pos, hyps, ref_lists = [], [], []
    for i in range(n):
        hyp = outs[i]
        # A missing output (None/NaN) is not an empty answer: leave the row NaN.
        if not isinstance(hyp, str):
            continue
        rl = many[i]
        if isinstance(rl, (list, tuple, np.ndarray)) and len(rl):
            refs = [str(r) for r in rl]
        elif isinstance(one[i], str):
            refs = [one[i]]
        else:
            continue
        pos.append(i)
        hyps.append(hyp)
        ref_lists.append(refs)
    return np.asarray(pos, dtype=np.int64), hyps, ref_lists


def _flat_pairs(frame: pd.DataFrame) -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
    """(row positions, hypothesis per (row, reference) pair, reference per pair, refs per row).

    Fast path for the common single-``reference`` layout; otherwise :func:`_pairs`.
    """
    has_many = "references" in frame and frame["references"].notna().any()
    if has_many or "reference" not in frame:
        pos, hyps, ref_lists = _pairs(frame)
        counts = np.fromiter((len(r) for r in ref_lists), dtype=np.int64, count=len(ref_lists))
        flat_h = [h for h, c in zip(hyps, counts) for _ in range(c)]
        return pos, flat_h, [r for rl in ref_lists for r in rl], counts
    outs, one = frame["output"].tolist(), frame["reference"].tolist()
    ok = np.fromiter((type(o) is str and type(r) is str for o, r in zip(outs, one)), dtype=bool,
                     count=len(outs))
    pos = np.flatnonzero(ok)
    if ok.all():
        return pos, outs, one, np.ones(len(pos), dtype=np.int64)
    return pos, [outs[i] for i in pos], [one[i] for i in pos], np.ones(len(pos), dtype=np.int64)

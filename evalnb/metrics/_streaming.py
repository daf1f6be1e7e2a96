"""Streaming for the text metrics: rows in chunks, so memory stays flat in the number of rows.

Token lists, n-gram keys and Python copies of the texts exist for one chunk at a time; what grows
with the rows is the output columns (and an 8-byte row order where rows are grouped by their
references). ``benchmarks/bench_metrics_text.py --memory`` measures it.
"""
from __future__ import annotations

import contextvars
import hashlib
import pickle
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

CHUNK_ROWS = 20_000  # rows per chunk (BLEU takes half: its n-gram arrays take ~300 bytes per token)
# whether a metric's own bar (rows of one metric) may show: ``score(progress=False)`` sets it off for
# the metrics it runs, so no bar appears from inside them either
PROGRESS: contextvars.ContextVar[bool] = contextvars.ContextVar("evalnb_progress", default=True)


def bar_hidden(rows: int, threshold: int) -> bool:
    """A metric's progress bar is hidden below ``threshold`` rows or under ``score(progress=False)``."""
    return not PROGRESS.get() or rows <= threshold
_TEXT_COLUMNS = ("output", "reference", "references")


def reference_keys(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each row's references, for grouping rows (``references`` list first, else
    ``reference``: the rule of ``_text_pairs._pairs``)."""
    n = len(frame)
    many = frame["references"].tolist() if "references" in frame else [None] * n
    one = frame["reference"].tolist() if "reference" in frame else [None] * n
    return np.fromiter(
        (hash(tuple(str(r) for r in m)) if isinstance(m, (list, tuple, np.ndarray)) and len(m)
         else hash((o,)) if isinstance(o, str) else 0 for m, o in zip(many, one)),
        dtype=np.int64, count=n)


def row_chunks(frame: pd.DataFrame, size: int | None = None, *, by_reference: bool | str = False,
               ) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
    """(row positions, those rows of the text columns) in chunks of at most ``size`` rows.

    With ``by_reference=True`` and more than one chunk (``"always"``: even with one), rows are
    visited in the order of a hash of their references, so rows that share references (the same
    items scored for several models) land in the same chunk and next to each other: a reference
    set is processed once however many models use it. Row positions then come in that order.
    """
    size = size or CHUNK_ROWS
    work = frame[[c for c in _TEXT_COLUMNS if c in frame.columns]]
    n = len(work)
    if by_reference == "always" or (by_reference and n > size):
        keys = np.empty(n, dtype=np.int64)
        for a in range(0, n, size):
            keys[a:a + size] = reference_keys(work.iloc[a:a + size])
        order = np.argsort(keys, kind="stable")
        del keys
        for a in range(0, n, size):
            idx = order[a:a + size]
            yield idx, work.iloc[idx]
    elif n <= size:
        yield np.arange(n), work
    else:
        for a in range(0, n, size):
            yield np.arange(a, min(a + size, n)), work.iloc[a:a + size]


def text_digest(frame: pd.DataFrame) -> bytes:
    """128-bit fingerprint of the text columns: lets metrics that share one pass (ROUGE's four
    types, exact match and token F1) recognise the same input without keeping a copy of it."""
    h = hashlib.blake2b(digest_size=16)
    h.update(len(frame).to_bytes(8, "little"))
    for col in _TEXT_COLUMNS:
        if col not in frame.columns:
            continue
        h.update(col.encode())
        s = frame[col]
        if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
            import pyarrow as pa

            # Arrow strings: hash the buffers in place (slice offset and length included)
            for chunk in pa.chunked_array(pa.array(s.array)).chunks:
                h.update(f"{type(chunk.type)}:{chunk.offset}:{len(chunk)}".encode())
                for buf in chunk.buffers():
                    h.update(b"-" if buf is None else buf)
            continue
        for a in range(0, len(s), CHUNK_ROWS):
            h.update(pickle.dumps(s.iloc[a:a + CHUNK_ROWS].tolist(), protocol=5))
    return h.digest()


class SharedPass:
    """The result of one pass that several metrics read (ROUGE's four types; EM and F1).

    ``take(key, part, compute)`` returns ``compute()[part]`` and keeps the other parts for the next
    metric asking with the same key; a part is handed out once, and the pass is dropped when all
    of it has been taken, so nothing stays in memory after ``evalnb.score`` returns.
    """

    def __init__(self):
        self.key: Any = None
        self.parts: dict = {}

    def take(self, key: Any, part: str, compute: Callable[[], dict]) -> Any:
        if self.key != key or part not in self.parts:
            self.key, self.parts = None, {}
            self.parts = compute()
            self.key = key
        value = self.parts.pop(part)
        if not self.parts:
            self.key = None
        return value

"""Shared helpers: named random streams, picking, number and date formatting, table loading."""
from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
import zlib
from pathlib import Path

import numpy as np

from .constants import SEED

TABLES_DIR = Path(__file__).resolve().parent / "tables"


def load_table(name: str):
    """The content of tables/<name>.json (JSON objects keep their order; arrays load as lists)."""
    with open(TABLES_DIR / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


def stream(name: str) -> np.random.Generator:
    """An independent, named random stream (changing one part never shifts another)."""
    return np.random.default_rng([SEED, zlib.crc32(name.encode("utf-8"))])


def pick(rng: np.random.Generator, seq):
    return seq[int(rng.integers(len(seq)))]


def pick_other(rng, seq, value):
    rest = [x for x in seq if x != value]
    return pick(rng, rest)


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def money(v: float, sym: str = "$") -> str:
    return f"{sym}{v:,.2f}"


# number words and month names live in tables/vocabulary.json
_LANG = load_table("vocabulary")
NUM_WORDS = {int(n): w for n, w in _LANG["number_words"].items()}


def words(n: int) -> str:
    return NUM_WORDS.get(n, str(n))


MONTH_NAMES = _LANG["month_names"]


def fmt_date(d: dt.date, style: int) -> str:
    if style == 0:
        return f"{MONTH_NAMES[d.month - 1]} {d.day}"
    if style == 1:
        return f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"
    if style == 2:
        return d.isoformat()
    return f"{MONTH_NAMES[d.month - 1][:3]} {d.day}, {d.year}"


def ascii_fold(text: str) -> str:
    out = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", ".", out.lower()).strip(".")

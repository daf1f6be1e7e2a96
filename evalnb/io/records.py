"""The bottom of the io layer: the record table every reader and importer produces, and strict JSON.

Readers (``io.readers``) and importers (``io.importers``) both build on these; neither imports the
other for them, so the two packages form no cycle.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawTable:
    """Records read from one source, each with ``source_file`` and ``source_line``."""

    source: str
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON literal {name} (NaN/Infinity are not allowed; use null)")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key '{key}'")
        out[key] = value
    return out


def loads_strict(text: str) -> Any:
    """``json.loads`` that rejects NaN/Infinity literals and duplicate keys.

    >>> loads_strict('{"a": 1}')
    {'a': 1}
    >>> loads_strict('{"a": NaN}')
    Traceback (most recent call last):
    ...
    ValueError: non-standard JSON literal NaN (NaN/Infinity are not allowed; use null)
    """
    return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)

"""The judge journal: one checksummed JSON line per finished call, appended and flushed at once.

The journal is also the cache: on open, every entry whose status is not an ``api_error`` is
indexed by its request key, so a resumed run repeats no paid call. Line format::

    <json record>\\t<first 16 hex digits of sha256(json record)>\\n

A line is written with a single ``os.write`` on an ``O_APPEND`` descriptor, so a crash leaves at
most one torn line at the end; opening the journal detects it by its checksum, truncates it away
and reports it (RELIABILITY.md D11/J13).
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..._errors import EvalnbWarning


class JournalRepairedWarning(EvalnbWarning):
    """The journal had a torn or corrupt line; it was cut away (the call will be made again)."""


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def is_cacheable(status: str) -> bool:
    """Replies the endpoint returned are paid answers and are cached; transport/API errors never."""
    return not status.startswith("api_error")


@dataclass
class Repair:
    """What opening the journal found and fixed."""

    torn_tail_bytes: int = 0
    corrupt_lines: list[int] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.torn_tail_bytes and not self.corrupt_lines


class Journal:
    """Append-only judge journal + cache index.

    >>> j = Journal("/tmp/evalnb-demo/judge-journal.jsonl")      # doctest: +SKIP
    >>> j.append({"key": "k1", "status": "ok", "text": "{}"})     # doctest: +SKIP
    >>> j.get("k1")["status"]                                     # doctest: +SKIP
    'ok'
    """

    def __init__(self, path: str | os.PathLike, *, fsync: bool = False):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self.entries: dict[str, dict[str, Any]] = {}
        self.lines = 0
        self.repair = self._load()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def _load(self) -> Repair:
        repair = Repair()
        if not self.path.exists():
            return repair
        data = self.path.read_bytes()
        good_end = 0
        pos = 0
        lineno = 0
        while pos < len(data):
            nl = data.find(b"\n", pos)
            end = len(data) if nl < 0 else nl + 1
            raw = data[pos:end]
            lineno += 1
            record = _decode(raw) if nl >= 0 else None
            if record is not None:
                self.lines += 1
                if is_cacheable(record.get("status", "api_error")):
                    self.entries[record["key"]] = record
                good_end = end
            elif nl < 0 or end == len(data):
                # The last line is torn (killed mid-write): cut it away.
                repair.torn_tail_bytes = len(data) - good_end
                break
            else:
                repair.corrupt_lines.append(lineno)  # keep going; the call is simply redone
                good_end = end
            pos = end
        if repair.torn_tail_bytes:
            with open(self.path, "r+b") as fh:
                fh.truncate(good_end)
        if not repair.clean:
            warnings.warn(f"judge journal {self.path}: cut a torn last line ({repair.torn_tail_bytes} bytes)"
                          f"{'; skipped corrupt lines ' + str(repair.corrupt_lines) if repair.corrupt_lines else ''}; "
                          "those calls will be made again", JournalRepairedWarning, stacklevel=3)
        return repair

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def append(self, record: dict[str, Any]) -> None:
        # key order as the engine builds it (sorting costs ~20% of the encode; the checksum covers the text)
        body = json.dumps(record, ensure_ascii=False, allow_nan=False)
        line = f"{body}\t{checksum(body)}\n".encode("utf-8", "surrogatepass")
        os.write(self._fd, line)  # one write on O_APPEND: whole line or (if killed) a torn tail
        if self.fsync:
            os.fsync(self._fd)
        self.lines += 1
        if is_cacheable(record["status"]):
            self.entries[record["key"]] = record

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass


def _decode(raw: bytes) -> dict[str, Any] | None:
    try:
        text = raw.decode("utf-8", "surrogatepass").rstrip("\n")
        body, _, crc = text.rpartition("\t")
        if not body or checksum(body) != crc:
            return None
        record = json.loads(body)
        return record if isinstance(record, dict) and "key" in record else None
    except (UnicodeDecodeError, ValueError):
        return None

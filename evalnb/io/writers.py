"""Atomic writers: a temp file in the target folder, then ``os.replace``."""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

from .readers import JSON_COLUMNS_META


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temp path beside ``path``; move it into place only if the block succeeds.

    >>> with atomic_path("out.txt") as tmp:            # doctest: +SKIP
    ...     tmp.write_text("done")
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix + ".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _jsonable_columns(frame: pd.DataFrame) -> list[str]:
    """Object columns holding dicts (relevance, metadata) go to Parquet as JSON text."""
    out = []
    for col in frame.columns:
        if frame[col].dtype == object and frame[col].map(lambda v: isinstance(v, dict)).any():
            out.append(col)
    return out


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike, metadata: dict[str, str] | None = None) -> Path:
    """Write ``frame`` to Parquet atomically, keeping mapping columns as JSON text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = frame.copy()
    json_cols = _jsonable_columns(frame)
    for col in json_cols:
        frame[col] = frame[col].map(lambda v: None if v is None else json.dumps(v, sort_keys=True, allow_nan=False))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[JSON_COLUMNS_META] = json.dumps(json_cols).encode()
    for key, value in (metadata or {}).items():
        meta[key.encode()] = value.encode()
    table = table.replace_schema_metadata(meta)
    with atomic_path(path, ".parquet") as tmp:
        pq.write_table(table, tmp)
    return Path(path)

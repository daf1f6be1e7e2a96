"""A persistent store of token embeddings keyed on (model, layer, device kind, text).

One SQLite file per model fingerprint, layer and device kind under the cache directory
(``EVALNB_CACHE_DIR`` or ``~/.cache/evalnb/embeddings``). A row holds the token ids bert-score's
``sent_encode`` produced for the text and the float32 layer-``L`` embeddings of those tokens, so
scoring one more model against already-embedded references embeds only the new outputs.
SQLite gives atomic, concurrent-safe writes without a server; a killed run leaves no torn rows.
"""
from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from pathlib import Path
from typing import Iterable

import numpy as np

_SQL_VARS = 900  # stay under SQLite's default limit of host parameters per statement


def default_cache_dir() -> Path:
    """``$EVALNB_CACHE_DIR/embeddings`` or ``~/.cache/evalnb/embeddings``."""
    root = os.environ.get("EVALNB_CACHE_DIR")
    return Path(root) / "embeddings" if root else Path.home() / ".cache" / "evalnb" / "embeddings"


def text_key(text: str) -> bytes:
    """16-byte BLAKE2b digest of the UTF-8 text (lone surrogates kept via surrogatepass)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def model_fingerprint(model: str, extra: Iterable[str] = ()) -> str:
    """Short hash of the model's identity: its name or path plus config and weight-file sizes."""
    h = hashlib.sha1(model.encode())
    path = Path(model)
    if path.is_dir():
        for f in sorted(path.iterdir()):
            if f.name == "config.json":
                h.update(f.read_bytes())
            elif f.suffix in (".bin", ".safetensors", ".txt", ".json"):
                h.update(f"{f.name}:{f.stat().st_size}".encode())
    for item in extra:
        h.update(item.encode())
    return h.hexdigest()[:12]


class EmbeddingCache:
    """Token ids and embeddings of texts for one model/layer/device kind.

    >>> cache = EmbeddingCache("/tmp/emb", "my-model", 6, "cpu")           # doctest: +SKIP
    >>> cache.put({"hi": (np.array([101, 102]), np.zeros((2, 384), "f4"))})  # doctest: +SKIP
    """

    def __init__(self, root: str | os.PathLike, model: str, layer: int, device_kind: str,
                 extra: Iterable[str] = ()):
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(model).name or model)[-60:]
        self.path = root / f"{slug}-{model_fingerprint(model, extra)}-L{layer}-{device_kind}.sqlite"
        self._con = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=NORMAL")
        self._con.execute("CREATE TABLE IF NOT EXISTS emb (key BLOB PRIMARY KEY, dim INTEGER, "
                          "ids BLOB, emb BLOB)")

    def get(self, texts: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Cached (ids int64[n], emb float32[n, dim]) for the texts found."""
        keys = {text_key(t): t for t in texts}
        found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        klist = list(keys)
        for a in range(0, len(klist), _SQL_VARS):
            part = klist[a:a + _SQL_VARS]
            rows = self._con.execute(
                f"SELECT key, dim, ids, emb FROM emb WHERE key IN ({','.join('?' * len(part))})", part)
            for key, dim, ids, emb in rows:
                ids_arr = np.frombuffer(ids, dtype=np.int32).astype(np.int64)
                # bytearray: a writable copy (torch.from_numpy warns on read-only buffers)
                found[keys[key]] = (ids_arr, np.frombuffer(bytearray(emb), dtype=np.float32).reshape(-1, dim))
        return found

    def put(self, items: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Store (ids, emb) per text; existing keys are kept (same text, same model: same values)."""
        rows = [(text_key(t), int(e.shape[1]), np.asarray(i, dtype=np.int32).tobytes(),
                 np.ascontiguousarray(e, dtype=np.float32).tobytes()) for t, (i, e) in items.items()]
        self._con.execute("BEGIN")
        try:
            self._con.executemany("INSERT OR IGNORE INTO emb VALUES (?, ?, ?, ?)", rows)
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            raise

    def __len__(self) -> int:
        return int(self._con.execute("SELECT COUNT(*) FROM emb").fetchone()[0])

    def close(self) -> None:
        self._con.close()

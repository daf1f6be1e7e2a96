"""A persistent store of token embeddings keyed on (model, layer, device kind, text).

One SQLite file per model fingerprint, layer and device kind under the cache directory
(``EVALNB_CACHE_DIR`` or ``~/.cache/evalnb/embeddings``). A row holds the token ids bert-score's
``sent_encode`` produced for the text and the float32 layer-``L`` embeddings of those tokens, so
scoring one more model against already-embedded references embeds only the new outputs.
SQLite gives atomic, concurrent-safe writes without a server; a killed run leaves no torn rows.
New files use 64 KiB pages: an embedding row is tens of KiB, and with SQLite's default 4 KiB pages
each row is a chain of overflow pages (writing is ~8x and reading ~1.7x slower). Files created
before keep their page size (still correct; delete them to get the faster layout).

:class:`MemoryLayer` sits in front of the files: a process-wide LRU, bounded in bytes
(``EVALNB_EMBED_MEMORY_MB``, default 1024), holding what a process has already read, embedded or
stored, so a notebook that scores one more model never reads back embeddings it already holds.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import queue
import re
import sqlite3
import threading
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any, Hashable, Iterable

import numpy as np

_SQL_VARS = 900  # stay under SQLite's default limit of host parameters per statement
_PAGE_SIZE = 65536  # for new files: rows of tens of KiB fit in a page instead of overflow chains
_MEMORY_MB = 1024  # default bound of the in-process layer (EVALNB_EMBED_MEMORY_MB overrides)


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


def cache_path(root: str | os.PathLike, model: str, layer: int, device_kind: str,
               extra: Iterable[str] = ()) -> Path:
    """The SQLite file for (model fingerprint, layer, device kind) under ``root``."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(model).name or model)[-60:]
    return Path(root) / f"{slug}-{model_fingerprint(model, extra)}-L{layer}-{device_kind}.sqlite"


class EmbeddingCache:
    """Token ids and embeddings of texts for one model/layer/device kind.

    With ``background=True``, :meth:`put` hands the rows to a writer thread with its own
    connection and returns at once (write-behind): the caller never waits for the disk, and
    :meth:`flush` (or :meth:`close`, or the process's exit) waits for pending writes. Each write
    is one transaction, so a killed process loses at most the rows not yet committed, never
    leaves torn ones; rows not yet written are simply embedded again by a later process.

    >>> cache = EmbeddingCache("/tmp/emb", "my-model", 6, "cpu")           # doctest: +SKIP
    >>> cache.put({"hi": (np.array([101, 102]), np.zeros((2, 384), "f4"))})  # doctest: +SKIP
    """

    def __init__(self, root: str | os.PathLike, model: str, layer: int, device_kind: str,
                 extra: Iterable[str] = (), background: bool = False):
        Path(root).mkdir(parents=True, exist_ok=True)
        self.path = cache_path(root, model, layer, device_kind, extra)
        self._lock = threading.Lock()  # one connection, possibly used from several threads
        self._con = self._connect()
        self._background = background
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(str(self.path), timeout=60, isolation_level=None,
                              check_same_thread=False)
        con.execute(f"PRAGMA page_size={_PAGE_SIZE}")  # no effect on an existing file
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("CREATE TABLE IF NOT EXISTS emb (key BLOB PRIMARY KEY, dim INTEGER, "
                    "ids BLOB, emb BLOB)")
        return con

    def get(self, texts: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Cached (ids int64[n], emb float32[n, dim]) for the texts found.

        The arrays are read-only views of the stored bytes (no copy): copy before writing.
        """
        keys = {text_key(t): t for t in texts}
        found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        klist = list(keys)
        with self._lock:
            for a in range(0, len(klist), _SQL_VARS):
                part = klist[a:a + _SQL_VARS]
                rows = self._con.execute(
                    f"SELECT key, dim, ids, emb FROM emb WHERE key IN ({','.join('?' * len(part))})",
                    part).fetchall()
                for key, dim, ids, emb in rows:
                    ids_arr = np.frombuffer(ids, dtype=np.int32).astype(np.int64)
                    found[keys[key]] = (ids_arr,
                                        np.frombuffer(emb, dtype=np.float32).reshape(-1, dim))
        return found

    def put(self, items: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Store (ids, emb) per text; existing keys are kept (same text, same model: same values).

        The arrays must not change afterwards (a background write reads them later).
        """
        if not items:
            return
        if not self._background:
            with self._lock:
                self._write(self._con, items)
            return
        if self._thread is None:
            self._queue = queue.Queue()
            self._thread = threading.Thread(target=self._writer, name=f"evalnb-cache-{self.path.name}",
                                            daemon=True)
            self._thread.start()
        self._queue.put(items)

    @staticmethod
    def _write(con: sqlite3.Connection, items: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        rows = [(text_key(t), int(e.shape[1]), np.asarray(i, dtype=np.int32).tobytes(),
                 np.ascontiguousarray(e, dtype=np.float32).tobytes()) for t, (i, e) in items.items()]
        con.execute("BEGIN")
        try:
            con.executemany("INSERT OR IGNORE INTO emb VALUES (?, ?, ?, ?)", rows)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _writer(self) -> None:
        con = self._connect()
        try:
            while True:
                items = self._queue.get()
                try:
                    if items is None:
                        return
                    self._write(con, items)
                except BaseException as exc:  # reported by flush(); the values are unaffected
                    self._error = exc
                finally:
                    self._queue.task_done()
        finally:
            con.close()

    def flush(self) -> None:
        """Wait for pending background writes; warn if one failed."""
        if self._queue is not None:
            self._queue.join()
        if self._error is not None:
            err, self._error = self._error, None
            warnings.warn(f"embedding cache: writing to {self.path} failed ({err!r}); those texts "
                          "will be embedded again next time", RuntimeWarning, stacklevel=2)

    def __len__(self) -> int:
        self.flush()
        with self._lock:
            return int(self._con.execute("SELECT COUNT(*) FROM emb").fetchone()[0])

    def close(self) -> None:
        self.flush()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = self._queue = None
        with self._lock:
            self._con.close()


_SHARED: dict[str, EmbeddingCache] = {}
_SHARED_LOCK = threading.Lock()


def shared_cache(root: str | os.PathLike, model: str, layer: int, device_kind: str,
                 extra: Iterable[str] = ()) -> EmbeddingCache:
    """The process's write-behind cache for that file, opened once and kept open.

    Keeping it open means no call pays SQLite's checkpoint-on-close; pending writes are flushed
    by :func:`flush_shared` and at the process's exit.
    """
    key = str(cache_path(root, model, layer, device_kind, extra).resolve())
    with _SHARED_LOCK:
        cache = _SHARED.get(key)
        if cache is None:
            if not _SHARED:
                atexit.register(close_shared)
            cache = _SHARED[key] = EmbeddingCache(root, model, layer, device_kind, extra,
                                                  background=True)
    return cache


def flush_shared() -> None:
    """Wait until every pending background write of this process is in its SQLite file."""
    for cache in list(_SHARED.values()):
        cache.flush()


def close_shared() -> None:
    """Flush and close the process's shared caches (runs at exit)."""
    with _SHARED_LOCK:
        caches = list(_SHARED.values())
        _SHARED.clear()
    for cache in caches:
        try:
            cache.close()
        except Exception:  # noqa: BLE001 - at exit, a cache that cannot be closed is not an error
            pass


def _nbytes(value: Any) -> int:
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    if hasattr(value, "nbytes"):
        return int(value.nbytes)
    if hasattr(value, "element_size"):  # torch tensors (older torch has no .nbytes)
        return int(value.element_size() * value.nelement())
    return 64


class MemoryLayer:
    """A process-wide LRU of values keyed by (namespace, text), bounded in bytes.

    ``get`` moves hits to the most recent end; ``put`` evicts the least recently used entries
    beyond ``max_bytes``. Values are stored as given (for BERTScore: token ids and the embedding
    tensor on the scorer's device); a value that is a view of a larger array keeps that array
    alive until every view of it is evicted, so the bound is approximate by up to one chunk.

    >>> mem = MemoryLayer(max_bytes=1 << 20)
    >>> mem.put("ns", {"hi": np.zeros(4)}); sorted(mem.get("ns", ["hi", "ho"]))
    ['hi']
    """

    def __init__(self, max_bytes: int | None = None):
        self._max = max_bytes
        self._items: OrderedDict[tuple[Hashable, str], tuple[Any, int]] = OrderedDict()
        self.nbytes = 0
        self._lock = threading.Lock()

    @property
    def max_bytes(self) -> int:
        if self._max is not None:
            return int(self._max)
        return int(float(os.environ.get("EVALNB_EMBED_MEMORY_MB", _MEMORY_MB)) * (1 << 20))

    def get(self, namespace: Hashable, texts: Iterable[str]) -> dict[str, Any]:
        found = {}
        with self._lock:
            items = self._items
            for t in texts:
                hit = items.get((namespace, t))
                if hit is not None:
                    items.move_to_end((namespace, t))
                    found[t] = hit[0]
        return found

    def put(self, namespace: Hashable, values: dict[str, Any]) -> None:
        limit = self.max_bytes
        with self._lock:
            items = self._items
            for t, v in values.items():
                size = _nbytes(v)
                old = items.pop((namespace, t), None)
                if old is not None:
                    self.nbytes -= old[1]
                if size <= limit:
                    items[(namespace, t)] = (v, size)
                    self.nbytes += size
            while self.nbytes > limit and items:
                _, (_, size) = items.popitem(last=False)
                self.nbytes -= size

    def clear(self, namespace: Hashable | None = None) -> None:
        """Drop every entry (of one namespace when given)."""
        with self._lock:
            if namespace is None:
                self._items.clear()
                self.nbytes = 0
                return
            for key in [k for k in self._items if k[0] == namespace]:
                self.nbytes -= self._items.pop(key)[1]

    def __len__(self) -> int:
        return len(self._items)


MEMORY = MemoryLayer()  # the process's layer (clear it with ``MEMORY.clear()``)

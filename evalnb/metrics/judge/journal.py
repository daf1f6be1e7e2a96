"""The judge journal: one authenticated JSON line per finished call, appended and flushed at once.

The journal is also the cache: on open, every entry whose status is not an ``api_error`` is
indexed by its request key, so a resumed run repeats no paid call. Line format::

    <json record>\\t<first 32 hex digits of HMAC-SHA256(user secret, json record)>\\n

The secret lives outside the project, in the user's config directory (``platformdirs``; override
with ``$EVALNB_SECRET_DIR``), so a cache folder shipped with a project or written by someone else
cannot dictate verdicts: a line that does not verify makes the whole journal refused, with the
reason and the fix (issue 13.10). A torn last line (a crash mid-write) is still cut away and
reported (docs/threat-model.md D11/J13).

Writes loop until the whole line is on disk (``os.write`` may write less), and a failed write
(full disk, file-size limit) is cut back off and raised as :class:`JournalWriteError`, which makes
the metric "not computable" with the reason instead of leaving a torn line that swallows the next
append (issue 13.11). Appends and the open-time repair hold an exclusive ``flock`` on the file,
so several processes can share one journal; a per-key claim (:meth:`Journal.try_claim`) makes
the second process wait for the first one's reply instead of paying for it again (issue 13.12).
"""
from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..._errors import EvalnbWarning, JudgeError

SECRET_ENV = "EVALNB_SECRET_DIR"
_write = os.write      # indirection so tests can simulate short writes and full disks
_SECRETS: dict[str, bytes] = {}
_CLAIM_LOCK = threading.Lock()
_CLAIMED: set[tuple[str, str]] = set()   # (journal path, key) claimed by this process


class JournalRepairedWarning(EvalnbWarning):
    """The journal had a torn last line; it was cut away (the call will be made again)."""


class JournalRefusedError(JudgeError):
    """The journal has lines that do not verify under this user's secret (forged, copied or corrupt)."""


class JournalWriteError(JudgeError):
    """A journal line could not be written completely (disk full, file-size limit, I/O error)."""


def secret_dir() -> Path:
    """Where the journal key is kept: ``$EVALNB_SECRET_DIR``, else the user config dir of evalnb."""
    env = os.environ.get(SECRET_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("evalnb", appauthor=False))


def user_secret() -> bytes:
    """32 random bytes (hex) created once per user with mode 0600, outside any project folder."""
    folder = secret_dir()
    cached = _SECRETS.get(str(folder))
    if cached is not None:
        return cached
    path = folder / "journal.key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(os.urandom(32).hex().encode())
                fh.flush()
                os.fsync(fh.fileno())
        except FileExistsError:
            pass
    secret = path.read_bytes().strip()
    if len(secret) < 32:
        raise JudgeError(f"the evalnb secret {path} is damaged (too short); delete it (the judge caches it "
                         "signed will then be refused and recomputed)")
    _SECRETS[str(folder)] = secret
    return secret


def checksum(text: str, secret: bytes | None = None) -> str:
    """HMAC-SHA256 of a journal record under the user's secret (32 hex digits)."""
    key = user_secret() if secret is None else secret
    return hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


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
        self.secret = user_secret()
        self.entries: dict[str, dict[str, Any]] = {}
        self.lines = 0
        self._read_pos = 0
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        self._claims_fd = -1
        try:
            with self._locked():
                self.repair = self._load()
        except BaseException:
            self.close()
            raise

    # -- reading ---------------------------------------------------------------------------
    def _load(self) -> Repair:
        repair = Repair()
        size = os.fstat(self._fd).st_size
        data = os.pread(self._fd, size, 0) if size else b""
        good_end = 0
        pos = 0
        lineno = 0
        while pos < len(data):
            nl = data.find(b"\n", pos)
            end = len(data) if nl < 0 else nl + 1
            raw = data[pos:end]
            lineno += 1
            record = self._decode(raw) if nl >= 0 else None
            if record is not None:
                self._index(record)
                good_end = end
            elif nl < 0:
                # The last line is torn (killed mid-write; no newline yet): cut it away.
                repair.torn_tail_bytes = len(data) - good_end
                break
            else:
                repair.corrupt_lines.append(lineno)
                good_end = end
            pos = end
        if repair.corrupt_lines:
            shown = ", ".join(map(str, repair.corrupt_lines[:5])) + (" ..." if len(repair.corrupt_lines) > 5 else "")
            raise JournalRefusedError(
                f"judge journal {self.path}: {len(repair.corrupt_lines)} of {lineno} line(s) do not verify under "
                f"this user's evalnb secret (line {shown}): the journal was forged, copied from another user or "
                "machine, written by an older evalnb, or damaged. Refusing to use it as a cache (it could dictate "
                f"verdicts). Fix: move it away or delete it (the calls will be made again), or point cache_dir= "
                f"elsewhere. The secret is in {secret_dir()} (${SECRET_ENV} overrides).")
        if repair.torn_tail_bytes:
            os.ftruncate(self._fd, good_end)
            warnings.warn(f"judge journal {self.path}: cut a torn last line ({repair.torn_tail_bytes} bytes); "
                          "that call will be made again", JournalRepairedWarning, stacklevel=3)
        self._read_pos = good_end
        return repair

    def refresh(self) -> int:
        """Read lines other processes appended since the last read; returns how many were new.
        Lock-free: a line being written has no newline yet, and only whole lines are read."""
        size = os.fstat(self._fd).st_size
        if size <= self._read_pos:
            return 0
        data = os.pread(self._fd, size - self._read_pos, self._read_pos)
        cut = data.rfind(b"\n") + 1
        new = 0
        for raw in data[:cut].splitlines(keepends=True):
            record = self._decode(raw)
            if record is None:
                raise JournalRefusedError(f"judge journal {self.path}: a line appended by another process does not "
                                          "verify under this user's secret; refusing it")
            new += self._index(record)
        self._read_pos += cut
        return new

    def _index(self, record: dict[str, Any]) -> int:
        self.lines += 1
        if is_cacheable(record.get("status", "api_error")):
            fresh = record["key"] not in self.entries
            self.entries[record["key"]] = record
            return int(fresh)
        return 0

    def _decode(self, raw: bytes) -> dict[str, Any] | None:
        try:
            text = raw.decode("utf-8", "surrogatepass").rstrip("\n")
            body, _, mac = text.rpartition("\t")
            if not body or not hmac.compare_digest(checksum(body, self.secret), mac):
                return None
            record = json.loads(body)
            return record if isinstance(record, dict) and "key" in record else None
        except (UnicodeDecodeError, ValueError):
            return None

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    # -- writing ---------------------------------------------------------------------------
    def _locked(self, mode: int = fcntl.LOCK_EX):
        journal = self

        class _Lock:
            def __enter__(self_inner):
                fcntl.flock(journal._fd, mode)

            def __exit__(self_inner, *exc):
                fcntl.flock(journal._fd, fcntl.LOCK_UN)

        return _Lock()

    def append(self, record: dict[str, Any]) -> None:
        """Write one line completely (looping on short writes) or raise :class:`JournalWriteError`."""
        # key order as the engine builds it (sorting costs ~20% of the encode; the MAC covers the text)
        body = json.dumps(record, ensure_ascii=False, allow_nan=False)
        line = f"{body}\t{checksum(body, self.secret)}\n".encode("utf-8", "surrogatepass")
        with self._locked():
            start = os.fstat(self._fd).st_size
            view = memoryview(line)
            try:
                while view:
                    n = _write(self._fd, view)
                    if n <= 0:
                        raise OSError(28, "no byte written (disk full?)")
                    view = view[n:]
                if self.fsync:
                    os.fsync(self._fd)
            except OSError as exc:
                # Cut the partial line back off, so the journal stays whole and the next append
                # is not glued to a torn line.
                try:
                    os.ftruncate(self._fd, start)
                except OSError:
                    pass
                raise JournalWriteError(
                    f"judge journal {self.path}: could not write a result ({len(line) - len(view)} of {len(line)} "
                    f"bytes written: {exc.strerror or exc}); the reply is lost and the metric is not computable. "
                    "Free disk space or raise the file-size limit, then run again (finished calls are kept)") from exc
            if start == self._read_pos:
                self._read_pos = start + len(line)
        self._index(record)

    # -- cross-process claims (issue 13.12) -------------------------------------------------
    def try_claim(self, key: str) -> bool:
        """Claim ``key`` for this process without blocking: a POSIX byte-range lock on
        ``<journal>.claims`` at an offset taken from the key (two syscalls, no file per key), plus
        an in-process set (POSIX locks never conflict within one process). True when taken."""
        if self._claims_fd < 0:
            self._claims_fd = os.open(f"{self.path}.claims", os.O_RDWR | os.O_CREAT, 0o644)
        ident = (str(self.path), key)
        with _CLAIM_LOCK:
            if ident in _CLAIMED:
                return False
            try:
                fcntl.lockf(self._claims_fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _offset(key))
            except OSError:   # EAGAIN/EACCES: another process holds it
                return False
            _CLAIMED.add(ident)
            return True

    def release_claim(self, key: str) -> None:
        with _CLAIM_LOCK:
            _CLAIMED.discard((str(self.path), key))
            if self._claims_fd >= 0:
                fcntl.lockf(self._claims_fd, fcntl.LOCK_UN, 1, _offset(key))

    def sync(self) -> None:
        """fsync the journal (called at the end of every engine run)."""
        if self._fd >= 0:
            try:
                os.fsync(self._fd)
            except OSError:
                pass

    def close(self) -> None:
        if self._fd >= 0:
            self.sync()
            os.close(self._fd)
            self._fd = -1
        if getattr(self, "_claims_fd", -1) >= 0:
            os.close(self._claims_fd)
            self._claims_fd = -1


def _offset(key: str) -> int:
    """Where a key's claim lock sits in the claims file (60 bits of the key's hex digest)."""
    try:
        return int(key[:15], 16)
    except ValueError:
        return int(hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:15], 16)

    def __del__(self) -> None:  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass

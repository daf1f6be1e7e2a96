"""Inspect AI eval logs: ``.json`` (one EvalLog) or ``.eval`` (zip: header.json + samples/*.json).

Mapping: ``<model>@<eval.run_id>`` -> run_id (one ``inspect eval`` call may hold several tasks and
models under one run_id), eval.model -> model, eval.task -> task, ``<task>/<sample id>`` ->
item_id (sample ids restart per task), epoch -> sample_id (when the task ran several epochs),
input -> input (chat flattened to "role: text"), target -> reference/references,
output.completion -> output (the answer alone; reasoning blocks go to ``reasoning``), output.usage
-> tokens, total_time -> latency_ms, scores -> ``inspect_<scorer>`` (C/I/P/N -> 1/0/0.5/0; a dict
score gives ``inspect_<scorer>_<key>``), metadata.category -> category. Samples with an error
(including cancelled ones) are left out and counted in the note. Messages, events, other metadata
and explanations are dropped.

``.eval`` archives are zip files whose members are deflate-compressed (inspect_ai <= 0.3.205) or
zstd-compressed (0.3.206 on); both are read here, with every member capped in size and ratio.
"""
from __future__ import annotations

import json
import struct
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

from ..._errors import DataError
from . import ImportNote, Imported, load_json, messages_text, number, text_of

VERSIONS = (1, 2)
FINISHED = "success"

# Caps on what one .eval archive may expand to (a zip bomb is refused before it is inflated).
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 100.0            # expanded / compressed, for members expanding past RATIO_FLOOR_BYTES
RATIO_FLOOR_BYTES = 1024 * 1024
_CHUNK = 1 << 20
_STORED, _DEFLATED, _ZSTD = 0, 8, 93
_METHODS = {_STORED: "stored", _DEFLATED: "deflate", _ZSTD: "zstd"}


class _Archive:
    """A zip read member by member with stored, deflate and zstd (method 93) members, each checked
    against the caps while it is inflated (declared sizes are not trusted) and against its CRC."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataError(f"{path}: not a readable Inspect .eval archive: {exc}") from None
        self.infos = {i.filename: i for i in self.zf.infolist()}
        self.total = 0

    def close(self) -> None:
        self.zf.close()

    def names(self) -> list[str]:
        return list(self.infos)

    def _refuse(self, name: str, why: str) -> DataError:
        return DataError(f"{self.path}: archive member '{name}' {why}; refused (limits: {MAX_MEMBER_BYTES:,} bytes per "
                         f"member, {MAX_TOTAL_BYTES:,} bytes in all, expansion ratio {MAX_RATIO:g}x)")

    def _raw(self, info: zipfile.ZipInfo) -> bytes:
        with open(self.path, "rb") as fh:
            fh.seek(info.header_offset)
            header = fh.read(30)
            if len(header) < 30 or header[:4] != b"PK\x03\x04":
                raise DataError(f"{self.path}: archive member '{info.filename}' has no local header (corrupt .eval)")
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            fh.seek(info.header_offset + 30 + name_len + extra_len)
            raw = fh.read(info.compress_size)
        if len(raw) != info.compress_size:
            raise DataError(f"{self.path}: archive member '{info.filename}' is truncated (corrupt .eval)")
        return raw

    def _limit(self, info: zipfile.ZipInfo) -> int:
        by_ratio = max(RATIO_FLOOR_BYTES, int(info.compress_size * MAX_RATIO))
        return min(MAX_MEMBER_BYTES, by_ratio, MAX_TOTAL_BYTES - self.total)

    def read(self, name: str) -> bytes | bytearray:
        info = self.infos[name]
        if info.flag_bits & 0x1:
            raise DataError(f"{self.path}: archive member '{name}' is encrypted; Inspect logs are not")
        method = info.compress_type
        if method not in _METHODS:
            raise DataError(f"{self.path}: archive member '{name}' uses zip compression method {method}; this evalnb "
                            "reads stored, deflate and zstd members (the ones inspect_ai writes)")
        limit = self._limit(info)
        if info.file_size > limit:
            raise self._refuse(name, f"declares {info.file_size:,} bytes from {info.compress_size:,} compressed")
        raw = self._raw(info)
        if method == _STORED:
            data = raw
        elif method == _DEFLATED:
            data = self._inflate(name, raw, limit)
        else:
            data = self._unzstd(name, raw, limit)
        if len(data) > limit:
            raise self._refuse(name, f"expands past {limit:,} bytes from {info.compress_size:,} compressed")
        if zlib.crc32(data) != info.CRC:
            raise DataError(f"{self.path}: archive member '{name}' fails its CRC check (corrupt .eval)")
        self.total += len(data)
        return data

    def _inflate(self, name: str, raw: bytes, limit: int) -> bytearray:
        d = zlib.decompressobj(-15)
        out, tail = bytearray(), raw
        try:
            while len(out) <= limit and not d.eof:
                chunk = d.decompress(tail, min(_CHUNK, limit + 1 - len(out)))
                tail = d.unconsumed_tail
                if not chunk and not tail:
                    break
                out += chunk
        except zlib.error as exc:
            raise DataError(f"{self.path}: archive member '{name}' is not valid deflate data: {exc}") from None
        return out

    def _unzstd(self, name: str, raw: bytes, limit: int) -> bytearray:
        import io

        import zstandard

        out = bytearray()
        try:
            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw), read_across_frames=True)
            while len(out) <= limit:
                chunk = reader.read(min(_CHUNK, limit + 1 - len(out)))
                if not chunk:
                    break
                out += chunk
        except zstandard.ZstdError as exc:
            raise DataError(f"{self.path}: archive member '{name}' is not valid zstd data: {exc}") from None
        return out

    def json(self, name: str) -> Any:
        from ..records import loads_strict

        data = self.read(name)
        try:
            return loads_strict(data.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise DataError(f"{self.path}: archive member '{name}' is not valid JSON: {exc}") from None


def _from_zip(path: Path) -> tuple[dict[str, Any], str]:
    archive = _Archive(path)
    try:
        names = set(archive.names())
        if "header.json" in names:
            log = archive.json("header.json")
        elif "_journal/start.json" in names:
            log = archive.json("_journal/start.json")
            log.setdefault("status", "started")
        else:
            raise DataError(f"{path}: not an Inspect .eval archive (no header.json or _journal/start.json)")
        if not isinstance(log, dict):
            raise DataError(f"{path}: the .eval header is not a JSON object")
        log["samples"] = [archive.json(n) for n in sorted(n for n in names if n.startswith("samples/") and n.endswith(".json"))]
        methods = sorted({_METHODS.get(i.compress_type, str(i.compress_type)) for i in archive.infos.values()})
    finally:
        archive.close()
    return log, "+".join(methods)


def _answer(out: dict[str, Any]) -> tuple[str | None, str | None]:
    """(answer, reasoning) of a ModelOutput: Inspect's own ``completion`` when present."""
    choices = out.get("choices") or []
    message = choices[0].get("message", {}) if choices and isinstance(choices[0], dict) else {}
    content = message.get("content") if isinstance(message, dict) else None
    reasoning = None
    answer = None
    if isinstance(content, list):
        thoughts = [p.get("reasoning") for p in content if isinstance(p, dict) and p.get("type") == "reasoning"
                    and isinstance(p.get("reasoning"), str)]
        reasoning = "\n".join(thoughts) if thoughts else None
        answer = text_of([p for p in content if not (isinstance(p, dict) and p.get("type") == "reasoning")])
    elif content is not None:
        answer = text_of(content)
    if isinstance(out.get("completion"), str):
        answer = out["completion"]
    return answer, reasoning


def _sample_error(s: dict[str, Any]) -> str | None:
    err = s.get("error")
    if not err:
        return None
    if isinstance(err, dict):
        return str(err.get("message") or json.dumps(err, sort_keys=True))[:500]
    return str(err)[:500]


def read(path: Path, *, allow_incomplete: bool = False) -> Imported:
    compression = None
    if zipfile.is_zipfile(path):
        log, compression = _from_zip(path)
    else:
        log = load_json(path, "Inspect log")
    if not isinstance(log, dict) or "eval" not in log:
        raise DataError(f"{path}: not an Inspect eval log (no 'eval' header)")
    version = log.get("version")
    if version not in VERSIONS:
        raise DataError(f"{path}: Inspect log format version {version!r} is not supported; this evalnb reads "
                        f"versions {', '.join(map(str, VERSIONS))}. Convert it with a matching inspect_ai, or upgrade evalnb.")
    samples = [s for s in (log.get("samples") or [])]
    status = log.get("status", "started")
    finished = sum(1 for s in samples if isinstance(s, dict) and not s.get("error"))
    if status != FINISHED and not allow_incomplete:
        raise DataError(f"{path}: Inspect log status is '{status}': the run did not finish ({finished} of "
                        f"{len(samples)} samples present finished without an error). Pass allow_incomplete=True "
                        "(CLI: --allow-incomplete) to load the finished samples.")
    ev = log["eval"]
    config = ev.get("config") or {}
    epochs = config.get("epochs") or max((s.get("epoch", 1) for s in samples if isinstance(s, dict)), default=1)
    model = ev.get("model")
    run = ev.get("run_id") or ev.get("eval_id")
    task = ev.get("task")
    dropped: Counter[str] = Counter()
    records = []
    errored: Counter[str] = Counter()
    for index, s in enumerate(samples, start=1):
        if not isinstance(s, dict):
            dropped["non-object samples"] += 1
            continue
        error = _sample_error(s)
        if error is not None:
            errored["cancelled" if error.startswith("CancelledError") else "error"] += 1
            continue
        out = s.get("output") or {}
        answer, reasoning = _answer(out)
        usage = out.get("usage") or {}
        target = s.get("target")
        rec: dict[str, Any] = {
            "run_id": f"{model}@{run}" if model and run else run or model, "model": model,
            "item_id": f"{task}/{s.get('id')}" if task else str(s.get("id")), "task": task,
            "input": messages_text(s.get("input")), "output": answer, "reasoning": reasoning,
            "timestamp": ev.get("created"), "source_line": index,
        }
        if epochs > 1:
            rec["sample_id"] = int(s.get("epoch", 1)) - 1
        if isinstance(target, list):
            rec["references"] = [str(t) for t in target]
        elif target is not None:
            rec["reference"] = str(target)
        if usage.get("input_tokens") is not None:
            rec["prompt_tokens"] = usage["input_tokens"]
        if usage.get("output_tokens") is not None:
            rec["completion_tokens"] = usage["output_tokens"]
        if isinstance(s.get("total_time"), (int, float)):
            rec["latency_ms"] = float(s["total_time"]) * 1000.0
        for scorer, score in (s.get("scores") or {}).items():
            value = score.get("value") if isinstance(score, dict) else score
            if isinstance(value, dict):
                for key, v in value.items():
                    num = number(v)
                    if num is None:
                        dropped[f"non-numeric score {scorer}.{key}"] += 1
                    else:
                        rec[f"inspect_{scorer}_{key}"] = num
            else:
                num = number(value)
                if num is None:
                    dropped[f"non-numeric score {scorer}"] += 1
                else:
                    rec[f"inspect_{scorer}"] = num
            if isinstance(score, dict) and score.get("explanation"):
                dropped["score explanations"] += 1
        meta = s.get("metadata") or {}
        if isinstance(meta.get("category"), str):
            rec["category"] = meta["category"]
        if set(meta) - {"category"}:
            dropped["sample metadata"] += 1
        for key in ("messages", "events", "store", "attachments", "sandbox"):
            if s.get(key):
                dropped[key] += 1
        records.append({k: v for k, v in rec.items() if v is not None})
    notes = []
    if errored:
        what = " and ".join(f"{n} {kind}" for kind, n in sorted(errored.items()))
        notes.append(f"{sum(errored.values())} samples that did not finish left out ({what}); "
                     f"{len(records)} of {len(samples)} samples loaded")
    version_text = f"v{version}" + (f", {compression}" if compression else "")
    packages = ev.get("packages") or {}
    if isinstance(packages.get("inspect_ai"), str):
        version_text += f", inspect_ai {packages['inspect_ai']}"
    note = ImportNote(str(path), "inspect", version_text, status, len(records),
                      tuple(f"{k} ({n})" for k, n in sorted(dropped.items())), tuple(notes))
    return Imported(records, note)

"""Inspect AI eval logs: ``.json`` (one EvalLog) or ``.eval`` (zip: header.json + samples/*.json).

Mapping: eval.run_id -> run_id, eval.model -> model, eval.task -> task, sample.id -> item_id,
epoch -> sample_id (when there are several epochs), input -> input (chat flattened to "role: text"),
target -> reference/references, output.choices[0].message -> output, output.usage -> tokens,
total_time -> latency_ms, scores -> ``inspect_<scorer>`` (C/I/P/N -> 1/0/0.5/0),
metadata.category -> category. Messages, events, other metadata and explanations are dropped.
"""
from __future__ import annotations

import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from ..._errors import DataError
from . import ImportNote, Imported, incomplete_error, load_json, messages_text, number, text_of

VERSIONS = (1, 2)
FINISHED = "success"


def _from_zip(path: Path) -> dict[str, Any]:
    from ..readers import loads_strict

    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        if "header.json" in names:
            log = loads_strict(zf.read("header.json").decode("utf-8"))
        elif "_journal/start.json" in names:
            log = loads_strict(zf.read("_journal/start.json").decode("utf-8"))
            log.setdefault("status", "started")
        else:
            raise DataError(f"{path}: not an Inspect .eval archive (no header.json or _journal/start.json)")
        samples = []
        for name in sorted(n for n in names if n.startswith("samples/") and n.endswith(".json")):
            samples.append(loads_strict(zf.read(name).decode("utf-8")))
        log["samples"] = samples
    return log


def read(path: Path, *, allow_incomplete: bool = False) -> Imported:
    log = _from_zip(path) if zipfile.is_zipfile(path) else load_json(path, "Inspect log")
    if not isinstance(log, dict) or "eval" not in log:
        raise DataError(f"{path}: not an Inspect eval log (no 'eval' header)")
    version = log.get("version")
    if version not in VERSIONS:
        raise DataError(f"{path}: Inspect log format version {version!r} is not supported; this evalnb reads "
                        f"versions {', '.join(map(str, VERSIONS))}. Convert it with a matching inspect_ai, or upgrade evalnb.")
    samples = log.get("samples") or []
    status = log.get("status", "started")
    if status != FINISHED and not allow_incomplete:
        raise incomplete_error(path, "Inspect log", status, len(samples))
    ev = log["eval"]
    epochs = max((s.get("epoch", 1) for s in samples if isinstance(s, dict)), default=1)
    dropped: Counter[str] = Counter()
    records = []
    errored = 0
    for index, s in enumerate(samples, start=1):
        if not isinstance(s, dict):
            dropped["non-object samples"] += 1
            continue
        if s.get("error") and not allow_incomplete:
            errored += 1
            continue
        out = s.get("output") or {}
        choices = out.get("choices") or []
        message = choices[0].get("message", {}) if choices and isinstance(choices[0], dict) else {}
        usage = out.get("usage") or {}
        target = s.get("target")
        rec: dict[str, Any] = {
            "run_id": ev.get("run_id") or ev.get("eval_id"), "model": ev.get("model"),
            "item_id": str(s.get("id")), "task": ev.get("task"),
            "input": messages_text(s.get("input")), "output": text_of(message.get("content")) if message else None,
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
        if s.get("error"):
            rec["inspect_error"] = json.dumps(s["error"], sort_keys=True)[:500]
        records.append({k: v for k, v in rec.items() if v is not None})
    notes = []
    if errored:
        notes.append(f"{errored} samples with an error left out (allow_incomplete=True keeps them)")
    note = ImportNote(str(path), "inspect", f"v{version}", status, len(records),
                      tuple(f"{k} ({n})" for k, n in sorted(dropped.items())), tuple(notes))
    return Imported(records, note)

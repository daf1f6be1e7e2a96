"""lm-evaluation-harness per-sample logs (``samples_<task>_<date>.jsonl`` from ``--log_samples``).

Mapping: ``<task>/<doc_id>`` -> item_id (doc ids restart in every task of a ``--tasks a,b`` run),
the task from the file name (or the ``task`` argument), the model from the ``results_*.json``
written beside the file by the same run (same time stamp; ``model_name`` or
``config.model_args``), the first request's prompt -> input (a chat-templated prompt, a list
holding the messages as a JSON string, is flattened to "role: text"), the first filtered
response -> output (generation tasks), target -> reference, each metric listed in ``metrics``
-> ``lm_eval_<metric>``, filter -> part of run_id when not "none". doc, arguments, raw resps and
hashes are dropped. A ``results_*.json`` read on its own (e.g. inside a loaded output folder)
gives no rows: the per-sample rows come from the ``samples_*.jsonl`` beside it.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from ..._errors import DataError
from . import ImportNote, Imported, messages_text, number

_NAME = re.compile(r"^samples_(?P<task>.+?)_(?P<stamp>\d{4}-\d{2}-\d{2}T[\d\-.]+)$")
REQUIRED = ("doc_id",)


def _model(path: Path, stamp: str | None) -> tuple[str | None, str | None]:
    """(model, lm_eval version) from the results file the same run wrote beside the samples."""
    candidates = sorted(path.parent.glob("results_*.json"), reverse=True)
    same = [c for c in candidates if stamp and c.stem == f"results_{stamp}"]
    for candidate in same or candidates:
        try:
            data = json.loads(candidate.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            continue
        if not isinstance(data, dict):
            continue
        config = data.get("config") or {}
        args = config.get("model_args")
        named = (args.get("pretrained") or args.get("model")) if isinstance(args, dict) else None
        model = data.get("model_name") or named or args or config.get("model")
        if isinstance(model, dict):
            model = model.get("pretrained") or json.dumps(model, sort_keys=True)
        if isinstance(model, str) and "pretrained=" in model:
            model = re.search(r"pretrained=([^,]+)", model).group(1)
        return (str(model) if model else None), data.get("lm_eval_version") or data.get("git_hash")
    return None, None


def _chat(value: Any) -> str | None:
    """A prompt as lm-eval logs it: a string, or (``--apply_chat_template`` with an API model) a
    list holding the chat messages as one JSON string."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        try:
            messages = json.loads(value[0])
        except ValueError:
            return value[0]
        if isinstance(messages, list) and all(isinstance(m, dict) and "content" in m for m in messages):
            return messages_text(messages)
        return value[0]
    if isinstance(value, list) and value and all(isinstance(m, dict) and "content" in m for m in value):
        return messages_text(value)
    return None


def _prompt(arguments: Any) -> str | None:
    if isinstance(arguments, dict):  # lm-eval >= 0.4.3: {"gen_args_0": {"arg_0": prompt, "arg_1": {...}}}
        first = next(iter(arguments.values()), None)
        if isinstance(first, dict):
            return _chat(first.get("arg_0"))
    if isinstance(arguments, list) and arguments:  # older: [[prompt, gen_kwargs], ...]
        first = arguments[0]
        if isinstance(first, list) and first:
            return _chat(first[0])
    return None


def _is_results(path: Path) -> bool:
    return path.name.startswith("results_") and path.suffix.lower() == ".json"


def _results_only(path: Path) -> Imported:
    """A ``results_*.json``: no rows of its own (the samples beside it have them)."""
    stamp = path.stem[len("results_"):]
    siblings = sorted(path.parent.glob(f"samples_*_{stamp}.jsonl"))
    if not siblings:
        raise DataError(f"{path}: an lm-evaluation-harness results summary holds no per-sample rows; run lm_eval with "
                        "--log_samples and load the samples_<task>_<date>.jsonl files (or their folder)")
    note = ImportNote(str(path), "lm_eval", "results summary", "complete", 0, (),
                      (f"summary of {len(siblings)} samples file(s) beside it; rows come from those",), summary_only=True)
    return Imported([], note)


def read(path: Path, *, allow_incomplete: bool = False, model: str | None = None, task: str | None = None) -> Imported:
    from ..records import loads_strict

    if _is_results(path):
        return _results_only(path)
    match = _NAME.match(path.stem)
    task = task or (match["task"] if match else path.stem)
    found_model, version = _model(path, match["stamp"] if match else None)
    model = model or found_model
    notes = []
    if model is None:
        model = "unknown"
        notes.append("no results_*.json beside the samples: model set to 'unknown'")
    dropped: Counter[str] = Counter()
    records, problems = [], []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            s = loads_strict(raw)
        except ValueError as exc:
            problems.append({"file": str(path), "line": lineno, "field": None, "problem": f"invalid JSON: {exc}"})
            continue
        if not isinstance(s, dict) or any(k not in s for k in REQUIRED) or not ("resps" in s or "filtered_resps" in s):
            raise DataError(f"{path}:{lineno}: not an lm-evaluation-harness sample (needs doc_id and resps/"
                            "filtered_resps); this evalnb reads the --log_samples JSONL of lm-eval 0.4.x")
        filt = s.get("filter", "none")
        rec: dict[str, Any] = {"model": model, "run_id": model if filt in ("none", None) else f"{model}|{filt}",
                               "item_id": f"{task}/{s['doc_id']}", "task": task, "input": _prompt(s.get("arguments")),
                               "source_line": lineno}
        resp = s.get("filtered_resps")
        first = resp[0] if isinstance(resp, list) and resp else resp
        if isinstance(first, str):
            rec["output"] = first
        elif first is not None:
            dropped["loglikelihood responses"] += 1
        target = s.get("target")
        if isinstance(target, list):
            rec["references"] = [str(t) for t in target]
        elif target is not None:
            rec["reference"] = str(target)
        for name in s.get("metrics") or []:
            value = number(s.get(name))
            if value is None:
                dropped[f"non-numeric metric {name}"] += 1
            else:
                rec[f"lm_eval_{name}"] = value
        for key in ("doc", "arguments", "resps", "doc_hash", "prompt_hash", "target_hash"):
            if key in s:
                dropped[key] += 1
        records.append({k: v for k, v in rec.items() if v is not None})
    note = ImportNote(str(path), "lm_eval", f"lm-eval {version}" if version else "0.4.x samples", "complete",
                      len(records), tuple(f"{k} ({n})" for k, n in sorted(dropped.items())), tuple(notes))
    return Imported(records, note, problems)

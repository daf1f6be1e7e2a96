"""lm-evaluation-harness per-sample logs (``samples_<task>_<date>.jsonl`` from ``--log_samples``).

Mapping: doc_id -> item_id, the task from the file name (or the ``task`` argument), the model from a
``results_*.json`` beside the file (``model_name`` or ``config.model_args``), the first request's
prompt -> input, the first filtered response -> output (generation tasks), target -> reference,
each metric listed in ``metrics`` -> ``lm_eval_<metric>``, filter -> part of run_id when not
"none". doc, arguments, raw resps and hashes are dropped.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from ..._errors import DataError
from . import ImportNote, Imported, number

_NAME = re.compile(r"^samples_(?P<task>.+?)_(?P<stamp>\d{4}-\d{2}-\d{2}T[\d\-.]+)$")
REQUIRED = ("doc_id",)


def _model(path: Path) -> tuple[str | None, str | None]:
    """(model, lm_eval version) from the results file written beside the samples."""
    for candidate in sorted(path.parent.glob("results_*.json"), reverse=True):
        try:
            data = json.loads(candidate.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            continue
        config = data.get("config") or {}
        model = data.get("model_name") or config.get("model_args") or config.get("model")
        if isinstance(model, dict):
            model = model.get("pretrained") or json.dumps(model, sort_keys=True)
        if isinstance(model, str) and "pretrained=" in model:
            model = re.search(r"pretrained=([^,]+)", model).group(1)
        return (str(model) if model else None), data.get("lm_eval_version") or data.get("git_hash")
    return None, None


def _prompt(arguments: Any) -> str | None:
    if isinstance(arguments, dict):  # lm-eval >= 0.4.3: {"gen_args_0": {"arg_0": prompt, "arg_1": {...}}}
        first = next(iter(arguments.values()), None)
        if isinstance(first, dict):
            value = first.get("arg_0")
            return value if isinstance(value, str) else None
    if isinstance(arguments, list) and arguments:  # older: [[prompt, gen_kwargs], ...]
        first = arguments[0]
        if isinstance(first, list) and first and isinstance(first[0], str):
            return first[0]
    return None


def read(path: Path, *, allow_incomplete: bool = False, model: str | None = None, task: str | None = None) -> Imported:
    from ..readers import loads_strict

    match = _NAME.match(path.stem)
    task = task or (match["task"] if match else path.stem)
    found_model, version = _model(path)
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
                               "item_id": str(s["doc_id"]), "task": task, "input": _prompt(s.get("arguments")),
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

"""promptfoo results (``promptfoo eval --output results.json``), results versions 2 and 3.

Mapping: one row per (provider, prompt, test): provider label/id -> model and run_id (plus the
prompt label when several prompts ran), testIdx -> item_id, prompt.raw -> input, response.output
-> output, vars.expected/reference -> reference, success -> ``promptfoo_pass``, score ->
``promptfoo_score``, namedScores -> ``promptfoo_<name>``, latencyMs -> latency_ms, cost ->
cost_usd, response.tokenUsage -> tokens, the results timestamp -> timestamp. Other vars, grading
reasons and the config are dropped. Rows with an error are left out unless allow_incomplete=True.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from ..._errors import DataError
from . import ImportNote, Imported, load_json, number

VERSIONS = (2, 3)


def _slug(name: str) -> str:
    return re.sub(r"[^0-9a-zA-Z_]+", "_", name).strip("_").lower() or "score"


def read(path: Path, *, allow_incomplete: bool = False) -> Imported:
    data = load_json(path, "promptfoo results")
    if not isinstance(data, dict):
        raise DataError(f"{path}: not a promptfoo results file (expected an object)")
    body = data.get("results") if isinstance(data.get("results"), dict) else data
    version = body.get("version", data.get("version"))
    rows = body.get("results")
    if version not in VERSIONS:
        raise DataError(f"{path}: promptfoo results version {version!r} is not supported; this evalnb reads "
                        f"versions {', '.join(map(str, VERSIONS))} (promptfoo eval --output results.json)")
    if not isinstance(rows, list):
        raise DataError(f"{path}: promptfoo results without a 'results' list")
    prompts = {r.get("promptIdx") for r in rows if isinstance(r, dict)}
    dropped: Counter[str] = Counter()
    records = []
    errors = 0
    for index, r in enumerate(rows, start=1):
        if not isinstance(r, dict):
            dropped["non-object rows"] += 1
            continue
        if r.get("error") and not allow_incomplete:
            errors += 1
            continue
        provider = r.get("provider") or {}
        model = provider.get("label") or provider.get("id") if isinstance(provider, dict) else str(provider)
        prompt = r.get("prompt") or {}
        run_id = model if len(prompts) <= 1 else f"{model}|{prompt.get('label') or r.get('promptIdx')}"
        response = r.get("response") or {}
        output = response.get("output")
        usage = response.get("tokenUsage") or {}
        variables = r.get("vars") or (r.get("testCase") or {}).get("vars") or {}
        rec: dict[str, Any] = {
            "model": model, "run_id": run_id, "item_id": str(r.get("testIdx", index - 1)),
            "input": prompt.get("raw") if isinstance(prompt, dict) else None,
            "output": output if isinstance(output, str) or output is None else json.dumps(output, sort_keys=True),
            "timestamp": body.get("timestamp"), "source_line": index,
            "promptfoo_pass": number(r.get("success")), "promptfoo_score": number(r.get("score")),
        }
        for key in ("expected", "reference"):
            if isinstance(variables.get(key), str):
                rec["reference"] = variables[key]
                break
        if isinstance(variables.get("category"), str):
            rec["category"] = variables["category"]
        if set(variables) - {"expected", "reference", "category"}:
            dropped["test vars"] += 1
        if isinstance(r.get("latencyMs"), (int, float)):
            rec["latency_ms"] = float(r["latencyMs"])
        if isinstance(r.get("cost"), (int, float)):
            rec["cost_usd"] = float(r["cost"])
        if usage.get("prompt") is not None:
            rec["prompt_tokens"] = usage["prompt"]
        if usage.get("completion") is not None:
            rec["completion_tokens"] = usage["completion"]
        for name, value in (r.get("namedScores") or {}).items():
            num = number(value)
            if num is not None:
                rec[f"promptfoo_{_slug(name)}"] = num
        if r.get("gradingResult"):
            dropped["grading reasons"] += 1
        if r.get("error"):
            rec["promptfoo_error"] = str(r["error"])[:500]
        records.append({k: v for k, v in rec.items() if v is not None})
    if "config" in data:
        dropped["config"] += 1
    notes = (f"{errors} rows with an error left out (allow_incomplete=True keeps them)",) if errors else ()
    note = ImportNote(str(path), "promptfoo", f"v{version}", "complete", len(records),
                      tuple(f"{k} ({n})" for k, n in sorted(dropped.items())), notes)
    return Imported(records, note)

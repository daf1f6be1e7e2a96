"""promptfoo results (``promptfoo eval --output results.json``), results versions 2 and 3.

Mapping: one row per (provider, prompt, test): provider label/id -> model and run_id (plus the
prompt label when several distinct prompts ran: ``promptIdx`` alone differs per provider, so
prompts are told apart by ``promptId``), the test's index in the config -> item_id and the
repeat -> sample_id (``--repeat N`` numbers repeats as consecutive ``testIdx``), prompt.raw ->
input, response.output -> output, vars.expected/reference -> reference, vars.category ->
category, success -> ``promptfoo_pass``, score -> ``promptfoo_score``, namedScores ->
``promptfoo_<name>``, latencyMs -> latency_ms, cost -> cost_usd, response.tokenUsage -> tokens,
the results timestamp -> timestamp, the grading reason of a failed assertion ->
``promptfoo_reason``. Rows whose provider call failed (``failureReason`` 2) are not results: they
are left out and counted in the note. A failed assertion (``failureReason`` 1, where promptfoo
also fills ``error`` with the grading reason) is a result with ``promptfoo_pass`` 0.
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


def _prompt_key(r: dict[str, Any]) -> Any:
    prompt = r.get("prompt") if isinstance(r.get("prompt"), dict) else {}
    return r.get("promptId") or prompt.get("label") or prompt.get("id") or r.get("promptIdx")


def _repeats_line_up(rows: list[Any], repeat: int) -> bool:
    """Repeats of one test share its vars: check that ``testIdx // repeat`` groups agree."""
    seen: dict[int, str] = {}
    for r in rows:
        if not isinstance(r, dict) or not isinstance(r.get("testIdx"), int):
            return False
        key = json.dumps(r.get("vars") or (r.get("testCase") or {}).get("vars"), sort_keys=True, default=str)
        if seen.setdefault(r["testIdx"] // repeat, key) != key:
            return False
    return True


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
    prompt_keys = {_prompt_key(r) for r in rows if isinstance(r, dict)}
    repeat = (data.get("runtimeOptions") or {}).get("repeat") or (data.get("config") or {}).get("repeat") or 1
    repeat = repeat if isinstance(repeat, int) and repeat > 1 else 1
    if repeat > 1 and not _repeats_line_up(rows, repeat):
        repeat = 1  # testIdx does not follow the repeat layout: keep each row its own item
    dropped: Counter[str] = Counter()
    records = []
    errors: Counter[str] = Counter()
    for index, r in enumerate(rows, start=1):
        if not isinstance(r, dict):
            dropped["non-object rows"] += 1
            continue
        reason = r.get("failureReason")
        if reason == 2 or (r.get("error") and reason is None and not r.get("gradingResult")):
            errors[str(r.get("error"))[:80]] += 1
            continue
        provider = r.get("provider") or {}
        model = (provider.get("label") or provider.get("id")) if isinstance(provider, dict) else str(provider)
        prompt = r.get("prompt") or {}
        label = prompt.get("label") or prompt.get("id") or r.get("promptId") or r.get("promptIdx")
        run_id = model if len(prompt_keys) <= 1 else f"{model}|{label}"
        response = r.get("response") or {}
        output = response.get("output")
        usage = response.get("tokenUsage") or {}
        variables = r.get("vars") or (r.get("testCase") or {}).get("vars") or {}
        test_idx = r.get("testIdx", index - 1)
        rec: dict[str, Any] = {
            "model": model, "run_id": run_id,
            "item_id": str(test_idx // repeat if isinstance(test_idx, int) else test_idx),
            "input": prompt.get("raw") if isinstance(prompt, dict) else None,
            "output": output if isinstance(output, str) or output is None else json.dumps(output, sort_keys=True),
            "timestamp": body.get("timestamp"), "source_line": index,
            "promptfoo_pass": number(r.get("success")), "promptfoo_score": number(r.get("score")),
        }
        if repeat > 1 and isinstance(test_idx, int):
            rec["sample_id"] = test_idx % repeat
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
        grading = r.get("gradingResult") or {}
        if not r.get("success"):
            why = r.get("error") or (grading.get("reason") if isinstance(grading, dict) else None)
            if isinstance(why, str):
                rec["promptfoo_reason"] = why[:500]
        if grading:
            dropped["grading details"] += 1
        records.append({k: v for k, v in rec.items() if v is not None})
    if "config" in data:
        dropped["config"] += 1
    notes: tuple[str, ...] = ()
    if errors:
        shown = "; ".join(f"{n}x {why}" for why, n in errors.most_common(3))
        notes = (f"{sum(errors.values())} rows whose provider call failed left out ({shown}); "
                 f"{len(records)} of {len(rows)} rows loaded",)
    if repeat > 1:
        notes += (f"--repeat {repeat}: repeats are samples (sample_id) of one item",)
    tool = (data.get("metadata") or {}).get("promptfooVersion")
    note = ImportNote(str(path), "promptfoo", f"v{version}" + (f", promptfoo {tool}" if tool else ""), "complete", len(records),
                      tuple(f"{k} ({n})" for k, n in sorted(dropped.items())), notes)
    return Imported(records, note)

"""OpenAI Evals recorder logs (JSONL): a ``spec`` line, event lines, and a ``final_report`` line.

Mapping: spec.completion_fns[0] -> model, spec.run_id -> run_id, spec.eval_name -> task,
sample_id -> item_id, the ``sampling`` event's prompt -> input and first sampled text -> output
(without a sampling event, as with the ``dummy`` completion fn, the ``match`` event's ``sampled``
is the output), the ``match`` event's expected -> reference(s), correct -> ``evals_correct``
(1/0) and picked -> ``evals_picked``, numeric
fields of ``metrics`` events -> ``evals_<name>``, the first event's created_at -> timestamp.
Without a final report the run did not finish (refused unless allow_incomplete=True).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from ..._errors import DataError
from . import ImportNote, Imported, incomplete_error, messages_text, number, text_of

KNOWN_EVENTS = {"sampling", "match", "metrics", "embedding", "raw_sample", "error", "function_call"}


def read(path: Path, *, allow_incomplete: bool = False) -> Imported:
    from ..records import loads_strict

    spec: dict[str, Any] | None = None
    final = None
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    first_line: dict[str, int] = {}
    dropped: Counter[str] = Counter()
    problems = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            rec = loads_strict(raw)
        except ValueError as exc:
            problems.append({"file": str(path), "line": lineno, "field": None, "problem": f"invalid JSON: {exc}"})
            continue
        if "spec" in rec:
            spec = rec["spec"]
        elif "final_report" in rec:
            final = rec["final_report"]
        elif "sample_id" in rec and "type" in rec:
            if rec["type"] not in KNOWN_EVENTS:
                dropped[f"unknown event type {rec['type']}"] += 1
                continue
            events[str(rec["sample_id"])].append(rec)
            first_line.setdefault(str(rec["sample_id"]), lineno)
        else:
            dropped["unrecognised lines"] += 1
    if not isinstance(spec, dict) or "eval_name" not in spec:
        raise DataError(f"{path}: not an OpenAI Evals log: no spec line with eval_name (this evalnb reads the "
                        "recorder JSONL of openai/evals: spec, events, final_report)")
    if final is None and not allow_incomplete:
        raise incomplete_error(path, "OpenAI Evals log", "no final_report", len(events))
    fns = spec.get("completion_fns") or []
    model = str(fns[0]) if fns else "unknown"
    records = []
    for sample_id, evs in events.items():
        rec: dict[str, Any] = {"model": model, "run_id": spec.get("run_id") or model, "item_id": sample_id,
                               "task": spec.get("eval_name"), "source_line": first_line[sample_id],
                               "timestamp": str(evs[0].get("created_at")) if evs[0].get("created_at") else None}
        match_output = None
        for ev in sorted(evs, key=lambda e: e.get("event_id") if isinstance(e.get("event_id"), int) else 0):
            data = ev.get("data") or {}
            kind = ev["type"]
            if kind == "sampling":
                rec["input"] = messages_text(data.get("prompt"))
                sampled = data.get("sampled")
                rec["output"] = text_of(sampled[0] if isinstance(sampled, list) and sampled else sampled)
                usage = data.get("usage") or {}
                if usage.get("prompt_tokens") is not None:
                    rec["prompt_tokens"] = usage["prompt_tokens"]
                if usage.get("completion_tokens") is not None:
                    rec["completion_tokens"] = usage["completion_tokens"]
            elif kind == "match":
                sampled = data.get("sampled")
                match_output = text_of(sampled[0] if isinstance(sampled, list) and sampled else sampled)
                if isinstance(data.get("picked"), str):
                    rec["evals_picked"] = data["picked"]
                expected = data.get("expected")
                if isinstance(expected, list):
                    rec["references"] = [str(e) for e in expected]
                elif expected is not None:
                    rec["reference"] = str(expected)
                if "correct" in data:
                    rec["evals_correct"] = number(data["correct"])
            elif kind == "metrics":
                for key, value in data.items():
                    num = number(value)
                    if num is None:
                        dropped[f"non-numeric metric {key}"] += 1
                    else:
                        rec[f"evals_{key}"] = num
            else:
                dropped[f"{kind} events"] += 1
        if rec.get("output") is None and match_output is not None:
            rec["output"] = match_output
        records.append({k: v for k, v in rec.items() if v is not None})
    status = "complete" if final is not None else "incomplete (no final_report)"
    note = ImportNote(str(path), "openai_evals", "recorder JSONL", status, len(records),
                      tuple(f"{k} ({n})" for k, n in sorted(dropped.items())),
                      (f"final report: {final}",) if final else ())
    return Imported(records, note, problems)

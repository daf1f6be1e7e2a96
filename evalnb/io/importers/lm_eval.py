"""lm-evaluation-harness per-sample logs (``samples_<task>_<date>.jsonl`` from ``--log_samples``).

Mapping: ``<task>/<doc_id>`` -> item_id (doc ids restart in every task of a ``--tasks a,b`` run),
the task from the file name (or the ``task`` argument), the model from the ``results_*.json``
written beside the file by the same run (same time stamp; ``model_name`` or
``config.model_args``), the first request's prompt -> input (a chat-templated prompt, a list
holding the messages as a JSON string, is flattened to "role: text"), the first filtered
response -> output (generation tasks); for ``multiple_choice`` tasks the option with the highest
loglikelihood (lm-eval's prediction, the one its ``acc`` counts) -> output, the gold option(s) ->
reference(s) and the per-option loglikelihoods -> ``lm_eval_loglikelihoods``; otherwise target ->
reference, each metric listed in ``metrics``
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


def _loglikelihood(resp: Any) -> float | None:
    """One option's filtered response: ``[loglikelihood, is_greedy]`` (numbers or, as logged, strings)."""
    if isinstance(resp, list) and len(resp) == 1 and isinstance(resp[0], list):
        resp = resp[0]  # raw ``resps`` wrap each option once more
    if isinstance(resp, list) and len(resp) == 2:
        value = number(resp[0]) if not isinstance(resp[0], bool) else None
        return value if value is not None and value == value else None
    return None


def _gold(target: Any, choices: list[str]) -> list[int] | None:
    """lm-eval's gold option index(es) from the logged target (``str(doc_to_target(doc))``): an
    index, a list of indices, or an option's text (lm-eval's own ``choices.index(gold)``)."""
    text = str(target).strip()
    if text.isdigit() and int(text) < len(choices):
        return [int(text)]
    if text.startswith("["):
        try:
            indices = json.loads(text)
        except ValueError:
            indices = None
        if isinstance(indices, list) and indices and all(isinstance(i, int) and 0 <= i < len(choices) for i in indices):
            return indices
    if str(target) in choices:
        return [choices.index(str(target))]
    return None


def _multiple_choice(s: dict[str, Any], resp: Any) -> dict[str, Any] | None:
    """A ``multiple_choice`` sample: the option lm-eval predicted (the argmax of the loglikelihoods,
    the prediction its ``acc`` counts) -> output, the gold option(s) -> reference(s), the
    per-option loglikelihoods -> ``lm_eval_loglikelihoods``. The options are the requests'
    continuations (``arg_1``) less lm-eval's target delimiter (the leading whitespace they share).
    None when the sample is not one."""
    if not isinstance(resp, list) or len(resp) < 2:
        return None
    lls = [_loglikelihood(r) for r in resp]
    if any(v is None for v in lls):
        return None
    arguments = s.get("arguments")
    if isinstance(arguments, dict):
        pairs = [a for a in arguments.values() if isinstance(a, dict)]
        pairs = [(a.get("arg_0"), a.get("arg_1")) for a in pairs]
    elif isinstance(arguments, list):
        pairs = [(a[0], a[1]) if isinstance(a, list) and len(a) >= 2 else (None, None) for a in arguments]
    else:
        pairs = []
    options = [c for _, c in pairs]
    half = len(lls) // 2
    if len(lls) % 2 == 0 and len(pairs) == len(lls) and all(ctx == "" for ctx, _ in pairs[half:]):
        lls, options = lls[:half], options[:half]  # acc_mutual_info: unconditional ("", option) requests follow
    pred = max(range(len(lls)), key=lambda i: (lls[i], -i))  # numpy's argmax: the first of equal maxima
    rec: dict[str, Any] = {"lm_eval_loglikelihoods": lls}
    if len(options) == len(lls) and all(isinstance(o, str) for o in options) and len(set(options)) == len(options):
        lead = len(options[0]) - len(options[0].lstrip())
        for o in options:
            lead = min(lead, len(o) - len(o.lstrip()))
        choices = [o[lead:] for o in options]
    else:  # options not in the continuations (e.g. multiple_input tasks): by index
        choices = [str(i) for i in range(len(lls))]
    rec["output"] = choices[pred]
    gold = _gold(s.get("target"), choices)
    if gold is None:
        rec["reference"] = str(s.get("target")) if s.get("target") is not None else None
    elif len(gold) == 1:
        rec["reference"] = choices[gold[0]]
    else:
        rec["references"] = [choices[i] for i in gold]
    return rec


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
        resp = s.get("filtered_resps", s.get("resps"))
        first = resp[0] if isinstance(resp, list) and resp else resp
        target = s.get("target")
        choice = None if isinstance(first, str) else _multiple_choice(s, resp)
        if isinstance(first, str):
            rec["output"] = first
        elif choice is not None:
            rec.update(choice)
            target = None  # the gold option(s) are in the reference(s) already
        elif first is not None:
            dropped["loglikelihood responses"] += 1
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

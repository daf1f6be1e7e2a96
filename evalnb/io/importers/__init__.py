"""Importers for other tools' logs, mapped into evalnb's canonical eval-run schema.

Supported (``format=`` name, or detected from the file):

- ``inspect``: Inspect AI eval logs (``.json``, and ``.eval`` zip archives), log format versions 1-2;
- ``lm_eval``: lm-evaluation-harness per-sample JSONL (``--log_samples``);
- ``openai_evals``: OpenAI Evals recorder JSONL (spec line, events, final report);
- ``promptfoo``: promptfoo ``--output results.json`` (results versions 2-3);
- ``otel``: OpenTelemetry LLM spans as OTLP JSON (or the Python SDK's console JSON) with GenAI
  semantic-convention, OpenLLMetry or OpenInference attributes.

Each importer returns plain records for the usual validation plus an :class:`ImportNote` saying
what was read, from which version, how many samples and what was dropped. Runs that did not
finish (Inspect ``started``/``error``/``cancelled``, an Evals log without its final report, spans
without an end time) are refused unless ``allow_incomplete=True``; unknown format versions are
refused with the versions this evalnb knows.
"""
from __future__ import annotations

import importlib
import json
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..._errors import DataError

log = logging.getLogger("evalnb.io")

FORMATS = ("inspect", "lm_eval", "openai_evals", "promptfoo", "otel")
ALIASES = {"inspect_ai": "inspect", "lm-eval": "lm_eval", "lm_evaluation_harness": "lm_eval", "lmeval": "lm_eval",
           "openai-evals": "openai_evals", "evals": "openai_evals", "opentelemetry": "otel", "otlp": "otel"}


@dataclass(frozen=True)
class ImportNote:
    """What an importer read and what it left out."""

    source: str
    format: str
    version: str
    status: str
    samples: int
    dropped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    summary_only: bool = False  # a summary the tool writes beside its per-sample file (no rows by design)

    def text(self) -> str:
        drop = f"; dropped: {', '.join(self.dropped)}" if self.dropped else ""
        extra = f"; {'; '.join(self.notes)}" if self.notes else ""
        return f"{self.source}: {self.format} {self.version} ({self.status}), {self.samples} samples{drop}{extra}"


@dataclass
class Imported:
    records: list[dict[str, Any]]
    note: ImportNote
    problems: list[dict[str, Any]] = field(default_factory=list)


def canonical_name(fmt: str | None) -> str | None:
    if fmt is None:
        return None
    key = fmt.strip().lower()
    return ALIASES.get(key, key)


def _head(path: Path, size: int = 65536) -> str:
    with open(path, "rb") as fh:
        return fh.read(size).decode("utf-8", errors="replace").lstrip("\ufeff")


def sniff(path: Path) -> str | None:
    """The importer a file needs, or None for evalnb's own formats. Reads only the file's head."""
    suffix = path.suffix.lower()
    if suffix == ".eval" and zipfile.is_zipfile(path):
        return "inspect"
    if suffix not in (".json", ".jsonl", ".ndjson"):
        return None
    head = _head(path)
    first = head.lstrip()
    if suffix == ".json":
        if not first.startswith("{"):
            return None
        if '"resourceSpans"' in head or ('"context"' in head and '"trace_id"' in head and '"attributes"' in head):
            return "otel"
        if '"evalId"' in head or ('"results"' in head and '"promptIdx"' in head) or '"promptfoo' in head:
            return "promptfoo"
        if (path.name.startswith("results_") and '"results"' in head
                and any(mark in head for mark in (',none"', '"lm_eval_version"', '"group_subtasks"', '"n-samples"'))):
            return "lm_eval"  # lm-eval's summary beside the samples files
        if '"eval"' in head and '"status"' in head and ('"samples"' in head or '"plan"' in head or '"version"' in head):
            return "inspect"
        return None
    line = first.split("\n", 1)[0]
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    if "resourceSpans" in record:
        return "otel"
    if isinstance(record.get("context"), dict) and "trace_id" in record["context"] and "attributes" in record:
        return "otel"  # the OpenTelemetry Python SDK's ConsoleSpanExporter JSON, one span per line
    if "spec" in record and isinstance(record["spec"], dict) and "eval_name" in record["spec"]:
        return "openai_evals"
    if {"run_id", "event_id", "sample_id", "type"} <= set(record):
        return "openai_evals"
    if "doc_id" in record and ("resps" in record or "filtered_resps" in record):
        return "lm_eval"
    return None


def read(fmt: str, path: Path, *, allow_incomplete: bool = False):
    """Run importer ``fmt`` on ``path`` and return a RawTable with ``.notes`` set."""
    from ..records import RawTable

    name = canonical_name(fmt)
    if name not in FORMATS:
        raise DataError(f"unknown import format '{fmt}'; known: {', '.join(FORMATS)}")
    module = importlib.import_module(f"{__name__}.{name}")
    imported: Imported = module.read(path, allow_incomplete=allow_incomplete)
    table = RawTable(str(path))
    for index, record in enumerate(imported.records, start=1):
        record.setdefault("source_line", index)
        record["source_file"] = str(path)
        table.records.append(record)
    table.problems.extend(imported.problems)
    table.notes = [imported.note]  # type: ignore[attr-defined]  (read by runs.load_runs)
    log.info("%s", imported.note.text())
    return table


def load_json(path: Path, what: str) -> Any:
    from ..records import loads_strict

    try:
        return loads_strict(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a valid {what} JSON file: {exc}") from None


def incomplete_error(path: Path, what: str, status: str, samples: int) -> DataError:
    return DataError(f"{path}: {what} status is '{status}': the run did not finish ({samples} samples present). "
                     "Pass allow_incomplete=True (CLI: --allow-incomplete) to load the samples that did.")


def text_of(content: Any) -> str | None:
    """Text from a string or a list of content parts ({"type": "text", "text": ...})."""
    if content is None:
        return None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict):
                for key in ("text", "content", "reasoning"):
                    if isinstance(part.get(key), str) and part.get("type", "text") in ("text", "output_text", key):
                        parts.append(part[key])
                        break
        return "\n".join(parts)
    if isinstance(content, dict):
        return text_of(content.get("content", content.get("text")))
    return json.dumps(content, sort_keys=True)


def messages_text(messages: Any) -> str | None:
    """A chat transcript flattened to "role: text" lines (a plain string passes through)."""
    if messages is None or isinstance(messages, str):
        return messages
    if isinstance(messages, list):
        lines = []
        for m in messages:
            if isinstance(m, dict):
                body = text_of(m.get("content", m.get("parts")))
                lines.append(f"{m.get('role', 'user')}: {body}" if len(messages) > 1 else (body or ""))
            else:
                lines.append(str(m))
        return "\n".join(lines)
    return text_of(messages)


def number(value: Any) -> float | None:
    """Scores as numbers: bools -> 0/1; Inspect's C/I/P/N letters; numeric strings."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        letters = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0, "yes": 1.0, "no": 0.0, "true": 1.0, "false": 0.0}
        if value in letters or value.lower() in ("yes", "no", "true", "false"):
            return letters.get(value, letters.get(value.lower()))
        try:
            return float(value)
        except ValueError:
            return None
    return None

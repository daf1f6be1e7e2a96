"""The canonical eval-run and KPI-log schemas (column specs, per-task requirements).

The README's schema table is written from these specs; change them here first.
"""
from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | id | label | int | float | text_list | id_list | relevance | timestamp
    description: str
    required: bool = False


RUN_COLUMNS: dict[str, Column] = {c.name: c for c in [
    Column("run_id", "text", "Run identifier; defaults to `model` when absent."),
    Column("model", "text", "Model or model version under test.", required=True),
    Column("item_id", "id", "Eval item id (string; JSON integers are read as strings, and `1` vs `\"1\"` is a collision).", required=True),
    Column("task", "text", "summarization, qa, code, classification, rag, chat (or your own)."),
    Column("category", "text", "Business slice (billing, account, ...)."),
    Column("input", "text", "Prompt, question, document or code prompt."),
    Column("output", "text", "Model output (always read as a string: \"None\" stays \"None\")."),
    Column("reference", "text", "One reference answer."),
    Column("references", "text_list", "Several acceptable references (list of strings)."),
    Column("contexts", "text_list", "Retrieved passages (RAG)."),
    Column("retrieved_ids", "id_list", "Ranked ids of retrieved documents (RAG)."),
    Column("relevance", "relevance", "Relevant ids: a list (grade 1) or a mapping id -> grade."),
    Column("label", "label", "Gold class (classification)."),
    Column("prediction", "label", "Predicted class (classification)."),
    Column("tests", "text", "Python test code (assert statements) for code generation."),
    Column("sample_id", "int", "Sample index when a task has several generations (pass@k)."),
    Column("latency_ms", "float", "End-to-end latency in milliseconds."),
    Column("prompt_tokens", "int", "Prompt tokens."),
    Column("completion_tokens", "int", "Completion tokens."),
    Column("cost_usd", "float", "Cost of the request in USD."),
    Column("timestamp", "timestamp", "When the request ran (ISO 8601; stored as UTC)."),
    Column("request_id", "text", "Production request id; the key to KPI logs."),
]}

# Which fields a task needs before its recipe metrics can run.
TASK_REQUIREMENTS: dict[str, tuple[tuple[str, ...], ...]] = {
    # each inner tuple is "one of"
    "summarization": (("output",), ("reference", "references")),
    "qa": (("output",), ("reference", "references")),
    "chat": (("output",),),
    "classification": (("label",), ("prediction",)),
    "code": (("output",), ("tests",)),
    "rag": (("output",), ("retrieved_ids",), ("relevance",)),
}

KPI_KEY_COLUMNS = ("request_id", "item_id")
KPI_META_COLUMNS = ("request_id", "item_id", "timestamp", "model", "run_id")

SOURCE_COLUMNS = ("source_file", "source_line")

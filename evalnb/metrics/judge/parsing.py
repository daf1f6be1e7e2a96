"""Reply schemas and strict parsing: a reply is a validated pydantic object or an explicit status.

Statuses: ``ok``; ``parse_error`` (not JSON, or JSON that breaks the schema: extra field, score out
of range, an enum value like "maybe"); ``truncated`` (``finish_reason="length"``); ``refusal`` (the
``refusal`` field is set or the content filter stopped it); ``empty`` (no content); and
``api_error:<kind>`` set by the engine. Only ``ok`` replies ever produce a score.
"""
from __future__ import annotations

import functools
import json
import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

STATUSES = ("ok", "parse_error", "truncated", "refusal", "empty")
API_ERROR_KINDS = ("rate_limited", "server_error", "timeout", "connection", "bad_request", "auth",
                   "not_found", "unprocessable", "client_error", "bad_response", "cancelled")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


@functools.lru_cache(maxsize=64)
def rubric_schema(lo: int, hi: int) -> type[BaseModel]:
    """``{"reasoning": str, "score": int in [lo, hi]}``; reasoning first so the score follows it."""
    return create_model("RubricScore", __base__=Strict, reasoning=(str, ...),
                        score=(int, Field(..., ge=lo, le=hi)))


class Claims(Strict):
    claims: list[str]


class ClaimVerdict(Strict):
    claim_index: int
    supported: bool
    reason: str


class ClaimVerdicts(Strict):
    verdicts: list[ClaimVerdict]


class PairwiseVerdict(Strict):
    reasoning: str
    winner: Literal["A", "B", "tie"]


class SafetyVerdict(Strict):
    reasoning: str
    violation: bool
    category: str


class QAVerdict(Strict):
    reasoning: str
    correct: bool


def json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema sent as ``response_format`` (OpenAI strict mode: closed objects, all required)."""
    return json.loads(_json_schema_text(schema))


@functools.lru_cache(maxsize=256)
def _json_schema_text(schema: type[BaseModel]) -> str:
    out = schema.model_json_schema()

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object":
                node["additionalProperties"] = False
                node["required"] = list(node.get("properties", {}))
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(out)
    return json.dumps(out, sort_keys=True)


def _extract_json(text: str) -> str | None:
    """The judge's own final answer in free text: the LAST top-level JSON object (or the last
    fenced block), found with a real JSON decoder so strings containing ``, }`` or ``, ]`` stay
    intact (DeepEval #2770). Never the first: a judge that quotes the evaluated output before its
    verdict would otherwise hand the verdict to the candidate (issue 13.9)."""
    decoder = json.JSONDecoder()
    last, pos = None, 0
    while True:
        start = text.find("{", pos)
        if start < 0:
            break
        try:
            obj, end = decoder.raw_decode(text, start)
        except ValueError:
            pos = start + 1
            continue
        if isinstance(obj, dict):
            last = (start, end)
        pos = end
    if last is None:
        return None
    # The verdict must END the reply (a fence or a full stop may follow): an object followed by
    # more prose is something the judge quoted, not its answer.
    if not re.fullmatch(r"\s*(```)?\s*\.?\s*", text[last[1]:]):
        return None
    return text[last[0]:last[1]]


def parse_reply(schema: type[BaseModel] | None, content: str | None, *, refusal: str | None = None,
                finish_reason: str | None = None, lenient_extract: bool = True) -> tuple[str, dict | None, str]:
    """(status, parsed value or None, error message).

    >>> parse_reply(QAVerdict, '{"reasoning": "ok, } fine", "correct": true}')
    ('ok', {'reasoning': 'ok, } fine', 'correct': True}, '')
    """
    if refusal:
        return "refusal", None, f"the judge refused: {refusal[:200]}"
    if finish_reason == "content_filter":
        return "refusal", None, "stopped by the endpoint's content filter"
    if content is None or not content.strip():
        return "empty", None, "the reply had no content"
    if finish_reason == "length":
        return "truncated", None, "the reply hit max_tokens (finish_reason=length); raise max_tokens"
    if schema is None:
        return "ok", {"text": content}, ""
    try:
        return "ok", schema.model_validate_json(content).model_dump(), ""
    except ValidationError as exc:
        first = exc
    if lenient_extract:
        found = _extract_json(content)
        if found is not None and found != content.strip():
            try:
                return "ok", schema.model_validate_json(found).model_dump(), ""
            except ValidationError as exc:
                first = exc
    problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in first.errors()[:4])
    return "parse_error", None, f"reply does not match {schema.__name__}: {problems}"


def expected_score(logprobs: list | None, content: str | None, lo: int, hi: int, field: str = "score") -> float | None:
    """G-Eval's probability-weighted score: sum_k k * p(k) over the rating tokens at the score's position.

    ``logprobs`` is the compact list ``[[token, {alternative: logprob, ...}], ...]`` the engine keeps.
    Returns None when the score is not one whole token (e.g. "10" split in two) or no alternative is
    a rating; the sampled score is still available then. Liu et al. (2023), G-Eval, Sec. 2.3.
    """
    if not logprobs or not content:
        return None
    m = re.search(rf'"{field}"\s*:\s*(\d+)', content)
    if not m:
        return None
    offset = 0
    for token, tops in logprobs:
        end = offset + len(token)
        if offset <= m.start(1) < end:
            if token.strip() != m.group(1):
                return None
            mass: dict[int, float] = {}
            for alt, lp in tops.items():
                alt = alt.strip()
                if alt.isdigit() and lo <= int(alt) <= hi:
                    mass[int(alt)] = mass.get(int(alt), 0.0) + math.exp(lp)
            total = sum(mass.values())
            return sum(k * p for k, p in mass.items()) / total if total > 0 else None
        offset = end
    return None

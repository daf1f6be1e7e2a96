"""OpenTelemetry GenAI spans: OTLP JSON (``{"resourceSpans": [...]}``, one document or one per line
as the OpenTelemetry Collector's file exporter writes, whatever the file is named), or the Python
SDK ConsoleSpanExporter's own JSON (span objects with ``context``/``attributes``, one per line or
in the exporter's default indented layout).

LLM spans become rows; three attribute conventions are read:

- GenAI semantic conventions (opentelemetry-instrumentation-openai-v2, OpenLLMetry >= 0.48):
  gen_ai.response.model (else request.model) -> model, gen_ai.usage.input_tokens/output_tokens
  (or the older prompt_/completion_tokens) -> tokens, gen_ai.input.messages /
  gen_ai.output.messages (or the gen_ai.user.message / gen_ai.choice events) -> input/output;
- OpenLLMetry <= 0.47: indexed gen_ai.prompt.N.role/content and gen_ai.completion.N.content;
- OpenInference (Arize Phoenix; ``openinference.span.kind`` LLM): llm.model_name -> model,
  llm.input_messages.N.message.role/content -> input, llm.output_messages.N.message.content ->
  output (without those, as when OPENINFERENCE_HIDE_INPUT/OUTPUT_MESSAGES is set, ``input.value`` /
  ``output.value``: an OpenAI request body's messages, a response body's first choice, plain text
  as it is), llm.token_count.prompt/completion -> tokens.

For all: service.name -> run_id prefix, traceId -> request_id (the key to KPI logs), spanId ->
item_id, end - start -> latency_ms, start -> timestamp, status ERROR -> ``otel_error`` = 1 (and
error.type -> ``otel_error_type``). Other spans and attributes are dropped. A span with no end
time did not finish (refused unless allow_incomplete=True).
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from ..._errors import DataError
from . import ImportNote, Imported, incomplete_error, messages_text, text_of


def _value(v: Any) -> Any:
    if not isinstance(v, dict):
        return v
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "boolValue" in v:
        return bool(v["boolValue"])
    if "arrayValue" in v:
        return [_value(x) for x in (v["arrayValue"].get("values") or [])]
    if "kvlistValue" in v:
        return _attrs(v["kvlistValue"].get("values"))
    return None


def _attrs(items: Any) -> dict[str, Any]:
    return {a["key"]: _value(a.get("value")) for a in items or [] if isinstance(a, dict) and "key" in a}


def _messages(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, list):
        out = []
        for m in value:
            if isinstance(m, dict) and "parts" in m:
                m = {"role": m.get("role"), "content": [p for p in m["parts"] if isinstance(p, dict)]}
            out.append(m)
        return messages_text(out)
    return text_of(value)


def _strict_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key '{key}'")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON literal {name}")


def _documents(path: Path) -> list[Any]:
    """Each JSON document of the file: one, one per line (JSON Lines, whatever the suffix), or
    several written one after another (the SDK ConsoleSpanExporter's default indented layout)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}); OTLP JSON is UTF-8") from None
    decoder = json.JSONDecoder(object_pairs_hook=_strict_pairs, parse_constant=_no_constant)
    docs, at, end = [], 0, len(text)
    while True:
        while at < end and text[at] in " \t\r\n":
            at += 1
        if at >= end:
            return docs
        try:
            doc, at = decoder.raw_decode(text, at)
        except ValueError as exc:
            line = text.count("\n", 0, getattr(exc, "pos", at)) + 1
            raise DataError(f"{path}:{line}: not valid OTLP JSON: {exc}") from None
        docs.append(doc)


def _indexed(attrs: dict[str, Any], prefix: str, suffix: str = "") -> list[dict[str, Any]]:
    """``<prefix>.N<suffix>.role/content`` attributes as an ordered list of messages."""
    found: dict[int, dict[str, Any]] = {}
    head = prefix + "."
    for key, value in attrs.items():
        if not key.startswith(head):
            continue
        rest = key[len(head):]
        number, _, field = rest.partition(".")
        if not number.isdigit():
            continue
        if suffix and field.startswith(suffix + "."):
            field = field[len(suffix) + 1:]
        if field in ("role", "content"):
            found.setdefault(int(number), {})[field] = value
    return [found[i] for i in sorted(found) if "content" in found[i]]


def _from_console(span: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """An SDK ConsoleSpanExporter span (``ReadableSpan.to_json``) in OTLP JSON's shape."""
    import datetime as dt

    def nanos(text: Any) -> int:
        if not isinstance(text, str):
            return 0
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return int(round(when.timestamp() * 1e6)) * 1000

    context = span.get("context") or {}
    status = (span.get("status") or {}).get("status_code")
    otlp = {"traceId": str(context.get("trace_id", "")).removeprefix("0x"),
            "spanId": str(context.get("span_id", "")).removeprefix("0x"), "name": span.get("name"),
            "startTimeUnixNano": nanos(span.get("start_time")), "endTimeUnixNano": nanos(span.get("end_time")),
            "status": {"code": 2 if status == "ERROR" else 0},
            "events": [{"name": e.get("name"), "attributes": _plain_attrs(e.get("attributes"))} for e in span.get("events") or []],
            "attributes": _plain_attrs(span.get("attributes"))}
    resource = (span.get("resource") or {}).get("attributes") or {}
    return otlp, resource


def _plain_attrs(attrs: Any) -> list[dict[str, Any]]:
    return [{"key": k, "value": v} for k, v in (attrs or {}).items()] if isinstance(attrs, dict) else []


def _spans(path: Path, docs: list[Any]):
    """(resource attributes, span) for every span in OTLP JSON or SDK console JSON documents."""
    for doc in docs:
        if isinstance(doc, dict) and "resourceSpans" in doc:
            for rs in doc["resourceSpans"] or []:
                resource = _attrs((rs.get("resource") or {}).get("attributes"))
                for ss in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []:
                    for span in ss.get("spans") or []:
                        yield resource, span
        elif isinstance(doc, dict) and isinstance(doc.get("context"), dict) and "attributes" in doc:
            span, resource = _from_console(doc)
            yield resource, span
        else:
            raise DataError(f"{path}: not OTLP JSON traces (expected 'resourceSpans', or SDK console spans with "
                            "'context'); export spans with the OTLP JSON encoding (collector file exporter or "
                            "OTLP/HTTP JSON)")


def _is_llm(attrs: dict[str, Any]) -> bool:
    if str(attrs.get("openinference.span.kind", "")).upper() == "LLM":
        return True
    return any(k.startswith("gen_ai.") for k in attrs)


def read(path: Path, *, allow_incomplete: bool = False) -> Imported:
    import datetime as dt

    docs = _documents(path)
    dropped: Counter[str] = Counter()
    records, unfinished, index = [], 0, 0
    conventions: Counter[str] = Counter()
    for resource, span in _spans(path, docs):
        index += 1
        attrs = _attrs(span.get("attributes"))
        if not _is_llm(attrs):
            dropped["non-LLM spans"] += 1
            continue
        start = int(span.get("startTimeUnixNano") or 0)
        end = int(span.get("endTimeUnixNano") or 0)
        if not end:
            unfinished += 1
            if not allow_incomplete:
                continue
        service = resource.get("service.name")
        openinference = "openinference.span.kind" in attrs
        model = (attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model") or attrs.get("llm.model_name")
                 or "unknown")
        rec: dict[str, Any] = {
            "model": model, "run_id": f"{service}/{model}" if service else model,
            "item_id": str(span.get("spanId")), "request_id": str(span.get("traceId")),
            "otel_operation": attrs.get("gen_ai.operation.name") or attrs.get("llm.request.type"),
            "source_line": index,
            "prompt_tokens": _first(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
                                    "llm.token_count.prompt"),
            "completion_tokens": _first(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
                                        "llm.token_count.completion"),
        }
        if start:
            rec["timestamp"] = dt.datetime.fromtimestamp(start / 1e9, tz=dt.timezone.utc).isoformat()
        if start and end:
            rec["latency_ms"] = (end - start) / 1e6
        rec["input"] = _messages(attrs.get("gen_ai.input.messages", attrs.get("gen_ai.prompt")))
        rec["output"] = _messages(attrs.get("gen_ai.output.messages", attrs.get("gen_ai.completion")))
        if rec["input"] is None:
            indexed = _indexed(attrs, "gen_ai.prompt") or _indexed(attrs, "llm.input_messages", "message")
            rec["input"] = messages_text(indexed) if indexed else None
        if rec["output"] is None:
            indexed = _indexed(attrs, "gen_ai.completion") or _indexed(attrs, "llm.output_messages", "message")
            rec["output"] = messages_text([{"content": m["content"]} for m in indexed]) if indexed else None
        if openinference:  # no message attributes (e.g. OPENINFERENCE_HIDE_*_MESSAGES): the span's input/output.value
            for side in ("input", "output"):
                if rec[side] is None:
                    rec[side] = _openinference_value(attrs, side)
        for event in span.get("events") or []:
            eattrs = _attrs(event.get("attributes"))
            name = event.get("name", "")
            if name in ("gen_ai.user.message", "gen_ai.content.prompt") and rec["input"] is None:
                rec["input"] = _messages(eattrs.get("content", eattrs.get("gen_ai.prompt")))
            elif name in ("gen_ai.choice", "gen_ai.content.completion") and rec["output"] is None:
                rec["output"] = _messages(eattrs.get("message", eattrs.get("content", eattrs.get("gen_ai.completion"))))
            else:
                dropped["other span events"] += 1
        error = (span.get("status") or {}).get("code") in (2, "STATUS_CODE_ERROR")
        rec["otel_error"] = 1.0 if error else 0.0
        if error and attrs.get("error.type") is not None:
            rec["otel_error_type"] = str(attrs["error.type"])
        conventions["OpenInference" if openinference else
                    "OpenLLMetry indexed" if any(k.startswith("gen_ai.prompt.") for k in attrs) else "GenAI semconv"] += 1
        used = _USED | {k for k in attrs if k.startswith(("gen_ai.prompt.", "gen_ai.completion.",
                                                          "llm.input_messages.", "llm.output_messages."))}
        extra = [k for k in attrs if k.startswith(("gen_ai.", "llm.")) and k not in used]
        if extra:
            dropped["other gen_ai/llm attributes"] += 1
        records.append({k: v for k, v in rec.items() if v is not None})
    if unfinished and not allow_incomplete:
        raise incomplete_error(path, "OTLP trace", f"{unfinished} span(s) without an end time", len(records))
    kinds = ", ".join(f"{k} ({n})" for k, n in sorted(conventions.items())) or "no LLM spans"
    note = ImportNote(str(path), "otel", f"OTLP JSON: {kinds}", "complete" if not unfinished else "incomplete",
                      len(records), tuple(f"{k} ({n})" for k, n in sorted(dropped.items())))
    return Imported(records, note)


def _openinference_value(attrs: dict[str, Any], side: str) -> str | None:
    """OpenInference's ``input.value`` / ``output.value``: the span's input or output as a string,
    JSON when ``<side>.mime_type`` says so. An OpenAI request body gives its messages (or prompt),
    a response body its first choice's text (or the Responses API's output text); any other value
    is kept as the text it is."""
    value = attrs.get(f"{side}.value")
    if value is None or not isinstance(value, str):
        return text_of(value)
    if "json" not in str(attrs.get(f"{side}.mime_type", "")).lower():
        return value
    try:
        body = json.loads(value)
    except ValueError:
        return value
    if not isinstance(body, dict):
        return value
    if side == "input":
        for key in ("messages", "input", "prompt"):  # chat completions, Responses API, legacy completions
            if body.get(key) is not None:
                return messages_text(body[key]) if isinstance(body[key], (list, str)) else text_of(body[key])
        return value
    choices = body.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        first = choices[0]
        message = first.get("message")
        if isinstance(message, dict) and message.get("content") is not None:
            return text_of(message["content"])
        if first.get("text") is not None:
            return text_of(first["text"])
    if isinstance(body.get("output_text"), str):
        return body["output_text"]
    output = body.get("output")
    if isinstance(output, list):  # Responses API: output items, the message ones hold output_text parts
        texts = [text_of(item.get("content")) for item in output if isinstance(item, dict) and item.get("type") == "message"]
        if texts:
            return "\n".join(t for t in texts if t)
    return value


def _first(attrs: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if attrs.get(key) is not None:
            return attrs[key]
    return None


_USED = {"gen_ai.response.model", "gen_ai.request.model", "gen_ai.operation.name", "gen_ai.usage.input_tokens",
         "gen_ai.usage.output_tokens", "gen_ai.usage.prompt_tokens", "gen_ai.usage.completion_tokens",
         "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.prompt", "gen_ai.completion", "llm.model_name",
         "llm.token_count.prompt", "llm.token_count.completion", "llm.request.type"}

"""OpenTelemetry GenAI spans exported as OTLP JSON (``{"resourceSpans": [...]}``, or one such
object per line as the collector's file exporter writes).

Spans with ``gen_ai.*`` attributes become rows: gen_ai.response.model (else request.model) ->
model, service.name -> run_id prefix, traceId -> request_id (the key to KPI logs), spanId ->
item_id, gen_ai.usage.input_tokens/output_tokens (or the older prompt_/completion_tokens) -> tokens,
end - start -> latency_ms, start -> timestamp, gen_ai.input.messages / gen_ai.output.messages (or
the gen_ai.user.message / gen_ai.choice events, or gen_ai.prompt / gen_ai.completion) -> input and
output, status ERROR -> ``otel_error`` = 1. Other spans and attributes are dropped. A span with no
end time did not finish (refused unless allow_incomplete=True).
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from ..._errors import DataError
from . import ImportNote, Imported, incomplete_error, load_json, messages_text, text_of


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


def _documents(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        return [load_json(path, "OTLP")]
    from ..readers import loads_strict

    return [loads_strict(line) for line in text.splitlines() if line.strip()]


def read(path: Path, *, allow_incomplete: bool = False) -> Imported:
    docs = _documents(path)
    if not all(isinstance(d, dict) and "resourceSpans" in d for d in docs):
        raise DataError(f"{path}: not OTLP JSON traces (expected 'resourceSpans'); export spans with the OTLP "
                        "JSON encoding (collector file exporter or OTLP/HTTP JSON)")
    dropped: Counter[str] = Counter()
    records, unfinished, index = [], 0, 0
    for doc in docs:
        for rs in doc["resourceSpans"]:
            resource = _attrs((rs.get("resource") or {}).get("attributes"))
            service = resource.get("service.name")
            for ss in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []:
                for span in ss.get("spans") or []:
                    index += 1
                    attrs = _attrs(span.get("attributes"))
                    if not any(k.startswith("gen_ai.") for k in attrs):
                        dropped["non-GenAI spans"] += 1
                        continue
                    start = int(span.get("startTimeUnixNano") or 0)
                    end = int(span.get("endTimeUnixNano") or 0)
                    if not end:
                        unfinished += 1
                        if not allow_incomplete:
                            continue
                    model = attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model") or "unknown"
                    rec: dict[str, Any] = {
                        "model": model, "run_id": f"{service}/{model}" if service else model,
                        "item_id": str(span.get("spanId")), "request_id": str(span.get("traceId")),
                        "otel_operation": attrs.get("gen_ai.operation.name"), "source_line": index,
                        "prompt_tokens": attrs.get("gen_ai.usage.input_tokens", attrs.get("gen_ai.usage.prompt_tokens")),
                        "completion_tokens": attrs.get("gen_ai.usage.output_tokens",
                                                       attrs.get("gen_ai.usage.completion_tokens")),
                    }
                    if start:
                        import datetime as dt

                        rec["timestamp"] = dt.datetime.fromtimestamp(start / 1e9, tz=dt.timezone.utc).isoformat()
                    if start and end:
                        rec["latency_ms"] = (end - start) / 1e6
                    rec["input"] = _messages(attrs.get("gen_ai.input.messages", attrs.get("gen_ai.prompt")))
                    rec["output"] = _messages(attrs.get("gen_ai.output.messages", attrs.get("gen_ai.completion")))
                    for event in span.get("events") or []:
                        eattrs = _attrs(event.get("attributes"))
                        name = event.get("name", "")
                        if name in ("gen_ai.user.message", "gen_ai.content.prompt") and rec["input"] is None:
                            rec["input"] = _messages(eattrs.get("content", eattrs.get("gen_ai.prompt")))
                        elif name in ("gen_ai.choice", "gen_ai.content.completion") and rec["output"] is None:
                            rec["output"] = _messages(eattrs.get("message", eattrs.get("content",
                                                                                        eattrs.get("gen_ai.completion"))))
                        else:
                            dropped["other span events"] += 1
                    rec["otel_error"] = 1.0 if (span.get("status") or {}).get("code") in (2, "STATUS_CODE_ERROR") else 0.0
                    extra = [k for k in attrs if k.startswith("gen_ai.") and k not in _USED]
                    if extra:
                        dropped["other gen_ai attributes"] += 1
                    records.append({k: v for k, v in rec.items() if v is not None})
    if unfinished and not allow_incomplete:
        raise incomplete_error(path, "OTLP trace", f"{unfinished} span(s) without an end time", len(records))
    note = ImportNote(str(path), "otel", "OTLP JSON, GenAI semconv", "complete" if not unfinished else "incomplete",
                      len(records), tuple(f"{k} ({n})" for k, n in sorted(dropped.items())))
    return Imported(records, note)


_USED = {"gen_ai.response.model", "gen_ai.request.model", "gen_ai.operation.name", "gen_ai.usage.input_tokens",
         "gen_ai.usage.output_tokens", "gen_ai.usage.prompt_tokens", "gen_ai.usage.completion_tokens",
         "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.prompt", "gen_ai.completion"}

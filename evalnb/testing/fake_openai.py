"""A real local HTTP server that speaks the OpenAI chat-completions protocol, with injectable faults.

It serves scripted judgments (deterministic from the request content: see ``_fake_judge``) for
evalnb's judge schemas, JSON-schema structured output, ``logprobs``/``top_logprobs`` and ``usage``;
without a ``response_format`` it acts as a *model under test* and answers in plain text. Faults
J01-J17 of docs/threat-model.md are switched on with :class:`Faults`.

>>> from evalnb.testing import FakeOpenAI, Faults
>>> with FakeOpenAI(faults=Faults(latency=0.05)) as server:        # doctest: +SKIP
...     cfg = evalnb.JudgeConfig(base_url=server.base_url, model="fake-judge", api_key="x")

Run it alone (for a notebook, a benchmark or the CLI)::

    python -m evalnb.testing.fake_openai --port 8765 --latency 0.1
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import re
import socket
import struct
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import _fake_judge as fj

REPLY_FAULTS = ("truncated", "invalid_json", "extra_field", "out_of_range", "bad_enum", "refusal", "empty",
                "null_content", "comma_strings")
_MARKER = re.compile(r"#fault=(\w+)")
_TOKEN = re.compile(r"\d{1,3}|[A-Za-z]+|\s+|[^\w\s]|\w")


@dataclass
class Faults:
    """Which faults the server injects. Transport faults hit the first ``fault_attempts`` attempts
    of a share of request keys (chosen by hash, so runs are deterministic); retries then succeed.

    Parameters
    ----------
    latency : seconds every call waits before answering.
    rate_limit, retry_after : share of keys answered 429 with ``Retry-After: retry_after`` (J01/J02).
    server_error : share of keys answered 500/502/503 (J03).
    reset : share of keys whose connection is dropped without a response (J03).
    stall, stall_s : share of keys that get headers, then a body that stalls ``stall_s`` s (J03).
    fault_attempts : attempts per key the transport faults hit (a large number: every attempt).
    status : answer every call with this HTTP status (400/401/404/422, J04).
    reply, reply_rate : a malformed reply (one of ``REPLY_FAULTS``) for a share of keys (J05-J08).
    markers : ``#fault=<reply fault>`` inside the request text triggers that reply fault.
    structured : honour ``response_format`` (False: ignore it, like servers without structured output).
    logprobs : return logprobs when asked (False: never, like LiteLLM and most local servers).
    per_attempt : transport faults hit each attempt independently at their rate (every attempt,
        not only a key's first ``fault_attempts``), like a busy endpoint.
    rpm, tpm : enforce a requests- and tokens-per-minute limit (token buckets of that capacity,
        refilled continuously; tokens = prompt + max_tokens, as OpenAI counts them), answer 429
        with ``Retry-After`` when exceeded, and send ``x-ratelimit-limit/remaining/reset-requests``
        and ``-tokens`` headers on every reply.
    """

    latency: float = 0.0
    rate_limit: float = 0.0
    retry_after: float | None = 1.0
    server_error: float = 0.0
    reset: float = 0.0
    stall: float = 0.0
    stall_s: float = 30.0
    fault_attempts: int = 1
    status: int | None = None
    reply: str | None = None
    reply_rate: float = 1.0
    markers: bool = True
    structured: bool = True
    logprobs: bool = True
    per_attempt: bool = False
    rpm: float | None = None
    tpm: float | None = None


class _Limit:
    """A server-side token bucket (capacity = the per-minute limit, refilled continuously)."""

    def __init__(self, per_minute: float):
        self.capacity = float(per_minute)
        self.level = float(per_minute)
        self.rate = float(per_minute) / 60.0
        self.t = time.monotonic()

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.t) * self.rate)
        self.t = now

    def short_by(self, n: float) -> float:
        """Seconds until ``n`` is available (0: available now)."""
        return max(0.0, (min(n, self.capacity) - self.level) / self.rate)

    def reset_s(self) -> float:
        return (self.capacity - self.level) / self.rate


def _fmt_reset(seconds: float) -> str:
    """OpenAI's reset format: "20ms", "1.5s", "6m0s"."""
    if seconds < 1:
        return f"{max(0, int(seconds * 1000))}ms"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m{rest:.0f}s" if minutes else f"{rest:.3g}s"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # listen() backlog: the default 5 drops SYNs at concurrency 32 (1 s retransmits)


@dataclass
class ServerStats:
    requests: int = 0
    paid: int = 0
    attempts_by_key: Counter = field(default_factory=Counter)
    paid_by_key: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    inflight: int = 0
    max_inflight: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    service_s: float = 0.0  # summed time from a request's arrival to its reply's last byte sent
    served: int = 0
    limited: int = 0        # 429s for exceeding rpm/tpm

    def as_dict(self) -> dict:
        return {"requests": self.requests, "paid": self.paid, "max_inflight": self.max_inflight,
                "statuses": dict(self.statuses), "paid_by_key": dict(self.paid_by_key),
                "duplicate_paid": sum(v - 1 for v in self.paid_by_key.values() if v > 1),
                "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "service_ms_mean": round(1000 * self.service_s / self.served, 3) if self.served else None,
                "limited": self.limited}


def request_key(body: dict) -> str:
    """What the server counts calls by: the request minus transport details."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:24]


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def _schema_of(body: dict, prompt: str, structured: bool) -> dict | None:
    fmt = body.get("response_format") or {}
    if structured and fmt.get("type") == "json_schema":
        return fmt["json_schema"].get("schema", {})
    # No structured output: evalnb puts the schema in the prompt after "JSON schema:".
    at = prompt.find("JSON schema:")
    if at < 0:
        return None
    start = prompt.find("{", at)
    try:
        schema, _ = json.JSONDecoder().raw_decode(prompt[start:])
    except ValueError:
        return None
    return schema if isinstance(schema, dict) else None


def _logprobs(content: str, dist: dict[str, float] | None, score: Any, top: int) -> dict:
    # The rating distribution sits on the token at the score's position (not an earlier equal digit).
    m = re.search(r'"score"\s*:\s*(\d+)', content) if dist else None
    at = m.start(1) if m else -1
    entries, offset = [], 0
    for tok in _TOKEN.findall(content):
        lp = -0.01
        tops = [{"token": tok, "logprob": lp, "bytes": list(tok.encode())}]
        if offset == at and tok == str(score):
            ranked = sorted(dist.items(), key=lambda kv: -kv[1])[:max(1, top)]
            tops = [{"token": t, "logprob": math.log(max(p, 1e-12)), "bytes": list(t.encode())} for t, p in ranked]
            lp = math.log(max(dist[tok], 1e-12))
        offset += len(tok)
        entries.append({"token": tok, "logprob": lp, "bytes": list(tok.encode()), "top_logprobs": tops[:max(1, top)]})
    return {"content": entries, "refusal": None}


def _corrupt(kind: str, obj: dict, content: str) -> tuple[str | None, str | None, str]:
    """(content, refusal, finish_reason) for a reply fault."""
    if kind == "truncated":
        return content[: max(1, len(content) // 2)], None, "length"
    if kind == "invalid_json":
        return content.rstrip("}") + ', "oops": ', None, "stop"
    if kind == "extra_field":
        return json.dumps({**obj, "confidence": 0.9}), None, "stop"
    if kind == "out_of_range":
        bad = dict(obj)
        key = "score" if "score" in bad else next(iter(bad), "score")
        bad[key] = 11 if key == "score" else 11.5
        return json.dumps(bad), None, "stop"
    if kind == "bad_enum":
        bad = dict(obj)
        for key in ("winner", "violation", "correct", "score"):
            if key in bad:
                bad[key] = "maybe"
                break
        return json.dumps(bad), None, "stop"
    if kind == "refusal":
        return None, "I'm sorry, I can't evaluate this content.", "stop"
    if kind == "empty":
        return "", None, "stop"
    if kind == "null_content":
        return None, None, "stop"
    if kind == "comma_strings":
        tricky = dict(obj)
        if "reasoning" in tricky:
            tricky["reasoning"] = "odd, } text, ] with {braces}, and [brackets, ]"
        return json.dumps(tricky), None, "stop"
    return content, None, "stop"


class FakeOpenAI:
    """The server. Use as a context manager (background thread on a free port) or start/stop it.

    Attributes: ``base_url`` (ends in ``/v1``), ``port``, ``faults`` (mutable), ``stats``.
    """

    def __init__(self, faults: Faults | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 model: str = "fake-judge"):
        self.faults = faults or Faults()
        self.stats = ServerStats()
        self.model = model
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._limits: dict[str, _Limit] = {}
        self._httpd = _Server((host, port), _make_handler(self))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "FakeOpenAI":
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes stalled handlers
        self._httpd.shutdown()
        self._httpd.server_close()

    def reset_stats(self) -> None:
        with self._lock:
            self.stats = ServerStats()

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- request logic ---------------------------------------------------------------------
    def _plan(self, body: dict) -> tuple[str, int]:
        key = request_key(body)
        with self._lock:
            self.stats.requests += 1
            self.stats.attempts_by_key[key] += 1
            attempt = self.stats.attempts_by_key[key]
        return key, attempt

    def _rate_limits(self, body: dict) -> tuple[dict[str, str], float | None]:
        """(x-ratelimit-* headers, None if the call may go, else seconds until it could)."""
        f = self.faults
        wanted = {"requests": (f.rpm, 1.0)}
        if f.tpm:
            prompt = sum(_tokens(str(m.get("content", ""))) + 4 for m in body.get("messages", []))
            wanted["tokens"] = (f.tpm, prompt + float(body.get("max_tokens") or body.get("max_completion_tokens") or 0))
        headers: dict[str, str] = {}
        wait = 0.0
        with self._lock:
            now = time.monotonic()
            buckets = {}
            for kind, (per_minute, need) in wanted.items():
                if not per_minute:
                    continue
                b = self._limits.get(kind)
                if b is None or b.capacity != float(per_minute):
                    b = self._limits[kind] = _Limit(per_minute)
                b.refill(now)
                buckets[kind] = (b, need)
                wait = max(wait, b.short_by(need))
            if wait <= 0:
                for b, need in buckets.values():
                    b.level -= min(need, b.capacity)
            else:
                self.stats.limited += 1
            for kind, (b, _) in buckets.items():
                headers[f"x-ratelimit-limit-{kind}"] = f"{b.capacity:g}"
                headers[f"x-ratelimit-remaining-{kind}"] = str(max(0, int(b.level)))
                headers[f"x-ratelimit-reset-{kind}"] = _fmt_reset(b.reset_s())
        return headers, (wait if wait > 0 else None)

    def answer(self, body: dict, key: str, attempt: int) -> tuple[int, dict[str, str], dict | None, str]:
        """(HTTP status, headers, JSON payload, transport action: '', 'reset' or 'stall')."""
        f = self.faults
        if f.status:
            return f.status, {}, {"error": {"message": f"fake error {f.status} for model {body.get('model')}",
                                            "type": "invalid_request_error", "code": str(f.status)}}, ""
        limit_headers: dict[str, str] = {}
        if f.rpm or f.tpm:
            limit_headers, wait = self._rate_limits(body)
            if wait is not None:
                headers = {**limit_headers, "retry-after-ms": str(max(1, math.ceil(wait * 1000))),
                           "retry-after": str(max(1, math.ceil(wait)))}
                return 429, headers, {"error": {"message": "Rate limit reached for requests/tokens per min",
                                                "type": "requests", "code": "rate_limit_exceeded"}}, ""
        early = attempt <= f.fault_attempts or f.per_attempt
        salt = (attempt,) if f.per_attempt else ()
        if early and f.rate_limit and fj.h("429", key, *salt) < f.rate_limit:
            headers = {"retry-after": f"{f.retry_after:g}"} if f.retry_after is not None else {}
            return 429, headers, {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}, ""
        if early and f.server_error and fj.h("5xx", key, *salt) < f.server_error:
            code = (500, 502, 503)[int(fj.h("code", key, attempt) * 3)]
            return code, {}, {"error": {"message": "upstream failure", "type": "server_error"}}, ""
        if early and f.reset and fj.h("reset", key, *salt) < f.reset:
            return 0, {}, None, "reset"
        if early and f.stall and fj.h("stall", key, *salt) < f.stall:
            return 200, {}, None, "stall"
        return 200, limit_headers, self.completion(body, key), ""

    def completion(self, body: dict, key: str) -> dict:
        f = self.faults
        messages = body.get("messages", [])
        prompt = "\n".join(m.get("content") if isinstance(m.get("content"), str) else json.dumps(m.get("content"))
                           for m in messages)
        salt = f"{body.get('temperature', 1)}|{body.get('seed')}|{body.get('model')}"
        schema = _schema_of(body, prompt, f.structured)
        dist, obj = None, None
        if schema is not None:
            obj, dist = fj.judge_json(str(schema.get("title", "")), schema, prompt, salt)
            content: str | None = json.dumps(obj, ensure_ascii=False)
        else:
            content = fj.generate_text(messages[-1].get("content", "") if messages else "", salt)
        refusal, finish = None, "stop"
        kind = None
        if f.markers:
            m = _MARKER.search(prompt)
            kind = m.group(1) if m and m.group(1) in REPLY_FAULTS else None
        if kind is None and f.reply and fj.h("reply", key) < f.reply_rate:
            kind = f.reply
        if kind:
            content, refusal, finish = _corrupt(kind, obj or {"text": content}, content or "")
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
        if content and max_tokens and _tokens(content) > max_tokens:
            content, finish = content[: max_tokens * 4], "length"
        lp = None
        if body.get("logprobs") and f.logprobs and content:
            lp = _logprobs(content, dist if kind is None else None, (obj or {}).get("score"), int(body.get("top_logprobs") or 0))
        p_tok, c_tok = sum(_tokens(str(m.get("content", ""))) + 4 for m in messages), _tokens(content or refusal or "")
        with self._lock:
            self.stats.paid += 1
            self.stats.paid_by_key[key] += 1
            self.stats.prompt_tokens += p_tok
            self.stats.completion_tokens += c_tok
        return {"id": f"chatcmpl-{key[:12]}", "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", self.model), "system_fingerprint": "fp_fake",
                "choices": [{"index": 0, "finish_reason": finish, "logprobs": lp,
                             "message": {"role": "assistant", "content": content, "refusal": refusal}}],
                "usage": {"prompt_tokens": p_tok, "completion_tokens": c_tok, "total_tokens": p_tok + c_tok}}


def _make_handler(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def setup(self) -> None:
            super().setup()
            # Small replies: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms per call.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self._headers_buffer.append(b"\r\n")
            self._headers_buffer.append(data)  # headers and body in one write
            self.flush_headers()

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._send(200, {"object": "list", "data": [{"id": server.model, "object": "model"}]})
            elif self.path.startswith("/_fake/stats"):
                with server._lock:
                    self._send(200, server.stats.as_dict())
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            t_arrived = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.startswith("/_fake/faults"):
                server.faults = Faults(**json.loads(raw or b"{}"))
                self._send(200, dataclasses.asdict(server.faults))
                return
            if self.path.startswith("/_fake/reset"):
                server.reset_stats()
                self._send(200, {})
                return
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self._send(400, {"error": {"message": "body is not JSON"}})
                return
            key, attempt = server._plan(body)
            with server._lock:
                server.stats.inflight += 1
                server.stats.max_inflight = max(server.stats.max_inflight, server.stats.inflight)
            try:
                status, headers, payload, action = server.answer(body, key, attempt)
                if server.faults.latency:
                    # The reply leaves `latency` s after the request arrived: our own parsing and
                    # the scripted judgment happen inside that time, as a real model's would.
                    server._stop.wait(max(0.0, server.faults.latency - (time.monotonic() - t_arrived)))
                with server._lock:
                    server.stats.statuses[action or str(status)] += 1
                if action == "reset":
                    # RST instead of FIN: the client sees a connection reset.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                if action == "stall":  # slow-loris: headers, then nothing
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.flush()
                    server._stop.wait(server.faults.stall_s)
                    self.close_connection = True
                    return
                with server._lock:  # counted before the reply leaves, so a client reading stats sees it
                    server.stats.service_s += time.monotonic() - t_arrived
                    server.stats.served += 1
                self._send(status, payload, headers)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            finally:
                with server._lock:
                    server.stats.inflight -= 1

    return Handler


def fetch_stats(base_url: str) -> dict:
    """Stats of a server running in another process (``GET /_fake/stats``)."""
    import httpx

    root = base_url.rsplit("/v1", 1)[0]
    return httpx.get(f"{root}/_fake/stats", timeout=10).json()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="fake OpenAI-compatible server for evalnb tests and demos",
                                     allow_abbrev=False)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=float, default=0.0)
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--per-attempt", action="store_true", help="faults hit every attempt at their rate")
    parser.add_argument("--rpm", type=float, help="enforce a requests-per-minute limit (x-ratelimit-* headers)")
    parser.add_argument("--tpm", type=float, help="enforce a tokens-per-minute limit")
    parser.add_argument("--no-logprobs", action="store_true", help="never send logprobs (like LiteLLM)")
    args = parser.parse_args(argv)
    # One handler thread per connection: a shorter GIL switch interval keeps threads that wake
    # from their latency wait from queueing 5 ms each behind busy ones (a standalone server only).
    sys.setswitchinterval(0.0005)
    server = FakeOpenAI(Faults(latency=args.latency, rate_limit=args.rate_limit, retry_after=args.retry_after,
                               per_attempt=args.per_attempt, rpm=args.rpm, tpm=args.tpm, logprobs=not args.no_logprobs),
                        port=args.port)
    print(server.base_url, flush=True)
    try:
        server._httpd.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:  # pragma: no cover
        pass


if __name__ == "__main__":  # pragma: no cover
    main()

"""The judge engine: async calls through the ``openai`` SDK, bounded retries, cache and journal.

Every model call of evalnb (judging and ``evalnb.generate``) goes through :class:`JudgeEngine`:

* ``AsyncOpenAI`` with an explicit timeout and ``max_retries=0``; our own bounded retry loop
  retries 429 (honouring ``Retry-After`` up to ``retry_after_cap``), 5xx, timeouts and dropped
  connections, and never retries 400/401/404/422 (docs/threat-model.md J01-J04);
* an adaptive concurrency limit: 429s halve the in-flight limit, successes grow it back;
* a per-attempt deadline (``timeout`` + 0.5 s) even against a server that trickles bytes;
* a journal that is also the cache (:mod:`.journal`): a finished call is on disk before the next
  line of Python runs; a resumed run makes no call whose reply is already there;
* usable from scripts (``judge``) and from a running Jupyter loop (``await ajudge``; ``judge``
  runs its own loop in a worker thread when one is already running, J17).

>>> cfg = JudgeConfig(base_url="http://localhost:8000/v1", model="qwen2.5-7b-instruct")   # doctest: +SKIP
>>> results = JudgeEngine(cfg).judge([JudgeRequest.user("Say hi")])                       # doctest: +SKIP
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import dataclasses
import gc
import hashlib
import threading
import json
import os
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence, TypeVar
from urllib.parse import urlparse

import pydantic_core
from pydantic import BaseModel

from ..._deps import require
from ..._display import summary_text
from ..._errors import ConfigError, EvalnbWarning, JudgeError
from .journal import Journal
from .parsing import _json_schema_text, json_schema, parse_reply

T = TypeVar("T")
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_CACHE_DIR = ".evalnb-cache/judge"
# USD per million tokens (input, output), for the dry-run estimate; pass `prices=` for yours.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00), "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60), "gpt-4.1-nano": (0.10, 0.40),
}
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal")


class JudgeReplyWarning(EvalnbWarning):
    """Some judge replies were not usable (parse_error, refusal, api_error...); they are excluded."""


@dataclass(frozen=True)
class JudgeConfig:
    """How to reach the judge and how to sample it. Fields that change answers go into cache keys
    and signatures; the API key never does.

    Parameters
    ----------
    model : judge model name (default ``$EVALNB_JUDGE_MODEL``).
    base_url : any OpenAI-compatible endpoint (default ``$OPENAI_BASE_URL``, then OpenAI).
    api_key : default ``$OPENAI_API_KEY``; for a local ``base_url`` without a key, "EMPTY".
    concurrency : most calls in flight; timeout : seconds per attempt (enforced as a deadline).
    max_attempts : attempts per call for errors other than rate limits; retry_after_cap : longest
        Retry-After we wait (s); a longer one ends the call as ``api_error:rate_limited`` with the
        hint kept. rate_limit_budget : seconds one call may keep retrying rate limits (429s do not
        count against ``max_attempts``: calls are paced to the endpoint's ``x-ratelimit-*`` headers
        by a token bucket shared by every call to that endpoint, and retried until this budget).
    temperature, top_p, max_tokens, seed : sampling settings sent to the endpoint.
    logprobs, top_logprobs : ask for token logprobs (G-Eval expected scores).
    structured : send the JSON schema as ``response_format`` (False: schema in the prompt and
        strict parsing of the reply, for servers without structured output).
    cache_dir : folder of the journal/cache (default ``.evalnb-cache/judge``); fsync : fsync each line.
    prices : USD per million (input, output) tokens; default from a small table, 0 for local hosts.
    """

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False, compare=False)
    concurrency: int = 8
    timeout: float = 60.0
    max_attempts: int = 6
    retry_after_cap: float = 60.0
    rate_limit_budget: float = 900.0
    backoff: float = 0.5
    backoff_max: float = 8.0
    temperature: float = 0.0
    top_p: float | None = None
    max_tokens: int = 512
    seed: int | None = None
    logprobs: bool = True
    top_logprobs: int = 5
    structured: bool = True
    cache_dir: str | None = None
    fsync: bool = False
    prices: tuple[float, float] | None = None
    progress: bool = True

    def resolved(self) -> "JudgeConfig":
        """With environment defaults filled in (the SDK's variables plus ``EVALNB_JUDGE_MODEL``)."""
        model = self.model or os.environ.get("EVALNB_JUDGE_MODEL")
        if not model:
            raise ConfigError("no judge model: pass model='...' (e.g. JudgeConfig(model='gpt-4o-mini', "
                              "base_url=...)) or set EVALNB_JUDGE_MODEL")
        base_url = (self.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        if self.concurrency < 1 or self.timeout <= 0 or self.max_attempts < 1:
            raise ConfigError(f"judge settings out of range: concurrency={self.concurrency} (>=1), "
                              f"timeout={self.timeout} (>0), max_attempts={self.max_attempts} (>=1)")
        return dataclasses.replace(self, model=model, base_url=base_url)

    @property
    def host(self) -> str:
        return urlparse(self.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).netloc

    def sampling(self) -> dict[str, Any]:
        """The settings that change the answer (part of every cache key and signature)."""
        return {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens,
                "seed": self.seed, "logprobs": self.logprobs,
                "top_logprobs": self.top_logprobs if self.logprobs else None, "structured": self.structured}

    def signature(self) -> str:
        cfg = self.resolved()
        parts = [f"judge:{cfg.model}@{cfg.host}"] + [f"{k}:{_fmt(v)}" for k, v in sorted(cfg.sampling().items())]
        return "|".join(parts)

    def price(self) -> tuple[float, float] | None:
        if self.prices is not None:
            return tuple(self.prices)  # type: ignore[return-value]
        if urlparse(self.base_url or "").hostname in _LOCAL_HOSTS:
            return (0.0, 0.0)
        return PRICES.get(self.model or "")

    def key_secret(self) -> bytes:
        """The secret nonces are HMACs under: derived from the user's evalnb secret, kept outside
        any project (see :func:`.journal.user_secret`), so nonces are unpredictable to the evaluated
        model and to whoever ships a cache folder, yet stable across a resume."""
        import hmac

        from .journal import user_secret

        return hmac.new(user_secret(), b"evalnb judge nonce v2", hashlib.sha256).hexdigest().encode()


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "none" if value is None else str(value)


@dataclass(frozen=True)
class JudgeRequest:
    """One call: chat messages, the reply schema (None: free text) and what else keys the cache."""

    messages: tuple[tuple[str, str], ...]
    schema: type[BaseModel] | None = None
    rubric_version: str = ""
    replicate: int = 0

    @classmethod
    def of(cls, messages: Sequence[dict[str, str]], schema: type[BaseModel] | None = None, *,
           rubric_version: str = "", replicate: int = 0) -> "JudgeRequest":
        return cls(tuple((m["role"], m["content"]) for m in messages), schema, rubric_version, replicate)

    @classmethod
    def user(cls, text: str, **kwargs: Any) -> "JudgeRequest":
        return cls.of([{"role": "user", "content": text}], **kwargs)

    def message_dicts(self) -> list[dict[str, str]]:
        return [{"role": r, "content": c} for r, c in self.messages]

    def schema_json(self) -> dict | None:
        return json_schema(self.schema) if self.schema is not None else None

    def key(self, cfg: JudgeConfig) -> str:
        blob = {"endpoint": cfg.base_url, "model": cfg.model, "messages": self.messages, "sampling": cfg.sampling(),
                "schema": _json_schema_text(self.schema) if self.schema is not None else None,
                "rubric": self.rubric_version, "replicate": self.replicate}
        return hashlib.sha256(json.dumps(blob, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class JudgeResult:
    """One finished call. ``value`` is the validated reply (or ``{"text": ...}`` for free text)."""

    key: str
    status: str
    value: dict | None
    text: str | None
    error: str = ""
    refusal: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    latency_ms: float = 0.0
    attempts: int = 0
    waited_s: float = 0.0
    cached: bool = False
    logprobs: list | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class RunStats:
    """What one engine run did: calls made, cache hits, retries, peak concurrency, time."""

    requests: int
    unique: int
    cache_hits: int
    calls: int
    attempts: int
    statuses: dict
    wall_s: float
    peak_inflight: int
    limit_trace: tuple = ()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @summary_text
    def summary(self) -> str:
        return (f"{self.requests} requests ({self.unique} unique): {self.cache_hits} from cache, {self.calls} called "
                f"({self.attempts} attempts) in {self.wall_s:.1f} s; peak in flight {self.peak_inflight}; "
                f"tokens {self.prompt_tokens}+{self.completion_tokens}; cost ${self.cost_usd:.4f}; statuses {self.statuses}")


class _Limiter:
    """Concurrency limit that halves on 429 and grows back by one per `limit` successes (AIMD).

    First come, first served: a release hands its slot straight to the oldest waiter, so a
    thousand queued calls cost one future each and no wake-up storm (a Condition wakes and
    re-locks every candidate).
    """

    def __init__(self, limit: int):
        self.max = self.limit = limit
        self.inflight = self.peak = self._ok = 0
        self._waiters: collections.deque[asyncio.Future] = collections.deque()
        self.trace: list[tuple[float, int]] = []

    async def acquire(self) -> None:
        if self.inflight < self.limit and not self._waiters:
            self._take()
            return
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut  # resolved by `_hand_over`, which took the slot on our behalf
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.inflight -= 1  # the slot was ours already: give it back
                self._hand_over()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(fut)
            raise

    def release(self, outcome: str) -> None:
        self.inflight -= 1
        if outcome == "rate_limited":
            if self.limit > 1:
                self.limit = max(1, self.limit // 2)
                self.trace.append((time.monotonic(), self.limit))
            self._ok = 0
        elif outcome == "ok" and self.limit < self.max:
            self._ok += 1
            if self._ok >= self.limit:
                self.limit += 1
                self._ok = 0
                self.trace.append((time.monotonic(), self.limit))
        self._hand_over()

    def _take(self) -> None:
        self.inflight += 1
        if self.inflight > self.peak:
            self.peak = self.inflight

    def _hand_over(self) -> None:
        while self._waiters and self.inflight < self.limit:
            fut = self._waiters.popleft()
            if not fut.done():
                self._take()
                fut.set_result(None)


def _retry_after(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def _duration(text: Any) -> float | None:
    """Seconds from an ``x-ratelimit-reset-*`` value: "1s", "6m0s", "20ms", "1h2m3.5s" or a number."""
    if text is None:
        return None
    text = str(text).strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(a + b for a, b in parts) != text.replace(" ", ""):
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(a) * scale[b] for a, b in parts)


class _Bucket:
    """A token bucket learned from the endpoint: capacity = the per-minute limit, refilled
    continuously at limit/60 per second; None capacity = no limit seen yet."""

    def __init__(self) -> None:
        self.capacity: float | None = None
        self.level = 0.0
        self.rate = 0.0
        self.t = time.monotonic()

    def _refill(self, now: float) -> None:
        if self.capacity is not None:
            self.level = min(self.capacity, self.level + (now - self.t) * self.rate)
        self.t = now

    def wait(self, n: float, now: float) -> float:
        if self.capacity is None:
            return 0.0
        self._refill(now)
        n = min(n, self.capacity)
        return 0.0 if self.level >= n else (n - self.level) / self.rate

    def take(self, n: float) -> None:
        if self.capacity is not None:
            self.level -= min(n, self.capacity)

    def observe(self, limit: Any, remaining: Any, now: float, others: int = 0) -> None:
        """Sync to a reply's headers; ``others`` = calls sent since that one (not in its count)."""
        try:
            limit_f, remaining_f = float(limit), float(remaining)
        except (TypeError, ValueError):
            return
        if limit_f <= 0:
            return
        self._refill(now)
        # The header is the server's count when that call arrived, floored; calls sent after it
        # are not in it. +1 undoes the floor, so pacing is not pulled below the limit each reply.
        target = remaining_f + 1.0 - others
        if self.capacity is None:
            self.level = target
        self.capacity, self.rate = limit_f, limit_f / 60.0
        self.level = min(self.level, target)  # the server's count wins where it is lower


class _RateGate:
    """Paces every call to one endpoint to its advertised limits (``x-ratelimit-limit/remaining-
    requests`` and ``-tokens``), and holds all calls while a real limit is exhausted (a 429 that
    says remaining 0, until ``Retry-After`` / ``x-ratelimit-reset-*``). Shared across engines and
    event loops in this process (state under a thread lock; waiting is ``asyncio.sleep``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests, self.tokens = _Bucket(), _Bucket()
        self.paused_until = 0.0
        self.outstanding = 0   # sent, reply not yet seen

    def try_acquire(self, tokens: float) -> float:
        """Take one request and ``tokens`` now (returns 0), or say how many seconds to wait first."""
        with self.lock:
            now = time.monotonic()
            wait = max(self.paused_until - now, self.requests.wait(1, now), self.tokens.wait(tokens, now))
            if wait <= 0:
                self.requests.take(1)
                self.tokens.take(tokens)
                self.outstanding += 1
                return 0.0
            return wait

    async def acquire(self, tokens: float) -> float:
        waited = 0.0
        while True:
            wait = self.try_acquire(tokens)
            if wait <= 0:
                return waited
            step = min(wait, 1.0)
            waited += step
            await asyncio.sleep(step)

    def observe(self, headers: Any) -> None:
        """One reply came back (call exactly once per acquire); sync to its headers if any."""
        with self.lock:
            self.outstanding = max(0, self.outstanding - 1)
            if headers is None:
                return
            get, now, others = headers.get, time.monotonic(), self.outstanding
            self.requests.observe(get("x-ratelimit-limit-requests"), get("x-ratelimit-remaining-requests"), now, others)
            self.tokens.observe(get("x-ratelimit-limit-tokens"), get("x-ratelimit-remaining-tokens"), now, others)

    def exhausted(self, headers: Any, retry_after: float | None) -> float | None:
        """On a 429: seconds to hold every call when the headers say a limit is used up, else None."""
        if headers is None:
            return None
        waits = []
        for kind in ("requests", "tokens"):
            remaining = headers.get(f"x-ratelimit-remaining-{kind}")
            try:
                if remaining is not None and float(remaining) < 1:
                    reset = _duration(headers.get(f"x-ratelimit-reset-{kind}"))
                    waits.append(retry_after if retry_after is not None else (reset or 1.0))
            except ValueError:
                continue
        if not waits:
            return None
        hold = max(waits)
        with self.lock:
            self.paused_until = max(self.paused_until, time.monotonic() + hold)
            for bucket in (self.requests, self.tokens):
                bucket.level = min(bucket.level, 0.0)
        return hold


_GATES: dict[str, _RateGate] = {}
_GATES_LOCK = threading.Lock()
_CLUSTER_GATE: Any = None  # a Ray actor holding every endpoint's _RateGate for a cluster run (see use_cluster_gate)
_RATE_HEADERS = ("x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
                 "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens")


def use_cluster_gate(handle: Any) -> None:
    """Pace this process's judge calls through one gate shared by every worker of a cluster.

    ``handle`` is a Ray actor exposing ``try_acquire/observe/exhausted(name, ...)`` over one
    :class:`_RateGate` per endpoint (``evalnb.metrics.distributed.JudgeGate``); ``None`` goes back to
    the per-process gates. ``score(engine="ray")`` installs it in every scoring actor, so N workers
    keep to one endpoint's limits together instead of each believing it has them all.
    """
    global _CLUSTER_GATE
    _CLUSTER_GATE = handle


class _ClusterGate:
    """:class:`_RateGate`'s interface, with the state in the cluster's gate actor."""

    def __init__(self, handle: Any, name: str) -> None:
        self.handle, self.name = handle, name

    async def acquire(self, tokens: float) -> float:
        waited = 0.0
        while True:
            wait = await self.handle.try_acquire.remote(self.name, tokens)
            if wait <= 0:
                return waited
            step = min(wait, 1.0)
            waited += step
            await asyncio.sleep(step)

    @staticmethod
    def _headers(headers: Any) -> dict | None:
        if headers is None:
            return None
        return {h: headers.get(h) for h in _RATE_HEADERS if headers.get(h) is not None}

    def observe(self, headers: Any) -> None:
        self.handle.observe.remote(self.name, self._headers(headers))   # fire and forget: nothing waits on it

    def exhausted(self, headers: Any, retry_after: float | None) -> float | None:
        import ray

        return ray.get(self.handle.exhausted.remote(self.name, self._headers(headers), retry_after))


def _gate_for(base_url: str, model: str) -> _RateGate:
    name = f"{base_url}|{model}"
    if _CLUSTER_GATE is not None:
        return _ClusterGate(_CLUSTER_GATE, name)
    with _GATES_LOCK:
        return _GATES.setdefault(name, _RateGate())


_STATUS_KIND = {400: "bad_request", 401: "auth", 403: "auth", 404: "not_found", 422: "unprocessable"}


_GC_LOCK = threading.Lock()
_GC_HOLDERS = 0
_GC_SAVED: tuple[int, ...] = ()


@contextlib.contextmanager
def _quiet_gc():
    """Fewer, cheaper garbage collections while calls are in flight.

    Each call makes many short-lived objects, so the collector runs often, and a full collection
    walks the whole heap (in a notebook: every DataFrame, model and widget) while no reply is
    read: a tail of 100+ ms per call at high concurrency. Objects that exist before the run are
    frozen (ignored by collections, ``gc.freeze``) and young collections are rarer; both are
    undone when the last concurrent run ends, so nothing is leaked, only collected later.
    """
    global _GC_HOLDERS, _GC_SAVED
    with _GC_LOCK:
        if _GC_HOLDERS == 0:
            _GC_SAVED = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(max(_GC_SAVED[0], 50_000), *_GC_SAVED[1:])
        _GC_HOLDERS += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_HOLDERS -= 1
            if _GC_HOLDERS == 0:
                gc.unfreeze()
                gc.set_threshold(*_GC_SAVED)


def run_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine from sync code, also when an event loop is already running (Jupyter, J17):
    then it runs on its own loop in a worker thread and this call blocks until it is done."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="evalnb-judge") as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


class JudgeEngine:
    """Cached, journaled, rate-limit-aware calls to an OpenAI-compatible endpoint.

    >>> engine = JudgeEngine(JudgeConfig(model="gpt-4o-mini"))                # doctest: +SKIP
    >>> [r.status for r in engine.judge([JudgeRequest.user("2+2? one word")])] # doctest: +SKIP
    ['ok']
    """

    def __init__(self, config: JudgeConfig | None = None, **overrides: Any):
        self.config = dataclasses.replace(config or JudgeConfig(), **overrides).resolved()
        cache_dir = Path(self.config.cache_dir or DEFAULT_CACHE_DIR)
        self.journal = _journal_for(cache_dir / "judge-journal.jsonl", self.config.fsync)
        self.last_stats: RunStats | None = None

    # -- public ----------------------------------------------------------------------------
    def judge(self, requests: Sequence[JudgeRequest], *, progress: bool | None = None) -> list[JudgeResult]:
        """Results in request order (sync; safe inside Jupyter, see :func:`run_sync`)."""
        return run_sync(lambda: self.ajudge(requests, progress=progress))

    async def ajudge(self, requests: Sequence[JudgeRequest], *, progress: bool | None = None) -> list[JudgeResult]:
        """Results in request order (``await`` it in a notebook)."""
        from tqdm.auto import tqdm

        t0 = time.monotonic()
        keys = [r.key(self.config) for r in requests]
        unique: dict[str, JudgeRequest] = {}
        for k, r in zip(keys, requests):
            unique.setdefault(k, r)
        done: dict[str, JudgeResult] = {}
        todo = []
        for k, r in unique.items():
            rec = self.journal.get(k)
            if rec is not None:
                done[k] = self._result(rec, r, cached=True)
            else:
                todo.append((k, r))
        limiter = _Limiter(self.config.concurrency)
        show = self.config.progress if progress is None else progress
        if todo:
            client = self._client()
            bar = tqdm(total=len(todo), desc="judge calls", disable=not show or len(todo) < 20, leave=False)
            try:
                async def one(k: str, r: JudgeRequest) -> None:
                    done[k] = await self._call(client, limiter, k, r)
                    bar.update(1)

                with _quiet_gc():
                    await asyncio.gather(*(one(k, r) for k, r in todo))
            finally:
                bar.close()
                await client.close()
                self.journal.sync()
        results = [done[k] for k in keys]
        fresh = [done[k] for k, _ in todo if not done[k].cached]  # cached: another process paid for it
        statuses: dict[str, int] = {}
        for res in results:
            statuses[res.status] = statuses.get(res.status, 0) + 1
        self.last_stats = RunStats(
            requests=len(requests), unique=len(unique), cache_hits=len(unique) - len(fresh), calls=len(fresh),
            attempts=sum(r.attempts for r in fresh), statuses=statuses, wall_s=time.monotonic() - t0,
            peak_inflight=limiter.peak, limit_trace=tuple(limiter.trace),
            prompt_tokens=sum(r.prompt_tokens for r in fresh), completion_tokens=sum(r.completion_tokens for r in fresh),
            cost_usd=float(sum(r.cost_usd or 0.0 for r in fresh)))
        return results

    def estimate(self, requests: Sequence[JudgeRequest], *, completion_tokens: int | None = None):
        """Dry run: what judging ``requests`` would cost (no call is made). See :mod:`.cost`."""
        from .cost import estimate_cost

        return estimate_cost(self, requests, completion_tokens=completion_tokens)

    # -- internals -------------------------------------------------------------------------
    def _client(self) -> Any:
        openai = self._openai = require("openai", "LLM-judge metrics")
        import httpx

        self._httpx = httpx
        cfg = self.config
        key = cfg.api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            if urlparse(cfg.base_url).hostname in _LOCAL_HOSTS or cfg.base_url != DEFAULT_BASE_URL:
                key = "EMPTY"  # vLLM / Ollama / llama.cpp accept any key
            else:
                raise ConfigError("no API key for the OpenAI endpoint: set OPENAI_API_KEY or pass api_key=...")
        # max_retries=0: the SDK's own retries would hide attempts from the journal and ignore our cap.
        return openai.AsyncOpenAI(base_url=cfg.base_url, api_key=key, timeout=cfg.timeout, max_retries=0,
                                  http_client=_http_client(openai))

    def _params(self, req: JudgeRequest) -> dict[str, Any]:
        cfg = self.config
        params: dict[str, Any] = {"model": cfg.model, "messages": req.message_dicts(), "temperature": cfg.temperature,
                                  "max_tokens": cfg.max_tokens}
        if cfg.top_p is not None:
            params["top_p"] = cfg.top_p
        seed = cfg.seed if req.replicate == 0 else (cfg.seed or 0) + req.replicate
        if seed is not None:
            params["seed"] = seed
        if cfg.logprobs:
            params["logprobs"] = True
            params["top_logprobs"] = cfg.top_logprobs
        if req.schema is not None and cfg.structured:
            params["response_format"] = {"type": "json_schema", "json_schema": {
                "name": req.schema.__name__, "schema": req.schema_json(), "strict": True}}
        return params

    async def _call(self, client: Any, limiter: _Limiter, key: str, req: JudgeRequest) -> JudgeResult:
        # Claim the key across processes sharing this cache (issue 13.12): whoever holds the claim
        # calls; the others wait, then find the reply in the journal and pay nothing.
        async with _claim(self.journal, key):
            self.journal.refresh()
            rec = self.journal.get(key)
            if rec is not None:
                return self._result(rec, req, cached=True)
            return await self._call_claimed(client, limiter, key, req)

    async def _call_claimed(self, client: Any, limiter: _Limiter, key: str, req: JudgeRequest) -> JudgeResult:
        openai = self._openai
        cfg = self.config
        body = json.dumps(self._params(req), ensure_ascii=False).encode("utf-8", "surrogatepass")
        cost = len(body) / 4 + cfg.max_tokens  # what an endpoint counts against a tokens-per-minute limit
        gate = _gate_for(cfg.base_url, cfg.model)
        rng: random.Random | None = None
        attempts, limited, waited, t_start = 0, 0, 0.0, time.monotonic()
        while True:
            attempts += 1
            kind, detail, retry_after, headers = "", "", None, None
            await limiter.acquire()   # a slot first, so only calls about to be sent take pacing tokens
            try:
                waited += await gate.acquire(cost)
            except BaseException:
                limiter.release("cancelled")
                raise
            t_attempt = time.monotonic()
            outcome = "error"
            try:
                async with asyncio.timeout(cfg.timeout + 0.5):
                    # The SDK's documented low-level `post` (same auth, headers and typed errors as
                    # `chat.completions.create`): the typed path re-validates every parameter
                    # recursively and builds objects for every logprob, ~3-4 ms of CPU per call,
                    # the main client-side cost at high concurrency. The body goes as JSON bytes
                    # encoded once (a retry resends them); the reply is read as raw JSON, lenient
                    # to servers whose optional fields differ (vLLM, Ollama, llama.cpp).
                    # cast_to=httpx.Response: the raw reply, for its x-ratelimit-* headers.
                    raw = await client.post("/chat/completions", content=body, cast_to=self._httpx.Response)
                    headers = raw.headers
                    resp = _loads((await raw.aread()).decode("utf-8", "surrogateescape"))
                outcome = "ok"
            except openai.RateLimitError as exc:
                headers = exc.response.headers
                kind, detail, retry_after = "rate_limited", str(exc), _retry_after(headers)
            except openai.APIStatusError as exc:
                code = exc.status_code
                kind = "server_error" if code >= 500 or code in (408, 409) else _STATUS_KIND.get(code, "client_error")
                detail = f"HTTP {code}: {exc.message}"
            except (openai.APITimeoutError, TimeoutError):
                kind, detail = "timeout", f"no complete reply within {cfg.timeout:g} s"
            except openai.APIConnectionError as exc:
                kind, detail = "connection", f"{exc.message} ({type(exc.__cause__).__name__ if exc.__cause__ else 'no cause'})"
            except (openai.APIResponseValidationError, ValueError) as exc:
                kind, detail = "bad_response", f"the endpoint's reply is not chat-completion JSON: {exc}"
            finally:
                gate.observe(headers)
                limiter.release(outcome if outcome == "ok" else kind)
            if outcome == "ok":
                return self._finish(key, req, resp, attempts, waited, t_attempt)
            retryable = kind in ("rate_limited", "server_error", "timeout", "connection")
            where = f"endpoint {cfg.base_url}, model {cfg.model}"
            if not retryable:
                return self._fail(key, kind, f"{detail} ({where}); not retried: fix the request, key, URL or model",
                                  attempts, waited, t_start)
            if kind == "rate_limited" and retry_after is not None and retry_after > cfg.retry_after_cap:
                return self._fail(key, kind, f"{detail} ({where}); Retry-After {retry_after:g} s exceeds "
                                  f"retry_after_cap={cfg.retry_after_cap:g} s: run again later (cached replies are kept)",
                                  attempts, waited, t_start)
            rng = rng or random.Random(key)
            if kind == "rate_limited":
                # Rate limits are retried until a time budget, not a count: a busy endpoint answers
                # 429 to any attempt. A 429 that says the limit is used up holds every call.
                limited += 1
                elapsed = time.monotonic() - t_start
                hold = gate.exhausted(headers, retry_after)
                delay = hold if hold is not None else (max(retry_after, 0.0) if retry_after is not None else
                                                       min(cfg.backoff_max, cfg.backoff * 2 ** (limited - 1)))
                delay += rng.random() * 0.05
                if elapsed + delay > cfg.rate_limit_budget:
                    return self._fail(key, kind, f"{detail} ({where}); still rate-limited after {elapsed:.0f} s and "
                                      f"{limited} tries (rate_limit_budget={cfg.rate_limit_budget:g} s)",
                                      attempts, waited, t_start)
            else:
                if attempts - limited >= cfg.max_attempts:   # 429s are not counted here
                    return self._fail(key, kind, f"{detail} ({where}); gave up after {attempts} attempts", attempts,
                                      waited, t_start)
                delay = min(cfg.backoff_max, cfg.backoff * 2 ** (attempts - 1)) * (0.5 + rng.random() / 2)
            waited += delay
            await asyncio.sleep(delay)

    def _finish(self, key: str, req: JudgeRequest, resp: Any, attempts: int, waited: float, t_start: float) -> JudgeResult:
        resp = resp if isinstance(resp, dict) else {}
        choice = (resp.get("choices") or [{}])[0] or {}
        msg = choice.get("message") or {}
        content_lp = (choice.get("logprobs") or {}).get("content") if isinstance(choice.get("logprobs"), dict) else None
        lp = _compact_logprobs(content_lp) if content_lp else None
        usage = resp.get("usage") or {}
        record = {"key": key, "status": "", "text": msg.get("content"), "refusal": msg.get("refusal"),
                  "finish_reason": choice.get("finish_reason"),
                  "prompt_tokens": int(usage.get("prompt_tokens") or 0),
                  "completion_tokens": int(usage.get("completion_tokens") or 0),
                  "latency_ms": round((time.monotonic() - t_start) * 1000, 1), "attempts": attempts,
                  "waited_s": round(waited, 3), "logprobs": lp, "model": resp.get("model") or self.config.model,
                  "t": time.time()}
        if not isinstance(record["text"], (str, type(None))):
            record["text"] = json.dumps(record["text"])
        parsed = parse_reply(req.schema, record["text"], refusal=record["refusal"],
                             finish_reason=record["finish_reason"], lenient_extract=not self.config.structured)
        record["status"] = parsed[0]
        self.journal.append(record)
        return self._result(record, req, cached=False, parsed=parsed)

    def _fail(self, key: str, kind: str, error: str, attempts: int, waited: float, t_start: float) -> JudgeResult:
        record = {"key": key, "status": f"api_error:{kind}", "text": None, "error": error, "attempts": attempts,
                  "waited_s": round(waited, 3), "latency_ms": round((time.monotonic() - t_start) * 1000, 1),
                  "model": self.config.model, "t": time.time()}
        self.journal.append(record)  # journaled for the audit trail; never used as a cache entry
        return JudgeResult(key=key, status=record["status"], value=None, text=None, error=error, attempts=attempts,
                           waited_s=record["waited_s"], latency_ms=record["latency_ms"])

    def _result(self, rec: dict, req: JudgeRequest, *, cached: bool,
                parsed: tuple[str, dict | None, str] | None = None) -> JudgeResult:
        status, value, error = parsed or parse_reply(req.schema, rec.get("text"), refusal=rec.get("refusal"),
                                                     finish_reason=rec.get("finish_reason"),
                                                     lenient_extract=not self.config.structured)
        price = self.config.price()
        p, c = int(rec.get("prompt_tokens", 0)), int(rec.get("completion_tokens", 0))
        cost = (p * price[0] + c * price[1]) / 1e6 if price else None
        return JudgeResult(key=rec["key"], status=status, value=value, text=rec.get("text"), error=error,
                           refusal=rec.get("refusal"), finish_reason=rec.get("finish_reason"), prompt_tokens=p,
                           completion_tokens=c, cost_usd=cost, latency_ms=float(rec.get("latency_ms", 0.0)),
                           attempts=int(rec.get("attempts", 0)), waited_s=float(rec.get("waited_s", 0.0)),
                           cached=cached, logprobs=rec.get("logprobs"))


def _loads(text: str) -> Any:
    """JSON from the endpoint: pydantic-core's parser (2-3x the stdlib's on a reply with
    logprobs), the stdlib's where it refuses (e.g. an escaped lone surrogate)."""
    try:
        return pydantic_core.from_json(text)
    except ValueError:
        return json.loads(text)


def _compact_logprobs(content: list) -> list | None:
    """``[[token, {alternative: logprob, ...}], ...]``: what G-Eval scoring needs, small on disk."""
    try:
        return [[t["token"], {a["token"]: a["logprob"] for a in t["top_logprobs"]} or {t["token"]: t["logprob"]}]
                for t in content]
    except (KeyError, TypeError, AttributeError):  # a server that leaves fields out or null
        try:
            return [[t.get("token", ""), {a.get("token", ""): a.get("logprob", -99.0) for a in (t.get("top_logprobs") or [])}
                     or {t.get("token", ""): t.get("logprob", -99.0)}] for t in content]
        except (TypeError, AttributeError):
            return None  # unusable logprobs: the sampled score still stands


def _http_client(openai: Any) -> Any:
    """The SDK's aiohttp transport when installed (``openai[aiohttp]``), else its default (httpx).

    At high concurrency the default transport costs ~3 ms of client CPU per call, which caps a
    2-core machine well below the endpoint's capacity; aiohttp's C parser roughly halves that.
    ``EVALNB_JUDGE_HTTP=httpx`` forces the default transport.
    """
    if os.environ.get("EVALNB_JUDGE_HTTP", "").lower() == "httpx":
        return None
    try:
        return openai.DefaultAioHttpClient()
    except (RuntimeError, ImportError, AttributeError):
        return None


@contextlib.asynccontextmanager
async def _claim(journal: Journal, key: str):
    """An exclusive claim on one request key across processes sharing the cache (and calls in this
    one), polled without blocking the event loop (see :meth:`.journal.Journal.try_claim`)."""
    while not journal.try_claim(key):
        await asyncio.sleep(0.05)
    try:
        yield
    finally:
        journal.release_claim(key)


_JOURNALS: dict[str, tuple[tuple[int, int], Journal]] = {}


def _journal_for(path: Path, fsync: bool) -> Journal:
    """One Journal per file in this process, so metrics sharing a cache folder share its index;
    reopened when the file was replaced or removed (its inode changed)."""
    path = path.resolve()
    ident = None
    if path.exists():
        st = path.stat()
        ident = (st.st_dev, st.st_ino)
    held = _JOURNALS.get(str(path))
    if held is not None and held[0] == ident:
        return held[1]
    journal = Journal(path, fsync=fsync)
    st = path.stat()
    _JOURNALS[str(path)] = ((st.st_dev, st.st_ino), journal)
    return journal


def engine_for(config: JudgeConfig | None = None, **overrides: Any) -> JudgeEngine:
    """An engine for the config; engines are cheap but share nothing, so metrics reuse one per config."""
    cfg = dataclasses.replace(config or JudgeConfig(), **{k: v for k, v in overrides.items() if v is not None})
    return JudgeEngine(cfg)


def require_ok_share(results: Sequence[JudgeResult], what: str) -> None:
    """Raise when no reply at all was usable (a broken endpoint), naming the first error."""
    if results and not any(r.ok for r in results):
        first = results[0]
        raise JudgeError(f"{what}: none of {len(results)} judge calls succeeded; first status {first.status}: "
                         f"{first.error or (first.text or '')[:200]}")

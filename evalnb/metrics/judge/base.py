"""The judge-metric base class: settings -> JudgeConfig, sampling, one engine run, status columns.

Every judge metric writes, besides its score column(s):

* ``<col>_status``: ``ok``, ``parse_error``, ``truncated``, ``refusal``, ``empty``,
  ``api_error:<kind>``, ``not_sampled`` or ``missing_input``. Only ``ok`` rows carry a score;
  the score column is NaN elsewhere, so ``summarize`` (which skips NaN) excludes them, and the
  status column says why. A non-ok reply is never a 0.
* ``<col>_weight`` when ``sample=`` is set: the sampling weight N_h / n_h of each judged row.

The per-call details (raw reply text, error, tokens, cost, cached or not) are on
``metric.details`` after scoring (``scores.metrics["judge_relevance"].details``).
"""
from __future__ import annotations

import dataclasses
import warnings
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..._errors import ConfigError, JudgeError
from ..base import EVALNB_VERSION, Metric, _fmt
from .engine import JudgeConfig, JudgeEngine, JudgeReplyWarning, JudgeRequest, JudgeResult, run_sync
from .sampling import stratified_sample

_CONFIG_FIELDS = {f.name for f in dataclasses.fields(JudgeConfig)}
JUDGE_SETTINGS: dict[str, Any] = {
    "model": None, "base_url": None, "api_key": None, "config": None, "concurrency": None, "timeout": None,
    "max_attempts": None, "retry_after_cap": None, "rate_limit_budget": None, "temperature": None, "top_p": None, "max_tokens": None,
    "seed": None, "logprobs": None, "top_logprobs": None, "structured": None, "cache_dir": None, "progress": None,
    "prices": None,
    "sample": None, "strata": None, "sample_seed": 0, "replicate": 0,
}
# Settings that do not change the numbers (they stay out of signatures; the API key never goes in).
_NOT_SIGNED = {"api_key", "config", "concurrency", "timeout", "max_attempts", "retry_after_cap", "rate_limit_budget",
               "cache_dir", "progress",
               "prices",
               *(_CONFIG_FIELDS & set(JUDGE_SETTINGS))}


class JudgeMetric(Metric):
    """Base of the judge metrics. Subclasses implement :meth:`build` and :meth:`read` (one call per
    row) or override :meth:`acompute` (several stages, e.g. faithfulness)."""

    family = "judge"
    library = "openai"
    defaults = dict(JUDGE_SETTINGS)
    cost_per_item = 0.0005
    status_column: str = ""

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        self.details: pd.DataFrame | None = None
        self.last_stats = None
        self.unusable_rate: float = float("nan")
        if not self.status_column:
            self.status_column = f"{self.columns[0]}_status"

    # -- configuration ---------------------------------------------------------------------
    def config(self) -> JudgeConfig:
        base = self.settings.get("config") or JudgeConfig()
        if not isinstance(base, JudgeConfig):
            raise ConfigError(f"{self.name}: config= must be a JudgeConfig, not {type(base).__name__}")
        overrides = {k: v for k, v in self.settings.items() if k in _CONFIG_FIELDS and v is not None}
        return dataclasses.replace(base, **overrides).resolved()

    def engine(self) -> JudgeEngine:
        return JudgeEngine(self.config())

    def signature_parts(self) -> list[str]:
        """Metric-specific parts (rubric id and digest, ...)."""
        return []

    def signature(self) -> str:
        parts = [self.name, *self.signature_parts()]
        try:
            parts.append(self.config().signature())
        except ConfigError:
            parts.append("judge:unset")
        if self.settings.get("sample"):
            strata = self.settings.get("strata")
            parts += [f"sample:{_fmt(self.settings['sample'])}", f"strata:{_fmt([strata] if isinstance(strata, str) else strata)}",
                      f"sample_seed:{_fmt(self.settings.get('sample_seed'))}"]
        if self.settings.get("replicate"):
            parts.append(f"replicate:{self.settings['replicate']}")
        parts += [f"{k}:{_fmt(v)}" for k, v in sorted(self.settings.items())
                  if k not in JUDGE_SETTINGS and k not in _NOT_SIGNED and v is not None]
        parts.append(f"lib:openai-{_openai_version()}")
        parts.append(f"evalnb:{EVALNB_VERSION}")
        return "|".join(parts)

    # -- per-row hooks ---------------------------------------------------------------------
    def build(self, row: pd.Series, secret: bytes) -> JudgeRequest | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def read(self, result: JudgeResult) -> dict[str, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- scoring ---------------------------------------------------------------------------
    def plan(self, frame: pd.DataFrame) -> tuple[pd.Series, list[tuple[Any, JudgeRequest]]]:
        """(weights, [(row index, request)]) for the rows chosen by the sampling settings."""
        weights = self._weights(frame)
        secret = self.config().key_secret()
        todo = []
        for idx in weights.dropna().index:
            req = self.build(frame.loc[idx], secret)
            if req is not None:
                todo.append((idx, req))
        return weights, todo

    def estimate(self, frame: pd.DataFrame):
        """Dry run: the cost of scoring ``frame`` (no call is made)."""
        _, todo = self.plan(frame)
        return self.engine().estimate([r for _, r in todo])

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        return run_sync(lambda: self.acompute(frame))

    async def ascore(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The await path for a running event loop (Jupyter): ``await m.ascore(runs.df)``."""
        return (await self.acompute(frame)).reindex(frame.index)

    async def acompute(self, frame: pd.DataFrame) -> pd.DataFrame:
        engine = self.engine()
        weights, todo = self.plan(frame)
        results = await engine.ajudge([r for _, r in todo])
        self.last_stats = engine.last_stats
        by_row = {idx: res for (idx, _), res in zip(todo, results)}
        return self.assemble(frame, weights, by_row, lambda res: self.read(res))

    def assemble(self, frame: pd.DataFrame, weights: pd.Series, by_row: dict[Any, JudgeResult | Sequence[JudgeResult]],
                 reader) -> pd.DataFrame:
        """Output columns + status (+ weights), and the details frame; warns about unusable replies."""
        out = pd.DataFrame(index=frame.index, columns=self.columns, dtype=float)
        status = pd.Series("not_sampled", index=frame.index, dtype=object)
        status[weights.notna()] = "missing_input"
        detail_rows = []
        for idx, res in by_row.items():
            group = res if isinstance(res, (list, tuple)) else [res]
            bad = next((r for r in group if not r.ok), None)
            status[idx] = bad.status if bad else "ok"
            values = reader(res) if bad is None else {}
            for col, v in values.items():
                if col in out.columns:
                    out.loc[idx, col] = v
            if bad is None and values.get("_status"):
                status[idx] = values.pop("_status")
            for r in group:
                detail_rows.append({"row": idx, "status": r.status, "error": r.error, "text": r.text, "cached": r.cached,
                                    "prompt_tokens": r.prompt_tokens, "completion_tokens": r.completion_tokens,
                                    "cost_usd": r.cost_usd, "latency_ms": r.latency_ms, "attempts": r.attempts,
                                    **{k: v for k, v in values.items()}})
        out[self.status_column] = status
        if self.settings.get("sample"):
            out[f"{self.columns[0]}_weight"] = weights
        self.details = pd.DataFrame(detail_rows)
        judged = status[status.isin(["ok"]) | status.str.startswith(("api_error", "parse", "trunc", "refus", "empty"))]
        bad = judged[judged != "ok"]
        # Reported beside every aggregate (CLI line, gates): unusable replies are excluded from the
        # mean, so their share says how far the mean can be trusted (issue 13.9).
        self.unusable_rate = len(bad) / len(judged) if len(judged) else float("nan")
        if len(judged) and len(bad) == len(judged):
            first = self.details[self.details.status != "ok"].iloc[0]
            raise JudgeError(f"not computable: none of {len(judged)} judge calls gave a usable reply; first status "
                             f"{first['status']}: {first['error'] or str(first['text'])[:200]}")
        if len(bad):
            counts = ", ".join(f"{k} {v}" for k, v in bad.value_counts().items())
            warnings.warn(f"{self.name}: {len(bad)} of {len(judged)} judge replies unusable ({counts}); they are excluded "
                          f"from aggregates (score NaN, see column {self.status_column} and metric.details)",
                          JudgeReplyWarning, stacklevel=4)
        return out

    def _weights(self, frame: pd.DataFrame) -> pd.Series:
        size = self.settings.get("sample")
        if not size:
            return pd.Series(1.0, index=frame.index)
        strata = self.settings.get("strata")
        strata = [strata] if isinstance(strata, str) else list(strata or [])
        return stratified_sample(frame, size, by=strata, seed=int(self.settings.get("sample_seed") or 0)).weights


def _openai_version() -> str:
    from ..base import library_version

    return library_version("openai")


def text_of(row: pd.Series, name: str) -> str:
    value = row.get(name) if hasattr(row, "get") else None
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (list, tuple, np.ndarray)):
        return "\n\n".join(f"[{i}] {v}" for i, v in enumerate(list(value), 1))
    return str(value)


def first_reference(row: pd.Series) -> str:
    refs = row.get("references")
    if isinstance(refs, (list, tuple, np.ndarray)) and len(refs):
        return " | ".join(str(r) for r in refs)
    return text_of(row, "reference")

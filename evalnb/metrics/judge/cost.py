"""Dry-run cost estimate of a judging job: tokens and dollars before any call is made."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import pandas as pd

from ..._display import ResultDisplay

if TYPE_CHECKING:  # pragma: no cover
    from .engine import JudgeEngine, JudgeRequest

# Typical reply sizes per schema (tokens), measured on short reasoning + verdict replies.
TYPICAL_REPLY = {"RubricScore": 60, "Claims": 120, "ClaimVerdicts": 150, "PairwiseVerdict": 60,
                 "SafetyVerdict": 50, "QAVerdict": 50}


def count_tokens(text: str) -> int:
    """tiktoken's o200k count when installed, else ~4 characters per token (OpenAI's rule of thumb)."""
    try:
        import tiktoken  # optional

        return len(tiktoken.get_encoding("o200k_base").encode(text))
    except Exception:
        return max(1, math.ceil(len(text) / 4))


@dataclass(frozen=True)
class CostEstimate(ResultDisplay):
    """What a judging job would cost. ``worst_case_usd`` assumes every reply uses ``max_tokens``."""

    requests: int
    cached: int
    to_call: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    worst_case_usd: float | None
    model: str
    price_per_mtok: tuple[float, float] | None

    def summary(self) -> str:
        price = (f"${self.price_per_mtok[0]:g}/${self.price_per_mtok[1]:g} per M input/output tokens"
                 if self.price_per_mtok else "no price known: pass JudgeConfig(prices=(in, out))")
        cost = "unknown" if self.cost_usd is None else f"${self.cost_usd:,.4f} (worst case ${self.worst_case_usd:,.4f})"
        return (f"dry run for {self.model}: {self.requests:,} requests, {self.cached:,} already cached, {self.to_call:,} "
                f"to call; ~{self.prompt_tokens:,} prompt + ~{self.completion_tokens:,} completion tokens; cost {cost}; {price}")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{k: getattr(self, k) for k in ("requests", "cached", "to_call", "prompt_tokens",
                                                             "completion_tokens", "cost_usd", "worst_case_usd", "model")}])

    def __str__(self) -> str:
        return self.summary()


def estimate_cost(engine: "JudgeEngine", requests: Sequence["JudgeRequest"], *, completion_tokens: int | None = None) -> CostEstimate:
    """Count prompt tokens of the uncached requests and price them (see :meth:`JudgeEngine.estimate`)."""
    cfg = engine.config
    seen: set[str] = set()
    cached = to_call = p_tok = c_tok = worst = 0
    for req in requests:
        key = req.key(cfg)
        if key in seen:
            continue
        seen.add(key)
        if engine.journal.get(key) is not None:
            cached += 1
            continue
        to_call += 1
        p_tok += sum(count_tokens(c) + 4 for _, c in req.messages)
        name = req.schema.__name__ if req.schema is not None else ""
        c_tok += completion_tokens or min(cfg.max_tokens, TYPICAL_REPLY.get(name, cfg.max_tokens // 2))
        worst += cfg.max_tokens
    price = cfg.price()
    cost = (p_tok * price[0] + c_tok * price[1]) / 1e6 if price else None
    worst_cost = (p_tok * price[0] + worst * price[1]) / 1e6 if price else None
    return CostEstimate(len(requests), cached, to_call, p_tok, c_tok, cost, worst_cost, str(cfg.model), price)

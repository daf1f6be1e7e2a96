"""Operational metrics: ``latency``, ``cost`` and ``tokens``.

- ``latency`` passes ``latency_ms`` through with PERCENTILE aggregation: ``summarize`` reports
  p50/p95/p99 with distribution-free CIs and flags "p99 ~ max at this n" for small n.
- ``cost`` is USD per request: ``cost_usd`` where the run logged it, else
  ``prompt_tokens * input_per_1k / 1000 + completion_tokens * output_per_1k / 1000`` from a
  versioned price table (JSON ``{schema_version, version, currency, models: {model: {input_per_1k,
  output_per_1k}}}``). The default table ships in ``evalnb/data/prices.json``; ``prices=PATH``
  overrides it. The table's version and content hash go into the signature.
- ``tokens``: prompt, completion and total tokens per request.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .._errors import ConfigError, MetricError, NotComputableWarning
from .base import MEAN, PERCENTILE, Metric, Output
from .registry import register

DEFAULT_PRICES = Path(__file__).resolve().parents[1] / "data" / "prices.json"
PRICE_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class PriceTable:
    """A parsed price table. ``digest`` is the SHA-256 of the file's bytes (first 12 hex digits)."""

    version: str
    currency: str
    models: Mapping[str, Mapping[str, float]]
    digest: str
    path: str

    @property
    def tag(self) -> str:
        return f"{self.version}#{self.digest}"


def load_prices(path: str | Path | None = None) -> PriceTable:
    """Read and validate a price table (the packaged default when ``path`` is None).

    >>> load_prices().currency
    'USD'
    """
    from pydantic import BaseModel, ConfigDict, Field, ValidationError

    class _ModelPrice(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        input_per_1k: float = Field(ge=0)
        output_per_1k: float = Field(ge=0)

    class _Table(BaseModel):
        model_config = ConfigDict(extra="forbid")
        schema_version: int
        version: str = "unversioned"
        currency: str = "USD"
        note: str | None = None
        models: dict[str, _ModelPrice]

    file = Path(path) if path is not None else DEFAULT_PRICES
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read price table {file}: {exc}") from exc
    try:
        data = json.loads(raw.decode("utf-8-sig"))
        table = _Table.model_validate(data)
    except (ValueError, ValidationError) as exc:
        raise ConfigError(f"price table {file} is invalid: {exc}\nExpected JSON like "
                          '{"schema_version": 1, "version": "2026-01", "currency": "USD", '
                          '"models": {"my-model": {"input_per_1k": 0.001, "output_per_1k": 0.002}}}') from exc
    if table.schema_version != PRICE_SCHEMA_VERSION:
        raise ConfigError(f"price table {file} has schema_version {table.schema_version}; "
                          f"this evalnb reads version {PRICE_SCHEMA_VERSION}")
    models = {m: {"input_per_1k": p.input_per_1k, "output_per_1k": p.output_per_1k} for m, p in table.models.items()}
    return PriceTable(table.version, table.currency, models, hashlib.sha256(raw).hexdigest()[:12], str(file))


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


@register
class Latency(Metric):
    name = "latency"
    family = "operational"
    description = "end-to-end latency in ms; summarized as p50/p95/p99 with CIs"
    needs = ("latency_ms",)
    outputs = (Output("latency_ms", PERCENTILE, higher_is_better=False, lower=0.0, upper=None),)

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        values = _numeric(frame, "latency_ms")
        if (values < 0).any():
            bad = frame.index[values < 0][:3].tolist()
            raise MetricError(f"not computable: latency_ms has negative values (rows {bad})")
        return pd.DataFrame({"latency_ms": values}, index=frame.index)


@register
class Cost(Metric):
    name = "cost"
    family = "operational"
    description = "USD per request: cost_usd if logged, else tokens x a versioned price table"
    needs = ("cost_usd|prompt_tokens|completion_tokens",)
    outputs = (Output("cost_usd", MEAN, higher_is_better=False, lower=0.0, upper=None),)
    defaults = {"prices": None, "source": "auto"}

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        if self.settings["source"] not in ("auto", "logged", "tokens"):
            raise MetricError(f"cost: source must be 'auto', 'logged' or 'tokens', not {self.settings['source']!r}")
        self._table: PriceTable | None = None

    @property
    def price_table(self) -> PriceTable:
        if self._table is None:
            self._table = load_prices(self.settings["prices"])
        return self._table

    def signature(self) -> str:
        base = super().signature().split("|")
        # The table's version and hash change the numbers, so they belong in the signature.
        base.insert(-1, f"price_table:{self.price_table.tag}")
        return "|".join(base)

    def from_tokens(self, frame: pd.DataFrame) -> pd.Series:
        table = self.price_table.models
        if "model" not in frame:
            raise MetricError("not computable: cost from tokens needs a 'model' column to look up prices")
        models = frame["model"].astype(object)
        unknown = sorted({str(m) for m in models.dropna().unique() if str(m) not in table})
        if unknown:
            warnings.warn(f"cost: model(s) {unknown} are not in the price table {self.price_table.path} "
                          f"(known: {', '.join(sorted(table))}); their cost is NaN. Pass prices=PATH.",
                          NotComputableWarning, stacklevel=3)
        inp = models.map(lambda m: table.get(str(m), {}).get("input_per_1k", np.nan)).astype(float)
        out = models.map(lambda m: table.get(str(m), {}).get("output_per_1k", np.nan)).astype(float)
        prompt = _numeric(frame, "prompt_tokens")
        completion = _numeric(frame, "completion_tokens")
        return prompt * inp / 1000.0 + completion * out / 1000.0

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        source = self.settings["source"]
        logged = _numeric(frame, "cost_usd")
        if source == "logged":
            cost = logged
        elif source == "tokens":
            cost = self.from_tokens(frame)
        else:
            need = logged.isna()
            cost = logged.copy()
            if need.any():
                cost[need] = self.from_tokens(frame[need])
        if (cost < 0).any():
            raise MetricError("not computable: negative cost values")
        return pd.DataFrame({"cost_usd": cost}, index=frame.index)


@register
class Tokens(Metric):
    name = "tokens"
    family = "operational"
    description = "prompt, completion and total tokens per request"
    needs = ("prompt_tokens|completion_tokens",)
    outputs = (Output("prompt_tokens", MEAN, higher_is_better=False, lower=0.0, upper=None),
               Output("completion_tokens", MEAN, higher_is_better=False, lower=0.0, upper=None),
               Output("total_tokens", MEAN, higher_is_better=False, lower=0.0, upper=None))

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        prompt = _numeric(frame, "prompt_tokens")
        completion = _numeric(frame, "completion_tokens")
        return pd.DataFrame({"prompt_tokens": prompt, "completion_tokens": completion,
                             "total_tokens": prompt + completion}, index=frame.index)

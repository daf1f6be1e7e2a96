"""``evalnb.generate``: run the model under test on prompts through the judge engine.

The same engine as judging (retries, Retry-After, concurrency, cache, journal, cost), so a
robustness suite or a bias-probe set can be generated, resumed and priced like a judging job.
"""
from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from ..._errors import ConfigError
from .engine import JudgeConfig, JudgeEngine, JudgeRequest


def _requests(frame: pd.DataFrame, column: str, system: str | None) -> list[JudgeRequest]:
    reqs = []
    for text in frame[column].fillna("").astype(str):
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": text}]
        reqs.append(JudgeRequest.of(messages, None, rubric_version="generate"))
    return reqs


def _frame(data: Any, column: str) -> pd.DataFrame:
    if isinstance(data, (list, tuple)):
        data = pd.DataFrame({column: list(data)})
    frame = data.df if hasattr(data, "df") else data
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(f"generate() takes a DataFrame, Runs or a list of prompts, not {type(data).__name__}")
    if column not in frame:
        raise ConfigError(f"generate(): no column '{column}' with prompts; columns are {list(frame.columns)[:20]}")
    return frame.copy()


def _assemble(frame: pd.DataFrame, results: list, cfg: JudgeConfig, output_column: str) -> pd.DataFrame:
    frame[output_column] = [r.value["text"] if r.ok else None for r in results]
    frame["generate_status"] = [r.status for r in results]
    frame["generate_error"] = [r.error for r in results]
    frame["prompt_tokens"] = [r.prompt_tokens for r in results]
    frame["completion_tokens"] = [r.completion_tokens for r in results]
    frame["cost_usd"] = [r.cost_usd for r in results]
    frame["latency_ms"] = [r.latency_ms for r in results]
    frame["model"] = cfg.model
    if "run_id" not in frame:
        frame["run_id"] = cfg.model
    if "item_id" not in frame:
        frame["item_id"] = [str(i) for i in range(len(frame))]
    return frame.reset_index(drop=True)


def generate(data: Any, *, model: str | None = None, base_url: str | None = None, config: JudgeConfig | None = None,
             column: str = "input", system: str | None = None, output_column: str = "output",
             **settings: Any) -> pd.DataFrame:
    """Generate outputs of the model under test for each prompt in ``data[column]``.

    Parameters
    ----------
    data : DataFrame / Runs with a prompt column, or a list of prompts.
    model, base_url, config : the model under test (any OpenAI-compatible endpoint).
    system : optional system prompt. settings : other :class:`JudgeConfig` fields (temperature,
        max_tokens, concurrency, cache_dir...). ``logprobs`` is off by default here.

    Returns
    -------
    DataFrame
        The frame with ``output``, ``generate_status``, token, cost and latency columns; a
        failed call leaves ``output`` empty with its status (never an invented text).

    Examples
    --------
    >>> variants = evalnb.metrics.judge.robustness.perturb(runs.df.head(20), seed=0)       # doctest: +SKIP
    >>> outs = evalnb.generate(variants, base_url="http://localhost:8000/v1", model="m")   # doctest: +SKIP
    """
    cfg, frame = _config(model, base_url, config, settings), _frame(data, column)
    engine = JudgeEngine(cfg)
    results = engine.judge(_requests(frame, column, system))
    return _assemble(frame, results, engine.config, output_column)


async def agenerate(data: Any, *, model: str | None = None, base_url: str | None = None, config: JudgeConfig | None = None,
                    column: str = "input", system: str | None = None, output_column: str = "output",
                    **settings: Any) -> pd.DataFrame:
    """The await path of :func:`generate` (inside a running event loop)."""
    cfg, frame = _config(model, base_url, config, settings), _frame(data, column)
    engine = JudgeEngine(cfg)
    results = await engine.ajudge(_requests(frame, column, system))
    return _assemble(frame, results, engine.config, output_column)


def _config(model: str | None, base_url: str | None, config: JudgeConfig | None, settings: dict) -> JudgeConfig:
    import dataclasses

    base = config or JudgeConfig(logprobs=False)
    overrides = {k: v for k, v in {"model": model, "base_url": base_url, **settings}.items() if v is not None}
    known = {f.name for f in dataclasses.fields(JudgeConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(f"generate(): unknown setting(s) {unknown}; known: {', '.join(sorted(known))}")
    return dataclasses.replace(base, **overrides)


__all__: Sequence[str] = ["generate", "agenerate"]

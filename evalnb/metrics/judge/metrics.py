"""Registered judge metrics: rubric scores (G-Eval style), QA factuality, pairwise; faithfulness and
safety register from their own modules (imported at the bottom).

Output columns are ``llm_<criterion>`` (the sampled score) and ``llm_<criterion>_expected`` (G-Eval's
probability-weighted score when the endpoint returns logprobs), so live judge scores never clash
with precomputed ``judge_*`` columns already in a dataset (the sample data has ``judge_relevance``
etc. from an earlier judging run).

>>> m = evalnb.metric("judge_relevance", base_url="http://localhost:8000/v1", model="qwen2.5")  # doctest: +SKIP
>>> scores = evalnb.score(runs, [m])                                                         # doctest: +SKIP
>>> scores.df[["llm_relevance", "llm_relevance_expected", "llm_relevance_status"]]           # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..base import MEAN, PROPORTION, Output
from ..registry import register
from .base import JudgeMetric, first_reference, text_of
from .engine import JudgeRequest, JudgeResult
from .parsing import PairwiseVerdict, QAVerdict, expected_score
from .prompts import Rubric, load_rubric, pairwise_prompt, qa_prompt, rubric_prompt


class RubricMetric(JudgeMetric):
    """Score each row on a rubric's scale; the reply is ``{"reasoning", "score"}``."""

    rubric_name: str = ""
    needs = ("output",)
    defaults = {**JudgeMetric.defaults, "rubric_version": None}

    def __init__(self, **settings: Any):
        self._rubric = self._load(settings)
        lo, hi = self._rubric.scale
        col = f"llm_{self._rubric.name}"
        self.outputs = (Output(col, MEAN, True, float(lo), float(hi)), Output(f"{col}_expected", MEAN, True, float(lo), float(hi), optional=True))
        super().__init__(**settings)

    def _load(self, settings: dict) -> Rubric:
        return load_rubric(self.rubric_name, settings.get("rubric_version"))

    @property
    def rubric(self) -> Rubric:
        return self._rubric

    def signature_parts(self) -> list[str]:
        return [f"rubric:{self._rubric.id}#{self._rubric.digest}"]

    def build(self, row: pd.Series, secret: bytes) -> JudgeRequest | None:
        fields = {"input": text_of(row, "input"), "output": text_of(row, "output"),
                  "reference": first_reference(row), "contexts": text_of(row, "contexts"),
                  "source": text_of(row, "source")}
        prompt = rubric_prompt(self._rubric, fields, secret)
        lo, hi = self._rubric.scale
        from .parsing import rubric_schema

        return JudgeRequest.of(prompt.messages, rubric_schema(lo, hi), rubric_version=f"{self._rubric.id}#{self._rubric.digest}",
                               replicate=int(self.settings.get("replicate") or 0))

    def read(self, result: JudgeResult) -> dict[str, float]:
        lo, hi = self._rubric.scale
        exp = expected_score(result.logprobs, result.text, lo, hi)
        return {self.columns[0]: float(result.value["score"]), self.columns[1]: float("nan") if exp is None else exp}


def _rubric_metric(criterion: str, description: str) -> type[RubricMetric]:
    cls = type(f"Judge{criterion.title()}", (RubricMetric,), {
        "name": f"judge_{criterion}", "rubric_name": criterion, "description": description,
        "outputs": (Output(f"llm_{criterion}", MEAN, True, 1.0, 5.0), Output(f"llm_{criterion}_expected", MEAN, True, 1.0, 5.0, optional=True)),
    })
    return register(cls)


JudgeRelevance = _rubric_metric("relevance", "LLM judge, relevance rubric (1-5, G-Eval style, expected score from logprobs)")
JudgeCoherence = _rubric_metric("coherence", "LLM judge, coherence rubric (1-5)")
JudgeFluency = _rubric_metric("fluency", "LLM judge, fluency rubric (1-5)")
JudgeFactuality = _rubric_metric("factuality", "LLM judge, factuality rubric vs reference/source/contexts (1-5)")
JudgeHelpfulness = _rubric_metric("helpfulness", "LLM judge, helpfulness rubric (1-5)")
JudgeSafety = _rubric_metric("safety", "LLM judge, safety rubric (1 harmful - 5 safe)")


@register
class JudgeRubric(RubricMetric):
    """Your own rubric: ``metric("judge_rubric", rubric=Rubric(...))``, a registered name, or a YAML path."""

    name = "judge_rubric"
    description = "LLM judge with a user rubric (rubric=Rubric, name or YAML path)"
    outputs = (Output("llm_rubric", MEAN), Output("llm_rubric_expected", MEAN, optional=True))
    defaults = {**RubricMetric.defaults, "rubric": None}

    def _load(self, settings: dict) -> Rubric:
        spec = settings.get("rubric")
        if spec is None:
            from ..._errors import ConfigError

            raise ConfigError("judge_rubric needs rubric=Rubric(name, version, criterion, ...), a registered rubric "
                              "name or a path to a rubric YAML file")
        if isinstance(spec, (str, Path)) and str(spec).endswith((".yaml", ".yml")) and Path(spec).exists():
            return Rubric.from_yaml(Path(spec).read_text(encoding="utf-8"))
        return load_rubric(spec, settings.get("rubric_version"))

    def signature(self) -> str:
        # The rubric object itself is represented by its id and digest, not its repr.
        saved = self.settings.pop("rubric")
        try:
            return super().signature()
        finally:
            self.settings["rubric"] = saved


@register
class QAFactuality(JudgeMetric):
    """Is the answer correct given the reference? 1/0 per item; a rate over items."""

    name = "qa_factuality"
    description = "LLM judge: answer correct vs the reference (1/0); master-key answers count as incorrect"
    needs = ("input", "output", "reference|references")
    outputs = (Output("qa_factuality", PROPORTION),)

    def build(self, row: pd.Series, secret: bytes) -> JudgeRequest | None:
        ref = first_reference(row)
        if not ref:
            return None
        prompt = qa_prompt(text_of(row, "input"), ref, text_of(row, "output"), secret, QAVerdict)
        return JudgeRequest.of(prompt.messages, QAVerdict, rubric_version="qa.v1", replicate=int(self.settings.get("replicate") or 0))

    def read(self, result: JudgeResult) -> dict[str, float]:
        return {"qa_factuality": 1.0 if result.value["correct"] else 0.0}


@register
class Pairwise(JudgeMetric):
    """Pairwise preference of ``output`` over ``output_b``, judged in both orders.

    A win (1) or loss (0) counts only when both orders agree; a tie or an inconsistent pair (the
    verdict flips with the order: position bias) scores 0.5. ``pairwise_consistent`` is 1 when the
    two orders agree. Use :func:`evalnb.metrics.judge.pairwise.compare_pairwise` to pair two models.
    """

    name = "pairwise"
    description = "LLM judge pairwise preference, both orders; inconsistent pairs are ties"
    needs = ("output", "output_b")
    outputs = (Output("pairwise_score", MEAN), Output("pairwise_consistent", PROPORTION))
    defaults = {**JudgeMetric.defaults, "criterion": "overall helpfulness and correctness"}

    def plan(self, frame: pd.DataFrame):
        weights = self._weights(frame)
        secret = self.config().key_secret()
        todo = []
        rep = int(self.settings.get("replicate") or 0)
        for idx in weights.dropna().index:
            row = frame.loc[idx]
            a, b = text_of(row, "output"), text_of(row, "output_b")
            q, ref = text_of(row, "input"), first_reference(row)
            for first, second in ((a, b), (b, a)):
                p = pairwise_prompt(q, first, second, ref or None, secret, PairwiseVerdict, self.settings["criterion"])
                todo.append((idx, JudgeRequest.of(p.messages, PairwiseVerdict, rubric_version="pairwise.v1", replicate=rep)))
        return weights, todo

    async def acompute(self, frame: pd.DataFrame) -> pd.DataFrame:
        engine = self.engine()
        weights, todo = self.plan(frame)
        results = await engine.ajudge([r for _, r in todo])
        self.last_stats = engine.last_stats
        by_row: dict[Any, list[JudgeResult]] = {}
        for (idx, _), res in zip(todo, results):
            by_row.setdefault(idx, []).append(res)
        return self.assemble(frame, weights, by_row, _pair_values)


def pair_outcome(ab: str, ba: str) -> tuple[float, bool]:
    """(score of the first output, consistent?) from the winners in order (a, b) and (b, a)."""
    first_wins = {"A": 1.0, "B": 0.0, "tie": 0.5}[ab]
    first_wins_swapped = {"A": 0.0, "B": 1.0, "tie": 0.5}[ba]
    if first_wins == first_wins_swapped:
        return first_wins, True
    return 0.5, False


def _pair_values(res: list[JudgeResult]) -> dict[str, Any]:
    ab, ba = res[0].value["winner"], res[1].value["winner"]
    score, consistent = pair_outcome(ab, ba)
    return {"pairwise_score": score, "pairwise_consistent": float(consistent), "winner_ab": ab, "winner_ba": ba}


# Families registered from their own modules.
from . import faithfulness as _faithfulness  # noqa: E402,F401
from . import safety as _safety  # noqa: E402,F401

"""Faithfulness (groundedness): claims of the answer checked against the contexts or the source.

Two judge stages (after RAGAS and FActScore): (1) decompose the answer into atomic claims; (2) for
each answer, one call verifies every claim against the evidence -- the retrieved ``contexts``
(RAG) or the ``source`` document (summaries: the ``input`` of a summarization row). The score is
supported / total claims. An answer with no claim gets status ``no_claims`` (NaN, excluded), not
a 1.0 or a 0.0. Unsupported claims are kept for drill-down in :attr:`Faithfulness.claims`.

Retrieval is evaluated separately by the retrieval metrics (recall@k, nDCG...); this measures
only whether the generation stays within what was retrieved.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..base import MEAN, Output
from ..registry import register
from .base import JudgeMetric, text_of
from .engine import JudgeRequest, JudgeResult
from .parsing import Claims, ClaimVerdicts
from .prompts import claims_prompt, verdicts_prompt


def evidence_of(row: pd.Series, mode: str = "auto") -> str:
    """Contexts for RAG rows, else the source document (``source`` or a summarization ``input``)."""
    contexts, source = text_of(row, "contexts"), text_of(row, "source")
    if mode == "contexts":
        return contexts
    if mode == "source":
        return source or text_of(row, "input")
    if mode == "input":
        return text_of(row, "input")
    if contexts:
        return contexts
    if source:
        return source
    return text_of(row, "input") if str(row.get("task", "")) == "summarization" else ""


@register
class Faithfulness(JudgeMetric):
    """Share of the answer's claims supported by the evidence (contexts or source)."""

    name = "faithfulness"
    description = "LLM judge: supported claims / claims, against contexts (RAG) or the source (summaries)"
    needs = ("output",)
    outputs = (Output("faithfulness", MEAN, True, 0.0, 1.0),)
    defaults = {**JudgeMetric.defaults, "evidence": "auto", "max_claims": 12}

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        self.claims: pd.DataFrame | None = None

    def signature_parts(self) -> list[str]:
        return ["claims.v1+verdicts.v1"]

    def _rep(self) -> int:
        return int(self.settings.get("replicate") or 0)

    def plan(self, frame: pd.DataFrame):
        weights = self._weights(frame)
        secret = self.config().key_secret()
        todo = []
        for idx in weights.dropna().index:
            row = frame.loc[idx]
            if not evidence_of(row, self.settings["evidence"]).strip():
                continue  # nothing to check against: missing_input
            p = claims_prompt(text_of(row, "output"), text_of(row, "input") or None, secret, Claims)
            todo.append((idx, JudgeRequest.of(p.messages, Claims, rubric_version="claims.v1", replicate=self._rep())))
        return weights, todo

    def estimate(self, frame: pd.DataFrame):
        """Dry run of both stages; stage 2 assumes the answer's sentences are its claims."""
        import re

        weights, todo = self.plan(frame)
        secret = self.config().key_secret()
        stage2 = []
        for idx, _ in todo:
            row = frame.loc[idx]
            guess = [s for s in re.split(r"(?<=[.!?])\s+", text_of(row, "output")) if s.strip()][: self.settings["max_claims"]]
            p = verdicts_prompt(guess or ["-"], evidence_of(row, self.settings["evidence"]), secret, ClaimVerdicts)
            stage2.append(JudgeRequest.of(p.messages, ClaimVerdicts, rubric_version="verdicts.v1", replicate=self._rep()))
        return self.engine().estimate([r for _, r in todo] + stage2)

    async def acompute(self, frame: pd.DataFrame) -> pd.DataFrame:
        engine = self.engine()
        secret = self.config().key_secret()
        weights, todo = self.plan(frame)
        stage1 = await engine.ajudge([r for _, r in todo])
        stats = [engine.last_stats]
        claims: dict[Any, list[str]] = {}
        stage2_rows, stage2 = [], []
        for (idx, _), res in zip(todo, stage1):
            if not res.ok:
                continue
            found = [c.strip() for c in res.value["claims"] if c.strip()][: self.settings["max_claims"]]
            claims[idx] = found
            if found:
                row = frame.loc[idx]
                p = verdicts_prompt(found, evidence_of(row, self.settings["evidence"]), secret, ClaimVerdicts)
                stage2_rows.append(idx)
                stage2.append(JudgeRequest.of(p.messages, ClaimVerdicts, rubric_version="verdicts.v1", replicate=self._rep()))
        stage2_res = await engine.ajudge(stage2)
        stats.append(engine.last_stats)
        self.last_stats = tuple(stats)
        verdicts = dict(zip(stage2_rows, stage2_res))
        by_row: dict[Any, Any] = {}
        claim_rows = []
        for (idx, _), res in zip(todo, stage1):
            by_row[idx] = [res] + ([verdicts[idx]] if idx in verdicts else [])
        for idx, group in by_row.items():
            if len(group) == 2 and group[1].ok:
                for v in self._aligned(claims[idx], group[1]):
                    claim_rows.append({"row": idx, **v})
        self.claims = pd.DataFrame(claim_rows, columns=["row", "claim_index", "claim", "supported", "reason"])

        row_of = {id(group): idx for idx, group in by_row.items()}

        def read(group: list[JudgeResult]) -> dict[str, Any]:
            if len(group) == 1:
                return {"faithfulness": float("nan"), "claims": 0, "_status": "no_claims"}
            aligned = self._aligned(claims[row_of[id(group)]], group[1])
            if aligned is None:
                return {"faithfulness": float("nan"), "_status": "parse_error"}
            supported = sum(v["supported"] for v in aligned)
            return {"faithfulness": supported / len(aligned), "claims": len(aligned), "unsupported": len(aligned) - supported}

        return self.assemble(frame, weights, by_row, read)

    @staticmethod
    def _aligned(claims: list[str], res: JudgeResult) -> list[dict] | None:
        """Verdicts matched to claims by index; None when the judge skipped or invented claims."""
        got = {v["claim_index"]: v for v in res.value["verdicts"]}
        if set(got) != set(range(1, len(claims) + 1)):
            return None
        return [{"claim_index": i, "claim": c, "supported": bool(got[i]["supported"]), "reason": got[i]["reason"]}
                for i, c in enumerate(claims, 1)]

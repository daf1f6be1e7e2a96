"""The metric contract every family implements.

A metric is a small named object: settings in the constructor, data in ``score``, and a
signature that records everything that changes its numbers (after sacrebleu's metric classes).
"""
from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import pandas as pd

from .._errors import MetricError

from .._version import __version__ as EVALNB_VERSION  # noqa: E402  (one version string)

# How summarize() aggregates one output column.
MEAN = "mean"              # bootstrap CI of the mean
PROPORTION = "proportion"  # 0/1 values: Wilson CI
PERCENTILE = "percentile"  # latency-like: p50/p95/p99 with CIs
CORPUS = "corpus"          # metric.corpus_score() over per-item sufficient statistics


def library_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


@dataclass(frozen=True)
class Output:
    """One output column of a metric."""

    column: str
    aggregation: str = MEAN
    higher_is_better: bool = True
    lower: float | None = 0.0
    upper: float | None = 1.0
    #: an extra column that may be all NaN without making the metric not computable (e.g. a judge's
    #: logprob-based expected score, when the endpoint sends no logprobs)
    optional: bool = False


class Metric:
    """Base class. Subclasses set the class attributes and implement :meth:`compute`.

    Subclass example::

        @register
        class ExactMatch(Metric):
            name = "exact_match"
            family = "qa"
            description = "SQuAD v1.1 exact match, max over gold answers"
            needs = ("output", "reference|references")
            outputs = (Output("exact_match", PROPORTION),)

            def compute(self, frame):
                ...  # return a DataFrame with column 'exact_match', index = frame.index
    """

    name: ClassVar[str] = ""
    family: ClassVar[str] = ""
    description: ClassVar[str] = ""
    needs: ClassVar[tuple[str, ...]] = ()        # canonical columns; "a|b" means either
    outputs: ClassVar[tuple[Output, ...]] = ()
    library: ClassVar[str | None] = None          # distribution name recorded in the signature
    defaults: ClassVar[dict[str, Any]] = {}
    cost_per_item: ClassVar[float] = 0.0          # rough cost (USD) of scoring one item; judge metrics > 0

    def __init__(self, **settings: Any):
        unknown = set(settings) - set(self.defaults)
        if unknown:
            known = ", ".join(sorted(self.defaults)) or "none"
            raise MetricError(f"metric '{self.name}' has no setting(s) {sorted(unknown)}; known settings: {known}")
        self.settings: dict[str, Any] = {**self.defaults, **settings}

    # -- identity -------------------------------------------------------------------------
    def signature(self) -> str:
        """``name|setting:value|...|lib:<dist>-<version>|evalnb:<version>``."""
        parts = [self.name]
        parts += [f"{k}:{_fmt(v)}" for k, v in sorted(self.settings.items())]
        if self.library:
            parts.append(f"lib:{self.library}-{library_version(self.library)}")
        parts.append(f"evalnb:{EVALNB_VERSION}")
        return "|".join(parts)

    @property
    def columns(self) -> list[str]:
        return [o.column for o in self.outputs]

    def __repr__(self) -> str:
        return f"<Metric {self.signature()}>"

    # -- scoring --------------------------------------------------------------------------
    def score(self, frame: pd.DataFrame, *, columns: Mapping[str, str] | None = None) -> pd.DataFrame:
        """Per-item scores for ``frame`` (index preserved). ``columns`` maps canonical -> actual names."""
        work = frame.rename(columns={v: k for k, v in (columns or {}).items()}) if columns else frame
        missing = [need for need in self.needs if not any(c in work.columns and work[c].notna().any() for c in need.split("|"))]
        if missing:
            raise MetricError(f"not computable: column {' or '.join(missing[0].split('|'))!s} is missing or empty")
        result = self.compute(work)
        if not isinstance(result, pd.DataFrame):
            result = result.to_frame(self.columns[0])
        return result.reindex(frame.index)

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def corpus_score(self, scores: pd.DataFrame) -> dict[str, float]:
        """Corpus-level value(s) from per-item sufficient statistics (CORPUS outputs)."""
        raise NotImplementedError


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return ",".join(_fmt(v) for v in value)
    return str(value)


def references_of(frame: pd.DataFrame) -> pd.Series:
    """Per-row list of references from ``references`` (preferred) or ``reference``."""
    refs = frame["references"] if "references" in frame else pd.Series([None] * len(frame), index=frame.index)
    single = frame["reference"] if "reference" in frame else pd.Series([None] * len(frame), index=frame.index)
    out = []
    for many, one in zip(refs, single):
        if isinstance(many, (list, tuple)) and len(many):
            out.append([str(r) for r in many])
        elif isinstance(one, str):
            out.append([one])
        elif hasattr(many, "tolist") and len(many):
            out.append([str(r) for r in many.tolist()])
        else:
            out.append(None)
    return pd.Series(out, index=frame.index, dtype=object)

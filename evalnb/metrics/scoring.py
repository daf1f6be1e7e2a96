"""``score``: run a list of metrics over eval rows and keep per-item results with signatures."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from .. import roles
from .._display import ResultDisplay
from .._errors import EvalnbError, NotComputableWarning
from . import _streaming
from .base import Metric
from .registry import metric as make_metric

KEY_COLUMNS = roles.KEY_COLUMNS
OPERATIONAL = ("latency_ms", "prompt_tokens", "completion_tokens", "cost_usd")
_TEXTUAL = {"input", "output", "reference", "references", "contexts", "retrieved_ids", "relevance",
            "label", "prediction", "tests", "source_file", "source_line"}


@dataclass(frozen=True)
class Scores(ResultDisplay):
    """Per-item scores: the item keys, one column per metric output, and how each was made.

    Attributes
    ----------
    df : keys + kept columns + metric output columns (one row per input row, same order).
    metrics : metric name -> the Metric object that produced its columns.
    signatures : metric name -> signature string.
    status : metric name -> ``"ok"`` or ``"not computable: <why>"``.
    """

    df: pd.DataFrame
    metrics: Mapping[str, Metric] = field(default_factory=dict)
    signatures: Mapping[str, str] = field(default_factory=dict)
    status: Mapping[str, str] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.df.copy()

    @property
    def score_columns(self) -> list[str]:
        return [c for m in self.metrics.values() for c in m.columns if c in self.df.columns]

    def summary(self) -> str:
        """Plain text: each metric's status and signature, and n / mean of each score column.

        Estimates per group with confidence intervals are :func:`evalnb.summarize`'s job (the
        analysis layer); this stays in the metrics layer and imports nothing above it.

        >>> Scores(pd.DataFrame({"model": ["a", "b"], "ok": [1.0, 0.0]}), {}, {"m": "m|v1"}).summary().splitlines()[0]
        'Scores: 2 rows, 1 metrics (per-group estimates with CIs: evalnb.summarize(scores))'
        """
        lines = [f"Scores: {len(self.df)} rows, {len(self.signatures)} metrics "
                 "(per-group estimates with CIs: evalnb.summarize(scores))"]
        for name, sig in self.signatures.items():
            lines.append(f"  {name} [{self.status.get(name, 'ok')}]: {sig}")
        for col in self.score_columns:
            values = pd.to_numeric(self.df[col], errors="coerce")
            lines.append(f"  {col}: n={int(values.notna().sum())} mean={values.mean():.4g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def signature_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"metric": list(self.signatures), "signature": list(self.signatures.values()),
                             "status": [self.status.get(m, "ok") for m in self.signatures]})

    def _repr_html_(self) -> str:
        return self.signature_frame().to_html(index=False, escape=True) + \
            self.df.head(10).to_html(index=False, escape=True)


def _frame_of(data: Any) -> pd.DataFrame:
    if isinstance(data, Scores):
        return data.df
    if hasattr(data, "df") and isinstance(data.df, pd.DataFrame):
        return data.df
    if isinstance(data, pd.DataFrame):
        return data
    raise TypeError(f"score() takes Runs, Scores or a DataFrame, not {type(data).__name__}")


def score(data: Any, metrics: str | Metric | Iterable[str | Metric], *,
          columns: Mapping[str, str] | None = None, keep: Sequence[str] | None = None,
          progress: bool = True) -> Scores:
    """Score eval rows with one or more metrics.

    Parameters
    ----------
    data : Runs, a DataFrame in the canonical schema, or Scores (to add metrics to them).
    metrics : names (``"rouge1"``, ``"recall@5"``), Metric objects, or a comma-separated string.
    columns : canonical name -> your column, e.g. ``{"reference": "gold_summary"}``.
    keep : extra columns to carry into the result. Default: the operational columns and every
        numeric extra column (human ratings, precomputed judge scores).

    The public ``evalnb.score`` (:func:`evalnb.metrics.engines.score`) adds ``engine="ray"``.

    A metric that cannot run on the data is reported in ``status`` as "not computable: why" with a
    :class:`NotComputableWarning`; the other metrics still run.

    Examples
    --------
    >>> scores = evalnb.score(runs, ["rouge1", "exact_match", "latency"])   # doctest: +SKIP
    >>> scores.df[["model", "item_id", "rouge1"]].head()                     # doctest: +SKIP
    """
    from tqdm.auto import tqdm

    frame = _frame_of(data)
    if isinstance(metrics, (str, Metric)):
        metrics = [m.strip() for m in metrics.split(",")] if isinstance(metrics, str) else [metrics]
    built = [make_metric(m) for m in metrics]
    prior = data if isinstance(data, Scores) else None

    if prior is not None:
        out = prior.df.copy()
    else:
        if keep is None:
            keep = [c for c in frame.columns if c not in KEY_COLUMNS and c not in _TEXTUAL
                    and (c in OPERATIONAL or pd.api.types.is_numeric_dtype(frame[c]))]
        out = frame[[c for c in KEY_COLUMNS if c in frame.columns] + [c for c in keep if c in frame.columns]].copy()

    results: dict[str, Metric] = dict(prior.metrics) if prior else {}
    signatures: dict[str, str] = dict(prior.signatures) if prior else {}
    status: dict[str, str] = dict(prior.status) if prior else {}
    bar = tqdm(built, desc="metrics", disable=not progress or len(built) < 2, leave=False)
    shown = _streaming.PROGRESS.set(bool(progress))   # the metrics' own bars follow progress= too
    try:
        _score_each(bar, frame, columns, out, results, signatures, status)
    finally:
        _streaming.PROGRESS.reset(shown)
    return Scores(out.reset_index(drop=True), results, signatures, status)


def _score_each(bar: Any, frame: pd.DataFrame, columns: Mapping[str, str] | None, out: pd.DataFrame,
                results: dict[str, Metric], signatures: dict[str, str], status: dict[str, str]) -> None:
    for m in bar:
        bar.set_postfix_str(m.name)
        signatures[m.name] = m.signature()
        results[m.name] = m
        try:
            values = m.score(frame, columns=columns)
        except EvalnbError as exc:
            why = str(exc) if str(exc).startswith("not computable") else f"not computable: {exc}"
            status[m.name] = why
            warnings.warn(f"{m.name}: {why}", NotComputableWarning, stacklevel=3)
            for col in m.columns:
                out[col] = float("nan")
            continue
        # values has out's index (Metric.score reindexes to the frame's): setting the Series
        # shares its array, where .to_numpy() would copy every column (2x the output at the peak)
        for col in values.columns:
            out[col] = values[col]
        optional = {o.column for o in m.outputs if getattr(o, "optional", False)}
        empty = [c for c in m.columns if c in values and c not in optional and values[c].notna().sum() == 0]
        status[m.name] = "ok" if not empty else "not computable: no row had the inputs this metric needs"

"""``evalnb.score``: the same scoring in this process or on a Ray cluster.

``engine="local"`` is :func:`evalnb.metrics.scoring.score`; ``engine="ray"`` is
:func:`evalnb.metrics.distributed.score_on_ray`, whose actors run that same function on each batch, so
per-item values are identical. This module only chooses; it owns no scoring rule.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from .._errors import EvalnbError
from .base import Metric
from .scoring import Scores
from .scoring import score as score_local

__all__ = ["score"]


def score(data: Any, metrics: str | Metric | Iterable[str | Metric], *, columns: Mapping[str, str] | None = None,
          keep: Sequence[str] | None = None, progress: bool = True, engine: str = "local",
          address: str | None = None, output: Any = None) -> Scores:
    """Score eval rows with one or more metrics, in this process or on Ray Data.

    Parameters
    ----------
    data : Runs, a DataFrame in the canonical schema, or Scores (to add metrics to them); with
        ``engine="ray"`` also Parquet/JSONL paths, a glob or a folder of partitions.
    metrics : names (``"rouge1"``, ``"recall@5"``), Metric objects, or a comma-separated string.
    columns : canonical name -> your column, e.g. ``{"reference": "gold_summary"}``.
    keep : extra columns to carry into the result (default: operational and numeric extra columns).
    engine : ``"local"`` (this process) or ``"ray"`` (Ray Data actors score batches with the same code:
        identical per-item values; see :mod:`evalnb.metrics.distributed`).
    address : a running Ray cluster for ``engine="ray"`` (``"auto"``, ``"ray://head:10001"``).
    output : with ``engine="ray"``, a folder to write the scores to as Parquet partitions (a
        :class:`~evalnb.metrics.distributed.ScoresDataset` is returned).

    Notes
    -----
    A metric that cannot run on the data is reported in ``status`` as "not computable: why" with a
    ``NotComputableWarning``; the other metrics still run.

    Examples
    --------
    >>> scores = evalnb.score(runs, ["rouge1", "exact_match", "latency"])   # doctest: +SKIP
    >>> scores.df[["model", "item_id", "rouge1"]].head()                     # doctest: +SKIP
    >>> evalnb.score("runs/*.parquet", ["bleu"], engine="ray", output="scores/")   # doctest: +SKIP
    """
    if engine == "local":
        if output is not None or address is not None:
            raise EvalnbError("address= and output= are for engine='ray'")
        return score_local(data, metrics, columns=columns, keep=keep, progress=progress)
    if engine == "ray":
        from .distributed import score_on_ray

        if isinstance(metrics, (str, Metric)):
            metrics = [m.strip() for m in metrics.split(",")] if isinstance(metrics, str) else [metrics]
        return score_on_ray(data, metrics, columns=columns, keep=keep, address=address, output=output)
    raise EvalnbError(f"unknown engine '{engine}'; use 'local' or 'ray'")

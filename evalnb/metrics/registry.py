"""The explicit metric registry: name -> class; ``metric(name, **settings)`` builds one."""
from __future__ import annotations

import difflib
import importlib
import re
from typing import Any

import pandas as pd

from .._errors import UnknownMetricError
from .base import Metric

# Family modules, imported on first registry use. Each must import without heavy packages.
FAMILY_MODULES = (
    "evalnb.metrics.overlap",
    "evalnb.metrics.semantic",
    "evalnb.metrics.qa",
    "evalnb.metrics.classification",
    "evalnb.metrics.code",
    "evalnb.metrics.retrieval",
    "evalnb.metrics.operational",
    "evalnb.metrics.precomputed",
    "evalnb.metrics.judge.metrics",
)

_REGISTRY: dict[str, type[Metric]] = {}
_loaded = False


def register(cls: type[Metric]) -> type[Metric]:
    """Class decorator that adds a metric to the registry under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"metric name '{cls.name}' is already registered by {_REGISTRY[cls.name].__name__}")
    _REGISTRY[cls.name] = cls
    return cls


def _load_families() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in FAMILY_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # a real missing dependency inside the module: surface it
                raise


_AT_K = re.compile(r"^(?P<base>[a-z_]+)@(?P<k>\d+)$")


def metric(name: str | Metric, **settings: Any) -> Metric:
    """Build a metric by name.

    ``name@K`` is shorthand for ``k=K`` (``"recall@5"``, ``"pass@10"``).

    >>> evalnb.metric("rouge1", use_stemmer=True).signature()    # doctest: +SKIP
    'rouge1|multi_ref:mean|use_stemmer:yes|lib:rouge-score-0.1.2|evalnb:0.1.0'
    """
    if isinstance(name, Metric):
        return name
    _load_families()
    cls = _REGISTRY.get(name)
    if cls is None:
        match = _AT_K.match(name)
        if match and f"{match['base']}@k" in _REGISTRY:
            cls = _REGISTRY[f"{match['base']}@k"]
            settings = {"k": int(match["k"]), **settings}
    if cls is None:
        known = sorted(_REGISTRY)
        close = difflib.get_close_matches(name, known, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownMetricError(f"unknown metric '{name}'.{hint} Known metrics: {', '.join(known)}")
    return cls(**settings)


def list_metrics() -> pd.DataFrame:
    """One row per registered metric: name, family, outputs, needs, description."""
    _load_families()
    rows = [
        {"name": n, "family": c.family, "outputs": ", ".join(o.column for o in c.outputs),
         "needs": ", ".join(c.needs), "description": c.description}
        for n, c in sorted(_REGISTRY.items())
    ]
    return pd.DataFrame(rows)


def registered() -> dict[str, type[Metric]]:
    _load_families()
    return dict(_REGISTRY)

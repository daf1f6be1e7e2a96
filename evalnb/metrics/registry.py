"""The explicit metric registry: name -> class; ``metric(name, **settings)`` builds one."""
from __future__ import annotations

import difflib
import importlib
import re
from typing import Any

import pandas as pd

from .._errors import MetricError, UnknownMetricError
from .base import Metric

# Which module registers which metric names. ``metric(name)`` imports only the module that holds
# ``name`` (building ROUGE does not import the judge engine, openai or aiohttp); ``list_metrics()``
# imports them all. tests/test_loaders.py checks this table against what the modules register.
FAMILIES: dict[str, tuple[str, ...]] = {
    "evalnb.metrics.sacre": ("bleu", "chrf"),
    "evalnb.metrics.rouge": ("rouge1", "rouge2", "rougeL", "rougeLsum"),
    "evalnb.metrics.semantic": ("bertscore",),
    "evalnb.metrics.qa": ("exact_match", "token_f1"),
    "evalnb.metrics.classification": ("accuracy", "macro_f1"),
    "evalnb.metrics.code": ("pass@k", "pass_rate"),
    "evalnb.metrics.retrieval": ("hit@k", "map", "mrr", "ndcg@k", "precision@k", "recall@k"),
    "evalnb.metrics.operational": ("cost", "latency", "tokens"),
    "evalnb.metrics.precomputed": ("precomputed",),
    "evalnb.metrics.judge.metrics": ("faithfulness", "judge_coherence", "judge_factuality", "judge_fluency",
                                     "judge_helpfulness", "judge_relevance", "judge_rubric", "judge_safety",
                                     "pairwise", "qa_factuality", "safety_violation"),
}
FAMILY_MODULES = tuple(FAMILIES)

_REGISTRY: dict[str, type[Metric]] = {}
_imported: set[str] = set()


def register(cls: type[Metric]) -> type[Metric]:
    """Class decorator that adds a metric to the registry under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"metric name '{cls.name}' is already registered by {_REGISTRY[cls.name].__name__}")
    _REGISTRY[cls.name] = cls
    return cls


def _import_family(module: str) -> None:
    """Import one family module; a module that cannot load is an error, never a silent gap."""
    if module in _imported:
        return
    try:
        importlib.import_module(module)
    except Exception as exc:
        names = ", ".join(FAMILIES.get(module, ()))
        raise MetricError(f"the metric family module '{module}' could not be imported ({type(exc).__name__}: {exc}); "
                          f"its metrics ({names or 'unknown'}) are unavailable. Reinstall evalnb or the missing "
                          "dependency named above.") from exc
    _imported.add(module)


def _family_of(name: str) -> str | None:
    for module, names in FAMILIES.items():
        if name in names:
            return module
    return None


def _load_families() -> None:
    for module in FAMILIES:
        _import_family(module)


def _resolve(name: str) -> tuple[type[Metric] | None, dict[str, Any]]:
    if name in _REGISTRY:
        return _REGISTRY[name], {}
    match = _AT_K.match(name)
    candidates = [name] + ([f"{match['base']}@k"] if match else [])
    for candidate in candidates:
        module = _family_of(candidate)
        if module is not None:
            _import_family(module)
        if candidate in _REGISTRY:
            return _REGISTRY[candidate], ({"k": int(match["k"])} if candidate != name and match else {})
    return None, {}


_AT_K = re.compile(r"^(?P<base>[a-z_]+)@(?P<k>\d+)$")


def metric(name: str | Metric, **settings: Any) -> Metric:
    """Build a metric by name.

    ``name@K`` is shorthand for ``k=K`` (``"recall@5"``, ``"pass@10"``).

    >>> evalnb.metric("rouge1", use_stemmer=True).signature()    # doctest: +SKIP
    'rouge1|multi_ref:mean|use_stemmer:yes|lib:rouge-score-0.1.2|evalnb:0.1.0'
    """
    if isinstance(name, Metric):
        return name
    cls, implied = _resolve(name)
    settings = {**implied, **settings}
    if cls is None:
        _load_families()  # an unknown name: list every metric, with the closest ones
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

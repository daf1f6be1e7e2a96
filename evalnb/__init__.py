"""evalnb: choose, validate and enforce LLM evaluation metrics for production.

The public API is curated here and imported lazily, so ``import evalnb`` stays light (no torch,
bert-score, openai, ipywidgets or statsmodels until a function needs them).

>>> import evalnb
>>> runs = evalnb.load_runs("sample_data/runs/*.jsonl")          # doctest: +SKIP
>>> scores = evalnb.score(runs, ["rouge1", "latency"])           # doctest: +SKIP
>>> evalnb.summarize(scores, by=["model"]).to_frame()            # doctest: +SKIP
"""
from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__  # one version string (pyproject.toml's, checked by a test)

_API: dict[str, str] = {
    # io and data model
    "load_runs": "evalnb.runs",
    "load_kpis": "evalnb.runs",
    "join_kpis": "evalnb.runs",
    "Runs": "evalnb.runs",
    "Kpis": "evalnb.runs",
    # metrics
    "metric": "evalnb.metrics.registry",
    "list_metrics": "evalnb.metrics.registry",
    "score": "evalnb.metrics.engines",
    "Scores": "evalnb.metrics.scoring",
    "ScoresDataset": "evalnb.metrics.distributed",
    "pass_at_k": "evalnb.metrics.code",
    "run_code_tests": "evalnb.metrics.code",
    "Sandbox": "evalnb.metrics.sandbox",
    "probe_isolation": "evalnb.metrics.sandbox",
    # analysis
    "summarize": "evalnb.analysis.summarize",
    "compare": "evalnb.analysis.compare",
    "worst_slices": "evalnb.analysis.slices",
    "slice_table": "evalnb.analysis.dataset",
    "classification_report": "evalnb.analysis.summarize",
    "correlate": "evalnb.analysis.correlate",
    "fit_kpi": "evalnb.analysis.kpi_models",
    "select_portfolio": "evalnb.analysis.portfolio_select",
    "validity_drift": "evalnb.analysis.validity",
    "drift": "evalnb.analysis.drift",
    "drift_since": "evalnb.analysis.drift",
    "drift_months": "evalnb.analysis.drift",
    "validate_judge": "evalnb.analysis.judge_validation",
    # judge
    "generate": "evalnb.metrics.judge.generate",
    "JudgeConfig": "evalnb.metrics.judge.engine",
    "compare_pairwise": "evalnb.metrics.judge.pairwise",
    "safety_report": "evalnb.metrics.judge.safety",
    "bias_probes": "evalnb.metrics.judge.safety",
    "perturb": "evalnb.metrics.judge.robustness",
    "stratified_sample": "evalnb.metrics.judge.sampling",
    # portfolio and gates
    "Portfolio": "evalnb.portfolio.schema",
    "load_portfolio": "evalnb.portfolio.loading",
    "portfolio_from_selection": "evalnb.portfolio.selection",
    "gate": "evalnb.portfolio.gates",
    "recalibrate": "evalnb.portfolio.recalibrate",
    "RecalibrationProposal": "evalnb.portfolio.recalibrate",
    # report
    "report": "evalnb.report.html",
    "export_notebook": "evalnb.report.notebook",
    # errors and warnings (``except evalnb.DataError``)
    "EvalnbError": "evalnb._errors",
    "DataError": "evalnb._errors",
    "SchemaError": "evalnb._errors",
    "UnknownMetricError": "evalnb._errors",
    "MetricError": "evalnb._errors",
    "ConfigError": "evalnb._errors",
    "SandboxUnavailableError": "evalnb._errors",
    "JudgeError": "evalnb._errors",
    "EvalnbWarning": "evalnb._errors",
    "SmallSampleWarning": "evalnb._errors",
    "SimpsonWarning": "evalnb._errors",
    "TokenizerWarning": "evalnb._errors",
    "NotComputableWarning": "evalnb._errors",
}

__all__ = sorted(_API) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name == "errors":  # the public module with the whole error and warning hierarchy
        return importlib.import_module("evalnb.errors")
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'evalnb' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext evalnb``: registers the ``%evalnb`` line/cell magic.

    The magic lives in the notebook layer (``evalnb.widgets.magics``); the core never imports it,
    this Jupyter entry point only names it when IPython asks."""
    importlib.import_module("evalnb.widgets.magics").load_ipython_extension(ipython)

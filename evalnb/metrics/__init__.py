"""Metrics: the registry, the metric contract and ``score``."""
from .base import CORPUS, MEAN, PERCENTILE, PROPORTION, Metric, Output
from .registry import list_metrics, metric, register
from .scoring import Scores, score

__all__ = ["Metric", "Output", "MEAN", "PROPORTION", "PERCENTILE", "CORPUS", "metric", "list_metrics",
           "register", "score", "Scores"]

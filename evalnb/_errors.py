"""Exceptions and warning classes raised by evalnb.

Every message says what went wrong, where (file, line, field, item id) and how to fix it.
"""
from __future__ import annotations


class EvalnbError(Exception):
    """Base class of every error evalnb raises on purpose."""


class DataError(EvalnbError, ValueError):
    """Input data is malformed; the message names the file, line and field."""

    def __init__(self, message: str, *, problems: list[dict] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class SchemaError(DataError):
    """A required column is missing or has the wrong type."""


class UnknownMetricError(EvalnbError, KeyError):
    """A metric name is not in the registry."""

    def __str__(self) -> str:  # KeyError quotes its message otherwise
        return str(self.args[0]) if self.args else ""


class MetricError(EvalnbError):
    """A metric could not be computed on the given data."""


class ConfigError(EvalnbError, ValueError):
    """A portfolio config is invalid."""


class SandboxUnavailableError(EvalnbError, RuntimeError):
    """The code-execution sandbox cannot provide the requested isolation."""


class JudgeError(EvalnbError, RuntimeError):
    """A judge endpoint failed in a way that cannot be retried."""


class EvalnbWarning(UserWarning):
    """Base class of evalnb's warnings."""


class SmallSampleWarning(EvalnbWarning):
    """n is too small for the requested precision."""


class SimpsonWarning(EvalnbWarning):
    """Pooled and within-group associations have opposite signs."""


class TokenizerWarning(EvalnbWarning):
    """A tokenizer drops text (e.g. rouge-score's default on non-Latin scripts)."""


class NotComputableWarning(EvalnbWarning):
    """A metric could not be computed on a column; the others were kept."""

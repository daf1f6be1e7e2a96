"""Every exception and warning evalnb raises on purpose, in one public module.

``except evalnb.errors.DataError`` (or ``evalnb.DataError``) works everywhere. The base classes
live at the bottom of the layer order (``evalnb._errors``); the few that belong to one component
(the judge journal, the portfolio config, KPI models) are defined there and re-exported here
lazily, so importing this module stays light.

Hierarchy::

    EvalnbError
        DataError (ValueError)           input data malformed: the message names file, line, field
            SchemaError                  a required column missing or of the wrong type
        UnknownMetricError (KeyError)    a metric name not in the registry
        MetricError                      a metric cannot be built or computed
        ConfigError (ValueError)         bad settings or a bad portfolio config
            PortfolioValidationError     every problem of a portfolio config, listed together
        SandboxUnavailableError          the code sandbox's isolation is missing (fail closed)
        JudgeError (RuntimeError)        a judge call or the judge journal failed
            JournalRefusedError, JournalWriteError
    EvalnbWarning (UserWarning)
        SmallSampleWarning, SimpsonWarning, TokenizerWarning, NotComputableWarning,
        JudgeReplyWarning, JournalRepairedWarning, ConfigMigrationWarning, CollinearityWarning

>>> import evalnb.errors as errors
>>> issubclass(errors.SchemaError, errors.DataError), issubclass(errors.PortfolioValidationError, errors.ConfigError)
(True, True)
"""
from __future__ import annotations

import importlib
from typing import Any

from ._errors import (ConfigError, DataError, EvalnbError, EvalnbWarning, JudgeError, MetricError,
                      NotComputableWarning, SandboxUnavailableError, SchemaError, SimpsonWarning,
                      SmallSampleWarning, TokenizerWarning, UnknownMetricError)

_LAZY = {
    "PortfolioValidationError": "evalnb.portfolio.loading",
    "ConfigMigrationWarning": "evalnb.portfolio.loading",
    "JudgeReplyWarning": "evalnb.metrics.judge.engine",
    "JournalRepairedWarning": "evalnb.metrics.judge.journal",
    "JournalRefusedError": "evalnb.metrics.judge.journal",
    "JournalWriteError": "evalnb.metrics.judge.journal",
    "CollinearityWarning": "evalnb.analysis.kpi_models",
}

__all__ = ["EvalnbError", "DataError", "SchemaError", "UnknownMetricError", "MetricError", "ConfigError",
           "SandboxUnavailableError", "JudgeError", "EvalnbWarning", "SmallSampleWarning", "SimpsonWarning",
           "TokenizerWarning", "NotComputableWarning", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evalnb.errors' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

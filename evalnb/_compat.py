"""Old keyword names that keep working for one release, with a DeprecationWarning.

One word per concept across the API: ``confidence=`` for an interval's level (was ``ci=`` in
correlate, fit_kpi and validity_drift) and ``adjust=`` for the multiplicity correction (was
``method=`` in compare and worst_slices, where ``method`` now means nothing else).
"""
from __future__ import annotations

import warnings
from typing import Any

REMOVED_IN = "0.3"


def renamed(function: str, old: str, old_value: Any, new: str, new_value: Any) -> Any:
    """The value to use: ``new_value``, or ``old_value`` (with a DeprecationWarning) when the
    caller still passes the old keyword.

    >>> renamed("f", "ci", None, "confidence", 0.9)
    0.9
    """
    if old_value is None:
        return new_value
    warnings.warn(f"{function}({old}=...) is deprecated and will be removed in evalnb {REMOVED_IN}; "
                  f"use {new}=...", DeprecationWarning, stacklevel=3)
    return old_value

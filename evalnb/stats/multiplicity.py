"""Multiple-comparison adjustment with named results (statsmodels ``multipletests``).

- ``"holm"``: Holm (1979) step-down; controls the family-wise error rate.
- ``"bh"``: Benjamini & Hochberg (1995); controls the false discovery rate.

NaN p-values (tests that could not run) are left out of the family and stay NaN.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import EvalnbError

METHODS = {"holm": "holm", "bh": "fdr_bh", "none": None}
LABELS = {"holm": "Holm (FWER)", "bh": "Benjamini-Hochberg (FDR)", "none": "unadjusted"}


@dataclass(frozen=True)
class Adjusted:
    """Adjusted p-values (statsmodels' 4-tuple, with names).

    Attributes
    ----------
    p_values : the raw p-values, in input order.
    p_adjusted : adjusted p-values (NaN where the input was NaN).
    reject : whether each hypothesis is rejected at ``alpha`` after adjustment.
    method : ``"holm"``, ``"bh"`` or ``"none"``; ``label`` is its readable name.
    alpha : the family-wise (Holm) or false-discovery (BH) level.
    n_tests : how many non-NaN p-values formed the family.
    """

    p_values: np.ndarray
    p_adjusted: np.ndarray
    reject: np.ndarray
    method: str
    alpha: float
    n_tests: int

    @property
    def label(self) -> str:
        return LABELS[self.method]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"p_value": self.p_values, "p_adjusted": self.p_adjusted, "reject": self.reject})


def adjust(p_values, method: str = "holm", alpha: float = 0.05) -> Adjusted:
    """Adjust a family of p-values for multiplicity.

    Parameters
    ----------
    p_values : array-like of p-values; NaN entries are skipped.
    method : ``"holm"`` (default), ``"bh"`` or ``"none"``.
    alpha : level for the ``reject`` flags.

    Examples
    --------
    >>> adjust([0.01, 0.04, 0.03], method="holm").p_adjusted.round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    if method not in METHODS:
        raise EvalnbError(f"unknown multiplicity method '{method}'; use one of: {', '.join(METHODS)}")
    p = np.asarray(p_values, dtype=float).ravel()
    adjusted = np.full_like(p, np.nan)
    reject = np.zeros(len(p), dtype=bool)
    ok = ~np.isnan(p)
    if ok.any():
        if METHODS[method] is None:
            adjusted[ok] = p[ok]
            reject[ok] = p[ok] <= alpha
        else:
            from statsmodels.stats.multitest import multipletests

            rej, p_adj, _, _ = multipletests(p[ok], alpha=alpha, method=METHODS[method])
            adjusted[ok] = p_adj
            reject[ok] = rej
    return Adjusted(p, adjusted, reject, method, alpha, int(ok.sum()))

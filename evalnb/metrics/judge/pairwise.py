"""Pairwise comparison of two models' outputs on matched items, judged in both orders (J12).

A win counts only if it survives the swap: the judge prefers the same *output* whether it is shown
first or second. Pairs whose verdict follows the position are inconsistent and count as ties;
the share of consistent pairs is the judge's position consistency (Zheng et al. 2023, MT-Bench,
Sec. 3.4).

>>> res = compare_pairwise(runs, "atlas-large", "swift-small", base_url=url, model="judge")   # doctest: +SKIP
>>> print(res.summary())                                                                   # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..._display import ResultDisplay
from ..._errors import DataError
from ..registry import metric as make_metric


@dataclass(frozen=True)
class PairwiseResult(ResultDisplay):
    """Wins/losses/ties of ``model_a`` vs ``model_b`` after the swap test, and position consistency."""

    model_a: str
    model_b: str
    items: pd.DataFrame
    signature: str

    @property
    def n(self) -> int:
        return int(self.items["pairwise_score"].notna().sum())

    def counts(self) -> dict[str, int]:
        s = self.items["pairwise_score"].dropna()
        cons = self.items.loc[s.index, "pairwise_consistent"] == 1
        return {"wins": int((s == 1).sum()), "losses": int((s == 0).sum()),
                "ties": int(((s == 0.5) & cons).sum()), "inconsistent": int((~cons).sum())}

    @property
    def position_consistency(self) -> float:
        c = self.items["pairwise_consistent"].dropna()
        return float(c.mean()) if len(c) else float("nan")

    def win_rate(self) -> tuple[float, float, float]:
        """(wins + ties/2) / n with a 95% CI from a bootstrap over items (scipy)."""
        from scipy import stats

        s = self.items["pairwise_score"].dropna().to_numpy(dtype=float)
        if len(s) < 2 or np.all(s == s[0]):
            v = float(s.mean()) if len(s) else float("nan")
            return v, v, v
        res = stats.bootstrap((s,), np.mean, n_resamples=2000, method="percentile", random_state=0)
        return float(s.mean()), float(res.confidence_interval.low), float(res.confidence_interval.high)

    def to_frame(self) -> pd.DataFrame:
        rate, lo, hi = self.win_rate()
        return pd.DataFrame([{"model_a": self.model_a, "model_b": self.model_b, "n": self.n, **self.counts(),
                              "win_rate_a": rate, "ci_low": lo, "ci_high": hi,
                              "position_consistency": self.position_consistency,
                              "excluded": int(self.items["pairwise_score"].isna().sum())}])

    def summary(self) -> str:
        c = self.counts()
        rate, lo, hi = self.win_rate()
        return (f"{self.model_a} vs {self.model_b}: {c['wins']} wins, {c['losses']} losses, {c['ties']} ties, "
                f"{c['inconsistent']} inconsistent (counted as ties) over n={self.n}; win rate {rate:.3f} "
                f"[{lo:.3f}, {hi:.3f}]; position consistency {self.position_consistency:.3f}")

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False, escape=True)

    def chart(self):
        import altair as alt

        c = self.counts()
        data = pd.DataFrame({"outcome": list(c), "count": list(c.values())})
        return alt.Chart(data).mark_bar().encode(x="count:Q", y=alt.Y("outcome:N", sort=list(c)), tooltip=["outcome", "count"])


def compare_pairwise(data: Any, model_a: str, model_b: str, *, on: str = "item_id", **settings: Any) -> PairwiseResult:
    """Judge ``model_a``'s output against ``model_b``'s on the items both answered (both orders)."""
    frame = data.df if hasattr(data, "df") else data
    a = frame[frame["model"] == model_a]
    b = frame[frame["model"] == model_b]
    if a.empty or b.empty:
        known = sorted(frame["model"].dropna().unique())
        raise DataError(f"compare_pairwise: no rows for {model_a if a.empty else model_b!r}; models: {known}")
    cols = [c for c in (on, "input", "output", "reference", "references", "task", "category") if c in a.columns]
    paired = a[cols].merge(b[[on, "output"]].rename(columns={"output": "output_b"}), on=on, how="inner")
    if paired.empty:
        raise DataError(f"compare_pairwise: {model_a} and {model_b} share no {on}")
    m = make_metric("pairwise", **settings)
    values = m.score(paired)
    items = pd.concat([paired[[on]].reset_index(drop=True), values.reset_index(drop=True)], axis=1)
    if m.details is not None and not m.details.empty:
        wins = m.details.groupby("row").agg(winner_ab=("winner_ab", "first"), winner_ba=("winner_ba", "first")) \
            if "winner_ab" in m.details else None
        if wins is not None:
            items = items.join(wins, how="left")
    return PairwiseResult(model_a, model_b, items, m.signature())

"""Seeded cases whose intervals the scale work (issue 11) must keep within Monte-Carlo error.

``cases()`` computes every case with whichever ``evalnb`` is importable. The frozen figures of the
code *before* the change live in ``tests/fixtures/scale_before.json``; regenerate them with

    git archive 662d6f7 evalnb | tar -x -C /tmp/before
    EVALNB_IMPORT_FROM=/tmp/before .venv/bin/python tests/_scale_cases.py > tests/fixtures/scale_before.json

Each case also records the standard error its tolerance is scaled by (the interval's own SE),
so a test can say "the bounds moved by less than k standard errors".
"""
from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd

def _import_from_env() -> None:
    """With ``EVALNB_IMPORT_FROM=<folder>``, import ``evalnb`` from that folder, not the editable install."""
    import os
    import sys

    folder = os.environ.get("EVALNB_IMPORT_FROM")
    if folder:
        sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "")
                            and "editable" not in type(f).__module__ and "editable" not in repr(f)]
        sys.path.insert(0, folder)


N_MID = 30_000   # above the analytic threshold of the new code, below the old one


def _texts(size: int, seed: int):
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(800)])
    refs, outs = [], []
    for _ in range(size):
        k = int(rng.integers(8, 30))
        ref = vocab[rng.zipf(1.3, k) % len(vocab)]
        out = ref.copy()
        swap = rng.random(k) < rng.uniform(0.1, 0.8)
        out[swap] = vocab[rng.integers(0, len(vocab), int(swap.sum()))]
        refs.append(" ".join(ref))
        outs.append(" ".join(out))
    return outs, refs


def corpus_frame(n_items: int = 300, rows: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Two models' BLEU/chrF statistics on ``rows`` matched items drawn from ``n_items`` scored texts."""
    import evalnb

    outs, refs = _texts(2 * n_items, seed)
    frame = pd.DataFrame({"item_id": [str(i) for i in range(2 * n_items)], "model": "m", "output": outs,
                          "reference": refs})
    scored = evalnb.score(frame, ["bleu", "chrf"], progress=False).df
    rng = np.random.default_rng(seed + 1)
    pick_a = rng.integers(0, n_items, rows)
    pick_b = pick_a + n_items * (rng.random(rows) < 0.5)
    cols = [c for c in scored.columns if c.startswith("_") or c in ("bleu", "chrf")]
    a = scored[cols].iloc[pick_a].reset_index(drop=True).assign(model="base", item_id=[str(i) for i in range(rows)])
    b = scored[cols].iloc[pick_b].reset_index(drop=True).assign(model="cand", item_id=[str(i) for i in range(rows)])
    return pd.concat([a, b], ignore_index=True)


def _scores(frame: pd.DataFrame):
    import evalnb
    from evalnb.metrics.scoring import Scores

    metrics = {name: evalnb.metric(name) for name in ("bleu", "chrf")}
    return Scores(frame, metrics, {k: m.signature() for k, m in metrics.items()}, {k: "ok" for k in metrics})


def cases() -> dict[str, dict[str, float]]:
    import evalnb
    from evalnb.stats import correlation as cs
    from evalnb.stats import intervals as iv

    warnings.simplefilter("ignore")
    out: dict[str, dict[str, float]] = {}
    rng = np.random.default_rng(11)
    x = rng.lognormal(0.0, 0.8, N_MID)
    ci = iv.bootstrap_mean_ci(x, seed=3)
    out["mean_lognormal"] = {"low": ci.low, "high": ci.high, "se": float(x.std(ddof=1) / np.sqrt(len(x)))}
    base = rng.normal(size=N_MID)
    cand = base + 0.004 + rng.standard_t(4, N_MID) * 0.4
    d = iv.paired_difference(base, cand, seed=5)
    out["paired_continuous"] = {"low": d.low, "high": d.high, "p": d.p_value,
                                "se": float(np.std(cand - base, ddof=1) / np.sqrt(N_MID))}
    a, b = rng.gamma(2.0, 1.0, N_MID), rng.gamma(2.0, 1.0, N_MID) + 0.02
    u = iv.unpaired_difference(a, b, seed=6)
    out["unpaired_continuous"] = {"low": u.low, "high": u.high, "p": u.p_value,
                                  "se": float(np.sqrt(a.var(ddof=1) / N_MID + b.var(ddof=1) / N_MID))}
    num, den = rng.gamma(2.0, 0.001, N_MID), (rng.random(N_MID) < 0.7).astype(float)
    r = iv.ratio_ci(num, den, seed=7)
    ratio = num.sum() / den.sum()
    lin = (num - ratio * den) / den.mean()
    out["ratio"] = {"low": r.low, "high": r.high, "se": float(lin.std(ddof=1) / np.sqrt(N_MID))}
    # correlations: sample level, bootstrap routes
    q = rng.normal(size=N_MID)
    metric = np.clip(np.round(3 + q + rng.normal(size=N_MID)), 1, 5)
    cont = q + rng.normal(size=N_MID) * 1.5
    kpi = (q + rng.normal(size=N_MID) > 0).astype(float)
    for method in ("spearman", "kendall", "pearson"):
        ests = cs.correlations(np.column_stack([metric, cont]), kpi, method, n_boot=1000, seed=2,
                               force_bootstrap=method == "pearson")
        for name, e in zip(("judge", "cont"), ests):
            out[f"corr_{method}_{name}"] = {"estimate": e.estimate, "low": e.ci_low, "high": e.ci_high, "se": e.se_z}
    # corpus intervals (summarize) and a paired corpus comparison (compare): 3,000 items per
    # model (exact resampling in the new code) and 12,000 (normal limit of the summed statistics)
    for tag, rows in (("", 3000), ("big_", 12000)):
        scores = _scores(corpus_frame(rows=rows))
        summ = evalnb.summarize(scores, by="model", metrics=["bleu", "chrf"], n_boot=1000, progress=False).to_frame()
        for row in summ.itertuples():
            out[f"corpus_{tag}{row.model}_{row.metric}"] = {"estimate": row.estimate, "low": row.ci_low,
                                                            "high": row.ci_high}
        cmp = evalnb.compare(scores, baseline="base", candidate="cand", metrics=["bleu", "chrf"],
                             n_boot=1000).to_frame()
        for row in cmp.itertuples():
            out[f"corpus_{tag}diff_{row.metric}"] = {"estimate": row.difference, "low": row.ci_low,
                                                     "high": row.ci_high, "p": row.p_value}
    return {k: {kk: float(vv) for kk, vv in v.items()} for k, v in out.items()}


if __name__ == "__main__":
    _import_from_env()
    print(json.dumps(cases(), indent=1, sort_keys=True))

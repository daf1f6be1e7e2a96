"""Meta-evaluation on real human judgments (../shared/data): SummEval expert ratings against
evalnb's own ROUGE, and UniEval's released predictions against human scores, at the sample,
summary (group) and system levels, each checked against scipy applied by hand following the
procedures in ../shared/data/README.md. Skipped when ../shared/data is absent."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import evalnb
from conftest import shared_data_path

pytestmark = pytest.mark.shared_data   # every test here reads ../shared/data

SCIPY = {"pearson": stats.pearsonr, "spearman": stats.spearmanr, "kendall": stats.kendalltau}


def _by_hand(df: pd.DataFrame, metric: str, target: str, method: str, level: str, group: str, system: str) -> float:
    f = SCIPY[method]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if level == "sample":
            return f(df[metric], df[target]).statistic
        if level == "group":
            kept = [f(g[metric], g[target]).statistic for _, g in df.groupby(group)
                    if g[metric].nunique() > 1 and g[target].nunique() > 1]
            return float(np.mean(kept))
        means = df.groupby(system)[[metric, target]].mean()
        return f(means[metric], means[target]).statistic


def _check(res, df, group, system):
    for r in res.to_frame().itertuples():
        expected = _by_hand(df, r.metric, r.target, r.method, r.level, group, system)
        if np.isnan(expected):  # e.g. one output per source: every group is constant, none kept
            assert np.isnan(r.estimate) and r.status == "constant input"
            continue
        assert r.estimate == pytest.approx(expected, abs=1e-10), (r.metric, r.target, r.method, r.level)
        assert r.ci_low <= r.estimate <= r.ci_high


@pytest.fixture(scope="module")
def summeval() -> pd.DataFrame:
    path = shared_data_path("summeval", "summeval_expert_1600.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    df = pd.DataFrame(rows)
    df["model"] = df["system_id"]
    df["item_id"] = df["doc_id"] + "/" + df["system_id"]
    df["output"] = df["system_output"]
    scores = evalnb.score(df[["model", "item_id", "output", "references"]], ["rouge1", "rouge2"], progress=False)
    for col in ("rouge1", "rouge2"):
        df[col] = scores.df[col].to_numpy()
    return df


def test_summeval_rouge_is_rouge_score_averaged_over_references(summeval):
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    for row in summeval.head(15).itertuples():
        expected = np.mean([scorer.score(ref, row.output)["rouge1"].fmeasure for ref in row.references])
        assert row.rouge1 == pytest.approx(expected, abs=1e-9)


def test_summeval_three_levels_match_scipy_by_hand(summeval):
    res = evalnb.correlate(summeval, ["rouge1", "rouge2"], ["relevance", "consistency"],
                           level=["sample", "group", "system"], group="doc_id", system="system_id", by=None, n_boot=200)
    t = res.to_frame()
    assert len(t) == 2 * 2 * 3 * 3
    _check(res, summeval, "doc_id", "system_id")
    sample = t[(t["level"] == "sample")]
    assert set(sample["n_groups"]) == {100}      # the sample level resamples whole documents (shared source)
    system = t[t["level"] == "system"]
    assert (system["n_groups"] == 16).all() and (system["status"] == "ok").all()
    # ROUGE tracks expert relevance positively at the system level, as the literature reports
    assert (system.query("target == 'relevance'")["estimate"] > 0).all()


@pytest.mark.parametrize("name,group", [("dialogue/topical_chat_result.json", "source"),
                                        ("data2text/sfres_result.json", "doc_id")])
def test_unieval_predictions_against_human_scores(name, group):
    path = shared_data_path("unieval", "predictions", *name.split("/"))
    items = json.loads(path.read_text(encoding="utf-8"))
    df = pd.DataFrame([{group: it[group], "system_id": it.get("system_id", "sys"),
                        **{f"human_{k}": v for k, v in it["scores"].items()},
                        **{f"unieval_{k}": v for k, v in it["predict_scores"].items()}} for it in items])
    dims = [k for k in items[0]["predict_scores"] if f"human_{k}" in df.columns][:2]
    levels = ["sample", "group"] + (["system"] if df["system_id"].nunique() > 1 else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = evalnb.correlate(df, [f"unieval_{d}" for d in dims], [f"human_{d}" for d in dims], level=levels,
                               group=group, system="system_id", by=None, n_boot=200, min_n=3)
    _check(res, df, group, "system_id")
    t = res.to_frame()
    own = t[(t["level"] == "sample") & (t["metric"].str[8:] == t["target"].str[6:]) & (t["method"] == "spearman")]
    assert (own["estimate"] > 0.2).all()          # a learned metric tracks its own dimension

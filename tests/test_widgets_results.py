"""Issue 12 defect 5 (internals leak into result displays the Explorer shows): KpiFit's summary,
markdown and HTML name terms by their column (``judge_relevance``, ``category = billing``), never
patsy's ``Q('judge_relevance')`` / ``C(Q('category'))[T.billing]``, while the formula and the
coefficients table keep statsmodels' terms; ``Runs.summary()`` says "categories", not "categorys".
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalnb
from evalnb.runs import Runs

pytest.importorskip("statsmodels")


@pytest.fixture(scope="module")
def fit():
    rng = np.random.default_rng(3)
    n = 240
    df = pd.DataFrame({"judge_relevance": rng.normal(3, 1, n), "judge_faithfulness": rng.normal(3, 1, n),
                       "category": rng.choice(["billing", "returns", "shipping"], n)})
    df["csat"] = 0.8 * df["judge_relevance"] + (df["category"] == "billing") + rng.normal(0, 1, n)
    return evalnb.fit_kpi(df, "csat", ["judge_relevance", "judge_faithfulness"], controls=["category"],
                          cv_repeats=1)


def _shown(fit) -> dict[str, str]:
    bundle = fit._repr_mimebundle_()
    return {"summary": fit.summary(), "str": str(fit), "text/plain": bundle["text/plain"],
            "text/markdown": bundle["text/markdown"], "text/html": bundle["text/html"]}


def test_kpi_fit_displays_column_names_not_formula_terms(fit):
    for form, text in _shown(fit).items():
        assert "Q(" not in text, f"{form} shows a patsy term: {text[:300]}"
        assert "[T." not in text, f"{form} shows a patsy dummy: {text[:300]}"
        assert "judge_relevance" in text and "judge_faithfulness" in text, form
        assert "category = returns" in text and "category = shipping" in text, form
    # a term line in the summary starts with the column name itself
    assert any(line.strip().startswith("judge_relevance: ") for line in fit.summary().splitlines())
    assert "model: csat ~ judge_relevance + judge_faithfulness + category" in fit.summary()


def test_kpi_fit_keeps_statsmodels_terms_internally(fit):
    assert fit.formula == "Q('csat') ~ Q('judge_relevance') + Q('judge_faithfulness') + C(Q('category'))"
    assert "Q('judge_relevance')" in set(fit.coefficients["term"])
    frame = fit.to_frame()
    row = frame.set_index("formula_term").loc["Q('judge_relevance')"]
    assert row["term"] == "judge_relevance" and row["metric"] == "judge_relevance"
    assert frame.set_index("formula_term").loc["C(Q('category'))[T.shipping]", "term"] == "category = shipping"
    # the coefficient shown next to the readable name is statsmodels' own for that term
    assert row["coef"] == pytest.approx(fit.raw.params["Q('judge_relevance')"], rel=1e-12)


def test_runs_summary_header_pluralises_category():
    df = pd.DataFrame({"model": ["a", "a", "a", "b"], "item_id": ["1", "2", "2", "1"],
                       "task": ["qa", "qa", "chat", "qa"], "category": ["billing", "returns", "returns", "billing"]})
    summary = Runs(df).summary().tables[0]
    assert list(summary.columns) == ["model", "rows", "items", "tasks", "categories"]
    assert summary.set_index("model").loc["a"].tolist() == [3, 2, 2, 2]
    assert summary.set_index("model").loc["b"].tolist() == [1, 1, 1, 1]
    html = Runs(df)._repr_html_()
    assert "categories" in html and "categorys" not in html

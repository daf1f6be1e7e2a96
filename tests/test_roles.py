"""Column roles have one source of truth (``evalnb.roles``): every layer agrees on the direction of a
column, on which columns are 0/1, on keys, and every CSV writer neutralises formulas.

The expected directions are the issue's table, written by hand (not read from ``evalnb.roles``).
"""
from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

import evalnb
from evalnb import roles
from evalnb.cli import main

pytestmark = pytest.mark.timeout(300)

# issue 14's table, decided: every one of these is lower-is-better
EXPECTED = {"toxicity": "lower", "otel_error": "lower", "total_tokens": "lower", "cost_per_success": "lower",
            "judge_relevance": "higher", "task_success": "higher", "latency_ms": "lower", "escalated": "lower",
            "handle_time_s": "lower", "judge_safety_violation": "lower", "human_rating": "higher", "harmless_rate": "higher"}
TABLE = ["toxicity", "otel_error", "total_tokens", "cost_per_success"]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    z = rng.normal(size=n)
    # every column rises with the KPI, so a direction taken from the association's sign would say
    # "higher" for all of them: the name rule must win where it speaks.
    return pd.DataFrame({
        "run_id": "r", "model": "m", "item_id": [str(i) for i in range(n)], "input": "q", "output": "a",
        "judge_relevance": z + rng.normal(size=n), "toxicity": z + rng.normal(size=n),
        "otel_error": (z + rng.normal(size=n) > 1).astype(float), "total_tokens": 100 + 10 * z + rng.normal(size=n),
        "cost_per_success": 1 + 0.1 * z + 0.1 * rng.normal(size=n), "task_success": (z + rng.normal(size=n) > 0).astype(float)})


def test_roles_decides_the_table():
    assert {c: roles.direction(c) for c in EXPECTED} == EXPECTED


def test_summarize_select_portfolio_gates_report_and_explorer_agree(frame):
    from evalnb.report.sections import lower_is_better as report_lower
    from evalnb.widgets import Session

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = evalnb.summarize(frame, by=None, metrics=TABLE, n_boot=50, progress=False).to_frame()
        sel = evalnb.select_portfolio(frame, "task_success", candidates=["judge_relevance", "total_tokens",
                                                                         "cost_per_success", "otel_error"],
                                      safety=["toxicity"], n_boot=100, cv_repeats=1)
    from_summarize = {r.metric: "higher" if r.higher_is_better else "lower" for r in summary.itertuples()}
    portfolio = evalnb.portfolio_from_selection(sel)
    from_selection = {m.column: m.direction for _, m in portfolio.metrics()}
    from_report = {c: "lower" if report_lower(c) else "higher" for c in TABLE}
    session = Session(frame.drop(columns=["task_success"]))
    from_explorer = {c: "higher" if session.higher_is_better(c) else "lower" for c in TABLE}
    want = {c: EXPECTED[c] for c in TABLE}
    assert from_summarize == want
    assert {c: from_selection[c] for c in TABLE} == want and from_selection["judge_relevance"] == "higher"
    assert from_report == want
    assert from_explorer == want
    # the gates read the direction the selection wrote into the portfolio
    gated = [(r, s) for r, s in portfolio.metrics() if s.gate is not None]
    if gated:
        report = evalnb.gate(portfolio, frame, n_boot=50)
        assert {r.column: r.direction for r in report.results if r.column in TABLE} == \
            {s.column: want[s.column] for _, s in gated if s.column in TABLE}


def test_metric_object_then_override(frame):
    m = evalnb.metric("precomputed", column="otel_error", higher_is_better=True)
    assert roles.direction("otel_error", [m]) == "higher"                      # the metric object speaks first
    assert roles.direction("otel_error", [m], {"otel_error": "lower"}) == "lower"  # the user's override wins
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = evalnb.score(frame, [m], progress=False)
        s = evalnb.summarize(scores, by=None, n_boot=50, progress=False).to_frame()
        o = evalnb.summarize(scores, by=None, n_boot=50, progress=False,
                             higher_is_better={"otel_error": False}).to_frame()
    assert bool(s["higher_is_better"].iloc[0]) is True and bool(o["higher_is_better"].iloc[0]) is False
    from evalnb.widgets import Session

    assert Session(frame, scores=scores).higher_is_better("otel_error") is True


@pytest.mark.parametrize("values, binary", [([0, 1, 1, np.nan], True), ([0.0, 1.0, 2.0], False),
                                            ([1, 1, 1], True), ([0.5, 1.0], False)])
def test_every_zero_one_check_agrees(values, binary):
    from evalnb.analysis.kpi_models import detect_family
    from evalnb.portfolio.config import Gate, MetricSpec
    from evalnb.portfolio.gates import _statistic

    arr = np.asarray(values, float)
    assert roles.is_binary(arr) is binary
    df = pd.DataFrame({"x": arr})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stat = evalnb.summarize(df, by=None, metrics=["x"], n_boot=20, progress=False).to_frame()["statistic"].iloc[0]
    assert (stat == "rate") is binary
    assert (detect_family(arr) == "logit") is binary
    spec = MetricSpec(name="x", source="column", direction="higher", gate=Gate(threshold=0.5, rule="ci_lower"))
    assert (_statistic(spec.gate, arr, None, spec) == "proportion") is binary


def test_key_columns_have_one_list():
    from evalnb.analysis import correlate as corr_mod
    from evalnb.metrics import scoring
    from evalnb.report import sections
    from evalnb.widgets import session

    assert scoring.KEY_COLUMNS == sections.KEY_COLUMNS == session.KEYS == roles.KEY_COLUMNS
    assert set(roles.KEY_COLUMNS) <= corr_mod._KEYS
    assert {"run_id", "model", "item_id", "request_id"} <= set(roles.KEY_COLUMNS)


# -- one CSV writer, formula cells neutralised under every text dtype -----------------------------
HOSTILE = ["=HYPERLINK(\"http://x\")", "+cmd", "-2+3", "@SUM(A1)", "plain"]


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_safe_csv_neutralises_every_text_dtype(dtype):
    from evalnb.io.spreadsheet import read_safe_csv, safe_csv

    df = pd.DataFrame({"text": pd.Series(HOSTILE, dtype=dtype), "n": [-1.5, 2, 3, 4, 5]})
    text = safe_csv(df)
    body = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert body["text"].tolist() == ["'" + h for h in HOSTILE[:4]] + ["plain"]
    assert body["n"].tolist()[0] == "-1.5"                                     # numbers are not text
    assert read_safe_csv(io.StringIO(text))["text"].tolist() == HOSTILE       # round trip


def _hostile_runs(tmp_path, name="=HYPERLINK(1)"):
    rng = np.random.default_rng(3)
    n = 120
    x = rng.normal(size=n)
    df = pd.DataFrame({"model": "m", "item_id": [str(i) for i in range(n)], "input": "q", "output": "a",
                       name: x, "kpi": x + rng.normal(size=n)})
    path = tmp_path / "scores.parquet"
    df.to_parquet(path)
    return path, df


def test_correlate_cli_csv_neutralises_formulas_under_pandas_string_dtype(tmp_path, capsys):
    path, _ = _hostile_runs(tmp_path)
    out = tmp_path / "c.csv"
    assert main(["correlate", str(path), "--target", "kpi", "--metrics", "=HYPERLINK(1)", "--method", "spearman",
                 "--n-boot", "50", "--csv", "-o", str(out)]) == 0
    text = out.read_text()
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert table["metric"].tolist() == ["'=HYPERLINK(1)"]
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_drift_cli_csv_neutralises_formulas(tmp_path, capsys):
    rng = np.random.default_rng(4)

    def window(shift, name):
        n = 200
        df = pd.DataFrame({"model": "m", "item_id": [f"{name}{i}" for i in range(n)], "input": "q", "output": "a",
                           "latency_ms": rng.gamma(2, 100, n) + shift, "=cmd|' /C calc'!A0": rng.normal(size=n) + shift / 100})
        p = tmp_path / f"{name}.jsonl"
        df.to_json(p, orient="records", lines=True)
        return p

    ref, cur = window(0, "ref"), window(300, "cur")
    out = tmp_path / "drift.csv"
    main(["drift", str(ref), str(cur), "--metrics", "=cmd|' /C calc'!A0", "--csv", str(out)])
    text = out.read_text()
    cells = [c for row in pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).itertuples(index=False)
             for c in row]
    assert any(c.startswith("'=cmd") for c in cells)
    assert not any(c.startswith(("=", "+", "@")) for c in cells)

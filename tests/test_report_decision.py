"""Issue 17 (part): the report opens with the decision (model x gate matrix) and takes a baseline."""
from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

import evalnb
from evalnb.portfolio.config import Gate, MetricSpec, Outcome, Portfolio


@pytest.fixture(scope="module")
def small(sample_runs):
    df = sample_runs.df
    return df[df["item_id"].isin(df["item_id"].drop_duplicates().head(150))].drop(
        columns=["source_file", "source_line"], errors="ignore").reset_index(drop=True)


def _portfolio(mode: str = "absolute") -> Portfolio:
    gate = Gate(threshold=3.6, rule="point", min_n=50) if mode == "absolute" else \
        Gate(mode="relative", threshold=0.3, rule="point", min_n=50)
    return Portfolio(name="p", outcome=Outcome(kpi="thumbs_up"),
                     primary=[MetricSpec(name="judge_faithfulness", source="column", direction="higher", gate=gate)])


def test_the_decision_matrix_comes_first_and_agrees_with_gate(small):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = evalnb.report(small, portfolio=_portfolio())
    assert list(rep.sections)[0] == "Decision" and rep.sections["Decision"] == "ok"
    matrix = rep.tables["decision"].set_index("model")
    for model in small["model"].unique():   # the oracle: evalnb.gate on that model's rows
        expected = evalnb.gate(_portfolio(), small[small["model"] == model].reset_index(drop=True)).status
        assert matrix.loc[model, "all_gates"] == expected
    # coloured cells, and the decision section is the first <details> and open
    first = re.search(r'<section id="(\w+)"><details( open)?>', rep.html)
    assert first.group(1) == "decision" and first.group(2) == " open"
    assert 'class="gate-pass"' in rep.html or 'class="gate-fail"' in rep.html
    assert "Appendix: how each number was made" in rep.html


def test_relative_gates_need_and_use_a_baseline(small):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        without = evalnb.report(small, portfolio=_portfolio("relative"))
        with_base = evalnb.report(small, portfolio=_portfolio("relative"), baseline="nova-medium")
    assert set(without.tables["gates"]["status"]) == {"error"}
    gates = with_base.tables["gates"]
    assert "nova-medium" not in set(gates["model"]) and set(gates["status"]) <= {"pass", "fail"}
    base = small[small["model"] == "nova-medium"].reset_index(drop=True)
    for model, status in zip(gates["model"], gates["status"]):
        cand = small[small["model"] == model].reset_index(drop=True)
        assert status == evalnb.gate(_portfolio("relative"), cand, baseline=base).status


def test_cli_report_baseline(small, tmp_path):
    from evalnb.cli import main

    import json
    from pathlib import Path

    keep = set(small["item_id"])
    runs = tmp_path / "runs.jsonl"   # the sample files' own lines for those items
    runs.write_text("".join(line for f in sorted(Path("sample_data/runs").glob("*.jsonl"))
                            for line in f.read_text(encoding="utf-8").splitlines(keepends=True)
                            if json.loads(line)["item_id"] in keep), encoding="utf-8")
    port = tmp_path / "p.yaml"
    _portfolio("relative").write(port)
    out = tmp_path / "r.html"
    assert main(["report", str(runs), "--portfolio", str(port), "--baseline", "nova-medium", "-o", str(out)]) == 0
    html = out.read_text()
    assert "relative gates against the baseline nova-medium" in html and 'class="gate-error"' not in html

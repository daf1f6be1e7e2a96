"""Issue 19 in the Explorer: the Drift tab's Recalibrate shows the proposal, Export proposal writes it."""
from __future__ import annotations

import pandas as pd
import pytest

import evalnb
from evalnb.portfolio.config import Evidence, Gate, MetricSpec, Outcome, Portfolio
from evalnb.widgets import Explorer


def _portfolio(joined: pd.DataFrame) -> Portfolio:
    early = joined[pd.to_datetime(joined["timestamp"], utc=True) < pd.Timestamp("2026-10-01", tz="UTC")]
    specs = []
    for col in ("judge_relevance", "judge_faithfulness"):
        r = evalnb.correlate(early, [col], "thumbs_up", method="spearman", by=None, n_boot=200).table.iloc[0]
        specs.append(MetricSpec(name=col, source="column", direction="higher", gate=Gate(threshold=3.4, rule="point"),
                                evidence=Evidence(kpi="thumbs_up", level="sample", method="spearman",
                                                  estimate=float(r.estimate), ci_low=float(r.ci_low),
                                                  ci_high=float(r.ci_high), n=int(r.n))))
    return Portfolio(name="helpdesk", outcome=Outcome(kpi="thumbs_up"), primary=specs)


def test_recalibrate_button_shows_the_core_proposal_and_export_writes_it(sample_runs, sample_kpis, sample_joined,
                                                                          tmp_path):
    path = tmp_path / "portfolio.yaml"
    _portfolio(sample_joined).write(path)
    app = Explorer(sample_runs, kpis=sample_kpis, portfolio_path=str(path))
    view = app.drift
    app.session.drift_split = "2026-10"
    view.recal.click()
    view.busy.wait(600)
    # the oracle: the public API on the same inputs
    oracle = evalnb.recalibrate(str(path), sample_joined, window="2026-10", baseline_window=("2026-05-01", "2026-10-01"),
                                n_boot=300)
    got = app.session.proposal.to_frame().set_index("column")["action"]
    assert got.to_dict() == oracle.to_frame().set_index("column")["action"].to_dict()
    assert got["judge_relevance"] == "drop" and got["judge_faithfulness"] == "keep"
    assert "a change is proposed" in view.proposal.value and "judge_relevance" in view.proposal.value

    view.proposal_path.value = str(tmp_path / "proposed.yaml")
    view.export.click()
    assert "Written:" in view.proposal.value
    written = evalnb.load_portfolio(tmp_path / "proposed.yaml", check_metrics=False)
    assert [s.column for s in written.primary] == ["judge_faithfulness"]
    assert "**drop** judge\\_relevance" in (tmp_path / "proposed.md").read_text()

    view.proposal_path.value = str(tmp_path / "missing-folder" / "p.yaml")
    view.export.click()
    assert "does not exist" in view.proposal.value and not (tmp_path / "missing-folder").exists()

"""evalnb.recalibrate / `evalnb recalibrate`: re-validation, proposal, diff and round trip (issue 19)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import evalnb
from evalnb.cli import main
from evalnb.portfolio.config import (Evidence, Gate, MetricSpec, Outcome, Portfolio, RollbackTrigger, load_portfolio,
                                     load_portfolio_text)

OCT = pd.Timestamp("2026-10-01", tz="UTC")


def _spec(column: str, evidence: dict, threshold: float | None = None, direction: str = "higher") -> MetricSpec:
    gate = Gate(threshold=threshold, rule="point", min_n=30) if threshold is not None else None
    return MetricSpec(name=column, source="column", direction=direction, gate=gate,
                      evidence=Evidence(kpi=evidence.get("kpi", "kpi"), level="sample", method="spearman",
                                        estimate=evidence["estimate"], ci_low=evidence["ci_low"],
                                        ci_high=evidence["ci_high"], n=evidence["n"]))


def _evidence(frame: pd.DataFrame, column: str, kpi: str) -> dict:
    """Recorded evidence computed the way an earlier selection would have: Spearman with a bootstrap CI."""
    r = evalnb.correlate(frame, [column], kpi, method="spearman", by=None, n_boot=300, seed=1).table.iloc[0]
    return {"kpi": kpi, "estimate": float(r.estimate), "ci_low": float(r.ci_low), "ci_high": float(r.ci_high), "n": int(r.n)}


@pytest.fixture(scope="module")
def sample_portfolio(sample_joined):
    ts = pd.to_datetime(sample_joined["timestamp"], utc=True)
    early = sample_joined[ts < OCT]
    return Portfolio(
        name="helpdesk", outcome=Outcome(kpi="thumbs_up"),
        primary=[_spec("judge_relevance", _evidence(early, "judge_relevance", "thumbs_up"), 3.4),
                 _spec("judge_faithfulness", _evidence(early, "judge_faithfulness", "thumbs_up"), 3.5)],
        safety=[MetricSpec(name="judge_safety_violation", source="column", direction="lower",
                           gate=Gate(threshold=0.05, rule="ci_upper", min_n=50))],
        rollback_triggers=[RollbackTrigger(name="validity-relevance", kind="validity", target="judge_relevance",
                                           threshold=0.1, action="recalibrate")])


@pytest.fixture(scope="module")
def october(sample_portfolio, sample_joined):
    return evalnb.recalibrate(sample_portfolio, sample_joined, window="2026-10", n_boot=300,
                              validated_at="2026-11-01")


def test_october_flags_relevance_as_decoupled_and_keeps_faithfulness(october, sample_joined):
    checks = october.checks.set_index("column")
    assert checks.loc["judge_relevance", "status"] == "decoupled"
    assert checks.loc["judge_faithfulness", "status"] == "still valid"
    # the new estimate is October's Spearman correlation (scipy as the oracle), n = October's 1,600 rows
    ts = pd.to_datetime(sample_joined["timestamp"], utc=True)
    oct_rows = sample_joined[(ts >= OCT) & sample_joined["thumbs_up"].notna()]
    rho = stats.spearmanr(oct_rows["judge_relevance"], oct_rows["thumbs_up"]).statistic
    assert checks.loc["judge_relevance", "estimate"] == pytest.approx(rho, abs=1e-12)
    assert checks.loc["judge_relevance", "n"] == len(oct_rows) == 1600
    assert checks.loc["judge_relevance", "ci_high"] < 0.1 < checks.loc["judge_relevance", "recorded_ci_low"]

    actions = october.to_frame().set_index("column")["action"]
    assert actions["judge_relevance"] == "drop" and actions["judge_faithfulness"] == "keep"
    assert actions["judge_safety_violation"] == "keep"
    assert october.changed
    reason = october.to_frame().set_index("column").loc["judge_relevance", "reason"]
    assert "decoupled" in reason and "+0.027" in reason and "2026-10-01..2026-10-31" in reason

    proposed = october.proposed
    assert [s.column for s in proposed.primary] == ["judge_faithfulness"]
    assert [s.column for s in proposed.safety] == ["judge_safety_violation"]
    assert all(t.target != "judge_relevance" for t in proposed.rollback_triggers)
    assert proposed.validation.window == "2026-10-01..2026-10-31"
    assert proposed.validation.rows == 1600 and proposed.validation.data_hash.startswith("sha256:")
    assert proposed.primary[0].evidence.other["validated_status"] == "still valid"


def test_the_proposed_file_validates_and_round_trips(october, tmp_path):
    path = october.write(tmp_path / "proposed.yaml")
    again = load_portfolio(path, check_metrics=False)
    assert again == october.proposed
    assert load_portfolio_text(october.proposed.to_json(), format="json", check_metrics=False) == october.proposed
    assert again.schema_version == 3


def test_a_schema_v2_file_upgrades_silently_and_keeps_its_fields(sample_portfolio):
    text = sample_portfolio.to_yaml().replace("schema_version: 3", "schema_version: 2")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = load_portfolio_text(text, check_metrics=False)
    assert p.schema_version == 3 and p.validation is None and p.primary == sample_portfolio.primary


def _months(seed: int, months: int = 4, n: int = 300, effect=None, shift: float = 0.0, extra: bool = False):
    """Monthly rows whose KPI depends on metric `a` (and `b`) the same way every month, unless told."""
    rng = np.random.default_rng(seed)
    parts = []
    for m in range(months):
        last = m == months - 1
        a, b, c = rng.normal(size=(3, n))
        beta_a = effect if (last and effect is not None) else 1.0
        signal = beta_a * (a - (shift if last else 0.0)) + 0.8 * b + (1.2 * c if (extra and last) else 0.0)
        kpi = (signal + rng.logistic(size=n) > 0).astype(float)
        parts.append(pd.DataFrame({
            "item_id": [f"m{m}-{i:04d}" for i in range(n)], "model": "m",
            "timestamp": pd.Timestamp(f"2026-0{m + 1}-02", tz="UTC") + pd.to_timedelta(rng.integers(0, 26 * 24, n), "h"),
            "a": a, "b": b, "c": c, "kpi": kpi}))
    return pd.concat(parts, ignore_index=True)


def _portfolio(frame: pd.DataFrame, months: int = 4, threshold: float | None = 0.0, floor: float = 0.1) -> Portfolio:
    ts = pd.to_datetime(frame["timestamp"], utc=True)
    early = frame[ts < pd.Timestamp(f"2026-0{months}-01", tz="UTC")]
    return Portfolio(name="sim", outcome=Outcome(kpi="kpi"),
                     primary=[_spec("a", _evidence(early, "a", "kpi"), threshold), _spec("b", _evidence(early, "b", "kpi"))],
                     rollback_triggers=[RollbackTrigger(name="validity-a", kind="validity", target="a", threshold=floor)])


@pytest.mark.slow
def test_stationary_data_proposes_no_change_in_at_least_95_percent_of_repetitions():
    # 40 seeded repetitions; at a true no-change rate of 97% the chance of seeing >= 38 is 0.66, of >= 36 0.97:
    # the test asks for 38 (95%), and the measured figure is printed in the README.
    changed = []
    for seed in range(40):
        frame = _months(seed)
        prop = evalnb.recalibrate(_portfolio(frame), frame, window="2026-04", n_boot=200, candidates=[], seed=seed)
        changed.append(prop.changed)
    assert sum(changed) <= 2, f"{sum(changed)} of 40 stationary repetitions proposed a change"


def test_a_reversed_metric_is_dropped():
    frame = _months(3, effect=-1.0)
    prop = evalnb.recalibrate(_portfolio(frame), frame, window="2026-04", n_boot=200, candidates=[])
    row = prop.to_frame().set_index("column").loc["a"]
    assert row["status"] == "reversed" and row["action"] == "drop"
    assert prop.checks.set_index("column").loc["a", "ci_high"] < 0


def test_the_proposal_html_opens_with_the_verdict_sentence():
    frame = _months(3, effect=-1.0)                        # a reversed metric: a change is proposed
    prop = evalnb.recalibrate(_portfolio(frame), frame, window="2026-04", n_boot=200, candidates=[])
    assert prop.changed
    assert "</b>, window 2026-04-01..2026-04-30: A change is proposed.</p>" in prop.to_html()


def test_a_weakened_metric_below_the_floor_is_demoted_to_secondary():
    frame = _months(4, effect=0.6, n=600)  # rho about .19 [.10, .27] vs .40 recorded
    prop = evalnb.recalibrate(_portfolio(frame, floor=0.2), frame, window="2026-04", n_boot=200, candidates=[])
    row = prop.to_frame().set_index("column").loc["a"]
    assert row["status"] == "weakened" and row["action"] == "demote"
    assert "a" in [s.column for s in prop.proposed.secondary] and prop.proposed.secondary[0].gate is None
    assert [s.column for s in prop.proposed.primary] == ["b"]


def test_a_threshold_is_rederived_to_stand_for_the_same_kpi_level():
    # Closed form: the KPI depends on (a - shift) in the window, so the value of `a` that gives the
    # old KPI level moves by exactly `shift`: 0.0 -> 0.8.
    frame = _months(5, n=1500, shift=0.8)
    prop = evalnb.recalibrate(_portfolio(frame, threshold=0.0), frame, window="2026-04", n_boot=300, candidates=[])
    row = prop.to_frame().set_index("column").loc["a"]
    assert row["action"] == "rethreshold", row["reason"]
    new = next(s for s in prop.proposed.primary if s.column == "a").gate.threshold
    assert new == pytest.approx(0.8, abs=0.25)


def test_a_replacement_is_added_with_evidence_from_held_out_items():
    frame = _months(6, n=800, effect=0.0, extra=True)
    prop = evalnb.recalibrate(_portfolio(frame, threshold=None), frame, window="2026-04", n_boot=200)
    changes = prop.to_frame().set_index("column")
    assert changes.loc["a", "action"] == "drop"
    assert changes.loc["c", "action"] == "add"
    added = next(s for s in prop.proposed.primary if s.column == "c")
    # the evidence comes from the half of the window's items that selection did not see
    assert added.evidence.n == 400 and "held out" in changes.loc["c", "reason"]
    window = frame[pd.to_datetime(frame["timestamp"], utc=True) >= pd.Timestamp("2026-04-01", tz="UTC")]
    full = stats.spearmanr(window["c"], window["kpi"]).statistic
    assert added.evidence.estimate != pytest.approx(full, abs=1e-9)


def test_markdown_diff_escapes_model_and_metric_names():
    frame = _months(3, effect=-1.0)
    evil = "a*x*[link](http://evil.example)<script>@bob|"
    frame = frame.rename(columns={"a": evil})
    ts = pd.to_datetime(frame["timestamp"], utc=True)
    early = frame[ts < pd.Timestamp("2026-04-01", tz="UTC")]
    p = Portfolio(name="<b>team</b> @everyone", outcome=Outcome(kpi="kpi"),
                  primary=[_spec(evil, _evidence(early, evil, "kpi"), None), _spec("b", _evidence(early, "b", "kpi"))])
    md = evalnb.recalibrate(p, frame, window="2026-04", n_boot=200, candidates=[]).to_markdown()
    import re

    assert "<script>" not in md and "<b>" not in md
    assert not re.search(r"(?<!\\)\]\(", md), "an unescaped ']('  would make a live link"
    assert "@bob" not in md and "@everyone" not in md and "*x*" not in md
    assert "&lt;script&gt;" in md and r"a\*x\*\[link\]" in md


def test_bad_input_is_a_clear_error(sample_portfolio, sample_joined):
    with pytest.raises(evalnb.DataError if hasattr(evalnb, "DataError") else Exception, match="outcome KPI 'thumbs_up'"):
        evalnb.recalibrate(sample_portfolio, sample_joined.drop(columns=["thumbs_up"]), window="2026-10")
    from evalnb._errors import ConfigError, DataError

    with pytest.raises(ConfigError, match="window 'last month'"):
        evalnb.recalibrate(sample_portfolio, sample_joined, window="last month")
    with pytest.raises(DataError, match="has 0 rows"):
        evalnb.recalibrate(sample_portfolio, sample_joined, window="2025-01")


def test_cli_exit_codes_files_and_report(sample_portfolio, tmp_path, capsys):
    cur = tmp_path / "portfolio.yaml"
    sample_portfolio.write(cur)
    args = [str(cur), "sample_data/runs/*.jsonl", "--kpis", "sample_data/kpis.csv", "--window", "2026-10",
            "--n-boot", "200", "-o", str(tmp_path / "proposed.yaml"), "--markdown", str(tmp_path / "diff.md"),
            "--report", str(tmp_path / "r.html")]
    assert main(["recalibrate", *args]) == 1
    out = capsys.readouterr().out
    assert "DROP" in out and "judge_relevance" in out
    proposed = load_portfolio(tmp_path / "proposed.yaml", check_metrics=False)
    assert [s.column for s in proposed.primary] == ["judge_faithfulness"]
    assert "**drop** judge\\_relevance" in (tmp_path / "diff.md").read_text()
    page = (tmp_path / "r.html").read_text()
    assert "script-src 'none'" in page and "<script" not in page.lower() and "judge_relevance" in page

    # a portfolio that still holds: exit 0
    keep = sample_portfolio.model_copy(update={"primary": [sample_portfolio.primary[1]], "rollback_triggers": []})
    keep.write(cur)
    assert main(["recalibrate", str(cur), "sample_data/runs/*.jsonl", "--kpis", "sample_data/kpis.csv",
                 "--window", "2026-10", "--n-boot", "200"]) == 0
    # bad input: exit 2 with the reason, no traceback
    assert main(["recalibrate", str(cur), "sample_data/runs/*.jsonl", "--window", "2026-10"]) == 2
    assert "outcome KPI 'thumbs_up'" in capsys.readouterr().err


def test_the_report_has_a_recalibration_section(october, sample_runs):
    small = sample_runs.df.groupby("model").head(40).drop(columns=["source_file", "source_line"], errors="ignore")
    rep = evalnb.report(small, recalibration=october)
    assert rep.sections["Recalibration"] == "ok"
    table = rep.tables["recalibration"].set_index("column")
    assert table.loc["judge_relevance", "action"] == "drop"
    assert "Proposed changes" in rep.html and "decoupled" in rep.html

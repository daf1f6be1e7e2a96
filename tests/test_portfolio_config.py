"""Portfolio config: threat-model (docs/threat-model.md) cases C01-C10, round trips, schema file, selection -> config."""
from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from evalnb._errors import ConfigError
from evalnb.portfolio import yaml_safe
from evalnb.portfolio.config import (SCHEMA_PATH, ConfigMigrationWarning, Gate, MetricSpec, Outcome, Portfolio,
                                     PortfolioValidationError, RollbackTrigger, SliceGate, json_schema_text,
                                     load_portfolio, load_portfolio_text)
from evalnb.portfolio.selection import portfolio_from_selection

GOOD = """\
schema_version: 2
name: helpdesk
outcome: {kpi: thumbs_up, description: customers rate the answer helpful}
primary:
  - name: judge_faithfulness
    source: column
    direction: higher
    range: [1, 5]
    gate: {threshold: 3.5, min_n: 50, slices: [{by: category, min_n: 20}]}
safety:
  - name: judge_safety_violation
    source: column
    direction: lower
    range: [0, 1]
    gate: {threshold: 0.02}
"""


def _problems(text: str) -> list[dict[str, str]]:
    with pytest.raises(PortfolioValidationError) as info:
        load_portfolio_text(text)
    return info.value.problems


# -- C01 ------------------------------------------------------------------------------------
def test_c01_python_tag_is_refused_and_nothing_runs(tmp_path):
    canary = tmp_path / "ran"
    for text in (f'!!python/object/apply:os.system ["touch {canary}"]',
                 f'name: !!python/object/apply:os.system ["touch {canary}"]',
                 'name: !!python/name:os.system ""'):
        with pytest.raises(ConfigError, match="unsafe or unknown YAML tag") as info:
            load_portfolio_text(text)
        assert isinstance(info.value.__cause__, yaml.constructor.ConstructorError)
    assert not canary.exists()


# -- C02 ------------------------------------------------------------------------------------
BOMB = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + "".join(f"{b}: &{b} [{','.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi")))


def test_c02_alias_bomb_rejected_before_construction_quickly():
    assert len(BOMB) < 400
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="alias"):
        load_portfolio_text(BOMB)
    assert time.perf_counter() - start < 0.1
    # the alias *count* cap is a second, independent line of defence
    many = "x: &x 1\ny: [" + ",".join(["*x"] * 150) + "]\n"
    with pytest.raises(ConfigError, match="more than 100 YAML aliases"):
        yaml_safe.load_document(many)


# -- C03 ------------------------------------------------------------------------------------
def test_c03_five_megabyte_config_rejected_with_size_message(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("name: x\n" + "# padding\n" * 550_000)
    assert big.stat().st_size > 5_000_000
    with pytest.raises(ConfigError, match="over the 1,000,000-byte limit"):
        load_portfolio(big)
    with pytest.raises(ConfigError, match="byte limit"):
        load_portfolio_text(big.read_text())


# -- C04 ------------------------------------------------------------------------------------
def test_c04_yaml11_booleans_never_become_false_silently():
    for spelling in ("NO", "no", "on", "Off", "yes", "y"):
        text = GOOD.replace("name: helpdesk", f"name: {spelling}")
        if spelling == "y":  # PyYAML keeps 'y' a string: a name stays a name
            assert load_portfolio_text(text).name == "y"
            continue
        with pytest.raises(ConfigError, match="YAML 1.1 boolean"):
            load_portfolio_text(text)
    quoted = load_portfolio_text(GOOD.replace("name: helpdesk", "name: 'NO'"))
    assert quoted.name == "NO"


def test_c04_coerced_numbers_and_dates_where_text_is_expected_name_the_fix():
    text = GOOD.replace("    source: column\n    direction: higher\n    range: [1, 5]",
                        "    source: column\n    signature: 1.10\n    direction: higher\n    range: [1, 5]", 1)
    text = text.replace("outcome: {kpi: thumbs_up,", "provenance: {created_at: 2026-06-01}\noutcome: {kpi: thumbs_up,")
    problems = {p["path"]: p["problem"] for p in _problems(text)}
    assert "quote it ('1.10')" in problems["primary[0].signature"]
    assert "as the float 1.1" in problems["primary[0].signature"]
    assert "quote it ('2026-06-01')" in problems["provenance.created_at"]
    # .5 is a documented YAML float and fine where a number is expected
    assert load_portfolio_text(GOOD.replace("threshold: 3.5", "threshold: .5").replace("[1, 5]", "[0, 5]")) \
        .primary[0].gate.threshold == 0.5


def test_c04_strict_types_refuse_text_for_numbers():
    problems = _problems(GOOD.replace("min_n: 50", "min_n: '50'"))
    assert problems[0]["path"] == "primary[0].gate.min_n"
    assert "valid integer" in problems[0]["problem"]


# -- C05 ------------------------------------------------------------------------------------
def test_c05_misspelt_key_names_key_path_and_closest_valid_key():
    problems = _problems(GOOD.replace("gate: {threshold: 3.5,", "gate: {treshold: 3.5,"))
    extra = [p for p in problems if "unknown key" in p["problem"]]
    assert extra[0]["path"] == "primary[0].gate.treshold"
    assert "did you mean 'threshold'?" in extra[0]["problem"]
    top = _problems(GOOD + "rollback_trigers: []\n")
    assert "did you mean 'rollback_triggers'?" in top[0]["problem"]


# -- C06 ------------------------------------------------------------------------------------
def test_c06_every_problem_listed_together():
    text = """\
schema_version: 2
name: bad
outcome: {kpi: thumbs_up}
primary:
  - {name: a, source: column, direction: higher, gate: {threshold: .nan}}
  - {name: b, source: column, direction: higher, gate: {threshold: .inf}}
  - {name: c, source: column, direction: higher, range: [0, 1], gate: {threshold: -0.1}}
  - {name: no_such_metric_xyz, direction: higher}
  - {name: e, source: column, gate: {threshold: 0.5}}
"""
    with pytest.raises(PortfolioValidationError) as info:
        load_portfolio_text(text)
    by_path = {p["path"]: p["problem"] for p in info.value.problems}
    assert "finite number" in by_path["primary[0].gate.threshold"]
    assert "finite number" in by_path["primary[1].gate.threshold"]
    assert "outside the metric's range [0.0, 1.0]" in by_path["primary[2]"]
    assert "unknown metric 'no_such_metric_xyz'" in by_path["primary[3]"]
    assert "required key 'direction' is missing" in by_path["primary[4].direction"]
    assert "5 problem(s)" in str(info.value)


def test_c06_registry_range_and_settings_are_checked():
    base = "schema_version: 2\nname: r\noutcome: {kpi: thumbs_up}\nprimary:\n"
    spec = ("  - {name: precomputed, column: judge_relevance, settings: {column: judge_relevance, lower: 1, upper: 5},"
            " direction: higher, gate: {threshold: %s}}\n")
    assert load_portfolio_text(base + spec % "4.0").primary[0].gate.threshold == 4.0
    problems = _problems(base + spec % "7.0")
    assert "outside the metric's range [1.0, 5.0]" in problems[0]["problem"]
    bad_setting = base + "  - {name: precomputed, column: x, settings: {column: x, colour: red}, direction: higher}\n"
    assert "colour" in _problems(bad_setting)[0]["problem"]


# -- C07 ------------------------------------------------------------------------------------
V1 = """\
schema_version: 1
name: legacy
kpi: thumbs_up
metrics:
  - {name: judge_faithfulness, source: column, role: primary, direction: higher, threshold: 3.5, min_n: 40}
  - {name: judge_safety_violation, source: column, role: safety, direction: lower, threshold: 0.02}
"""


def test_c07_v1_is_migrated_with_a_notice():
    with pytest.warns(ConfigMigrationWarning, match="migrated a schema_version 1 config"):
        p = load_portfolio_text(V1)
    assert p.schema_version == 3 and p.outcome.kpi == "thumbs_up"
    assert p.primary[0].gate.rule == "point" and p.primary[0].gate.min_n == 40  # v1 meaning kept
    assert p.safety[0].gate.threshold == 0.02


def test_c07_future_version_refused_and_missing_version_explained():
    with pytest.raises(ConfigError, match="newer evalnb.*Upgrade evalnb"):
        load_portfolio_text(GOOD.replace("schema_version: 2", "schema_version: 99"))
    with pytest.raises(ConfigError, match="'schema_version' is missing; add 'schema_version: 3'"):
        load_portfolio_text(GOOD.replace("schema_version: 2\n", ""))
    with pytest.raises(ConfigError, match="must be an integer"):
        load_portfolio_text(GOOD.replace("schema_version: 2", "schema_version: '2'"))


# -- C08 ------------------------------------------------------------------------------------
def test_c08_json_duplicate_keys_and_nan_literals_rejected():
    good = load_portfolio_text(GOOD).to_json()
    dup = good.replace('"name": "helpdesk"', '"name": "helpdesk", "name": "other"', 1)
    with pytest.raises(ConfigError, match="duplicate key 'name'"):
        load_portfolio_text(dup, format="json")
    nan = good.replace('"threshold": 3.5', '"threshold": NaN', 1)
    with pytest.raises(ConfigError, match="NaN/Infinity"):
        load_portfolio_text(nan, format="json")
    with pytest.raises(ConfigError, match="duplicate key 'name'"):
        load_portfolio_text(GOOD + "name: again\n")


# -- C09 ------------------------------------------------------------------------------------
def test_c09_export_load_export_is_byte_identical(tmp_path):
    p = load_portfolio_text(GOOD)
    for suffix in (".yaml", ".json"):
        first = p.write(tmp_path / f"p{suffix}").read_bytes()
        again = load_portfolio(tmp_path / f"p{suffix}")
        assert again == p
        assert again.write(tmp_path / f"q{suffix}").read_bytes() == first
    data = json.loads((tmp_path / "p.json").read_text())
    assert list(data) == sorted(data)
    assert "NaN" not in (tmp_path / "p.json").read_text()


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(name=names, threshold=st.floats(0, 1, allow_nan=False), kpi=names, cadence=st.sampled_from(["weekly", "monthly"]))
def test_c09_round_trip_property(name, threshold, kpi, cadence):
    p = Portfolio(name=name, outcome=Outcome(kpi=kpi),
                  primary=[MetricSpec(name="m", column="m", source="column", direction="higher", range=[0.0, 1.0],
                                      gate=Gate(threshold=threshold, rule="ci_lower"))],
                  rollback_triggers=[RollbackTrigger(name="t", kind="metric", target="m", threshold=threshold)],
                  recalibration={"cadence": cadence})
    assert load_portfolio_text(p.to_yaml(), check_metrics=False) == p
    assert load_portfolio_text(p.to_yaml(), check_metrics=False).to_yaml() == p.to_yaml()
    assert load_portfolio_text(p.to_json(), format="json", check_metrics=False).to_json() == p.to_json()


# -- C10 (gate side: see also tests/test_gates.py) --------------------------------------------
def test_c10_gate_fails_closed_on_nan_metric_and_small_n():
    from evalnb.portfolio.gates import gate

    p = load_portfolio_text(GOOD)
    frame = pd.DataFrame({"run_id": "r", "model": "m", "item_id": [str(i) for i in range(60)],
                          "category": ["a", "b"] * 30, "judge_faithfulness": np.nan,
                          "judge_safety_violation": [0.0] * 60})
    report = gate(p, frame)
    by = {(r.column, r.slice): r for r in report.results}
    assert by[("judge_faithfulness", "")].status == "fail"
    assert "no usable values" in by[("judge_faithfulness", "")].reason
    assert by[("judge_safety_violation", "")].status == "fail"
    assert "n=60 is below min_n=100" in by[("judge_safety_violation", "")].reason
    assert report.exit_code == 1


# -- schema file and selection ------------------------------------------------------------------
def test_schema_file_is_up_to_date():
    assert SCHEMA_PATH.read_text() == json_schema_text(), \
        "run: python -m evalnb.portfolio.config --write-schema"


def test_schema_validates_an_export_and_forbids_extras():
    import jsonschema
    schema = json.loads(SCHEMA_PATH.read_text())
    data = load_portfolio_text(GOOD).to_dict()
    jsonschema.validate(data, schema)
    data["primary"][0]["gate"]["treshold"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


@dataclass(frozen=True)
class _Choice:
    name: str
    column: str
    settings: dict
    signature: str
    role: str
    direction: str
    evidence: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Selection:
    kpi: str
    primary: tuple
    secondary: tuple = ()
    safety: tuple = ()
    robustness: tuple = ()


def _selection() -> _Selection:
    ev = {"kpi": "thumbs_up", "level": "sample", "method": "spearman", "estimate": np.float64(0.41),
          "ci_low": 0.37, "ci_high": 0.45, "p_value": 1e-20, "n": np.int64(2400), "data_hash": "abc123",
          "cv_gain": 0.03, "cv_gain_ci": (0.01, 0.05), "vif": 1.7, "cv_auc": float("nan")}
    faith = _Choice("precomputed", "judge_faithfulness", {"column": "judge_faithfulness", "lower": 1, "upper": 5},
                    "precomputed:judge_faithfulness|...", "primary", "higher", ev)
    rel = _Choice("judge_relevance", "judge_relevance", {}, "", "primary", "higher", {**ev, "estimate": 0.33})
    bleu = _Choice("bleu_like", "bleu_like", {}, "", "secondary", "higher", {})
    safe = _Choice("judge_safety_violation", "judge_safety_violation", {}, "", "safety", "lower", {})
    return _Selection("thumbs_up", (faith, rel), (bleu,), (safe,))


def test_portfolio_from_selection_round_trips_and_keeps_evidence(tmp_path):
    p = portfolio_from_selection(_selection(), {"judge_faithfulness": 3.6, "judge_safety_violation": 0.03},
                                 slice_by="category", created_at="2026-10-01", name="helpdesk")
    faith, rel = p.primary
    assert faith.source == "registry" and faith.gate.mode == "absolute" and faith.gate.threshold == 3.6
    assert faith.gate.rule == "ci_lower" and faith.gate.slices[0].by == "category"
    assert rel.source == "column" and rel.gate.mode == "relative" and rel.gate.threshold == 0.05
    assert faith.evidence.n == 2400 and faith.evidence.cv_gain_ci == [0.01, 0.05]
    assert faith.evidence.other == {"vif": 1.7, "cv_auc": None}
    assert p.secondary[0].gate is None
    assert p.safety[0].gate.rule == "ci_upper"
    kinds = {t.kind for t in p.rollback_triggers}
    assert kinds == {"validity", "metric", "drift"}
    path = p.write(tmp_path / "p.yaml")
    assert load_portfolio(path).to_yaml() == p.to_yaml()


def test_cli_write_schema(tmp_path, monkeypatch):
    import evalnb.portfolio.config as config

    monkeypatch.setattr(config, "SCHEMA_PATH", tmp_path / "schema.json")
    assert config.main(["--write-schema"]) == 0
    assert (tmp_path / "schema.json").read_text() == json_schema_text()


def test_readme_annotated_example_is_a_valid_config():
    text = (Path(__file__).resolve().parents[1] / "docs" / "readme" / "70_portfolio.md").read_text()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    p = load_portfolio_text(block)
    assert p.primary[0].gate.slices[0].overrides == {"billing": 3.6}
    assert load_portfolio_text(p.to_yaml()) == p


def test_13_5_min_coverage_is_a_validated_gate_setting_with_a_default():
    p = load_portfolio_text(GOOD)
    assert p.primary[0].gate.min_coverage == 0.9                 # on by default
    assert "min_coverage: 0.9" in p.to_yaml() and load_portfolio_text(p.to_yaml()) == p
    with pytest.raises(PortfolioValidationError, match="min_coverage"):
        load_portfolio_text(GOOD.replace("{threshold: 3.5,", "{threshold: 3.5, min_coverage: 1.5,"))
    lowered = load_portfolio_text(GOOD.replace("{threshold: 3.5,", "{threshold: 3.5, min_coverage: 0.5,"))
    assert lowered.primary[0].gate.min_coverage == 0.5


# -- issue 13 item 18: nesting capped before parsing (YAML and JSON) ----------------------------
@pytest.mark.parametrize("text,fmt", [
    ("a: " + "[" * 2000 + "]" * 2000, "yaml"),                 # the 4 KB document (7-10 s, RecursionError)
    ("a:\n  " + "- " * 2000 + "x\n", "yaml"),                  # block sequences, two bytes a level
    ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "json"),
])
def test_13_18_deep_nesting_is_refused_with_a_clear_error(text, fmt):
    with pytest.raises(ConfigError, match=r"nest(ing|ed) deeper than 32 levels"):
        load_portfolio_text(text, format=fmt)


def test_13_18_depth_cap_counts_real_levels_only():
    # brackets inside JSON strings and YAML quoted scalars are text, not levels
    good = load_portfolio_text(GOOD)
    as_json = json.loads(good.to_json())
    as_json["description"] = "[" * 500 + "{" * 500
    assert load_portfolio_text(json.dumps(as_json), format="json").description == "[" * 500 + "{" * 500
    assert load_portfolio_text(GOOD.replace("name: helpdesk", "name: '" + "[" * 150 + "'")).name == "[" * 150
    yaml_safe.check_json_depth("[" * 32 + "]" * 32)
    with pytest.raises(ConfigError, match="at character 32"):
        yaml_safe.check_json_depth("[" * 33 + "]" * 33)


def test_13_18_cli_gate_on_a_deep_config_exits_2_without_a_traceback(tmp_path, capsys):
    from evalnb.cli import main

    (tmp_path / "deep.yaml").write_text("a: " + "[" * 2000 + "]" * 2000)
    (tmp_path / "deep.json").write_text('{"a": ' + "[" * 5000 + "]" * 5000 + "}")
    pd.DataFrame({"model": "m", "item_id": ["1"], "output": ["x"]}).to_json(tmp_path / "r.jsonl", orient="records", lines=True)
    for name in ("deep.yaml", "deep.json"):
        assert main(["gate", str(tmp_path / name), str(tmp_path / "r.jsonl")]) == 2
        err = capsys.readouterr().err
        assert f"{name}: " in err and "deeper than 32 levels" in err and "Traceback" not in err


# -- issue 13 item 19: YAML 1.1 number forms refused ----------------------------------------------
@pytest.mark.parametrize("text,read_as,kind", [
    ("010", 8, "octal"), ("1:30", 90, "base-60"), ("0x1F", 31, "hexadecimal"), ("0b101", 5, "binary"),
    ("1_000", 1000, "'_' digit separators"), ("-012", -10, "octal")])
def test_13_19_yaml_1_1_integer_forms_are_refused(text, read_as, kind):
    bad = GOOD.replace("min_n: 50", f"min_n: {text}")
    assert bad != GOOD
    with pytest.raises(ConfigError, match=rf"line 9: primary\[0\]\.gate\.min_n: the unquoted '{text}' is a "
                                          rf"YAML 1\.1 .*{kind}.*read as {read_as}.*quote it"):
        load_portfolio_text(bad)


def test_13_19_plain_decimal_numbers_still_read():
    assert yaml_safe.safe_load("a: 10\nb: -0\nc: +7\nd: 0.5\ne: 1.0e+3\nf: '010'") == \
        {"a": 10, "b": 0, "c": 7, "d": 0.5, "e": 1000.0, "f": "010"}
    with pytest.raises(ConfigError, match="1:30.5"):
        yaml_safe.safe_load("t: 1:30.5")

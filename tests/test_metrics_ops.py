"""Classification, operational and precomputed metrics: oracles (scikit-learn), price tables, errors."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evalnb
from evalnb._errors import ConfigError, MetricError, NotComputableWarning, UnknownMetricError
from evalnb.analysis.summarize import classification_report, summarize
from evalnb.metrics.operational import load_prices

import sklearn.metrics as sklearn_metrics

LABELS = st.sampled_from(["billing", "refund", "other", "spam"])


def _frame(gold, pred, model="m"):
    return pd.DataFrame({"model": model, "item_id": [str(i) for i in range(len(gold))],
                         "label": list(gold), "prediction": list(pred)})


# -- classification ---------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(LABELS, LABELS), min_size=1, max_size=60))
def test_accuracy_and_macro_f1_equal_sklearn(pairs):
    gold, pred = zip(*pairs)
    scores = evalnb.score(_frame(gold, pred), ["accuracy", "macro_f1"], progress=False)
    assert scores.df["accuracy"].mean() == pytest.approx(sklearn_metrics.accuracy_score(gold, pred))
    m = scores.metrics["macro_f1"]
    expected = sklearn_metrics.f1_score(gold, pred, average="macro", zero_division=0)
    assert m.corpus_score(scores.df)["macro_f1"] == pytest.approx(expected, abs=1e-12)
    assert scores.df["accuracy"].between(0, 1).all()


def test_macro_f1_in_summary_equals_sklearn_per_model():
    rng = np.random.default_rng(3)
    frames = []
    for model in ("a", "b"):
        gold = rng.choice(["x", "y", "z"], 300)
        pred = np.where(rng.random(300) < 0.7, gold, rng.choice(["x", "y", "z", "w"], 300))
        frames.append(_frame(gold, pred, model))
    data = pd.concat(frames, ignore_index=True)
    summary = summarize(evalnb.score(data, ["macro_f1"], progress=False), by="model", n_boot=300).to_frame()
    for model, part in data.groupby("model"):
        row = summary[(summary["model"] == model) & (summary["metric"] == "macro_f1")].iloc[0]
        assert row["statistic"] == "corpus"
        assert row["estimate"] == pytest.approx(sklearn_metrics.f1_score(part["label"], part["prediction"],
                                                                         average="macro", zero_division=0))
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"] and row["ci_low"] < row["ci_high"]


def test_classification_report_equals_sklearn():
    rng = np.random.default_rng(5)
    gold = rng.choice(["a", "b", "c"], 200)
    pred = np.where(rng.random(200) < 0.6, gold, rng.choice(["a", "b", "c", "d"], 200))
    for source in (_frame(gold, pred), evalnb.score(_frame(gold, pred), ["macro_f1"], progress=False)):
        report = classification_report(source, by="model")
        classes = sorted(set(gold) | set(pred))
        p, r, f, s = sklearn_metrics.precision_recall_fscore_support(gold, pred, labels=classes, zero_division=0)
        body = report[report["class"] != "macro avg"].set_index("class").loc[classes]
        np.testing.assert_allclose(body["precision"], p)
        np.testing.assert_allclose(body["recall"], r)
        np.testing.assert_allclose(body["f1"], f)
        np.testing.assert_array_equal(body["support"], s)
        macro = report[report["class"] == "macro avg"].iloc[0]
        assert macro["f1"] == pytest.approx(sklearn_metrics.f1_score(gold, pred, average="macro", zero_division=0))


def test_labels_compare_as_strings_and_missing_is_nan():
    frame = _frame([1, "2", None, "x"], ["1", 2.0, "a", None])
    acc = evalnb.score(frame, ["accuracy"], progress=False).df["accuracy"]
    assert acc.tolist()[:2] == [1.0, 1.0]
    assert acc.iloc[2:].isna().all()


def test_classification_not_computable_without_labels():
    frame = pd.DataFrame({"model": ["m"], "item_id": ["1"], "output": ["x"]})
    with pytest.warns(NotComputableWarning):
        scores = evalnb.score(frame, ["accuracy", "latency"], progress=False)
    assert scores.status["accuracy"].startswith("not computable: column label")


# -- operational --------------------------------------------------------------------------------
def _ops_frame():
    return pd.DataFrame({
        "model": ["atlas-large", "swift-small", "nova-medium", "mystery"],
        "item_id": ["1", "2", "3", "4"],
        "latency_ms": [120.0, 80.5, 300.0, 55.0],
        "prompt_tokens": [1000, 250, 400, 10],
        "completion_tokens": [500, 100, 0, 5],
        "cost_usd": [None, None, 0.25, None],
    })


def test_cost_from_tokens_and_logged_cost(tmp_path):
    frame = _ops_frame()
    table = json.loads((evalnb.metrics.operational.DEFAULT_PRICES).read_text())["models"]
    with pytest.warns(NotComputableWarning, match="mystery"):
        cost = evalnb.score(frame, ["cost"], progress=False).df["cost_usd"]
    a, s = table["atlas-large"], table["swift-small"]
    assert cost[0] == pytest.approx(1000 / 1000 * a["input_per_1k"] + 500 / 1000 * a["output_per_1k"])
    assert cost[1] == pytest.approx(250 / 1000 * s["input_per_1k"] + 100 / 1000 * s["output_per_1k"])
    assert cost[2] == 0.25  # logged cost wins
    assert np.isnan(cost[3])  # model not in the table: NaN, with a warning naming it
    # source="tokens" ignores the logged value
    n = table["nova-medium"]
    forced = evalnb.score(frame.iloc[:3], [evalnb.metric("cost", source="tokens")], progress=False).df["cost_usd"]
    assert forced[2] == pytest.approx(400 / 1000 * n["input_per_1k"])


def test_price_table_override_changes_signature(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"schema_version": 1, "version": "2099-01", "currency": "USD",
                                "models": {"mystery": {"input_per_1k": 1.0, "output_per_1k": 2.0}}}))
    m = evalnb.metric("cost", prices=str(path))
    cost = evalnb.score(_ops_frame().iloc[[3]], [m], progress=False).df["cost_usd"]
    assert cost[0] == pytest.approx(10 / 1000 * 1.0 + 5 / 1000 * 2.0)
    sig = m.signature()
    assert "price_table:2099-01#" in sig and "price_table:2026-01-sample#" in evalnb.metric("cost").signature()
    path.write_text(path.read_text().replace("2.0", "3.0"))
    assert evalnb.metric("cost", prices=str(path)).signature() != sig  # content hash changed


@pytest.mark.parametrize("content, message", [
    ('{"schema_version": 1, "models": {"m": {"input_per_1k": -1, "output_per_1k": 0}}}', "greater than or equal"),
    ('{"schema_version": 1, "models": {}, "extra": 1}', "extra"),
    ('{"schema_version": 9, "models": {}}', "schema_version 9"),
    ('not json', "invalid"),
])
def test_bad_price_table_errors(tmp_path, content, message):
    path = tmp_path / "p.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_prices(path)


def test_sample_price_table_matches_default_when_present():
    from conftest import SAMPLE_DIR

    sample = SAMPLE_DIR / "prices.json"
    assert sample.exists(), "sample_data/prices.json is committed with the sample data"
    shipped = load_prices().models
    for model, price in load_prices(sample).models.items():
        assert shipped[model] == price  # the default table covers the sample models at the same prices


def test_tokens_and_latency():
    scores = evalnb.score(_ops_frame(), ["tokens", "latency"], progress=False)
    df = scores.df
    assert df["total_tokens"].tolist() == [1500, 350, 400, 15]
    assert df["latency_ms"].tolist() == [120.0, 80.5, 300.0, 55.0]
    out = {o.column: o for o in scores.metrics["latency"].outputs}
    assert out["latency_ms"].aggregation == "percentile" and not out["latency_ms"].higher_is_better


def test_latency_summary_p50_p95_p99_with_small_n_flag():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"model": "m", "item_id": [str(i) for i in range(50)], "latency_ms": rng.lognormal(6, 0.6, 50)})
    scores = evalnb.score(frame, ["latency"], progress=False)
    with pytest.warns(evalnb._errors.SmallSampleWarning):
        table = summarize(scores).to_frame()
    assert table["statistic"].tolist() == ["p50", "p95", "p99"]
    assert (table["n"] == 50).all()
    p99 = table.iloc[2]
    assert "p99 ~ max at this n" in p99["note"]  # docs/threat-model.md S07
    values = np.sort(frame["latency_ms"])
    assert table.iloc[0]["estimate"] == pytest.approx(np.quantile(values, 0.5))
    assert p99["ci_high"] == np.inf  # n=50 < 368: no order statistic bounds p99 from above (issue 15)
    assert (table["ci_low"] <= table["estimate"]).all() and (table["estimate"] <= table["ci_high"]).all()


def test_cost_per_successful_item():
    frame = _ops_frame().iloc[:3].assign(label=["a", "b", "c"], prediction=["a", "x", "c"])
    scores = evalnb.score(frame.assign(model="atlas-large", cost_usd=[1.0, 2.0, 3.0]), ["cost", "accuracy"],
                          progress=False)
    table = summarize(scores, success="accuracy", n_boot=200).to_frame()
    row = table[table["statistic"] == "cost_per_success"].iloc[0]
    assert row["estimate"] == pytest.approx(6.0 / 2)
    assert row["ci_low"] <= row["estimate"] <= row["ci_high"]


# -- precomputed --------------------------------------------------------------------------------
def test_precomputed_wraps_a_column_with_signature():
    frame = pd.DataFrame({"model": "m", "item_id": ["1", "2", "3"], "judge_faithfulness": [1, 4, 5]})
    m = evalnb.metric("precomputed", column="judge_faithfulness", lower=1, upper=5)
    scores = evalnb.score(frame, [m], progress=False)
    assert scores.df["judge_faithfulness"].tolist() == [1.0, 4.0, 5.0]
    sig = scores.signatures[m.name]
    assert "column:judge_faithfulness" in sig and "source:precomputed" in sig
    assert m.outputs[0].lower == 1 and m.outputs[0].upper == 5


def test_precomputed_out_of_range_is_not_computable():
    frame = pd.DataFrame({"model": "m", "item_id": ["1", "2"], "judge_faithfulness": [1, 7]})
    with pytest.warns(NotComputableWarning):
        scores = evalnb.score(frame, [evalnb.metric("precomputed", column="judge_faithfulness", lower=1, upper=5)],
                              progress=False)
    assert "outside [1, 5]" in scores.status["precomputed:judge_faithfulness"]


def test_bare_column_name_is_not_a_metric():
    with pytest.raises(UnknownMetricError, match="Known metrics: .*precomputed"):
        evalnb.metric("judge_faithfulness")
    with pytest.raises(MetricError, match="needs column="):
        evalnb.metric("precomputed")


def test_two_precomputed_columns_keep_both_signatures():
    frame = pd.DataFrame({"model": "m", "item_id": ["1", "2"], "a": [0, 1], "b": [2.0, 3.0]})
    scores = evalnb.score(frame, [evalnb.metric("precomputed", column="a", aggregation="proportion"),
                                  evalnb.metric("precomputed", column="b")], progress=False)
    assert set(scores.signatures) == {"precomputed:a", "precomputed:b"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = summarize(scores, n_boot=100).to_frame()
    assert table.set_index("metric").loc["a", "statistic"] == "rate"

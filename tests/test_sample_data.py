"""Checks of sample_data/: schema, counts, determinism, code labels and every planted truth.

Reads the generated files directly with json/pandas (independent of the evalnb loader).
The numbers asserted here are the ones documented in sample_data/README.md.
"""
from __future__ import annotations

import collections
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
SD = ROOT / "sample_data"
MODELS = ["atlas-large", "nova-medium", "swift-small", "legacy-v1"]
TASKS = {"summarization", "qa", "code", "classification", "rag", "chat"}
CORE = ["run_id", "model", "item_id", "task", "category", "input", "output", "reference", "latency_ms",
        "prompt_tokens", "completion_tokens", "cost_usd", "timestamp", "request_id", "judge_relevance",
        "judge_faithfulness", "judge_coherence", "judge_helpfulness", "judge_safety_violation", "human_rating"]
TASK_KEYS = {"qa": {"references"}, "rag": {"contexts", "retrieved_ids", "relevance"},
             "classification": {"label", "prediction"}, "code": {"tests"}, "summarization": set(), "chat": set()}
PUBLIC_FILES = ["runs/atlas-large.jsonl", "runs/nova-medium.jsonl", "runs/swift-small.jsonl", "runs/legacy-v1.jsonl",
                "kpis.csv", "prices.json", "code_samples.jsonl", "adversarial.jsonl", "_truth/code_truth.json"]


def _no_nan(token):
    raise ValueError(f"non-standard JSON constant {token!r}")


def read_jsonl(path: Path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line, parse_constant=_no_nan) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def records():
    return {m: read_jsonl(SD / "runs" / f"{m}.jsonl") for m in MODELS}


@pytest.fixture(scope="module")
def df(records):
    runs = pd.DataFrame([r for m in MODELS for r in records[m]])
    kpis = pd.read_csv(SD / "kpis.csv", dtype={"request_id": str, "item_id": str, "timestamp": str})
    out = runs.merge(kpis.drop(columns=["item_id", "timestamp"]), on="request_id", how="left", validate="1:1")
    out["month"] = out["timestamp"].str[5:7].astype(int)
    out["october"] = out["month"] == 10
    return out


def spearman(a, b):
    return float(stats.spearmanr(np.asarray(a, float), np.asarray(b, float))[0])


def spearman_ci(r, n):
    """95% CI by the Fisher z transform with the Fieller et al. variance 1.06 / (n - 3)."""
    z, se = math.atanh(r), math.sqrt(1.06 / (n - 3))
    return math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se)


# ------------------------------------------------------------------------------------ schema / counts
def test_files_present_and_small():
    sizes = {f: (SD / f).stat().st_size for f in PUBLIC_FILES}
    assert all(v > 0 for v in sizes.values())
    total = sum(p.stat().st_size for p in SD.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert total < 15.5e6, total


def test_run_schema(records):
    for m, rows in records.items():
        for r in rows:
            missing = [c for c in CORE if c not in r]
            assert not missing, (m, r["item_id"], missing)
            extra = set(r) - set(CORE)
            assert extra == TASK_KEYS[r["task"]], (r["item_id"], extra)
            assert r["model"] == m and r["run_id"] == f"2026-10-{m}"
            assert isinstance(r["input"], str) and isinstance(r["output"], str) and isinstance(r["reference"], str)
            assert isinstance(r["prompt_tokens"], int) and isinstance(r["completion_tokens"], int)
            assert r["judge_safety_violation"] in (0, 1)
            assert re.fullmatch(r"req-[0-9a-f]{16}", r["request_id"])
            assert re.fullmatch(r"2026-(0[5-9]|10)-\d\dT\d\d:\d\d:\d\dZ", r["timestamp"])
            if r["task"] == "qa":
                assert isinstance(r["references"], list) and r["reference"] in r["references"]
            if r["task"] == "rag":
                assert len(r["contexts"]) == len(r["retrieved_ids"]) == len(set(r["retrieved_ids"]))
                assert all(re.fullmatch(r"doc-\d{4}", d) for d in r["retrieved_ids"])
                assert r["relevance"] and set(r["relevance"].values()) <= {1, 2, 3} and 3 in r["relevance"].values()
            if r["task"] == "classification":
                assert r["label"] == r["reference"] and r["prediction"] == r["output"]


def test_counts_and_pairing(df):
    assert sorted(df.model.unique()) == sorted(MODELS)
    assert set(df.task) == TASKS
    assert df.category.nunique() >= 6
    per_model = df.groupby("model").item_id.nunique()
    assert (per_model >= 2000).all() and (df.groupby("model").size() == per_model).all()
    ids = {m: set(g.item_id) for m, g in df.groupby("model")}
    assert all(v == ids[MODELS[0]] for v in ids.values()), "item ids must be paired across models"
    assert len(df) == 9600 and df.request_id.is_unique
    # the same item has the same task / category / input / reference for every model
    assert (df.groupby("item_id")[["task", "category", "input", "reference"]].nunique() == 1).all().all()
    labels = set(df.loc[df.task == "classification", "label"])
    assert {"refund_request", "password_reset", "outage_report", "invoice_question", "cancel_subscription",
            "shipping_delay"} <= labels
    ts = pd.to_datetime(df.timestamp)
    assert ts.min() >= pd.Timestamp("2026-05-01", tz="UTC") and ts.max() < pd.Timestamp("2026-11-01", tz="UTC")
    assert sorted(df.month.unique()) == [5, 6, 7, 8, 9, 10]


def test_kpis_and_prices(df):
    kpis = pd.read_csv(SD / "kpis.csv", dtype={"request_id": str, "item_id": str, "timestamp": str})
    assert list(kpis.columns) == ["request_id", "item_id", "timestamp", "thumbs_up", "task_success", "escalated",
                                  "csat", "handle_time_s"]
    assert kpis.request_id.is_unique and len(kpis) == len(df)
    assert set(kpis.request_id) == set(df.request_id)
    assert df.thumbs_up.notna().all()
    for c in ("thumbs_up", "task_success", "escalated"):
        assert set(kpis[c]) == {0, 1}
    assert set(kpis.csat) == {1, 2, 3, 4, 5} and (kpis.handle_time_s > 0).all()
    merged = kpis.merge(df[["request_id", "item_id", "timestamp"]], on="request_id", suffixes=("", "_run"))
    assert (merged.item_id == merged.item_id_run).all() and (merged.timestamp == merged.timestamp_run).all()
    prices = json.loads((SD / "prices.json").read_text(encoding="utf-8"))
    assert prices["schema_version"] == 1 and prices["currency"] == "USD" and set(prices["models"]) == set(MODELS)
    inp = df.model.map({m: p["input_per_1k"] for m, p in prices["models"].items()})
    out = df.model.map({m: p["output_per_1k"] for m, p in prices["models"].items()})
    expected = df.prompt_tokens / 1000 * inp + df.completion_tokens / 1000 * out
    assert np.allclose(df.cost_usd, expected, atol=1e-8)


def test_judges_and_human_ratings(df):
    for j in ("judge_relevance", "judge_faithfulness", "judge_coherence", "judge_helpfulness"):
        v = df[j].to_numpy(float)
        assert v.min() >= 1 and v.max() <= 5
        assert np.allclose(np.round(v * 3), v * 3, atol=1e-3), "means of 3 integer samples"
    rate = df.judge_safety_violation.mean()
    assert 0.005 <= rate <= 0.03, rate
    hr = df.dropna(subset=["human_rating"])
    counts = hr.groupby("model").size()
    assert ((counts >= 500) & (counts <= 700)).all(), counts
    assert len({frozenset(g.item_id) for _, g in hr.groupby("model")}) == 1, "same rated items for every model"
    assert set(np.unique(hr.human_rating * 2)) <= set(range(2, 11))


def test_edge_cases_survive_as_strings(df):
    qa = df[df.task == "qa"]
    for literal in ("None", "NA", "null"):
        assert (qa.reference == literal).sum() == 4, literal
    assert (qa.output == "None").sum() >= 3
    text = pd.concat([df.input, df.output])
    assert text.str.contains(r"[\u4e00-\u9fff\uac00-\ud7af]").any(), "CJK"
    assert text.str.contains("[\U0001F300-\U0001FAFF]").any(), "emoji"
    assert text.str.contains("[éöøñüç]").any(), "accents"


# ------------------------------------------------------------------------------------ planted truths
def _tokens(s):
    return re.findall(r"\w+", s.lower())


def _bleu2(hyp, ref):
    h, r = _tokens(hyp), _tokens(ref)
    if not h:
        return 0.0
    logs = []
    for n in (1, 2):
        hn = collections.Counter(tuple(h[i:i + n]) for i in range(len(h) - n + 1))
        rn = collections.Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
        match = sum(min(c, rn[g]) for g, c in hn.items())
        logs.append(math.log((match + 1) / (sum(hn.values()) + 1)))
    return min(1.0, math.exp(1 - len(r) / len(h))) * math.exp(sum(logs) / 2)


def _rouge1_f(hyp, ref):
    h, r = collections.Counter(_tokens(hyp)), collections.Counter(_tokens(ref))
    m = sum((h & r).values())
    if not m:
        return 0.0
    p, rc = m / sum(h.values()), m / sum(r.values())
    return 2 * p * rc / (p + rc)


def test_truth1_latent_quality_judges_vs_overlap(df):
    pre = df[~df.october]
    assert spearman(df.judge_faithfulness, df.thumbs_up) > 0.3
    assert spearman(pre.judge_relevance, pre.thumbs_up) > 0.3
    item = df.groupby("item_id")[["judge_faithfulness", "thumbs_up"]].mean()
    assert spearman(item.judge_faithfulness, item.thumbs_up) > 0.25
    # KPIs move together (they share q)
    assert spearman(df.thumbs_up, df.task_success) > 0.15
    assert spearman(df.thumbs_up, df.escalated) < -0.1
    assert spearman(df.thumbs_up, df.handle_time_s) < -0.1
    # n-gram overlap is driven by the phrasing latent: it barely predicts thumbs_up
    gen = df[df.task.isin(["summarization", "chat"])]
    bleu = [_bleu2(o, r) for o, r in zip(gen.output, gen.reference)]
    rouge = [_rouge1_f(o, r) for o, r in zip(gen.output, gen.reference)]
    assert abs(spearman(bleu, gen.thumbs_up)) < 0.08
    assert abs(spearman(rouge, gen.thumbs_up)) < 0.08
    summ = gen.task.to_numpy() == "summarization"
    assert abs(spearman(np.asarray(bleu)[summ], gen.thumbs_up[summ])) < 0.08
    assert np.std(bleu) > 0.2, "overlap must vary (copy vs paraphrase)"


def test_truth2_swift_small_fails_in_billing(df):
    fail = 1 - df.pivot_table(index="category", columns="model", values="thumbs_up", aggfunc="mean")
    swift_billing = fail.loc["billing", "swift-small"]
    swift_other = 1 - df[(df.model == "swift-small") & (df.category != "billing")].thumbs_up.mean()
    assert swift_billing >= 1.8 * swift_other, (swift_billing, swift_other)
    assert (fail.drop(index="billing")["swift-small"] < 0.5).all()
    for m in MODELS:
        if m != "swift-small":
            assert swift_billing > fail.loc["billing", m] + 0.25


def test_truth3_simpsons_paradox(df):
    assert spearman(df.judge_helpfulness, df.csat) < -0.1
    for cat, g in df.groupby("category"):
        assert spearman(g.judge_helpfulness, g.csat) > 0.1, cat
    means = df.groupby("category")[["judge_helpfulness", "csat"]].mean()
    assert spearman(means.judge_helpfulness, means.csat) < -0.8


def test_truth4_validity_drift(df):
    pre, octo = df[~df.october], df[df.october]
    r_pre = spearman(pre.judge_relevance, pre.thumbs_up)
    r_oct = spearman(octo.judge_relevance, octo.thumbs_up)
    lo, hi = spearman_ci(r_oct, len(octo))
    assert r_pre > 0.3
    assert abs(r_oct) < 0.05 and lo < 0 < hi
    for month, g in pre.groupby("month"):
        assert spearman(g.judge_relevance, g.thumbs_up) > 0.25, month
    assert spearman(octo.judge_faithfulness, octo.thumbs_up) > 0.3
    # the judge's scale did not visibly change: this is a validity drift, not a distribution shift
    assert abs(octo.judge_relevance.mean() - pre.judge_relevance.mean()) < 0.3


def test_truth5_distribution_drift(df):
    items = df.drop_duplicates("item_id")
    share = items.groupby("october").category.value_counts(normalize=True).unstack(0)
    assert share.loc["billing", True] >= 1.7 * share.loc["billing", False]
    length = items.assign(n=items.input.str.len()).groupby(["task", "october"]).n.mean().unstack()
    ratio = length[True] / length[False]
    assert (ratio > 1.15).all() and (ratio < 1.5).all(), ratio
    overall = items.assign(n=items.input.str.len()).groupby("october").n.mean()
    assert 1.2 < overall[True] / overall[False] < 1.5


def test_truth6_cost_quality_pareto(df):
    by = df.groupby("model")
    cost = by.cost_usd.mean()
    assert cost["atlas-large"] > cost["nova-medium"] > cost["legacy-v1"] > cost["swift-small"]
    for col in ("thumbs_up", "task_success", "judge_faithfulness", "judge_relevance", "human_rating", "csat"):
        q = by[col].mean()
        assert q["nova-medium"] > q["atlas-large"] > max(q["legacy-v1"], q["swift-small"]), col
    q = by.thumbs_up.mean()
    # atlas-large is dominated by nova-medium: cheaper and better => not on the Pareto frontier
    frontier = [m for m in MODELS if not any(cost[o] <= cost[m] and q[o] >= q[m] and (cost[o], q[o]) != (cost[m], q[m])
                                             for o in MODELS)]
    assert "atlas-large" not in frontier and "nova-medium" in frontier and "swift-small" in frontier


def test_truth7_latency(df):
    p50 = df.groupby("model").latency_ms.quantile(0.5)
    p99 = df.groupby("model").latency_ms.quantile(0.99)
    assert ((p99 / p50) >= 3).all(), p99 / p50
    assert p50.idxmax() == "atlas-large" and p50.idxmin() == "swift-small"
    for m, g in df.groupby("model"):
        assert stats.skew(np.log(g.latency_ms)) < 1.0 < stats.skew(g.latency_ms), m


# ------------------------------------------------------------------------------------ code / pass@k
RUNNER = r"""
import json, sys
out = []
for code, tests in json.load(sys.stdin):
    ns = {"__name__": "snippet"}
    try:
        exec(compile(code, "<solution>", "exec"), ns)
        exec(compile(tests, "<tests>", "exec"), ns)
        out.append(True)
    except Exception:
        out.append(False)
print(json.dumps(out))
"""


def run_in_subprocess(pairs):
    proc = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(pairs), capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(proc.stdout)


def test_code_outputs_pass_or_fail_as_labelled(df):
    truth = json.loads((SD / "_truth" / "code_truth.json").read_text(encoding="utf-8"))
    code = df[df.task == "code"].reset_index(drop=True)
    refs = code.drop_duplicates("item_id")
    rng = np.random.default_rng(7)
    sample = code.iloc[rng.choice(len(code), size=240, replace=False)]
    samples = pd.DataFrame(read_jsonl(SD / "code_samples.jsonl"))
    ssample = samples.iloc[rng.choice(len(samples), size=160, replace=False)]
    pairs = ([[r, t] for r, t in zip(refs.reference, refs.tests)]
             + [[o, t] for o, t in zip(sample.output, sample.tests)]
             + [[o, t] for o, t in zip(ssample.output, ssample.tests)])
    got = run_in_subprocess(pairs)
    n1, n2 = len(refs), len(refs) + len(sample)
    assert all(got[:n1]), "every reference solution passes its tests"
    want = [truth["runs"][m][i] for m, i in zip(sample.model, sample.item_id)]
    assert got[n1:n2] == want
    want_s = [truth["code_samples"][m][i][s] for m, i, s in zip(ssample.model, ssample.item_id, ssample.sample_id)]
    assert got[n2:] == want_s
    assert 0 < sum(want) < len(want) and 0 < sum(want_s) < len(want_s)


def test_code_samples_shape_and_mix():
    rows = read_jsonl(SD / "code_samples.jsonl")
    assert len(rows) == 60 * 4 * 5
    assert set(rows[0]) == {"run_id", "model", "item_id", "sample_id", "task", "input", "output", "tests", "reference"}
    s = pd.DataFrame(rows)
    ids = s.groupby(["model", "item_id"]).sample_id.apply(lambda x: tuple(sorted(x)))
    assert all(t == (0, 1, 2, 3, 4) for t in ids)
    assert s.item_id.nunique() == 60 and (s.task == "code").all()
    truth = json.loads((SD / "_truth" / "code_truth.json").read_text(encoding="utf-8"))["code_samples"]
    passes = {m: [sum(v) for v in truth[m].values()] for m in MODELS}
    allc = [c for v in passes.values() for c in v]
    assert {0, 5} <= set(allc) and len(set(allc)) == 6, "a realistic mix of pass counts"
    mean = {m: np.mean(v) for m, v in passes.items()}
    assert mean["nova-medium"] > mean["atlas-large"] > max(mean["legacy-v1"], mean["swift-small"])


# ------------------------------------------------------------------------------------ robustness
def test_adversarial(df):
    rows = read_jsonl(SD / "adversarial.jsonl")
    adv = pd.DataFrame(rows)
    assert {"model", "item_id", "parent_item_id", "perturbation", "task", "category", "input", "output",
            "reference", "judge_relevance", "judge_safety_violation"} <= set(adv.columns)
    perts = ["clean", "typo", "casing", "distractor", "prompt_injection"]
    assert set(adv.perturbation) == set(perts) and set(adv.task) == {"qa", "chat"}
    assert adv.parent_item_id.nunique() == 200 and len(adv) == 200 * 4 * 5
    assert (adv.item_id == adv.parent_item_id + "::" + adv.perturbation).all()
    assert adv.groupby("model").item_id.apply(lambda s: s.is_unique).all()
    # clean rows are the main-run rows
    main = df.set_index(["model", "item_id"])
    clean = adv[adv.perturbation == "clean"]
    assert (main.loc[list(zip(clean.model, clean.parent_item_id)), "output"].to_numpy() == clean.output.to_numpy()).all()
    rel = adv.pivot_table(index="model", columns="perturbation", values="judge_relevance")
    drop = rel[perts[1:]].rsub(rel["clean"], axis=0)   # positive = worse
    assert drop["typo"].idxmax() == "swift-small" and drop["prompt_injection"].idxmax() == "swift-small"
    assert drop.mean(axis=1).idxmin() == "nova-medium"
    assert (drop.loc["nova-medium"] < 0.4).all()
    unsafe = adv.pivot_table(index="model", columns="perturbation", values="judge_safety_violation")
    assert unsafe.loc["swift-small", "prompt_injection"] > 3 * unsafe.loc["nova-medium", "prompt_injection"]


# ------------------------------------------------------------------------------------ determinism
def test_generator_is_byte_identical(tmp_path):
    proc = subprocess.run([sys.executable, str(SD / "make_sample_data.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    generated = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert generated == sorted(PUBLIC_FILES)      # every file it writes is compared below
    for f in PUBLIC_FILES:
        assert (tmp_path / f).read_bytes() == (SD / f).read_bytes(), f


# ------------------------------------------------------------------------------------ generator layout
ACME = SD / "acme"
TABLES = ["vocabulary", "scenarios", "dialogue", "knowledge_base", "code_templates", "adversarial"]


def test_generator_is_a_package_of_small_modules():
    entry = (SD / "make_sample_data.py").read_text(encoding="utf-8")
    assert len(entry.splitlines()) < 60 and "acme" in entry   # a thin entry point
    modules = sorted(ACME.glob("*.py"))
    assert {"__init__.py", "constants.py", "generate.py"} <= {p.name for p in modules}
    for p in modules:
        n = len(p.read_text(encoding="utf-8").splitlines())
        assert n < 600, f"{p.name} has {n} lines"


def test_content_tables_are_data_files():
    import ast
    for name in TABLES:
        data = json.loads((ACME / "tables" / f"{name}.json").read_text(encoding="utf-8"))
        assert data, name
    # no large literal table of strings is left in the Python modules (the old generator had up to 68)
    for p in ACME.glob("*.py"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
                elts = node.values if isinstance(node, ast.Dict) else node.elts
                n = sum(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in elts)
                assert n <= 15, f"{p.name}:{node.lineno}: literal with {n} strings belongs in tables/"
    # the package loads them: a few named tables, non-empty and equal to the files
    code = (
        "import json\n"
        "from acme import adversarial, code_families, code_tasks, knowledge_base, scenarios, texts, vocabulary\n"
        "from acme.common import load_table\n"
        "v = load_table('vocabulary')\n"
        "assert vocabulary.FIRST_NAMES == v['first_names'] and len(vocabulary.FIRST_NAMES) == 68\n"
        "assert list(vocabulary.DEVICES) == list(v['devices']) and len(vocabulary.PLAN_INFO) == 4\n"
        "assert len(scenarios.SCENARIOS) == 22 and len(scenarios.INTENTS) == 12\n"
        "assert len(knowledge_base.FACTS) == 76 and set(knowledge_base.EDGE_FACTS) == "
        "{'billing', 'account', 'technical_support'}\n"
        "assert len(texts.SYNONYMS) == 41 and texts.USER_EXTRAS == load_table('dialogue')['user_extras']\n"
        "fams = load_table('code_templates')['families']\n"
        "assert len(fams) == 22 and all(hasattr(code_families, 'fam_' + f) for f in fams)\n"
        "assert sum(len(v) for v in code_tasks.CODE_FAMILIES.values()) == 22\n"
        "assert len(adversarial.INJECTIONS) == 5 and adversarial.DISTRACTORS\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=SD, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr

"""runs/<model>.jsonl: the items, latent quality, outputs, judges, human ratings and the
operational columns (tokens, cost, latency, timestamps, request ids) of the eval rows."""
from __future__ import annotations

import datetime as dt
import math

import numpy as np

from .common import logistic, pick, stream
from .constants import (CAT_MIX_BASE, CAT_MIX_OCT, CAT_Q, CATEGORIES, CLS_CORRECT_THRESHOLD,
                        CODE_PASS_THRESHOLD, HELP_OFFSET, HUMAN, ITEM_SD, JUDGE, LATENCY, LATENCY_RETRY,
                        LEVEL_GOOD, LEVEL_NOISE, LEVEL_PARTIAL, MODEL_Q, MODELS, MONTHS, N_HUMAN_ITEMS,
                        N_PER_TASK, OCT_RELEVANCE_NOISE, PRICES, QA_CORRECT_THRESHOLD, RAG_RETRIEVAL_EFFECT,
                        REPLY_CLOSER_P, ROW_SD, RUN_ID, SAFETY_LOGIT, SAFETY_MODEL, SWIFT_BILLING_PENALTY,
                        SYSTEM_PROMPT_TOKENS, TASK_PREFIX, TASK_Q, TASKS, TOKENIZER)
from .knowledge_base import EDGE_FACTS
from .texts import UNSAFE_ADDITIONS, Item, render_output


def judge_scores(rng, mu, sd, bias_sd=0.45):
    """Mean of 3 integer judge samples around mu (+ a per-row judge bias shared by the samples)."""
    bias = rng.normal(0.0, bias_sd, size=mu.shape)
    samples = np.clip(np.rint(mu[:, None] + bias[:, None] + rng.normal(0.0, sd, size=(mu.size, 3))), 1, 5)
    return np.round(samples.mean(axis=1), 4)


def month_bounds(y, m):
    start = dt.datetime(y, m, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=dt.timezone.utc)
    return start, end


def build_items():
    rng = stream("items")
    tasks = np.repeat(np.arange(len(TASKS)), N_PER_TASK)
    rng.shuffle(tasks)
    items = []
    per_month = len(tasks) // len(MONTHS)
    hour_w = np.array([1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 10, 9, 10, 10, 9, 8, 6, 5, 4, 3, 2, 2, 1], float)
    hour_w /= hour_w.sum()
    for mi, (y, m) in enumerate(MONTHS):
        mix = CAT_MIX_OCT if m == 10 else CAT_MIX_BASE
        probs = np.array([mix[c] for c in CATEGORIES])
        start, end = month_bounds(y, m)
        ndays = (end - start).days
        for k in range(per_month):
            ti = int(tasks[mi * per_month + k])
            cat = CATEGORIES[int(rng.choice(len(CATEGORIES), p=probs / probs.sum()))]
            day = int(rng.integers(0, ndays))
            hour = int(rng.choice(24, p=hour_w))
            sec = int(rng.integers(0, 3600 - 300))
            ts = start + dt.timedelta(days=day, hours=hour, seconds=sec)
            items.append(Item(task=TASKS[ti], category=cat, month=m, ts=ts, october=(m == 10),
                              diff=float(rng.normal(0, ITEM_SD)), extra={}))
    for t in TASKS:
        group = sorted([it for it in items if it.task == t], key=lambda it: it.ts)
        for n, it in enumerate(group, 1):
            it.item_id = f"{TASK_PREFIX[t]}-{n:04d}"
    items.sort(key=lambda it: (it.ts, it.item_id))
    for i, it in enumerate(items):
        it.idx = i
    human = set(rng.choice(len(items), size=N_HUMAN_ITEMS, replace=False).tolist())
    for it in items:
        it.human = it.idx in human
    # loader edge cases: the first May-Sep qa item of billing / account / technical_support
    for c in EDGE_FACTS:
        first = next(it for it in items if it.task == "qa" and it.category == c and not it.october)
        first.extra["edge"] = c
    return items


def latent_quality(items):
    """Latent true quality q (items x models), the level noise z and the phrasing latent phi."""
    n, M = len(items), len(MODELS)
    rng = stream("latent")
    base = np.array([TASK_Q[it.task] + CAT_Q[it.category] + it.diff for it in items])
    rag_eff = np.array([RAG_RETRIEVAL_EFFECT * ((1.0 if it.ctx.get("hit") else 0.0) - 0.8)
                        if it.task == "rag" else 0.0 for it in items])
    q = np.empty((n, M))
    for j, m in enumerate(MODELS):
        pen = np.array([SWIFT_BILLING_PENALTY if (m == "swift-small" and it.category == "billing") else 0.0
                        for it in items])
        q[:, j] = MODEL_Q[m] + base + rag_eff + pen + rng.normal(0, ROW_SD, size=n)
    z = q + rng.normal(0, LEVEL_NOISE, size=q.shape)
    phi = rng.random(size=q.shape)
    return q, z, phi


def render_outputs(items, z, phi):
    """Output text of every (item, model) and whether it is correct (qa / rag / code / classification)."""
    n, M = len(items), len(MODELS)
    rng_out = stream("outputs")
    outputs = [[None] * M for _ in range(n)]
    correct = np.zeros((n, M), dtype=bool)
    for i, it in enumerate(items):
        for j, m in enumerate(MODELS):
            zz = z[i, j]
            level = "good" if zz > LEVEL_GOOD else ("partial" if zz > LEVEL_PARTIAL else "bad")
            thr = {"code": CODE_PASS_THRESHOLD, "classification": CLS_CORRECT_THRESHOLD,
                   "qa": QA_CORRECT_THRESHOLD, "rag": QA_CORRECT_THRESHOLD}.get(it.task, LEVEL_GOOD)
            ok = bool(zz > thr)
            correct[i, j] = ok
            outputs[i][j] = render_output(rng_out, it, m, level, ok, float(phi[i, j]), REPLY_CLOSER_P[m])
    return outputs, correct


def judge_columns(items, q, outputs):
    """Safety flags (which append an unsafe sentence to `outputs`), judge scores and human ratings."""
    n, M = len(items), len(MODELS)
    rng_j = stream("judges")
    gen_mask = np.array([it.task in ("summarization", "qa", "rag", "chat") for it in items])
    safety = np.zeros((n, M), dtype=int)
    for j, m in enumerate(MODELS):
        p = logistic(SAFETY_LOGIT[0] + SAFETY_LOGIT[1] * q[:, j] + SAFETY_MODEL[m])
        safety[:, j] = (rng_j.random(n) < p) & gen_mask
    for i in range(n):
        for j in range(M):
            if safety[i, j]:
                outputs[i][j] = outputs[i][j] + " " + pick(rng_j, UNSAFE_ADDITIONS)
    octo = np.array([it.october for it in items])
    cat_arr = np.array([it.category for it in items])
    help_off = np.array([HELP_OFFSET[c] for c in cat_arr])
    judges = {}
    for name, (a, b, sd) in JUDGE.items():
        cols = np.empty((n, M))
        for j in range(M):
            mu = a + b * q[:, j] + (help_off if name == "judge_helpfulness" else 0.0)
            if name == "judge_relevance":
                a2, sd_mu, sd2 = OCT_RELEVANCE_NOISE
                mu = np.where(octo, a2 + rng_j.normal(0, sd_mu, size=n), mu)
            cols[:, j] = judge_scores(rng_j, mu, sd)
        judges[name] = cols
    human = np.full((n, M), np.nan)
    hmask = np.array([it.human for it in items])
    for j in range(M):
        a, b, sd = HUMAN
        ann = np.clip(np.rint(a + b * q[:, j][:, None] + rng_j.normal(0, sd, size=(n, 2))), 1, 5)
        human[:, j] = np.where(hmask, ann.mean(axis=1), np.nan)
    return safety, judges, human


def eval_rows(items, outputs, judges, safety, human, kpi):
    """The eval rows per model, and the KPI rows (timestamp, request_id, item_id, KPIs...) that join them."""
    M = len(MODELS)
    rng_o = stream("ops")
    seen_ids = set()
    rows = {m: [] for m in MODELS}
    kpi_rows = []
    for i, it in enumerate(items):
        ctx_chars = sum(len(x) for x in it.extra.get("contexts", []))
        for j, m in enumerate(MODELS):
            out = outputs[i][j]
            ptoks = SYSTEM_PROMPT_TOKENS[it.task] + math.ceil((len(it.input) + ctx_chars) / 4 * TOKENIZER[m])
            ctoks = max(1, math.ceil(len(out) / 4 * TOKENIZER[m]))
            price = PRICES[m]
            cost = round(ptoks / 1000 * price["input_per_1k"] + ctoks / 1000 * price["output_per_1k"], 8)
            ttft, per_tok, sig = LATENCY[m]
            lat = (ttft + per_tok * ctoks) * math.exp(sig * float(rng_o.normal()))
            if rng_o.random() < LATENCY_RETRY[0]:
                lat *= float(rng_o.uniform(LATENCY_RETRY[1], LATENCY_RETRY[2]))
            ts = it.ts + dt.timedelta(seconds=int(rng_o.integers(0, 240)))
            while True:
                rid = f"req-{int(rng_o.integers(0, 2 ** 63)):016x}"
                if rid not in seen_ids:
                    seen_ids.add(rid)
                    break
            tstr = ts.strftime("%Y-%m-%dT%H:%M:%SZ")
            row = {"run_id": RUN_ID[m], "model": m, "item_id": it.item_id, "task": it.task,
                   "category": it.category, "input": it.input, "output": out, "reference": it.reference}
            if it.task == "qa":
                row["references"] = it.extra["references"]
            if it.task == "rag":
                row["contexts"] = it.extra["contexts"]
                row["retrieved_ids"] = it.extra["retrieved_ids"]
                row["relevance"] = it.extra["relevance"]
            if it.task == "classification":
                row["label"] = it.reference
                row["prediction"] = out
            if it.task == "code":
                row["tests"] = it.extra["tests"]
            row.update({"latency_ms": round(lat, 1), "prompt_tokens": int(ptoks), "completion_tokens": int(ctoks),
                        "cost_usd": cost, "timestamp": tstr, "request_id": rid})
            for name in JUDGE:
                row[name] = float(judges[name][i, j])
            row["judge_safety_violation"] = int(safety[i, j])
            row["human_rating"] = None if np.isnan(human[i, j]) else float(human[i, j])
            rows[m].append(row)
            k = kpi[j]
            kpi_rows.append((tstr, rid, it.item_id, int(k["thumbs_up"][i]), int(k["task_success"][i]),
                             int(k["escalated"][i]), int(k["csat"][i]), float(k["handle_time_s"][i])))
    return rows, kpi_rows

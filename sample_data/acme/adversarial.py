"""adversarial.jsonl: robustness rows (200 qa/chat parents x 4 models x 5 perturbations).

The injected instructions with their compliant outputs, and the distractor sentences, are data
in tables/adversarial.json.
"""
from __future__ import annotations

import numpy as np

from .common import load_table, logistic, pick, stream
from .constants import (JUDGE, LEVEL_GOOD, LEVEL_NOISE, LEVEL_PARTIAL, MODELS, N_ADV_PARENTS, PERTURBATIONS,
                        QA_CORRECT_THRESHOLD, REPLY_CLOSER_P, ROBUST_DROP, SAFETY_LOGIT, SAFETY_MODEL)
from .runs import judge_scores
from .texts import UNSAFE_ADDITIONS, render_output

_A = load_table("adversarial")
# (instruction appended to the input, compliant output, unsafe?)
INJECTIONS = [(x["instruction"], x["output"], x["unsafe"]) for x in _A["injections"]]
DISTRACTORS = _A["distractors"]


def perturb_input(rng, text, kind):
    if kind == "clean":
        return text, None
    if kind == "typo":
        out = []
        for w in text.split(" "):
            if len(w) > 3 and w.isalpha() and rng.random() < 0.18:
                i = int(rng.integers(1, len(w) - 1))
                op = int(rng.integers(4))
                if op == 0:
                    w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
                elif op == 1:
                    w = w[:i] + w[i + 1:]
                elif op == 2:
                    w = w[:i] + w[i] + w[i:]
                else:
                    w = w[:i] + pick(rng, "qwertyuiopasdfghjklzxcvbnm") + w[i + 1:]
            out.append(w)
        return " ".join(out), None
    if kind == "casing":
        mode = int(rng.integers(3))
        if mode == 0:
            return text.upper(), None
        if mode == 1:
            return text.lower(), None
        return " ".join(w.upper() if rng.random() < 0.4 else w.lower() for w in text.split(" ")), None
    if kind == "distractor":
        d = pick(rng, DISTRACTORS)
        return (d + " " + text) if rng.random() < 0.5 else (text + " " + d), None
    if kind == "prompt_injection":
        j = int(rng.integers(len(INJECTIONS)))
        return text + "\n\n" + INJECTIONS[j][0], j
    raise ValueError(kind)


def adversarial_rows(items, q, outputs, judges, safety):
    """Perturbed copies of 100 qa and 100 chat items (May-Sep), with outputs and judge scores."""
    rng_a = stream("adversarial")
    adv_rows = []
    for t, k in N_ADV_PARENTS.items():
        pool = [it for it in items if it.task == t and not it.october and not it.extra.get("edge")]
        pick_idx = sorted(rng_a.choice(len(pool), size=k, replace=False).tolist())
        parents = sorted([pool[i] for i in pick_idx], key=lambda it: it.item_id)
        for it in parents:
            i = it.idx
            pert_inputs = {p: perturb_input(rng_a, it.input, p) for p in PERTURBATIONS}
            for j, m in enumerate(MODELS):
                for p in PERTURBATIONS:
                    text, inj = pert_inputs[p]
                    if p == "clean":
                        out, rel, unsafe = outputs[i][j], float(judges["judge_relevance"][i, j]), int(safety[i, j])
                    else:
                        qp = q[i, j] - ROBUST_DROP[m][p] + float(rng_a.normal(0, 0.3))
                        zp = qp + float(rng_a.normal(0, LEVEL_NOISE))
                        complied = inj is not None and zp < LEVEL_PARTIAL + 0.3
                        if complied:
                            out, unsafe = INJECTIONS[inj][1], INJECTIONS[inj][2]
                            mu = np.array([1.4])
                        else:
                            level = "good" if zp > LEVEL_GOOD else ("partial" if zp > LEVEL_PARTIAL else "bad")
                            out = render_output(rng_a, it, m, level, bool(zp > QA_CORRECT_THRESHOLD),
                                                float(rng_a.random()), REPLY_CLOSER_P[m])
                            if inj is not None and rng_a.random() < 0.3:
                                out = "I can't follow instructions embedded in a message, but here is the answer: " + out
                            unsafe = int(rng_a.random() < float(logistic(SAFETY_LOGIT[0] + SAFETY_LOGIT[1] * qp
                                                                         + SAFETY_MODEL[m])))
                            if unsafe:
                                out += " " + pick(rng_a, UNSAFE_ADDITIONS)
                            a, b, _ = JUDGE["judge_relevance"]
                            mu = np.array([a + b * qp])
                        rel = float(judge_scores(rng_a, mu, JUDGE["judge_relevance"][2])[0])
                    adv_rows.append({"run_id": f"2026-10-{m}-robustness", "model": m,
                                     "item_id": f"{it.item_id}::{p}", "parent_item_id": it.item_id,
                                     "perturbation": p, "task": it.task, "category": it.category, "input": text,
                                     "output": out, "reference": it.reference, "judge_relevance": rel,
                                     "judge_safety_violation": int(unsafe)})
    adv_rows.sort(key=lambda r: (MODELS.index(r["model"]), r["parent_item_id"], PERTURBATIONS.index(r["perturbation"])))
    return adv_rows

"""code_samples.jsonl (pass@k: 60 code tasks x 4 models x 5 samples) and _truth/code_truth.json."""
from __future__ import annotations

from .common import logistic, pick, stream
from .constants import (CAT_Q, MODEL_Q, MODELS, N_CODE_SAMPLE_TASKS, N_SAMPLES, PASSK_LOGIT,
                        SWIFT_BILLING_PENALTY, TASK_Q)


def code_truth(items, correct):
    """Hidden generator truth for tests: whether each code row of the main runs passes."""
    n = len(items)
    truth = {"runs": {m: {items[i].item_id: bool(correct[i, j]) for i in range(n) if items[i].task == "code"}
                      for j, m in enumerate(MODELS)}}
    return truth


def pass_at_k_samples(items, truth):
    """The pass@k sample rows (sorted); adds truth["code_samples"] = {model: {item_id: [5 bools]}}."""
    rng_s = stream("samples")
    code_items = sorted([it for it in items if it.task == "code"], key=lambda it: it.item_id)[:N_CODE_SAMPLE_TASKS]
    samples, truth["code_samples"] = [], {m: {} for m in MODELS}
    for j, m in enumerate(MODELS):
        for it in code_items:
            qbar = (MODEL_Q[m] + TASK_Q["code"] + CAT_Q[it.category] + it.diff
                    + (SWIFT_BILLING_PENALTY if (m == "swift-small" and it.category == "billing") else 0.0))
            p = float(logistic(PASSK_LOGIT[0] + PASSK_LOGIT[1] * qbar))
            flags = []
            for sid in range(N_SAMPLES):
                ok = bool(rng_s.random() < p)
                task = it.ctx["task"]
                code = pick(rng_s, task["correct"]) if ok else pick(rng_s, task["bugs"])
                flags.append(ok)
                samples.append({"run_id": f"2026-10-{m}-samples", "model": m, "item_id": it.item_id,
                                "sample_id": sid, "task": "code", "input": it.input, "output": code,
                                "tests": it.extra["tests"], "reference": it.reference})
            truth["code_samples"][m][it.item_id] = flags
    samples.sort(key=lambda r: (MODELS.index(r["model"]), r["item_id"], r["sample_id"]))
    return samples

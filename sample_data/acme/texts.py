"""Text rendering: item inputs and references, and model outputs at a quality level.

The sentence tables (headers, greetings, extras, openers, closers, rewording rules, neutral and
unsafe additions, intent confusions) are data, in tables/dialogue.json.
"""
from __future__ import annotations

import re

from .code_tasks import CODE_EXTRAS, build_code_task
from .common import load_table, pick
from .constants import OCT_DOC_EXTRA_P2, OCT_QA_EXTRA_P, OCT_QA_PREAMBLE_P
from .knowledge_base import EDGE_FACTS, FACTS, FACTS_BY_CAT, QA_PREAMBLES
from .scenarios import SCEN_BY_CAT
from .vocabulary import CHANNELS, EMOJI, base_slots, surface_variant

_D = load_table("dialogue")
INTENT_CONFUSION = _D["intent_confusion"]    # label -> confusable intents (classification errors)
DOC_HEADERS = _D["doc_headers"]
DOC_EXTRAS = _D["doc_extras"]                # October: context sentences in support tickets
USER_EXTRAS = _D["user_extras"]              # first-person extras in user messages
GREETINGS = _D["greetings"]
SIGNOFFS = _D["signoffs"]
REPLY_OPENERS = _D["reply_openers"]
REPLY_CLOSERS = _D["reply_closers"]
SYNONYMS = [tuple(x) for x in _D["synonyms"]]  # (regex, replacement) rewording rules
NEUTRAL_ADDITIONS = _D["neutral_additions"]
UNSAFE_ADDITIONS = _D["unsafe_additions"]


def fill(tpl: str, s: dict) -> str:
    return tpl.format_map(s)


def keys_in(tpl: str, keys):
    return [k for k in keys if "{" + k + "}" in tpl]


def corrupt(rng, s, alt, tpl, keys, n_err, n_touch=2):
    """Copy of slots where n_touch key facts present in tpl are touched: the first n_err get a wrong value,
    the rest a meaning-preserving surface variant. Every level therefore changes about the same number
    of tokens, so n-gram overlap does not track quality."""
    out = dict(s)
    present = keys_in(tpl, keys) or list(keys)
    n = min(n_touch, len(present))
    if n:
        for r, i in enumerate(rng.choice(len(present), size=n, replace=False).tolist()):
            k = present[i]
            out[k] = alt.get(k, s[k]) if r < n_err else surface_variant(k, s[k], s)
    return out


def paraphrase(rng, text, strength):
    for pat, rep in SYNONYMS:
        if rng.random() < strength:
            text = re.sub(pat, rep, text, count=1)
    return text


def choose_template(rng, k, n, phi):
    """Phrasing latent phi ~ U(0, 1), independent of quality. phi > 0.45 copies the reference template,
    otherwise another template is used; the share of reworded phrases rises continuously as phi falls."""
    strength = 0.05 + 0.85 * (1.0 - phi)
    if phi > 0.45:
        return k, strength
    j = int((k + 1 + rng.integers(0, n - 1)) % n)
    return j, strength


def user_message(rng, tpl, s, october, p_extra=0.2, p_extra_oct=0.75):
    """greeting / body / optional first-person extras / sign-off. October adds context more often."""
    parts = []
    g = pick(rng, GREETINGS)
    body = fill(tpl, s)
    if g:
        parts.append(g + "\n")
    n_extra = int(rng.random() < (p_extra_oct if october else p_extra))
    extras = [fill(USER_EXTRAS[i], s) for i in rng.choice(len(USER_EXTRAS), size=n_extra, replace=False).tolist()]
    if extras and body[-1] not in ".?!":
        body += "."
    text = "".join(parts) + " ".join([body] + extras)
    so = fill(pick(rng, SIGNOFFS), s)
    if so:
        text += "\n" + so
    if rng.random() < 0.05:
        text += pick(rng, EMOJI)
    return text


class Item:
    __slots__ = ("idx", "task", "category", "month", "ts", "item_id", "diff", "human", "october", "ctx",
                 "input", "reference", "extra")

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))


def build_item_text(rng, it: Item, corpus):
    """Item-level text: input, reference and what outputs need (shared by the 4 models)."""
    t, c, octo = it.task, it.category, it.october
    s, alt = base_slots(rng, it.ts)
    s["channel"] = pick(rng, CHANNELS)
    extra = {}
    if t in ("summarization", "chat", "classification"):
        sc = pick(rng, SCEN_BY_CAT[c])
        if sc["setup"]:
            sc["setup"](rng, s, alt)
        ctx = dict(sc=sc, s=s, alt=alt)
        if t == "summarization":
            sents = [fill(pick(rng, v), s) for v in sc["doc"]]
            n_opt = int(rng.integers(0, 3))
            opts = [fill(sc["extra"][i], s) for i in rng.choice(len(sc["extra"]), size=n_opt, replace=False).tolist()]
            if octo:
                n_oct = 1 + int(rng.random() < OCT_DOC_EXTRA_P2)
                opts += [fill(DOC_EXTRAS[i], s) for i in rng.choice(len(DOC_EXTRAS), size=n_oct, replace=False).tolist()]
            for o in opts:
                sents.insert(int(rng.integers(1, len(sents) + 1)), o)
            it.input = fill(pick(rng, DOC_HEADERS), s) + "\n" + " ".join(sents)
            k = int(rng.integers(len(sc["summ"])))
            ctx["k"] = k
            it.reference = fill(sc["summ"][k], s)
        elif t == "chat":
            msg = user_message(rng, pick(rng, sc["user"]), s, octo)
            if rng.random() < 0.25:
                msg = ("Customer: " + pick(rng, ["I have a question", "Hello, anyone there?", "hey", "I need help with something"]) + "\n"
                       + f"Agent: Hi {s['first']}, thanks for contacting Acme Cloud support. How can I help?\n"
                       + "Customer: " + msg)
            it.input = msg
            k = int(rng.integers(len(sc["reply"])))
            ctx["k"] = k
            it.reference = fill(sc["reply"][k], s)
        else:
            it.input = user_message(rng, pick(rng, sc["user"]), s, octo, p_extra=0.15, p_extra_oct=0.55)
            it.reference = sc["intent"]
        it.ctx = ctx
    elif t in ("qa", "rag"):
        f = EDGE_FACTS[c] if (t == "qa" and it.extra.get("edge")) else pick(rng, FACTS_BY_CAT[c])
        q = pick(rng, f["qs"])
        pre = []
        if rng.random() < (OCT_QA_PREAMBLE_P if octo else 0.30):
            pre.append(fill(pick(rng, QA_PREAMBLES), s))
        if octo and rng.random() < OCT_QA_EXTRA_P:
            pre.append(fill(pick(rng, USER_EXTRAS), s))
        it.input = " ".join(pre + [q])
        ctx = dict(fact=f, s=s)
        if t == "qa":
            it.reference = f["a"]
            extra["references"] = list(f["alts"])
        else:
            docs, fact_doc, archived_doc, overview_doc, by_cat = corpus
            main = fact_doc[f["fid"]]
            rel = {main: 3}
            sib = [fact_doc[g["fid"]] for g in FACTS if g["topic"] == f["topic"] and g["fid"] != f["fid"]]
            if not sib:
                sib = [fact_doc[g["fid"]] for g in FACTS_BY_CAT[c] if g["fid"] != f["fid"]]
            rel[pick(rng, sib)] = 2
            for d in overview_doc[c]:
                if rng.random() < 0.7:
                    rel[d] = 1
            hit = rng.random() < 0.8
            cands = []
            for d, g in rel.items():
                if g < 3 and rng.random() < 0.6:
                    cands.append(d)
            if f["fid"] in archived_doc and rng.random() < 0.7:
                cands.append(archived_doc[f["fid"]])
            pool_same = [d for d in by_cat[c] if d not in rel]
            while len(cands) < 6:
                d = pick(rng, pool_same) if rng.random() < 0.6 else pick(rng, sorted(docs))
                if d not in cands and d != main:
                    cands.append(d)
            order = rng.permutation(len(cands)).tolist()
            retrieved = [cands[i] for i in order][:4]
            if hit:
                pos = int(rng.choice(5, p=[0.55, 0.2, 0.12, 0.08, 0.05]))
                retrieved.insert(pos, main)
            else:
                retrieved.append(cands[order[4]] if len(order) > 4 else pick(rng, pool_same))
            seen, ranked = set(), []
            for d in retrieved:
                if d not in seen:
                    seen.add(d)
                    ranked.append(d)
            extra["retrieved_ids"] = ranked
            extra["contexts"] = [docs[d] for d in ranked]
            extra["relevance"] = {d: rel[d] for d in sorted(rel)}
            ctx["hit"] = main in ranked
            ctx["main"] = main
            ctx["archived"] = archived_doc.get(f["fid"]) if archived_doc.get(f["fid"]) in ranked else None
            it.reference = f["sent"].replace("{a}", f["a"])
        it.ctx = ctx
    elif t == "code":
        task = build_code_task(rng, c)
        parts = [task["prompt"]]
        n_extra = 1 if octo else int(rng.random() < 0.15)
        for i in rng.choice(len(CODE_EXTRAS), size=n_extra, replace=False).tolist():
            parts.append(CODE_EXTRAS[i])
        parts.append(pick(rng, ["Return only the code.", "Only output the function.", "", ""]))
        it.input = " ".join(p for p in parts if p)
        it.reference = task["reference"]
        extra["tests"] = task["tests"]
        it.ctx = dict(task=task)
    it.extra.update(extra)


def render_output(rng, it: Item, model, level, correct, phi, closer_p):
    """Model output text for an item. level in {good, partial, bad}; correct is for qa/code/cls."""
    t, ctx = it.task, it.ctx
    if t == "summarization":
        sc, s, alt = ctx["sc"], ctx["s"], ctx["alt"]
        j, strength = choose_template(rng, ctx["k"], len(sc["summ"]), phi)
        tpl = sc["summ"][j]
        n_err = {"good": 0, "partial": 1, "bad": 2}[level]
        text = fill(tpl, corrupt(rng, s, alt, tpl, sc["keys"], n_err))
        return paraphrase(rng, text, strength)
    if t == "chat":
        sc, s, alt = ctx["sc"], ctx["s"], ctx["alt"]
        j, strength = choose_template(rng, ctx["k"], len(sc["reply"]), phi)
        tpl = sc["reply"][j]
        n_err = {"good": 0, "partial": 1, "bad": 2}[level]
        body = paraphrase(rng, fill(tpl, corrupt(rng, s, alt, tpl, sc["keys"], n_err)), strength)
        if level == "bad":
            body += " " + fill(pick(rng, sc["bad"]), s)
        elif rng.random() < 0.6:
            body += " " + pick(rng, NEUTRAL_ADDITIONS)
        opener = pick(rng, REPLY_OPENERS)
        if "{first}" in opener and s["first"] in body:
            opener = "Thanks for reaching out. "
        text = fill(opener, s) + body
        if rng.random() < closer_p:
            text += " " + pick(rng, REPLY_CLOSERS[2:])
        return text
    if t == "classification":
        label = it.reference
        return label if correct else pick(rng, INTENT_CONFUSION[label])
    if t == "qa":
        f = ctx["fact"]
        if correct:
            ans = f["a"] if rng.random() < 0.8 else pick(rng, f["alts"])
        else:
            ans = pick(rng, f["wrongs"])
            if model == "legacy-v1" and rng.random() < 0.06:
                return "None"
        if phi > 0.5:
            return ans
        return f["sent"].replace("{a}", ans)
    if t == "rag":
        f = ctx["fact"]
        if correct:
            ans = f["a"]
            cite = ctx["main"] if ctx["hit"] else None
        else:
            arch = ctx["archived"]
            ans = pick(rng, f["wrongs"])
            cite = arch if arch else pick(rng, it.extra["retrieved_ids"])
            if arch:
                ans = f["wrongs"][0]
        text = f["sent"].replace("{a}", ans)
        if phi <= 0.55:
            text = pick(rng, ["According to the help center, ", "Based on the documentation, ", "", "Sure! "]) + (
                text[0].lower() + text[1:] if text.startswith("The ") else text)
        if cite and rng.random() < 0.85:
            text += f" [{cite}]"
        elif not ctx["hit"] and correct and rng.random() < 0.5:
            text = "The retrieved passages don't state this directly, but " + text[0].lower() + text[1:]
        if level == "bad" and rng.random() < 0.5:
            text += " " + pick(rng, ["This also applies to refurbished items.",
                                     "Enterprise customers can request an exception through their account manager.",
                                     "The limit doubles for annual plans."])
        return text
    if t == "code":
        task = ctx["task"]
        if correct:
            code = task["correct"][0] if phi > 0.5 else pick(rng, task["correct"][1:] or task["correct"])
        else:
            code = pick(rng, task["bugs"])
        return code
    raise ValueError(t)


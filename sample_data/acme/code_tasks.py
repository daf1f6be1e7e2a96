"""Code tasks: pick a family per category, derive the tests by running the reference, and check
that every correct variant passes and every buggy variant kept fails."""
from __future__ import annotations

from .code_families import (fam_batches, fam_business_days, fam_coupon, fam_format_money, fam_late_fee,
                            fam_lockout, fam_mask_card, fam_normalize_email, fam_order_id, fam_password,
                            fam_priority, fam_prorated_refund, fam_redact, fam_restock, fam_retry,
                            fam_return_window, fam_seat_price, fam_slug, fam_storage_tier, fam_ticket_ref,
                            fam_truncate, fam_vat)
from .common import load_table, pick

CODE_FAMILIES = {
    "billing": [fam_prorated_refund, fam_late_fee, fam_vat, fam_format_money, fam_coupon],
    "technical_support": [fam_retry, fam_ticket_ref, fam_priority, fam_truncate],
    "account": [fam_normalize_email, fam_password, fam_slug],
    "shipping": [fam_order_id, fam_business_days, fam_batches],
    "product_info": [fam_storage_tier, fam_seat_price],
    "returns": [fam_return_window, fam_restock],
    "security": [fam_mask_card, fam_redact, fam_lockout],
}
# optional sentences appended to a code prompt
CODE_EXTRAS = load_table("code_templates")["code_extras"]


def run_snippet(code: str, tests: str) -> bool:
    """True iff `code` defines the function and every assert in `tests` passes."""
    ns: dict = {"__name__": "snippet"}
    try:
        exec(compile(code, "<solution>", "exec"), ns)
        exec(compile(tests, "<tests>", "exec"), ns)
        return True
    except Exception:
        return False


def build_code_task(rng, category):
    fam = pick(rng, CODE_FAMILIES[category])
    t = fam(rng)
    ns: dict = {"__name__": "reference"}
    exec(compile(t["pre"] + t["ref"], "<reference>", "exec"), ns)
    lines = []
    for call in t["calls"]:
        val = eval(call, ns)
        if val is None or isinstance(val, bool):
            lines.append(f"assert {call} is {val!r}")
        else:
            lines.append(f"assert {call} == {val!r}")
    tests = t["pre"] + "\n".join(lines) + "\n"
    assert run_snippet(t["ref"], tests), t["fn"]
    for a in t["alts"]:
        assert run_snippet(a, tests), (t["fn"], a)
    bugs = [b for b in t["bugs"] if not run_snippet(b, tests)]
    assert bugs, f"no failing bug variant for {t['fn']}"
    return dict(family=fam.__name__[4:], fn=t["fn"], prompt=t["prompt"], reference=t["ref"],
                correct=[t["ref"]] + t["alts"], bugs=bugs, tests=tests)

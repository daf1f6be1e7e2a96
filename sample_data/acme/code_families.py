"""Code task families for the `code` task: each yields a prompt, a reference solution, an
alternative correct solution, buggy variants and test calls.

The solution templates (`@FN@` and the other `@NAME@` placeholders) are data, in
tables/code_templates.json; this module draws the parameters (names, constants, test inputs)
and writes the prompts. Expected values come from running the reference (see code_tasks.py).
"""
from __future__ import annotations

import datetime as dt

from .common import load_table, pick
from .vocabulary import EMAIL_DOMAINS

_TEMPLATES = load_table("code_templates")["families"]


def _templates(family: str):
    """(ref, alt, bugs) solution templates of a family, as strings."""
    t = _TEMPLATES[family]
    return "\n".join(t["ref"]), "\n".join(t["alt"]), ["\n".join(b) for b in t["bugs"]]


def _sub(code: str, **kw) -> str:
    for k, v in kw.items():
        code = code.replace(f"@{k}@", str(v))
    return code.strip("\n") + "\n"


def fam_prorated_refund(rng):
    fn = pick(rng, ["prorated_refund", "refund_for_unused_days", "unused_period_refund"])
    a, p = int(rng.integers(1001, 9000)), int(pick(rng, [28, 30, 31]))
    ref, alt, bugs = _templates("prorated_refund")
    u1, u2 = int(rng.integers(1, p // 2)), int(rng.integers(p // 2, p))
    calls = [f"{fn}({a}, 0, {p})", f"{fn}({a}, {u1}, {p})", f"{fn}({a}, {u2}, {p})",
             f"{fn}({a}, {p}, {p})", f"{fn}({a}, {p + 5}, {p})", f"{fn}(1000, 10, 30)"]
    prompt = (f"Write a Python function `{fn}(amount_cents, days_used, days_in_period)` that returns the refund "
              "in cents for the unused part of a billing period: amount_cents * unused_days / days_in_period, "
              "rounded down to a whole cent. If days_used is greater than or equal to days_in_period the refund is 0.")
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, FN=fn), alts=[_sub(alt, FN=fn)],
                bugs=[_sub(b, FN=fn) for b in bugs], calls=calls, pre="")


def fam_late_fee(rng):
    fn = pick(rng, ["late_fee", "compute_late_fee", "overdue_fee"])
    bp, grace = int(pick(rng, [100, 150, 200])), int(pick(rng, [7, 10, 14]))
    ref, alt, bugs = _templates("late_fee")
    b1, b2 = int(rng.integers(5000, 90000)), int(rng.integers(1000, 50000))
    calls = [f"{fn}({b1}, 0)", f"{fn}({b1}, {grace})", f"{fn}({b1}, {grace + 1})", f"{fn}({b2}, 30)",
             f"{fn}(0, 40)", f"{fn}(12367, {grace + 10})", f"{fn}(99, {grace + 3})"]
    prompt = (f"Write `{fn}(balance_cents, days_late)` for our billing worker. Invoices have a {grace}-day grace "
              f"period: while days_late <= {grace} the fee is 0. After that the fee is {bp / 100:g}% of the balance, "
              "rounded down to a whole cent. Return the fee in cents.")
    kw = dict(FN=fn, GRACE=grace, BP=bp)
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, **kw), alts=[_sub(alt, **kw)],
                bugs=[_sub(b, **kw) for b in bugs], calls=calls, pre="")


def fam_vat(rng):
    fn = pick(rng, ["vat_amount", "compute_vat", "vat_for_invoice"])
    pool = [("DE", 19), ("FR", 20), ("NL", 21), ("IE", 23), ("PT", 23), ("SE", 25), ("JP", 10), ("CH", 8)]
    idx = sorted(rng.choice(len(pool), size=4, replace=False).tolist())
    rates = {pool[i][0]: pool[i][1] for i in idx}
    rates_lit = "{" + ", ".join(f'"{k}": {v}' for k, v in rates.items()) + "}"
    ref, alt, bugs = _templates("vat")
    calls = []
    for k, v in rates.items():
        calls.append(f'{fn}({int(rng.integers(1000, 99999))}, "{k}")')
        half = next((n for n in range(101, 5000) if (n * v) % 100 == 50 and ((n * v) // 100) % 2 == 0), None)
        if half:
            calls.append(f'{fn}({half}, "{k}")')
    calls.append(f'{fn}({int(rng.integers(1000, 9999))}, "US")')
    calls = calls[:7]
    if not any('"US"' in c for c in calls):
        calls.append(f'{fn}(5000, "US")')
    prompt = (f"Write `{fn}(net_cents, country)` that returns the VAT in cents for a net invoice amount. "
              f"Use these rates in percent: {rates_lit}. Round half up to the nearest cent. "
              "Countries that are not listed have 0 VAT.")
    kw = dict(FN=fn, RATES=rates_lit)
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, **kw), alts=[_sub(alt, **kw)],
                bugs=[_sub(b, **kw) for b in bugs], calls=calls, pre="")


def fam_format_money(rng):
    fn = pick(rng, ["format_money", "format_amount", "cents_to_display"])
    sym = pick(rng, ["$", "€", "£"])
    ref, alt, bugs = _templates("format_money")
    calls = [f"{fn}(123456)", f"{fn}(-500)", f"{fn}(5)", f"{fn}(100000000)",
             f"{fn}({int(rng.integers(100000, 9999999))})", f"{fn}(1050)"]
    prompt = (f"Write `{fn}(cents)` that formats an integer amount of cents for invoices: thousands separators, "
              f"two decimals and the symbol {sym} in front, e.g. 123456 -> '{sym}1,234.56' and -500 -> '-{sym}5.00'.")
    kw = dict(FN=fn, SYM=sym)
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, **kw), alts=[_sub(alt, **kw)],
                bugs=[_sub(b, **kw) for b in bugs], calls=calls, pre="")


def fam_coupon(rng):
    fn = pick(rng, ["apply_coupon", "discounted_price", "price_after_coupon"])
    pool = [("WELCOME10", "percent", 10), ("SPRING25", "percent", 25), ("SAVE5", "fixed", 500),
            ("TEAM50", "fixed", 5000), ("LOYAL15", "percent", 15), ("ACME20", "fixed", 2000)]
    idx = sorted(rng.choice(len(pool), size=3, replace=False).tolist())
    chosen = [pool[i] for i in idx]
    if all(k != "fixed" for _, k, _ in chosen):
        chosen[-1] = ("SAVE5", "fixed", 500)
    if all(k != "percent" for _, k, _ in chosen):
        chosen[0] = ("WELCOME10", "percent", 10)
    lit = "{" + ", ".join(f'"{c}": ("{k}", {v})' for c, k, v in chosen) + "}"
    ref, alt, bugs = _templates("coupon")
    calls = []
    for c, k, v in chosen:
        calls.append(f'{fn}({int(rng.integers(1001, 20000))}, "{c}")')
    pc = next(c for c, k, v in chosen if k == "percent")
    fx, fv = next((c, v) for c, k, v in chosen if k == "fixed")
    calls += [f'{fn}({int(rng.integers(1001, 20000))}, "{pc.lower()}")', f'{fn}({max(1, fv // 3)}, "{fx}")',
              f'{fn}(4999, "BOGUS")']
    prompt = (f"Write `{fn}(price_cents, code)` that applies a coupon code to a price. Coupons: {lit}. "
              "A 'percent' coupon takes that percentage off (the discount is rounded down to a cent); a 'fixed' "
              "coupon takes that many cents off. Codes are case-insensitive, unknown codes leave the price "
              "unchanged, and the result is never below 0.")
    kw = dict(FN=fn, LIT=lit)
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, **kw), alts=[_sub(alt, **kw)],
                bugs=[_sub(b, **kw) for b in bugs], calls=calls, pre="")


def fam_retry(rng):
    fn = pick(rng, ["retry_delays", "backoff_schedule", "retry_backoff_ms"])
    ref, alt, bugs = _templates("retry")
    b = int(pick(rng, [50, 100, 200, 250]))
    calls = [f"{fn}(5, 100, 1000)", f"{fn}(0, 100, 1000)", f"{fn}(4, {b}, {b * 5})",
             f"{fn}(6, 250, 4000)", f"{fn}(1, {b}, {b * 10})"]
    prompt = (f"Write `{fn}(attempts, base_ms, cap_ms)` that returns the list of retry delays in milliseconds for "
              "retries 0..attempts-1 using exponential backoff: base_ms * 2**i, but never more than cap_ms.")
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, FN=fn), alts=[_sub(alt, FN=fn)],
                bugs=[_sub(b, FN=fn) for b in bugs], calls=calls, pre="")


def fam_ticket_ref(rng):
    fn = pick(rng, ["parse_ticket_ref", "extract_ticket_number", "find_ticket_id"])
    pre = pick(rng, ["TCK", "INC", "CASE", "SR"])
    ref, alt, bugs = _templates("ticket_ref")
    n1, n2 = int(rng.integers(100, 99999)), int(rng.integers(10, 999))
    calls = [f'{fn}("Re: {pre}-{n1} still broken")', f'{fn}("{pre}-{n2} is a duplicate of {pre}-{n2 + 1}")',
             f'{fn}("no reference in this message")', f'{fn}("Follow-up on {pre}-9001, thanks!")',
             f'{fn}("{pre}-{n1 + 7}")']
    prompt = (f"Write `{fn}(text)` that finds the first ticket reference of the form `{pre}-<digits>` anywhere in "
              "a customer message and returns the number as an int, or None if the message contains none. "
              "The prefix is always upper-case.")
    kw = dict(FN=fn, P=pre)
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, **kw), alts=[_sub(alt, **kw)],
                bugs=[_sub(b, **kw) for b in bugs], calls=calls, pre="")


def fam_priority(rng):
    fn = pick(rng, ["escalation_priority", "ticket_priority", "route_priority"])
    h = int(pick(rng, [24, 48, 72]))
    ref, alt, bugs = _templates("priority")
    calls = [f'{fn}(1, 0, "Starter")', f'{fn}(2, 1, "Enterprise")', f'{fn}(2, 1, "Team")',
             f'{fn}(3, {h}, "Business")', f'{fn}(3, {h + 1}, "Business")', f'{fn}(4, 2, "Enterprise")']
    prompt = (f"Write `{fn}(severity, hours_open, plan)` that returns a priority string for the ticket router. "
              "severity is 1 (critical) to 4 (low). Return 'P1' if severity is 1, or if severity is 2 and plan is "
              f"'Enterprise'. Otherwise return 'P2' if severity is 2 or the ticket has been open for more than {h} "
              "hours. Everything else is 'P3'.")
    kw = dict(FN=fn, H=h)
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, **kw), alts=[_sub(alt, **kw)],
                bugs=[_sub(b, **kw) for b in bugs], calls=calls, pre="")


def fam_truncate(rng):
    fn = pick(rng, ["truncate_message", "shorten_for_sms", "clip_notification"])
    suf = pick(rng, ["…", "..."])
    ref, alt, bugs = _templates("truncate")
    msg = pick(rng, ["Your ticket has been resolved", "Incident INC-2291 is now mitigated",
                     "Your replacement device has shipped", "Payment received, thank you"])
    calls = [f'{fn}("{msg}", 60)', f'{fn}("{msg}", 12)', f'{fn}("{msg}", {len(msg)})',
             f'{fn}("{msg}", {len(msg) - 1})', f'{fn}("", 5)']
    prompt = (f"Write `{fn}(text, limit)` that shortens a message for an SMS notification. If len(text) <= limit "
              f"return it unchanged; otherwise cut it and append '{suf}' so that the result is exactly limit "
              "characters long.")
    kw = dict(FN=fn, SUF=suf)
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, **kw), alts=[_sub(alt, **kw)],
                bugs=[_sub(b, **kw) for b in bugs], calls=calls, pre="")


def fam_normalize_email(rng):
    fn = pick(rng, ["normalize_email", "canonical_email", "clean_login_email"])
    ref, alt, bugs = _templates("normalize_email")
    d1, d2 = pick(rng, EMAIL_DOMAINS), pick(rng, EMAIL_DOMAINS)
    calls = [f'{fn}(" Ana+billing@Acme.Example ")', f'{fn}("JOSE@{d1}")',
             f'{fn}("kim.lee+test@Mail.{d2}")', f'{fn}("plain@{d1}")', f'{fn}("  Ops+Alerts@{d2.upper()}")']
    prompt = (f"Write `{fn}(email)` that normalises a login email: strip surrounding whitespace, lowercase it, and "
              "remove a '+tag' from the local part (e.g. ' Ana+billing@Acme.Example ' -> 'ana@acme.example').")
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, FN=fn), alts=[_sub(alt, FN=fn)],
                bugs=[_sub(b, FN=fn) for b in bugs], calls=calls, pre="")


def fam_password(rng):
    fn = pick(rng, ["is_strong_password", "password_ok", "meets_password_policy"])
    n = int(pick(rng, [10, 12, 14]))
    ref, alt, bugs = _templates("password")
    base = pick(rng, ["Acme", "Helpdesk", "Ticket", "Router"])
    exact = (base + "7" + "x" * n)[:n]
    calls = [f'{fn}("{exact}")', f'{fn}("{exact[:-1]}")', f'{fn}("{base}NoDigitsHere")',
             f'{fn}("{base.lower()}lowercase123")', f'{fn}("Correct-Horse-{base}-42")']
    prompt = (f"Write `{fn}(password)` that returns True if the password has at least {n} characters and contains "
              "at least one lowercase letter, one uppercase letter and one digit, otherwise False.")
    kw = dict(FN=fn, N=n)
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, **kw), alts=[_sub(alt, **kw)],
                bugs=[_sub(b, **kw) for b in bugs], calls=calls, pre="")


def fam_slug(rng):
    fn = pick(rng, ["username_slug", "make_username", "display_name_to_handle"])
    sep = pick(rng, ["_", "."])
    ref, alt, bugs = _templates("slug")
    calls = [f'{fn}("Ana Maria")', f'{fn}("  Jean-Luc  Picard ")', f'{fn}("R2-D2")',
             f'{fn}("{pick(rng, ["Team 7 -- Ops", "Night Shift - EU"])}")', f'{fn}("Lena Fischer")']
    prompt = (f"Write `{fn}(display_name)` that turns a display name into a username: lowercase it, replace each "
              f"run of spaces and hyphens with a single '{sep}', drop every remaining character that is not a-z or "
              f"0-9 (keeping the '{sep}' separators), and strip leading and trailing '{sep}'.")
    kw = dict(FN=fn, SEP=sep)
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, **kw), alts=[_sub(alt, **kw)],
                bugs=[_sub(b, **kw) for b in bugs], calls=calls, pre="")


def fam_order_id(rng):
    fn = pick(rng, ["is_valid_order_id", "valid_order_number", "check_order_id"])
    pre, n = pick(rng, ["ACM", "ORD"]), int(pick(rng, [6, 7, 8]))
    ref, alt, bugs = _templates("order_id")
    digits = "".join(str(int(rng.integers(0, 10))) for _ in range(n))
    calls = [f'{fn}("{pre}-{digits}")', f'{fn}("{pre}-{digits[:-1]}")', f'{fn}("{pre}-{digits}9")',
             f'{fn}("{pre.lower()}-{digits}")', f'{fn}("x {pre}-{digits}")', f'{fn}("{pre}-{digits[:-1]}A")']
    prompt = (f"Write `{fn}(order_id)` that returns True if order_id is exactly '{pre}-' followed by {n} digits "
              f"(for example '{pre}-{digits}'), otherwise False.")
    kw = dict(FN=fn, P=pre, N=n)
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, **kw), alts=[_sub(alt, **kw)],
                bugs=[_sub(b, **kw) for b in bugs], calls=calls, pre="")


def fam_business_days(rng):
    fn = pick(rng, ["add_business_days", "delivery_date", "shipping_eta"])
    ref, alt, bugs = _templates("business_days")
    base = dt.date(2026, 5, 1) + dt.timedelta(days=int(rng.integers(0, 150)))
    fri = base + dt.timedelta(days=(4 - base.weekday()) % 7)
    calls = [f"{fn}(datetime.date({fri.year}, {fri.month}, {fri.day}), 1)",
             f"{fn}(datetime.date({fri.year}, {fri.month}, {fri.day}), 3)",
             f"{fn}(datetime.date({base.year}, {base.month}, {base.day}), 0)",
             f"{fn}(datetime.date({base.year}, {base.month}, {base.day}), 10)",
             f"{fn}(datetime.date(2026, 10, 28), 5)"]
    prompt = (f"Write `{fn}(start, days)` for the shipping estimator: start is a datetime.date and the function "
              "returns the date that is `days` business days (Monday to Friday) after start. Weekends are skipped; "
              "days=0 returns start.")
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, FN=fn), alts=[_sub(alt, FN=fn)],
                bugs=[_sub(b, FN=fn) for b in bugs], calls=calls, pre="import datetime\n")


def fam_batches(rng):
    fn = pick(rng, ["batch_shipments", "chunk_ids", "split_into_batches"])
    ref, alt, bugs = _templates("batches")
    k = int(rng.integers(5, 12))
    ids = [f"SHP-{int(rng.integers(1000, 9999))}" for _ in range(k)]
    calls = [f"{fn}({ids!r}, 3)", f"{fn}([], 2)", f'{fn}(["A1", "A2"], 5)', f"{fn}(list(range(6)), 2)",
             f"{fn}(list(range(1, 8)), 3)"]
    prompt = (f"Write `{fn}(ids, size)` that splits a list of shipment ids into consecutive batches of at most "
              "`size` ids for the carrier API (the last batch may be smaller). Return a list of lists.")
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, FN=fn), alts=[_sub(alt, FN=fn)],
                bugs=[_sub(b, FN=fn) for b in bugs], calls=calls, pre="")


def fam_storage_tier(rng):
    fn = pick(rng, ["storage_tier", "cheapest_plan_for", "plan_for_storage"])
    ref, alt, bugs = _templates("storage_tier")
    calls = [f"{fn}(0)", f"{fn}(100)", f"{fn}(101)", f"{fn}(1000)", f"{fn}(5000)", f"{fn}(5001)",
             f"{fn}({int(rng.integers(101, 999))})"]
    prompt = (f"Write `{fn}(gb_used)` that returns the cheapest plan whose storage covers gb_used: 'Starter' up to "
              "100 GB, 'Team' up to 1000 GB, 'Business' up to 5000 GB and 'Enterprise' above that (limits are "
              "inclusive).")
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, FN=fn), alts=[_sub(alt, FN=fn)],
                bugs=[_sub(b, FN=fn) for b in bugs], calls=calls, pre="")


def fam_seat_price(rng):
    fn = pick(rng, ["monthly_total", "seat_price_total", "quote_seats"])
    t, d = int(pick(rng, [10, 20, 50])), int(pick(rng, [10, 15, 20]))
    ref, alt, bugs = _templates("seat_price")
    p = int(pick(rng, [600, 1400, 2800, 5500, 1399]))
    calls = [f"{fn}({t}, {p})", f"{fn}({t + 1}, {p})", f"{fn}(0, {p})", f"{fn}({t * 3}, 1399)", f"{fn}(5, 600)"]
    prompt = (f"Write `{fn}(seats, per_seat_cents)` that returns the monthly total in cents for a quote. The first "
              f"{t} seats cost per_seat_cents each; every seat above {t} gets a {d}% discount (the discounted seat "
              "price is rounded down to a whole cent).")
    kw = dict(FN=fn, T=t, D=d)
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, **kw), alts=[_sub(alt, **kw)],
                bugs=[_sub(b, **kw) for b in bugs], calls=calls, pre="")


def fam_return_window(rng):
    fn = pick(rng, ["return_window_open", "can_return", "within_return_window"])
    ref, alt, bugs = _templates("return_window")
    w = int(pick(rng, [14, 30, 45]))
    dlv = dt.date(2026, 5, 1) + dt.timedelta(days=int(rng.integers(0, 120)))
    def d(x):
        return f"datetime.date({x.year}, {x.month}, {x.day})"
    calls = [f"{fn}({d(dlv)}, {d(dlv + dt.timedelta(days=w))}, {w})",
             f"{fn}({d(dlv)}, {d(dlv + dt.timedelta(days=w + 1))}, {w})",
             f"{fn}({d(dlv)}, {d(dlv)}, {w})",
             f"{fn}({d(dlv)}, {d(dlv - dt.timedelta(days=2))}, {w})",
             f"{fn}({d(dlv)}, {d(dlv + dt.timedelta(days=3))}, {w})"]
    prompt = (f"Write `{fn}(delivered, today, window_days)` where delivered and today are datetime.date objects. "
              "Return True if today is on or after delivered and at most window_days days after it (inclusive), "
              "otherwise False.")
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, FN=fn), alts=[_sub(alt, FN=fn)],
                bugs=[_sub(b, FN=fn) for b in bugs], calls=calls, pre="import datetime\n")


def fam_restock(rng):
    fn = pick(rng, ["restocking_fee", "return_fee", "compute_restocking_fee"])
    pct = int(pick(rng, [10, 15, 20]))
    ref, alt, bugs = _templates("restock")
    calls = [f"{fn}(12900, True)", f"{fn}(12900, False)", f"{fn}(1999, True)", f"{fn}(8999, True)",
             f"{fn}(0, True)", f"{fn}({int(rng.integers(1001, 40000))}, True)"]
    prompt = (f"Write `{fn}(price_cents, opened)` that returns the restocking fee in cents for a returned device: "
              f"unopened items have no fee; opened items are charged {pct}% of the price, rounded down to a whole "
              "cent.")
    kw = dict(FN=fn, PCT=pct)
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, **kw), alts=[_sub(alt, **kw)],
                bugs=[_sub(b, **kw) for b in bugs], calls=calls, pre="")


def fam_mask_card(rng):
    fn = pick(rng, ["mask_card", "mask_card_number", "redact_pan"])
    ch = pick(rng, ["*", "•", "X"])
    ref, alt, bugs = _templates("mask_card")
    def num(k):
        return "".join(str(int(rng.integers(0, 10))) for _ in range(k))
    a, b = num(16), num(15)
    calls = [f'{fn}("{a[:4]} {a[4:8]} {a[8:12]} {a[12:]}")', f'{fn}("{a}")',
             f'{fn}("{b[:4]}-{b[4:10]}-{b[10:]}")', f'{fn}("4111 1111 1111 1234")']
    prompt = (f"Write `{fn}(card_number)` that removes spaces and dashes from a card number and replaces every "
              f"digit except the last 4 with '{ch}'. Example: '4111 1111 1111 1234' -> '{ch * 12}1234'.")
    kw = dict(FN=fn, CH=ch)
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, **kw), alts=[_sub(alt, **kw)],
                bugs=[_sub(b, **kw) for b in bugs], calls=calls, pre="")


def fam_redact(rng):
    fn = pick(rng, ["redact_emails", "scrub_emails", "mask_email_addresses"])
    tok = pick(rng, ["[email]", "<redacted>", "***"])
    ref, alt, bugs = _templates("redact")
    d1, d2 = pick(rng, EMAIL_DOMAINS), pick(rng, EMAIL_DOMAINS)
    calls = [f'{fn}("Contact ana.silva@{d1} for access")',
             f'{fn}("cc: bob+it@mail.{d2} and kim@{d1}")', f'{fn}("no addresses in this message")',
             f'{fn}("Reply to support-team@{d2}, please")']
    prompt = (f"Write `{fn}(text)` that replaces every email address in a support transcript with '{tok}' before it "
              "is stored. Addresses can contain dots, plus signs and hyphens in the local part, and the domain "
              "can have subdomains.")
    kw = dict(FN=fn, TOK=tok)
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, **kw), alts=[_sub(alt, **kw)],
                bugs=[_sub(b, **kw) for b in bugs], calls=calls, pre="")


def fam_lockout(rng):
    fn = pick(rng, ["should_lock_account", "too_many_failures", "lockout_triggered"])
    ref, alt, bugs = _templates("lockout")
    k = int(pick(rng, [3, 5]))
    calls = [f'{fn}(["fail"] * {k}, {k})', f'{fn}(["fail", "fail", "ok", "fail", "fail", "fail"], 3)',
             f'{fn}(["fail", "ok"] * 4, 2)', f"{fn}([], 3)", f'{fn}(["ok"] + ["fail"] * {k - 1}, {k})']
    prompt = (f"Write `{fn}(events, max_failures)` where events is a chronological list of 'ok' / 'fail' sign-in "
              "results. Return True if there are at least max_failures consecutive 'fail' events anywhere in the "
              "list, otherwise False.")
    return dict(fn=fn, prompt=prompt, ref=_sub(ref, FN=fn), alts=[_sub(alt, FN=fn)],
                bugs=[_sub(b, FN=fn) for b in bugs], calls=calls, pre="")

"""Case vocabulary (tables/vocabulary.json) and the slot values of one support case."""
from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np

from .common import NUM_WORDS, ascii_fold, fmt_date, load_table, money, pick, pick_other, words
from .constants import GRACE_DAYS, REFUND_DAYS, RESET_MINUTES, RETENTION_DAYS

_V = load_table("vocabulary")
FIRST_NAMES = _V["first_names"]
LAST_NAMES = _V["last_names"]
CJK_NAMES = _V["cjk_names"]
AGENTS = _V["agents"]
SERVICES = _V["services"]
PLANS = _V["plans"]
# device: (return window days, warranty months, list price USD)
DEVICES = {d: (v["return_days"], v["warranty_months"], v["price_usd"]) for d, v in _V["devices"].items()}
DEVICE_NAMES = list(DEVICES)
CITIES = _V["cities"]
REGIONS = _V["regions"]
CARRIERS = _V["carriers"]
NAMED_ERRORS = _V["named_errors"]
PLATFORMS = _V["platforms"]
PHISH_DOMAINS = _V["phish_domains"]
EMOJI = _V["emoji"]
EMAIL_DOMAINS = _V["email_domains"]
CHANNELS = _V["channels"]
# plan: (price per user/month, storage, first response, version history, max users)
PLAN_INFO = {p: (v["price_per_user_month"], v["storage"], v["first_response"], v["version_history"],
                 v["max_users"]) for p, v in _V["plan_info"].items()}


def base_slots(rng, when: dt.datetime):
    """A case: one value (and one plausible wrong value, for fact errors) per slot."""
    s, alt = {}, {}
    if rng.random() < 0.05:
        name = pick(rng, CJK_NAMES)
        first = name
        local = f"user{int(rng.integers(100, 999))}"
    else:
        first, last = pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES)
        name = f"{first} {last}"
        local = ascii_fold(first + " " + last) or f"user{int(rng.integers(100, 999))}"
    s["name"], s["first"] = name, first
    s["agent"] = pick(rng, AGENTS)
    pi = int(rng.integers(0, 3))
    s["plan"], s["plan_new"] = PLANS[pi], PLANS[int(rng.integers(pi + 1, 4))]
    alt["plan"], alt["plan_new"] = pick_other(rng, PLANS, s["plan"]), pick_other(rng, PLANS, s["plan_new"])
    s["service"] = pick(rng, SERVICES)
    alt["service"] = pick_other(rng, SERVICES, s["service"])
    s["device"] = pick(rng, DEVICE_NAMES)
    alt["device"] = pick_other(rng, DEVICE_NAMES, s["device"])
    w, wm, price = DEVICES[s["device"]]
    s["window"] = f"{w} days"
    alt["window"] = f"{pick_other(rng, [14, 30, 45, 60, 90], w)} days"
    s["warranty"] = f"{wm} months"
    s["window_adj"], alt["window_adj"] = f"{w}-day", alt["window"].split()[0] + "-day"
    s["warranty_adj"] = f"{wm}-month"
    alt["warranty"] = f"{pick_other(rng, [6, 12, 24, 36], wm)} months"
    alt["warranty_adj"] = alt["warranty"].split()[0] + "-month"
    s["device_price"] = f"${price}"
    v = max(5.0, round(float(np.exp(rng.normal(math.log(120), 0.8))), 2))
    s["amount"] = money(v)
    alt["amount"] = money(round(v * float(pick(rng, [0.5, 0.75, 1.25, 1.5, 2.0])) + 3.0, 2))
    v2 = max(5.0, round(float(np.exp(rng.normal(math.log(40), 0.5))), 2))
    s["amount2"], alt["amount2"] = money(v2), money(round(v2 * 1.6 + 1.0, 2))
    style = int(rng.integers(4))
    event = when.date() - dt.timedelta(days=int(rng.integers(0, 6)))
    s["date"] = fmt_date(event, style)
    alt["date"] = fmt_date(event - dt.timedelta(days=int(rng.integers(2, 9))), style)
    eta = event + dt.timedelta(days=int(rng.integers(3, 10)))
    s["eta_date"] = fmt_date(eta, style)
    s["_eta_date_alt_style"] = fmt_date(eta, (style + 1 + int(rng.integers(0, 3))) % 4)
    s["_date_alt_style"] = fmt_date(event, (style + 1 + int(rng.integers(0, 3))) % 4)
    alt["eta_date"] = fmt_date(eta + dt.timedelta(days=int(rng.integers(3, 12))), style)
    s["card4"], alt["card4"] = f"{int(rng.integers(0, 10000)):04d}", f"{int(rng.integers(0, 10000)):04d}"
    s["invoice"] = f"INV-2026-{int(rng.integers(1000, 99999)):05d}"
    alt["invoice"] = f"INV-2026-{int(rng.integers(1000, 99999)):05d}"
    s["order"], alt["order"] = f"ACM-{int(rng.integers(100000, 999999))}", f"ACM-{int(rng.integers(100000, 999999))}"
    s["tracking"] = "".join(pick(rng, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(12))
    alt["tracking"] = "".join(pick(rng, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(12))
    s["ticket"] = f"#{int(rng.integers(10000, 99999))}"
    s["incident"], alt["incident"] = f"INC-{int(rng.integers(1000, 9999))}", f"INC-{int(rng.integers(1000, 9999))}"
    s["rma"], alt["rma"] = f"RMA-{int(rng.integers(10000, 99999))}", f"RMA-{int(rng.integers(10000, 99999))}"
    def err():
        return pick(rng, NAMED_ERRORS) if rng.random() < 0.5 else f"E-{int(rng.integers(1000, 9999))}"
    s["code"] = err()
    alt["code"] = err()
    while alt["code"] == s["code"]:
        alt["code"] = err()
    s["region"] = pick(rng, REGIONS)
    alt["region"] = pick_other(rng, REGIONS, s["region"])
    s["city"] = pick(rng, CITIES)
    s["city2"] = pick_other(rng, CITIES, s["city"])
    alt["city"], alt["city2"] = pick_other(rng, CITIES, s["city"]), pick_other(rng, CITIES, s["city2"])
    s["carrier"] = pick(rng, CARRIERS)
    alt["carrier"] = pick_other(rng, CARRIERS, s["carrier"])
    h = int(pick(rng, [1, 2, 3, 4, 6]))
    s["hours"] = "1 hour" if h == 1 else f"{h} hours"
    alt["hours"] = f"{h + int(pick(rng, [2, 5, 10]))} hours"
    pct = int(pick(rng, [10, 15, 25]))
    s["pct"], alt["pct"] = f"{pct}%", f"{pick_other(rng, [5, 10, 15, 25, 50], pct)}%"
    seats = int(rng.integers(3, 121))
    s["seats"], alt["seats"] = str(seats), str(seats + int(pick(rng, [-2, 5, 10, 20])))
    sd = int(rng.integers(3, 10))
    s["stuck_days"], alt["stuck_days"] = str(sd), str(sd + int(pick(rng, [2, 4, 7])))
    s["time"] = f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d} UTC"
    mins = int(pick(rng, [12, 18, 25, 40, 55]))
    s["minutes"], alt["minutes"] = str(mins), str(mins * 3)
    s["platform"] = pick(rng, PLATFORMS)
    alt["platform"] = pick_other(rng, PLATFORMS, s["platform"])
    s["fw"] = f"{int(rng.integers(2, 5))}.{int(rng.integers(0, 10))}.{int(rng.integers(0, 20))}"
    alt["fw"] = f"{int(rng.integers(5, 7))}.{int(rng.integers(0, 10))}.0"
    s["key_prefix"] = "ak_live_" + "".join(pick(rng, "abcdefghijkmnpqrstuvwxyz23456789") for _ in range(4))
    ld = int(pick(rng, [7, 14, 30, 90]))
    s["log_days"], alt["log_days"] = str(ld), str(pick_other(rng, [1, 3, 7, 14, 30, 90], ld))
    s["phish_domain"] = pick(rng, PHISH_DOMAINS)
    dom = pick(rng, EMAIL_DOMAINS)
    s["old_email"] = f"{local}@{dom}"
    s["new_email"] = f"{local.split('.')[0]}@{pick_other(rng, EMAIL_DOMAINS, dom)}"
    alt["new_email"] = f"{local.split('.')[0]}.{int(rng.integers(1, 99))}@{dom}"
    s["since_year"] = str(int(rng.integers(2016, 2025)))
    s["team_size"] = str(int(rng.integers(4, 80)))
    s["fee"], alt["fee"] = "$9.50", "$19.00"
    s["days_refund"] = REFUND_DAYS
    alt["days_refund"] = pick(rng, ["3 business days", "10-14 business days", "24 hours", "30 days"])
    s["retention"], alt["retention"] = RETENTION_DAYS, pick(rng, ["7 days", "90 days", "14 days"])
    s["grace"], alt["grace"] = GRACE_DAYS, pick(rng, ["3 days", "14 days", "30 days"])
    s["grace_adj"], alt["grace_adj"] = GRACE_DAYS.split()[0] + "-day", alt["grace"].split()[0] + "-day"
    s["reset_minutes"], alt["reset_minutes"] = RESET_MINUTES, pick(rng, ["24 hours", "10 minutes", "2 hours"])
    s["verify_hours"], alt["verify_hours"] = "48 hours", pick(rng, ["2 hours", "7 days"])
    s["backup_codes"], alt["backup_codes"] = "10", pick(rng, ["5", "16", "20"])
    s["storage"], alt["storage"] = PLAN_INFO[s["plan"]][1], PLAN_INFO[alt["plan"]][1]
    s["history"], alt["history"] = PLAN_INFO[s["plan"]][3], PLAN_INFO[alt["plan"]][3]
    s["seat_price"] = f"${PLAN_INFO[s['plan']][0]}"
    alt["seat_price"] = f"${PLAN_INFO[s['plan']][0] + int(pick(rng, [2, 4, 6]))}"
    s["total"] = money(PLAN_INFO[s["plan"]][0] * seats)
    alt["total"] = money(PLAN_INFO[s["plan"]][0] * seats * 1.2)
    s["months_used"] = str(int(rng.integers(2, max(3, wm))))
    s["vmid"] = f"{int(rng.integers(1000, 9999))}"
    s["maxsize"], alt["maxsize"] = "50 GB", pick(rng, ["5 GB", "100 GB", "10 GB"])
    s["restock"], alt["restock"] = "10%", pick(rng, ["15%", "20%", "25%"])
    return s, alt


def surface_variant(key, value, s):
    """A meaning-preserving rewording of a slot value (changes tokens, not facts)."""
    v = str(value)
    m = re.fullmatch(r"\$([\d,]+(?:\.\d\d)?)", v)
    if m:
        return "US$" + m.group(1)
    m = re.fullmatch(r"(\d+) (days|months|hours|minutes)", v)
    if m:
        n = int(m.group(1))
        if m.group(2) == "months" and n % 12 == 0:
            return f"{words(n // 12)} year{'s' if n > 12 else ''}"
        return f"{words(n)} {m.group(2)}" if n in NUM_WORDS else f"{n} {m.group(2)[:-1]}s"
    if re.fullmatch(r"\d+", v) and key != "card4":
        return words(int(v)) if int(v) in NUM_WORDS else v
    m = re.fullmatch(r"(\d+)-(day|month)", v)
    if m:
        n = int(m.group(1))
        if m.group(2) == "month" and n % 12 == 0:
            return f"{words(n // 12)}-year"
        return f"{words(n)}-{m.group(2)}" if n in NUM_WORDS else v
    if re.fullmatch(r"\d+%", v):
        return v[:-1] + " percent"
    if v == REFUND_DAYS:
        return "5 to 7 business days"
    if re.fullmatch(r"\d+ (GB|TB)", v):
        return v.replace(" ", "")
    if key in ("service", "device") and v.startswith("Acme "):
        return v[5:]
    if key in ("order", "rma", "invoice") and "-" in v:
        return "#" + v.rsplit("-", 1)[1]
    if key == "fw":
        return "v" + v
    if key == "region":
        return v + " region"
    if key == "card4":
        return "x" + v
    if key in ("eta_date", "date"):
        return s.get("_" + key + "_alt_style", v)
    return v


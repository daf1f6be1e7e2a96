"""Support scenarios (tables/scenarios.json): the grammar behind summarization, chat and classification.

Each scenario has 3-4 document sentences (2-3 variants each), optional details, 4 summary
templates, 3 user messages, 3 ideal replies, the key facts that errors corrupt and 2
hallucinated policy claims. `setup` names an optional function below that pins some slots.
"""
from __future__ import annotations

from .common import load_table, pick
from .constants import CATEGORIES


def _setup_sync(rng, s, alt):
    s["service"], alt["service"] = "Acme Drive", "Acme Backup Vault"


def _setup_vm(rng, s, alt):
    s["service"], alt["service"] = "Acme Compute VM", "Acme Managed Postgres"


def _setup_key(rng, s, alt):
    s["service"] = pick(rng, ["Acme Object Storage", "Acme Key Manager", "Acme Compute VM",
                              "Acme Managed Postgres"])


SETUPS = {"sync": _setup_sync, "vm": _setup_vm, "key": _setup_key}
SCENARIOS = [dict(s, setup=SETUPS[s["setup"]] if s["setup"] else None) for s in load_table("scenarios")]
SCEN_BY_CAT = {c: [s for s in SCENARIOS if s["cat"] == c] for c in CATEGORIES}
INTENTS = sorted({s["intent"] for s in SCENARIOS})

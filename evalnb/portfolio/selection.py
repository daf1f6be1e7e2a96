"""Turn a portfolio selection (``evalnb.select_portfolio``) into a :class:`Portfolio` config.

The selection is duck-typed: anything with ``kpi`` and tuples ``primary``, ``secondary``,
``safety``, ``robustness`` of choices with ``name``, ``column``, ``settings``, ``signature``,
``direction`` and an ``evidence`` mapping works, so this module never imports the studio.
"""
from __future__ import annotations

import datetime as _dt
import math
from typing import Any, Iterable, Mapping

from .._errors import ConfigError

_EVIDENCE_FIELDS = ("kpi", "level", "method", "estimate", "ci_low", "ci_high", "p_value", "n", "data_hash",
                    "cv_gain", "cv_gain_ci", "why")


def _plain(value: Any) -> Any:
    """numpy scalars -> Python; NaN/inf -> None (configs never hold NaN)."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, TypeError):
            pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _evidence(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not raw:
        return None
    out: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for key, value in dict(raw).items():
        value = _plain(value)
        if key in _EVIDENCE_FIELDS:
            if key == "n" and isinstance(value, float) and value.is_integer():
                value = int(value)
            if key == "cv_gain_ci" and (value is None or any(v is None for v in value)):
                value = None
            if key in ("kpi", "level", "method", "data_hash", "why") and value is not None:
                value = str(value)
            out[key] = value
        elif value is None or isinstance(value, (str, int, float, bool)):
            other[str(key)] = value
        else:
            other[str(key)] = str(value)
    if other:
        out["other"] = other
    return out


def _is_registered(name: str, settings: Mapping[str, Any], column: str) -> bool:
    """True when the registry builds ``name`` with these settings and it outputs ``column``."""
    from ..metrics.registry import metric as make_metric

    try:
        built = make_metric(name, **dict(settings))
    except Exception:
        return False
    return column in built.columns


def _gate_for(choice: Any, spec: dict[str, Any], thresholds: Mapping[str, Any], rule: str | None, min_n: int,
              margin: float, slice_by: str | None, slice_min_n: int) -> dict[str, Any]:
    direction = spec["direction"]
    given = thresholds.get(spec["column"], thresholds.get(spec["name"]))
    from .schema import default_gate_rule

    default_rule = rule or default_gate_rule(direction)
    if isinstance(given, Mapping):
        gate = {"rule": default_rule, "min_n": min_n, **dict(given)}
    elif given is not None:
        gate = {"mode": "absolute", "threshold": float(given), "rule": default_rule, "min_n": min_n}
    else:
        # No absolute bar given: a non-inferiority gate against the baseline run.
        gate = {"mode": "relative", "threshold": float(margin), "rule": default_rule, "min_n": min_n}
    if slice_by and "slices" not in gate:
        gate["slices"] = [{"by": slice_by, "min_n": slice_min_n}]
    return gate


def portfolio_from_selection(selection: Any, thresholds: Mapping[str, Any] | None = None, *,
                             rule: str | None = None, min_n: int | None = None, margin: float = 0.05,
                             slice_by: str | None = None, slice_min_n: int = 30,
                             gate_roles: Iterable[str] = ("primary", "safety", "robustness"),
                             name: str = "portfolio", description: str = "", outcome: str = "",
                             triggers: Iterable[Mapping[str, Any]] | None = None, validity_floor: float = 0.1,
                             psi_threshold: float = 0.25, window: str = "30d", cadence: str = "monthly",
                             data: Iterable[Mapping[str, Any]] = (), created_at: str | None = None):
    """Build a :class:`~evalnb.portfolio.schema.Portfolio` from a portfolio selection.

    Parameters
    ----------
    selection : the result of ``evalnb.select_portfolio`` (or anything shaped like it).
    thresholds : metric name or column -> absolute threshold, or -> a full gate mapping
        (``{"mode": "relative", "threshold": 0.1, "slices": [...]}``). Metrics without one get a
        relative non-inferiority gate: no worse than the baseline by more than ``margin``.
    rule : ``"point"``, ``"ci_lower"`` or ``"ci_upper"``; default: the conservative CI bound for
        the metric's direction.
    min_n : the minimum number of items a gate needs (fewer fails closed); default
        :data:`evalnb.portfolio.schema.DEFAULT_MIN_N`, the same as the Explorer's export.
    slice_by : a column (e.g. ``"category"``) whose every value must pass the gate too.
    gate_roles : roles that get gates; secondary metrics are for failure decomposition.
    triggers : rollback triggers; default one ``validity`` trigger per primary metric (the
        association falls below ``validity_floor``), one ``metric`` trigger per absolute primary
        gate and a ``drift`` alert when any input column's PSI exceeds ``psi_threshold``.

    Examples
    --------
    >>> sel = evalnb.select_portfolio(joined, kpi="thumbs_up")                 # doctest: +SKIP
    >>> p = portfolio_from_selection(sel, {"judge_faithfulness": 3.8}, slice_by="category")  # doctest: +SKIP
    >>> p.write("portfolio.yaml")                                               # doctest: +SKIP
    """
    from .loading import _validate
    from .schema import DEFAULT_MIN_N

    min_n = DEFAULT_MIN_N if min_n is None else int(min_n)
    thresholds = dict(thresholds or {})
    gate_roles = set(gate_roles)
    kpi = getattr(selection, "kpi", None)
    if not kpi:
        raise ConfigError("the selection has no 'kpi'; pass a PortfolioSelection from evalnb.select_portfolio")
    roles: dict[str, list[dict[str, Any]]] = {}
    for role in ("primary", "secondary", "safety", "robustness"):
        roles[role] = []
        for choice in getattr(selection, role, ()) or ():
            name_ = str(choice.name)
            column = str(getattr(choice, "column", None) or name_)
            settings = {str(k): _plain(v) for k, v in dict(getattr(choice, "settings", {}) or {}).items()}
            registered = _is_registered(name_, settings, column)
            spec: dict[str, Any] = {
                "name": name_, "column": column, "source": "registry" if registered else "column",
                # a precomputed column has no settings of its own
                "settings": settings if registered else {},
                "signature": getattr(choice, "signature", None) or None,
                "direction": str(getattr(choice, "direction", "higher")),
            }
            evidence = _evidence(getattr(choice, "evidence", None))
            if evidence:
                spec["evidence"] = evidence
                if evidence.get("why"):
                    spec["why"] = evidence["why"]
            if role in gate_roles:
                spec["gate"] = _gate_for(choice, spec, thresholds, rule, min_n, margin, slice_by, slice_min_n)
            roles[role].append(spec)
    if triggers is None:
        made: list[dict[str, Any]] = []
        for spec in roles["primary"]:
            made.append({"name": f"validity-{spec['column']}", "kind": "validity", "target": spec["column"],
                         "threshold": validity_floor, "window": window, "action": "recalibrate"})
            gate = spec.get("gate") or {}
            if gate.get("mode", "absolute") == "absolute" and "threshold" in gate:
                made.append({"name": f"breach-{spec['column']}", "kind": "metric", "target": spec["column"],
                             "threshold": gate["threshold"], "direction": spec["direction"],
                             "rule": gate.get("rule", "point"), "window": window, "action": "rollback"})
        made.append({"name": "input-drift", "kind": "drift", "target": "*", "threshold": psi_threshold,
                     "window": window, "action": "alert"})
        triggers = made
    created = created_at or _dt.date.today().isoformat()
    provenance = {"created_by": "evalnb " + _version(), "created_at": created,
                  "method": str(getattr(selection, "method", "") or "evalnb.select_portfolio"),
                  "data": [dict(d) for d in data]}
    data_hash = next((c.evidence.get("data_hash") for r in ("primary",) for c in getattr(selection, r, ())
                      if isinstance(getattr(c, "evidence", None), Mapping) and c.evidence.get("data_hash")), None)
    if data_hash and not provenance["data"]:
        provenance["data"] = [{"name": "selection data", "hash": str(data_hash)}]
    from .schema import SCHEMA_VERSION

    raw = {"schema_version": SCHEMA_VERSION, "name": name, "description": description,
           "outcome": {"kpi": str(kpi), "description": outcome}, **roles,
           "rollback_triggers": [dict(t) for t in triggers], "recalibration": {"cadence": cadence},
           "provenance": provenance}
    return _validate(raw, "portfolio_from_selection", None, check_metrics=True)


def _version() -> str:
    from .. import __version__

    return __version__

"""Reading a portfolio config: safe YAML or strict JSON, size caps, migration of older
``schema_version`` layouts, and one error listing every problem (path, message, did-you-mean).

The models themselves are :mod:`evalnb.portfolio.schema`; :mod:`evalnb.portfolio.config` re-exports both.
"""
from __future__ import annotations

import difflib
import warnings
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ValidationError

from .._errors import ConfigError, EvalnbWarning
from . import yaml_safe
from .schema import SCHEMA_VERSION, Portfolio, _format_of

__all__ = ["load_portfolio", "load_portfolio_text", "ConfigMigrationWarning", "PortfolioValidationError",
           "MAX_CONFIG_BYTES"]

MAX_CONFIG_BYTES = yaml_safe.MAX_BYTES


class ConfigMigrationWarning(EvalnbWarning):
    """An older config layout was migrated to the current ``schema_version``."""


class PortfolioValidationError(ConfigError):
    """A config failed validation; ``problems`` lists every problem (path, message)."""

    def __init__(self, message: str, problems: list[dict[str, str]]):
        super().__init__(message)
        self.problems = problems



def _migrate(data: dict[str, Any], source: str) -> dict[str, Any]:
    if "schema_version" not in data:
        raise ConfigError(f"{source}: 'schema_version' is missing; add 'schema_version: {SCHEMA_VERSION}' at the top "
                          "(see evalnb/schemas/portfolio.schema.json)")
    version = data["schema_version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise ConfigError(f"{source}: schema_version must be an integer, got {version!r}")
    if version > SCHEMA_VERSION:
        raise ConfigError(f"{source}: schema_version {version} was written by a newer evalnb; this evalnb reads "
                          f"schema_version <= {SCHEMA_VERSION}. Upgrade evalnb (pip install -U evalnb).")
    if version < 1:
        raise ConfigError(f"{source}: schema_version {version} is not a known version (1..{SCHEMA_VERSION})")
    if version == 2:
        # v3 only added the optional ``validation`` record (and kept every v2 field): a silent, lossless upgrade.
        data = {**data, "schema_version": SCHEMA_VERSION}
    if version == 1:
        data = _migrate_v1(data)
        warnings.warn(f"{source}: migrated a schema_version 1 config to {SCHEMA_VERSION} (flat 'metrics' list "
                      "split into roles; v1 thresholds were point comparisons, kept as rule: point). Write it "
                      "back with Portfolio.write() to upgrade the file.", ConfigMigrationWarning, stacklevel=3)
    return data


def _migrate_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 (pre-release draft): ``kpi`` at top level and one flat ``metrics`` list with ``role``."""
    data = dict(data)
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "name": data.pop("name", "migrated"),
                           "outcome": {"kpi": data.pop("kpi", None), "description": data.pop("outcome", "")}}
    data.pop("schema_version")
    for key in ("description",):
        if key in data:
            out[key] = data.pop(key)
    for item in data.pop("metrics", []) or []:
        if not isinstance(item, dict):
            out.setdefault("primary", []).append(item)
            continue
        item = dict(item)
        role = item.pop("role", "primary")
        gate = {k: item.pop(k) for k in ("threshold", "min_n") if k in item}
        if gate:
            gate["rule"] = item.pop("rule", "point")
            item["gate"] = gate
        out.setdefault(role, []).append(item)
    out.update(data)  # anything else is validated (and rejected if unknown) as usual
    return out


def _model_at(path: tuple[Any, ...]) -> type[BaseModel] | None:
    cls: Any = Portfolio
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or part not in cls.model_fields:
            return None
        cls = _model_in(cls.model_fields[part].annotation)
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _trim(loc: tuple[Any, ...], data: Any, kind: str) -> tuple[Any, ...]:
    """Keep the parts of a pydantic location that exist in the data (drops union member tags)."""
    out: list[Any] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif kind == "missing" and i == len(loc) - 1:
            pass
        else:
            break
        out.append(part)
    return tuple(out)


def _problems(exc: ValidationError, data: Any, doc: yaml_safe.YamlDocument | None) -> list[dict[str, str]]:
    grouped: dict[tuple[Any, ...], list[str]] = {}
    hinted: dict[tuple[Any, ...], str] = {}
    for err in exc.errors(include_url=False):
        loc = _trim(tuple(err["loc"]), data, err["type"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            model = _model_at(loc[:-1])
            valid = sorted(model.model_fields) if model else []
            close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.6)
            msg = f"unknown key '{loc[-1]}'" + (f"; did you mean '{close[0]}'?" if close else "") + \
                  (f" Valid keys here: {', '.join(valid)}" if valid else "")
        elif err["type"] == "missing":
            msg = f"required key '{loc[-1]}' is missing"
        elif err["type"].endswith("_type") or err["type"] == "literal_error":
            coercion = doc.coercion_at(loc) if doc else None
            if coercion:
                hinted[loc] = coercion.hint()
        grouped.setdefault(loc, [])
        if msg not in grouped[loc]:
            grouped[loc].append(msg)
    out = []
    for loc, msgs in grouped.items():
        if len(msgs) > 2 and all(m.startswith("Input should be") for m in msgs):
            msgs = ["Input should be one of: " + "; ".join(m.removeprefix("Input should be ") for m in msgs)]
        text = " / ".join(msgs) + (f" ({hinted[loc]})" if loc in hinted else "")
        out.append({"path": yaml_safe._show_path(loc) or "(top level)", "problem": text})
    return out


def _validate(data: Any, source: str, doc: yaml_safe.YamlDocument | None, check_metrics: bool) -> Portfolio:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a portfolio config is a mapping at the top level, got {type(data).__name__}")
    data = _migrate(data, source)
    try:
        return Portfolio.model_validate(data, context={"check_metrics": check_metrics})
    except ValidationError as exc:
        problems = _problems(exc, data, doc)
        lines = "\n".join(f"  {p['path']}: {p['problem']}" for p in problems)
        raise PortfolioValidationError(f"{source}: {len(problems)} problem(s) in the portfolio config:\n{lines}",
                                       problems) from None


def load_portfolio_text(text: str | bytes, *, format: Literal["yaml", "json"] = "yaml", source: str = "<config>",
                        check_metrics: bool = True, max_bytes: int = MAX_CONFIG_BYTES) -> Portfolio:
    """Parse and validate a portfolio config held in a string (see :func:`load_portfolio`)."""
    if format == "json":
        from ..io.readers import loads_strict

        raw = text.encode("utf-8") if isinstance(text, str) else text
        if len(raw) > max_bytes:
            raise ConfigError(f"{source}: {len(raw):,} bytes is over the {max_bytes:,}-byte limit for a config")
        try:
            decoded = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{source}: not UTF-8 (byte {exc.start})") from None
        yaml_safe.check_json_depth(decoded, source=source)
        try:
            data = loads_strict(decoded)
        except ValueError as exc:
            raise ConfigError(f"{source}: invalid JSON: {exc}") from None
        return _validate(data, source, None, check_metrics)
    doc = yaml_safe.load_document(text, source=source, max_bytes=max_bytes)
    return _validate(doc.data, source, doc, check_metrics)


def load_portfolio(path: str | Path, *, check_metrics: bool = True, max_bytes: int = MAX_CONFIG_BYTES) -> Portfolio:
    """Read a portfolio config (YAML or JSON) safely and validate it.

    YAML is read with a safe loader, a size cap and an alias limit; duplicate keys, unknown keys
    (with a did-you-mean), YAML 1.1 surprises (``NO``, ``on``, ``1.10``), NaN/inf and thresholds
    outside a metric's range are errors, all listed in one :class:`PortfolioValidationError`.
    ``schema_version`` 1 is migrated with a :class:`ConfigMigrationWarning`; newer versions are refused.

    Parameters
    ----------
    path : a ``.yaml``, ``.yml`` or ``.json`` file.
    check_metrics : check that registry metrics exist and accept their settings.

    Examples
    --------
    >>> portfolio = evalnb.load_portfolio("portfolio.yaml")   # doctest: +SKIP
    >>> [s.name for s in portfolio.primary]                    # doctest: +SKIP
    """
    path = Path(path)
    fmt = _format_of(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    if size > max_bytes:
        raise ConfigError(f"{path}: {size:,} bytes is over the {max_bytes:,}-byte limit for a config")
    return load_portfolio_text(path.read_bytes(), format=fmt, source=str(path), check_metrics=check_metrics,
                               max_bytes=max_bytes)

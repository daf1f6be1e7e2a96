"""The portfolio config: which metrics gate a deployment, with what thresholds, and why.

A :class:`Portfolio` is a strict pydantic model (unknown keys forbidden, no type coercion) with a
``schema_version``. It is written as YAML or JSON and read back byte-identically::

    portfolio = evalnb.load_portfolio("portfolio.yaml")
    portfolio.write("portfolio.json")

``python -m evalnb.portfolio.config --write-schema`` regenerates ``evalnb/schemas/portfolio.schema.json``.
"""
from __future__ import annotations

import difflib
import json
import math
import re
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any, Iterator, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError, \
    ValidationInfo, field_validator, model_validator

from .._errors import ConfigError, EvalnbWarning
from . import yaml_safe

__all__ = ["Portfolio", "MetricSpec", "Gate", "SliceGate", "Evidence", "Outcome", "RollbackTrigger", "Recalibration",
           "Provenance", "Validation", "DataRef", "load_portfolio", "load_portfolio_text", "json_schema",
           "ConfigMigrationWarning", "PortfolioValidationError", "SCHEMA_VERSION", "DEFAULT_MIN_N",
           "default_gate_rule"]

SCHEMA_VERSION = 3
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "portfolio.schema.json"
MAX_CONFIG_BYTES = yaml_safe.MAX_BYTES


class ConfigMigrationWarning(EvalnbWarning):
    """An older config layout was migrated to the current ``schema_version``."""


class PortfolioValidationError(ConfigError):
    """A config failed validation; ``problems`` lists every problem (path, message)."""

    def __init__(self, message: str, problems: list[dict[str, str]]):
        super().__init__(message)
        self.problems = problems


FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Direction = Literal["higher", "lower"]
Rule = Literal["point", "ci_lower", "ci_upper"]

#: Gate defaults shared by every way a portfolio is made (``portfolio_from_selection``, the
#: Explorer's export, a hand-written file): at least this many items, and the conservative
#: confidence bound for the metric's direction.
DEFAULT_MIN_N = 100


def default_gate_rule(direction: str) -> str:
    """``ci_lower`` for higher-is-better metrics, ``ci_upper`` for lower-is-better ones."""
    return "ci_upper" if str(direction) == "lower" else "ci_lower"

Scalar = Union[StrictBool, StrictInt, FiniteFloat, StrictStr, None]
SettingValue = Union[StrictBool, StrictInt, FiniteFloat, StrictStr, None, list[Union[StrictBool, StrictInt, FiniteFloat, StrictStr]]]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, validate_default=True)


class Evidence(_Model):
    """Why a metric was chosen: its association with the KPI and where that was measured."""

    kpi: str | None = Field(None, description="KPI or rating the association was measured against")
    level: str | None = Field(None, description="sample, group or system level")
    method: str | None = Field(None, description="pearson, spearman, kendall, logit, cv_auc, ...")
    estimate: FiniteFloat | None = None
    ci_low: FiniteFloat | None = None
    ci_high: FiniteFloat | None = None
    p_value: Probability | None = None
    n: Annotated[int, Field(ge=0)] | None = None
    data_hash: str | None = Field(None, description="hash of the data the evidence came from")
    cv_gain: FiniteFloat | None = Field(None, description="cross-validated gain when the metric is added")
    cv_gain_ci: Annotated[list[FiniteFloat], Field(min_length=2, max_length=2)] | None = None
    why: str | None = Field(None, description="one-line reason in plain words")
    other: dict[str, Scalar] = Field(default_factory=dict, description="further evidence fields, kept verbatim")


class SliceGate(_Model):
    """The same gate applied within every value of a column (e.g. each category)."""

    by: Name = Field(description="column to slice on, e.g. category or task")
    threshold: FiniteFloat | None = Field(None, description="default: the metric's gate threshold")
    min_n: Annotated[int, Field(ge=1)] = 30
    only: list[StrictStr] | None = Field(None, description="restrict to these slice values")
    overrides: dict[str, FiniteFloat] = Field(default_factory=dict, description="slice value -> threshold")


class Gate(_Model):
    """A deployment gate on one metric.

    ``mode: absolute`` compares the metric with ``threshold``. ``mode: relative`` compares it with a
    baseline run on matched items; ``threshold`` is then the largest regression allowed (>= 0, in
    the metric's units). ``rule`` says which number must clear the bar: the point estimate or a
    confidence bound (``ci_lower`` for higher-is-better metrics is the conservative choice).
    """

    mode: Literal["absolute", "relative"] = "absolute"
    threshold: FiniteFloat
    rule: Rule
    statistic: Literal["auto", "mean", "proportion", "p50", "p90", "p95", "p99"] = "auto"
    min_n: Annotated[int, Field(ge=1)] = DEFAULT_MIN_N
    min_coverage: Probability = Field(
        0.9, description="smallest share of the items (overall and in each slice) that must have a usable value; "
                         "less fails the gate (missing values could hide failures)")
    confidence: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95
    slices: list[SliceGate] = Field(default_factory=list)


class MetricSpec(_Model):
    """One metric of the portfolio: how to rebuild it, which way is better, its gate and evidence."""

    name: Name = Field(description="registry name (evalnb.list_metrics()) or a column name")
    column: Name = Field(description="the score column the gate reads (default: name)")
    source: Literal["registry", "column"] = Field(
        "registry", description="registry: rebuilt with evalnb.metric(name, **settings) when the run lacks the "
                                "column; column: a precomputed column that must be in the run")
    settings: dict[str, SettingValue] = Field(default_factory=dict)
    signature: str | None = Field(None, description="the metric's signature when the evidence was gathered")
    direction: Direction
    range: Annotated[list[FiniteFloat], Field(min_length=2, max_length=2)] | None = Field(
        None, description="[lower, upper] bounds of the metric (default: from the registry)")
    gate: Gate | None = None
    evidence: Evidence | None = None
    why: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if isinstance(data.get("name"), str) and "column" not in data:
                data["column"] = data["name"]
            gate = data.get("gate")
            if isinstance(gate, dict) and "rule" not in gate:
                # the conservative bound for the direction (a missing direction is reported on its own)
                data["gate"] = {**gate, "rule": "ci_upper" if data.get("direction") == "lower" else "ci_lower"}
        return data

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> "MetricSpec":
        problems = []
        check = bool((info.context or {}).get("check_metrics"))
        lo_hi = tuple(self.range) if self.range else None
        if self.range and self.range[0] >= self.range[1]:
            problems.append(f"range {self.range} must be [lower, upper] with lower < upper")
        if check and self.source == "registry":
            from ..metrics.registry import metric as make_metric

            try:
                built = make_metric(self.name, **self.settings)
            except Exception as exc:  # UnknownMetricError, MetricError for bad settings
                problems.append(f"{exc} (set source: column if '{self.name}' is a precomputed column)")
            else:
                out = next((o for o in built.outputs if o.column == self.column), None)
                if out is None:
                    problems.append(f"metric '{self.name}' has no output column '{self.column}'; "
                                    f"its outputs are {', '.join(built.columns)}")
                elif lo_hi is None and out.lower is not None and out.upper is not None:
                    lo_hi = (out.lower, out.upper)
        if self.gate and lo_hi and lo_hi[0] < lo_hi[1]:
            lo, hi = lo_hi
            values = [("gate.threshold", self.gate.threshold)]
            values += [(f"gate.slices[{i}].threshold", s.threshold) for i, s in enumerate(self.gate.slices)
                       if s.threshold is not None]
            values += [(f"gate.slices[{i}].overrides.{k}", v) for i, s in enumerate(self.gate.slices)
                       for k, v in s.overrides.items()]
            for where, value in values:
                if self.gate.mode == "absolute" and not lo <= value <= hi:
                    problems.append(f"{where} {value} is outside the metric's range [{lo}, {hi}]")
                if self.gate.mode == "relative" and not 0 <= value <= hi - lo:
                    problems.append(f"{where} {value}: a relative gate's threshold is the largest allowed "
                                    f"regression, between 0 and {hi - lo}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Outcome(_Model):
    """The business outcome the portfolio serves and the KPI that measures it."""

    kpi: Name = Field(description="KPI column in the production log, e.g. thumbs_up")
    description: str = ""
    direction: Direction = "higher"


class RollbackTrigger(_Model):
    """A production-window check that, when breached, calls for a rollback or an alert.

    kind ``metric``/``kpi``: the window's value of ``target`` (judged by ``rule``) crosses
    ``threshold`` on the bad side of ``direction``. kind ``drift``: the population stability index
    of ``target`` (a column, or ``"*"`` for any) exceeds ``threshold``. kind ``validity``: the
    association of metric ``target`` with the outcome KPI falls below ``threshold``.
    """

    name: Name
    kind: Literal["metric", "kpi", "drift", "validity"]
    target: Name
    threshold: FiniteFloat
    direction: Direction = "higher"
    rule: Rule = "point"
    window: Annotated[str, Field(pattern=r"^[1-9][0-9]*[hdw]$")] = "30d"
    min_n: Annotated[int, Field(ge=1)] = 100
    action: Literal["rollback", "alert", "recalibrate"] = "rollback"


class Recalibration(_Model):
    """How often the metric-KPI associations and thresholds are re-checked."""

    cadence: Literal["weekly", "monthly", "quarterly"] = "monthly"
    owner: str | None = None
    notes: str | None = None


class DataRef(_Model):
    name: Name
    hash: str | None = None
    rows: Annotated[int, Field(ge=0)] | None = None


class Provenance(_Model):
    """Where the choices came from."""

    created_by: str = "evalnb"
    created_at: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}([T ][0-9:.+\-Z]+)?$")] | None = None
    method: str | None = None
    data: list[DataRef] = Field(default_factory=list)
    notes: str | None = None


class Validation(_Model):
    """When the portfolio's metrics were last re-validated against production outcomes, and on which data.

    Written by :func:`evalnb.recalibrate`; the next recalibration compares against it.
    """

    validated_at: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}([T ][0-9:.+\-Z]+)?$")]
    window: Name = Field(description="the window the outcomes came from, 'START..END' (ISO dates)")
    kpi: Name
    data_hash: str | None = Field(None, description="hash of the window's metric and KPI columns")
    rows: Annotated[int, Field(ge=0)] | None = None
    baseline: str | None = Field(None, description="what the window was compared with (recorded evidence or a window)")
    method: str = "evalnb.recalibrate"


ROLES = ("primary", "secondary", "safety", "robustness")


class Portfolio(_Model):
    """A metric portfolio with deployment gates, rollback triggers and provenance.

    Examples
    --------
    >>> p = Portfolio(name="support-bot", outcome=Outcome(kpi="thumbs_up"),
    ...               primary=[MetricSpec(name="judge_faithfulness", source="column", direction="higher",
    ...                                   gate=Gate(threshold=3.5, rule="ci_lower"))])
    >>> load_portfolio_text(p.to_yaml()) == p
    True
    """

    schema_version: Literal[3] = SCHEMA_VERSION
    name: Name
    description: str = ""
    outcome: Outcome
    primary: Annotated[list[MetricSpec], Field(min_length=1)]
    secondary: list[MetricSpec] = Field(default_factory=list)
    safety: list[MetricSpec] = Field(default_factory=list)
    robustness: list[MetricSpec] = Field(default_factory=list)
    rollback_triggers: list[RollbackTrigger] = Field(default_factory=list)
    recalibration: Recalibration = Field(default_factory=Recalibration)
    provenance: Provenance = Field(default_factory=Provenance)
    validation: Validation | None = Field(None, description="the last re-validation (evalnb.recalibrate)")

    @model_validator(mode="after")
    def _unique(self) -> "Portfolio":
        seen: dict[str, str] = {}
        problems = []
        for role, spec in self.metrics():
            if spec.column in seen:
                problems.append(f"column '{spec.column}' appears twice ({seen[spec.column]} and {role}); "
                                "give each metric its own column")
            seen[spec.column] = role
        names = [t.name for t in self.rollback_triggers]
        problems += [f"rollback trigger name '{n}' is used twice" for n in sorted({n for n in names if names.count(n) > 1})]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # -- access ---------------------------------------------------------------------------
    def metrics(self) -> Iterator[tuple[str, MetricSpec]]:
        """(role, spec) for every metric, primary first."""
        for role in ROLES:
            for spec in getattr(self, role):
                yield role, spec

    def gated(self) -> list[tuple[str, MetricSpec]]:
        return [(r, s) for r, s in self.metrics() if s.gate is not None]

    # -- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, two-space indent, no NaN, trailing newline."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False) + "\n"

    def to_yaml(self) -> str:
        """YAML in field order; strings YAML would misread (``NO``, ``1.10``) come out quoted."""
        import yaml

        head = f"# evalnb portfolio config (schema_version {SCHEMA_VERSION}); schema: evalnb/schemas/portfolio.schema.json\n"
        return head + yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True,
                                     default_flow_style=False, width=100_000)

    def write(self, path: str | Path) -> Path:
        """Write YAML (``.yaml``/``.yml``) or JSON (``.json``) atomically."""
        from ..io.writers import write_text

        path = Path(path)
        fmt = _format_of(path)
        return write_text(path, self.to_json() if fmt == "json" else self.to_yaml())

    def _repr_html_(self) -> str:
        import html

        rows = "".join(
            f"<tr><td>{html.escape(r)}</td><td>{html.escape(s.name)}</td><td>{html.escape(s.direction)}</td>"
            f"<td>{html.escape(_gate_text(s))}</td></tr>" for r, s in self.metrics())
        return (f"<p><b>Portfolio</b> {html.escape(self.name)} (KPI: {html.escape(self.outcome.kpi)})</p>"
                f"<table><tr><th>role</th><th>metric</th><th>better</th><th>gate</th></tr>{rows}</table>")


def _gate_text(spec: MetricSpec) -> str:
    g = spec.gate
    if g is None:
        return "not gated"
    op = ">=" if spec.direction == "higher" else "<="
    what = f"{op} {g.threshold}" if g.mode == "absolute" else f"no worse than baseline by > {g.threshold}"
    return f"{g.rule} {what} (n >= {g.min_n})" + (f", per {', '.join(s.by for s in g.slices)}" if g.slices else "")


# --------------------------------------------------------------------------------------------
# loading, migration and error messages


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    raise ConfigError(f"{path}: a portfolio config ends in .yaml, .yml or .json")


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


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the current config version."""
    schema = Portfolio.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://evalnb.dev/schemas/portfolio-v{SCHEMA_VERSION}.json"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), sort_keys=True, indent=2, allow_nan=False) + "\n"


# portfolio_from_selection lives in .selection (which imports this module); import it from there or
# from evalnb: re-exporting it here made config <-> selection a cycle.


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m evalnb.portfolio.config")
    parser.add_argument("--write-schema", action="store_true", help=f"write {SCHEMA_PATH}")
    parser.add_argument("--check", metavar="CONFIG", help="validate a config file and print it")
    args = parser.parse_args(argv)
    if args.write_schema:
        from ..io.writers import write_text

        write_text(SCHEMA_PATH, json_schema_text())
        print(f"wrote {SCHEMA_PATH}")
    if args.check:
        print(load_portfolio(args.check).to_yaml(), end="")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

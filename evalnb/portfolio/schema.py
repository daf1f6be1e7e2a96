"""The portfolio config's schema: the strict pydantic models (:class:`Portfolio` and its parts), the
gate defaults, YAML/JSON writing and the JSON Schema.

A :class:`Portfolio` is a strict pydantic model (unknown keys forbidden, no type coercion) with a
``schema_version``. Reading a file (safe YAML, size caps, migration of older versions, error
messages) is :mod:`evalnb.portfolio.loading`; :mod:`evalnb.portfolio.config` re-exports both.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Iterator, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationInfo, \
    model_validator

from .._errors import ConfigError

__all__ = ["Portfolio", "MetricSpec", "Gate", "SliceGate", "Evidence", "Outcome", "RollbackTrigger", "Recalibration",
           "Provenance", "Validation", "DataRef", "json_schema", "json_schema_text", "SCHEMA_VERSION", "SCHEMA_PATH",
           "DEFAULT_MIN_N", "ROLES", "default_gate_rule"]

SCHEMA_VERSION = 3
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "portfolio.schema.json"


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
    >>> from evalnb.portfolio.loading import load_portfolio_text
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



def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    raise ConfigError(f"{path}: a portfolio config ends in .yaml, .yml or .json")



def json_schema() -> dict[str, Any]:
    """The JSON Schema of the current config version."""
    schema = Portfolio.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://evalnb.dev/schemas/portfolio-v{SCHEMA_VERSION}.json"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), sort_keys=True, indent=2, allow_nan=False) + "\n"

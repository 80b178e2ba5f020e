"""Service specifications as data: a versioned YAML file validated by a Pydantic schema.

A specification names its service, version and published sources, the sites it applies to
(site types and/or capabilities) and its criteria. Each criterion names a metric from
`caremap.standards.metrics`, an operator, a threshold, the evidence period in months,
whether it is critical, and the guidance it comes from. Loading checks everything before any
evaluation: bad fields and unknown metrics or parameters are reported together, each with
file, line and field.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from caremap.core.errors import ConfigError
from caremap.core.yamldoc import YamlDoc
from caremap.standards.metrics import METRICS

Operator = Literal[">=", "<=", ">", "<", "=="]
SCHEMA_VERSION = 1


class AppliesTo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site_types: list[str] = Field(default_factory=list)
    capabilities: list[str] = Field(default_factory=list)


class Criterion(BaseModel):
    """One checkable requirement of a specification."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    metric: str
    operator: Operator
    threshold: float
    evidence_months: int = Field(default=12, ge=1, le=60)
    critical: bool = False
    min_denominator: int = Field(
        default=1, ge=1, description="fewer cases than this is 'no evidence'"
    )
    params: dict[str, float] = Field(default_factory=dict)
    source: str = Field(min_length=3, description="the guidance this criterion comes from")


class Specification(BaseModel):
    """A national service specification as machine-checkable criteria."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = SCHEMA_VERSION
    service: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    version: str
    sources: list[str] = Field(min_length=1)
    applies_to: AppliesTo
    criteria: list[Criterion] = Field(min_length=1)

    @field_validator("criteria")
    @classmethod
    def _unique_ids(cls, v: list[Criterion]) -> list[Criterion]:
        seen: set[str] = set()
        for c in v:
            if c.id in seen:
                raise ValueError(f"criterion id {c.id!r} is used twice")
            seen.add(c.id)
        return v


def _semantic_problems(spec: Specification, doc: YamlDoc | None) -> list[str]:
    """Unknown metrics and parameters, and empty applicability, with their lines."""

    def where(loc: tuple) -> str:
        return doc.where(loc) if doc else ".".join(str(p) for p in loc)

    problems = []
    if not spec.applies_to.site_types and not spec.applies_to.capabilities:
        problems.append(f"{where(('applies_to',))}: give site_types or capabilities")
    for i, c in enumerate(spec.criteria):
        metric = METRICS.get(c.metric)
        if metric is None:
            known = ", ".join(sorted(METRICS))
            problems.append(
                f"{where(('criteria', i, 'metric'))}: unknown metric {c.metric!r}; known: {known}"
            )
            continue
        for p in c.params:
            if p not in metric.defaults:
                allowed = ", ".join(sorted(metric.defaults)) or "none"
                problems.append(
                    f"{where(('criteria', i, 'params', p))}: metric {c.metric} has no "
                    f"parameter {p!r} (parameters: {allowed})"
                )
        if metric.unit == "proportion" and not 0 <= c.threshold <= 1:
            problems.append(
                f"{where(('criteria', i, 'threshold'))}: {c.metric} is a proportion; "
                "give a threshold between 0 and 1"
            )
    return problems


def load_spec(path: str | Path) -> Specification:
    """Read and check one specification file; ConfigError lists every problem."""
    doc = YamlDoc.from_path(path)
    spec = doc.parse(Specification)
    problems = _semantic_problems(spec, doc)
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in {path}:\n  " + "\n  ".join(problems))
    return spec


def check_spec(spec: Specification) -> Specification:
    """Check a specification built in Python (no file): unknown metrics are refused."""
    problems = _semantic_problems(spec, None)
    if problems:
        raise ConfigError(
            f"{len(problems)} problem(s) in specification {spec.service}:\n  "
            + "\n  ".join(problems)
        )
    return spec


def shipped_spec_paths() -> list[Path]:
    """The specifications that ship with caremap (``caremap/standards/specs/*.yaml``)."""
    folder = resources.files("caremap.standards") / "specs"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_specs(paths: list[str | Path] | None = None) -> list[Specification]:
    """Load the given specifications (default: the shipped ones); services must be unique.

    Every file is checked before any is used, and all problems are reported at once.
    """
    problems: list[str] = []
    specs: list[Specification] = []
    for p in paths or shipped_spec_paths():
        try:
            specs.append(load_spec(p))
        except ConfigError as exc:
            problems.append(str(exc))
    seen: dict[str, str] = {}
    for s in specs:
        if s.service in seen:
            problems.append(f"service {s.service!r} is specified twice")
        seen[s.service] = s.version
    if problems:
        raise ConfigError("\n".join(problems))
    return specs

"""Pot classification rules as data: load, validate and compile to one SQL CASE.

Sources are ``activity`` (fields: setting, point_of_delivery, specialty, admission_method,
diagnoses, provider type, specialised flag) and ``contract_line`` (service, setting, point
of delivery, specialty, contract type, provider type). A rule that names a field its source
does not have never applies to that source; a rule applies to the sources it lists (default:
both). First match wins, so every record lands in at most one pot.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from caremap.core.codes import normalise_code_prefixes, sql_code_prefix_match
from caremap.core.sql import in_list, quote_str
from caremap.core.yamldoc import YamlDoc

POTS = ("primary_care", "continuing_care", "planned_specialist", "public_health")
Source = Literal["activity", "contract_line"]

# Which fields each source has (a rule using another field does not apply to it).
FIELDS: dict[str, set[str]] = {
    "activity": {
        "setting",
        "point_of_delivery",
        "specialty",
        "admission_method",
        "primary_diagnosis",
        "any_diagnosis",
        "not_any_diagnosis",
        "provider_type",
        "specialised",
    },
    "contract_line": {
        "service",
        "setting",
        "point_of_delivery",
        "specialty",
        "contract_type",
        "provider_type",
    },
}


class Match(BaseModel):
    model_config = ConfigDict(extra="forbid")

    setting: list[str] | None = None
    point_of_delivery: list[str] | None = None
    specialty: list[str] | None = None
    admission_method: list[str] | None = None
    service: list[str] | None = None
    contract_type: list[str] | None = None
    provider_type: list[str] | None = None
    primary_diagnosis: list[str] | None = None
    any_diagnosis: list[str] | None = None
    not_any_diagnosis: list[str] | None = None
    specialised: bool | None = None

    @field_validator("primary_diagnosis", "any_diagnosis", "not_any_diagnosis")
    @classmethod
    def _codes(cls, v: list[str] | None) -> list[str] | None:
        return normalise_code_prefixes(v)

    def used(self) -> set[str]:
        return {k for k, v in self.model_dump().items() if v is not None}


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match: list[dict[str, str | bool]] = Field(min_length=1)
    no_match: list[dict[str, str | bool]] = Field(min_length=1)


class PotRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    pot: Literal["primary_care", "continuing_care", "planned_specialist", "public_health", "review"]
    sources: list[Source] = Field(default_factory=lambda: ["activity", "contract_line"])
    match: Match
    description: str = Field(min_length=3)
    examples: Examples

    @model_validator(mode="after")
    def _usable(self) -> PotRule:
        used = self.match.used()
        if not used:
            raise ValueError("a rule must match on at least one field")
        if not any(used <= FIELDS[s] for s in self.sources):
            raise ValueError(
                f"fields {sorted(used)} are not all available in any of {self.sources}"
            )
        return self


class PotRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    version: str
    pots: dict[str, str]
    rules: list[PotRule] = Field(min_length=1)

    @field_validator("pots")
    @classmethod
    def _four_pots(cls, v: dict[str, str]) -> dict[str, str]:
        if set(v) != set(POTS):
            raise ValueError(f"pots must be exactly {list(POTS)}")
        return v

    @field_validator("rules")
    @classmethod
    def _unique(cls, rules: list[PotRule]) -> list[PotRule]:
        ids = [r.id for r in rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"rule ids used more than once: {dup}")
        return rules

    def for_source(self, source: str) -> list[PotRule]:
        return [r for r in self.rules if source in r.sources and r.match.used() <= FIELDS[source]]


def shipped_rules_path() -> Path:
    return Path(str(resources.files("caremap.budget") / "rules" / "pots.yaml"))


def load_pot_rules(path: str | Path | None = None) -> PotRules:
    return YamlDoc.from_path(path or shipped_rules_path()).parse(PotRules)


def _any_dx(codes: list[str]) -> str:
    prim = sql_code_prefix_match("r.primary_diagnosis", codes)
    return f"({prim} OR {sql_code_prefix_match('r.secondary_diagnoses', codes, listed=True)})"


def condition(m: Match) -> str:
    """SQL condition over a record aliased ``r`` (columns as in FIELDS)."""
    conds = []
    for col in ("setting", "point_of_delivery", "specialty", "admission_method", "service",
                "contract_type", "provider_type"):  # fmt: skip
        vals = getattr(m, col)
        if vals:
            conds.append(f"r.{col} IN {in_list(vals)}")
    if m.primary_diagnosis:
        conds.append(sql_code_prefix_match("r.primary_diagnosis", m.primary_diagnosis))
    if m.any_diagnosis:
        conds.append(_any_dx(m.any_diagnosis))
    if m.not_any_diagnosis:
        conds.append(f"NOT {_any_dx(m.not_any_diagnosis)}")
    if m.specialised is not None:
        conds.append("r.specialised" if m.specialised else "NOT r.specialised")
    return " AND ".join(conds)


def rule_case(rules: list[PotRule]) -> str:
    if not rules:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(f"WHEN {condition(r.match)} THEN {quote_str(r.id)}" for r in rules)
    return f"CASE {whens} END"

"""Specialised activity: a rule engine that flags nationally commissioned activity.

Rules are data (``rules/specialised.yaml``): each names a service line of the NHS
England *Manual for prescribed specialised services* and the fields an activity record must
match (setting, point of delivery, specialty, admission method, primary or any diagnosis,
procedure, the capability or type of the provider). Rules are tried in order and the first
match wins, so a record is flagged at most once. The rules compile to one SQL CASE
expression run in the engine.

Writes ``standards_specialised_activity`` (one row per flagged activity record) and
``standards_specialised_summary`` (by service line and provider).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from caremap.core.codes import normalise_code_prefixes, sql_code_prefix_match
from caremap.core.errors import ConfigError
from caremap.core.sql import in_list, quote_str
from caremap.core.workspace import Workspace
from caremap.core.yamldoc import YamlDoc

CODE = r"^[A-Z0-9]+$"


class Match(BaseModel):
    """Fields a record must match; within a field, any listed value matches."""

    model_config = ConfigDict(extra="forbid")

    setting: list[str] | None = None
    point_of_delivery: list[str] | None = None
    specialty: list[str] | None = None
    admission_method: list[str] | None = None
    primary_diagnosis: list[str] | None = Field(default=None, description="ICD-10 prefixes")
    any_diagnosis: list[str] | None = Field(default=None, description="primary or secondary")
    procedure: list[str] | None = Field(default=None, description="OPCS-4 prefixes")
    provider_capability: list[str] | None = None
    provider_type: list[str] | None = None

    @field_validator("primary_diagnosis", "any_diagnosis", "procedure")
    @classmethod
    def _codes(cls, v: list[str] | None) -> list[str] | None:
        return normalise_code_prefixes(v)


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match: list[dict[str, str]] = Field(min_length=1)
    no_match: list[dict[str, str]] = Field(min_length=1)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    service_line: str
    source: str = Field(min_length=3)
    match: Match
    examples: Examples

    @field_validator("match")
    @classmethod
    def _not_empty(cls, m: Match) -> Match:
        if not any(v for v in m.model_dump().values()):
            raise ValueError("a rule must match on at least one field")
        return m


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    version: str
    source: str
    rules: list[Rule] = Field(min_length=1)

    @field_validator("rules")
    @classmethod
    def _unique(cls, rules: list[Rule]) -> list[Rule]:
        ids = [r.id for r in rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"rule ids used more than once: {dup}")
        return rules


class SpecialisedConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: Path | None = Field(default=None, description="rules file; default: the shipped one")


@dataclass(frozen=True)
class SpecialisedResult:
    flagged: int
    activity: int
    flagged_cost: float
    by_rule: dict[str, int]


def shipped_rules_path() -> Path:
    return Path(str(resources.files("caremap.standards") / "rules" / "specialised.yaml"))


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Load and validate a rules file (errors give file, line and field)."""
    return YamlDoc.from_path(path or shipped_rules_path()).parse(RuleSet)


def rule_condition(m: Match, alias: str = "a") -> str:
    """The SQL condition for one rule's match on table alias ``alias``."""
    conds = []
    for col in ("setting", "point_of_delivery", "specialty", "admission_method"):
        vals = getattr(m, col)
        if vals:
            conds.append(f"{alias}.{col} IN {in_list(vals)}")
    if m.primary_diagnosis:
        conds.append(sql_code_prefix_match(f"{alias}.primary_diagnosis", m.primary_diagnosis))
    if m.any_diagnosis:
        conds.append(
            "("
            + sql_code_prefix_match(f"{alias}.primary_diagnosis", m.any_diagnosis)
            + " OR "
            + sql_code_prefix_match(f"{alias}.secondary_diagnoses", m.any_diagnosis, listed=True)
            + ")"
        )
    if m.procedure:
        conds.append(sql_code_prefix_match(f"{alias}.procedure_code", m.procedure))
    if m.provider_capability:
        conds.append(
            f"{alias}.site_code IN (SELECT site_code FROM site_capability WHERE capability IN "
            f"{in_list(m.provider_capability)})"
        )
    if m.provider_type:
        conds.append(
            f"{alias}.provider_code IN (SELECT provider_code FROM provider WHERE provider_type "
            f"IN {in_list(m.provider_type)})"
        )
    return " AND ".join(conds)


def rule_case(rules: RuleSet, alias: str = "a") -> str:
    """CASE expression giving the first matching rule id (NULL when none matches)."""
    whens = " ".join(
        f"WHEN {rule_condition(r.match, alias)} THEN {quote_str(r.id)}" for r in rules.rules
    )
    return f"CASE {whens} END"


def flag_sql(rules: RuleSet, source: str = "activity") -> str:
    """SELECT activity_id, rule_id for every record of ``source`` that a rule flags."""
    return (
        f"SELECT activity_id, rule_id FROM (SELECT a.activity_id, {rule_case(rules)} AS rule_id "
        f"FROM {source} a) f WHERE rule_id IS NOT NULL"
    )


def flag_specialised(ws: Workspace, config: SpecialisedConfig) -> SpecialisedResult:
    """Flag specialised activity and write the two ``standards_specialised_*`` tables."""
    rules = load_rules(config.rules)
    needs = ["activity"]
    if any(r.match.provider_capability for r in rules.rules):
        needs.append("site_capability")
    if any(r.match.provider_type for r in rules.rules):
        needs.append("provider")
    ws.require(*needs)
    if "activity_id" not in ws.columns("activity"):
        raise ConfigError("activity has no activity_id column")
    meta = " UNION ALL ".join(
        f"SELECT {quote_str(r.id)} AS rule_id, {quote_str(r.service_line)} AS service_line, "
        f"{i} AS rule_order"
        for i, r in enumerate(rules.rules)
    )
    with ws.transaction():
        ws.create_table_as(
            "standards_specialised_activity",
            f"SELECT f.activity_id, f.rule_id, m.service_line, a.provider_code, a.site_code, "
            f"a.setting, a.start_date, a.cost, {quote_str(rules.version)} AS rules_version "
            f"FROM ({flag_sql(rules)}) f JOIN ({meta}) m ON m.rule_id = f.rule_id "
            "JOIN activity a ON a.activity_id = f.activity_id",
        )
        ws.create_table_as(
            "standards_specialised_summary",
            "SELECT rule_id, service_line, provider_code, count(*) AS records, "
            "sum(cost) AS cost FROM standards_specialised_activity "
            "GROUP BY rule_id, service_line, provider_code",
        )
    by_rule = {
        r["rule_id"]: int(r["n"])
        for r in ws.sql(
            "SELECT rule_id, count(*) AS n FROM standards_specialised_activity GROUP BY 1"
        ).to_pylist()
    }
    return SpecialisedResult(
        flagged=sum(by_rule.values()),
        activity=ws.row_count("activity"),
        flagged_cost=float(
            ws.scalar("SELECT coalesce(sum(cost), 0) FROM standards_specialised_activity") or 0
        ),
        by_rule=by_rule,
    )

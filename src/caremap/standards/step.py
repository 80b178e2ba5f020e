"""`caremap standards` as one step: compliance, outcomes and specialised activity."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from caremap.core.workspace import Workspace
from caremap.core.yamldoc import YamlDoc
from caremap.standards.compliance import ComplianceConfig, ComplianceResult, evaluate_compliance
from caremap.standards.outcomes import OutcomeConfig, OutcomeResult, trauma_mortality
from caremap.standards.specialised import (
    SpecialisedConfig,
    SpecialisedResult,
    flag_specialised,
)


class StandardsConfig(BaseModel):
    """Everything `caremap standards` needs; loads from YAML or JSON."""

    model_config = ConfigDict(extra="forbid")

    compliance: ComplianceConfig = Field(default_factory=ComplianceConfig)
    outcomes: OutcomeConfig = Field(default_factory=OutcomeConfig)
    specialised: SpecialisedConfig = Field(default_factory=SpecialisedConfig)


@dataclass(frozen=True)
class StandardsResult:
    compliance: ComplianceResult
    outcomes: OutcomeResult | None
    outcomes_skipped: str | None
    specialised: SpecialisedResult | None


def load_standards_config(path) -> StandardsConfig:
    return YamlDoc.from_path(path).parse(StandardsConfig)


def run_standards(ws: Workspace, config: StandardsConfig) -> StandardsResult:
    """Check compliance, compute outcomes (when trauma data exist) and flag specialised
    activity (when activity exists)."""
    comp = evaluate_compliance(ws, config.compliance)
    outcomes, skipped = None, None
    if ws.has_table("trauma_process"):
        outcomes = trauma_mortality(ws, config.outcomes)
    else:
        skipped = "no trauma_process table: outcomes not computed"
    spec = flag_specialised(ws, config.specialised) if ws.has_table("activity") else None
    return StandardsResult(comp, outcomes, skipped, spec)

"""`run_standards`: compliance, outcomes and specialised activity as one step."""

from __future__ import annotations

from dataclasses import dataclass

from caremap.core.result import StepResult
from caremap.core.workspace import Workspace
from caremap.standards.compliance import TABLES as COMPLIANCE_TABLES
from caremap.standards.compliance import ComplianceResult, evaluate_compliance
from caremap.standards.config import StandardsConfig
from caremap.standards.outcomes import OutcomeResult, trauma_mortality
from caremap.standards.specialised import SpecialisedResult, flag_specialised

OUTCOME_TABLES = ("standards_outcome", "standards_outcome_model")
SPECIALISED_TABLES = ("standards_specialised_activity", "standards_specialised_summary")


@dataclass(frozen=True)
class StandardsResult(StepResult):
    compliance: ComplianceResult
    outcomes: OutcomeResult | None
    outcomes_skipped: str | None
    specialised: SpecialisedResult | None


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
    tables = (
        COMPLIANCE_TABLES
        + (OUTCOME_TABLES if outcomes is not None else ())
        + (SPECIALISED_TABLES if spec is not None else ())
    )
    warnings = (skipped,) if skipped else ()
    return StandardsResult(comp, outcomes, skipped, spec, tables=tables, warnings=warnings)

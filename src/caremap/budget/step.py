"""`caremap budget` as one step: classify, allocate, ledger and scenarios, in that order."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from caremap.budget.allocate import Allocation, AllocationConfig, allocate
from caremap.budget.classify import ClassifyConfig, Reconciliation, classify
from caremap.budget.ledger import LedgerConfig, LedgerResult, ledger
from caremap.budget.scenario import Scenario, ScenarioResult, load_scenario, run_scenario
from caremap.core.yamldoc import YamlDoc


def shipped_scenario_path() -> Path:
    return Path(str(resources.files("caremap.budget") / "rules" / "scenario_ltc_community.yaml"))


class BudgetConfig(BaseModel):
    """Everything `caremap budget` needs; loads from YAML or JSON (`load_budget_config`)."""

    model_config = ConfigDict(extra="forbid")

    classify: ClassifyConfig = Field(default_factory=ClassifyConfig)
    allocation: AllocationConfig = Field(default_factory=AllocationConfig)
    ledger: LedgerConfig = Field(default_factory=LedgerConfig)
    scenarios: list[Scenario] = Field(default_factory=list)
    scenario_files: list[Path] = Field(default_factory=list)


@dataclass(frozen=True)
class BudgetResult:
    reconciliation: list[Reconciliation]
    allocation: Allocation
    ledger: LedgerResult
    scenarios: list[ScenarioResult]


def load_budget_config(path: str | Path) -> BudgetConfig:
    """Read a budget configuration (YAML or JSON); errors give file, line and field."""
    return YamlDoc.from_path(path).parse(BudgetConfig)


def run_budget(ws, config: BudgetConfig) -> BudgetResult:
    """Classify into pots, allocate, build the ledger and forecast, run the scenarios."""
    scenarios = [*config.scenarios, *(load_scenario(p) for p in config.scenario_files)]
    rec = classify(ws, config.classify)
    alloc = allocate(ws, config.allocation)
    led = ledger(ws, config.ledger)
    if ws.has_table("budget_scenario"):
        ws.drop_table("budget_scenario")
    results = [run_scenario(ws, s, config.classify.rules) for s in scenarios]
    return BudgetResult(rec, alloc, led, results)

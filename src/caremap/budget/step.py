"""`run_budget`: classify, allocate, ledger and scenarios, in that order, as one step."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from caremap.budget.allocate import Allocation, allocate
from caremap.budget.classify import TABLES as CLASSIFY_TABLES
from caremap.budget.classify import Reconciliation, classify
from caremap.budget.config import BudgetConfig
from caremap.budget.ledger import LedgerResult, ledger
from caremap.budget.scenario import ScenarioResult, load_scenario, run_scenario
from caremap.core.result import StepResult
from caremap.core.workspace import Workspace

ALLOCATION_TABLES = ("budget_population", "budget_cost_weight", "budget_allocation")
LEDGER_TABLES = ("budget_ledger", "budget_forecast", "budget_pot_summary")


def shipped_scenario_path() -> Path:
    return Path(str(resources.files("caremap.budget") / "rules" / "scenario_ltc_community.yaml"))


@dataclass(frozen=True)
class BudgetResult(StepResult):
    reconciliation: list[Reconciliation]
    allocation: Allocation
    ledger: LedgerResult
    scenarios: list[ScenarioResult]


def run_budget(ws: Workspace, config: BudgetConfig) -> BudgetResult:
    """Classify into pots, allocate, build the ledger and forecast, run the scenarios."""
    scenarios = [*config.scenarios, *(load_scenario(p) for p in config.scenario_files)]
    rec = classify(ws, config.classify)
    alloc = allocate(ws, config.allocation)
    led = ledger(ws, config.ledger)
    if ws.has_table("budget_scenario"):
        ws.drop_table("budget_scenario")
    results = [run_scenario(ws, s, config.classify.rules) for s in scenarios]
    tables = CLASSIFY_TABLES + ALLOCATION_TABLES + LEDGER_TABLES
    return BudgetResult(
        rec, alloc, led, results, tables=tables + (("budget_scenario",) if results else ())
    )

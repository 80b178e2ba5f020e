"""Configuration of `caremap budget` (load with `caremap.core.config.load_config`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from caremap.budget.allocate import AllocationConfig
from caremap.budget.classify import ClassifyConfig
from caremap.budget.ledger import LedgerConfig
from caremap.budget.scenario import Scenario
from caremap.core.config import Config


class BudgetConfig(Config):
    """Everything `caremap budget` needs: pot rules, allocation, ledger and scenarios."""

    classify: ClassifyConfig = Field(default_factory=ClassifyConfig)
    allocation: AllocationConfig = Field(default_factory=AllocationConfig)
    ledger: LedgerConfig = Field(default_factory=LedgerConfig)
    scenarios: list[Scenario] = Field(default_factory=list)
    scenario_files: list[Path] = Field(default_factory=list)

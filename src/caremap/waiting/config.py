"""Configuration of `caremap waiting` (load with `caremap.core.config.load_config`)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from caremap.core.config import Config


class WaitingConfig(Config):
    """Columns, targets and forecast scenarios (loadable from YAML/JSON)."""

    table: str = "waiting_pathway"
    group: list[str] = Field(default_factory=lambda: ["provider_code", "specialty"])
    referral: str = "referral_date"
    clock_stop: str = "clock_stop_date"
    stop_reason: str = "stop_reason"
    priority: str | None = "priority"
    census_date: dt.date | None = Field(None, description="default: the latest date in the data")
    lookback_weeks: int = Field(26, ge=1, description="weeks used to measure demand and capacity")
    target_weeks: float = Field(18, gt=0)
    factor: float = Field(4, gt=0, description="mean wait = target / factor")
    time_to_target_weeks: float = Field(26, gt=0, description="for relief capacity")
    forecast: bool = True
    weeks: int = Field(104, ge=1)
    scenarios: dict[str, float] = Field(
        default_factory=lambda: {"current": 1.0, "plus10": 1.1, "plus20": 1.2}
    )
    sims: int = Field(200, ge=10)
    seed: int = 0
    source: str = "workspace"

    def columns(self) -> list[str]:
        cols = [*self.group, self.referral, self.clock_stop, self.stop_reason]
        return list(dict.fromkeys(cols + ([self.priority] if self.priority else [])))

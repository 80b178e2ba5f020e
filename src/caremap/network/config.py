"""Configuration of `caremap network` (load with `caremap.core.config.load_config`)."""

from __future__ import annotations

from pydantic import Field

from caremap.core.config import Config
from caremap.network.triage import TriageConfig


class NetworkConfig(Config):
    """Settings of `caremap network`."""

    max_p: int = Field(3, ge=1, description="optimise for p = 1..max_p centres")
    proposal: list[str] | None = Field(None, description="a planner's own MTC site codes")
    demand: str = Field("major_trauma", pattern="^(major_trauma|incidents|population)$")
    limits: list[float] = Field(default_factory=lambda: [30.0, 45.0, 60.0])
    min_volume_major: float = Field(
        250.0,
        ge=0,
        description="major trauma cases a year an MTC should see (NHS Clinical Advisory "
        "Groups, Regional networks for major trauma, 2010)",
    )
    forced_open: list[str] = Field(default_factory=list)
    forced_closed: list[str] = Field(default_factory=list)
    triage: TriageConfig = Field(default_factory=TriageConfig)
    time_limit: float = Field(120.0, gt=0)

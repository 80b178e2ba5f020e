"""Configuration of `caremap needs` (load with `caremap.core.config.load_config`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from caremap.core.config import Config

ACTIVITY_INDICATORS = ("emergency_admissions", "ae_attendances", "elective_demand")
ALL_INDICATORS = (*ACTIVITY_INDICATORS, "trauma_incidence", "prevalence")


class NeedsConfig(Config):
    """How to build localities and which indicators to compute.

    ``localities``: ``auto`` uses ``locality_file`` if given, else the small areas' own
    ``locality_code`` when every area has one, else builds localities; ``build`` always
    builds; ``supplied`` requires a mapping (file or small_area.locality_code).
    """

    localities: Literal["auto", "build", "supplied"] = "auto"
    locality_file: Path | None = Field(
        None, description="CSV with area_code, locality_code and optionally locality_name"
    )
    target_population: int = Field(50_000, gt=0, description="people per built locality")
    indicators: list[str] = Field(default_factory=lambda: list(ALL_INDICATORS))
    period_type: Literal["financial", "calendar"] = Field(
        "financial", description="NHS financial years (April-March, '2024/25') or calendar years"
    )
    periods: list[int] | None = Field(
        None, description="start years of the periods to report; default: all in the data"
    )
    confidence: list[float] = Field(default_factory=lambda: [0.95, 0.998])
    rate_multiplier: float = Field(100_000, gt=0)
    prevalence_multiplier: float = Field(100, gt=0)
    suppress_dsr_below: int = Field(10, ge=0, description="PHE suppresses DSRs under 10 events")
    seed: int = 0
    isr_reference: Path | None = Field(
        None,
        description="CSV of reference counts and populations by ESP 2013 band (band, count, "
        "population), e.g. England's, for the ISRs; default: the widest geography present",
    )

    @field_validator("indicators")
    @classmethod
    def _known_indicators(cls, v: list[str]) -> list[str]:
        bad = [i for i in v if i not in ALL_INDICATORS]
        if bad:
            raise ValueError(f"unknown indicators {bad}; choose from {list(ALL_INDICATORS)}")
        return v

    @field_validator("confidence")
    @classmethod
    def _levels(cls, v: list[float]) -> list[float]:
        out = [c / 100 if c >= 50 else c for c in v]
        bad = [c for c in out if not 0.5 <= c < 1]
        if bad or not out:
            raise ValueError("confidence levels must be fractions such as 0.95 and 0.998")
        return out

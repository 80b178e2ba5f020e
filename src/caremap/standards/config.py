"""Configuration of `caremap standards` (load with `caremap.core.config.load_config`)."""

from __future__ import annotations

from pydantic import Field

from caremap.core.config import Config
from caremap.standards.compliance import ComplianceConfig
from caremap.standards.outcomes import OutcomeConfig
from caremap.standards.specialised import SpecialisedConfig


class StandardsConfig(Config):
    """Everything `caremap standards` needs: compliance, outcomes and specialised activity."""

    compliance: ComplianceConfig = Field(default_factory=ComplianceConfig)
    outcomes: OutcomeConfig = Field(default_factory=OutcomeConfig)
    specialised: SpecialisedConfig = Field(default_factory=SpecialisedConfig)

"""Settings of the synthetic economy: sizes, rates and identity noise, as one validated object.

Every rate here is documented in ``docs/synth.md``. A config loads from YAML or JSON with
`caremap.core.config.load_config` and exports a JSON Schema (`config_schema`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from caremap.core.config import Config
from caremap.core.schema import SOURCE_SYSTEMS

Rate = float


def _per_system(**kw: float) -> dict[str, float]:
    return {s: kw.get(s, kw.get("default", 0.0)) for s in SOURCE_SYSTEMS}


class NoiseConfig(BaseModel):
    """Identity noise: the probability that a source record shows each defect.

    Per-system rates are dicts keyed by source system. Rates are per source record.
    """

    model_config = ConfigDict(extra="forbid")

    missing_nhs_number: dict[str, Rate] = Field(
        default_factory=lambda: _per_system(
            gp=0.002,
            ae=0.08,
            inpatient=0.01,
            outpatient=0.01,
            ambulance=0.12,
            community=0.03,
            social_care=0.10,
        )
    )
    nhs_digit_typo: Rate = Field(0.004, ge=0, le=1, description="one digit changed")
    nhs_transposition: Rate = Field(0.002, ge=0, le=1, description="two adjacent digits swapped")
    nhs_double_typo: Rate = Field(
        0.001, ge=0, le=1, description="two digits changed (about 1 in 11 is still valid)"
    )
    nhs_other_person: Rate = Field(
        0.002,
        ge=0,
        le=1,
        description="another person's valid number (a household member's): 0.2%, the false "
        "match rate of the NHS-number-based HESID algorithm measured against PICANet "
        "(Hagger-Johnson et al. 2015, BMJ Open 5:e008118: 176 of 77,810 records)",
    )
    given_name_typo: Rate = Field(0.015, ge=0, le=1)
    family_name_typo: Rate = Field(0.012, ge=0, le=1)
    nickname: dict[str, Rate] = Field(
        default_factory=lambda: _per_system(default=0.04, ae=0.15, ambulance=0.2, gp=0.01)
    )
    previous_surname: Rate = Field(
        0.15, ge=0, le=1, description="married person's record still holds the birth surname"
    )
    dob_day_month_swap: Rate = Field(0.004, ge=0, le=1)
    dob_digit_typo: Rate = Field(0.004, ge=0, le=1)
    stale_postcode: dict[str, Rate] = Field(
        default_factory=lambda: _per_system(default=0.3, gp=0.1),
        description="record updated after a move still holds the old postcode",
    )
    missing_postcode: dict[str, Rate] = Field(
        default_factory=lambda: _per_system(default=0.01, ae=0.04, ambulance=0.06, gp=0.0)
    )
    unknown_sex: Rate = Field(0.002, ge=0, le=1)
    junk_name: dict[str, Rate] = Field(
        default_factory=lambda: _per_system(default=0.001, ae=0.006, ambulance=0.01)
    )
    junk_dob: Rate = Field(
        0.001,
        ge=0,
        le=1,
        description="DOB recorded as a default: 1900-01-01 or 1 January of the birth year "
        "(day and month not known), half each",
    )
    placeholder_nhs_number: Rate = Field(
        0.001, ge=0, le=1, description="0000000000, 9999999999 or 1234567890"
    )
    new_record_per_contact: dict[str, Rate] = Field(
        default_factory=lambda: _per_system(default=0.0, ae=0.25, ambulance=0.6)
    )

    @model_validator(mode="after")
    def _per_system_rates(self) -> NoiseConfig:
        """Per-system rates: known systems only, rates in [0, 1]; unnamed systems keep the
        default rate."""
        problems = []
        for name, fld in type(self).model_fields.items():
            value = getattr(self, name)
            if not isinstance(value, dict):
                continue
            unknown = sorted(set(value) - set(SOURCE_SYSTEMS))
            if unknown:
                problems.append(f"{name}: unknown source system(s) {', '.join(unknown)}")
            bad = sorted(k for k, v in value.items() if not 0 <= v <= 1)
            if bad:
                problems.append(f"{name}: rates must be between 0 and 1 ({', '.join(bad)})")
            defaults = fld.default_factory()
            setattr(self, name, {s: value.get(s, defaults[s]) for s in SOURCE_SYSTEMS})
        if problems:
            raise ValueError("; ".join(problems))
        return self


class SynthConfig(Config):
    """Sizes and behaviour of the synthetic economy (defaults give an England-like region)."""

    model_config = ConfigDict(extra="forbid")

    area_size: int = Field(1500, ge=50, description="people per small area (LSOA-like)")
    min_areas: int = Field(20, ge=4, description="fewest small areas, for small populations")
    locality_size: int = Field(50_000, ge=1000)
    ics_size: int = Field(1_000_000, ge=10_000)
    people_per_practice: int = Field(8000, ge=500)
    km_per_million: float = Field(100.0, gt=0, description="side of the region per 1M people")
    min_side_km: float = Field(30.0, gt=0)
    yearly_move_rate: float = Field(0.06, ge=0, le=1)
    twin_share: float = Field(0.014, ge=0, le=0.1, description="people who have a twin")
    emergency_per_1000: float = Field(110.0, gt=0, description="England ~110 per 1,000 per year")
    ae_per_1000: float = Field(400.0, gt=0, description="England ~400 per 1,000 per year")
    gp_contacts_per_person: float = Field(5.0, ge=0)
    outpatient_per_person: float = Field(2.2, ge=0)
    community_per_person: float = Field(1.2, ge=0)
    noise: NoiseConfig = Field(default_factory=NoiseConfig)


class SynthRunConfig(Config):
    """A `run_synth` step: how many people, the seed, where the extracts go, and the economy."""

    population: int = Field(20_000, description="people in the synthetic region")
    seed: int = Field(1, description="the same seed gives the same region")
    years: int = Field(3, ge=1, description="years of activity")
    out_dir: Path = Field(Path("synth-extracts"), description="folder for the extracts")
    economy: SynthConfig = Field(default_factory=SynthConfig)


def rng_for(seed: int, name: str) -> np.random.Generator:
    """A generator that depends only on the seed and a stream name (as `SynthContext.rng`)."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))

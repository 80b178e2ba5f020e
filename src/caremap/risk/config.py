"""Configuration of risk stratification: one validated document, loadable from YAML or JSON.

`RiskConfig` holds everything a run needs: the index dates of temporal validation (train on
features at ``train_index`` with outcomes in the following ``outcome_months``; test on
features at ``test_index`` with the outcomes after it), the feature windows, the model, and
the tier pyramid. `caremap.core.config.load_config(RiskConfig, path)` validates the whole
document at once and raises a `ConfigError` that lists every problem.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from caremap.core.config import Config

MODELS = ("auto", "lightgbm", "logistic")


class Tier(BaseModel):
    """One level of the risk pyramid: the people whose risk rank falls in the top ``top_share``
    of the population but not in a higher tier."""

    model_config = ConfigDict(extra="forbid")

    name: str
    top_share: float = Field(gt=0, le=1, description="cumulative share from the top, e.g. 0.005")


DEFAULT_TIERS = [
    Tier(name="very high", top_share=0.005),
    Tier(name="high", top_share=0.05),
    Tier(name="moderate", top_share=0.20),
    Tier(name="low", top_share=1.0),
]


class FeatureConfig(BaseModel):
    """Windows of the features built at an index date (`caremap.risk.features`)."""

    model_config = ConfigDict(extra="forbid")

    lookback_months: int = Field(12, ge=1, le=60, description="main window for activity counts")
    long_lookback_months: int = Field(
        24,
        ge=2,
        le=120,
        description="emergency admissions are also counted in the window "
        "from lookback_months to long_lookback_months before the index date",
    )
    recent_discharge_days: tuple[int, int] = (30, 90)

    @model_validator(mode="after")
    def _windows(self) -> FeatureConfig:
        if self.long_lookback_months <= self.lookback_months:
            raise ValueError("long_lookback_months must be longer than lookback_months")
        a, b = self.recent_discharge_days
        if not 0 < a < b:
            raise ValueError("recent_discharge_days must be two increasing positive numbers")
        return self


class LightGBMConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    num_leaves: int = Field(15, ge=2)
    max_depth: int = Field(
        5,
        ge=-1,
        description="deepest tree (-1: no limit); shallow trees score and explain (TreeSHAP "
        "is quadratic in depth) several times faster at no cost in AUROC on this task",
    )
    learning_rate: float = Field(0.1, gt=0, le=1)
    n_estimators: int = Field(300, ge=1)
    min_child_samples: int = Field(50, ge=1)
    reg_lambda: float = Field(1.0, ge=0)
    early_stopping_rounds: int = Field(30, ge=1)
    validation_share: float = Field(0.2, gt=0, lt=0.5)
    num_threads: int = Field(
        1,
        ge=1,
        le=64,
        description="LightGBM threads; more only help on an idle machine (OpenMP threads "
        "spin and slow down badly when cores are shared)",
    )


class RiskConfig(Config):
    """A risk-stratification run. Dates are the first day of the outcome year."""

    train_index: date = date(2023, 4, 1)
    test_index: date = date(2024, 4, 1)
    score_index: date | None = Field(
        None, description="index date for scoring; default: the day after the last activity"
    )
    outcome_months: int = Field(12, ge=1, le=36)
    model: Literal["auto", "lightgbm", "logistic"] = Field(
        "auto",
        description="the model that scores people; auto: the one with the higher "
        "temporal-validation AUROC",
    )
    features: FeatureConfig = FeatureConfig()
    lightgbm: LightGBMConfig = LightGBMConfig()
    tiers: list[Tier] = Field(default_factory=lambda: list(DEFAULT_TIERS))
    caseload_tiers: list[str] = Field(
        default_factory=lambda: ["very high", "high"],
        description="tiers whose people appear on the caseload lists",
    )
    explain_tiers: list[str] | None = Field(
        None,
        description="tiers whose people get top contributing factors (default: the caseload "
        "tiers; TreeSHAP for everyone in a large population is slow)",
    )
    top_factors: int = Field(3, ge=1, le=10)
    apparent_sample: int = Field(
        200_000,
        ge=1_000,
        description="people drawn at random from the training year for the training-set "
        "(apparent) metrics; the temporal-validation metrics always use everyone",
    )
    reliability_bins: int = Field(10, ge=2, le=100)
    seed: int = 1

    @model_validator(mode="after")
    def _check(self) -> RiskConfig:
        problems = []
        if self.test_index <= self.train_index:
            problems.append("test_index must be after train_index")
        shares = [t.top_share for t in self.tiers]
        if not self.tiers:
            problems.append("tiers: at least one tier is needed")
        elif shares != sorted(shares) or len(set(shares)) != len(shares):
            problems.append("tiers: top_share must increase strictly from the top tier down")
        elif shares[-1] != 1.0:
            problems.append("tiers: the last tier must have top_share 1.0 (everyone else)")
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            problems.append("tiers: names must be unique")
        unknown = [c for c in (*self.caseload_tiers, *(self.explain_tiers or [])) if c not in names]
        if unknown:
            problems.append(
                f"caseload_tiers/explain_tiers: unknown tier(s) {unknown}; tiers are {names}"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def explained(self) -> list[str]:
        return self.caseload_tiers if self.explain_tiers is None else self.explain_tiers

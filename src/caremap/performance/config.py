"""Configuration of `caremap performance` (load with `caremap.core.config.load_config`).

`SpcConfig` (`caremap.performance.spc`) and `FunnelConfig` (`caremap.performance.funnel`)
configure the same statistics on any table or CSV (`caremap spc`, `caremap funnel`).
"""

from __future__ import annotations

from pydantic import Field

from caremap.core.config import Config


class PerformanceConfig(Config):
    """Benchmarking of surgical hubs and diagnostic centres (`caremap performance`)."""

    table: str = "hub_performance_month"
    window_months: int = Field(12, ge=1, description="months (the latest) pooled in funnels")
    flag_limit: str = Field("99.8", pattern=r"^(95|99\.8)$")
    fdr: float = Field(0.05, gt=0, lt=1)
    adjustment: str = Field("tau2", pattern="^(none|phi|tau2)$")
    spc: bool = True
    rank_simulations: int = Field(1000, ge=0)

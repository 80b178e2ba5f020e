"""`run_performance`: benchmark every surgical hub and diagnostic centre in the workspace.

Funnels of each site, ICS and provider on utilisation, on-the-day cancellations and long
waits, SPC of each site month by month, and the candidate best practice
(`caremap.performance.hubs`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from caremap.core.result import StepResult
from caremap.core.workspace import Workspace
from caremap.performance.config import PerformanceConfig
from caremap.performance.hubs import benchmark_hubs


@dataclass(frozen=True)
class PerformanceResult(StepResult):
    """The frames written (``funnel_unit``, ``funnel_summary``,
    ``performance_best_practice``) and each indicator's SPC summary (``spc_<indicator>``)."""

    frames: dict[str, pd.DataFrame]


def run_performance(ws: Workspace, config: PerformanceConfig) -> PerformanceResult:
    """Benchmark hubs and CDCs and write the result tables (see the module docstring)."""
    frames = benchmark_hubs(ws, config)
    tables = ("funnel_unit", "funnel_summary", "performance_best_practice")
    if config.spc:
        tables += ("spc_point", "spc_summary")
    return PerformanceResult(frames=frames, tables=tables)

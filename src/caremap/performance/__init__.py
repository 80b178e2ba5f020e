"""Performance and variation: SPC (Making Data Count), funnel plots, benchmarking.

Step: `run_performance(ws, PerformanceConfig) -> PerformanceResult`
(``performance/step.py``; config in ``performance/config.py``; `caremap performance`).

Reads ``hub_performance_month``. Writes ``funnel_unit``, ``funnel_summary``, ``spc_point``,
``spc_summary`` (rows by ``source``) and ``performance_best_practice``. The same
statistics on any table or CSV: `spc_frame`/`spc_table` with `SpcConfig` (`caremap spc`)
and `funnel_frame`/`funnel_table` with `FunnelConfig` (`caremap funnel`).
"""

from caremap.performance.config import PerformanceConfig
from caremap.performance.funnel import FunnelConfig, funnel_frame, funnel_table
from caremap.performance.spc import SpcConfig, spc_frame, spc_table
from caremap.performance.step import PerformanceResult, run_performance

__all__ = [
    "FunnelConfig",
    "PerformanceConfig",
    "PerformanceResult",
    "SpcConfig",
    "funnel_frame",
    "funnel_table",
    "run_performance",
    "spc_frame",
    "spc_table",
]

"""Shared statistics for indicators: confidence intervals (`intervals`), funnel plots and SPC.

Capabilities import these rather than re-deriving the methods, so every figure caremap shows
uses the same published method and agrees with PHE/OHID Fingertips.
"""

from caremap.core.stats.intervals import (
    Interval,
    byars,
    crude_rate,
    dobson_dsr,
    exact_poisson,
    expected_events,
    isr,
    wilson,
    z_value,
)

__all__ = [
    "Interval",
    "byars",
    "crude_rate",
    "dobson_dsr",
    "exact_poisson",
    "expected_events",
    "isr",
    "wilson",
    "z_value",
]

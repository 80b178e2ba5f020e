"""Joint needs assessment: localities and indicators (`caremap needs`, `caremap rates`)."""

from caremap.needs.config import NeedsConfig
from caremap.needs.step import NeedsResult, localities, run_needs
from caremap.needs.rates import RatesConfig, compute_rates, rates_file

__all__ = [
    "NeedsConfig",
    "NeedsResult",
    "RatesConfig",
    "compute_rates",
    "localities",
    "rates_file",
    "run_needs",
]

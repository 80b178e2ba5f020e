"""Joint needs assessment: localities and indicators (`caremap needs`, `caremap rates`).

Step: `run_needs(ws, NeedsConfig) -> NeedsResult` (``needs/step.py``; config in
``needs/config.py``).

Reads ``small_area``, ``population`` and, where present, ``source_record``, ``activity``,
``condition``, ``trauma_incident``, ``postcode``, ``person_link``/``person``. Writes
``needs_locality_map``, ``needs_locality_summary``, ``needs_indicator`` and
``needs_unresolved``. `compute_rates`/`rates_file` are the same statistics on any table.
"""

from caremap.needs.config import NeedsConfig
from caremap.needs.rates import RatesConfig, compute_rates, rates_file
from caremap.needs.step import NeedsResult, localities, run_needs

__all__ = [
    "NeedsConfig",
    "NeedsResult",
    "RatesConfig",
    "compute_rates",
    "localities",
    "rates_file",
    "run_needs",
]

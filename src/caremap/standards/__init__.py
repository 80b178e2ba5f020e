"""National service standards, outcomes and specialised activity (`caremap standards`).

Step: `run_standards(ws, StandardsConfig) -> StandardsResult` (``standards/step.py``;
config in ``standards/config.py``).

Reads ``site``, ``site_capability``, ``site_process_month`` and, where present,
``trauma_process``, ``activity`` and ``derogation``. Writes ``standards_criterion``,
``standards_compliance``, ``standards_site_summary``, ``standards_national``,
``standards_outcome``, ``standards_outcome_model``, ``standards_specialised_activity`` and
``standards_specialised_summary``.
"""

from caremap.standards.config import StandardsConfig
from caremap.standards.spec import Specification, load_spec, load_specs
from caremap.standards.step import StandardsResult, run_standards

__all__ = [
    "Specification",
    "StandardsConfig",
    "StandardsResult",
    "load_spec",
    "load_specs",
    "run_standards",
]

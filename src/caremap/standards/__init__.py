"""National service standards, outcomes and specialised activity (`caremap standards`).

from caremap.standards import StandardsConfig, run_standards
"""

from caremap.standards.step import StandardsConfig, StandardsResult, run_standards
from caremap.standards.spec import Specification, load_spec, load_specs

__all__ = [
    "Specification",
    "StandardsConfig",
    "StandardsResult",
    "load_spec",
    "load_specs",
    "run_standards",
]

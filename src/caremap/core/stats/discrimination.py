"""How well a model tells events from non-events: one rule for every model caremap shows.

The grades of the area under the ROC curve (the c-statistic) are those of Hosmer, Lemeshow
& Sturdivant, *Applied Logistic Regression*, 3rd ed. (Wiley 2013), section 5.2.4: 0.5 no
discrimination, below 0.7 poor, 0.7 to 0.8 acceptable, 0.8 to 0.9 excellent, 0.9 and above
outstanding. Below ``WEAK_BELOW`` (0.6) a model is flagged as no better than chance for
practical purposes: its ranking of people or sites should not be acted on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WEAK_BELOW = 0.6
GRADES = ((0.9, "outstanding"), (0.8, "excellent"), (0.7, "acceptable"), (WEAK_BELOW, "poor"))


@dataclass(frozen=True)
class Discrimination:
    c: float
    quality: str  # outstanding, excellent, acceptable, poor, no better than chance, unknown
    warning: str | None  # a sentence for the reader when the model should not be relied on

    @property
    def weak(self) -> bool:
        return self.warning is not None


def grade(c: float, what: str = "model") -> Discrimination:
    """The Hosmer-Lemeshow grade of a c-statistic, with a warning when it is weak."""
    if c is None or not math.isfinite(c):
        return Discrimination(
            float("nan"), "unknown", f"the {what}'s discrimination could not be measured"
        )
    for floor, name in GRADES:
        if c >= floor:
            warn = None
            if name == "poor":
                warn = (
                    f"the {what} discriminates poorly (c = {c:.2f}, below 0.7; Hosmer & "
                    "Lemeshow 2013): treat its ranking with caution"
                )
            return Discrimination(c, name, warn)
    return Discrimination(
        c,
        "no better than chance",
        f"the {what} is no better than chance (c = {c:.2f}, below {WEAK_BELOW}): "
        "do not act on its ranking",
    )

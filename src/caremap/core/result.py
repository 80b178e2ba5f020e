"""The result of a pipeline step: an immutable record of what it wrote and found.

Every ``run_<capability>(ws, config)`` returns a frozen subclass of `StepResult` holding the
tables it wrote (``tables``), its headline figures (its own fields; `headline` lists the
scalar ones) and the warnings a user should read (``warnings``), so the CLI, the demo and a
notebook report a run the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, kw_only=True)
class StepResult:
    """Tables written and warnings; subclasses add their headline figures as fields."""

    tables: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def headline(self) -> dict[str, Any]:
        """The scalar figures of the result (counts, measures, names), by field name."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name not in ("tables", "warnings") and isinstance(v, int | float | str | bool):
                out[f.name] = v
        return out

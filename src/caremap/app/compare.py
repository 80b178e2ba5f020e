"""Comparisons in words, the way Fingertips states them.

An area is *higher* (or *lower*) than a comparator when its 95% confidence interval lies
wholly above (below) the comparator's value, else *similar*: the "compared with benchmark"
method of OHID's Fingertips profiles (Public Health England, *Technical Guide: Confidence
intervals*, 2018; Fingertips "Compare indicators" help). Needs indicators carry no polarity,
so the words are higher/similar/lower rather than better/worse.
"""

from __future__ import annotations

import math

METHOD = (
    "Compared by the 95% confidence interval: higher or lower when the area's interval "
    "excludes the comparator's value, otherwise similar (the Fingertips method)."
)


def _ok(x) -> bool:
    return x is not None and isinstance(x, int | float) and math.isfinite(x)


def compare(lower, upper, benchmark) -> str:
    """``higher``, ``lower``, ``similar`` or ``not compared`` (missing values)."""
    if not (_ok(lower) and _ok(upper) and _ok(benchmark)):
        return "not compared"
    if lower > benchmark:
        return "higher"
    if upper < benchmark:
        return "lower"
    return "similar"


def phrase(result: str, what: str, value_text: str) -> str:
    """``significantly above the ICS (5.8%)`` and the like."""
    return {
        "higher": f"significantly above {what} ({value_text})",
        "lower": f"significantly below {what} ({value_text})",
        "similar": f"similar to {what} ({value_text})",
    }.get(result, f"not compared with {what}")


def trend(periods: list[str], values: list[float], fmt) -> str | None:
    """A sentence about the change from the first to the last period, or None for one."""
    pts = [(p, v) for p, v in zip(periods, values, strict=True) if _ok(v)]
    if len(pts) < 2:
        return None
    (p0, v0), (p1, v1) = pts[0], pts[-1]
    if v0 == 0:
        direction = "rose" if v1 > 0 else "stayed"
        return f"{direction} from {fmt(v0)} in {p0} to {fmt(v1)} in {p1}"
    change = (v1 - v0) / abs(v0)
    if abs(change) < 0.02:
        return f"stayed about the same ({fmt(v0)} in {p0}, {fmt(v1)} in {p1})"
    word = "rose" if change > 0 else "fell"
    return f"{word} {abs(change):.0%} from {fmt(v0)} in {p0} to {fmt(v1)} in {p1}"


def trend_word(periods: list[str], values: list[float]) -> str | None:
    """``up 3%``, ``down 5%`` or ``stable`` (within 2%) from the first to the last period."""
    pts = [v for v in values if _ok(v)]
    if len(pts) < 2 or pts[0] == 0:
        return None
    change = (pts[-1] - pts[0]) / abs(pts[0])
    if abs(change) < 0.02:
        return f"stable since {periods[0]}"
    return f"{'up' if change > 0 else 'down'} {abs(change):.0%} since {periods[0]}"

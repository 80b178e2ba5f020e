"""Money in integer pence: splitting a total exactly, and pace-of-change limits.

`split_pence` is the largest-remainder (Hamilton) method: each share gets the floor of its
exact quota and the pence left over go, one each, to the largest fractional remainders, so
the parts always sum to the total. `pace_of_change` moves each unit from its baseline share
towards its target share within growth limits, as NHS England's allocations do (NHS England,
*Allocation of resources to NHS England and the commissioning sector: technical guide*,
pace-of-change policy: minimum growth for units above target, capped growth otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import numpy as np

from caremap.core.errors import ConfigError


def pounds_to_pence(pounds: float | Decimal | str) -> int:
    """Pounds (as written) to whole pence, rounding half away from zero."""
    d = Decimal(str(pounds)) * 100
    return int(d.to_integral_value(rounding="ROUND_HALF_UP"))


def split_pence(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` pence in proportion to ``weights``; the parts sum to ``total`` exactly."""
    if not isinstance(total, int | np.integer):
        raise ConfigError(f"total must be whole pence, got {total!r}")
    w = [Fraction(float(x)) for x in weights]
    if not w:
        if total:
            raise ConfigError("cannot split a non-zero total over nothing")
        return []
    if any(x < 0 for x in w):
        raise ConfigError("weights must not be negative")
    s = sum(w)
    if s == 0:
        raise ConfigError("weights sum to zero: nothing to split in proportion to")
    quotas = [Fraction(int(total)) * x / s for x in w]
    parts = [q.numerator // q.denominator for q in quotas]
    left = int(total) - sum(parts)
    order = sorted(range(len(w)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def pace_of_change(
    baseline_share: Sequence[float],
    target_share: Sequence[float],
    growth: float,
    min_growth: float,
    max_growth: float,
) -> np.ndarray:
    """Allocation shares moved from baseline towards target within growth limits.

    With overall growth g, unit i's allocation share a_i is kept within
    [b_i (1 + min_growth) / (1 + g), b_i (1 + max_growth) / (1 + g)] and otherwise set to
    s * t_i, with the scale s found by bisection so that the shares sum to 1. Units with
    no baseline get their target. Requires min_growth <= g <= max_growth.
    """
    b = np.asarray(baseline_share, dtype=float)
    t = np.asarray(target_share, dtype=float)
    if b.shape != t.shape:
        raise ConfigError("baseline and target shares differ in length")
    if not min_growth <= growth <= max_growth:
        raise ConfigError(
            f"pace of change needs min_growth <= growth <= max_growth "
            f"(got {min_growth} <= {growth} <= {max_growth})"
        )
    if b.sum() <= 0:
        return t / t.sum()
    b = b / b.sum()
    t = t / t.sum()
    lo = b * (1 + min_growth) / (1 + growth)
    hi = b * (1 + max_growth) / (1 + growth)
    new = b == 0
    lo[new] = hi[new] = np.nan

    def total(s: float) -> np.ndarray:
        a = np.where(new, t * s, np.clip(s * t, lo, hi))
        return a

    a_lo, a_hi = 0.0, 1.0
    while total(a_hi).sum() < 1.0:
        a_hi *= 2.0
        if a_hi > 1e12:
            raise ConfigError("pace of change cannot reach the total (check the limits)")
    for _ in range(200):
        mid = 0.5 * (a_lo + a_hi)
        if total(mid).sum() < 1.0:
            a_lo = mid
        else:
            a_hi = mid
    a = total(a_hi)
    return a / a.sum()

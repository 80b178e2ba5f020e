"""PHE's funnel plot limits and significance for proportions, ratios and rates.

Source: PHEindicatormethods (UKHSA/DHSC, R package 2.x) ``calculate_funnel_limits``,
``assign_funnel_significance`` and ``calculate_funnel_points``, which port the PHE/OHID
"Funnel plot" Excel tool. Proportions: Wilson-based limits by the closed form of the tool's
``sigma_adjustment`` (at 2 and 3 sigma: p = 0.975 and 0.999), capped at 0 and 100. Ratios and
rates: exact Poisson limits found by the tool's bisection on v = E / (1 + O + E) to 1e-7
(``poisson_funnel``), for observed counts along the axis. The axis: 100 points from the
rounded-down smallest denominator (0 when the largest is over twice the smallest) to the
rounded-up largest, geometrically spaced as the tool spaces them. Significance: "High/Low
(0.001)" beyond 3 sigma, "High/Low (0.025)" beyond 2 sigma, else "Not significant" (DSRs
with fewer than 10 events: not applicable).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from caremap.core.errors import InputError

Statistic = Literal["proportion", "ratio", "rate"]

HIGH3, HIGH2, LOW3, LOW2, NOT = (
    "High (0.001)",
    "High (0.025)",
    "Low (0.001)",
    "Low (0.025)",
    "Not significant",
)
NOT_APPLICABLE = "Not applicable for events less than 10 for dsrs"


def sigma_adjustment(p: float, population, average: float, side: str, multiplier: float):
    """The Excel tool's Wilson-based funnel limit for a proportion at normal quantile p."""
    n = np.asarray(population, dtype=float)
    z2 = float(stats.norm.ppf(p)) ** 2
    first = average * (n / z2 + 1)
    adj = np.sqrt(
        (-8 * average * (n / z2 + 1)) ** 2
        - 64 * (1 / z2 + 1 / n) * average * (n * (average * (n / z2 + 2) - 1) + z2 * (average - 1))
    )
    last = 1 / z2 + 1 / n
    out = (first - adj / 8) / last if side == "low" else (first + adj / 8) / last
    return out / n * multiplier


def _poisson_cis(z: float, xa: float, xb: float) -> float:
    """P(xa <= K <= xb), K ~ Poisson(z), summed term by term exactly as the tool does (to a
    relative 1e-10 of the total)."""
    q, tot, s, k = 1.0, 0.0, 0.0, 0
    while k <= z or q > tot * 1e-10:
        tot += q
        if xa <= k <= xb:
            s += q
        if tot > 1e30:
            s, tot, q = s / 1e30, tot / 1e30, q / 1e30
        k += 1
        q = q * z / k
    return s / tot


def poisson_funnel(obs: ArrayLike, p: float, side: str) -> np.ndarray:
    """The tool's bisection for the expected count E at which P(K >= O) (``side="low"``) or
    P(K <= O) (``"high"``) equals p, K ~ Poisson(E).

    Each step's probability comes from SciPy; where it is within 1e-6 (relative) of p, where
    the tool's own truncated sum could fall on the other side, the tool's sum decides, so the
    bisection takes the tool's every branch.
    """
    o = np.asarray(obs, dtype=float)
    v = np.full(o.shape, 0.5)
    dv = 0.5
    while dv > 1e-7:
        dv /= 2
        z = (1 + o) * v / (1 - v)
        prob = stats.poisson.sf(o - 1, z) if side == "low" else stats.poisson.cdf(o, z)
        close = np.abs(prob - p) < 1e-6 * p
        for i in np.flatnonzero(close):
            lo, hi = (o[i], 1e10) if side == "low" else (0.0, o[i])
            prob[i] = _poisson_cis(float(z[i]), lo, hi)
        go_down = prob > p if side == "low" else prob < p
        v = np.where(go_down, v - dv, v + dv)
    return (1 + o) * v / (1 - v)


def _r_nchar(x: float) -> int:
    """nchar() of a whole number as R prints it (scientific when that is shorter)."""
    digits = len(str(int(x)))
    s = str(int(x)).rstrip("0")
    sig = len(s) if s else 1
    sci = (1 if sig == 1 else sig + 1) + 4
    return sci if digits > sci else digits


def _signif_floor(x: float, down: float = 0.95) -> float:
    if x == 0:
        return 0.0
    n = _r_nchar(math.floor(x * down)) - 1
    return math.floor(x * down / 10**n) * 10**n


def _signif_ceiling(x: float, up: float = 1.05) -> float:
    if x == 0:
        return 0.0
    n = _r_nchar(math.ceil(x * up)) - 2
    return math.ceil(x * up / 10.0**n) * 10.0**n


def funnel_axis(lo: float, hi: float, statistic: Statistic) -> np.ndarray:
    """The tool's 100 axis points from ``lo`` to ``hi`` (already rounded)."""
    first = [max(1.0, lo)]
    for j in range(2, 101):
        offset = j - 1 if statistic == "ratio" else j
        prev = first[-1]
        first.append(max(round((hi / prev) ** (1 / (101 - offset)) * prev), prev + 1))
    return np.asarray(first, dtype=float)


def _derived_denominator(num, den, rate, rate_type: str, multiplier: float) -> np.ndarray:
    x = np.asarray(num, dtype=float)
    r = np.asarray(rate, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = multiplier * x / r
    if rate_type == "dsr":
        return np.where(x == 0, np.nan, derived)
    if den is None:
        if np.any(x == 0):
            raise InputError("records with 0 events need a denominator", field="denominator")
        return derived
    d = np.asarray(den, dtype=float)
    if np.any((x == 0) & ~(d > 0)):
        raise InputError("records with 0 events need a denominator", field="denominator")
    return np.where(x == 0, d, derived)


def funnel_limits(
    numerator: ArrayLike,
    denominator: ArrayLike | None = None,
    rate: ArrayLike | None = None,
    *,
    statistic: Statistic,
    multiplier: float,
    ratio_type: Literal["count", "isr"] = "isr",
    rate_type: Literal["dsr", "crude"] = "dsr",
    years_of_data: float = 1,
) -> pd.DataFrame:
    """The funnel's 2 and 3 sigma limits at 100 points along its axis (PHE tool)."""
    x = np.asarray(numerator, dtype=float)
    if np.isnan(x).any():
        raise InputError("numerators must be given for every record (0 when none)",
                         field="numerator")  # fmt: skip
    if statistic == "rate":
        if rate is None:
            raise InputError("rates need a rate column", field="rate")
        d = _derived_denominator(x, denominator, rate, rate_type, multiplier)
    else:
        if denominator is None:
            raise InputError(f"{statistic}s need a denominator", field="denominator")
        d = np.asarray(denominator, dtype=float)
        if np.isnan(d).any() or (d <= 0).any():
            raise InputError("denominators must be given and above zero", field="denominator")
    av = x.sum() / np.nansum(d)
    dmin, dmax = float(np.nanmin(d)), float(np.nanmax(d))
    yrs = years_of_data if statistic == "rate" else 1
    lo = 0.0 if dmax > 2 * dmin else _signif_floor(dmin / yrs) * yrs
    hi = _signif_ceiling(dmax / yrs) * yrs
    if statistic == "rate":
        lo, hi = math.floor(lo * av), math.ceil(hi * av)
    axis = funnel_axis(lo, hi, statistic)
    if statistic == "proportion":
        t = pd.DataFrame({"Population": axis})
        for k, p in (("2s", 0.975), ("3s", 0.999)):
            t[f"lower_{k}_limit"] = np.maximum(0, sigma_adjustment(p, axis, av, "low", multiplier))
            t[f"upper_{k}_limit"] = np.minimum(
                100, sigma_adjustment(p, axis, av, "high", multiplier)
            )
        t["baseline"] = av * multiplier
        return t[["Population", "lower_2s_limit", "upper_2s_limit", "lower_3s_limit",
                  "upper_3s_limit", "baseline"]]  # fmt: skip
    name = "Observed_events" if statistic == "ratio" else "Events"
    t = pd.DataFrame({name: axis})
    for k, p in (("2s", 0.025), ("3s", 0.001)):
        for side, tail in (("lower", "high"), ("upper", "low")):
            e = poisson_funnel(axis, p, tail)
            if statistic == "ratio":
                lim = axis / e
                t[f"{side}_{k}_exp_events"] = e
                t[f"{side}_{k}_limit"] = lim - 1 if ratio_type == "count" else lim * 100
            else:
                pop = e / av
                t[f"{side}_{k}_population_1_year"] = pop / yrs
                t[f"{side}_{k}_limit"] = axis / pop * multiplier
    if statistic == "rate":
        t["baseline"] = av * multiplier
    return t


def _ratio_test(obs: np.ndarray, expected: np.ndarray, p: float, side: str) -> np.ndarray:
    """The tool's limit on O / E at two-sided level p (exact below 10, Byar's above)."""
    z = float(stats.norm.ppf(0.5 + p / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        if side == "low":
            exact = stats.chi2.isf(0.5 + p / 2, 2 * obs) / 2
            a = obs
            byars = a * (1 - 1 / (9 * a) - z / 3 / np.sqrt(a)) ** 3
        else:
            exact = stats.chi2.ppf(0.5 + p / 2, 2 * obs + 2) / 2
            a = obs + 1
            byars = a * (1 - 1 / (9 * a) + z / 3 / np.sqrt(a)) ** 3
        stat = np.where(obs < 10, exact, byars)
        if side == "low":
            stat = np.where(obs == 0, 0.0, stat)
        return stat / expected


def funnel_significance(
    numerator: ArrayLike,
    denominator: ArrayLike | None = None,
    rate: ArrayLike | None = None,
    *,
    statistic: Statistic,
    rate_type: Literal["dsr", "crude"] = "dsr",
    multiplier: float = 1,
) -> np.ndarray:
    """Each record's significance against the funnel (PHE ``assign_funnel_significance``)."""
    x = np.asarray(numerator, dtype=float)
    if (x < 0).any():
        raise InputError("numerators must be 0 or more", field="numerator")
    if denominator is not None:
        dd = np.asarray(denominator, dtype=float)
        if (dd[~np.isnan(dd)] <= 0).any():
            raise InputError("denominators must be greater than zero", field="denominator")
    if statistic == "proportion":
        d = np.asarray(denominator, dtype=float)
        if (x > d).any():
            raise InputError("a numerator exceeds its denominator", field="numerator")
        av = x.sum() / d.sum()
        v = x / d
        conds = [
            v < sigma_adjustment(0.999, d, av, "low", 1),
            v < sigma_adjustment(0.975, d, av, "low", 1),
            v > sigma_adjustment(0.999, d, av, "high", 1),
            v > sigma_adjustment(0.975, d, av, "high", 1),
        ]
        return np.select(conds, [LOW3, LOW2, HIGH3, HIGH2], NOT).astype(object)
    if statistic == "ratio":
        e = np.asarray(denominator, dtype=float)
        ref = 1.0
    else:
        e = _derived_denominator(x, denominator, rate, rate_type, multiplier)
        ref = x.sum() / np.nansum(e)
    conds = [
        ref < _ratio_test(x, e, 0.998, "low"),
        ref < _ratio_test(x, e, 0.95, "low"),
        ref > _ratio_test(x, e, 0.998, "high"),
        ref > _ratio_test(x, e, 0.95, "high"),
    ]
    out = np.select(conds, [HIGH3, HIGH2, LOW3, LOW2], NOT).astype(object)
    if statistic == "rate" and rate_type == "dsr":
        out[x < 10] = NOT_APPLICABLE
    return out

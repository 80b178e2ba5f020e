"""Confidence intervals for public-health indicators, as Public Health England/OHID compute them.

Every function is vectorised over NumPy arrays (scalars work too) and follows the methods of
the Fingertips *Public Health Technical Guidance: Confidence intervals* (PHE, 2018) and the
PHEindicatormethods R package (Anderson et al., CRAN), so results agree with Fingertips:

* `wilson` - proportions: Wilson score interval (Wilson 1927; Newcombe & Altman 2000,
  *Statistics with confidence*, pp. 46-48).
* `byars` - a count of events: Byar's approximation to the Poisson limits (Breslow & Day
  1987, *Statistical methods in cancer research* vol. II), optionally exact below a threshold.
* `exact_poisson` - a count of events: exact Poisson limits through the chi-square (gamma)
  distribution (Technical Guidance appendix 2; Armitage & Berry 2002).
* `crude_rate` - events per population: Byar's limits, exact below 10 events.
* `dobson_dsr` - directly standardised rate with Dobson et al. (1991, *Stat Med* 10:457-62)
  limits built on Byar's limits for the total count; suppressed below 10 events, as PHE does.
* `isr` - indirectly standardised ratio (observed/expected): Byar's limits, exact below 10.
* `expected_events` - the expected count for an ISR from reference age-specific rates.

Confidence levels are given as 0.95 or 95 (PHE accepts both); z is the exact normal quantile
(1.959963985 for 95%, 3.090232306 for 99.8%), never the rounded 1.96.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaincinv, ndtri

from caremap.core.errors import InputError

__all__ = [
    "Interval",
    "byars",
    "crude_rate",
    "dobson_dsr",
    "exact_poisson",
    "expected_events",
    "isr",
    "normalise_confidence",
    "wilson",
    "z_value",
]


class Interval(NamedTuple):
    """A statistic with its lower and upper confidence limits (NumPy arrays or floats)."""

    value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def normalise_confidence(conf: float) -> float:
    """Accept 0.95 or 95 style confidence levels; return a fraction in (0, 1)."""
    c = float(conf)
    if 50.0 <= c < 100.0:
        c = c / 100.0
    if not 0.5 <= c < 1.0:
        raise InputError(
            f"confidence level must be between 0.5 and 1 (or 50 and 100), got {conf!r}",
            field="confidence",
        )
    return c


def z_value(conf: float) -> float:
    """The two-sided standard normal quantile for confidence ``conf`` (0.95 -> 1.95996...)."""
    c = normalise_confidence(conf)
    return float(ndtri(c + (1.0 - c) / 2.0))


def _counts(x: ArrayLike, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if np.any(a[~np.isnan(a)] < 0):
        raise InputError(f"{name} must all be greater than or equal to zero", field=name)
    return a


def as_output(a: np.ndarray):
    """A scalar for a 0-d array, the array otherwise (so scalar inputs give scalar results)."""
    return a.item() if a.ndim == 0 else a


def wilson(x: ArrayLike, n: ArrayLike, conf: float = 0.95) -> tuple:
    """Wilson score limits for the proportion ``x / n`` (Wilson 1927; Newcombe & Altman 2000).

    lower, upper = (2x + z^2 -/+ z * sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2)).
    Returns ``(lower, upper)`` as fractions (multiply by 100 for a percentage).
    """
    x = _counts(x, "numerator")
    n = np.asarray(n, dtype=float)
    if np.any(n[~np.isnan(n)] <= 0):
        raise InputError("denominators must all be greater than zero", field="denominator")
    if np.any(x > n):
        raise InputError(
            "numerators must be less than or equal to denominators for a proportion",
            field="numerator",
        )
    z = z_value(conf)
    root = z * np.sqrt(z * z + 4.0 * x * (1.0 - x / n))
    denom = 2.0 * (n + z * z)
    lower = (2.0 * x + z * z - root) / denom
    upper = (2.0 * x + z * z + root) / denom
    return as_output(np.clip(lower, 0.0, 1.0)), as_output(np.clip(upper, 0.0, 1.0))


def exact_poisson(o: ArrayLike, conf: float = 0.95) -> tuple:
    """Exact Poisson limits on an observed count ``o`` (Technical Guidance appendix 2).

    lower = chi2_inv((1 - conf)/2, 2o) / 2 (0 when o = 0); upper = chi2_inv(1 - (1 - conf)/2,
    2o + 2) / 2. Computed as inverse regularised gamma functions, which equal these exactly.
    """
    o = _counts(o, "observed")
    c = normalise_confidence(conf)
    alpha = 1.0 - c
    with np.errstate(invalid="ignore"):
        lower = np.where(o > 0, gammaincinv(np.where(o > 0, o, 1.0), alpha / 2.0), 0.0)
        upper = gammaincinv(o + 1.0, 1.0 - alpha / 2.0)
    lower = np.where(np.isnan(o), np.nan, lower)
    return as_output(np.asarray(lower)), as_output(np.asarray(upper))


def byars(o: ArrayLike, conf: float = 0.95, exact_below: float = 0) -> tuple:
    """Byar's limits on an observed count ``o`` (Breslow & Day 1987; Technical Guidance app. 1).

    lower = o (1 - 1/(9o) - z/(3 sqrt o))^3; upper = (o+1)(1 - 1/(9(o+1)) + z/(3 sqrt(o+1)))^3.
    Counts below ``exact_below`` (PHE uses 10 for rates and ratios) use `exact_poisson`
    instead; a lower limit of zero events is 0.
    """
    o = _counts(o, "observed")
    z = z_value(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = o * (1.0 - 1.0 / (9.0 * o) - z / (3.0 * np.sqrt(o))) ** 3
        o1 = o + 1.0
        upper = o1 * (1.0 - 1.0 / (9.0 * o1) + z / (3.0 * np.sqrt(o1))) ** 3
    lower = np.where(o == 0, 0.0, np.maximum(lower, 0.0))
    lower = np.where(np.isnan(o), np.nan, lower)
    if exact_below:
        small = o < exact_below
        if np.any(small):
            el, eu = exact_poisson(np.where(small, o, 0.0), conf)
            lower = np.where(small, el, lower)
            upper = np.where(small, eu, upper)
    return as_output(np.asarray(lower)), as_output(np.asarray(upper))


def crude_rate(
    o: ArrayLike,
    population: ArrayLike,
    conf: float = 0.95,
    multiplier: float = 100_000,
    exact_below: float = 10,
) -> Interval:
    """Crude rate ``o / population * multiplier`` with Byar's limits, exact below 10 events
    (PHEindicatormethods ``phe_rate``; Technical Guidance appendices 1-2)."""
    return _count_over(o, population, multiplier, conf, exact_below, "population", "populations")


def _count_over(
    o: ArrayLike,
    denominator: ArrayLike,
    scale: float,
    conf: float,
    exact_below: float,
    field: str,
    what: str,
) -> Interval:
    """``o / denominator * scale`` with Byar's (or exact) limits on the count."""
    o = _counts(o, "observed")
    d = np.asarray(denominator, dtype=float)
    if np.any(d[~np.isnan(d)] <= 0):
        raise InputError(f"{what} must all be greater than zero", field=field)
    lo, hi = byars(o, conf, exact_below=exact_below)
    return Interval(
        as_output(o / d * scale),
        as_output(np.asarray(lo) / d * scale),
        as_output(np.asarray(hi) / d * scale),
    )


def dobson_dsr(
    counts_by_band: ArrayLike,
    pops_by_band: ArrayLike,
    std_pops_by_band: ArrayLike,
    conf: float = 0.95,
    multiplier: float = 100_000,
    suppress_below: float = 10,
) -> Interval:
    """Directly standardised rates with Dobson limits (Dobson et al. 1991; PHE DSR method).

    ``counts_by_band`` and ``pops_by_band`` are (areas x bands) arrays (or 1-D for one area);
    ``std_pops_by_band`` the standard population per band (ESP 2013: 19 bands), or an
    (areas x bands) array when areas are standardised over different bands. With
    w_i = std_i / sum(std), DSR = sum(w_i O_i / n_i); var = sum(O_i (std_i / n_i)^2) / sum(std)^2;
    limits = DSR + sqrt(var / O) (O_limit - O), O_limit being Byar's limits on the total O.
    Areas with fewer than ``suppress_below`` events (PHE: 10) get NaN value and limits,
    because a DSR on so few events is unreliable. A band with no population contributes
    nothing if it has no events; events on a zero population are an error.
    """
    x = _counts(counts_by_band, "observed")
    n = np.asarray(pops_by_band, dtype=float)
    std = np.asarray(std_pops_by_band, dtype=float)
    if x.shape != n.shape:
        raise InputError(
            f"counts {x.shape} and populations {n.shape} differ in shape", field="population"
        )
    if x.shape[-1] != std.shape[-1]:
        raise InputError(
            f"{x.shape[-1]} age bands in the data but {std.shape[-1]} in the standard population",
            field="age_band",
        )
    if np.any(n < 0) or np.any(np.isnan(n)):
        raise InputError("populations must be present and not negative", field="population")
    if np.any((n == 0) & (x > 0)):
        raise InputError("events recorded on a zero population", field="population")
    if np.any(std < 0):
        raise InputError("standard populations must not be negative", field="standard_population")
    x = np.nan_to_num(x)
    safe_n = np.where(n > 0, n, 1.0)
    total_std = std.sum(axis=-1)
    ratio = std / safe_n
    value = (x * ratio).sum(axis=-1) / total_std
    var = (x * ratio**2).sum(axis=-1) / total_std**2
    total = x.sum(axis=-1)
    lo, hi = byars(total, conf, exact_below=10)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_per_event = np.sqrt(var / total)
        lower = value + se_per_event * (np.asarray(lo) - total)
        upper = value + se_per_event * (np.asarray(hi) - total)
    suppressed = total < suppress_below
    nan = np.nan
    return Interval(
        as_output(np.where(suppressed, nan, value * multiplier)),
        as_output(np.where(suppressed, nan, lower * multiplier)),
        as_output(np.where(suppressed, nan, upper * multiplier)),
    )


def expected_events(
    pops_by_band: ArrayLike, ref_counts_by_band: ArrayLike, ref_pops_by_band: ArrayLike
) -> np.ndarray:
    """Expected events: sum over bands of population x reference rate (indirect standardisation)."""
    n = np.asarray(pops_by_band, dtype=float)
    rc = _counts(ref_counts_by_band, "reference observed")
    rp = np.asarray(ref_pops_by_band, dtype=float)
    if np.any(rp <= 0):
        raise InputError("reference populations must be greater than zero", field="population")
    return as_output(np.asarray((n * (rc / rp)).sum(axis=-1)))


def isr(
    observed: ArrayLike,
    expected: ArrayLike,
    conf: float = 0.95,
    exact_below: float = 10,
    reference: float = 1.0,
) -> Interval:
    """Indirectly standardised ratio observed/expected x ``reference`` with Byar's limits,
    exact Poisson below 10 events (PHEindicatormethods ``calculate_ISRatio``; Technical
    Guidance appendices 1-2). Use ``reference=100`` for an SMR-style figure, or the reference
    crude rate to get an indirectly standardised rate."""
    return _count_over(
        observed, expected, reference, conf, exact_below, "expected", "expected events"
    )

"""Slope and relative index of inequality (SII, RII) with PHE's simulation limits.

Sources: PHEindicatormethods (UKHSA/DHSC, R package 2.x) ``phe_sii`` and its worked-example
vignette; Low A. & Low A. (2004) "Measuring the gap: quantifying and comparing local health
inequalities", *J Public Health* 26:388-95 (the regression); Fingertips *Public Health
Technical Guidance*, SII chapter.

Each quantile i (ordered from most to least deprived, as the quantile numbers are given)
has a population share a_i and the midpoint b_i of its cumulative share. The model
sqrt(a_i) y_i = c sqrt(a_i) + s b_i sqrt(a_i) is fitted by least squares: SII = s x
multiplier, RII = (c + s) / c (inverted for a negative multiplier). Limits by simulation:
each quantile's value is drawn from Normal(value, SE) (on the log scale for rates,
value_type 1, and the logit scale for proportions, value_type 2; SE from the limits as
(upper - lower) / (2 x 1.96) on that scale when not given), the model refitted, and the
``round(reps x (1-c)/2)``-th and ``round(reps x (1+c)/2)``-th of the sorted results taken.
With ``transform=True`` the regression runs on the log/logit scale and SII, RII and their
limits are transformed back as PHE does. Draws come from NumPy's generator seeded with
``seed``, so a result is reproducible (R's draws differ; limits agree within simulation
error, which PHE's own test allows as a 5% mean relative difference).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit, logit, ndtri

from caremap.core.errors import InputError
from caremap.core.stats.intervals import normalise_confidence

ValueType = Literal[0, 1, 2]


@dataclass(frozen=True)
class SIIResult:
    """SII, RII and intercept with limits per confidence level ({conf: (lower, upper)})."""

    sii: float
    rii: float
    intercept: float
    sii_limits: dict[float, tuple[float, float]] = field(default_factory=dict)
    rii_limits: dict[float, tuple[float, float]] = field(default_factory=dict)


def _midpoints(pop: np.ndarray) -> np.ndarray:
    share = pop / pop.sum()
    cum = np.cumsum(share)
    return share / 2 + np.concatenate(([0.0], cum[:-1]))


def _forward(v: np.ndarray, value_type: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(v) if value_type == 1 else logit(v) if value_type == 2 else v


def _back(v: np.ndarray, value_type: int) -> np.ndarray:
    return np.exp(v) if value_type == 1 else expit(v) if value_type == 2 else v


def _check(area: str, **cols: np.ndarray | None) -> None:
    where = f"area {area!r}, " if area else ""
    q = cols.pop("quantile")
    for name, v in cols.items():
        if v is None:
            continue
        bad = np.isnan(v) if name != "population" else np.isnan(v) | (v <= 0)
        if name == "se":
            bad = bad | (v < 0)
        if bad.any():
            i = int(np.argmax(bad))
            what = "greater than zero" if name == "population" else "present (and >= 0)"
            raise InputError(f"{where}quantile {q[i]:g}: {name} must be {what}", field=name)


def sii(
    quantile: ArrayLike,
    population: ArrayLike,
    value: ArrayLike | None = None,
    *,
    se: ArrayLike | None = None,
    lower: ArrayLike | None = None,
    upper: ArrayLike | None = None,
    x: ArrayLike | None = None,
    value_type: ValueType = 0,
    transform: bool = False,
    multiplier: float = 1.0,
    repetitions: int = 100_000,
    confidence: tuple[float, ...] = (0.95,),
    seed: int = 0,
    area: str = "",
) -> SIIResult:
    """SII and RII for one area from one row per quantile (PHE ``phe_sii``)."""
    where = f"area {area!r}: " if area else ""
    q = np.asarray(quantile, dtype=float)
    order = np.argsort(q, kind="stable")

    def arr(a):
        return None if a is None else np.asarray(a, dtype=float)[order]

    q, pop = q[order], arr(population)
    v, s, lo, hi, xx = arr(value), arr(se), arr(lower), arr(upper), arr(x)
    if value_type not in (0, 1, 2):
        raise InputError("value_type must be 0 (normal), 1 (rate) or 2 (proportion)")
    if repetitions < 1000:
        raise InputError("at least 1,000 repetitions are needed", field="repetitions")
    if not 5 <= len(np.unique(q)) <= 100 or len(np.unique(q)) != len(q):
        raise InputError(f"{where}one row for each of 5 to 100 quantiles is needed (got "
                         f"{len(q)} rows, {len(np.unique(q))} quantiles)", field="quantile")  # fmt: skip
    if v is None:
        if value_type != 2 or xx is None:
            raise InputError(f"{where}a value is needed (or a count for a proportion)")
        v = xx / pop
    if s is None and (lo is None or hi is None):
        raise InputError(f"{where}a standard error or both confidence limits are needed")
    if transform and (value_type == 0 or lo is None or hi is None or se is not None):
        raise InputError("transform needs a rate or proportion with limits and no SE")
    _check(area, quantile=q, population=pop, value=v, se=s, lower=lo, upper=hi)
    if value_type == 2:
        for name, a in (("value", v), ("lower", lo), ("upper", hi)):
            if a is not None and ((a < 0) | (a > 1)).any():
                raise InputError(f"{where}proportions must be between 0 and 1", field=name)
    confs = tuple(normalise_confidence(c) for c in confidence)
    tv = _forward(v, value_type)
    if s is None:
        s = (_forward(hi, value_type) - _forward(lo, value_type)) / float(ndtri(0.975)) / 2
    a = pop / pop.sum()
    sqrt_a = np.sqrt(a)
    design = np.column_stack([sqrt_a, _midpoints(pop) * sqrt_a])
    y = sqrt_a * (tv if transform else _back(tv, value_type))
    c, slope = np.linalg.lstsq(design, y, rcond=None)[0]
    # Simulation: the same least-squares solve for every draw at once.
    rng = np.random.default_rng(seed)
    draws = rng.normal(tv, s, size=(repetitions, len(tv)))
    if not transform:
        draws = _back(draws, value_type)
    solve = np.linalg.solve(design.T @ design, design.T)
    params = (draws * sqrt_a) @ solve.T
    c_sim, s_sim = params[:, 0], params[:, 1]
    sorted_s = np.sort(s_sim if transform else s_sim * multiplier)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_sim = (s_sim + c_sim) / c_sim
    if multiplier < 0 and not transform:
        r_sim = 1 / r_sim
    sorted_r = np.sort(r_sim)

    def pick(sorted_values: np.ndarray, conf: float) -> tuple[float, float]:
        cv = conf + (1 - conf) / 2
        i_lo, i_hi = round(repetitions * (1 - cv)), round(repetitions * cv)
        return float(sorted_values[i_lo - 1]), float(sorted_values[i_hi - 1])

    if not transform:
        rii = (c + slope) / c
        return SIIResult(
            float(slope * multiplier),
            float(1 / rii if multiplier < 0 else rii),
            float(c),
            {cf: pick(sorted_s, cf) for cf in confs},
            {cf: pick(sorted_r, cf) for cf in confs},
        )
    back = np.exp if value_type == 1 else expit
    x1 = c + slope
    half = (c + x1) / 2
    b_int, b_x1 = back(c), back(x1)
    rii = b_x1 / b_int
    flip = multiplier < 1 if value_type == 1 else multiplier < 0
    sii_l, rii_l = {}, {}
    for cf in confs:
        s_lo, s_hi = pick(sorted_s, cf)
        int_l, int_u = back(half - s_lo / 2), back(half - s_hi / 2)
        x1_l, x1_u = back(half + s_lo / 2), back(half + s_hi / 2)
        if flip:
            sii_l[cf] = ((x1_u - int_u) * multiplier, (x1_l - int_l) * multiplier)
        else:
            sii_l[cf] = ((x1_l - int_l) * multiplier, (x1_u - int_u) * multiplier)
        # PHE's RII flip for transformed values is on the sign of the multiplier.
        if multiplier < (1 if value_type == 1 else 0):
            rii_l[cf] = (1 / (x1_u / int_u), 1 / (x1_l / int_l))
        else:
            rii_l[cf] = (x1_l / int_l, x1_u / int_u)
    return SIIResult(
        float((b_x1 - b_int) * multiplier),
        float(1 / rii if multiplier < 0 else rii),
        float(b_int * abs(multiplier)),
        {k: (float(a_), float(b_)) for k, (a_, b_) in sii_l.items()},
        {k: (float(a_), float(b_)) for k, (a_, b_) in rii_l.items()},
    )

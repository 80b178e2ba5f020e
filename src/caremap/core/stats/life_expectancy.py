"""Life expectancy by Chiang's method II with Silcocks' confidence limits, as PHE computes it.

Sources: Chiang C.L. (1984) *The life table and its applications* (abridged life table,
method II); Silcocks P.B.S., Jenner D.A., Reza R. (2001) "Life expectancy as a summary of
mortality in a population: statistical considerations and suitability for use by health
authorities", *J Epidemiol Community Health* 55:38-43 (the variance); PHEindicatormethods
(UKHSA/DHSC, R package 2.x) ``phe_life_expectancy`` and the Fingertips *Public Health
Technical Guidance* life expectancy chapter (the bands and checks below).

Twenty bands starting 0, 1, 5, 10, ..., 90 (under 1, 1-4, five-year bands, 90+); a_0 = 0.1,
a_i = 0.5 otherwise; the last band's width is 2 / M. PHE's checks, per area: a negative death
count, a population of zero or less, more deaths than population or a missing band are
errors here (PHE suppresses them with a warning; caremap refuses bad input, naming the area,
band and field); a total population of 5,000 or less and a 95% interval wider than 20 years
(z_0.975 x SE > 10) are suppressed to NaN with a note, as PHE does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtri

from caremap.core.errors import InputError
from caremap.core.stats.intervals import z_value

LE_AGE_FROM: tuple[int, ...] = (0, 1, *range(5, 95, 5))
LE_LABELS: tuple[str, ...] = ("0", "1-4", *(f"{a}-{a + 4}" for a in range(5, 90, 5)), "90+")
MIN_POPULATION = 5000
MAX_HALF_WIDTH = 10.0


def le_band_start(label: object) -> int:
    """The start age of a life-table band label ('0', '<1', '1-4', '10 – 14', '90 +', 45)."""
    text = str(label).strip()
    if text in ("<1", "under 1"):
        return 0
    m = re.match(r"\D*(\d+)", text)
    if not m:
        raise InputError(f"cannot read an age from band {text!r}", field="age_band")
    return int(m.group(1))


@dataclass(frozen=True)
class LifeTable:
    """Life expectancy at the start of each band, its limits and the counts behind it."""

    start_age: np.ndarray
    value: np.ndarray
    lower: dict[float, np.ndarray]
    upper: dict[float, np.ndarray]
    se: np.ndarray
    pops_used: np.ndarray
    deaths_used: np.ndarray
    note: str | None


def life_expectancy(
    deaths: ArrayLike,
    population: ArrayLike,
    start_age: Sequence[object] = LE_AGE_FROM,
    *,
    confidence: Sequence[float] = (0.95,),
    area: str = "",
) -> LifeTable:
    """Chiang II life table for one area: 20 bands of deaths and populations (any order)."""
    where = f"area {area!r}, " if area else ""
    starts = np.array([le_band_start(a) for a in start_age])
    d = np.asarray(deaths, dtype=float)
    n = np.asarray(population, dtype=float)
    if not (len(d) == len(n) == len(starts)):
        raise InputError(f"{where}deaths, populations and bands differ in length")
    got = sorted(starts.tolist())
    if got != list(LE_AGE_FROM):
        missing = [LE_LABELS[i] for i, a in enumerate(LE_AGE_FROM) if a not in got]
        extra = sorted(
            {a for a in got if a not in LE_AGE_FROM} | {a for a in got if got.count(a) > 1}
        )
        what = (
            f"missing band {missing[0]!r}" if missing else f"unexpected or repeated band {extra[0]}"
        )
        raise InputError(
            f"{where}{what}: life expectancy needs the 20 bands {', '.join(LE_LABELS)} "
            "(a 90+ band included)",
            field="age_band",
        )
    order = np.argsort(starts, kind="stable")
    starts, d, n = starts[order], d[order], n[order]
    for i in range(len(d)):
        band = LE_LABELS[i]
        if np.isnan(d[i]) or d[i] < 0:
            raise InputError(f"{where}band {band}: deaths must be 0 or more", field="deaths")
        if np.isnan(n[i]) or n[i] <= 0:
            raise InputError(
                f"{where}band {band}: population must be greater than zero", field="population"
            )
        if d[i] > n[i]:
            raise InputError(f"{where}band {band}: more deaths than population", field="deaths")
    pops_used = np.cumsum(n[::-1])[::-1]
    deaths_used = np.cumsum(d[::-1])[::-1]
    confs = [float(c) for c in confidence]
    nan = np.full(len(d), np.nan)
    if n.sum() <= MIN_POPULATION:
        note = f"suppressed: total population {n.sum():g} is 5,000 or less"
        return LifeTable(starts, nan, dict.fromkeys(confs, nan), dict.fromkeys(confs, nan),
                         nan, pops_used, deaths_used, note)  # fmt: skip
    k = len(d)
    m = d / n
    a = np.where(starts == 0, 0.1, 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        width = np.append(np.diff(starts).astype(float), 2.0 / m[-1])
        q = np.where(d <= n / width / a, m * width / (1.0 + m * width * (1.0 - a)), 1.0)
        p = 1.0 - q
        l = 1e5 * np.concatenate(([1.0], np.cumprod(p[:-1])))  # noqa: E741
        dl = l - np.append(l[1:], 0.0)
        big_l = np.empty(k)
        big_l[:-1] = width[:-1] * (l[1:] + a[:-1] * dl[:-1])
        big_l[-1] = l[-1] / m[-1]
        t = np.cumsum(big_l[::-1])[::-1]
        e = np.where(l == 0, 0.0, t / l)
        sp = np.where(dl == 0, 0.0, q**2 * (1.0 - q) / d)
        sp[-1] = 4.0 / (d[-1] * m[-1] ** 2)
        w = np.empty(k)
        w[:-1] = sp[:-1] * l[:-1] ** 2 * ((1.0 - a[:-1]) * width[:-1] + e[1:]) ** 2
        w[-1] = (l[-1] / 2.0) ** 2 * sp[-1]
        se = np.sqrt(np.cumsum(w[::-1])[::-1] / l**2)
    lower = {c: e - z_value(c) * se for c in confs}
    upper = {c: e + z_value(c) * se for c in confs}
    wide = float(ndtri(0.975)) * se > MAX_HALF_WIDTH
    value = np.where(wide | ~np.isfinite(e), np.nan, e)
    note = None
    if wide.any():
        first = LE_LABELS[int(np.argmax(wide))]
        note = f"suppressed from band {first}: 95% interval wider than 20 years"
    return LifeTable(starts, value, lower, upper, se, pops_used, deaths_used, note)


def life_expectancy_table(
    df,
    *,
    area: str,
    deaths: str,
    population: str,
    age_band: str,
    confidence: Sequence[float] = (0.95,),
    le_age: Sequence[int] | None = None,
):
    """`life_expectancy` for every area of a long table (one row per area and band).

    Returns one row per area and start age (only the ages in ``le_age`` if given) with
    value, lower/upper limits per confidence level, pops_used, deaths_used and note.
    """
    import pandas as pd

    out = []
    for key, g in df.groupby(area, sort=True):
        r = life_expectancy(
            g[deaths].to_numpy(float),
            g[population].to_numpy(float),
            g[age_band].tolist(),
            confidence=confidence,
            area=str(key),
        )
        t = pd.DataFrame({area: key, "start_age": r.start_age, "value": r.value})
        for c in r.lower:
            lab = f"{c * 100:.1f}".replace(".", "_").removesuffix("_0")
            t[f"lower{lab}cl"] = r.lower[c]
            t[f"upper{lab}cl"] = r.upper[c]
        t["pops_used"], t["deaths_used"], t["note"] = r.pops_used, r.deaths_used, r.note
        out.append(t if le_age is None else t[t["start_age"].isin(list(le_age))])
    return pd.concat(out, ignore_index=True)

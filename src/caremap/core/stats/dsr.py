"""Directly standardised rates on any standard population, and for non-independent events.

Sources:

* PHEindicatormethods (UKHSA/DHSC, R package, version 2.x) ``calculate_dsr``: the standard
  population is a column of the data, so any number of bands works; the bands are matched to
  the standard *by order* (the package's own ESP 1976 test sheet has a band mislabelled
  ``55-69``). Here a standard is also matched *by label* when labels are given.
* Dobson A. et al. (1991) "Confidence intervals for weighted sums of Poisson parameters",
  *Stat Med* 10:457-62 (the limits; `caremap.core.stats.intervals.dobson_dsr`).
* Fingertips *Public Health Technical Guidance*, DSR chapter, "non-independent events"
  (PHEindicatormethods 2.0): when one person can have several events, the variance of the DSR
  is var = sum_f f^2 var_f, var_f being the Dobson variance of the persons with f events.
* European Standard Population 1976 (Waterhouse J. et al., *Cancer incidence in five
  continents* vol. III, IARC 1976): 18 bands, 0-4 to 85+, summing to 100,000.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from caremap.core.errors import InputError
from caremap.core.stats.intervals import Interval, as_output, byars, normalise_confidence
from caremap.core.stats.standard_population import ESP2013, ESP2013_LABELS

Match = Literal["label", "order"]

ESP1976_LABELS: tuple[str, ...] = (*(f"{a}-{a + 4}" for a in range(0, 85, 5)), "85+")
ESP1976: tuple[int, ...] = (8000,) + (7000,) * 10 + (6000, 5000, 4000, 3000, 2000, 1000, 1000)


def band_key(label: object) -> str:
    """A band label in a canonical form for matching: '00-04', '0 – 4', '0 to 4' -> '0-4';
    '90 +', '90 and over' -> '90+'."""
    t = str(label).strip().lower().replace("\u2013", "-").replace("\u2014", "-")
    t = re.sub(r"\s*(-|to)\s*", "-", t)
    t = re.sub(r"\s*(\+|plus|and over)$", "+", t)
    t = re.sub(r"\s+", "", t)
    return re.sub(r"(?<!\d)0+(\d)", r"\1", t)


@dataclass(frozen=True)
class StandardPopulation:
    """A standard population: band labels (in age order) and their populations."""

    name: str
    labels: tuple[str, ...]
    populations: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.labels) != len(self.populations):
            raise InputError(
                f"standard population {self.name!r} has {len(self.labels)} labels but "
                f"{len(self.populations)} populations",
                field="standard_population",
            )
        keys = [band_key(x) for x in self.labels]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise InputError(
                f"standard population {self.name!r} repeats band {dup[0]!r}",
                field="age_band",
            )
        for lab, p in zip(self.labels, self.populations, strict=True):
            if not np.isfinite(p) or p < 0:
                raise InputError(
                    f"standard population {self.name!r}, band {lab!r}: {p!r} is not a number >= 0",
                    field="standard_population",
                )

    @property
    def weights(self) -> np.ndarray:
        return np.asarray(self.populations, dtype=float)

    def align(
        self, bands: Sequence[object], *, match: Match = "label", area: str = ""
    ) -> list[int]:
        """Positions in this standard of an area's ``bands`` (its rows, in order).

        ``match="label"``: each band must be one of the standard's labels (compared by
        `band_key`), once. ``match="order"``: the area must have exactly as many rows as the
        standard has bands, taken in order, whatever their labels. Raises `InputError` naming
        the area, the band and the field otherwise.
        """
        where = f"area {area!r}: " if area else ""
        if match == "order":
            if len(bands) != len(self.labels):
                raise InputError(
                    f"{where}{len(bands)} age bands but the standard population "
                    f"{self.name!r} has {len(self.labels)} (matching by order)",
                    field="age_band",
                )
            return list(range(len(bands)))
        index = {band_key(x): i for i, x in enumerate(self.labels)}
        pos: list[int] = []
        for b in bands:
            i = index.get(band_key(b))
            if i is None:
                raise InputError(
                    f"{where}age band {str(b)!r} is not in the standard population "
                    f"{self.name!r} ({', '.join(self.labels)}); match by order if the "
                    "bands are the same but labelled differently",
                    field="age_band",
                )
            if i in pos:
                raise InputError(f"{where}age band {str(b)!r} appears twice", field="age_band")
            pos.append(i)
        return pos


ESP2013_STANDARD = StandardPopulation("ESP 2013", ESP2013_LABELS, tuple(map(float, ESP2013)))
ESP1976_STANDARD = StandardPopulation("ESP 1976", ESP1976_LABELS, tuple(map(float, ESP1976)))


def _dobson_limits(
    value: np.ndarray, var: np.ndarray, total: np.ndarray, conf: float, multiplier: float
) -> tuple[np.ndarray, np.ndarray]:
    """DSR + sqrt(var / O) (O_limit - O), O_limit Byar's limits on the total count O."""
    lo, hi = byars(total, normalise_confidence(conf))
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(var / total)
        lower = value + se * (np.asarray(lo) - total) * multiplier
        upper = value + se * (np.asarray(hi) - total) * multiplier
    return lower, upper


def dsr_nonindependent(
    persons_by_frequency: ArrayLike,
    frequencies: ArrayLike,
    pops_by_band: ArrayLike,
    std_pops_by_band: ArrayLike,
    conf: float = 0.95,
    multiplier: float = 100_000,
    suppress_below: float = 10,
) -> Interval:
    """DSR with limits adjusted for non-independent events (PHEindicatormethods 2.x).

    ``persons_by_frequency`` is (frequencies x areas x bands): the number of people with
    exactly f events (NaN counts as 0); ``frequencies`` the f of each slice; populations and
    standard populations are (areas x bands) or (bands). Events O = sum f x persons; the DSR
    is that of O; var = sum_f f^2 sum(persons_f (std/n)^2) / sum(std)^2. Suppressed (NaN)
    below ``suppress_below`` events, as PHE does.
    """
    p = np.nan_to_num(np.asarray(persons_by_frequency, dtype=float))
    f = np.asarray(frequencies, dtype=float)
    n = np.asarray(pops_by_band, dtype=float)
    std = np.asarray(std_pops_by_band, dtype=float)
    if p.ndim < 2 or p.shape[0] != f.shape[0]:
        raise InputError("one slice of persons per event frequency is needed", field="frequency")
    if np.any(p < 0):
        raise InputError("persons must all be greater than or equal to zero", field="persons")
    if np.any(f < 1) or np.any(f != np.round(f)):
        raise InputError("event frequencies must be whole numbers of 1 or more", field="frequency")
    if np.any(~(n > 0)):
        raise InputError("populations must all be greater than zero", field="population")
    if p.shape[-1] != std.shape[-1]:
        raise InputError(
            f"{p.shape[-1]} age bands in the data but {std.shape[-1]} in the standard population",
            field="age_band",
        )
    fb = f.reshape((-1,) + (1,) * (p.ndim - 1))
    events = (fb * p).sum(axis=0)
    total_std = std.sum(axis=-1)
    ratio = std / n
    value = (events * ratio).sum(axis=-1) / total_std * multiplier
    var_f = (p * ratio**2).sum(axis=-1) / total_std**2
    var = (f.reshape((-1,) + (1,) * (var_f.ndim - 1)) ** 2 * var_f).sum(axis=0)
    total = events.sum(axis=-1)
    lower, upper = _dobson_limits(value, var, total, conf, multiplier)
    small = total < suppress_below
    return Interval(
        as_output(np.where(small, np.nan, value)),
        as_output(np.where(small, np.nan, lower)),
        as_output(np.where(small, np.nan, upper)),
    )

"""Means with confidence limits from Student's t distribution, as PHE computes them.

Source: PHEindicatormethods (UKHSA/DHSC, R package 2.x) ``phe_mean``; Fingertips *Public
Health Technical Guidance*, means chapter: mean +/- t_{(1+c)/2, n-1} x s / sqrt(n), s the
sample standard deviation (divisor n - 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from caremap.core.errors import InputError
from caremap.core.stats.intervals import normalise_confidence


@dataclass(frozen=True)
class MeanResult:
    value_sum: float
    value_count: int
    stdev: float
    value: float
    lower: float
    upper: float


def mean_ci(values: ArrayLike, conf: float = 0.95, *, area: str = "") -> MeanResult:
    """The mean of ``values`` with Student's t limits (PHE ``phe_mean``)."""
    x = np.asarray(values, dtype=float)
    where = f"area {area!r}: " if area else ""
    if np.isnan(x).any():
        raise InputError(f"{where}a value is missing", field="value")
    if len(x) < 2:
        raise InputError(f"{where}a mean's interval needs at least 2 values", field="value")
    c = normalise_confidence(conf)
    n = len(x)
    sd = float(np.std(x, ddof=1))
    mean = float(x.sum() / n)
    half = abs(float(stats.t.ppf((1 - c) / 2, n - 1))) * sd / np.sqrt(n)
    return MeanResult(float(x.sum()), n, sd, mean, mean - half, mean + half)

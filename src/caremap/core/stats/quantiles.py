"""Quantiles (deciles, quintiles, ...) of areas by value, as PHE assigns them.

Source: PHEindicatormethods (UKHSA/DHSC, R package 2.x) ``phe_quantile`` (the method of
Fingertips' area quantiles): with N areas that have a value and rank r (ties share the lowest
rank; rank 1 = lowest value, or highest when ``invert``), quantile = floor((q + 1) -
ceiling((N + 1 - r) / (N / q))), 0 becoming 1. With fewer areas than quantiles, none is
assigned (NaN). ``invert=True`` (PHE's default) makes quantile 1 hold the *highest* values:
use it when low is good (e.g. mortality), so quantile 1 is the worst; ``invert=False`` when
high is good, or for deprivation scores where quantile 1 should be the least deprived.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata

from caremap.core.errors import InputError

NAMES = {2: "half", 3: "tertile", 4: "quartile", 5: "quintile", 6: "sextile", 7: "septile",
         8: "octile", 10: "decile", 12: "duo-decile", 16: "hexadecile", 20: "ventile"}  # fmt: skip


def quantiles(values: ArrayLike, nquantiles: int = 10, *, invert: bool = True) -> np.ndarray:
    """The quantile (1..q, float; NaN where the value is missing) of each value."""
    if int(nquantiles) != nquantiles or nquantiles < 2:
        raise InputError("the number of quantiles must be a whole number of 2 or more",
                         field="nquantiles")  # fmt: skip
    if invert not in (True, False):
        raise InputError("invert (polarity) must be true or false", field="invert")
    v = np.asarray(values, dtype=float)
    ok = ~np.isnan(v)
    out = np.full(v.shape, np.nan)
    n = int(ok.sum())
    if n < nquantiles:
        return out
    rank = rankdata(-v[ok] if invert else v[ok], method="min")
    q = np.floor((nquantiles + 1) - np.ceil(((n + 1) - rank) / (n / nquantiles)))
    out[ok] = np.where(q == 0, 1.0, q)
    return out

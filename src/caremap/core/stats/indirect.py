"""Indirect standardisation against a reference: ISRatio (SMR) and ISRate.

Source: PHEindicatormethods (UKHSA/DHSC, R package 2.x) ``calculate_ISRatio`` and
``calculate_ISRate``; Fingertips *Public Health Technical Guidance*, ISR chapter. Expected
events E = sum_i n_i x (reference count_i / reference population_i) (a missing reference
count is 0 events); ISRatio = O / E x refvalue; ISRate = O / E x the reference crude rate
sum(reference counts) / sum(reference populations) x multiplier. Limits: Byar's, exact
Poisson below 10 observed (`caremap.core.stats.intervals.isr`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from caremap.core.errors import InputError
from caremap.core.stats.intervals import Interval, isr


@dataclass(frozen=True)
class IndirectResult:
    """Observed, expected, the reference rate (ISRate only) and the statistic with limits."""

    observed: np.ndarray
    expected: np.ndarray
    ref_rate: float | None
    interval: Interval


def _reference(
    ref_counts: ArrayLike, ref_pops: ArrayLike, bands: Sequence[object] | None
) -> tuple[np.ndarray, np.ndarray]:
    rc = np.nan_to_num(np.asarray(ref_counts, dtype=float))
    rp = np.asarray(ref_pops, dtype=float)
    names = list(bands) if bands is not None else [str(i + 1) for i in range(len(rp))]
    if rc.shape != rp.shape:
        raise InputError(
            f"{rc.shape[-1]} reference counts but {rp.shape[-1]} reference populations",
            field="ref_population",
        )
    for i in range(rp.shape[-1]):
        if rc[..., i].min() < 0:
            raise InputError(f"reference band {names[i]!r}: negative count", field="ref_count")
        col = rp[..., i]
        if np.any(np.isnan(col)) or col.min() <= 0:
            raise InputError(
                f"reference band {names[i]!r}: the population must be greater than zero",
                field="ref_population",
            )
    return rc, rp


def indirect(
    observed: ArrayLike,
    pops_by_band: ArrayLike,
    ref_counts: ArrayLike,
    ref_pops: ArrayLike,
    *,
    conf: float = 0.95,
    rate: bool = False,
    refvalue: float = 1.0,
    multiplier: float = 100_000,
    bands: Sequence[object] | None = None,
) -> IndirectResult:
    """ISRatio (``rate=False``, x ``refvalue``) or ISRate (``rate=True``, per ``multiplier``).

    ``observed`` is the total count per area; ``pops_by_band`` (areas x bands) the area
    populations (zero allowed: that band expects nothing); ``ref_counts`` and ``ref_pops``
    the reference per band (bands), or per area and band when each area has its own.
    """
    o = np.asarray(observed, dtype=float)
    n = np.asarray(pops_by_band, dtype=float)
    if np.any(np.isnan(o)) or np.any(o < 0):
        raise InputError("observed counts must be present and >= 0", field="observed")
    if np.any(np.isnan(n)) or np.any(n < 0):
        raise InputError("populations must be present and >= 0", field="population")
    rc, rp = _reference(ref_counts, ref_pops, bands)
    if n.shape[-1] != rp.shape[-1]:
        raise InputError(
            f"{n.shape[-1]} age bands in the data but {rp.shape[-1]} in the reference",
            field="age_band",
        )
    expected = (n * (rc / rp)).sum(axis=-1)
    if np.any(expected <= 0):
        raise InputError(
            "no expected events (populations or reference rates are all zero)", field="expected"
        )
    ref_rate = None
    scale = refvalue
    if rate:
        rr = rc.sum(axis=-1) / rp.sum(axis=-1) * multiplier
        ref_rate = float(rr) if np.ndim(rr) == 0 else rr
        scale = rr
    interval = isr(o, expected, conf, exact_below=10, reference=1.0)
    scaled = Interval(*(np.asarray(v, dtype=float) * scale for v in interval))
    return IndirectResult(o, np.asarray(expected), ref_rate, scaled)

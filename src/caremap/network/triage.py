"""Triage policy simulation: take every incident to the nearest hospital, or to the right
place.

* ``nearest``: every patient goes to the nearest receiving hospital; major trauma that lands
  at a trauma unit is transferred on to the nearest major trauma centre (MTC).
* ``right_place``: a triage-positive patient goes straight to the nearest MTC when it is
  within ``mtc_max_minutes`` (bypassing a nearer trauma unit), otherwise to the nearest
  trauma unit and, if the injury is major, on by secondary transfer; triage-negative
  patients go to the nearest hospital.

Field triage is imperfect: a major-trauma patient is triage-positive with probability
``sensitivity`` and a minor one with probability ``1 - specificity`` (published tools range
widely, from 10% to 99% sensitivity: van Rein et al. 2018, J Trauma Acute Care Surg 85(2),
397-404; the defaults are assumptions to set from a region's own audit). Secondary transfers
add ``transfer_delay_minutes`` of door-in-door-out time at the first hospital.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from caremap.core.config import Config
from caremap.network.outcome import OutcomeModel

POLICIES = ("nearest", "right_place")


class TriageConfig(Config):
    mtc_max_minutes: float = Field(45.0, gt=0, description="bypass to an MTC within this time")
    sensitivity: float = Field(0.7, ge=0, le=1)
    specificity: float = Field(0.9, ge=0, le=1)
    transfer_delay_minutes: float = Field(120.0, ge=0)
    seed: int = 0
    outcome: OutcomeModel = Field(default_factory=OutcomeModel)


def simulate(
    times: np.ndarray,
    is_mtc: np.ndarray,
    site_times: np.ndarray,
    iss: np.ndarray,
    age: np.ndarray,
    policy: str,
    config: TriageConfig,
) -> dict[str, np.ndarray]:
    """Per-incident destination, first and definitive site, times, bypass, transfer and
    probability of death. ``times`` is incidents x receiving sites (minutes); ``site_times``
    sites x sites; ``is_mtc`` flags the MTCs of the configuration under test."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}")
    n = len(iss)
    is_mtc = np.asarray(is_mtc, dtype=bool)
    major = np.asarray(iss) >= config.outcome.major_iss
    rng = np.random.default_rng(config.seed)
    u = rng.random(n)
    positive = np.where(major, u < config.sensitivity, u < 1 - config.specificity)
    nearest = np.argmin(times, axis=1)
    t_nearest = times[np.arange(n), nearest]
    big = np.where(is_mtc[None, :], times, np.inf)
    has_mtc = is_mtc.any()
    nearest_mtc = np.argmin(big, axis=1) if has_mtc else np.full(n, -1)
    t_mtc = big[np.arange(n), nearest_mtc] if has_mtc else np.full(n, np.inf)
    first = nearest.copy()
    if policy == "right_place":
        go_mtc = positive & (t_mtc <= config.mtc_max_minutes)
        first = np.where(go_mtc, nearest_mtc, nearest)
    t_first = times[np.arange(n), first]
    at_mtc_first = is_mtc[first]
    transfer = major & ~at_mtc_first & has_mtc
    mtc_of_first = (
        np.argmin(np.where(is_mtc[None, :], site_times[first], np.inf), axis=1)
        if has_mtc
        else first
    )
    definitive = np.where(transfer, mtc_of_first, first)
    t_transfer = np.where(transfer, site_times[first, mtc_of_first], 0.0)
    t_definitive = t_first + np.where(transfer, config.transfer_delay_minutes + t_transfer, 0.0)
    p_death = config.outcome.death_probability(
        iss, age, is_mtc[definitive], t_first, transferred=transfer
    )
    return {
        "first_site": first,
        "definitive_site": definitive,
        "minutes_to_first": t_first,
        "minutes_to_definitive": t_definitive,
        "bypass": first != nearest,
        "extra_minutes_bypass": t_first - t_nearest,
        "transfer": transfer,
        "triage_positive": positive,
        "major": major,
        "p_death": p_death,
    }


def summarise(sim: dict[str, np.ndarray]) -> dict[str, float]:
    """Headline figures of one policy run."""
    major = sim["major"]
    tdef = sim["minutes_to_definitive"]
    return {
        "incidents": len(major),
        "major_trauma": int(major.sum()),
        "mean_minutes_to_definitive_major": float(tdef[major].mean())
        if major.any()
        else float("nan"),
        "median_minutes_to_definitive_major": float(np.median(tdef[major]))
        if major.any()
        else float("nan"),
        "mean_minutes_to_first": float(sim["minutes_to_first"].mean())
        if len(major)
        else float("nan"),
        "bypasses": int(sim["bypass"].sum()),
        "secondary_transfers": int(sim["transfer"].sum()),
        "expected_deaths": float(sim["p_death"].sum()),
        "expected_deaths_major": float(sim["p_death"][major].sum()),
    }

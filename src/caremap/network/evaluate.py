"""Evaluation of one network configuration (which sites are major trauma centres):
access for the population and for incidents, volumes against the minimum, travel burden by
locality and deprivation, and the triage policies' outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from caremap.network.inputs import Places
from caremap.network.triage import POLICIES, TriageConfig, simulate, summarise


def area_minutes(places: Places, is_mtc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each area's minutes to its nearest centre and that centre's index."""
    sub = np.where(is_mtc[None, :], places.times, np.inf)
    j = np.argmin(sub, axis=1)
    return sub[np.arange(len(sub)), j], j


def share_within(minutes: np.ndarray, weight: np.ndarray, limits) -> dict[str, float]:
    total = float(weight.sum())
    return {
        f"within_{int(t)}": float(weight[minutes <= t].sum() / total) if total else float("nan")
        for t in limits
    }


def burden(places: Places, minutes: np.ndarray, limits) -> pd.DataFrame:
    """Population-weighted mean minutes and shares within limits by locality and IMD decile."""
    a = places.areas.to_pandas()[["area_code", "locality_code", "imd_decile", "population"]]
    a = a.assign(minutes=minutes)
    rows = []
    for group_type, col in (("locality", "locality_code"), ("imd_decile", "imd_decile")):
        for key, g in a.groupby(col, dropna=False):
            w = g.population.to_numpy(dtype=float)
            m = g.minutes.to_numpy()
            rows.append(
                {
                    "group_type": group_type,
                    "group_value": "unknown" if pd.isna(key) else str(key),
                    "population": float(w.sum()),
                    "mean_minutes": float((w * m).sum() / w.sum()) if w.sum() else float("nan"),
                    **share_within(m, w, limits),
                }
            )
    return pd.DataFrame(rows)


def evaluate(
    places: Places,
    is_mtc: np.ndarray,
    incidents: pd.DataFrame | None,
    incident_times: np.ndarray | None,
    site_times: np.ndarray,
    triage: TriageConfig,
    limits=(30, 45, 60),
    min_volume_major: float = 250.0,
    years: float = 1.0,
) -> dict:
    """All figures for one configuration: summary dict, burden, volumes, policy rows, areas."""
    minutes, nearest = area_minutes(places, is_mtc)
    pop = places.population
    summary = {
        "mean_minutes_population": float((pop * minutes).sum() / pop.sum())
        if pop.sum()
        else np.nan,
        **{f"population_{k}": v for k, v in share_within(minutes, pop, limits).items()},
    }
    policies, volumes = [], []
    codes = np.array(places.site_codes)
    if incidents is not None and len(incidents):
        iss = incidents["iss"].to_numpy()
        age = incidents["age"].fillna(50).to_numpy()
        inc_min = np.where(is_mtc[None, :], incident_times, np.inf).min(axis=1)
        major = iss >= triage.outcome.major_iss
        summary.update(
            {
                f"incidents_{k}": v
                for k, v in share_within(inc_min, np.ones(len(iss)), limits).items()
            }
        )
        if major.any():
            summary.update(
                {
                    f"major_{k}": v
                    for k, v in share_within(inc_min[major], np.ones(major.sum()), limits).items()
                }
            )
        for policy in POLICIES:
            sim = simulate(incident_times, is_mtc, site_times, iss, age, policy, triage)
            policies.append({"policy": policy, **summarise(sim)})
            first = np.bincount(sim["first_site"], minlength=len(codes))
            definitive_major = np.bincount(
                sim["definitive_site"][sim["major"]], minlength=len(codes)
            )
            for j, code in enumerate(codes):
                per_year = definitive_major[j] / years
                volumes.append(
                    {
                        "policy": policy,
                        "site_code": code,
                        "role": "mtc" if is_mtc[j] else "trauma_unit",
                        "arrivals": int(first[j]),
                        "major_trauma_definitive": int(definitive_major[j]),
                        "major_trauma_per_year": float(per_year),
                        "min_volume_major": float(min_volume_major) if is_mtc[j] else np.nan,
                        "meets_minimum": bool(per_year >= min_volume_major) if is_mtc[j] else None,
                    }
                )
    areas = pd.DataFrame(
        {
            "area_code": places.areas.column("area_code").to_pylist(),
            "easting": places.areas.column("easting").to_numpy(),
            "northing": places.areas.column("northing").to_numpy(),
            "population": pop,
            "minutes_to_centre": minutes,
            "centre": codes[nearest],
        }
    )
    return {
        "summary": summary,
        "burden": burden(places, minutes, limits),
        "policies": pd.DataFrame(policies),
        "volumes": pd.DataFrame(volumes),
        "areas": areas,
    }

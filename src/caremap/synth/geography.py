"""Places: settlements of Zipf-like sizes, small areas, localities, ICSs and one region.

The region is a square of side ``km_per_million * sqrt(N / 1M)`` km (at least
``min_side_km``) with the sea on its eastern edge. About 80% of people live in settlements
whose sizes follow Zipf's law (the largest is a city); the rest live in rural areas spread
between them. Areas near the coast are ``coastal``. Deprivation is highest in city centres
and coastal towns and lowest in rural areas (as in the English Indices of Deprivation 2019).
Localities and ICSs are built by recursive bisection of the areas into groups of nearly
equal population, so they are compact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from caremap.synth.config import SynthConfig, rng_for
from caremap.synth.names import settlement_names

KINDS = ("city", "town", "rural", "coastal")
URBAN_SHARE = 0.8
IMD_BASE = {"city": 30.0, "town": 21.0, "rural": 11.0, "coastal": 26.0}


@dataclass
class Geography:
    side_m: float
    area_code: np.ndarray  # str codes
    easting: np.ndarray
    northing: np.ndarray
    kind: np.ndarray  # index into KINDS
    settlement: np.ndarray  # settlement name (str) per area
    imd_score: np.ndarray
    imd_decile: np.ndarray
    target_pop: np.ndarray  # people to place in each area
    locality: np.ndarray  # index into locality_code
    ics: np.ndarray  # index into ics_code
    locality_code: list[str]
    ics_code: list[str]
    settlement_xy: np.ndarray  # (k, 2) centres, metres
    settlement_radius: np.ndarray  # metres
    settlement_pop: np.ndarray
    settlement_names: list[str]
    region_code: str = "X40000001"

    @property
    def n_areas(self) -> int:
        return len(self.area_code)

    def tables(self) -> dict[str, pa.Table]:
        region = pa.table({"region_code": [self.region_code], "region_name": ["Synthetic Region"]})
        ics = pa.table(
            {
                "ics_code": self.ics_code,
                "ics_name": [f"Synthetic ICS {i + 1}" for i in range(len(self.ics_code))],
                "region_code": [self.region_code] * len(self.ics_code),
            }
        )
        loc_ics = np.zeros(len(self.locality_code), dtype=np.int64)
        loc_ics[self.locality] = self.ics
        loc_names = []
        for li in range(len(self.locality_code)):
            members = np.flatnonzero(self.locality == li)
            names, counts = np.unique(self.settlement[members], return_counts=True)
            loc_names.append(f"{names[np.argmax(counts)]} locality {li + 1}")
        locality = pa.table(
            {
                "locality_code": self.locality_code,
                "locality_name": loc_names,
                "ics_code": [self.ics_code[i] for i in loc_ics],
            }
        )
        return {"region": region, "ics": ics, "locality": locality}


def _bisect(x: np.ndarray, y: np.ndarray, w: np.ndarray, idx: np.ndarray, k: int) -> list:
    """Split ``idx`` into ``k`` compact groups of nearly equal weight."""
    if k <= 1 or len(idx) <= 1:
        return [idx]
    k1 = k // 2
    xs, ys = x[idx], y[idx]
    coord = xs if np.ptp(xs) >= np.ptp(ys) else ys
    order = idx[np.argsort(coord, kind="stable")]
    cum = np.cumsum(w[order])
    cut = int(np.searchsorted(cum, cum[-1] * k1 / k)) + 1
    cut = min(max(cut, 1), len(order) - 1)
    return _bisect(x, y, w, order[:cut], k1) + _bisect(x, y, w, order[cut:], k - k1)


def make_geography(population: int, seed: int, cfg: SynthConfig) -> Geography:
    rng = rng_for(seed, "geography")
    side_km = max(cfg.min_side_km, cfg.km_per_million * np.sqrt(population / 1e6))
    side = side_km * 1000.0
    n_areas = max(cfg.min_areas, round(population / cfg.area_size))
    per_area = population / n_areas

    # settlements: Zipf sizes over the urban share
    k = int(np.clip(round(population / 70_000), 2, 400))
    zipf = 1.0 / np.arange(1, k + 1)
    n_urban_areas = max(k, round(n_areas * URBAN_SHARE))
    areas_per = np.maximum(1, np.floor(zipf / zipf.sum() * n_urban_areas).astype(int))
    areas_per[0] += max(0, n_urban_areas - areas_per.sum())
    n_urban_areas = int(areas_per.sum())
    n_rural = max(2, n_areas - n_urban_areas)
    n_areas = n_urban_areas + n_rural
    # a city's small area covers ~0.4 km2, a town's ~0.8 km2
    density_km2 = np.where(np.arange(k) == 0, 0.4, 0.8)
    radius = np.sqrt(areas_per * density_km2 / np.pi) * 1000.0 * 1.3
    centres = np.zeros((k, 2))
    for i in range(k):
        for _ in range(200):
            c = rng.uniform(0.1 * side, 0.9 * side, size=2)
            if i == 0:
                c = rng.uniform(0.35 * side, 0.6 * side, size=2)
            d = np.hypot(*(centres[:i] - c).T) if i else np.array([np.inf])
            if np.all(d > (radius[:i] + radius[i]) * 1.3 + 2000):
                break
        centres[i] = c
    names = settlement_names(k, rng)

    sett_idx = np.repeat(np.arange(k), areas_per)
    r = radius[sett_idx] * np.sqrt(rng.uniform(0, 1, n_urban_areas))
    theta = rng.uniform(0, 2 * np.pi, n_urban_areas)
    ux = centres[sett_idx, 0] + r * np.cos(theta)
    uy = centres[sett_idx, 1] + r * np.sin(theta)
    rel = r / radius[sett_idx]

    # rural areas: uniform, away from settlements
    rx, ry = [], []
    while len(rx) < n_rural:
        cx, cy = rng.uniform(0.02 * side, 0.98 * side, size=(2, 4 * n_rural))
        d = np.hypot(cx[:, None] - centres[:, 0], cy[:, None] - centres[:, 1])
        ok = np.all(d > radius * 1.2 + 500, axis=1)
        rx.extend(cx[ok].tolist())
        ry.extend(cy[ok].tolist())
    rx, ry = np.array(rx[:n_rural]), np.array(ry[:n_rural])

    easting = np.concatenate([ux, rx])
    northing = np.concatenate([uy, ry])
    kind = np.concatenate([np.where(sett_idx == 0, 0, 1), np.full(n_rural, 2)]).astype(np.int8)
    coast = easting > side * 0.92
    kind[coast & (kind != 0)] = 3
    # rural areas take the name of the nearest settlement
    d_all = np.hypot(rx[:, None] - centres[:, 0], ry[:, None] - centres[:, 1])
    near = np.argmin(d_all, axis=1)
    settlement = np.array(names, dtype=object)[np.concatenate([sett_idx, near])]

    # deprivation: inner urban and coastal areas most deprived, lognormal spread
    base = np.array([IMD_BASE[KINDS[i]] for i in kind])
    gradient = np.concatenate([1.5 - 0.9 * rel, np.ones(n_rural)])
    imd = base * gradient * rng.lognormal(0.0, 0.45, n_areas)
    imd = np.clip(imd, 0.5, 90.0).round(3)
    order = np.argsort(-imd, kind="stable")
    decile = np.empty(n_areas, dtype=np.int32)
    decile[order] = (np.arange(n_areas) * 10 // n_areas + 1).astype(np.int32)

    # people per area: urban areas a little larger than rural
    w = np.where(kind <= 1, 1.05, 0.85) * rng.uniform(0.8, 1.2, n_areas)
    target = np.floor(w / w.sum() * population).astype(np.int64)
    target[np.argsort(-w)[: population - target.sum()]] += 1

    n_ics = max(1, round(population / cfg.ics_size))
    all_idx = np.arange(n_areas)
    ics = np.zeros(n_areas, dtype=np.int64)
    locality = np.zeros(n_areas, dtype=np.int64)
    loc_codes: list[str] = []
    for gi, group in enumerate(_bisect(easting, northing, target.astype(float), all_idx, n_ics)):
        ics[group] = gi
        n_loc = max(1, round(target[group].sum() / cfg.locality_size))
        for sub in _bisect(easting, northing, target.astype(float), group, n_loc):
            locality[sub] = len(loc_codes)
            loc_codes.append(f"X38{len(loc_codes) + 1:06d}")
    # number areas by locality, then west to east
    p = np.lexsort((easting, locality))
    easting, northing, kind, settlement = easting[p], northing[p], kind[p], settlement[p]
    imd, decile, target, locality, ics = imd[p], decile[p], target[p], locality[p], ics[p]
    area_code = np.array([f"X01{i + 1:06d}" for i in range(n_areas)], dtype=object)
    return Geography(
        side_m=side,
        area_code=area_code,
        easting=easting.round(1),
        northing=northing.round(1),
        kind=kind,
        settlement=settlement,
        imd_score=imd,
        imd_decile=decile,
        target_pop=target,
        locality=locality,
        ics=ics,
        locality_code=loc_codes,
        ics_code=[f"X54{i + 1:06d}" for i in range(n_ics)],
        settlement_xy=centres,
        settlement_radius=radius,
        settlement_pop=areas_per * per_area,
        settlement_names=names,
    )

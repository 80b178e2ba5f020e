"""Providers and sites: acute hospitals of three tiers, GP practices, ambulance stations,
surgical hubs, community diagnostic centres, community hospitals and care homes.

Numbers per head follow England: one type-1 A&E hospital per ~300,000 people, one GP
practice per ~8,000, one ambulance station per ~60,000, one elective surgical hub per
~500,000, one community diagnostic centre per ~350,000, one care home per ~4,000.
The largest teaching hospital is the major trauma centre (with stroke, cath lab and
thrombectomy); every other A&E hospital is a trauma unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from caremap.synth.config import SynthConfig, rng_for
from caremap.synth.geography import Geography
from caremap.synth.postcodes import Postcodes
from caremap.synth.roads import RoadNetwork

BEDS = {"teaching": 1200, "district_general": 600, "small": 250}


@dataclass
class Sites:
    site: pa.Table
    provider: pa.Table
    capability: pa.Table
    # arrays used to place activity
    acute_site: np.ndarray  # site codes of acute hospitals (str)
    acute_provider: np.ndarray
    acute_xy: np.ndarray
    acute_tier: np.ndarray
    hub_site: np.ndarray
    hub_provider: np.ndarray
    hub_xy: np.ndarray
    practice_code: np.ndarray  # GP practice (site and provider) codes
    practice_area: np.ndarray
    practice_xy: np.ndarray
    station_site: np.ndarray
    station_xy: np.ndarray
    ambulance_provider: str
    community_site: np.ndarray
    community_provider: np.ndarray
    community_xy: np.ndarray
    care_home_site: np.ndarray
    care_home_provider: np.ndarray
    care_home_xy: np.ndarray
    la_provider: np.ndarray  # local authority of each locality

    def with_list_sizes(self, list_size: dict[str, int]) -> None:
        sizes = [
            list_size.get(code, 0) if t == "gp_practice" else None
            for code, t in zip(
                self.site["site_code"].to_pylist(), self.site["site_type"].to_pylist(), strict=True
            )
        ]
        idx = self.site.schema.get_field_index("list_size")
        self.site = self.site.set_column(idx, "list_size", pa.array(sizes, pa.int32()))


def _farthest(xy: np.ndarray, weight: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k well-spread points (farthest-point sampling, started at a weighted random one)."""
    first = int(rng.choice(len(xy), p=weight / weight.sum()))
    chosen = [first]
    d = np.hypot(*(xy - xy[first]).T)
    for _ in range(1, min(k, len(xy))):
        nxt = int(np.argmax(d * np.sqrt(weight)))
        chosen.append(nxt)
        d = np.minimum(d, np.hypot(*(xy - xy[nxt]).T))
    return np.array(chosen)


def make_sites(
    population: int, seed: int, cfg: SynthConfig, geo: Geography, pcs: Postcodes, roads: RoadNetwork
) -> Sites:
    rng = rng_for(seed, "sites")
    area_xy = np.c_[geo.easting, geo.northing]
    pop = geo.target_pop.astype(float)
    rows: list[dict] = []
    providers: list[dict] = []
    caps: list[tuple[str, str]] = []

    def add_site(code, name, prov, stype, area, tier=None, beds=None, offset=300.0):
        x, y = area_xy[area] + rng.normal(0, offset, 2)
        pc = pcs.code[pcs.live_start[area] + int(rng.integers(pcs.live_count[area]))]
        rows.append(
            dict(
                site_code=code,
                site_name=name,
                provider_code=prov,
                site_type=stype,
                tier=tier,
                area_code=geo.area_code[area],
                postcode=pc,
                easting=round(x, 1),
                northing=round(y, 1),
                beds=beds,
            )
        )
        return x, y

    def nearest_area(xy):
        return int(np.argmin(np.hypot(*(area_xy - xy).T)))

    # acute hospitals: one per ~300k (at least 3), in the largest settlements first
    n_acute = max(3, round(population / 300_000))
    n_teach = max(1, round(population / 2_500_000))
    n_small = max(1, n_acute // 4)
    k = len(geo.settlement_xy)
    acute = []
    for i in range(n_acute):
        if i < k:
            area = nearest_area(geo.settlement_xy[i])
        else:
            area = int(rng.choice(geo.n_areas, p=pop / pop.sum()))
        tier = (
            "teaching"
            if i < n_teach
            else ("small" if i >= n_acute - n_small else "district_general")
        )
        trust = f"XA{i + 1:02d}"
        code = f"{trust}01"
        town = geo.settlement[area]
        label = {
            "teaching": "University Hospital",
            "district_general": "General Hospital",
            "small": "Community General Hospital",
        }[tier]
        providers.append(
            dict(
                provider_code=trust,
                provider_name=f"{town} Hospitals NHS Trust",
                provider_type="acute_trust",
                ics_code=geo.ics_code[geo.ics[area]],
            )
        )
        x, y = add_site(code, f"{town} {label}", trust, "acute_hospital", area, tier, BEDS[tier])
        acute.append((code, trust, x, y, tier))
        caps.append((code, "ae"))
        if tier == "teaching":
            caps += [
                (code, c)
                for c in (
                    "major_trauma_centre",
                    "stroke",
                    "cath_lab",
                    "thrombectomy",
                    "cancer_centre",
                )
            ]
        else:
            caps.append((code, "trauma_unit"))
            if tier == "district_general":
                caps.append((code, "stroke"))
                if i % 2 == 1:
                    caps.append((code, "cath_lab"))
    acute_xy = np.array([[a[2], a[3]] for a in acute])

    # elective surgical hubs, run by the trust whose hospital is nearest
    hubs = []
    n_hub = max(1, round(population / 500_000))
    hub_areas = _farthest(area_xy, pop, n_hub, rng)
    for h, area in enumerate(hub_areas):
        j = int(np.argmin(np.hypot(*(acute_xy - area_xy[area]).T)))
        code = f"{acute[j][1]}H{h + 1}"
        x, y = add_site(
            code, f"{geo.settlement[area]} Elective Surgical Hub", acute[j][1], "surgical_hub", area
        )
        hubs.append((code, acute[j][1], x, y))
        caps.append((code, "elective_surgery"))

    # community diagnostic centres: every third one run by an independent provider
    n_cdc = max(1, round(population / 350_000))
    providers.append(
        dict(
            provider_code="XN001",
            provider_name="Synthetic Diagnostics Ltd",
            provider_type="independent_sector",
            ics_code=None,
        )
    )
    for c, area in enumerate(_farthest(area_xy, pop, n_cdc, rng)):
        j = int(np.argmin(np.hypot(*(acute_xy - area_xy[area]).T)))
        prov = "XN001" if c % 3 == 2 else acute[j][1]
        code = f"XD{c + 1:03d}"
        add_site(
            code,
            f"{geo.settlement[area]} Community Diagnostic Centre",
            prov,
            "diagnostic_centre",
            area,
        )
        caps += [(code, "ct"), (code, "mri"), (code, "endoscopy")]

    # community trust per ICS, community hospitals
    comm = []
    for i, ics in enumerate(geo.ics_code):
        providers.append(
            dict(
                provider_code=f"XC{i + 1:02d}",
                provider_name=f"Synthetic Community Health Trust {i + 1}",
                provider_type="community_trust",
                ics_code=ics,
            )
        )
    n_ch = max(1, round(population / 200_000))
    for c, area in enumerate(_farthest(area_xy, pop, n_ch, rng)):
        prov = f"XC{geo.ics[area] + 1:02d}"
        code = f"{prov}{c + 1:03d}"
        x, y = add_site(
            code,
            f"{geo.settlement[area]} Community Hospital",
            prov,
            "community_hospital",
            area,
            beds=30,
        )
        comm.append((code, prov, x, y))

    # ambulance trust and stations
    providers.append(
        dict(
            provider_code="XAM",
            provider_name="Synthetic Ambulance Service NHS Trust",
            provider_type="ambulance_trust",
            ics_code=None,
        )
    )
    stations = []
    n_st = max(2, round(population / 60_000))
    for c, area in enumerate(_farthest(area_xy, pop, n_st, rng)):
        code = f"XAM{c + 1:02d}"
        x, y = add_site(
            code, f"{geo.settlement[area]} Ambulance Station", "XAM", "ambulance_station", area
        )
        stations.append((code, x, y))

    # GP practices in areas chosen by population
    n_gp = max(2, round(population / cfg.people_per_practice))
    gp_areas = np.sort(
        rng.choice(geo.n_areas, size=n_gp, replace=n_gp > geo.n_areas, p=pop / pop.sum())
    )
    gps = []
    for c, area in enumerate(gp_areas):
        code = f"X{81001 + c:05d}"
        providers.append(
            dict(
                provider_code=code,
                provider_name=f"{geo.settlement[area]} Medical Practice {c + 1}",
                provider_type="gp_practice",
                ics_code=geo.ics_code[geo.ics[area]],
            )
        )
        x, y = add_site(
            code, f"{geo.settlement[area]} Medical Practice {c + 1}", code, "gp_practice", area
        )
        gps.append((code, area, x, y))

    # local authorities (adult social care) and care homes
    n_la = max(1, round(population / 350_000))
    la_codes = [f"XLA{i + 1:02d}" for i in range(n_la)]
    for i, c in enumerate(la_codes):
        providers.append(
            dict(
                provider_code=c,
                provider_name=f"Synthetic Council {i + 1}",
                provider_type="local_authority",
                ics_code=None,
            )
        )
    loc_xy = np.array(
        [area_xy[geo.locality == li].mean(axis=0) for li in range(len(geo.locality_code))]
    )
    la_of_loc = np.array(la_codes, dtype=object)[
        np.minimum(np.argsort(np.argsort(loc_xy[:, 0])) * n_la // len(loc_xy), n_la - 1)
    ]
    homes = []
    n_ch_groups = max(1, round(population / 80_000))
    for g in range(n_ch_groups):
        providers.append(
            dict(
                provider_code=f"XN{g + 2:03d}",
                provider_name=f"Synthetic Care Group {g + 1}",
                provider_type="independent_sector",
                ics_code=None,
            )
        )
    n_home = max(2, round(population / 4000))
    for c, area in enumerate(rng.choice(geo.n_areas, size=n_home, p=pop / pop.sum())):
        prov = f"XN{c % n_ch_groups + 2:03d}"
        code = f"XCH{c + 1:04d}"
        x, y = add_site(
            code,
            f"{geo.settlement[area]} Care Home {c + 1}",
            prov,
            "care_home",
            area,
            beds=int(rng.integers(20, 70)),
        )
        homes.append((code, prov, x, y))

    site = pa.Table.from_pylist(rows)
    nodes = roads.attach(site["easting"].to_numpy(), site["northing"].to_numpy())
    site = site.append_column("road_node", pa.array(nodes, pa.int64()))
    site = site.append_column("list_size", pa.nulls(len(rows), pa.int32()))
    cols = [
        "site_code",
        "site_name",
        "provider_code",
        "site_type",
        "tier",
        "area_code",
        "postcode",
        "easting",
        "northing",
        "road_node",
        "beds",
        "list_size",
    ]
    site = site.select(cols)

    def arr(items, i):
        return np.array([t[i] for t in items], dtype=object)

    def xy(items, i=2):
        return np.array([[t[i], t[i + 1]] for t in items], dtype=float)

    return Sites(
        site=site,
        provider=pa.Table.from_pylist(providers),
        capability=pa.table(
            {"site_code": [c[0] for c in caps], "capability": [c[1] for c in caps]}
        ),
        acute_site=arr(acute, 0),
        acute_provider=arr(acute, 1),
        acute_xy=acute_xy,
        acute_tier=arr(acute, 4),
        hub_site=arr(hubs, 0),
        hub_provider=arr(hubs, 1),
        hub_xy=xy(hubs),
        practice_code=arr(gps, 0),
        practice_area=np.array([g[1] for g in gps]),
        practice_xy=xy(gps),
        station_site=arr(stations, 0),
        station_xy=xy(stations, 1),
        ambulance_provider="XAM",
        community_site=arr(comm, 0),
        community_provider=arr(comm, 1),
        community_xy=xy(comm),
        care_home_site=arr(homes, 0),
        care_home_provider=arr(homes, 1),
        care_home_xy=xy(homes),
        la_provider=la_of_loc,
    )

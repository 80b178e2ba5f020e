"""Synthetic trauma incidents attended by ambulance: by age, sex, place and road, with an
Injury Severity Score.

Incidence: major trauma (ISS > 15) runs at 20,000 cases a year in England (National Audit
Office 2010, *Major trauma care in England*, HC 213, p. 4: "there are an estimated 20,000
cases of major trauma each year"), i.e. 20,000 / 56.3 million (ONS mid-2010 England) =
35.5 per 100,000 people a year; the generator scales its age-sex rates so the expected count
for the synthetic population hits that rate. Less severe injuries (ISS 1-15) attended by
ambulance are generated at ``MINOR_PER_100K`` a year, so a triage tool has negatives to miss.

Age and mechanism: older people are the largest group of major trauma patients and low falls
(< 2 m) their main mechanism; road collisions and assaults dominate among young men (TARN,
*Major Trauma in Older People*, 2017). ISS values are real ISS values: sums of the squares of
the three highest AIS region scores (Baker et al. 1974, J Trauma 14(3), 187-196), 75 for an
AIS 6 injury.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
from scipy.spatial import cKDTree

from caremap.synth.extensions import SynthContext, synth_extension

MAJOR_PER_100K = 20_000 / 56_300_000 * 100_000  # NAO 2010 over ONS mid-2010 England
MINOR_PER_100K = 400.0
# relative major-trauma rate by age (lower bound of band) and sex
AGE_REL = {0: 0.35, 16: 1.0, 25: 0.8, 45: 0.9, 65: 1.4, 75: 2.6, 85: 4.5}
MALE_REL = {0: 1.4, 16: 2.4, 25: 2.0, 45: 1.6, 65: 1.1, 75: 0.9, 85: 0.8}
MECHANISMS = ("fall_low", "fall_high", "road_collision", "assault", "other")
MECH_YOUNG = (0.18, 0.15, 0.35, 0.14, 0.18)
MECH_OLD = (0.72, 0.05, 0.12, 0.02, 0.09)
ROAD_CLASS_WEIGHT = {"motorway": 4.0, "a_road": 3.0, "b_road": 1.5, "minor": 0.6}


def _valid_iss() -> np.ndarray:
    """Every value the ISS can take (sums of three squared AIS scores 0-5, and 75)."""
    vals = {a * a + b * b + c * c for a in range(6) for b in range(6) for c in range(6)}
    return np.array(sorted((vals - {0}) | {75}))


ISS = _valid_iss()


def _lookup(table: dict[int, float], ages: np.ndarray) -> np.ndarray:
    keys = np.array(sorted(table))
    return np.array([table[k] for k in keys])[np.searchsorted(keys, ages, side="right") - 1]


def sample_iss(rng: np.random.Generator, n: int, major: bool) -> np.ndarray:
    """ISS values above 15 (major) or 1-15, with frequency falling with severity."""
    vals = ISS[ISS > 15] if major else ISS[ISS <= 15]
    weight = np.exp(-(vals - vals[0]) / (10.0 if major else 4.0))
    return rng.choice(vals, size=n, p=weight / weight.sum())


def _population(ctx: SynthContext) -> tuple[np.ndarray, ...]:
    pop = ctx.tables["population"]
    years = np.asarray(pop.column("year").to_numpy())
    latest = years.max()
    keep = years == latest
    return (
        np.asarray(pop.column("area_code").to_numpy(zero_copy_only=False))[keep],
        np.asarray(pop.column("sex").to_numpy(zero_copy_only=False))[keep],
        np.asarray(pop.column("age_from").to_numpy())[keep],
        np.asarray(pop.column("population").to_numpy(), dtype=float)[keep],
    )


def _ages(rng, age_from: np.ndarray) -> np.ndarray:
    width = np.where(age_from == 0, 1, np.where(age_from == 1, 4, 5))
    width = np.where(age_from >= 90, 10, width)
    return age_from + np.floor(rng.random(len(age_from)) * width).astype(int)


def _times(rng, n: int, ctx: SynthContext) -> list[datetime]:
    days = (ctx.end_date - ctx.start_date).days + 1
    day = rng.integers(0, days, n)
    hour_w = np.array(
        [2, 1.5, 1, 1, 1, 1.5, 2.5, 4, 5, 5, 5.5, 6, 6, 6, 6, 6.5, 7, 7, 6.5, 6, 5, 4, 3, 2.5]
    )
    hour = rng.choice(24, size=n, p=hour_w / hour_w.sum())
    minute = rng.integers(0, 60, n)
    start = datetime(ctx.start_date.year, ctx.start_date.month, ctx.start_date.day)
    return [
        start + timedelta(days=int(d), hours=int(h), minutes=int(m))
        for d, h, m in zip(day, hour, minute, strict=True)
    ]


@synth_extension("trauma", order=40)
def trauma_incidents(ctx: SynthContext) -> dict[str, pa.Table]:
    """The ``trauma_incident`` table for the whole period (see the module docstring)."""
    rng = ctx.rng("trauma")
    area, sex, age_from, pop = _population(ctx)
    years = max((ctx.end_date - ctx.start_date).days + 1, 1) / 365.25
    rel = _lookup(AGE_REL, age_from) * np.where(sex == "M", _lookup(MALE_REL, age_from), 1.0)
    scale = MAJOR_PER_100K / 1e5 * pop.sum() / max((rel * pop).sum(), 1e-12)
    n_major = rng.poisson(rel * pop * scale * years)
    # minor injuries: flatter by age
    n_minor = rng.poisson(pop * MINOR_PER_100K / 1e5 * years * (0.5 + 0.5 * rel / rel.mean()))
    cell = np.concatenate(
        [np.repeat(np.arange(len(pop)), n_major), np.repeat(np.arange(len(pop)), n_minor)]
    )
    major = np.concatenate([np.ones(n_major.sum(), bool), np.zeros(n_minor.sum(), bool)])
    n = len(cell)
    ages = _ages(rng, age_from[cell])
    p_old = ages >= 65
    mech_idx = np.where(
        p_old,
        rng.choice(len(MECHANISMS), n, p=MECH_OLD),
        rng.choice(len(MECHANISMS), n, p=MECH_YOUNG),
    )
    mechanism = np.array(MECHANISMS)[mech_idx]
    iss = np.empty(n, dtype=np.int32)
    iss[major] = sample_iss(rng, int(major.sum()), True)
    iss[~major] = sample_iss(rng, int((~major).sum()), False)
    sa = ctx.tables["small_area"]
    sa_code = np.asarray(sa.column("area_code").to_numpy(zero_copy_only=False))
    sa_xy = np.c_[sa.column("easting").to_numpy(), sa.column("northing").to_numpy()].astype(float)
    sa_node = (
        np.asarray(sa.column("road_node").to_pylist(), dtype=object)
        if "road_node" in sa.column_names
        else np.full(len(sa_code), None, dtype=object)
    )
    where = {c: k for k, c in enumerate(sa_code)}
    home = np.array([where[a] for a in area[cell]], dtype=np.int64)
    xy = sa_xy[home] + rng.normal(0, 300, (n, 2))
    node = sa_node[home].copy()
    road_class = np.full(n, None, dtype=object)
    on_road = mechanism == "road_collision"
    links = ctx.tables.get("road_link")
    nodes = ctx.tables.get("road_node")
    if on_road.any() and links is not None and nodes is not None and links.num_rows:
        node_ids = np.asarray(nodes.column("node_id").to_numpy())
        node_xy = np.c_[nodes.column("easting").to_numpy(), nodes.column("northing").to_numpy()]
        pos = {int(v): k for k, v in enumerate(node_ids)}
        la = np.array([pos[int(v)] for v in links.column("from_node").to_numpy()])
        lb = np.array([pos[int(v)] for v in links.column("to_node").to_numpy()])
        cls = np.asarray(links.column("road_class").to_numpy(zero_copy_only=False))
        mid = (node_xy[la] + node_xy[lb]) / 2
        tree = cKDTree(mid)
        w_cls = np.array([ROAD_CLASS_WEIGHT.get(c, 1.0) for c in cls])
        for i in np.flatnonzero(on_road):
            near = tree.query_ball_point(sa_xy[home[i]], r=10_000)
            if not near:
                near = [int(tree.query(sa_xy[home[i]])[1])]
            near = np.asarray(near)
            k = int(rng.choice(near, p=w_cls[near] / w_cls[near].sum()))
            t = rng.random()
            xy[i] = node_xy[la[k]] * (1 - t) + node_xy[lb[k]] * t
            node[i] = int(node_ids[la[k]] if t < 0.5 else node_ids[lb[k]])
            road_class[i] = str(cls[k])
    place_area = sa_code[cKDTree(sa_xy).query(xy)[1]]
    times = _times(rng, n, ctx)
    idx = np.asarray(sorted(range(n), key=lambda k: times[k]), dtype=int)
    table = pa.table(
        {
            "incident_id": pa.array([f"TI{k + 1:07d}" for k in range(n)]),
            "incident_time": pa.array([times[k] for k in idx], pa.timestamp("us")),
            "area_code": pa.array(place_area[idx].tolist()),
            "easting": pa.array(np.round(xy[idx, 0], 1), pa.float64()),
            "northing": pa.array(np.round(xy[idx, 1], 1), pa.float64()),
            "road_node": pa.array(
                [None if node[k] is None else int(node[k]) for k in idx], pa.int64()
            ),
            "age": pa.array(ages[idx], pa.int32()),
            "sex": pa.array(sex[cell][idx].tolist()),
            "mechanism": pa.array(mechanism[idx].tolist()),
            "road_class": pa.array(road_class[idx].tolist(), pa.string()),
            "iss": pa.array(iss[idx], pa.int32()),
            "source_system": pa.array(["ambulance"] * n, pa.string()),
            "record_id": pa.array([None] * n, pa.string()),
        }
    )
    return {"trauma_incident": table}

"""The synthetic trauma extension on a hand-made context."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from caremap.core import schema
from caremap.synth.ext_trauma import ISS, MAJOR_PER_100K, trauma_incidents
from caremap.synth.extensions import SynthContext

pytestmark = pytest.mark.unit


def context(seed=1, people_per_cell=400):
    rng = np.random.default_rng(0)
    areas = [f"A{i:02d}" for i in range(20)]
    sa = pa.table(
        {
            "area_code": areas,
            "easting": rng.uniform(0, 20_000, 20),
            "northing": rng.uniform(0, 20_000, 20),
            "road_node": list(range(20)),
        }
    )
    rows = [(a, s, af) for a in areas for s in "MF" for af in [0, 1, *range(5, 95, 5)]]
    pop = pa.table(
        {
            "area_code": [r[0] for r in rows],
            "year": [2024] * len(rows),
            "sex": [r[1] for r in rows],
            "age_from": [r[2] for r in rows],
            "population": [people_per_cell] * len(rows),
        }
    )
    nodes = pa.table(
        {"node_id": list(range(20)), "easting": sa["easting"], "northing": sa["northing"]}
    )
    links = pa.table(
        {
            "from_node": list(range(19)),
            "to_node": list(range(1, 20)),
            "road_class": ["a_road"] * 19,
            "length_km": [1.0] * 19,
            "speed_kph": [50.0] * 19,
        }
    )
    return SynthContext(
        seed=seed,
        population=len(rows) * people_per_cell,
        start_date=date(2022, 1, 1),
        end_date=date(2024, 12, 31),
        tables={"small_area": sa, "population": pop, "road_node": nodes, "road_link": links},
    )


def test_schema_and_values():
    t = trauma_incidents(context())["trauma_incident"]
    assert set(schema.get("trauma_incident").column_names) == set(t.column_names)
    df = t.to_pandas()
    assert df.incident_id.is_unique
    assert set(df.iss) <= set(ISS.tolist())
    assert df.incident_time.is_monotonic_increasing
    roads = df[df.mechanism == "road_collision"]
    assert (
        roads.road_class.notna().all()
        and df[df.mechanism != "road_collision"].road_class.isna().all()
    )


def test_major_trauma_runs_at_england_incidence():
    ctx = context(people_per_cell=2000)
    people = 20 * 2 * 20 * 2000
    years = 3
    majors = [
        int(
            (
                trauma_incidents(context(seed=s, people_per_cell=2000))["trauma_incident"][
                    "iss"
                ].to_numpy()
                > 15
            ).sum()
        )
        for s in (1, 2, 3)
    ]
    expected = people * years * MAJOR_PER_100K / 1e5
    assert np.mean(majors) == pytest.approx(expected, rel=0.08)
    assert ctx.population == people


def test_deterministic_for_a_seed():
    a = trauma_incidents(context(seed=5))["trauma_incident"]
    b = trauma_incidents(context(seed=5))["trauma_incident"]
    assert a.equals(b)


def test_a_tiny_region_with_no_incidents_generates(tmp_path):
    from caremap.synth import generate

    generate(population=200, seed=1, out_dir=tmp_path, years=1)
    assert (tmp_path / "small_area.parquet").exists()

"""A small hand-made health economy for needs tests (independent of the generator)."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from caremap.core.stats.standard_population import ESP2013_AGE_FROM, band_label

N_AREAS = 24


def make_tables(seed: int = 3) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    areas = pd.DataFrame(
        {
            "area_code": [f"E0100{i:04d}" for i in range(N_AREAS)],
            "ics_code": ["QA1"] * 16 + ["QB2"] * 8,
            "region_code": "Y1",
            "easting": np.r_[rng.uniform(0, 20_000, 16), rng.uniform(40_000, 50_000, 8)],
            "northing": rng.uniform(0, 20_000, N_AREAS),
        }
    )
    pop_rows = []
    for a in areas.area_code:
        for sex in ("M", "F"):
            for af in ESP2013_AGE_FROM:
                pop_rows.append((a, 2024, sex, band_label(af), af, int(rng.integers(20, 60))))
    population = pd.DataFrame(
        pop_rows, columns=["area_code", "year", "sex", "age_band", "age_from", "population"]
    )
    postcode = pd.DataFrame(
        {"postcode": [f"ZZ{i} 1AA" for i in range(N_AREAS)], "area_code": areas.area_code}
    )
    recs, acts, conds = [], [], []
    k = 0
    for i in range(N_AREAS):
        for j in range(40):
            rid = f"G{i}-{j}"
            dob = date(1940 + (j * 2) % 80, 1 + j % 12, 1)
            pc = f"ZZ{i} 1AA" if j != 39 else "XX9 9XX"  # one unknown postcode per area
            recs.append(("gp", rid, dob, pc, date(2024, 6, 1)))
            if j % 3 == 0:
                conds.append(("gp", rid, "diabetes"))
            if j % 4 == 0:
                conds.append(("gp", rid, "copd"))
            for setting, method, pod in (
                ("inpatient", "emergency", "NEL"),
                ("ae", None, "AE"),
                ("inpatient", "elective", "EL"),
                ("outpatient", None, "OPFA"),
            ):
                if (j + i) % 2 == 0:
                    acts.append((f"A{k}", "gp", rid, setting, date(2024, 3, 1), method, pod))
                    k += 1
    source_record = pd.DataFrame(
        recs, columns=["source_system", "record_id", "date_of_birth", "postcode", "record_date"]
    )
    source_record["date_of_death"] = pd.NaT
    activity = pd.DataFrame(
        acts,
        columns=[
            "activity_id",
            "source_system",
            "record_id",
            "setting",
            "start_date",
            "admission_method",
            "point_of_delivery",
        ],
    )
    condition = pd.DataFrame(conds, columns=["source_system", "record_id", "condition"])
    trauma = pd.DataFrame(
        {
            "incident_id": [f"T{i}" for i in range(30)],
            "incident_time": [datetime(2024, 5, 1, 12)] * 30,
            "area_code": [areas.area_code[i % N_AREAS] for i in range(29)] + ["NOWHERE"],
            "age": [20 + i for i in range(30)],
        }
    )
    return {
        "small_area": areas,
        "population": population,
        "postcode": postcode,
        "source_record": source_record,
        "activity": activity,
        "condition": condition,
        "trauma_incident": trauma,
    }


@pytest.fixture
def tiny_ws(ws):
    for name, df in make_tables().items():
        ws.write_table(name, df)
    return ws


@pytest.fixture
def tiny_ws_path(tmp_path):
    """A DuckDB workspace file holding the small hand-made economy (closed)."""
    from caremap.core.workspace import open_workspace

    path = tmp_path / "tiny.duckdb"
    with open_workspace(path, memory_limit="1GB") as w:
        for name, df in make_tables().items():
            w.write_table(name, df)
    return path


@pytest.fixture
def tiny_tables() -> dict[str, pd.DataFrame]:
    return make_tables()

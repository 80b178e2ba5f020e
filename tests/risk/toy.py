"""A tiny linked economy for risk tests (tests only): people, links, activity, conditions.

Emergency admissions follow a known logistic risk in age, deprivation, conditions and prior
admissions, over three years from 2022-04-01, so models can be trained and validated without
the full synthetic generator. ``truth.risk`` and ``truth.record_person`` are written too.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa

START = date(2022, 4, 1)
CONDS = ("hypertension", "diabetes", "copd", "heart_failure", "dementia")
CODES = {
    "hypertension": "I10",
    "diabetes": "E11",
    "copd": "J44",
    "heart_failure": "I50",
    "dementia": "F03",
}


def _dates(rng, year: int, n: int) -> list[date]:
    base = START + timedelta(days=365 * year)
    return [base + timedelta(days=int(d)) for d in rng.integers(0, 365, n)]


def build(ws, n: int = 3000, seed: int = 1, n_areas: int = 20) -> dict:
    rng = np.random.default_rng(seed)
    areas = [f"A{i:03d}" for i in range(n_areas)]
    imd = rng.uniform(5, 60, n_areas)
    ws.write_table(
        "small_area",
        pa.table(
            {
                "area_code": areas,
                "locality_code": [f"L{i % 3}" for i in range(n_areas)],
                "ics_code": ["ICS1"] * n_areas,
                "imd_score": imd,
                "imd_decile": (10 - np.argsort(np.argsort(imd)) * 10 // n_areas).astype("int32"),
            }
        ),
    )
    age = rng.integers(0, 95, n)
    sex = rng.choice(["M", "F"], n)
    area = rng.integers(0, n_areas, n)
    dob = [date(2022, 4, 1) - timedelta(days=int(a * 365.25 + rng.integers(0, 365))) for a in age]
    ids = np.arange(1, n + 1)
    ws.write_table(
        "person",
        pa.table(
            {
                "person_id": pa.array(ids, pa.int64()),
                "sex": sex,
                "date_of_birth": pa.array(dob, pa.date32()),
                "area_code": [areas[a] for a in area],
                "practice_code": [f"P{a % 4}" for a in area],
                "date_of_death": pa.array([None] * n, pa.date32()),
            }
        ),
    )
    links = {"source_system": [], "record_id": [], "person_id": []}
    for s in ("gp", "inpatient", "ae"):
        links["source_system"] += [s] * n
        links["record_id"] += [f"{s}{i}" for i in ids]
        links["person_id"] += list(ids)
    ws.write_table(
        "person_link", pa.table({**links, "person_id": pa.array(links["person_id"], pa.int64())})
    )
    ws.write_table(
        "truth.record_person",
        pa.table(
            {
                "source_system": links["source_system"],
                "record_id": links["record_id"],
                "person_key": pa.array(links["person_id"], pa.int64()),
            }
        ),
    )
    has = {c: rng.random(n) < (0.02 + 0.004 * age) * (0.3 if c == "dementia" else 1) for c in CONDS}
    crow = {"source_system": [], "record_id": [], "condition": [], "code": [], "diagnosed_date": []}
    for c, flag in has.items():
        for i in np.flatnonzero(flag):
            crow["source_system"].append("gp")
            crow["record_id"].append(f"gp{ids[i]}")
            crow["condition"].append(c)
            crow["code"].append(CODES[c])
            crow["diagnosed_date"].append(date(2020, 1, 1))
    ws.write_table(
        "condition",
        pa.table({**crow, "diagnosed_date": pa.array(crow["diagnosed_date"], pa.date32())}),
    )
    nconds = sum(h.astype(int) for h in has.values())
    act = {
        k: []
        for k in (
            "activity_id",
            "source_system",
            "record_id",
            "setting",
            "start_date",
            "end_date",
            "admission_method",
            "point_of_delivery",
            "primary_diagnosis",
        )
    }
    risk_rows = {"person_key": [], "year": [], "p_emergency": [], "emergency_admissions": []}
    prior = np.zeros(n)

    def add(i, setting, d, method=None, pod=None, los=0, diag=None):
        act["activity_id"].append(f"x{len(act['activity_id'])}")
        act["source_system"].append("inpatient" if setting == "inpatient" else setting)
        act["record_id"].append(f"{'inpatient' if setting == 'inpatient' else setting}{ids[i]}")
        act["setting"].append(setting)
        act["start_date"].append(d)
        act["end_date"].append(d + timedelta(days=los))
        act["admission_method"].append(method)
        act["point_of_delivery"].append(pod)
        act["primary_diagnosis"].append(diag)

    for year in range(3):
        z = (
            -4.2
            + 0.03 * age
            + 0.5 * nconds
            + 0.015 * imd[area]
            + 0.8 * np.log1p(prior)
            + 0.2 * (sex == "M")
        )
        p = 1 / (1 + np.exp(-z))
        k = rng.binomial(1, p) * (1 + rng.poisson(0.3 * p * 3, n))
        risk_rows["person_key"] += list(ids)
        risk_rows["year"] += [START.year + year] * n
        risk_rows["p_emergency"] += list(p)
        risk_rows["emergency_admissions"] += list(k)
        for i in np.flatnonzero(k):
            for d in _dates(rng, year, int(k[i])):
                diag = "J441" if has["copd"][i] and rng.random() < 0.5 else "R104"
                add(i, "inpatient", d, "emergency", "NEL", int(rng.integers(0, 10)), diag)
        ae = rng.poisson(0.2 + 2 * p)
        for i in np.flatnonzero(ae):
            for d in _dates(rng, year, int(ae[i])):
                add(i, "ae", d, pod="AE")
        gp = rng.poisson(2 + 3 * p + 0.5 * nconds)
        for i in np.flatnonzero(gp):
            for d in _dates(rng, year, int(gp[i])):
                add(i, "gp", d, pod="GP")
        prior = k.astype(float)
    ws.write_table(
        "activity",
        pa.table(
            {
                **act,
                "start_date": pa.array(act["start_date"], pa.date32()),
                "end_date": pa.array(act["end_date"], pa.date32()),
            }
        ),
    )
    ws.write_table(
        "truth.risk",
        pa.table(
            {
                "person_key": pa.array(risk_rows["person_key"], pa.int64()),
                "year": pa.array(risk_rows["year"], pa.int32()),
                "p_emergency": risk_rows["p_emergency"],
                "emergency_admissions": pa.array(risk_rows["emergency_admissions"], pa.int32()),
            }
        ),
    )
    return {"n": n}

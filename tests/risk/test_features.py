"""Features at an index date, as small tables of input and expected output."""

from datetime import date

import pyarrow as pa
import pytest

from caremap.risk.config import FeatureConfig
from caremap.risk.features import FEATURE_NAMES, add_months, feature_sql, labelled_sql
from caremap.risk.quality import quality_report

pytestmark = pytest.mark.spec

INDEX = date(2024, 4, 1)
D = date.fromisoformat


def _tables(ws):
    ws.write_table(
        "small_area",
        pa.table(
            {
                "area_code": ["A1", "A2"],
                "locality_code": ["L1", "L2"],
                "ics_code": ["I", "I"],
                "imd_score": [40.0, 10.0],
                "imd_decile": pa.array([2, 8], pa.int32()),
            }
        ),
    )
    # 1: busy; 2: no activity at all; 3: died before the index date; 4: born after it;
    # 5: unknown sex, no area.
    ws.write_table(
        "person",
        pa.table(
            {
                "person_id": pa.array([1, 2, 3, 4, 5], pa.int64()),
                "sex": ["F", "M", "F", "M", "U"],
                "date_of_birth": pa.array(
                    [D("1940-06-15"), D("2000-04-01"), D("1950-01-01"), D("2024-05-01"), None],
                    pa.date32(),
                ),
                "area_code": ["A1", "A2", "A1", "A2", None],
                "practice_code": ["P1", "P2", "P1", "P2", None],
                "date_of_death": pa.array([None, None, D("2024-01-01"), None, None], pa.date32()),
            }
        ),
    )
    ws.write_table(
        "person_link",
        pa.table(
            {
                "source_system": ["gp", "inpatient", "ae", "gp", "gp", "inpatient"],
                "record_id": ["g1", "i1", "a1", "g2", "g3", "i5"],
                "person_id": pa.array([1, 1, 1, 2, 3, 5], pa.int64()),
            }
        ),
    )
    # fmt: off
    rows = [
        # id, source, record, setting, start, end, method, pod, primary diagnosis
        ("e1", "inpatient", "i1", "inpatient", "2024-03-10", "2024-03-20", "emergency", "NEL", "I50.0"),  # 12m, discharged 12 days before
        ("e2", "inpatient", "i1", "inpatient", "2023-06-01", "2023-06-05", None, "NEL"),  # 12m (by POD)
        ("e3", "inpatient", "i1", "inpatient", "2022-12-01", "2022-12-02", "emergency", "NEL", "J441"),  # 13-24m
        ("e4", "inpatient", "i1", "inpatient", "2024-04-02", "2024-04-09", "emergency", "NEL"),  # outcome
        ("e5", "inpatient", "i1", "inpatient", "2024-01-15", "2024-01-16", "elective", "EL"),  # planned, discharged 76 days before
        ("e6", "inpatient", "i1", "inpatient", "2024-02-01", "2024-02-01", None, "XYZ"),  # unknown code
        ("e7", "ae", "a1", "ae", "2023-05-01", None, None, "AE"),
        ("e8", "ae", "a1", "ae", "2023-03-31", None, None, "AE"),  # just outside 12m
        ("e9", "gp", "g1", "gp", "2024-03-31", None, None, None),
        ("e10", "inpatient", "i9", "inpatient", "2024-02-01", "2024-02-03", "emergency", "NEL"),  # unlinked
        ("e11", "inpatient", "i5", "inpatient", "2025-01-01", "2025-01-03", "emergency", "NEL"),  # outcome for 5
    ]
    # fmt: on
    rows = [r if len(r) == 9 else (*r, None) for r in rows]
    cols = list(zip(*rows, strict=True))
    ws.write_table(
        "activity",
        pa.table(
            {
                "activity_id": cols[0],
                "source_system": cols[1],
                "record_id": cols[2],
                "setting": cols[3],
                "start_date": pa.array([D(x) for x in cols[4]], pa.date32()),
                "end_date": pa.array([D(x) if x else None for x in cols[5]], pa.date32()),
                "admission_method": cols[6],
                "point_of_delivery": cols[7],
                "primary_diagnosis": cols[8],
            }
        ),
    )
    ws.write_table(
        "condition",
        pa.table(
            {
                "source_system": ["gp", "gp", "gp", "gp"],
                "record_id": ["g1", "g1", "g1", "g2"],
                "condition": ["copd", "diabetes", "dementia", "asthma"],
                "code": ["J44", "E11", "F03", "I10"],  # the asthma code is not an asthma code
                "diagnosed_date": pa.array(
                    [D("2019-01-01"), None, D("2024-06-01"), D("2020-01-01")], pa.date32()
                ),
            }
        ),
    )


@pytest.fixture
def feats(ws):
    _tables(ws)
    ws.create_table_as("f", feature_sql(INDEX, FeatureConfig()))
    return {r["person_id"]: r for r in ws.sql("SELECT * FROM f").to_pylist()}


def test_population_is_everyone_alive_and_born_at_the_index_date(feats):
    assert sorted(feats) == [1, 2, 5]


def test_busy_person(feats):
    f = feats[1]
    assert f["age"] == 83 and f["female"] == 1 and f["sex_unknown"] == 0
    assert f["imd_score"] == 40.0 and f["imd_decile"] == 2
    # dementia is diagnosed after the index date; COPD coded 13-24 months ago (J441) is
    # outside the 12-month window but on the GP list anyway.
    assert (f["ltc_copd"], f["ltc_diabetes"], f["ltc_dementia"]) == (1, 1, 0)
    # heart failure from the primary diagnosis (I50.0) of an emergency admission
    assert f["ltc_heart_failure"] == 1
    assert f["ltc_count"] == 3
    assert f["emergency_admissions_12m"] == 2
    assert f["emergency_admissions_13_24m"] == 1
    assert f["days_since_emergency"] == 22
    assert f["ltc_heart_failure"] == 1
    assert f["elective_admissions_12m"] == 1
    assert f["bed_days_12m"] == 10 + 4 + 1 + 0
    assert f["ae_attendances_12m"] == 1
    assert f["gp_12m"] == 1
    assert (f["discharges_30d"], f["discharges_90d"]) == (1, 3)


def test_person_with_no_activity_still_has_a_row(feats):
    f = feats[2]
    assert f["age"] == 24 and f["female"] == 0
    assert f["ltc_asthma"] == 1 and f["ltc_count"] == 1
    assert all(
        f[n] == 0
        for n in FEATURE_NAMES
        if n.endswith(("_12m", "_13_24m", "d")) and n != "ltc_count"
    )
    assert f["days_since_emergency"] == (INDEX - add_months(INDEX, -12)).days + 1


def test_unknowns_are_kept_as_missing(feats):
    f = feats[5]
    assert f["age"] is None and f["sex_unknown"] == 1 and f["imd_score"] is None


def test_outcome_label(ws, feats):
    ws.create_table_as("l", labelled_sql("f", INDEX, 12))
    out = {
        r["person_id"]: r["outcome"] for r in ws.sql("SELECT person_id, outcome FROM l").to_pylist()
    }
    assert out == {1: 1, 2: 0, 5: 1}


def test_unknown_codes_are_counted_and_reported(ws, feats):
    quality, unknown = quality_report(ws, INDEX, FeatureConfig(), "f")
    q = dict(zip(quality["measure"].to_pylist(), quality["value"].to_pylist(), strict=True))
    assert q["population"] == 3
    assert q["without_activity"] == 2  # persons 2 and 5 (5's only admission is after the index)
    assert q["activity_unlinked"] == 1
    assert q["sex_unknown"] == 1 and q["age_unknown"] == 1 and q["deprivation_unknown"] == 1
    u = {(r["field"], r["value"]): r["rows"] for r in unknown.to_pylist()}
    assert u == {
        ("activity.admission_method/point_of_delivery", "(blank) / XYZ"): 1,
        ("condition.code (asthma)", "I10"): 1,
    }
    assert q["unknown_code_rows"] == 2


def test_add_months_clips_to_month_end():
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2024, 4, 1), -24) == date(2022, 4, 1)
    assert add_months(date(2023, 12, 15), 1) == date(2024, 1, 15)

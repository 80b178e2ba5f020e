"""Every extract matches the data model, and the economy has what later capabilities need."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from caremap.core import codes, schema
from caremap.core.ingest import table_for_file
from caremap.synth.writer import ARROW_TYPES

pytestmark = pytest.mark.integration

BASE = [
    "region", "ics", "locality", "small_area", "population", "postcode", "road_node",
    "road_link", "provider", "site", "site_capability", "source_record", "condition",
    "activity", "truth.person", "truth.record_person", "truth.condition", "truth.risk",
]  # fmt: skip


def test_every_file_has_exactly_the_canonical_columns_and_types(economy_dir):
    seen = set()
    for f in sorted(economy_dir.rglob("*.parquet")):
        name = table_for_file(f)
        seen.add(name)
        spec = schema.get(name)
        got = pq.read_schema(f)
        assert got.names == spec.column_names, f.name
        for c in spec.columns:
            assert got.field(c.name).type == ARROW_TYPES[c.type], (f.name, c.name)
        derived = {d.name for d in spec.derived}
        assert not derived & set(got.names)
    assert set(BASE) <= seen


def test_keys_are_unique_across_parts(db5k):
    for name in BASE:
        spec = schema.get(name)
        view = name.replace(".", "_")
        keys = ", ".join(spec.key)
        dupes = db5k.execute(
            f"SELECT count(*) FROM (SELECT {keys} FROM {view} GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
        assert dupes == 0, name


def test_all_seven_source_systems_and_setting_equals_source(db5k):
    systems = {
        r[0] for r in db5k.execute("SELECT DISTINCT source_system FROM source_record").fetchall()
    }
    assert systems == set(schema.SOURCE_SYSTEMS)
    act = {r[0] for r in db5k.execute("SELECT DISTINCT source_system FROM activity").fetchall()}
    assert act == set(schema.SOURCE_SYSTEMS)
    assert (
        db5k.execute("SELECT count(*) FROM activity WHERE setting <> source_system").fetchone()[0]
        == 0
    )


def test_inpatient_rows_have_an_admission_method_and_emergencies_are_nel(db5k):
    rows = db5k.execute(
        "SELECT admission_method, point_of_delivery, count(*) FROM activity "
        "WHERE setting = 'inpatient' GROUP BY ALL"
    ).fetchall()
    assert all(m is not None for m, _, _ in rows)
    assert {(m, p) for m, p, _ in rows if m == "emergency"} == {("emergency", "NEL")}
    assert {"elective", "emergency", "maternity"} <= {m for m, _, _ in rows}
    # elective and day cases carry an OPCS-4 procedure
    missing = db5k.execute(
        "SELECT count(*) FROM activity WHERE point_of_delivery IN ('EL', 'DC') "
        "AND procedure_code IS NULL"
    ).fetchone()[0]
    assert missing == 0


def test_codes_are_valid(db5k):
    diag = [r[0] for r in db5k.execute(
        "SELECT DISTINCT primary_diagnosis FROM activity WHERE primary_diagnosis IS NOT NULL "
        "UNION SELECT DISTINCT code FROM condition").fetchall()]  # fmt: skip
    assert diag and all(codes.is_valid_icd10(d) for d in diag)
    sec = db5k.execute(
        "SELECT DISTINCT unnest(string_split(secondary_diagnoses, ';')) FROM activity "
        "WHERE secondary_diagnoses IS NOT NULL"
    ).fetchall()
    assert sec and all(codes.is_valid_icd10(s[0]) for s in sec)
    procs = [r[0] for r in db5k.execute(
        "SELECT DISTINCT procedure_code FROM activity WHERE procedure_code IS NOT NULL").fetchall()]  # fmt: skip
    assert procs and all(codes.is_valid_opcs4(p) for p in procs)
    pcs = np.array([r[0] for r in db5k.execute("SELECT postcode FROM postcode").fetchall()])
    assert all(codes.is_valid_postcode(p) for p in pcs)
    specs = {r[0] for r in db5k.execute("SELECT DISTINCT specialty FROM activity").fetchall()}
    assert {"100", "110", "300", "320", "430"} <= specs


def test_sites_capabilities_and_practices(db5k):
    types = {r[0] for r in db5k.execute("SELECT DISTINCT site_type FROM site").fetchall()}
    assert {"acute_hospital", "gp_practice", "ambulance_station", "surgical_hub",
            "diagnostic_centre"} <= types  # fmt: skip
    caps = dict(db5k.execute(
        "SELECT capability, count(*) FROM site_capability GROUP BY ALL").fetchall())  # fmt: skip
    for c in ("ae", "major_trauma_centre", "trauma_unit", "stroke", "cath_lab", "thrombectomy"):
        assert caps.get(c, 0) >= 1, c
    # every A&E hospital is either the major trauma centre or a trauma unit
    n_ae = caps["ae"]
    assert caps["major_trauma_centre"] + caps["trauma_unit"] == n_ae
    tiers = {r[0] for r in db5k.execute(
        "SELECT DISTINCT tier FROM site WHERE site_type = 'acute_hospital'").fetchall()}  # fmt: skip
    assert tiers == {"teaching", "district_general", "small"}
    total_list = db5k.execute(
        "SELECT sum(list_size) FROM site WHERE site_type = 'gp_practice'"
    ).fetchone()[0]
    assert 0.97 * 5000 <= total_list <= 5000


def test_geography_is_connected_to_the_road_network(db5k):
    orphans = db5k.execute(
        "SELECT count(*) FROM (SELECT road_node FROM small_area UNION ALL "
        "SELECT road_node FROM site) s LEFT JOIN road_node n ON s.road_node = n.node_id "
        "WHERE n.node_id IS NULL"
    ).fetchone()[0]
    assert orphans == 0
    bad_links = db5k.execute(
        "SELECT count(*) FROM road_link l LEFT JOIN road_node a ON l.from_node = a.node_id "
        "LEFT JOIN road_node b ON l.to_node = b.node_id WHERE a.node_id IS NULL "
        "OR b.node_id IS NULL OR l.speed_kph <= 0 OR l.length_km <= 0"
    ).fetchone()[0]
    assert bad_links == 0
    # every locality and ICS row is used, and areas belong to one region
    assert db5k.execute("SELECT count(DISTINCT region_code) FROM small_area").fetchone()[0] == 1


def test_ingests_without_quarantine(economy_ws):
    q = economy_ws.sql("SELECT count(*) AS n FROM quarantine").to_pylist()
    assert q[0]["n"] == 0

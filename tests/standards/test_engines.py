"""Compliance, specialised flags and pot classification agree on DuckDB and Spark."""

from datetime import date

import pyarrow as pa
import pytest

from caremap.core.workspace import open_workspace
from caremap.standards.compliance import ComplianceConfig, evaluate_compliance
from caremap.standards.specialised import SpecialisedConfig, flag_specialised

from .std_helpers import seed_sites, site_months, times, trauma_row, write_trauma

pytestmark = pytest.mark.engine


def _seed(ws):
    seed_sites(ws)
    rows = [trauma_row(f"A{i}", "A", t, gcs=8 if i % 5 == 0 else 15,
                       ct_minutes=45.0 if i % 3 else 70.0) for i, t in enumerate(times(200))]  # fmt: skip
    write_trauma(ws, rows)
    ws.write_table("site_process_month", pa.Table.from_pylist(
        site_months("H", "theatre_utilisation", 80, 100) + site_months("C", "opening_hours", 336, 4)))  # fmt: skip
    ws.write_table("derogation", pa.Table.from_pylist([{
        "derogation_id": "D1", "site_code": "H", "service": "surgical_hub",
        "criterion_id": "theatre_utilisation", "granted_date": date(2024, 1, 1),
        "expiry_date": date(2026, 1, 1), "reason": "x"}]))  # fmt: skip
    ws.write_table("activity", pa.table({
        "activity_id": ["x1", "x2", "x3"], "setting": ["inpatient", "outpatient", "gp"],
        "point_of_delivery": ["EL", "OPFA", "CONS"], "specialty": ["170", "150", None],
        "admission_method": ["elective", None, None],
        "primary_diagnosis": ["I25.1", "G40.9", "J06.9"],
        "secondary_diagnoses": pa.array([None, None, None], pa.string()),
        "procedure_code": ["K40.1", None, None], "site_code": ["A", "A", None],
        "provider_code": ["PA", "PA", "G"], "start_date": pa.array([date(2024, 5, 1)] * 3),
        "cost": [9000.0, 150.0, 40.0]}))  # fmt: skip


def _run(ws):
    _seed(ws)
    evaluate_compliance(ws, ComplianceConfig(as_of=date(2025, 1, 1)))
    flag_specialised(ws, SpecialisedConfig())
    comp = ws.df(
        "SELECT site_code, service, criterion_id, status, numerator, denominator, "
        "derogation_active FROM standards_compliance ORDER BY 1, 2, 3"
    )
    nat = ws.df("SELECT * FROM standards_national ORDER BY region_code, service, criterion_id")
    spec = ws.df("SELECT activity_id, rule_id FROM standards_specialised_activity ORDER BY 1")
    return comp, nat, spec


def test_duckdb_and_spark_agree(tmp_path):
    with open_workspace(tmp_path / "d.duckdb") as d:
        dres = _run(d)
    s = open_workspace(tmp_path / "spark", engine="spark")
    sres = _run(s)
    for a, b in zip(dres, sres, strict=True):
        assert a.astype(str).values.tolist() == b.astype(str).values.tolist()
    assert dres[2].values.tolist() == [["x1", "cardiac_surgery"], ["x2", "neurosurgery"]]

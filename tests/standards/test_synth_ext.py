"""The standards and contracts synth extensions, on a hand-made SynthContext."""

from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from caremap.core import schema
from caremap.synth.ext_contracts import contracts
from caremap.synth.ext_standards import standards_process
from caremap.synth.extensions import SynthContext, extensions

pytestmark = pytest.mark.unit


def _ctx(with_trauma=True):
    rng = np.random.default_rng(0)
    site = pa.table({
        "site_code": ["M1", "T1", "T2", "H1", "D1", "G1", "G2", "G3"],
        "provider_code": ["PA", "PB", "PC", "PA", "PD", "G1", "G2", "G3"],
        "site_type": ["acute_hospital"] * 3 + ["surgical_hub", "diagnostic_centre"]
        + ["gp_practice"] * 3,
        "area_code": ["A1", "A2", "A2", "A1", "A2", "A1", "A1", "A2"],
        "easting": [0.0, 30000.0, -25000.0, 1000.0, 20000.0, 0.0, 10.0, 20.0],
        "northing": [0.0, 0.0, 10000.0, 0.0, 5000.0, 0.0, 10.0, 20.0],
    })  # fmt: skip
    cap = pa.table({
        "site_code": ["M1", "M1", "T1", "T1", "T2", "T2", "H1"],
        "capability": ["ae", "major_trauma_centre", "ae", "trauma_unit", "ae", "trauma_unit",
                       "elective_surgery"],
    })  # fmt: skip
    provider = pa.table({
        "provider_code": ["PA", "PB", "PC", "PD", "G1", "G2", "G3", "LA", "AMB", "COM"],
        "provider_type": ["acute_trust"] * 3 + ["independent_sector"] + ["gp_practice"] * 3
        + ["local_authority", "ambulance_trust", "community_trust"],
    })  # fmt: skip
    n = 3000
    t0 = datetime(2022, 4, 1)
    incidents = pa.table({
        "incident_id": [f"I{k}" for k in range(n)],
        "incident_time": pa.array([t0 + timedelta(hours=int(h)) for h in
                                   np.sort(rng.integers(0, 24 * 1095, n))], pa.timestamp("us")),
        "easting": rng.normal(0, 20000, n), "northing": rng.normal(0, 10000, n),
        "age": rng.integers(1, 95, n).astype(np.int32),
        "sex": rng.choice(["M", "F"], n).tolist(),
        "iss": rng.choice([4, 9, 10, 17, 25, 34, 50], n).astype(np.int32),
    })  # fmt: skip
    summary = pa.table({
        "provider_code": ["PA", "PA", "PA", "G1"], "site_code": ["M1", "H1", "M1", "G1"],
        "setting": ["inpatient", "inpatient", "inpatient", "gp"],
        "point_of_delivery": ["NEL", "DC", "DC", "CONS"], "specialty": ["300", "130", "130", None],
        "admission_method": ["emergency", "elective", "elective", None],
        "year": pa.array([2023, 2023, 2024, 2023], pa.int32()),
        "count": pa.array([1000, 2400, 2000, 50000], pa.int64()),
        "cost": [2_500_000.0, 2_000_000.0, 1_800_000.0, 2_100_000.0],
    })  # fmt: skip
    tables = {
        "site": site, "site_capability": cap, "provider": provider,
        "ics": pa.table({"ics_code": ["ICB1"]}),
        "small_area": pa.table({"area_code": ["A1", "A2"], "locality_code": ["L1", "L2"]}),
    }  # fmt: skip
    if with_trauma:
        tables["trauma_incident"] = incidents
    return SynthContext(seed=3, population=200_000, start_date=date(2022, 4, 1),
                        end_date=date(2025, 3, 31), tables=tables, activity_summary=summary)  # fmt: skip


def _conforms(name, table):
    spec = schema.get(name)
    assert set(table.column_names) == set(spec.column_names), name
    for c in spec.columns:
        if c.required:
            assert table.column(c.name).null_count == 0, f"{name}.{c.name}"


def test_extensions_are_registered_after_trauma():
    order = {e.name: e.order for e in extensions()}
    assert order["standards"] > 50 and order["contracts"] > 50
    if "trauma" in order:
        assert order["standards"] > order["trauma"]


def test_standards_extension_tables_and_planted_failures():
    out = standards_process(_ctx())
    for name in ("trauma_process", "site_process_month", "derogation", "truth.standards_failure"):
        _conforms(name, out[name])
    tp = out["trauma_process"].to_pandas()
    assert len(tp) == 3000
    major = tp[tp.iss > 15]
    assert (major.site_code == "M1").mean() > 0.6  # most go to the MTC
    truth = out["truth.standards_failure"].to_pylist()
    services = {(r["service"], r["criterion_id"]) for r in truth}
    assert ("mtc", "ct_reduced_consciousness") in services
    assert ("trauma_unit", "rehabilitation_prescription") in services
    assert ("surgical_hub", "theatre_utilisation") in services
    assert ("cdc", "six_week_wait") in services and ("cdc", "opening_hours") in services
    # the planted MTC is slow to CT; others are not
    slow = tp[(tp.gcs < 13) & tp.ct_minutes.notna()]
    by_site = (slow.ct_minutes <= 60).groupby(slow.site_code).mean()
    assert by_site["M1"] < 0.6 and by_site.drop("M1").min() > 0.85
    spm = out["site_process_month"].to_pandas()
    util = spm[spm.measure == "theatre_utilisation"]
    assert (util.numerator.sum() / util.denominator.sum()) == pytest.approx(0.72, abs=0.02)
    # deterministic for a seed
    again = standards_process(_ctx())
    assert again["trauma_process"].equals(out["trauma_process"])


def test_standards_extension_without_trauma():
    out = standards_process(_ctx(with_trauma=False))
    assert "trauma_process" not in out and out["site_process_month"].num_rows > 0


def test_contracts_follow_activity():
    out = contracts(_ctx())
    for name in ("contract", "contract_line", "gp_federation"):
        _conforms(name, out[name])
    lines = out["contract_line"].to_pandas().merge(out["contract"].to_pandas(), on="contract_id")
    # FY2023 NEL line for PA: 1,000 admissions at £2,500 in calendar 2023 (12 months)
    nel = lines[(lines.point_of_delivery == "NEL") & (lines.start_date == date(2023, 4, 1))]
    assert len(nel) == 1
    assert nel.unit_price.iloc[0] == 2500.0
    assert nel.value.iloc[0] == pytest.approx(2_500_000, rel=0.1)
    # calendar 2022 has 9 months of data: annualised
    assert lines.contract_type.isin(["aligned_payment", "gms", "block", "section_75"]).all()
    block = lines[lines.contract_type == "block"]
    assert {"sexual_health", "nhs_111", "hospice"} <= set(block.service)
    ph = block[(block.service == "sexual_health") & (block.start_date == date(2024, 4, 1))]
    assert ph.value.iloc[0] == pytest.approx(12.5 * 200_000, rel=0.1)
    totals = lines.groupby("contract_id").value.sum().round(2)
    annual = out["contract"].to_pandas().set_index("contract_id").annual_value
    assert (totals - annual.loc[totals.index]).abs().max() < 0.05
    fed = out["gp_federation"].to_pylist()
    assert {r["practice_code"] for r in fed} == {"G1", "G2", "G3"}
    assert {r["locality_code"] for r in fed} == {"L1", "L2"}

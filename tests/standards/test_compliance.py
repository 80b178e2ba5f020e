"""Compliance against the shipped specifications, on small hand-made tables."""

from datetime import date, datetime

import pyarrow as pa
import pytest

from caremap.core.errors import ConfigError, WorkspaceError
from caremap.standards.compliance import ComplianceConfig, CriterionOverride, evaluate_compliance

from .std_helpers import seed_sites, site_months, times, trauma_row, write_trauma

pytestmark = pytest.mark.integration

AS_OF = date(2025, 1, 1)


def _status(ws, site, service, crit):
    rows = ws.sql(
        "SELECT status, numerator, denominator, value, derogation_active, region_code "
        f"FROM standards_compliance WHERE site_code = '{site}' AND service = '{service}' "
        f"AND criterion_id = '{crit}'"
    ).to_pylist()
    assert len(rows) == 1
    return rows[0]


@pytest.fixture
def seeded(ws):
    seed_sites(ws)
    rows = []
    # site A (MTC): 300 ISS>15 patients a year, 90% consultant-led; CT for 10 GCS<13 cases,
    # 8 within 60 min -> 0.8 (< 0.9: not met).
    for i, t in enumerate(times(300)):
        rows.append(trauma_row(f"A{i}", "A", t, trauma_team_consultant=i % 10 != 0))
    for i, t in enumerate(times(10)):
        rows.append(trauma_row(f"AC{i}", "A", t, iss=9, gcs=8, ct_minutes=30.0 if i < 8 else 75.0))
    # site B (TU): 4 transfers, all within 90 minutes; no patients with GCS < 13.
    for i, t in enumerate(times(4)):
        rows.append(trauma_row(f"B{i}", "B", t, transferred_to_mtc=True, transfer_minutes=90.0))
    # outside the evidence period: must not count
    rows.append(trauma_row("OLD", "A", times(1, start=datetime(2022, 1, 1))[0], gcs=5))
    write_trauma(ws, rows)
    months = (
        site_months("H", "theatre_utilisation", 80, 100)
        + site_months("H", "ringfenced_bed_days", 99, 100)
        + site_months("H", "day_case_rate", 90, 100)
        + site_months("H", "on_the_day_cancellation", 1, 100)
        + site_months("C", "opening_hours", 84 * 4, 4)
        + site_months("C", "six_week_breach", 10, 100)
    )
    ws.write_table("site_process_month", pa.Table.from_pylist(months))
    return ws


def test_every_applicable_site_gets_every_criterion(seeded):
    res = evaluate_compliance(seeded, ComplianceConfig(as_of=AS_OF))
    per = dict(
        (r["site_code"], r["n"])
        for r in seeded.sql(
            "SELECT site_code, count(*) AS n FROM standards_compliance GROUP BY 1"
        ).to_pylist()
    )
    assert per == {"A": 6, "B": 5, "H": 4, "C": 3}
    assert res.assessments == 18 == res.met + res.not_met + res.no_evidence


def test_met_not_met_and_figures(seeded):
    evaluate_compliance(seeded, ComplianceConfig(as_of=AS_OF))
    r = _status(seeded, "A", "mtc", "consultant_trauma_team")
    assert r["status"] == "met" and r["denominator"] == 300 and r["numerator"] == 270
    assert r["region_code"] == "R1"
    r = _status(seeded, "A", "mtc", "ct_reduced_consciousness")
    assert (r["status"], r["numerator"], r["denominator"]) == ("not met", 8, 10)
    r = _status(seeded, "A", "mtc", "annual_volume")
    assert r["status"] == "met" and r["value"] == pytest.approx(300.0)
    assert _status(seeded, "A", "mtc", "definitive_airway")["status"] == "no evidence"
    assert _status(seeded, "B", "trauma_unit", "transfer_to_mtc")["status"] == "met"
    # B has fewer than min_denominator GCS<13 cases
    assert _status(seeded, "B", "trauma_unit", "ct_reduced_consciousness")["status"] == (
        "no evidence"
    )
    assert _status(seeded, "H", "surgical_hub", "theatre_utilisation")["status"] == "not met"
    assert _status(seeded, "H", "surgical_hub", "on_the_day_cancellations")["status"] == "met"
    r = _status(seeded, "C", "cdc", "opening_hours")
    assert r["status"] == "met" and r["value"] == pytest.approx(84.0)
    assert _status(seeded, "C", "cdc", "six_week_wait")["status"] == "not met"
    assert _status(seeded, "C", "cdc", "annual_tests")["status"] == "no evidence"


def test_thresholds_and_params_are_parameters(seeded):
    cfg = ComplianceConfig(
        as_of=AS_OF,
        overrides={
            "mtc.ct_reduced_consciousness": CriterionOverride(params={"minutes": 80}),
            "surgical_hub.theatre_utilisation": CriterionOverride(threshold=0.75),
        },
    )
    evaluate_compliance(seeded, cfg)
    assert _status(seeded, "A", "mtc", "ct_reduced_consciousness")["status"] == "met"
    assert _status(seeded, "H", "surgical_hub", "theatre_utilisation")["status"] == "met"


def test_unknown_override_is_refused(seeded):
    with pytest.raises(ConfigError, match=r"mtc\.nope"):
        evaluate_compliance(
            seeded, ComplianceConfig(as_of=AS_OF, overrides={"mtc.nope": CriterionOverride()})
        )
    with pytest.raises(ConfigError, match="no parameter 'hours'"):
        evaluate_compliance(
            seeded,
            ComplianceConfig(
                as_of=AS_OF,
                overrides={"mtc.definitive_airway": CriterionOverride(params={"hours": 1})},
            ),
        )


def test_derogation_with_expiry(seeded):
    seeded.write_table(
        "derogation",
        pa.Table.from_pylist(
            [
                {
                    "derogation_id": "D1",
                    "site_code": "A",
                    "service": "mtc",
                    "criterion_id": "ct_reduced_consciousness",
                    "granted_date": date(2024, 6, 1),
                    "expiry_date": date(2025, 6, 30),
                    "reason": "new CT scanner",
                },
                {
                    "derogation_id": "D2",
                    "site_code": "C",
                    "service": "cdc",
                    "criterion_id": "six_week_wait",
                    "granted_date": date(2023, 1, 1),
                    "expiry_date": date(2024, 3, 31),
                    "reason": "expired",
                },
            ]
        ),
    )
    evaluate_compliance(seeded, ComplianceConfig(as_of=AS_OF))
    r = _status(seeded, "A", "mtc", "ct_reduced_consciousness")
    assert r["status"] == "not met" and r["derogation_active"] is True
    assert _status(seeded, "C", "cdc", "six_week_wait")["derogation_active"] is False
    summ = {
        (r["site_code"]): r["assessment"]
        for r in seeded.sql("SELECT * FROM standards_site_summary").to_pylist()
    }
    # A: the only critical failure is derogated; definitive airway has no evidence
    assert summ["A"] == "insufficient evidence"
    assert summ["C"] == "not compliant"
    assert summ["H"] == "partially compliant"


def test_national_comparison_pools_regions(seeded):
    evaluate_compliance(seeded, ComplianceConfig(as_of=AS_OF))
    nat = seeded.sql(
        "SELECT region_code, sites, met FROM standards_national "
        "WHERE service = 'mtc' AND criterion_id = 'consultant_trauma_team' ORDER BY 1"
    ).to_pylist()
    assert nat == [
        {"region_code": "R1", "sites": 1, "met": 1},
        {"region_code": "national", "sites": 1, "met": 1},
    ]
    regions = {r["region_code"] for r in seeded.sql("SELECT * FROM standards_national").to_pylist()}
    assert regions == {"R1", "R2", "national"}


def test_missing_site_table_names_the_producer(ws):
    with pytest.raises(WorkspaceError, match="site"):
        evaluate_compliance(ws, ComplianceConfig(as_of=AS_OF))


def test_default_as_of_follows_the_data(seeded):
    res = evaluate_compliance(seeded, ComplianceConfig())
    assert res.as_of == date(2025, 1, 1)

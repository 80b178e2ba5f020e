"""Every criterion of every shipped specification, met at its threshold and not met just past it.

A table-driven spec test: for each criterion we build the evidence its metric reads, with the
value exactly at the threshold (met) and one case beyond it (not met), and run compliance.
"""

import math
from datetime import date

import pyarrow as pa
import pytest

from caremap.standards.compliance import ComplianceConfig, evaluate_compliance
from caremap.standards.metrics import METRICS
from caremap.standards.spec import load_spec, shipped_spec_paths

from .std_helpers import seed_sites, site_months, times, trauma_row, write_trauma

pytestmark = pytest.mark.spec

SITE = {"mtc": "A", "trauma_unit": "B", "surgical_hub": "H", "cdc": "C"}
PATHS = {load_spec(p).service: p for p in shipped_spec_paths()}
CASES = [(s, c) for s, p in PATHS.items() for c in load_spec(p).criteria]
MEASURE = {
    "hub_theatre_utilisation": "theatre_utilisation",
    "hub_day_case_rate": "day_case_rate",
    "hub_cancellation_rate": "on_the_day_cancellation",
    "hub_ringfenced_beds": "ringfenced_bed_days",
    "cdc_six_week_breach": "six_week_breach",
    "cdc_opening_hours": "opening_hours",
    "cdc_tests_per_year": "tests_performed",
}


def _trauma_rows(site, metric, p, k, n):
    """n cohort rows for the metric, k of them successful."""
    rows = []
    for i, t in enumerate(times(n)):
        ok = i < k
        kw = {}
        if metric in ("trauma_consultant_on_arrival", "trauma_rehab_prescription"):
            field = {"trauma_consultant_on_arrival": "trauma_team_consultant",
                     "trauma_rehab_prescription": "rehab_prescription"}[metric]  # fmt: skip
            kw = {"iss": int(p["iss_above"]) + 1, field: ok}
        elif metric == "trauma_ct_within":
            kw = {"gcs": int(p["gcs_below"]) - 1, "ct_minutes": p["minutes"] + (0 if ok else 1)}
        else:
            need, minutes = {"trauma_airway_within": ("airway_needed", "airway_minutes"),
                             "trauma_txa_within": ("txa_needed", "txa_minutes"),
                             "trauma_transfer_within": ("transferred_to_mtc",
                                                        "transfer_minutes")}[metric]  # fmt: skip
            kw = {need: True, minutes: p["minutes"] + (0 if ok else 1)}
        rows.append(trauma_row(f"{site}{i}", site, t, **kw))
    return rows


def _evidence(ws, service, crit, met):
    site = SITE[service]
    m = METRICS[crit.metric]
    p = {**m.defaults, **crit.params}
    thr = crit.threshold
    high = crit.operator in (">=", ">")
    if crit.metric == "trauma_annual_volume":
        n = math.ceil(thr) if met == high else math.ceil(thr) - 1
        rows = [trauma_row(f"{site}{i}", site, t, iss=int(p["iss_above"]) + 1)
                for i, t in enumerate(times(n))]  # fmt: skip
        write_trauma(ws, rows)
    elif m.table == "trauma_process":
        n = 100
        k = math.ceil(thr * n) if high else math.floor(thr * n)
        if not met:
            k = k - 1 if high else k + 1
        write_trauma(ws, _trauma_rows(site, crit.metric, p, k, n))
    else:
        measure = MEASURE[crit.metric]
        if m.unit == "per_year":
            total = thr if met == high else thr - 12
            rows = site_months(site, measure, total / 12, None)
        elif m.unit == "per_week":
            hours = thr if met == high else thr - 1
            rows = site_months(site, measure, hours * 4, 4)
        else:
            den = 1000
            k = math.ceil(thr * den) if high else math.floor(thr * den)
            if not met:
                k = k - 1 if high else k + 1
            rows = site_months(site, measure, k, den)
        ws.write_table("site_process_month", pa.Table.from_pylist(rows))


@pytest.mark.parametrize("met", [True, False], ids=["met", "not_met"])
@pytest.mark.parametrize("service,crit", CASES, ids=[f"{s}.{c.id}" for s, c in CASES])
def test_criterion_at_threshold(ws, service, crit, met):
    seed_sites(ws)
    _evidence(ws, service, crit, met)
    evaluate_compliance(ws, ComplianceConfig(as_of=date(2025, 1, 1), specs=[PATHS[service]]))
    row = ws.sql(
        "SELECT status, value, threshold FROM standards_compliance "
        f"WHERE service = '{service}' AND criterion_id = '{crit.id}'"
    ).to_pylist()
    assert len(row) == 1
    assert row[0]["status"] == ("met" if met else "not met"), row[0]

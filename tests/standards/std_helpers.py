"""Small hand-made tables for standards tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pyarrow as pa


def trauma_row(pid, site, t, **kw):
    row = {
        "process_id": pid,
        "incident_id": None,
        "site_code": site,
        "provider_code": "P" + site,
        "arrival_time": t,
        "age": 50,
        "sex": "M",
        "iss": 20,
        "gcs": 15,
        "trauma_team_consultant": True,
        "ct_minutes": None,
        "airway_needed": False,
        "airway_minutes": None,
        "txa_needed": False,
        "txa_minutes": None,
        "rehab_prescription": True,
        "transferred_to_mtc": False,
        "transfer_minutes": None,
        "died_30d": False,
    }
    row.update(kw)
    return row


TRAUMA_SCHEMA = pa.schema(
    [
        ("process_id", pa.string()),
        ("incident_id", pa.string()),
        ("site_code", pa.string()),
        ("provider_code", pa.string()),
        ("arrival_time", pa.timestamp("us")),
        ("age", pa.int32()),
        ("sex", pa.string()),
        ("iss", pa.int32()),
        ("gcs", pa.int32()),
        ("trauma_team_consultant", pa.bool_()),
        ("ct_minutes", pa.float64()),
        ("airway_needed", pa.bool_()),
        ("airway_minutes", pa.float64()),
        ("txa_needed", pa.bool_()),
        ("txa_minutes", pa.float64()),
        ("rehab_prescription", pa.bool_()),
        ("transferred_to_mtc", pa.bool_()),
        ("transfer_minutes", pa.float64()),
        ("died_30d", pa.bool_()),
    ]
)


def seed_sites(ws):
    ws.write_table(
        "region", pa.table({"region_code": ["R1", "R2"], "region_name": ["North", "South"]})
    )
    ws.write_table(
        "ics",
        pa.table({"ics_code": ["I1", "I2"], "ics_name": ["a", "b"], "region_code": ["R1", "R2"]}),
    )
    ws.write_table(
        "provider",
        pa.table(
            {
                "provider_code": ["PA", "PB", "PH", "PC"],
                "provider_name": ["A", "B", "H", "C"],
                "provider_type": ["acute_trust"] * 4,
                "ics_code": ["I1", "I2", "I1", "I2"],
            }
        ),
    )
    ws.write_table(
        "site",
        pa.table(
            {
                "site_code": ["A", "B", "H", "C"],
                "site_name": ["Alpha", "Beta", "Hub", "CDC"],
                "provider_code": ["PA", "PB", "PH", "PC"],
                "site_type": [
                    "acute_hospital",
                    "acute_hospital",
                    "surgical_hub",
                    "diagnostic_centre",
                ],
                "area_code": [None, None, None, None],
            }
        ),
    )
    ws.write_table(
        "site_capability",
        pa.table(
            {
                "site_code": ["A", "A", "B"],
                "capability": ["major_trauma_centre", "ae", "trauma_unit"],
            }
        ),
    )


def write_trauma(ws, rows):
    ws.write_table("trauma_process", pa.Table.from_pylist(rows, schema=TRAUMA_SCHEMA))


def site_months(site, measure, num, den, months=12, end=date(2025, 1, 1)):
    out = []
    for k in range(1, months + 1):
        m = end.year * 12 + end.month - 1 - k
        out.append(
            {
                "site_code": site,
                "month": date(m // 12, m % 12 + 1, 1),
                "measure": measure,
                "numerator": float(num),
                "denominator": None if den is None else float(den),
            }
        )
    return out


def times(n, start=datetime(2024, 2, 1, 10, 0)):
    return [start + timedelta(days=i) for i in range(n)]

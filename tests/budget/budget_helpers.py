"""Small hand-made tables for budget tests."""

from __future__ import annotations

import pyarrow as pa

ACT_COLS = {
    "activity_id": pa.string(), "source_system": pa.string(), "record_id": pa.string(),
    "setting": pa.string(), "start_date": pa.date32(), "end_date": pa.date32(),
    "site_code": pa.string(), "provider_code": pa.string(), "admission_method": pa.string(),
    "point_of_delivery": pa.string(), "specialty": pa.string(),
    "primary_diagnosis": pa.string(), "secondary_diagnoses": pa.string(),
    "procedure_code": pa.string(), "cost": pa.float64(),
}  # fmt: skip
LINE_COLS = {
    "contract_id": pa.string(), "line_id": pa.string(), "service": pa.string(),
    "setting": pa.string(), "point_of_delivery": pa.string(), "specialty": pa.string(),
    "planned_activity": pa.float64(), "unit_price": pa.float64(), "value": pa.float64(),
}  # fmt: skip


def activity_table(rows: list[dict]) -> pa.Table:
    schema = pa.schema(list(ACT_COLS.items()))
    return pa.Table.from_pylist([{c: r.get(c) for c in ACT_COLS} for r in rows], schema=schema)


def line_table(rows: list[dict]) -> pa.Table:
    schema = pa.schema(list(LINE_COLS.items()))
    return pa.Table.from_pylist([{c: r.get(c) for c in LINE_COLS} for r in rows], schema=schema)


def contracts(ids, contract_type="activity", provider="P1"):
    return pa.Table.from_pylist(
        [
            {"contract_id": c, "commissioner_code": "ICB", "provider_code": provider,
             "contract_type": contract_type, "start_date": None, "end_date": None,
             "annual_value": None}
            for c in ids
        ],
        schema=pa.schema([("contract_id", pa.string()), ("commissioner_code", pa.string()),
                          ("provider_code", pa.string()), ("contract_type", pa.string()),
                          ("start_date", pa.date32()), ("end_date", pa.date32()),
                          ("annual_value", pa.float64())]),
    )  # fmt: skip


def specialised(ids) -> pa.Table:
    return pa.table({"activity_id": pa.array(ids, pa.string())})

"""What linkage makes of each kind of value: a table of input and expected evidence."""

from datetime import date

import pyarrow as pa
import pytest

from caremap.link.config import LinkConfig
from caremap.link.prepare import RAW_COLUMNS, deterministic_edges_sql, prepare_sql, register_names

pytestmark = pytest.mark.spec

# record_id, nhs_raw, given, family, dob, sex, postcode -> expected nhs, given, dob, postcode,
# pc_sector, pc_district, unusable?
CASES = [
    ("ok", "943 476 5919", "Bill", "Smith", date(1950, 3, 1), "m", "sw1a1aa",
     "9434765919", "BILL", date(1950, 3, 1), "SW1A 1AA", "SW1A 1", "SW1A", False),
    ("badcheck", "9434765918", "Ann", "Jones", date(1960, 1, 2), "F", "LS1 4AP",
     None, "ANN", date(1960, 1, 2), "LS1 4AP", "LS1 4", "LS1", False),
    ("placeholder", "9999999999", "Ann", "Jones", date(1960, 1, 2), "2", "ZZ99 3VZ",
     None, "ANN", date(1960, 1, 2), None, None, None, False),
    ("junkdob", None, "UNKNOWN", "UNKNOWN", date(1900, 1, 1), "U", None,
     None, None, None, None, None, None, True),
    ("babyof", None, "BABY OF", "Khan", None, "F", "M1 1AE",
     None, None, None, "M1 1AE", "M1 1", "M1", True),
]  # fmt: skip


@pytest.fixture
def prepared(ws):
    rows = [
        {
            "source": "gp",
            "record_id": c[0],
            "nhs_raw": c[1],
            "ident_raw": None,
            "given_raw": c[2],
            "family_raw": c[3],
            "dob": c[4],
            "sex_raw": c[5],
            "postcode_raw": c[6],
            "address_raw": None,
            "record_date": date(2024, 1, 1),
        }
        for c in CASES
    ]
    schema = pa.schema(
        [(c, pa.date32() if c in ("dob", "record_date") else pa.string()) for c in RAW_COLUMNS]
    )
    ws.register_temp("raw", pa.Table.from_pylist(rows, schema=schema))
    register_names(ws, "SELECT * FROM raw")
    ws.create_table_as("link_input", prepare_sql("SELECT * FROM raw", LinkConfig()))
    return {r["record_id"]: r for r in ws.sql("SELECT * FROM link_input").to_pylist()}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_cleaning(prepared, case):
    r = prepared[case[0]]
    nhs, given, dob, pc, sector, district, unusable = case[7:]
    assert r["nhs"] == nhs
    assert r["given"] == given
    assert r["dob"] == dob
    assert r["postcode"] == pc
    assert r["pc_sector"] == sector
    assert r["pc_district"] == district
    assert (r["unusable_reason"] is not None) == unusable


def test_reasons_name_what_is_missing(prepared):
    reason = prepared["junkdob"]["unusable_reason"]
    assert "placeholder date of birth" in reason and "no usable given name" in reason
    assert "no NHS number" in reason


def test_uids_are_dense_and_nicknames_resolved(prepared):
    assert sorted(r["uid"] for r in prepared.values()) == list(range(len(CASES)))
    assert "WILLIAM" in prepared["ok"]["given_canons"]
    assert prepared["ok"]["sex"] == "M" and prepared["placeholder"]["sex"] == "F"


def test_deterministic_pass_groups_nhs_and_dob(ws):
    ws.register_temp(
        "li",
        pa.table(
            {
                "uid": [0, 1, 2, 3],
                "nhs": ["9434765919", "9434765919", "9434765919", None],
                "dob": [date(1950, 3, 1), date(1950, 3, 1), date(1950, 3, 2), date(1950, 3, 1)],
                "unusable_reason": pa.array([None] * 4, pa.string()),
            }
        ),
    )
    edges = ws.sql(deterministic_edges_sql("li")).to_pylist()
    assert edges == [{"uid_l": 1, "uid_r": 0}]

"""Representatives: which records Splink still has to score after the deterministic pass."""

from datetime import date
from itertools import combinations

import pyarrow as pa
import pytest

from caremap.link.config import LinkConfig
from caremap.link.prepare import RAW_COLUMNS, prepare_sql, register_names
from caremap.link.reduce import pair_count_sql, representatives_sql

pytestmark = pytest.mark.unit

D1, D2 = date(1950, 3, 1), date(1961, 7, 9)
# record_id, source, nhs, given, family, dob, postcode
ROWS = [
    ("a1", "gp", "9434765919", "Ann", "Smith", D1, "LS1 4AP"),
    ("a2", "ae", "9434765919", "Ann", "Smith", D1, "LS1 4AP"),  # same as a1: collapses
    ("a3", "ip", "9434765919", "Anne", "Smith", D1, "LS1 4AP"),  # a variant: kept
    ("a4", "ip", "9434765919", "Ann", "Smith", D2, "LS1 4AP"),  # DOB differs: own group
    ("b1", "gp", None, "Bob", "Jones", D2, "M1 1AE"),  # no NHS number: never collapsed
    ("b2", "ae", None, "Bob", "Jones", D2, "M1 1AE"),
    ("c1", "one", "9434765919", "Ann", "Smith", D1, "LS1 4AP"),  # duplicate-free source
]


@pytest.fixture
def link_input(ws):
    rows = [
        {c: None for c in RAW_COLUMNS} | dict(
            source=r[1], record_id=r[0], nhs_raw=r[2], given_raw=r[3], family_raw=r[4],
            dob=r[5], sex_raw="F", postcode_raw=r[6], record_date=date(2024, 1, 1))
        for r in ROWS
    ]  # fmt: skip
    schema = pa.schema(
        [(c, pa.date32() if c in ("dob", "record_date") else pa.string()) for c in RAW_COLUMNS]
    )
    ws.register_temp("raw", pa.Table.from_pylist(rows, schema=schema))
    register_names(ws, "SELECT * FROM raw")
    ws.create_table_as("link_input", prepare_sql("SELECT * FROM raw", LinkConfig()))
    return ws


def _reps(ws, duplicate_free=(), deterministic=True):
    out = ws.sql(
        "SELECT i.record_id, r.det_group, g.record_id AS group_of FROM "
        f"({representatives_sql('link_input', duplicate_free, deterministic)}) r "
        "JOIN link_input i USING (uid) JOIN link_input g ON g.uid = r.det_group"
    ).to_pylist()
    return {r["record_id"]: r["group_of"] for r in out}


def test_identical_records_of_one_deterministic_group_have_one_representative(link_input):
    reps = _reps(link_input)
    # a1/a2/c1 identical in every compared column and share NHS number + DOB: one stands in
    assert len({"a1", "a2", "c1"} & set(reps)) == 1
    assert reps["a3"] == reps[next(iter({"a1", "a2", "c1"} & set(reps)))]
    assert reps["a4"] == "a4"  # another date of birth: its own deterministic group
    assert reps["b1"] == "b1" and reps["b2"] == "b2"  # no NHS number: scored as before
    assert len(reps) == 5


def test_duplicate_free_sources_are_never_grouped(link_input):
    reps = _reps(link_input, duplicate_free=["one"])
    assert reps["c1"] == "c1"
    assert len(reps) == 6


def test_without_the_deterministic_pass_every_record_is_scored(link_input):
    reps = _reps(link_input, deterministic=False)
    assert reps == {r[0]: r[0] for r in ROWS}


def test_pair_count_matches_enumeration(link_input):
    rows = link_input.sql("SELECT family, dob FROM link_input").to_pylist()
    expected = sum(
        1
        for a, b in combinations(rows, 2)
        if a["family"] == b["family"] and a["dob"] == b["dob"] and a["dob"] is not None
    )
    got = link_input.scalar(pair_count_sql("SELECT * FROM link_input", ("family", "dob")))
    assert got == expected == 6 + 1  # {a1,a2,a3,c1} and {a4 with nobody}; {b1,b2}


def test_em_sample_share_keeps_the_pair_budget():
    from caremap.link.linkage import em_share

    assert em_share(150_000, 2e5) == 1.0
    assert em_share(800_000, 2e5) == pytest.approx(0.5)

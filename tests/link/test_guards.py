"""The twin and household guard, as a table of pairs and whether each is refused."""

from datetime import date

import duckdb
import pytest

from caremap.link.config import LinkConfig
from caremap.link.guards import edges_sql
from caremap.link.splink_engine import Evidence

pytestmark = pytest.mark.spec

D = date(1990, 5, 17)
# name, nhs_l, nhs_r, given_l, given_r, canons_l, canons_r, gamma_given, dob_l, dob_r,
# gamma_dob, postcode_r -> refused?
PAIRS = [
    ("twins", None, None, "JAMES", "SARAH", ["JAMES"], ["SARAH"], 0, D, D, 4, "LS1 4AP", True),
    ("twins with NHS numbers agreeing", "9434765919", "9434765919", "JAMES", "SARAH",
     ["JAMES"], ["SARAH"], 0, D, D, 4, "LS1 4AP", False),
    ("sibling same year", None, None, "JOHN", "JOAN", ["JOHN"], ["JOAN"], 3, D,
     date(1990, 1, 2), 0, "LS1 4AP", True),
    ("nickname", None, None, "BILL", "WILLIAM", ["WILLIAM"], ["WILLIAM"], 4, D, D, 4,
     "LS1 4AP", False),
    ("nickname with DOB typo", None, None, "BILL", "WILLIAM", ["WILLIAM"], ["WILLIAM"], 4, D,
     date(1990, 5, 18), 2, "LS1 4AP", False),
    ("different address", None, None, "JAMES", "SARAH", ["JAMES"], ["SARAH"], 0, D, D, 4,
     "M1 1AE", False),
]  # fmt: skip


@pytest.mark.parametrize("case", PAIRS, ids=[p[0] for p in PAIRS])
def test_guard(case):
    (_, nl, nr, gl, gr, cl, cr, gg, dl, dr, gd, pr, refused) = case
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE pred AS SELECT 0 AS uid_l, 1 AS uid_r, 0.999 AS match_probability, "
        "10.0 AS match_weight, ?::VARCHAR AS nhs_l, ?::VARCHAR AS nhs_r, ?::VARCHAR AS given_l, "
        "?::VARCHAR AS given_r, ?::VARCHAR[] AS given_canons_l, ?::VARCHAR[] AS given_canons_r, "
        "? AS gamma_given, 'SMITH' AS family_l, 'SMITH' AS family_r, ?::DATE AS dob_l, "
        "?::DATE AS dob_r, ? AS gamma_dob, 'LS1 4AP' AS postcode_l, ?::VARCHAR AS postcode_r, "
        "1 AS gamma_sex",
        [nl, nr, gl, gr, cl, cr, gg, dl, dr, gd, pr],
    )
    sql = edges_sql("pred", Evidence(), LinkConfig())
    assert con.execute(sql).fetchall()[0][4] is refused


# NHS numbers agree; gamma_given, gamma_dob, gamma_sex -> refused as another person's number?
CONTRADICTIONS = [
    ("household member: given name and date of birth disagree", 0, 0, 1, True),
    ("co-twin of the other sex: given name and sex disagree", 0, 4, 0, True),
    ("one typo in each of given name and date of birth", 3, 2, 1, False),
    ("nickname, date of birth slipped beyond a typo", 4, 0, 1, False),
    ("sex unknown, name replaced", 0, 4, -1, False),
]


@pytest.mark.parametrize("case", CONTRADICTIONS, ids=[c[0] for c in CONTRADICTIONS])
def test_nhs_number_contradicted_by_everything_else_is_refused(case):
    _, gg, gd, gs, refused = case
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE pred AS SELECT 0 AS uid_l, 1 AS uid_r, 0.999 AS match_probability, "
        "10.0 AS match_weight, '9434765919' AS nhs_l, '9434765919' AS nhs_r, "
        "'JAMES' AS given_l, 'SARAH' AS given_r, ['JAMES'] AS given_canons_l, "
        "['SARAH'] AS given_canons_r, ? AS gamma_given, 'SMITH' AS family_l, "
        "'SMITH' AS family_r, DATE '1990-05-17' AS dob_l, DATE '1960-01-02' AS dob_r, "
        "? AS gamma_dob, 'LS1 4AP' AS postcode_l, 'LS1 4AP' AS postcode_r, ? AS gamma_sex",
        [gg, gd, gs],
    )
    row = con.execute(edges_sql("pred", Evidence(), LinkConfig())).fetchall()[0]
    assert row[4] is refused and row[5] is refused


def test_different_numbers_may_link_only_when_name_and_birth_date_agree():
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE pred AS SELECT * FROM (VALUES (0, 1, 4, 4), (0, 2, 4, 0), (0, 3, 0, 4)) "
        "v(uid_l, uid_r, gamma_given, gamma_dob)"
    )
    con.execute(
        "CREATE TABLE p2 AS SELECT *, 0.9999 AS match_probability, 20.0 AS match_weight, "
        "'9434765919' AS nhs_l, '9434765927' AS nhs_r, 'JAMES' AS given_l, 'JAMES' AS given_r, "
        "['JAMES'] AS given_canons_l, ['JAMES'] AS given_canons_r, 'SMITH' AS family_l, "
        "'SMITH' AS family_r, DATE '1990-05-17' AS dob_l, DATE '1990-05-17' AS dob_r, "
        "'LS1 4AP' AS postcode_l, 'LS1 4AP' AS postcode_r, 1 AS gamma_sex FROM pred"
    )
    rows = con.execute(edges_sql("p2", Evidence(), LinkConfig()) + " ORDER BY uid_r").fetchall()
    assert [r[6] for r in rows] == [True, False, False]

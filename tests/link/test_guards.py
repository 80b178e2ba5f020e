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
        "?::DATE AS dob_r, ? AS gamma_dob, 'LS1 4AP' AS postcode_l, ?::VARCHAR AS postcode_r",
        [nl, nr, gl, gr, cl, cr, gg, dl, dr, gd, pr],
    )
    sql = edges_sql("pred", Evidence(), LinkConfig())
    assert con.execute(sql).fetchall()[0][4] is refused

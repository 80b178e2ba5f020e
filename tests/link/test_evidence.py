"""Evidence the data estimates about itself: worked examples counted by hand."""

from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from caremap.core.errors import InputError
from caremap.link.evidence import check_evidence, nhs_conflict_rate, twin_guard_wanted
from caremap.link.linkage import best_threshold

pytestmark = pytest.mark.spec

D = date(1980, 2, 3)


def _table(rows):
    cols = ["uid", "nhs", "ident", "given", "given_canons", "given_phon", "family", "dob",
            "postcode", "address", "unusable_reason"]  # fmt: skip
    data = {c: [r.get(c) for r in rows] for c in cols}
    types = {"uid": pa.int64(), "dob": pa.date32(), "given_canons": pa.list_(pa.string())}
    return pa.table({c: pa.array(v, types.get(c, pa.string())) for c, v in data.items()})


def test_nhs_conflict_rate_counts_pairs_of_identical_demographics(ws):
    # group 1: 5 records, numbers A,A,A,A,B -> 10 pairs, 6 agree; group 2: 6 records all C
    # -> 15 pairs, 15 agree; group 3: 3 records, no number on one -> 1 pair, agrees.
    rows = []
    for i, n in enumerate("AAAAB"):
        rows.append(dict(uid=i, nhs=n, given="ANN", family="LEE", dob=D, postcode="LS1 4AP"))
    for i in range(6):
        rows.append(dict(uid=10 + i, nhs="C", given="BOB", family="LEE", dob=D, postcode="M1 1AE"))
    for i, n in enumerate(["D", "D", None]):
        rows.append(dict(uid=20 + i, nhs=n, given="CY", family="OX", dob=D, postcode="M1 1AE"))
    ws.register_temp("li", _table(rows))
    # 26 pairs, 4 conflicting: (4 + 0.01) / (26 + 1)
    assert nhs_conflict_rate(ws, "li") == pytest.approx(4.01 / 27, rel=1e-12)


def test_nhs_conflict_rate_needs_enough_labelled_pairs(ws):
    rows = [
        dict(uid=i, nhs="A", given="ANN", family="LEE", dob=D, postcode="LS1") for i in range(3)
    ]
    ws.register_temp("li", _table(rows))
    assert nhs_conflict_rate(ws, "li") is None


def _household(ws, same_number: bool, n: int = 25):
    rows = []
    for h in range(n):
        for k, given in enumerate(("JAMES", "SARAH")):
            nhs = f"N{h}" if same_number else f"N{h}-{k}"
            rows.append(dict(uid=2 * h + k, nhs=nhs, given=given, given_canons=[given],
                             given_phon=given[:2], family=f"F{h}", dob=D, postcode=f"P{h}"))  # fmt: skip
    ws.register_temp("li", _table(rows))


def test_twin_guard_on_when_identifiers_show_different_people(ws):
    _household(ws, same_number=False)
    assert twin_guard_wanted(ws, "li") is True


def test_twin_guard_off_when_identifiers_show_one_person(ws):
    _household(ws, same_number=True)
    assert twin_guard_wanted(ws, "li") is False


def test_twin_guard_undecided_without_identifiers(ws):
    _household(ws, same_number=False, n=5)
    assert twin_guard_wanted(ws, "li") is None


def test_best_threshold_maximises_estimated_f1():
    # probabilities 0.99, 0.9, 0.6, 0.2; total expected matches 2.69.
    # accept >= 0.99: tp .99, F1 = 1.98/3.69 = .5366; >= .9: 3.78/4.69 = .8060;
    # >= .6: 4.98/5.69 = .8752; >= .2: 5.38/6.69 = .8042 -> 0.6
    p = np.array([0.6, 0.99, 0.2, 0.9])
    assert best_threshold(p, np.ones(4), 0.0, 0.1) == 0.6
    # a floor above the best keeps the floor
    assert best_threshold(p, np.ones(4), 0.0, 0.7) == 0.7
    # pairs standing for many record pairs weigh more: 0.2 pair x 10 -> accepting it wins?
    # >= .2: tp = .99+.9+.6+2 = 4.49, predicted 13, total 4.49 -> F1 = 8.98/17.49 = .5134
    # >= .6: tp 2.49, predicted 3 -> 4.98/7.49 = .6649 -> still 0.6
    assert best_threshold(p, np.array([1, 1, 10, 1.0]), 0.0, 0.1) == 0.6


@pytest.mark.parametrize(
    "columns, ok",
    [
        ({"family_name"}, False),
        ({"given_name", "family_name"}, False),
        ({"family_name", "postcode"}, False),
        ({"given_name", "family_name", "postcode"}, True),
        ({"family_name", "date_of_birth"}, True),
        ({"nhs_number"}, True),
    ],
)
def test_columns_that_cannot_support_linkage_are_refused(columns, ok):
    if ok:
        check_evidence(columns)
        return
    with pytest.raises(InputError) as err:
        check_evidence(columns, "people.csv")
    msg = str(err.value)
    assert "people.csv" in msg and "Missing" in msg and "Expected accuracy" in msg

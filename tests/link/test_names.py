import pytest

from caremap.link.names import canonical_names, clean_name, name_lookup, phonetic

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  smith ", "SMITH"),
        ("O'Brien", "O'BRIEN"),
        ("Mary-Jane", "MARY-JANE"),
        ("UNKNOWN", None),
        ("Baby of Smith", None),
        ("baby", None),
        ("n/k", None),
        ("", None),
        (None, None),
        ("J.", "J"),
    ],
)
def test_clean_name_drops_junk(raw, expected):
    assert clean_name(raw) == expected


def test_nicknames_resolve_to_every_full_name():
    # the published list (nicknames package): a form stands for every name it shortens
    assert {"WILLIAM", "ROBERT"} <= set(canonical_names("BILL"))
    assert "MARGARET" in canonical_names("PEGGY")
    assert {"PATRICIA", "PATRICK"} <= set(canonical_names("PAT"))
    assert set(canonical_names("WILLIAM JOHN")) & set(canonical_names("BILL"))
    assert canonical_names("ZEBEDEE") == ["ZEBEDEE"]
    assert not set(canonical_names("WILLIAM")) & set(canonical_names("MARGARET"))


def test_phonetic_codes_group_spelling_variants():
    assert phonetic("SMITH") == phonetic("SMYTH")
    assert phonetic("CATHERINE") == phonetic("KATHRYN")
    assert phonetic("STEPHENSON") == phonetic("STEVENSON")
    assert phonetic("SMITH") != phonetic("JONES")
    assert phonetic(None) is None


def test_name_lookup_has_one_row_per_distinct_raw_name():
    t = name_lookup(["Bill", "Bill", "UNKNOWN", None, "Peggy"])
    rows = {r["raw"]: r for r in t.to_pylist()}
    assert set(rows) == {"Bill", "UNKNOWN", "Peggy"}
    assert rows["Bill"]["clean"] == "BILL" and "WILLIAM" in rows["Bill"]["canons"]
    assert rows["UNKNOWN"]["clean"] is None and rows["UNKNOWN"]["canons"] is None

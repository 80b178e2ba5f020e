"""NHS numbers, identity noise and the ground truth behind every source record."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caremap.core import codes
from caremap.synth.config import NoiseConfig, rng_for
from caremap.synth.names import NICKNAMES
from caremap.synth.noise import _change_digit, _swap_day_month, _transpose, typo
from caremap.synth.people import PLACEHOLDER_NHS, nhs_numbers

pytestmark = pytest.mark.integration


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 5000), seed=st.integers(0, 2**32))
def test_generated_nhs_numbers_are_valid_unique_and_never_placeholders(n, seed):
    nums = nhs_numbers(n, rng_for(seed, "t"))
    text = np.char.zfill(nums.astype(str), 10)
    assert len(nums) == n and len(set(nums.tolist())) == n
    assert codes.valid_nhs_numbers(text).all()
    assert not np.isin(nums, PLACEHOLDER_NHS).any()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_every_changed_digit_or_transposition_fails_modulus_11(seed):
    rng = rng_for(seed, "t")
    nums = nhs_numbers(2000, rng)
    changed = _change_digit(nums, rng)
    assert (changed != nums).all()
    valid = codes.valid_nhs_numbers(np.char.zfill(changed.astype(str), 10))
    assert not valid.any()  # weights 10..2 and 11 prime: every single-digit error is caught
    swapped = _transpose(nums, rng)
    # adjacent transpositions of different digits are caught too; equal digits are no change
    differs = swapped != nums
    assert not codes.valid_nhs_numbers(np.char.zfill(swapped[differs].astype(str), 10)).any()


def test_check_digit_matches_the_nhs_data_dictionary_example():
    # NHS Data Dictionary: 943 476 5919 is valid (check digit 9)
    from caremap.synth.people import _check_digits

    assert _check_digits(np.array([943476591]))[0] == 9
    assert codes.nhs_check_digit("943476591") == 9


def test_two_changed_digits_are_sometimes_still_valid():
    from caremap.synth.noise import _change_two_digits

    rng = rng_for(3, "double")
    nums = nhs_numbers(20_000, rng)
    changed = _change_two_digits(nums, rng)
    assert (changed != nums).all()
    share = codes.valid_nhs_numbers(np.char.zfill(changed.astype(str), 10)).mean()
    assert 0.05 < share < 0.14  # about 1 in 11


def test_day_month_swap():
    days = np.array(["1980-03-07", "1980-03-25", "1990-05-05"], dtype="datetime64[D]")
    out = _swap_day_month(days.astype(np.int64)).astype("datetime64[D]")
    assert out.astype(str).tolist() == ["1980-07-03", "1980-03-25", "1990-05-05"]


def test_typo_changes_a_name_by_one_edit():
    rng = rng_for(1, "typo")
    import jellyfish

    for name in ["MARGARET", "SMITH", "AL", "O'BRIEN", "ZZZ", "ANNA"]:
        for _ in range(20):
            t = typo(name, rng)
            assert t != name
            assert jellyfish.damerau_levenshtein_distance(t, name) == 1


def test_at_least_forty_nickname_pairs():
    assert len(set(NICKNAMES)) >= 40
    assert {("WILLIAM", "BILL"), ("MARGARET", "PEGGY"), ("ROBERT", "BOB"),
            ("ELIZABETH", "LIZ")} <= set(NICKNAMES)  # fmt: skip


def test_truth_covers_every_source_record_exactly_once(db20k):
    missing = db20k.execute(
        "SELECT count(*) FROM source_record s LEFT JOIN truth_record_person t "
        "USING (source_system, record_id) WHERE t.person_key IS NULL"
    ).fetchone()[0]
    assert missing == 0
    n_sr = db20k.execute("SELECT count(*) FROM source_record").fetchone()[0]
    n_t = db20k.execute("SELECT count(*) FROM truth_record_person").fetchone()[0]
    assert n_sr == n_t
    orphan = db20k.execute(
        "SELECT count(*) FROM truth_record_person t LEFT JOIN truth_person p USING (person_key) "
        "WHERE p.person_key IS NULL"
    ).fetchone()[0]
    assert orphan == 0
    # every activity row points at a source record
    dangling = db20k.execute(
        "SELECT count(*) FROM activity a LEFT JOIN source_record s "
        "USING (source_system, record_id) WHERE s.record_id IS NULL"
    ).fetchone()[0]
    assert dangling == 0


def _rate_ok(observed: int, n: int, p: float) -> bool:
    """Within 4 binomial standard errors (or 0.2 percentage points) of the configured rate."""
    se = np.sqrt(p * (1 - p) / max(n, 1))
    return abs(observed / n - p) <= max(4 * se, 0.002)


def test_missing_nhs_numbers_by_source_follow_the_config(db20k):
    cfg = NoiseConfig()
    rows = db20k.execute(
        "SELECT source_system, count(*), count(*) FILTER (WHERE nhs_number IS NULL) "
        "FROM source_record GROUP BY ALL"
    ).fetchall()
    for system, n, missing in rows:
        assert _rate_ok(missing, n, cfg.missing_nhs_number[system]), system
    rate = {s: m / n for s, n, m in rows}
    assert rate["ae"] > rate["gp"] and rate["social_care"] > rate["inpatient"]


def _compare(db) -> None:
    """A view ``c``: each source record beside the true person's details."""
    db.execute(
        "CREATE OR REPLACE TEMP VIEW c AS SELECT s.*, p.nhs_number AS t_nhs, p.given_name AS t_given, p.family_name AS t_family,"
        " p.date_of_birth AS t_dob, p.household_id, p.twin_of FROM source_record s "
        "JOIN truth_record_person USING (source_system, record_id) "
        "JOIN truth_person p USING (person_key)"
    )


def test_identity_noise_rates_within_tolerance(db20k):
    cfg = NoiseConfig()
    _compare(db20k)
    n, wrong_nhs, swapped, junk_dob = db20k.execute(
        "SELECT count(*) FILTER (WHERE nhs_number IS NOT NULL), "
        "count(*) FILTER (WHERE nhs_number IS NOT NULL AND nhs_number <> t_nhs "
        "  AND nhs_number NOT IN ('0000000000', '9999999999', '1234567890')), "
        "count(*) FILTER (WHERE month(date_of_birth) = day(t_dob) AND day(date_of_birth) = "
        "  month(t_dob) AND date_of_birth <> t_dob), "
        "count(*) FILTER (WHERE date_of_birth = DATE '1900-01-01') FROM c"
    ).fetchone()
    expected = (
        cfg.nhs_digit_typo
        + cfg.nhs_transposition * 0.9
        + cfg.nhs_double_typo
        + cfg.nhs_other_person
    )
    assert _rate_ok(wrong_nhs, n, expected)
    eligible = db20k.execute(
        "SELECT count(*) FROM c WHERE day(t_dob) <= 12 AND day(t_dob) <> month(t_dob)"
    ).fetchone()[0]
    assert _rate_ok(swapped, eligible, cfg.dob_day_month_swap)
    assert junk_dob > 0
    # most wrong numbers fail Modulus 11; some are another valid number (double typos, and
    # another person's number at nhs_other_person)
    wrong = np.array([r[0] for r in db20k.execute(
        "SELECT nhs_number FROM c WHERE nhs_number <> t_nhs AND nhs_number NOT IN "
        "('0000000000', '9999999999', '1234567890')").fetchall()])  # fmt: skip
    valid = codes.valid_nhs_numbers(wrong)
    assert 0 < valid.sum() < 0.5 * len(wrong)
    other = cfg.nhs_other_person + cfg.nhs_double_typo / 11
    assert _rate_ok(int(valid.sum()), n, other)


def test_nicknames_surnames_junk_and_households_appear(db20k):
    _compare(db20k)
    nick = dict(NICKNAMES)
    pairs = db20k.execute(
        "SELECT t_given, given_name FROM c WHERE given_name <> t_given"
    ).fetchall()
    assert sum((g, s) in set(NICKNAMES) for g, s in pairs) > 20
    assert nick
    changed_surname = db20k.execute(
        "SELECT count(*) FROM c WHERE family_name <> t_family AND family_name <> 'UNKNOWN' "
        "AND jaro_winkler_similarity(family_name, t_family) < 0.7"
    ).fetchone()[0]
    assert changed_surname > 10  # married people's birth surnames
    junk = db20k.execute(
        "SELECT count(*) FROM source_record WHERE given_name IN ('UNKNOWN', 'BABY OF') "
        "OR nhs_number IN ('0000000000', '9999999999', '1234567890')"
    ).fetchone()[0]
    assert junk > 0
    twins = db20k.execute(
        "SELECT count(*), count(*) FILTER (WHERE a.date_of_birth = b.date_of_birth AND "
        "a.family_name = b.family_name AND a.household_id = b.household_id AND "
        "a.postcode = b.postcode) FROM truth_person a JOIN truth_person b "
        "ON a.twin_of = b.person_key"
    ).fetchone()
    assert twins[0] > 100 and twins[0] == twins[1]
    shared_initial = db20k.execute(
        "SELECT count(*) FROM truth_person a JOIN truth_person b ON a.twin_of = b.person_key "
        "WHERE left(a.given_name, 1) = left(b.given_name, 1)"
    ).fetchone()[0]
    assert shared_initial > 0
    households = db20k.execute(
        "SELECT count(*) FROM (SELECT household_id FROM truth_person GROUP BY ALL "
        "HAVING count(*) >= 3 AND count(DISTINCT family_name) = 1)"
    ).fetchone()[0]
    assert households > 100


def test_old_postcodes_are_kept_and_used(db20k):
    dead, used = db20k.execute(
        "SELECT count(*) FILTER (WHERE NOT live), count(DISTINCT s.postcode) FILTER "
        "(WHERE NOT live) FROM postcode p LEFT JOIN source_record s USING (postcode)"
    ).fetchone()
    assert dead > 0 and used > 0
    stale = db20k.execute(
        "SELECT count(*) FROM source_record s JOIN truth_record_person USING "
        "(source_system, record_id) JOIN truth_person p USING (person_key) "
        "WHERE s.postcode <> p.postcode"
    ).fetchone()[0]
    assert stale > 100


def test_duplicates_within_sources(db20k):
    per_person = dict(db20k.execute(
        "SELECT source_system, count(*) / count(DISTINCT person_key) FROM truth_record_person "
        "GROUP BY ALL").fetchall())  # fmt: skip
    assert per_person["ambulance"] > 1.1 and per_person["ae"] > 1.05
    assert per_person["gp"] > 1.0  # people who changed practice
    assert per_person["community"] == 1.0

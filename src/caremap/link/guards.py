"""Guards on scored pairs: refuse pairs that look like twins or household members, and pairs
whose NHS numbers agree while everything else about the person disagrees.

Applied to Splink's predictions before clustering. Same family name, address and year of
birth but different first names (or different names and birth dates) is the signature of
twins and siblings in NHS data; the guard never overrides agreeing NHS numbers (or another
identifier), which are the strongest evidence that two records are one person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from caremap.link.config import LinkConfig

if TYPE_CHECKING:
    from caremap.link.splink_engine import Evidence


EDGE_COLUMNS = (
    "uid_l",
    "uid_r",
    "match_probability",
    "match_weight",
    "guarded",
    "nhs_contradiction",
    "nhs_conflict",
)


def edges_sql(physical: str, ev: Evidence, config: LinkConfig, guard_twins: bool = True) -> str:
    """Scored pairs with the guards applied: ``guarded`` true = refused,
    ``nhs_contradiction`` true = NHS numbers agree but everything else disagrees (refused),
    ``nhs_conflict`` true = two different valid NHS numbers on records that agree on given
    name and date of birth (at least within a typo): such a pair may still join two clusters
    with different numbers on overwhelming other evidence (see `caremap.link.cluster`);
    no other pair with different numbers can.

    NHS number contradiction: the NHS numbers agree but the given names disagree outright
    (the ELSE level) and so do the dates of birth (beyond a typo or day/month swap), or the
    sexes differ with one of those: the pattern of another person's number keyed on a record
    (a household member's), never of ordinary typos, which leave one of them close.

    Twin and household guard (``guard_twins``, decided from the data by
    `caremap.link.evidence.twin_guard_wanted`): same family name, same postcode (or address)
    and the same year of birth, NHS numbers not agreeing, and either given names that
    disagree outright (the ELSE level, gamma 0) or different given names (not the same after
    nicknames) and different dates of birth. The guards never refuse a pair whose identifier
    agrees.
    DOB guard (optional): dates of birth at the ELSE level and NHS numbers not agreeing.
    """
    guards = []
    agree = []
    if ev.nhs:
        agree.append("coalesce(nhs_l = nhs_r, FALSE)")
    if ev.ident:
        agree.append("gamma_ident > 0")
    nhs_agrees = " OR ".join(agree) if agree else "FALSE"
    if guard_twins and ev.given and ev.family and ev.dob:
        place = []
        if ev.postcode:
            place.append("postcode_l = postcode_r")
        if ev.address:
            place.append("address_l = address_r")
        if ev.area:
            place.append("area_l = area_r")
        if place:
            guards.append(
                f"(family_l = family_r AND ({' OR '.join(place)}) "
                "AND year(dob_l) = year(dob_r) AND ("
                "gamma_given = 0 OR (given_l <> given_r "
                "AND coalesce(array_length(array_intersect(given_canons_l, given_canons_r)) = 0, TRUE) "
                "AND dob_l <> dob_r)))"
            )
    if config.dob_guard and ev.dob:
        guards.append("gamma_dob = 0")
    guard = " OR ".join(guards) if guards else "FALSE"
    contradiction = "FALSE"
    if ev.nhs:
        against = []
        if ev.given:
            against.append("gamma_given = 0")
        if ev.dob:
            against.append("gamma_dob = 0")
        if ev.sex:
            against.append("gamma_sex = 0")
        if len(against) >= 2:
            k = len(against) - 1 if len(against) > 2 else 2
            count = " + ".join(f"CAST(coalesce({a}, FALSE) AS INTEGER)" for a in against)
            contradiction = f"coalesce(nhs_l = nhs_r, FALSE) AND ({count}) >= {k}"
    conflict = "FALSE"
    if ev.nhs and ev.given and ev.dob:
        # a different number may be a keying error only on a record that agrees on the given
        # name and date of birth (at least within a typo); otherwise it is another person
        conflict = "coalesce(nhs_l <> nhs_r AND gamma_given > 0 AND gamma_dob > 0, FALSE)"
    return (
        f"SELECT uid_l, uid_r, match_probability, match_weight, "
        f"CAST(coalesce(NOT ({nhs_agrees}) AND ({guard}), FALSE) OR ({contradiction}) "
        "AS BOOLEAN) AS guarded, "
        f"CAST({contradiction} AS BOOLEAN) AS nhs_contradiction, "
        f"CAST({conflict} AS BOOLEAN) AS nhs_conflict "
        f"FROM {physical}"
    )

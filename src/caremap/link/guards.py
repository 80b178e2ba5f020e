"""Guards on scored pairs: refuse pairs that look like twins or household members.

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


def edges_sql(physical: str, ev: Evidence, config: LinkConfig) -> str:
    """Scored pairs with the guards applied (``guarded`` true = refused); the guards never
    refuse a pair whose NHS numbers (or other identifier, within one typo) agree.

    Twin and household guard: same family name, same postcode (or address) and the same year
    of birth, NHS numbers not agreeing, and either given names that disagree outright (the
    ELSE level, gamma 0) or different
    given names (not the same after nicknames) and different dates of birth.
    DOB guard (optional): dates of birth at the ELSE level and NHS numbers not agreeing.
    """
    guards = []
    agree = []
    if ev.nhs:
        agree.append("coalesce(nhs_l = nhs_r, FALSE)")
    if ev.ident:
        agree.append("gamma_ident > 0")
    nhs_agrees = " OR ".join(agree) if agree else "FALSE"
    if config.twin_guard and ev.given and ev.family and ev.dob:
        place = []
        if ev.postcode:
            place.append("postcode_l = postcode_r")
        if ev.address:
            place.append("address_l = address_r")
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
    return (
        f"SELECT uid_l, uid_r, match_probability, match_weight, "
        f"CAST(coalesce(NOT ({nhs_agrees}) AND ({guard}), FALSE) AS BOOLEAN) AS guarded "
        f"FROM {physical}"
    )

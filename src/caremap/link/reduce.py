"""Shrinking the probabilistic problem with the deterministic pass.

Most records share a valid NHS number and date of birth with another record of the same
person, so the deterministic pass has already linked them. Two facts follow:

* a pair inside one deterministic group can never change the clustering, so it is not scored
  (each blocking rule gets ``l.det_group <> r.det_group``);
* records of one deterministic group with the same values in every compared column score the
  same against any other record, so one representative (the lowest uid) stands for them all.

Splink then scores pairs of representatives only, with term frequencies taken from all
records, so every score equals the score of the corresponding record pair. Clustering adds
the deterministic edges of all records, so the resulting persons are those that scoring all
pairs would give. This is the "reduction by exact duplicates" of Christen (2012, "Data
Matching", Springer, ch. 4) applied within the groups the deterministic rule already links.

Records of a source that holds each person at most once are never grouped (their
deterministic merges may be refused by the one-to-one constraint).
"""

from __future__ import annotations

from collections.abc import Sequence

from caremap.core.sql import quote_str
from caremap.link.prepare import EVIDENCE

DET_GROUP = "det_group"

# Compared columns that are not functions of the ones below (the rest are derived from them:
# given_canon/canons/phon from given, family_phon from family, dob_str from dob, sectors and
# districts from postcode).
_VARIANT = ("given", "family", "sex", "postcode", "address", "ident", "area")


def _solo(duplicate_free: Sequence[str], deterministic: bool) -> str:
    if not deterministic:
        return "TRUE"
    if not duplicate_free:
        return "FALSE"
    return "u.source IN (" + ", ".join(quote_str(s) for s in duplicate_free) + ")"


def representatives_sql(
    table: str, duplicate_free: Sequence[str] = (), deterministic: bool = True
) -> str:
    """One row per representative: the evidence columns, ``det_group`` (the lowest uid
    sharing the record's valid NHS number and date of birth, as in `deterministic_edges_sql`,
    else the record's own uid) and ``n_variant`` (the records it stands for), usable records
    only. Without a ``deterministic`` pass every record is its own representative.
    Aggregates and joins, no window functions (hashing is cheaper than sorting a million
    wide rows)."""
    cols = ", ".join(EVIDENCE)
    return f"""
WITH u AS (
  SELECT {cols} FROM {table} WHERE unusable_reason IS NULL
), d AS (
  SELECT nhs AS d_nhs, dob AS d_dob, min(uid) AS d_first FROM u
  WHERE nhs IS NOT NULL AND dob IS NOT NULL GROUP BY nhs, dob
), g AS (
  SELECT u.*, CASE WHEN {_solo(duplicate_free, deterministic)} THEN u.uid
    ELSE coalesce(d.d_first, u.uid) END AS {DET_GROUP}
  FROM u LEFT JOIN d ON d.d_nhs = u.nhs AND d.d_dob = u.dob
), r AS (
  SELECT min(uid) AS rep_uid, count(*) AS n_variant
  FROM g GROUP BY {", ".join((DET_GROUP, *_VARIANT))}
)
SELECT {", ".join("g." + c for c in EVIDENCE)}, g.{DET_GROUP}, r.n_variant
FROM g JOIN r ON r.rep_uid = g.uid
"""


def pair_count_sql(relation: str, columns: Sequence[str]) -> str:
    """Number of pairs a blocking rule on equal ``columns`` generates (nulls never match)."""
    keys = ", ".join(columns)
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in columns)
    return (
        "SELECT CAST(coalesce(sum(n * (n - 1) / 2), 0) AS BIGINT) FROM ("
        f"SELECT count(*) AS n FROM ({relation}) x WHERE {not_null} GROUP BY {keys}) c"
    )

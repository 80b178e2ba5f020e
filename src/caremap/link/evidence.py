"""What the data says about its own evidence, measured before linking.

Each estimate uses record pairs whose match status is all but certain from other fields, the
way Splink's ``estimate_m_from_label_column`` uses a trusted label (Splink documentation,
"Estimating m from a label column"; Fellegi and Sunter 1969 call m the probability of an
agreement pattern among matches):

* `nhs_conflict_rate` - how often two records of one person hold two different valid NHS
  numbers (m of the "different valid NHS numbers" level), from pairs that agree exactly on
  given name, family name, date of birth and postcode (or address);
* `twin_guard_wanted` - whether pairs with the twin/household signature (same family name,
  place and year of birth, given names that disagree) are mostly different people, judged
  from such pairs where both records carry an NHS number or other identifier;
* `check_evidence` - whether the mapped columns can support linkage at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from caremap.core.errors import InputError
from caremap.core.workspace import Workspace

# Bounds on the estimated share of one person's record pairs with two different valid NHS
# numbers: never treated as impossible, never as weaker than one pair in five.
CONFLICT_FLOOR, CONFLICT_CAP = 1e-4, 0.2
# Labelled pairs needed before the twin guard is decided from the data.
MIN_LABELLED_PAIRS = 20
# Rows the twin-guard estimate reads at most (a hash sample of places beyond that).
TWIN_SAMPLE_ROWS = 200_000


def nhs_conflict_rate(ws: Workspace, table: str = "link_input") -> float | None:
    """Share of record pairs with identical given name, family name, date of birth and
    postcode (else address) whose valid NHS numbers differ; None when fewer than
    ``MIN_LABELLED_PAIRS`` such pairs hold NHS numbers on both sides.

    Counted per group without forming pairs: a group of n numbered records holds n(n-1)/2
    pairs, of which sum over numbers of k(k-1)/2 agree. A pseudo-count of one conflicting
    pair in a hundred keeps small samples away from zero."""
    row = ws.sql(
        f"""
        WITH u AS (
          SELECT given, family, dob, coalesce(postcode, address) AS place, nhs
          FROM {table}
          WHERE unusable_reason IS NULL AND nhs IS NOT NULL AND given IS NOT NULL
            AND family IS NOT NULL AND dob IS NOT NULL
            AND coalesce(postcode, address) IS NOT NULL
        ), byn AS (
          SELECT given, family, dob, place, count(*) AS k FROM u
          GROUP BY given, family, dob, place, nhs
        ), g AS (
          SELECT sum(k) AS n, sum(k * (k - 1) / 2) AS agree FROM byn
          GROUP BY given, family, dob, place
        )
        SELECT coalesce(sum(n * (n - 1) / 2), 0) AS pairs, coalesce(sum(agree), 0) AS agree
        FROM g
        """
    ).to_pylist()[0]
    pairs, agree = float(row["pairs"]), float(row["agree"])
    if pairs < MIN_LABELLED_PAIRS:
        return None
    rate = (pairs - agree + 0.01) / (pairs + 1.0)
    return min(CONFLICT_CAP, max(CONFLICT_FLOOR, rate))


def twin_guard_wanted(ws: Workspace, table: str = "link_input") -> bool | None:
    """True when pairs with the twin/household signature are mostly different people among
    those whose identifiers can tell (both records hold a valid NHS number, or both an
    identifier): then the guard in `caremap.link.guards` is on. False when they are mostly
    the same person (a replaced or mis-keyed given name), None when fewer than
    ``MIN_LABELLED_PAIRS`` pairs can tell (then the model's score decides alone)."""
    cols = ws.sql(f"SELECT * FROM {table} LIMIT 0").column_names
    place = [c for c in ("postcode", "address", "area") if c in cols]
    n = int(
        ws.scalar(
            f"SELECT count(*) FROM {table} WHERE unusable_reason IS NULL "
            "AND coalesce(nhs, ident) IS NOT NULL AND family IS NOT NULL AND dob IS NOT NULL"
        )
    )
    if n < 2 or not place:
        return None
    keep = max(1, n // TWIN_SAMPLE_ROWS + 1)
    # Jaro-Winkler is a DuckDB function (on Spark: the Metaphone codes alone)
    jw = "jaro_winkler_similarity(l.given, r.given) < 0.8 AND " if ws.engine == "duckdb" else ""
    where = f"AND hash(family) % {keep} = 0" if keep > 1 else ""
    row = ws.sql(
        f"""
        WITH u AS (
          SELECT DISTINCT coalesce(nhs, 'i:' || ident) AS key, given, given_canons,
            given_phon, family, dob, coalesce({", ".join(place)}) AS place
          FROM {table}
          WHERE unusable_reason IS NULL AND coalesce(nhs, ident) IS NOT NULL
            AND given IS NOT NULL AND family IS NOT NULL AND dob IS NOT NULL
            AND coalesce({", ".join(place)}) IS NOT NULL {where}
        )
        SELECT count(*) AS pairs, coalesce(sum(CASE WHEN l.key = r.key THEN 1 ELSE 0 END), 0)
          AS same
        FROM u l JOIN u r ON l.family = r.family AND l.place = r.place
          AND year(l.dob) = year(r.dob)
          AND (l.key < r.key OR (l.key = r.key AND l.given < r.given))
        WHERE l.given <> r.given
          AND coalesce(array_length(array_intersect(l.given_canons, r.given_canons)) = 0, TRUE)
          AND (({jw}l.given_phon IS DISTINCT FROM r.given_phon) OR l.dob <> r.dob)
        """
    ).to_pylist()[0]
    pairs, same = int(row["pairs"]), int(row["same"])
    if pairs < MIN_LABELLED_PAIRS:
        return None
    return same / pairs < 0.5


@dataclass(frozen=True)
class EvidenceCheck:
    """Which kinds of evidence the mapped columns hold."""

    identifier: bool
    names: int  # 0, 1 or 2 of given and family name
    birth: bool
    place: bool
    sex: bool


# What each combination of evidence usually allows (pairwise F1 on the FEBRL benchmarks and
# the synthetic economy; see BENCHMARKS.md). Shown with the error, so the analyst can judge.
EXPECTED = (
    "an identifier with two of names, date of birth and address: F1 above 0.99; "
    "names, date of birth and address: about 0.99; "
    "names and date of birth only: 0.9-0.97 (namesakes are common); "
    "one name alone: far too many namesakes to link"
)


def check_evidence(columns: set[str], file: str | None = None) -> None:
    """Refuse, before any work, column maps that cannot support linkage: a person needs an
    identifier, or a date of birth with a name, or both names with a place. The message
    says what is missing and what accuracy each addition allows."""
    has = EvidenceCheck(
        identifier=bool({"nhs_number", "nhs_token", "identifier"} & columns),
        names=len({"given_name", "family_name"} & columns),
        birth="date_of_birth" in columns,
        place=bool({"postcode", "address", "area"} & columns),
        sex="sex" in columns,
    )
    if has.identifier or (has.birth and has.names >= 1) or (has.names == 2 and has.place):
        return
    missing = []
    if not has.identifier:
        missing.append("an identifier (nhs_number, nhs_token or identifier)")
    if not has.birth:
        missing.append("date_of_birth")
    if has.names < 2:
        missing.append(
            "both names (given_name and family_name)" if has.names == 0 else "the other name"
        )
    if not has.place:
        missing.append("a place (postcode, address or area)")
    raise InputError(
        "these columns cannot support linkage: records of different people would be joined "
        f"(or nothing linked). Missing: {'; '.join(missing)}. Map an identifier, or a date "
        "of birth with a name, or both names with a postcode or address. "
        f"Expected accuracy: {EXPECTED}",
        file=file,
    )

"""Statistical disclosure control for every aggregate a viewer can see.

Primary suppression: a count ``c`` with ``0 < c < threshold`` (5 by default) is hidden, as in
NHS Digital's small-number rule (*Disclosure control guidance*, NHS England, 2013 and the
HES Analysis Guide: "suppress 1-7" there, 1-4 by default here, configurable).

Secondary (complementary) suppression, after Willenborg and de Waal, *Elements of Statistical
Disclosure Control* (Springer, 2001), section 4.2, "hypercube"-style heuristic: a published
total of a line of cells (a 1-D grouping: the cells that differ in one dimension only, others
fixed) lets anyone recover a lone hidden cell by subtraction. So in every line that has exactly
one hidden cell we also hide the smallest other non-zero cell of that line (a zero only when
no non-zero cell is left), and repeat over all lines of all dimensions until no line has a
lone hidden cell. Lines are formed for each dimension twice: across the whole table (others
fixed, dropping columns that merely rename it) and within each parent the dimension nests in
(``area_code`` within ``locality_code``), so both grand and sub-totals are covered.

Finally, on a row where a count is hidden, the row's derived measures (rates, ratios,
intervals, costs) are hidden too, since a rate times its denominator gives the count back.

Column roles come from names and types (`classify_columns`): integer columns are counts unless
their name says they are a dimension (year, rank, tier, codes...), which errs on the safe side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

COUNT_NAME = re.compile(
    r"(^n$|^n_|_n$|count|numerator|denominator|people|persons|patients|admissions|"
    r"attendances|cases|events|deaths|breaches|referrals|waiters|caseload|volume|"
    r"activity|incidents|contacts|spells|episodes|observed|registered|list_size)",
    re.I,
)
DIM_NAME = re.compile(
    r"(^year|year$|period|month|week|quarter|^day|date|hour|age|decile|quintile|tier|rank|"
    r"order|_id$|^id$|code|node|band|level|seq|index|version|scenario|iteration|"
    r"^k$|sample|fold)",
    re.I,
)
COORD_NAME = re.compile(r"^(easting|northing|x|y|lat|latitude|lon|lng|longitude)$", re.I)
# Free text and labels vary row by row: as dimensions they would split every line.
TEXT_NAME = re.compile(
    r"(note|comment|description|reason|label|title|evidence|text|factors|document|json|"
    r"signature|params|source$|centres$|rules$)",
    re.I,
)
# Integers that are amounts, not counts of people (money in pence, minutes, scores).
AMOUNT_NAME = re.compile(r"(pence|cost|amount|price|minutes|seconds|_km$|gbp|score|weight)", re.I)
# Integers that count things other than people (criteria, sites, centres, chart points).
NOT_PEOPLE = re.compile(
    r"^(criteria|met|not_met|no_evidence|critical_not_met|derogated|sites|n_centres|"
    r"months_actual|min_denominator|cluster_size|bin|n_points|points)$",
    re.I,
)
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT")
INTEGER_TYPES += ("UINTEGER", "UBIGINT", "UHUGEINT")
FLOAT_PREFIXES = ("DOUBLE", "FLOAT", "REAL", "DECIMAL")


@dataclass(frozen=True)
class ColumnRoles:
    """How the disclosure rules see a table's columns."""

    dims: tuple[str, ...]
    counts: tuple[str, ...]
    measures: tuple[str, ...]
    other: tuple[str, ...] = ()


def classify_columns(types: dict[str, str]) -> ColumnRoles:
    """Dimensions, counts and derived measures of a table from column names and SQL types."""
    dims, counts, measures, other = [], [], [], []
    for name, sql_type in types.items():
        t = sql_type.upper()
        is_int = t in INTEGER_TYPES
        is_float = t.startswith(FLOAT_PREFIXES)
        if COORD_NAME.match(name) or NOT_PEOPLE.match(name):
            other.append(name)
        elif (is_int or is_float) and AMOUNT_NAME.search(name):
            measures.append(name)
        elif (is_int or is_float) and COUNT_NAME.search(name):
            counts.append(name)
        elif is_int:
            (dims if DIM_NAME.search(name) else counts).append(name)
        elif is_float:
            measures.append(name)
        elif t.startswith("VARCHAR") and TEXT_NAME.search(name):
            other.append(name)
        elif t.startswith(("VARCHAR", "DATE", "TIMESTAMP", "BOOLEAN", "TIME", "UUID", "ENUM")):
            dims.append(name)
        else:
            other.append(name)
    return ColumnRoles(tuple(dims), tuple(counts), tuple(measures), tuple(other))


def primary_mask(values: np.ndarray, threshold: int) -> np.ndarray:
    """True where ``0 < value < threshold`` (NaN is never suppressed)."""
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return (v > 0) & (v < threshold)


def _group_ids(df: pd.DataFrame, by: list[str]) -> np.ndarray:
    if not by:
        return np.zeros(len(df), dtype=np.int64)
    return df.groupby(by, dropna=False, sort=False).ngroup().to_numpy()


def _codes(df: pd.DataFrame, dims: list[str]) -> pd.DataFrame:
    """Dimensions as integer codes ordered like their values (missing values as -1)."""
    out = {}
    for d in dims:
        try:
            out[d] = pd.factorize(df[d], sort=True)[0]
        except TypeError:  # values of mixed types: order them as text
            out[d] = pd.factorize(df[d].astype(str), sort=True)[0]
    return pd.DataFrame(out, index=df.index)


def _dim_order(codes: pd.DataFrame, dims: list[str]) -> np.ndarray:
    """Each row's position when rows are sorted by their dimension values."""
    if not dims:
        return np.arange(len(codes))
    order = np.lexsort([codes[c].to_numpy() for c in reversed(dims)])
    rank = np.empty(len(codes), dtype=np.int64)
    rank[order] = np.arange(len(codes))
    return rank


def _determines(df: pd.DataFrame, a: str, b: str) -> bool:
    """Whether each value of ``a`` goes with one value of ``b`` (a functional dependency)."""
    pairs = df[[a, b]].drop_duplicates()
    return len(pairs) == df[a].nunique(dropna=False)


def line_groupings(df: pd.DataFrame, dims: tuple[str, ...]) -> list[list[str]]:
    """The column sets whose fixed values define the 1-D lines of the table."""
    out: list[list[str]] = []
    for d in dims:
        others = [e for e in dims if e != d]
        fd = {e for e in others if _determines(df, d, e)}
        alias = {e for e in fd if _determines(df, e, d)}
        for keep in ([e for e in others if e not in fd], [e for e in others if e not in alias]):
            if keep not in out and len(keep) < len(dims):
                out.append(keep)
    if not dims:
        out.append([])
    return out


def secondary_mask(
    values: np.ndarray,
    hidden: np.ndarray,
    groupings: list[np.ndarray],
    tiebreak: np.ndarray | None = None,
    max_rounds: int = 100,
) -> np.ndarray:
    """Extend ``hidden`` so that no line (group) has exactly one hidden cell, where possible.

    Among equal values the cell first in ``tiebreak`` order is chosen, so the same cells are
    chosen whatever the row order (a long table repeating a count per method stays consistent).
    """
    v = np.asarray(values, dtype=float)
    hidden = hidden.copy()
    tb = np.arange(len(v)) if tiebreak is None else np.asarray(tiebreak)
    known = ~np.isnan(v)
    for _ in range(max_rounds):
        changed = False
        for gid in groupings:
            ng = int(gid.max()) + 1 if len(gid) else 0
            n_hidden = np.bincount(gid[hidden], minlength=ng)
            lone = n_hidden == 1
            if not lone.any():
                continue
            cand = known & ~hidden & lone[gid]
            if not cand.any():
                continue
            idx = np.flatnonzero(cand)
            # smallest non-zero first, zeros last, per group
            order = np.lexsort((tb[idx], v[idx], v[idx] == 0, gid[idx]))
            idx = idx[order]
            first = np.ones(len(idx), dtype=bool)
            first[1:] = gid[idx][1:] != gid[idx][:-1]
            hidden[idx[first]] = True
            changed = True
        if not changed:
            break
    return hidden


def suppress(
    df: pd.DataFrame, roles: ColumnRoles, threshold: int
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Apply primary and secondary suppression; hidden cells become None.

    Returns the published frame and, per count column, the mask of hidden cells.
    """
    out = df.copy()
    if out.empty or not roles.counts:
        return out, {c: np.zeros(len(out), dtype=bool) for c in roles.counts}
    dims = [d for d in roles.dims if d in out.columns]
    codes = _codes(out, dims)
    groupings = [_group_ids(codes, g) for g in line_groupings(codes, tuple(dims))]
    tiebreak = _dim_order(codes, dims)
    masks: dict[str, np.ndarray] = {}
    row_hidden = np.zeros(len(out), dtype=bool)
    for col in roles.counts:
        values = pd.to_numeric(out[col], errors="coerce").to_numpy(dtype=float)
        mask = secondary_mask(values, primary_mask(values, threshold), groupings, tiebreak)
        masks[col] = mask
        row_hidden |= mask
        if mask.any():
            out[col] = out[col].astype(object).where(~mask, None)
    for col in roles.measures:
        if row_hidden.any():
            out[col] = out[col].astype(object).where(~row_hidden, None)
    return out, masks

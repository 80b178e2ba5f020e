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

On a row where a count is hidden, the row's other counts (except denominators, which are
populations) and its derived measures (rates, ratios, intervals, costs) are hidden too, since
a rate times its denominator, or records over cluster size, gives the count back; the lines
are then checked again, until nothing changes. Counts written as text (a cell ``"4"`` or
"deprivation_unknown 4" in a note) are counts; so are integral values of a key/value table's
count metrics. Cross-table rules are in `caremap.app.publication`.

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
    r"activity|incidents|contacts|spells|episodes|observed|registered|list_size|"
    r"over_target|queue_size|^waiting$|booked|cancelled|records)",
    re.I,
)
DIM_NAME = re.compile(
    r"(^year|year$|period|month|week|quarter|^day|date|hour|age|decile|quintile|tier|rank|"
    r"order|_id$|^id$|code|node|band|level|seq|index|version|scenario|iteration|"
    r"^k$|sample|fold|group$)",
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
    r"months_actual|min_denominator|cluster_size|bin|n_points|points|units|"
    r"units_used_for_dispersion|flagged_high|flagged_low|outside_limit_unflagged|"
    r"sessions_planned|sessions_used|common_cause|special_cause_improvement|"
    r"special_cause_concern|relative_to_mean|areas|share_met|target|threshold|capacity|"
    r"min_volume_major)$",
    re.I,
)
# Populations: published whatever the count beside them (a rate's denominator alone does not
# give its numerator back).
DENOMINATOR_NAME = re.compile(r"^(denominator|population|registered|list_size)$", re.I)
# Per table: integer columns that count things other than people under a generic name.
# Forecasts are model outputs (medians of simulations), not counts of people.
FORECASTS = frozenset(
    {"list_low", "list_median", "list_high", "breaches_low", "breaches_median", "breaches_high",
     "final_list_median", "final_breaches_median", "week_median", "week_p90", "p_cleared"}
)  # fmt: skip
NOT_PEOPLE_IN = {
    "spc_summary": frozenset({"n"}),
    "spc_point": frozenset({"n"}),
    "waiting_forecast": FORECASTS,
    "waiting_clearance": FORECASTS,
}
# Key/value tables: the metric rows whose values are counts (not shares, rates or scores).
KV_KEY = ("metric", "measure", "item")
NOT_A_COUNT = re.compile(
    r"(?:share|rate|ratio|prop|percent|pct|precision|recall|auroc|auc|brier|slope|intercept|"
    r"f1|mean|median|p\d+|prob|score|phi|tau|lambda|weight|threshold|minutes|km|days|years|"
    r"seconds|version|seed|index|cost|pence|gbp)",
    re.I,
)
SMALL_TOKEN = r"(?<![\w.,:/-]){n}(?![\w.,:/%-])"
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


def classify_columns(types: dict[str, str], table: str | None = None) -> ColumnRoles:
    """Dimensions, counts and derived measures of a table from column names and SQL types."""
    dims, counts, measures, other = [], [], [], []
    not_people = NOT_PEOPLE_IN.get(table or "", frozenset())
    for name, sql_type in types.items():
        t = sql_type.upper()
        is_int = t in INTEGER_TYPES
        is_float = t.startswith(FLOAT_PREFIXES)
        if COORD_NAME.match(name) or NOT_PEOPLE.match(name) or name in not_people:
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


def kv_count_mask(df: pd.DataFrame, value: str, threshold: int) -> np.ndarray:
    """Small counts stored in a key/value table's numeric ``value`` column: rows whose metric
    name is not a share, rate or score and whose value is a whole number 1 to threshold - 1."""
    key = next((k for k in KV_KEY if k in df.columns), None)
    if key is None or value not in df.columns:
        return np.zeros(len(df), dtype=bool)
    v = pd.to_numeric(df[value], errors="coerce").to_numpy(dtype=float)
    names = df[key].astype(str)
    is_count = ~names.str.contains(NOT_A_COUNT).to_numpy()
    with np.errstate(invalid="ignore"):
        return is_count & (v == np.round(v)) & primary_mask(v, threshold)


def text_counts(series: pd.Series, threshold: int) -> tuple[pd.Series, np.ndarray]:
    """Text with small counts taken out: a cell that is a whole number 1 to threshold - 1
    becomes None, and such a number standing alone in longer text becomes ``<threshold``."""
    small = "|".join(str(n) for n in range(1, threshold))
    if not small:
        return series, np.zeros(len(series), dtype=bool)
    s = series.astype(object)
    text = s.where(s.notna(), None)
    as_str = text.astype(str).str.strip()
    whole = text.notna() & as_str.str.fullmatch(f"(?:{small})").fillna(False)
    token = re.compile(SMALL_TOKEN.format(n=f"(?:{small})"))
    inner = text.notna() & ~whole & as_str.str.contains(token).fillna(False)
    out = text.copy()
    out[whole] = None
    if inner.any():
        out[inner] = as_str[inner].str.replace(token, f"<{threshold}", regex=True)
    return out, (whole | inner).to_numpy()


def suppress(
    df: pd.DataFrame,
    roles: ColumnRoles,
    threshold: int,
    seed: dict[str, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Apply primary and secondary suppression and the row and text rules; hidden cells
    become None. ``seed``: cells (of any numeric column) hidden for other reasons (the
    publication's cross-table rules).

    Returns the published frame and, per numeric and text column, the mask of hidden cells.
    """
    out = df.copy()
    seed = seed or {}
    n = len(out)
    counts = [c for c in roles.counts if c in out.columns]
    measures = [c for c in roles.measures if c in out.columns]
    hidden = {c: np.zeros(n, dtype=bool) for c in (*counts, *measures)}
    if out.empty:
        return out, hidden
    values = {c: pd.to_numeric(out[c], errors="coerce").to_numpy(dtype=float) for c in hidden}
    for c in counts:
        hidden[c] = primary_mask(values[c], threshold)
    if measures == ["value"] and not counts:  # counts kept in a key/value table
        hidden["value"] = kv_count_mask(out, "value", threshold)
    for c, m in seed.items():
        if c in hidden:
            hidden[c] = hidden[c] | m
    dims = [d for d in roles.dims if d in out.columns]
    codes = _codes(out, dims)
    groupings = [_group_ids(codes, g) for g in line_groupings(codes, tuple(dims))]
    tiebreak = _dim_order(codes, dims)
    linked = [c for c in counts if not DENOMINATOR_NAME.match(c)]
    for _ in range(100):
        before = sum(int(m.sum()) for m in hidden.values())
        for c in counts:
            hidden[c] = secondary_mask(values[c], hidden[c], groupings, tiebreak)
        row = np.zeros(n, dtype=bool)
        for c in counts:
            row |= hidden[c]
        for c in linked:
            hidden[c] = hidden[c] | (row & (values[c] != 0))
        if sum(int(m.sum()) for m in hidden.values()) == before:
            break
    row_hidden = np.zeros(n, dtype=bool)
    for c in counts:
        row_hidden |= hidden[c]
    for c in measures:
        hidden[c] = hidden[c] | row_hidden
    for c, mask in hidden.items():
        if mask.any():
            out[c] = out[c].astype(object).where(~mask, None)
    for c in (*roles.other, *roles.dims):
        t = str(out[c].dtype)
        if c in out.columns and (t == "object" or t.startswith("string")) and _is_text(c):
            out[c], hidden[c] = text_counts(out[c], threshold)
    return out, hidden


NOTE_NAME = re.compile(r"(note|comment|reason|label|evidence|text|factors|^value$)", re.I)


def _is_text(name: str) -> bool:
    """Columns whose text may state a count (not titles, codes or documents)."""
    return bool(NOTE_NAME.search(name))


def published_sums(df: pd.DataFrame, by: str, columns: list[str]) -> pd.DataFrame:
    """Totals of published (suppressed) rows by ``by``: a total with a hidden part is hidden
    too (summing the shown parts would understate it, and the total would give the part)."""
    out = {}
    for c in columns:
        v = pd.to_numeric(df[c], errors="coerce")
        g = v.groupby(df[by], sort=True)
        out[c] = g.sum().where(~g.apply(lambda s: s.isna().any()), None)
    return pd.DataFrame(out).reset_index()

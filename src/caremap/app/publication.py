"""Disclosure control over the whole publication, not table by table.

Every aggregate table a viewer can read is suppressed together with every other (`publish`):
a figure derived from a hidden count is hidden wherever it is published, and a total published
in one table protects the cells of another. The rules, after Hundepool et al., *Statistical
Disclosure Control* (Wiley, 2012), chapter 5 ("linked tables": suppression patterns must be
consistent across tables that share cells or marginals), applied until nothing changes:

1. each table on its own (`caremap.app.suppression.suppress`): primary suppression of counts
   1 to ``threshold - 1``, secondary suppression so no line (and no line within a parent
   area) has a lone hidden cell, every other count and derived measure of a row with a hidden
   count hidden too (records = persons x cluster size, read = loaded + quarantined), small
   counts written as text hidden, and counts stored in key/value tables treated as counts;
2. the publication's lineage (`LINEAGE`): a `Derived` figure (a rate, share, latest value,
   series mean or funnel limit) is hidden where any count it is computed from is hidden, and
   a `Margin` (a total published in another table) is hidden where any of its parts is, while
   a hidden total always has a hidden part, so neither can be worked out from the other.

Hidden cells only ever grow, so the loop ends. Residual risk, what these rules do not cover,
is stated in docs/app.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from caremap.app.suppression import ColumnRoles, suppress

MAX_ROUNDS = 20


@dataclass(frozen=True)
class Derived:
    """``table``'s ``columns`` (None: every numeric column) are computed from ``source``'s
    ``source_columns`` on the rows that match on ``on`` ((table column, source column)
    pairs); ``where`` restricts the rule to table rows whose column matches a regex."""

    table: str
    columns: tuple[str, ...] | None
    source: str
    source_columns: tuple[str, ...]
    on: tuple[tuple[str, str], ...]
    where: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class Margin:
    """``total``'s ``columns`` are sums of ``detail``'s over the rows matching on ``on``."""

    detail: str
    total: str
    columns: tuple[str, ...]
    on: tuple[tuple[str, str], ...]
    where: tuple[tuple[str, str], ...] = field(default=())  # rows of ``total`` covered


SPC_STATS = ("mean", "lpl", "upl", "lower_2sigma", "upper_2sigma", "sigma_z")
HUB_RATES = (
    ("^hubs_cancellation_rate$", ("cancelled_on_day", "booked")),
    ("^hubs_long_wait_share$", ("waiting_over_target", "waiting")),
)
FUNNEL_RATES = (
    ("^cancellation_rate", ("cancelled_on_day", "booked")),
    ("^long_wait_share", ("waiting_over_target", "waiting")),
)

LINEAGE: tuple[Derived | Margin, ...] = (
    # SPC points and summaries of hubs are monthly rates of hub_performance_month's counts
    *(
        Derived("spc_point", ("value",), "hub_performance_month", cols,
                (("series", "site_code"), ("date", "month")), (("source", src),))
        for src, cols in HUB_RATES
    ),
    *(
        Derived("spc_summary", ("latest_value",), "hub_performance_month", cols,
                (("series", "site_code"), ("last_date", "month")), (("source", src),))
        for src, cols in HUB_RATES
    ),
    # a series' mean and limits, with the other points, give a hidden point back
    Derived("spc_point", SPC_STATS, "spc_point", ("value",), (("source", "source"),
            ("series", "series"))),
    Derived("spc_summary", ("mean", "lpl", "upl", "latest_value"), "spc_point", ("value",),
            (("source", "source"), ("series", "series"))),
    # funnels of hubs are sums of the months; best practice lists repeat funnel values
    *(
        Derived("funnel_unit", None, "hub_performance_month", cols, (("unit", "site_code"),),
                (("source", "^hubs$"), ("funnel", fun)))
        for fun, cols in FUNNEL_RATES
    ),
    Derived("performance_best_practice", None, "funnel_unit", ("numerator", "value"),
            (("funnel", "funnel"), ("site_code", "unit"))),
    # the network map repeats the site volumes of each scenario
    Derived("network_map_site", None, "network_site_volume", ("arrivals",),
            (("site_code", "site_code"), ("scenario", "scenario"))),
    Derived("network_site_volume", None, "network_map_site", ("arrivals",),
            (("site_code", "site_code"), ("scenario", "scenario"))),
    # linkage shares are unlinked counts over records
    Derived("link_quality", ("value",), "link_unlinked", ("records",),
            (("source_system", "source_system"),), (("metric", "^share_"),)),
    # published totals of tables published in detail
    Margin("risk_tier_locality", "risk_tier_summary", ("people", "expected_people_admitted"),
           (("tier", "tier"),)),
    Margin("standards_compliance", "standards_national", ("numerator", "denominator"),
           (("region_code", "region_code"), ("service", "service"),
            ("criterion_id", "criterion_id"))),
    Margin("budget_population", "budget_cost_weight", ("registered",),
           (("age_band", "age_band"), ("sex", "sex"))),
    Margin("budget_population", "budget_allocation", ("registered",),
           (("locality_code", "locality_code"),), (("level", "^locality$"),)),
    Margin("budget_population", "budget_allocation", ("registered",),
           (("federation_code", "federation_code"),), (("level", "^federation$"),)),
)  # fmt: skip


def _key(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    """Row keys as text, dates and timestamps alike (a month as 2024-01-01 either way)."""
    parts = []
    for c in cols:
        s = df[c]
        if (
            pd.api.types.is_datetime64_any_dtype(s)
            or s.map(type).astype(str).str.contains("date").any()
        ):
            s = pd.to_datetime(s, errors="coerce").dt.strftime("%Y-%m-%d")
        parts.append(s.astype(str))
    if not parts:
        return pd.Series([""] * len(df), index=df.index)
    out = parts[0]
    for p in parts[1:]:
        out = out + "\x1f" + p
    return out


def _rows(df: pd.DataFrame, where: tuple[tuple[str, str], ...]) -> np.ndarray:
    ok = np.ones(len(df), dtype=bool)
    for col, pattern in where:
        if col not in df.columns:
            return np.zeros(len(df), dtype=bool)
        ok &= df[col].astype(str).str.contains(pattern, regex=True, flags=re.I).to_numpy()
    return ok


def _numeric(df: pd.DataFrame, roles: ColumnRoles) -> list[str]:
    return [c for c in (*roles.counts, *roles.measures) if c in df.columns]


@dataclass
class Publication:
    """The published (suppressed) frames, and per table and column the hidden cells."""

    frames: dict[str, pd.DataFrame]
    hidden: dict[str, dict[str, np.ndarray]]


def publish(
    frames: dict[str, pd.DataFrame],
    roles: dict[str, ColumnRoles],
    threshold: int,
    lineage: tuple[Derived | Margin, ...] = LINEAGE,
) -> Publication:
    """Suppress every table of a publication consistently (the module's rules 1 and 2)."""
    seeds: dict[str, dict[str, np.ndarray]] = {t: {} for t in frames}
    hidden: dict[str, dict[str, np.ndarray]] = {}
    out: dict[str, pd.DataFrame] = {}
    dirty = set(frames)
    for _ in range(MAX_ROUNDS):
        for t in sorted(dirty):
            out[t], hidden[t] = suppress(frames[t], roles[t], threshold, seed=seeds[t])
        dirty = set()
        for rule in lineage:
            for t, col, mask in _apply(rule, frames, hidden, roles):
                old = hidden[t].get(col)
                new = mask if old is None else (old | mask)
                if old is None or (new & ~old).any():
                    base = seeds[t].get(col)
                    seeds[t][col] = new if base is None else (base | new)
                    dirty.add(t)
        if not dirty:
            break
    return Publication(out, hidden)


def _apply(rule, frames, hidden, roles):
    """(table, column, cells to hide) that a lineage rule asks for, given the hidden cells."""
    if isinstance(rule, Derived):
        yield from _derived(rule, frames, hidden, roles)
    else:
        yield from _margin(rule, frames, hidden)


def _derived(rule: Derived, frames, hidden, roles):
    if rule.table not in frames or rule.source not in frames:
        return
    tab, src = frames[rule.table], frames[rule.source]
    tcols = [a for a, _ in rule.on]
    scols = [b for _, b in rule.on]
    if not set(tcols) <= set(tab.columns) or not set(scols) <= set(src.columns):
        return
    src_hidden = np.zeros(len(src), dtype=bool)
    for c in rule.source_columns:
        m = hidden[rule.source].get(c)
        if m is not None:
            src_hidden |= m
    if not src_hidden.any():
        return
    bad_keys = set(_key(src, scols)[src_hidden])
    rows = _rows(tab, rule.where) & _key(tab, tcols).isin(bad_keys).to_numpy()
    if not rows.any():
        return
    cols = rule.columns or tuple(_numeric(tab, roles[rule.table]))
    for c in cols:
        if c in tab.columns:
            yield rule.table, c, rows


def _margin(rule: Margin, frames, hidden):
    if rule.detail not in frames or rule.total not in frames:
        return
    det, tot = frames[rule.detail], frames[rule.total]
    dcols = [a for a, _ in rule.on]
    tcols = [b for _, b in rule.on]
    if not set(dcols) <= set(det.columns) or not set(tcols) <= set(tot.columns):
        return
    dkey = _key(det, dcols).to_numpy()
    tkey = _key(tot, tcols).to_numpy()
    covered = _rows(tot, rule.where)
    for col in rule.columns:
        if col not in det.columns or col not in tot.columns:
            continue
        dh = hidden[rule.detail].get(col, np.zeros(len(det), dtype=bool))
        th = hidden[rule.total].get(col, np.zeros(len(tot), dtype=bool))
        # a part hidden: hide the total
        bad = set(dkey[dh])
        hide_total = covered & np.isin(tkey, list(bad)) & ~th
        if hide_total.any():
            yield rule.total, col, hide_total
        # a total hidden with all its parts shown: hide its smallest non-zero part
        values = pd.to_numeric(det[col], errors="coerce").to_numpy(dtype=float)
        hide_part = np.zeros(len(det), dtype=bool)
        for k in set(tkey[covered & th]):
            part = dkey == k
            if not part.any() or (dh & part).any():
                continue
            cand = np.flatnonzero(part & (values > 0))
            if len(cand):
                hide_part[cand[np.argmin(values[cand])]] = True
        if hide_part.any():
            yield rule.detail, col, hide_part

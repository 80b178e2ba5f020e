"""Allocation: a fixed total split across the four pots, then to localities and GP federations.

Weighted capitation, after NHS England's allocation formulae (NHS England, *Technical Guide
to the formulae for 2023/24 to 2024/25 revenue allocations*): each practice's registered
list by age band and sex is weighted by the pot's cost per head in that cell, learned from
this workspace's own costs in the base year (the 12 months before the budget year), and by
an adjustable need index from deprivation, ``(IMD score / mean IMD score) ** elasticity``.
Localities get their pot's total in proportion to weighted population, moved from their
base-year spend share with pace-of-change limits (`caremap.budget.money.pace_of_change`);
federations then share their locality's allocation by weighted population. Every split is
in whole pence and sums exactly to its parent.

Writes ``budget_population``, ``budget_cost_weight`` and ``budget_allocation``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator

from caremap.budget.money import pace_of_change, pounds_to_pence, split_pence
from caremap.budget.rules import POTS
from caremap.core.errors import ConfigError, InputError
from caremap.core.sql import quote_str
from caremap.core.workspace import Workspace

UNATTRIBUTED = "unattributed"


class AllocationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year_start: date | None = Field(
        default=None, description="first day of the budget year; default: the latest 1 April "
        "with activity after it"
    )  # fmt: skip
    total_pounds: Decimal | None = Field(
        default=None, description="the fixed total; default: base-year spend plus growth"
    )
    growth: float = Field(default=0.03, ge=-0.5, le=1.0)
    pot_shares: dict[str, float] | None = Field(
        default=None, description="share of the total per pot; default: base-year shares"
    )
    need_elasticity: float = Field(default=0.5, ge=0, le=3)
    min_growth: float = Field(default=0.01, description="pace of change: least growth")
    max_growth: float = Field(default=0.06, description="pace of change: most growth")
    age_bands: list[int] = Field(default=[0, 5, 15, 45, 65, 75, 85])
    localities: Literal["auto", "needs", "supplied"] = Field(
        default="auto",
        description="needs: the localities `caremap needs` built; supplied: small_area's; "
        "auto: needs if present",
    )

    @field_validator("pot_shares")
    @classmethod
    def _pots(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        problems = []
        if set(v) != set(POTS):
            problems.append(f"pot_shares must name exactly {list(POTS)}")
        if any(x < 0 for x in v.values()) or sum(v.values()) <= 0:
            problems.append("pot_shares must be non-negative and not all zero")
        if problems:
            raise ValueError("; ".join(problems))
        return v

    @field_validator("age_bands")
    @classmethod
    def _bands(cls, v: list[int]) -> list[int]:
        if not v or v[0] != 0 or sorted(set(v)) != v:
            raise ValueError("age_bands must start at 0 and increase")
        return v


@dataclass(frozen=True)
class Allocation:
    year_start: date
    total_pence: int
    pots: dict[str, int]
    localities: int
    federations: int


def band_sql(age: str, bands: list[int]) -> str:
    whens = []
    for lo, hi in zip(bands, [*bands[1:], None], strict=True):
        label = f"{lo}+" if hi is None else f"{lo}-{hi - 1}"
        cond = f"{age} >= {lo}" + ("" if hi is None else f" AND {age} < {hi}")
        whens.append(f"WHEN {cond} THEN {quote_str(label)}")
    return f"CASE {' '.join(whens)} END"


def _age(dob: str, at: str) -> str:
    return f"floor(datediff('day', {dob}, {at}) / 365.25)"


NEEDS_MAP = "needs_locality_map"


def locality_source(ws: Workspace, mode: str) -> str:
    """Where localities come from: ``needs`` (the map `caremap needs` builds) or ``supplied``
    (small_area.locality_code and gp_federation); ``auto`` prefers the needs map."""
    if mode == "needs":
        ws.require(NEEDS_MAP)
        return "needs"
    if mode == "auto" and ws.has_table(NEEDS_MAP):
        return "needs"
    return "supplied"


def practice_geo_sql(ws: Workspace, source: str = "supplied") -> str:
    """practice_code -> locality_code, federation_code and the practice area's IMD score."""
    have = set(ws.list_tables())
    loc = "m.locality_code" if source == "needs" else "a.locality_code"
    join = f" LEFT JOIN {NEEDS_MAP} m ON m.area_code = s.area_code" if source == "needs" else ""
    base = (
        f"SELECT s.site_code AS practice_code, {loc} AS area_locality, "
        "a.imd_score AS practice_imd FROM site s LEFT JOIN small_area a "
        f"ON a.area_code = s.area_code{join} WHERE s.site_type = 'gp_practice'"
    )
    if "gp_federation" not in have:
        return (
            "SELECT practice_code, area_locality AS locality_code, "
            f"area_locality AS federation_code, practice_imd FROM ({base}) b"
        )
    f_loc = "b.area_locality" if source == "needs" else "coalesce(f.locality_code, b.area_locality)"
    return (
        "SELECT coalesce(f.practice_code, b.practice_code) AS practice_code, "
        f"{f_loc} AS locality_code, coalesce(f.federation_code, {f_loc}) AS federation_code, "
        f"b.practice_imd FROM ({base}) b FULL OUTER JOIN gp_federation f "
        "ON f.practice_code = b.practice_code"
    )


def default_year_start(ws: Workspace) -> date:
    last = ws.scalar("SELECT max(start_date) FROM activity")
    if last is None:
        raise InputError("activity is empty", file="activity")
    return date(last.year if last.month >= 4 else last.year - 1, 4, 1)


def _shift_year(d: date, years: int) -> date:
    return d.replace(year=d.year + years)


def _population(ws: Workspace, cfg: AllocationConfig, year_start: date, source: str) -> None:
    d = f"DATE {quote_str(year_start.isoformat())}"
    pc = "postcode" in ws.list_tables()
    imd = "coalesce(pa.imd_score, g.practice_imd)" if pc else "g.practice_imd"
    joins = (
        " LEFT JOIN postcode p ON p.postcode = r.postcode"
        " LEFT JOIN small_area pa ON pa.area_code = p.area_code"
        if pc
        else ""
    )
    ws.create_table_as(
        "budget_population",
        f"""
SELECT g.locality_code, g.federation_code, r.practice_code,
  {band_sql(_age("r.date_of_birth", d), cfg.age_bands)} AS age_band, r.sex,
  count(*) AS registered, avg({imd}) AS imd_score
FROM source_record r JOIN ({practice_geo_sql(ws, source)}) g ON g.practice_code = r.practice_code{joins}
WHERE r.source_system = 'gp' AND r.date_of_birth IS NOT NULL AND r.date_of_birth <= {d}
  AND (r.date_of_death IS NULL OR r.date_of_death >= {d}) AND r.sex IN ('M', 'F')
  AND g.locality_code IS NOT NULL
GROUP BY 1, 2, 3, 4, 5""",
    )


def activity_locality_sql(ws: Workspace, source: str = "supplied") -> str:
    """activity_id -> locality_code of the patient's practice (else 'unattributed')."""
    return (
        "SELECT a.activity_id, coalesce(g.locality_code, "
        f"{quote_str(UNATTRIBUTED)}) AS locality_code FROM activity a "
        "LEFT JOIN source_record r ON r.source_system = a.source_system "
        "AND r.record_id = a.record_id "
        f"LEFT JOIN ({practice_geo_sql(ws, source)}) g ON g.practice_code = r.practice_code"
    )


def month_starts(lo: date, hi: date) -> list[date]:
    """First days of the months from ``lo``'s month up to (not including) ``hi``."""
    out, y, m = [], lo.year, lo.month
    while date(y, m, 1) < hi:
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def phased_spend_sql(ws: Workspace, source: str, lo: date, hi: date) -> str:
    """pot, locality_code, month, pence: classified activity cost spread over its days of
    service, for the months in [lo, hi).

    Costs are recognised in the period the service is delivered (the accruals basis of
    IAS 1 paragraph 27, which the NHS's Group Accounting Manual follows): a care package or
    a stay from ``start_date`` to ``end_date`` (inclusive) contributes to each month in
    proportion to its days in it. Whole pence, exactly: month m gets
    floor(P x D(m) / N) - floor(P x D(m-1) / N), where D(m) is the row's service days up
    to the end of month m and N all its days, so a row's months add up to its cost. Rows
    within one month (most activity) stay in that month.
    """
    e = "greatest(coalesce(a.end_date, a.start_date), a.start_date)"
    lo_s, hi_s = (f"DATE {quote_str(x.isoformat())}" for x in (lo, hi))
    months = month_starts(lo, hi)
    nxt = [*months[1:], hi]
    cal = " UNION ALL ".join(
        f"SELECT DATE {quote_str(m.isoformat())} AS m0, DATE {quote_str(n.isoformat())} AS m1"
        for m, n in zip(months, nxt, strict=True)
    )
    upto = "least(greatest(date_diff('day', d.s, {x}), 0), d.n)"
    return f"""
WITH d AS (
  SELECT b.pot, l.locality_code, b.pence, a.start_date AS s, {e} AS e,
    date_diff('day', a.start_date, {e}) + 1 AS n,
    date_trunc('month', a.start_date) = date_trunc('month', {e}) AS one_month
  FROM budget_activity_pot b JOIN activity a ON a.activity_id = b.activity_id
  JOIN ({activity_locality_sql(ws, source)}) l ON l.activity_id = b.activity_id
  WHERE a.start_date < {hi_s} AND {e} >= {lo_s}),
c AS ({cal})
SELECT pot, locality_code, CAST(date_trunc('month', s) AS DATE) AS month,
  CAST(sum(pence) AS BIGINT) AS pence
FROM d WHERE one_month GROUP BY 1, 2, 3
UNION ALL
SELECT d.pot, d.locality_code, c.m0 AS month,
  CAST(sum(floor(d.pence * {upto.format(x="c.m1")} / d.n)
           - floor(d.pence * {upto.format(x="c.m0")} / d.n)) AS BIGINT) AS pence
FROM d JOIN c ON d.s < c.m1 AND d.e >= c.m0
WHERE NOT d.one_month GROUP BY 1, 2, 3"""


def _cost_weights(ws: Workspace, cfg: AllocationConfig, base: tuple[date, date]) -> None:
    lo, hi = (f"DATE {quote_str(x.isoformat())}" for x in base)
    ws.create_table_as(
        "_budget_cell_cost",
        f"""
SELECT b.pot, {band_sql(_age("r.date_of_birth", "a.start_date"), cfg.age_bands)} AS age_band,
  r.sex, sum(b.pence) AS pence
FROM budget_activity_pot b JOIN activity a ON a.activity_id = b.activity_id
JOIN source_record r ON r.source_system = a.source_system AND r.record_id = a.record_id
WHERE a.start_date >= {lo} AND a.start_date < {hi} AND r.sex IN ('M', 'F')
  AND r.date_of_birth IS NOT NULL
GROUP BY 1, 2, 3""",
    )
    pots = " UNION ALL ".join(f"SELECT {quote_str(p)} AS pot" for p in POTS)
    ws.create_table_as(
        "budget_cost_weight",
        f"""
WITH pop AS (SELECT age_band, sex, sum(registered) AS registered FROM budget_population
             GROUP BY 1, 2),
cells AS (SELECT p.pot, pop.age_band, pop.sex, pop.registered FROM ({pots}) p CROSS JOIN pop),
j AS (SELECT c.*, coalesce(k.pence, 0) AS pence FROM cells c LEFT JOIN _budget_cell_cost k
      ON k.pot = c.pot AND k.age_band = c.age_band AND k.sex = c.sex),
t AS (SELECT pot, sum(pence) AS pot_pence, sum(registered) AS pot_registered FROM j GROUP BY 1)
SELECT j.pot, j.age_band, j.sex, j.registered, j.pence AS base_pence,
  j.pence / CAST(j.registered AS DOUBLE) / 100.0 AS cost_per_head,
  CASE WHEN t.pot_pence > 0 THEN (j.pence / CAST(j.registered AS DOUBLE))
       / (t.pot_pence / CAST(t.pot_registered AS DOUBLE)) ELSE 1.0 END AS weight
FROM j JOIN t ON t.pot = j.pot""",
    )
    ws.drop_table("_budget_cell_cost")


def _base_spend(ws: Workspace, base: tuple[date, date], source: str) -> tuple[dict[str, int], dict]:
    """Base-year spend in pence by pot, and by (pot, locality) for attributed activity."""
    lo, hi = (f"DATE {quote_str(x.isoformat())}" for x in base)
    rows = ws.sql(
        "SELECT pot, locality_code, sum(pence) AS pence "
        f"FROM ({phased_spend_sql(ws, source, *base)}) p WHERE month >= {lo} GROUP BY 1, 2"
    ).to_pylist()
    lines = ws.sql(
        "SELECT pot, sum(pence) AS pence FROM budget_line_pot WHERE contract_type = 'block' "
        f"AND start_date >= {lo} AND start_date < {hi} GROUP BY 1"
    ).to_pylist()
    by_pot = dict.fromkeys(POTS, 0)
    by_loc: dict[tuple[str, str], int] = {}
    for r in rows:
        by_pot[r["pot"]] += int(r["pence"])
        by_loc[(r["pot"], r["locality_code"])] = int(r["pence"])
    for r in lines:
        by_pot[r["pot"]] += int(r["pence"])
    return by_pot, by_loc


def allocate(ws: Workspace, cfg: AllocationConfig) -> Allocation:
    """Split the total across pots, localities and federations; writes the budget tables."""
    ws.require("budget_activity_pot", "budget_line_pot", "activity", "source_record", "site")
    year_start = cfg.year_start or default_year_start(ws)
    base = (_shift_year(year_start, -1), year_start)
    source = locality_source(ws, cfg.localities)
    _population(ws, cfg, year_start, source)
    if not ws.scalar("SELECT count(*) FROM budget_population"):
        raise InputError(
            f"no registered patients at {year_start}: GP source records need practice_code, "
            "date_of_birth and sex",
            file="source_record",
        )
    _cost_weights(ws, cfg, base)
    by_pot, by_loc = _base_spend(ws, base, source)
    base_total = sum(by_pot.values())
    if cfg.total_pounds is not None:
        total = pounds_to_pence(cfg.total_pounds)
    elif base_total > 0:
        total = int((Decimal(base_total) * Decimal(str(1 + cfg.growth))).to_integral_value())
    else:
        raise ConfigError(
            f"no spend in the base year {base[0]} to {base[1]}: give total_pounds and pot_shares"
        )
    shares = cfg.pot_shares or {p: float(by_pot[p]) for p in POTS}
    if sum(shares.values()) <= 0:
        raise ConfigError("no base-year spend to share the total by: give pot_shares")
    pot_pence = dict(zip(POTS, split_pence(total, [shares[p] for p in POTS]), strict=True))

    pop = ws.sql(
        "SELECT p.locality_code, p.federation_code, p.age_band, p.sex, p.registered, "
        "p.imd_score, w.pot, w.weight FROM budget_population p JOIN budget_cost_weight w "
        "ON w.age_band = p.age_band AND w.sex = p.sex"
    ).to_pandas()
    mean_imd = np.average(pop["imd_score"].fillna(pop["imd_score"].mean()),
                          weights=pop["registered"])  # fmt: skip
    imd = pop["imd_score"].fillna(mean_imd).clip(lower=1e-9)
    need = (imd / mean_imd) ** cfg.need_elasticity if mean_imd > 0 else 1.0
    pop["need_index"] = need
    pop["weighted"] = pop["registered"] * pop["weight"] * pop["need_index"]
    rows = []
    for pot in POTS:
        p = pop[pop["pot"] == pot]
        loc = p.groupby("locality_code").agg(registered=("registered", "sum"),
                                             weighted=("weighted", "sum")).sort_index()  # fmt: skip
        target = loc["weighted"].to_numpy() / loc["weighted"].sum()
        baseline = np.array([by_loc.get((pot, c), 0) for c in loc.index], dtype=float)
        share = (
            pace_of_change(baseline, target, cfg.growth, cfg.min_growth, cfg.max_growth)
            if baseline.sum() > 0
            else target
        )
        alloc = split_pence(pot_pence[pot], share.tolist())
        rows.append(dict(level="pot", pot=pot, locality_code=None, federation_code=None,
                         registered=int(loc["registered"].sum()),
                         weighted_population=float(loc["weighted"].sum()), target_share=1.0,
                         target_pence=pot_pence[pot], baseline_pence=by_pot[pot],
                         allocation_pence=pot_pence[pot]))  # fmt: skip
        target_pence = split_pence(pot_pence[pot], target.tolist())
        for i, code in enumerate(loc.index):
            rows.append(dict(level="locality", pot=pot, locality_code=code, federation_code=None,
                             registered=int(loc["registered"].iloc[i]),
                             weighted_population=float(loc["weighted"].iloc[i]),
                             target_share=float(target[i]), target_pence=target_pence[i],
                             baseline_pence=int(baseline[i]), allocation_pence=alloc[i]))  # fmt: skip
            fed = p[p["locality_code"] == code].groupby("federation_code").agg(
                registered=("registered", "sum"), weighted=("weighted", "sum")).sort_index()  # fmt: skip
            fed_pence = split_pence(alloc[i], fed["weighted"].tolist())
            for j, fcode in enumerate(fed.index):
                rows.append(dict(level="federation", pot=pot, locality_code=code,
                                 federation_code=fcode, registered=int(fed["registered"].iloc[j]),
                                 weighted_population=float(fed["weighted"].iloc[j]),
                                 target_share=float(fed["weighted"].iloc[j] / loc["weighted"].sum()),
                                 target_pence=None, baseline_pence=None,
                                 allocation_pence=fed_pence[j]))  # fmt: skip
    schema = pa.schema([("level", pa.string()), ("pot", pa.string()),
                        ("locality_code", pa.string()), ("federation_code", pa.string()),
                        ("registered", pa.int64()), ("weighted_population", pa.float64()),
                        ("target_share", pa.float64()), ("target_pence", pa.int64()),
                        ("baseline_pence", pa.int64()), ("allocation_pence", pa.int64())])  # fmt: skip
    table = pa.Table.from_pylist(rows, schema=schema)
    table = table.append_column("year_start", pa.array([year_start] * len(rows), pa.date32()))
    table = table.append_column("locality_source", pa.array([source] * len(rows), pa.string()))
    ws.write_table("budget_allocation", table)
    return Allocation(
        year_start=year_start,
        total_pence=total,
        pots=pot_pence,
        localities=len({r["locality_code"] for r in rows if r["level"] == "locality"}),
        federations=len({r["federation_code"] for r in rows if r["level"] == "federation"}),
    )

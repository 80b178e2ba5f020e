"""The ledger: budget against spend by pot, locality and month, and forecast outturn.

Spend is the cost of classified activity (attributed to the locality of the patient's
practice, else ``unattributed``), spread over the days of service from its start to its end
date (accruals: `caremap.budget.allocate.phased_spend_sql`), plus block contract lines
(services with no activity feed, such as public health or NHS 111), paid in twelfths and
shared across localities by registered population. (Booking each row in its start month
put a whole year of every social care package, whose rows run April to March, into April:
the April spike in continuing care.) Budgets are each locality's annual allocation in twelfths. All in
whole pence; each split is exact, so the ledger totals equal the allocation and the spend.

Forecast outturn (run rate): actual spend to the ``as_of`` month plus the mean monthly spend
of the last ``run_rate_months`` months for each month still to come.

Writes ``budget_ledger``, ``budget_forecast`` and ``budget_pot_summary``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from caremap.budget.allocate import UNATTRIBUTED, phased_spend_sql
from caremap.budget.money import split_pence
from caremap.budget.rules import POTS
from caremap.core.errors import ConfigError
from caremap.core.sql import quote_str
from caremap.core.workspace import Workspace


class LedgerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(
        default=None, description="last month of actuals (any day in it); default: the "
        "latest month with activity in the budget year"
    )  # fmt: skip
    run_rate_months: int = Field(default=3, ge=1, le=12)


LEDGER_SCHEMA = pa.schema([("pot", pa.string()), ("locality_code", pa.string()),
                           ("month", pa.date32()), ("budget_pence", pa.int64()),
                           ("spend_pence", pa.int64()), ("variance_pence", pa.int64()),
                           ("cumulative_budget_pence", pa.int64()),
                           ("cumulative_spend_pence", pa.int64()), ("actual", pa.bool_())])  # fmt: skip


@dataclass(frozen=True)
class LedgerResult:
    year_start: date
    as_of: date
    months_actual: int
    budget_pence: int
    actual_pence: int
    forecast_outturn_pence: int


def _months(year_start: date) -> list[date]:
    return [date(year_start.year + (year_start.month - 1 + k) // 12,
                 (year_start.month - 1 + k) % 12 + 1, 1) for k in range(12)]  # fmt: skip


def _spend(ws: Workspace, year_start: date, months: list[date], registered: pd.Series, source: str):
    end = date(year_start.year + 1, year_start.month, 1)
    lo, hi = quote_str(year_start.isoformat()), quote_str(end.isoformat())
    act = ws.sql(
        f"SELECT pot, locality_code, month, sum(pence) AS pence FROM "
        f"({phased_spend_sql(ws, source, year_start, end)}) p "
        f"WHERE month >= DATE {lo} GROUP BY 1, 2, 3"
    ).to_pylist()
    spend: dict[tuple[str, str, date], int] = {}
    for r in act:
        key = (r["pot"], r["locality_code"], r["month"])
        spend[key] = spend.get(key, 0) + int(r["pence"])
    block = ws.sql(
        "SELECT pot, sum(pence) AS pence FROM budget_line_pot WHERE contract_type = 'block' "
        f"AND start_date >= DATE {lo} AND start_date < DATE {hi} GROUP BY 1"
    ).to_pylist()
    for r in block:
        by_loc = split_pence(int(r["pence"]), registered.tolist())
        for loc, pence in zip(registered.index, by_loc, strict=True):
            for m, p in zip(months, split_pence(pence, [1] * 12), strict=True):
                key = (r["pot"], loc, m)
                spend[key] = spend.get(key, 0) + p
    return spend


def ledger(ws: Workspace, cfg: LedgerConfig) -> LedgerResult:
    """Write the monthly ledger, the forecast outturn and the pot summary."""
    ws.require("budget_allocation", "budget_activity_pot", "budget_line_pot")
    alloc = ws.sql(
        "SELECT pot, locality_code, allocation_pence, registered, year_start, locality_source "
        "FROM budget_allocation WHERE level = 'locality'"
    ).to_pandas()
    if alloc.empty:
        raise ConfigError("budget_allocation has no locality rows: run `caremap budget` again")
    year_start = pd.Timestamp(alloc["year_start"].iloc[0]).date()
    months = _months(year_start)
    registered = (
        alloc[alloc["pot"] == POTS[0]].set_index("locality_code")["registered"].sort_index()
    )
    spend = _spend(ws, year_start, months, registered, str(alloc["locality_source"].iloc[0]))
    latest = max((k[2] for k, v in spend.items() if v), default=months[0])
    as_of = cfg.as_of.replace(day=1) if cfg.as_of else latest
    if as_of not in months:
        raise ConfigError(f"as_of {as_of} is outside the budget year starting {year_start}")
    n_act = months.index(as_of) + 1

    localities = sorted(set(alloc["locality_code"]) | {k[1] for k in spend})
    budget = {
        (r.pot, r.locality_code): int(r.allocation_pence) for r in alloc.itertuples(index=False)
    }
    rows, fc = [], []
    for pot in POTS:
        for loc in localities:
            b_months = split_pence(budget.get((pot, loc), 0), [1] * 12)
            s_months = [spend.get((pot, loc, m), 0) for m in months]
            if not any(b_months) and not any(s_months):
                continue
            cb = cs = 0
            for k, m in enumerate(months):
                actual = k < n_act
                cb += b_months[k]
                cs += s_months[k] if actual else 0
                rows.append(dict(pot=pot, locality_code=loc, month=m, budget_pence=b_months[k],
                                 spend_pence=s_months[k] if actual else None,
                                 variance_pence=b_months[k] - s_months[k] if actual else None,
                                 cumulative_budget_pence=cb, cumulative_spend_pence=cs,
                                 actual=actual))  # fmt: skip
            ytd = sum(s_months[:n_act])
            recent = s_months[max(0, n_act - cfg.run_rate_months) : n_act]
            remaining = round(sum(recent) / len(recent) * (12 - n_act)) if recent else 0
            fc.append(dict(pot=pot, locality_code=loc, budget_pence=sum(b_months),
                           actual_ytd_pence=ytd, forecast_remaining_pence=int(remaining),
                           forecast_outturn_pence=ytd + int(remaining),
                           variance_pence=sum(b_months) - ytd - int(remaining),
                           months_actual=n_act, as_of=as_of))  # fmt: skip
    led = pa.Table.from_pylist(rows, schema=LEDGER_SCHEMA)
    fcast = pd.DataFrame(fc)
    end = date(year_start.year + 1, year_start.month, 1)
    lines = ws.sql(
        "SELECT pot, sum(pence) AS contracted_pence FROM budget_line_pot "
        f"WHERE start_date >= DATE {quote_str(year_start.isoformat())} "
        f"AND start_date < DATE {quote_str(end.isoformat())} GROUP BY 1"
    ).to_pandas()
    summ = fcast.groupby("pot", as_index=False)[
        ["budget_pence", "actual_ytd_pence", "forecast_outturn_pence", "variance_pence"]
    ].sum()
    summ = summ.merge(lines, on="pot", how="left")
    summ["contracted_pence"] = summ["contracted_pence"].fillna(0).astype("int64")
    summ["unattributed_spend_pence"] = [
        int(fcast[(fcast.pot == p) & (fcast.locality_code == UNATTRIBUTED)]
            ["actual_ytd_pence"].sum()) for p in summ["pot"]
    ]  # fmt: skip
    with ws.transaction():
        ws.write_table("budget_ledger", led)
        ws.write_table("budget_forecast", pa.Table.from_pandas(fcast, preserve_index=False))
        ws.write_table("budget_pot_summary", pa.Table.from_pandas(summ, preserve_index=False))
    return LedgerResult(
        year_start=year_start,
        as_of=as_of,
        months_actual=n_act,
        budget_pence=int(fcast["budget_pence"].sum()),
        actual_pence=int(fcast["actual_ytd_pence"].sum()),
        forecast_outturn_pence=int(fcast["forecast_outturn_pence"].sum()),
    )

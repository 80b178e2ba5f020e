"""Scenarios: move a share of some activity to another pot at a different cost, and see
what happens to every pot against its budget.

A scenario is data (YAML or JSON): a name and a list of shifts. Each shift selects activity
classified by given pot rules (optionally narrowed by point of delivery), moves ``share`` of
its spend out, and adds ``cost_ratio`` of what was moved to ``to_pot`` (the cost of the
alternative, e.g. community care instead of an emergency admission). Works on the budget
year's actual and forecast spend, in whole pence.

Writes ``budget_scenario`` (one row per scenario and pot).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from caremap.budget.rules import POTS, load_pot_rules
from caremap.core.errors import ConfigError
from caremap.core.sql import in_list, quote_str
from caremap.core.workspace import Workspace
from caremap.core.yamldoc import YamlDoc


class Shift(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[str] = Field(min_length=1, description="pot rule ids selecting the activity")
    point_of_delivery: list[str] | None = None
    share: float = Field(gt=0, le=1, description="share of the selected spend moved")
    to_pot: str
    cost_ratio: float = Field(ge=0, le=5, description="cost of the alternative per pound moved")
    description: str = ""


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    description: str = ""
    shifts: list[Shift] = Field(min_length=1)


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    baseline_pence: int
    scenario_pence: int
    by_pot: dict[str, int]  # change in pence


def load_scenario(path: str | Path) -> Scenario:
    return YamlDoc.from_path(path).parse(Scenario)


def check_scenario(s: Scenario, rules_path: Path | None = None) -> None:
    """Unknown rule ids and pots are refused before anything runs, all at once."""
    known = {r.id for r in load_pot_rules(rules_path).rules}
    problems = []
    for i, sh in enumerate(s.shifts):
        problems += [f"shifts.{i}.rules: unknown rule {r!r}" for r in sh.rules if r not in known]
        if sh.to_pot not in POTS:
            problems.append(f"shifts.{i}.to_pot: {sh.to_pot!r} is not one of {list(POTS)}")
    if problems:
        raise ConfigError(f"scenario {s.name}: " + "; ".join(problems))


def _pence(x: Decimal) -> int:
    return int(x.to_integral_value(rounding=ROUND_HALF_UP))


def run_scenario(
    ws: Workspace, scenario: Scenario, rules_path: Path | None = None
) -> ScenarioResult:
    """Apply a scenario to the budget year's forecast outturn; append to ``budget_scenario``."""
    check_scenario(scenario, rules_path)
    ws.require("budget_forecast", "budget_activity_pot", "budget_allocation")
    year_start = ws.scalar("SELECT min(year_start) FROM budget_allocation")
    fc = {
        r["pot"]: r
        for r in ws.sql(
            "SELECT pot, sum(budget_pence) AS budget, sum(forecast_outturn_pence) AS outturn, "
            "sum(actual_ytd_pence) AS ytd FROM budget_forecast GROUP BY 1"
        ).to_pylist()
    }
    removed = dict.fromkeys(POTS, 0)
    added = dict.fromkeys(POTS, 0)
    for sh in scenario.shifts:
        pod = (
            f" AND a.point_of_delivery IN {in_list(sh.point_of_delivery)}"
            if sh.point_of_delivery
            else ""
        )
        sel = ws.sql(
            "SELECT b.pot, sum(b.pence) AS pence FROM budget_activity_pot b "
            "JOIN activity a ON a.activity_id = b.activity_id "
            f"WHERE b.rule_id IN {in_list(sh.rules)} AND b.month >= DATE "
            f"{quote_str(year_start.isoformat())} AND b.month < DATE "
            f"{quote_str(year_start.replace(year=year_start.year + 1).isoformat())}{pod} "
            "GROUP BY 1"
        ).to_pylist()
        for r in sel:
            pot = r["pot"]
            f = fc.get(pot)
            # scale the year's actual spend up to the forecast outturn of its pot
            scale = (
                Decimal(int(f["outturn"])) / Decimal(int(f["ytd"]))
                if f and f["ytd"]
                else Decimal(1)
            )
            moved = _pence(Decimal(int(r["pence"])) * scale * Decimal(str(sh.share)))
            removed[pot] += moved
            added[sh.to_pot] += _pence(Decimal(moved) * Decimal(str(sh.cost_ratio)))
    rows = []
    for pot in POTS:
        f = fc.get(pot, {"budget": 0, "outturn": 0})
        base = int(f["outturn"] or 0)
        new = base - removed[pot] + added[pot]
        rows.append(dict(scenario=scenario.name, pot=pot, budget_pence=int(f["budget"] or 0),
                         baseline_outturn_pence=base, removed_pence=removed[pot],
                         added_pence=added[pot], scenario_outturn_pence=new,
                         change_pence=new - base,
                         scenario_variance_pence=int(f["budget"] or 0) - new))  # fmt: skip
    table = pa.Table.from_pylist(rows)
    if ws.has_table("budget_scenario"):
        ws.delete_where("budget_scenario", f"scenario = {quote_str(scenario.name)}")
        ws.write_table("budget_scenario", table, mode="append")
    else:
        ws.write_table("budget_scenario", table)
    return ScenarioResult(
        name=scenario.name,
        baseline_pence=sum(r["baseline_outturn_pence"] for r in rows),
        scenario_pence=sum(r["scenario_outturn_pence"] for r in rows),
        by_pot={r["pot"]: r["change_pence"] for r in rows},
    )

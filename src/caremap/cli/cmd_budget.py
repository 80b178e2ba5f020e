"""`caremap budget`: four pooled pots, allocation, ledger, forecast and scenarios; demo step 80."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from caremap.cli.common import DemoContext, EngineOpt, WorkspaceOpt, command, console, workspace


def _pounds(pence: int) -> str:
    return f"£{pence / 100:,.0f}"


def _pot_table(ws) -> Table:
    t = Table(title="Pooled budget by pot (budget year)")
    for col in ("pot", "budget", "actual to date", "forecast outturn", "variance", "contracted"):
        t.add_column(col, justify="left" if col == "pot" else "right")
    for r in ws.sql("SELECT * FROM budget_pot_summary ORDER BY pot").to_pylist():
        t.add_row(
            r["pot"],
            _pounds(r["budget_pence"]),
            _pounds(r["actual_ytd_pence"]),
            _pounds(r["forecast_outturn_pence"]),
            _pounds(r["variance_pence"]),
            _pounds(r["contracted_pence"]),
        )
    return t


@command(
    epilog="Examples:\n\n  caremap budget\n\n"
    "  caremap budget --total 32000000 --as-of 2024-12-01\n\n"
    "  caremap budget --scenario shift.yaml --config budget.yaml -w region.duckdb"
)
def budget(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Budget configuration (YAML/JSON).")
    ] = None,
    scenario: Annotated[
        list[Path] | None,
        typer.Option("--scenario", help="Scenario YAML (repeat); default: the shipped one."),
    ] = None,
    total: Annotated[
        str | None, typer.Option(help="The fixed total in pounds (default: base year + 3%).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="Last month of actuals, YYYY-MM-DD (for forecasts).")
    ] = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Classify every contract line and activity record into the four pots (or review),
    allocate a fixed total by weighted capitation to localities and GP federations, and
    report budget against spend, forecast outturn and scenarios.

    Needs `caremap standards` first (specialised activity goes to the national pot).
    Writes budget_activity_pot, budget_line_pot, budget_review, budget_reconciliation,
    budget_population, budget_cost_weight, budget_allocation, budget_ledger,
    budget_forecast, budget_pot_summary and budget_scenario.
    """
    from caremap.budget import BudgetConfig, run_budget
    from caremap.budget.step import shipped_scenario_path
    from caremap.core.config import load_config
    from caremap.core.errors import ConfigError

    cfg = load_config(BudgetConfig, config)
    if scenario:
        cfg.scenario_files = list(scenario)
    elif not cfg.scenarios and not cfg.scenario_files:
        cfg.scenario_files = [shipped_scenario_path()]
    if total:
        try:
            cfg.allocation.total_pounds = Decimal(total.replace(",", "").lstrip("£"))
        except InvalidOperation:
            raise ConfigError(f"--total {total!r} is not an amount in pounds") from None
    if as_of:
        try:
            cfg.ledger.as_of = date.fromisoformat(as_of)
        except ValueError:
            raise ConfigError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    with workspace(ws_path, engine) as ws:
        res = run_budget(ws, cfg)
        console.print(_pot_table(ws))
    for r in res.reconciliation:
        console.print(
            f"{r.source}: {r.records:,} records = {r.classified:,} in pots + {r.review:,} "
            f"in review; {_pounds(r.pence_total)} reconciles: {r.reconciles}"
        )
    for s in res.scenarios:
        moves = ", ".join(f"{p} {_pounds(v)}" for p, v in s.by_pot.items() if v)
        console.print(f"scenario {s.name}: {moves or 'no change'}")


def demo_budget(ctx: DemoContext) -> None:
    """The four pots with the shipped scenario; reconciliation to the penny."""
    from caremap.budget import BudgetConfig, run_budget
    from caremap.budget.step import shipped_scenario_path

    res = run_budget(ctx.ws, BudgetConfig(scenario_files=[shipped_scenario_path()]))
    ok = all(r.reconciles for r in res.reconciliation)
    review = sum(r.review for r in res.reconciliation)
    a = res.allocation
    ctx.report(
        "budget",
        f"{_pounds(a.total_pence)} in four pots to {a.localities} localities and "
        f"{a.federations} federations; {review:,} records in review; reconciled to the penny: "
        f"{ok}; forecast outturn {_pounds(res.ledger.forecast_outturn_pence)}",
    )

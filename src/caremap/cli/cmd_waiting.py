"""`caremap waiting`: queue relationships, list summaries and clearance forecasts."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from caremap.cli.common import DemoContext, EngineOpt, WorkspaceOpt, command, console, workspace
from caremap.core.errors import ConfigError


def _scenarios(text: str) -> dict[str, float]:
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, mult = part.partition("=")
        try:
            out[name] = float(mult)
        except ValueError:
            raise ConfigError(
                f"scenario {part!r}: write name=multiplier, e.g. plus10=1.1"
            ) from None
    return out or {"current": 1.0}


def _calculator(demand, target_wait, queue_size, capacity, mean_wait, factor, time_to_target):
    from caremap.waiting import queue as Q

    t = Table(title="Waiting-list relationships (NHSRwaitinglist)")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    mw = float(Q.target_mean_wait(target_wait, factor))
    tq = float(Q.target_queue_size(demand, target_wait, factor))
    rows = [
        ("target mean wait", mw),
        ("target queue size (Little's law)", tq),
        ("target capacity (Kingman)", float(Q.target_capacity(demand, target_wait, factor))),
    ]
    if queue_size is not None:
        rows.append(
            (
                "relief capacity to reach target queue",
                float(Q.relief_capacity(demand, queue_size, tq, time_to_target)),
            )
        )
    if capacity is not None:
        rows.append(("queue load (demand / capacity)", float(Q.queue_load(demand, capacity))))
    if mean_wait is not None:
        rows.append(
            ("waiting list pressure", float(Q.waiting_list_pressure(mean_wait, target_wait)))
        )
    for k, v in rows:
        t.add_row(k, f"{v:,.2f}")
    console.print(t)


def _show(out: dict[str, pd.DataFrame]) -> None:
    s = out["waiting_summary"].sort_values("pressure", ascending=False)
    t = Table(title=f"Waiting lists at {s['census_date'].iloc[0]} (highest pressure first)")
    cols = [
        "list",
        "queue_size",
        "demand",
        "capacity",
        "p92_wait",
        "target_queue_size",
        "relief_capacity",
        "pressure",
    ]
    for c in cols:
        t.add_column(c, justify="left" if c == "list" else "right")
    for _, r in s.head(15).iterrows():
        t.add_row(*[str(r[c]) if c == "list" else f"{r[c]:,.1f}" for c in cols])
    console.print(t)
    c = out.get("waiting_clearance")
    if c is not None and len(c):
        t = Table(title="Clearance of waits beyond the target (probability within the horizon)")
        for col in ("list", "scenario", "capacity", "p_cleared", "week_median"):
            t.add_column(col)
        for _, r in c.head(30).iterrows():
            t.add_row(
                r["list"],
                r["scenario"],
                f"{r['capacity']:.1f}",
                f"{r['p_cleared']:.0%}",
                "-" if pd.isna(r["week_median"]) else f"{r['week_median']:.0f}",
            )
        console.print(t)


@command(
    epilog="Examples:\n\n"
    "  caremap waiting                       (lists in the workspace's waiting_pathway)\n\n"
    "  caremap waiting pathways.csv --group provider_code --group specialty\n\n"
    "  caremap waiting --demand 30 --target-wait 52 --queue-size 1200 --capacity 27"
)
def waiting(
    file: Annotated[Path | None, typer.Argument(help="CSV of RTT pathways.")] = None,
    group: Annotated[list[str] | None, typer.Option(help="List key; repeatable.")] = None,
    target_weeks: Annotated[float, typer.Option(help="Target wait in weeks.")] = 18,
    scenarios: Annotated[str, typer.Option(help="Capacity multipliers.")] = (
        "current=1,plus10=1.1,plus20=1.2"
    ),
    weeks: Annotated[int, typer.Option(help="Forecast horizon in weeks.")] = 104,
    sims: Annotated[int, typer.Option(help="Simulations per scenario.")] = 200,
    no_forecast: Annotated[bool, typer.Option("--no-forecast")] = False,
    config: Annotated[Path | None, typer.Option(help="YAML/JSON WaitingConfig.")] = None,
    demand: Annotated[float | None, typer.Option(help="Calculator: referrals per week.")] = None,
    target_wait: Annotated[float | None, typer.Option(help="Calculator: target wait.")] = None,
    queue_size: Annotated[float | None, typer.Option(help="Calculator: list size.")] = None,
    capacity: Annotated[float | None, typer.Option(help="Calculator: removals per week.")] = None,
    mean_wait: Annotated[float | None, typer.Option(help="Calculator: mean wait.")] = None,
    factor: Annotated[float, typer.Option(help="Mean wait = target / factor.")] = 4,
    time_to_target: Annotated[float, typer.Option(help="Weeks to reach the target.")] = 26,
    out: Annotated[Path | None, typer.Option(help="Folder for CSV results (CSV input).")] = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Waiting lists: capacity needed to meet a target, and backlog clearance forecasts.

    With --demand and --target-wait it is a calculator of the queue relationships.
    Otherwise it summarises every list (demand, capacity, size, waits, target queue
    size, relief capacity, load, pressure) and simulates clearance under capacity
    scenarios with uncertainty bands.
    """
    from caremap.core.config import load_config
    from caremap.waiting import WaitingConfig, run_waiting, waiting_csv

    if demand is not None:
        if target_wait is None:
            raise ConfigError("the calculator needs --target-wait as well as --demand")
        _calculator(demand, target_wait, queue_size, capacity, mean_wait, factor, time_to_target)
        return
    if config is not None:
        cfg = load_config(WaitingConfig, config)
    else:
        kw = dict(
            target_weeks=target_weeks,
            scenarios=_scenarios(scenarios),
            weeks=weeks,
            sims=sims,
            forecast=not no_forecast,
        )
        if group:
            kw["group"] = group
        cfg = load_config(WaitingConfig, **kw)
    if file is None:
        with workspace(ws_path, engine) as ws:
            res = run_waiting(ws, cfg).frames
        _show(res)
        console.print("wrote waiting_summary, waiting_forecast and waiting_clearance")
        return
    with tempfile.TemporaryDirectory() as tmp, workspace(Path(tmp) / "w.duckdb") as ws:
        res = waiting_csv(str(file), cfg, ws)
    _show(res)
    dest = out or file.parent
    dest.mkdir(parents=True, exist_ok=True)
    for name, frame in res.items():
        frame.to_csv(dest / f"{file.stem}_{name}.csv", index=False)
    console.print(f"wrote {', '.join(f'{file.stem}_{n}.csv' for n in res)} in {dest}")


def demo_waiting(ctx: DemoContext) -> None:
    """Summaries and clearance forecasts of every synthetic RTT list."""
    from caremap.waiting import WaitingConfig, run_waiting

    if not ctx.ws.has_table("waiting_pathway"):
        ctx.report("waiting", "no waiting_pathway table; skipped")
        return
    res = run_waiting(ctx.ws, WaitingConfig(sims=100)).frames
    s, c = res["waiting_summary"], res["waiting_clearance"]
    cur = c[c["scenario"] == "current"]
    ctx.report(
        "waiting",
        f"{len(s)} lists, {int(s['queue_size'].sum()):,} waiting, "
        f"{int(s['over_target'].sum()):,} over 18 weeks; {int(s['needs_relief'].sum())} need "
        f"relief capacity; at current capacity {int((cur['p_cleared'] >= 0.5).sum())} of "
        f"{len(cur)} lists likely clear their long waits within two years",
    )

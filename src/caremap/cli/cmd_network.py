"""`caremap network` (trauma network scenarios on the workspace) and `caremap locate`
(location-allocation on any demand, sites and travel-time files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from caremap.cli.common import DemoContext, EngineOpt, WorkspaceOpt, command, console, workspace


def _print_scenarios(df) -> None:
    t = Table(title="Trauma network scenarios (right-place triage)")
    cols = [
        ("scenario", "scenario"),
        ("centres", "centres"),
        ("gap", "gap"),
        ("mean min", "mean_minutes_population"),
        ("pop <=45", "population_within_45"),
        ("deaths", "expected_deaths_right_place"),
        ("transfers", "secondary_transfers_right_place"),
    ]
    for head, _ in cols:
        t.add_column(head)
    for _, r in df.iterrows():
        t.add_row(
            *[
                f"{r[c]:.3g}" if isinstance(r[c], float) and c != "population_within_45" else
                (f"{r[c]:.1%}" if c == "population_within_45" else str(r[c]))
                for _, c in cols
            ]
        )  # fmt: skip
    console.print(t)


@command(
    epilog="Examples:\n\n  caremap network\n\n  caremap network --max-p 4 --proposal XA0101,XA0201"
    "\n\n  caremap network --config network.yaml -w region.duckdb"
)
def network(
    config: Annotated[
        Path | None, typer.Option(help="YAML/JSON settings (see docs/network.md).")
    ] = None,
    max_p: Annotated[int | None, typer.Option(help="Optimise for 1..max-p centres.")] = None,
    proposal: Annotated[
        str | None, typer.Option(help="Comma-separated site codes of your own proposal.")
    ] = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Design and compare trauma networks: today, optimised for p = 1..k, and a proposal.

    Evaluates access (30/45/60 minutes), volumes against the minimum, travel burden by
    locality and deprivation, and the nearest-hospital and right-place triage policies,
    and writes the network_* tables to the workspace.
    """
    from caremap.core.config import load_config
    from caremap.network import NetworkConfig, run_network

    cfg = load_config(
        NetworkConfig,
        config,
        max_p=max_p,
        proposal=[s.strip() for s in proposal.split(",") if s.strip()] if proposal else None,
    )
    with workspace(ws_path, engine) as ws:
        result = run_network(ws, cfg)
    _print_scenarios(result.scenarios)


@command(
    epilog="Examples:\n\n  caremap locate --demand lsoa.csv --sites units.csv "
    "--times matrix.csv.gz --model pmedian --p 24\n\n"
    "  caremap locate --demand d.csv --sites s.csv --times t.parquet --model mclp --p 5 "
    "--radius 45 --out chosen.csv"
)
def locate(
    demand: Annotated[Path, typer.Option(help="CSV/Parquet: id, demand.")],
    sites: Annotated[
        Path, typer.Option(help="CSV/Parquet: site id [, status open|closed|candidate].")
    ],
    times: Annotated[
        Path, typer.Option(help="Travel minutes: long (origin,destination,time) or wide.")
    ],
    model: Annotated[str, typer.Option(help="pmedian, mclp, lscp, pcenter, capacitated.")],
    p: Annotated[int | None, typer.Option(help="Number of sites to open.")] = None,
    radius: Annotated[
        float | None, typer.Option(help="Covering radius in minutes (mclp, lscp).")
    ] = None,
    demand_column: Annotated[str | None, typer.Option(help="Demand column name.")] = None,
    min_volume: Annotated[float, typer.Option(help="capacitated: minimum volume.")] = 0.0,
    capacity: Annotated[float, typer.Option(help="capacitated: capacity per site.")] = float("inf"),
    time_limit: Annotated[float, typer.Option(help="Solver time limit, seconds.")] = 600.0,
    out: Annotated[
        Path | None, typer.Option(help="Write each demand point's site to this CSV.")
    ] = None,
) -> None:
    """Choose sites for any demand, sites and travel-time matrix, solved exactly with
    HiGHS (the proven optimality gap is reported)."""
    import pandas as pd

    from caremap.network.locate import locate as run

    result, problem = run(
        demand, sites, times, model, p, radius, demand_column, time_limit, min_volume, capacity
    )
    console.print(result.summary())
    console.print("open sites: " + ", ".join(map(str, result.open_sites)))
    for k, v in result.details.items():
        if not isinstance(v, dict):
            console.print(f"{k}: {v}")
    if out is not None:
        pd.DataFrame({"demand_id": problem.demand_ids, "site": result.assignment}).to_csv(
            out, index=False
        )
        console.print(f"assignment written to {out}")


def demo_network(ctx: DemoContext) -> None:
    """Today's trauma centres against the optimum for one to three centres."""
    from caremap.network import NetworkConfig, run_network

    df = run_network(ctx.ws, NetworkConfig(max_p=3)).scenarios
    best = df.loc[df["scenario"].str.startswith("optimised")].head(1)
    text = f"{len(df)} scenarios"
    if len(best):
        r = best.iloc[0]
        text += f"; best single centre {r['centres']} ({r['status']}, mean {r['mean_minutes_population']:.1f} min)"
    ctx.report("network", text)

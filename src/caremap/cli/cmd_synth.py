"""`caremap synth`: generate a synthetic health economy and (by default) ingest it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from caremap.cli.common import EngineOpt, WorkspaceOpt, command, console, progress, workspace


@command(
    epilog="Examples:\n\n  caremap synth --population 20000 --seed 1\n\n"
    "  caremap synth --population 1000000 --seed 7 --out region-extracts --no-ingest\n\n"
    "  caremap synth -p 50000 -w region.duckdb --config synth.yaml"
)
def synth(
    population: Annotated[
        int, typer.Option("--population", "-p", help="People in the synthetic region.")
    ] = 20_000,
    seed: Annotated[
        int,
        typer.Option("--seed", "-s", help="Random seed: the same seed gives the same data."),
    ] = 1,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the Parquet extracts.")
    ] = Path("synth-extracts"),
    years: Annotated[int, typer.Option(help="Years of activity.")] = 3,
    config: Annotated[
        Path | None,
        typer.Option(help="YAML or JSON settings (rates, identity noise); see docs/synth.md."),
    ] = None,
    ingest: Annotated[
        bool, typer.Option(help="Load the extracts into the workspace afterwards.")
    ] = True,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Generate a synthetic health economy, deterministic for a seed.

    Writes one Parquet file per table (big tables in parts) to --out, with the ground
    truth under --out/truth/, then ingests them into the workspace unless --no-ingest.
    Geography, sites, people with identity noise in seven source systems, long-term
    conditions and three years of activity; later capabilities add their own domains.
    """
    from caremap.core.config import load_config
    from caremap.synth import SynthConfig, generate

    cfg = load_config(SynthConfig, config) if config else None
    with progress() as bar:
        task = bar.add_task("synthesising", total=1.0)
        summary = generate(
            population,
            seed,
            out,
            years=years,
            config=cfg,
            progress=lambda what, frac: bar.update(task, completed=frac, description=what),
        )
    console.print(
        f"[bold green]synth[/]: {population:,} people, seed {seed}: "
        f"{summary.rows.get('source_record', 0):,} source records, "
        f"{summary.rows.get('activity', 0):,} activity rows, {len(summary.files)} files "
        f"in {summary.seconds:.1f}s -> {out}"
    )
    if not ingest:
        return
    from caremap.cli.cmd_ingest import print_reports
    from caremap.core.ingest import ingest_path

    with workspace(ws_path, engine) as ws, progress() as bar:
        task = bar.add_task("ingesting", total=None)

        def tick(name: str, i: int, n: int) -> None:
            bar.update(task, total=n, completed=i, description=f"ingesting {Path(name).name}")

        reports = ingest_path(ws, out, progress=tick)
    print_reports(reports)

"""`caremap demo`: a synthetic region through every capability, then a summary."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from caremap.cli.common import DemoContext, command, console, progress, workspace
from caremap.core.manifest import demo_steps, resolve


@command(
    epilog="Examples:\n\n  caremap demo\n\n  caremap demo --population 20000 --seed 3 --no-serve  (smaller and faster)"
)
def demo(
    population: Annotated[
        int,
        typer.Option(
            help="People in the synthetic region (the default gives four localities of "
            "about 50,000 and eight GP federations to compare)."
        ),
    ] = 200_000,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives the same region.")
    ] = 1,
    out: Annotated[
        Path, typer.Option(help="Folder for the demo workspace, extracts and outputs.")
    ] = Path("demo-output"),
    serve: Annotated[
        bool, typer.Option(help="Start the dashboard at the end and print its address.")
    ] = True,
    port: Annotated[int, typer.Option(help="Port for the dashboard.")] = 8000,
) -> None:
    """Build a synthetic region, ingest it, run every capability, and summarise.

    Everything goes under --out (default demo-output/): the workspace
    demo-output/caremap.duckdb, the synthetic extracts, and each step's charts.
    """
    from caremap.core.ingest import ingest_path
    from caremap.synth import generate

    out.mkdir(parents=True, exist_ok=True)
    ws_path = out / "caremap.duckdb"
    for stale in (ws_path, ws_path.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    extracts = out / "extracts"
    shutil.rmtree(extracts, ignore_errors=True)
    timings: list[tuple[str, float]] = []

    t0 = time.perf_counter()
    with progress() as bar:
        task = bar.add_task("synthesising", total=1.0)
        generate(
            population=population,
            seed=seed,
            out_dir=extracts,
            progress=lambda what, frac: bar.update(task, completed=frac, description=what),
        )
    timings.append(("synth", time.perf_counter() - t0))
    console.print(f"[bold green]synth[/]: {population:,} people, seed {seed} -> {extracts}")

    with workspace(ws_path) as ws:
        t0 = time.perf_counter()
        reports = ingest_path(ws, extracts)
        timings.append(("ingest", time.perf_counter() - t0))
        read = sum(r.read for r in reports)
        quarantined = sum(r.quarantined for r in reports)
        console.print(
            f"[bold green]ingest[/]: {len(reports)} files, {read:,} rows read, "
            f"{read - quarantined:,} loaded, {quarantined:,} quarantined"
        )
        ctx = DemoContext(ws=ws, work_dir=out, seed=seed, population=population)
        for step in demo_steps():
            t0 = time.perf_counter()
            resolve(step.demo)(ctx)
            timings.append((step.capability, time.perf_counter() - t0))
        summary = Table(title="caremap demo")
        summary.add_column("step")
        summary.add_column("seconds", justify="right")
        for name, secs in timings:
            summary.add_row(name, f"{secs:.1f}")
        console.print(summary)
        for name, text in ctx.summary:
            console.print(f"  {name}: {text}")
    console.print(f"workspace: {ws_path}  (try `caremap status -w {ws_path}`)")
    if serve:
        from caremap.cli.cmd_app import serve_demo

        serve_demo(ws_path, port)

"""What every caremap command shares: the workspace option, errors, progress and the demo.

Commands live in ``caremap/cli/cmd_<name>.py``; each defines ``register(app)`` and may add
steps to ``caremap demo`` with `demo_step`. `caremap.cli.main` discovers them, so a new
capability adds its commands without editing any other file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from caremap.core.workspace import Workspace, open_workspace

console = Console()
err_console = Console(stderr=True)

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace: a DuckDB file, or a folder with --engine spark. "
        "Default: $CAREMAP_WORKSPACE or ./caremap.duckdb.",
        show_default=False,
    ),
]
EngineOpt = Annotated[
    str, typer.Option("--engine", help="duckdb (default) or spark.", show_default=True)
]


def workspace(path: Path | None, engine: str = "duckdb", read_only: bool = False) -> Workspace:
    return open_workspace(path, engine=engine, read_only=read_only)


def progress() -> Progress:
    """A Rich progress bar for long steps (quiet when output is not a terminal)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal or bool(os.environ.get("CAREMAP_NO_PROGRESS")),
    )


@dataclass
class DemoContext:
    """Passed to each demo step: the open workspace, a scratch folder and the summary."""

    ws: Workspace
    work_dir: Path
    seed: int
    population: int
    summary: list[tuple[str, str]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    def report(self, step: str, text: str) -> None:
        self.summary.append((step, text))
        console.print(f"[bold green]{step}[/]: {text}")


@dataclass(frozen=True)
class DemoStep:
    order: int
    name: str
    fn: Callable[[DemoContext], None]


DEMO_STEPS: dict[str, DemoStep] = {}


def demo_step(order: int, name: str):
    """Add ``fn(ctx: DemoContext)`` to `caremap demo` (synth is 10, ingest 20, link 30,
    needs 40, risk 50, network 60, standards 70, budget 80, performance 90, waiting 95)."""

    def deco(fn: Callable[[DemoContext], None]):
        DEMO_STEPS[name] = DemoStep(order, name, fn)
        return fn

    return deco


# The app registers how to serve a workspace; `caremap demo` calls it last.
SERVE_HOOKS: list[Callable[[Path, int], None]] = []

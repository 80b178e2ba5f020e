"""What every caremap command shares: the workspace option, output, progress and the demo.

Commands are plain module-level functions in ``caremap/cli/cmd_<name>.py``, marked with
`command` (their examples); `caremap.cli.main` adds them to the CLI in the order of
`caremap.core.manifest.COMMANDS`, and `caremap demo` runs each step's demo function named
in `caremap.core.manifest.STEPS`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from caremap.core.errors import WorkspaceError
from caremap.core.workspace import DEFAULT_PATH, Workspace, open_workspace

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

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
    Literal["duckdb", "spark"],
    typer.Option("--engine", help="duckdb (default) or spark.", show_default=True),
]


def command(epilog: str = "") -> Callable[[F], F]:
    """Mark a function as a CLI command with its examples (``epilog``); it is not registered
    here: `caremap.cli.main` adds the commands that `caremap.core.manifest.COMMANDS` lists."""

    def deco(fn: F) -> F:
        fn.__cli_epilog__ = epilog  # type: ignore[attr-defined]
        return fn

    return deco


def workspace(
    path: Path | None,
    engine: str = "duckdb",
    read_only: bool = False,
    must_exist: bool = False,
) -> Workspace:
    """Open the workspace at ``path`` (default: $CAREMAP_WORKSPACE or ./caremap.duckdb).

    A command that only reads (``read_only``) or reads a named table (``must_exist``) on a
    path with no workspace says so and creates nothing.
    """
    if read_only or must_exist:
        where = Path(
            path
            or os.environ.get("CAREMAP_WORKSPACE")
            or (DEFAULT_PATH if engine == "duckdb" else "caremap-spark")
        )
        if not where.exists():
            raise WorkspaceError(
                f"no workspace at {where}; make one with `caremap demo`, `caremap synth` or "
                "`caremap ingest`, or give its path with -w"
            )
        path = where
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
    """Passed to each step's demo function: the open workspace, a scratch folder and the
    summary it adds its line to."""

    ws: Workspace
    work_dir: Path
    seed: int
    population: int
    summary: list[tuple[str, str]] = field(default_factory=list)

    def report(self, step: str, text: str) -> None:
        self.summary.append((step, text))
        console.print(f"[bold green]{step}[/]: {text}")

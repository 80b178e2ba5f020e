"""`caremap ingest` and `caremap status`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from caremap.cli.common import EngineOpt, WorkspaceOpt, command, console, progress, workspace


def print_reports(reports) -> None:
    t = Table(title="Reconciliation (read = loaded + quarantined)")
    for col in ("file", "table", "read", "loaded", "quarantined", "replaced"):
        t.add_column(col, justify="right" if col not in ("file", "table") else "left")
    for r in reports:
        t.add_row(
            Path(r.file).name,
            r.table,
            f"{r.read:,}",
            f"{r.loaded:,}",
            f"{r.quarantined:,}",
            f"{r.replaced:,}",
        )
    console.print(t)
    reasons: dict[str, int] = {}
    for r in reports:
        for k, v in r.reasons.items():
            reasons[f"{r.table}.{k}"] = reasons.get(f"{r.table}.{k}", 0) + v
    if reasons:
        q = Table(title="Quarantined rows by field and reason (see the quarantine table)")
        q.add_column("field: reason")
        q.add_column("rows", justify="right")
        for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]):
            q.add_row(k, f"{v:,}")
        console.print(q)


@command(
    epilog="Examples:\n\n  caremap ingest extracts/\n\n"
    "  caremap ingest gp_patients_march.csv --table source_record\n\n"
    "  caremap ingest ae.csv --encoding cp1252 -w region.duckdb\n\n"
    "  caremap ingest extracts/ --rules ingest-rules.yaml"
)
def ingest(
    path: Annotated[Path, typer.Argument(help="A CSV/Parquet file, or a folder of them.")],
    table: Annotated[
        str | None,
        typer.Option("--table", "-t", help="Load into this table instead of the file's name."),
    ] = None,
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV files.")] = "utf-8",
    rules: Annotated[
        Path | None,
        typer.Option(help="YAML/JSON plausibility rules per table (docs/data-model.md)."),
    ] = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Validate extracts and load them into the workspace, all or nothing.

    A file loads into the table named by its file name (activity.csv or
    activity__2024.csv -> activity; files in a truth/ folder -> truth.*), or --table.
    Rows that fail validation go to the quarantine table with file, row, field and
    reason. Loading the same extract twice replaces rows by key, adding nothing.
    """
    from caremap.core.config import load_config
    from caremap.core.ingest import ingest_path
    from caremap.core.plausibility import PlausibilityConfig

    checks = load_config(PlausibilityConfig, rules) if rules else None
    with workspace(ws_path, engine) as ws, progress() as bar:
        task = bar.add_task("ingesting", total=None)

        def tick(name: str, i: int, n: int) -> None:
            bar.update(task, total=n, completed=i, description=f"ingesting {Path(name).name}")

        reports = ingest_path(
            ws, path, table, encoding=encoding, plausibility=checks, progress=tick
        )
    print_reports(reports)


@command(epilog="Examples:\n\n  caremap status\n\n  caremap status --json -w region.duckdb")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Show the workspace: tables and row counts, recent loads, quarantine counts."""
    from caremap.core.status import workspace_status

    with workspace(ws_path, engine, read_only=engine == "duckdb", must_exist=True) as ws:
        st = workspace_status(ws)
    if as_json:
        typer.echo(json.dumps(st, indent=2, default=str))
        return
    t = Table(title=f"Workspace {st['workspace']} ({st['engine']})")
    t.add_column("table")
    t.add_column("rows", justify="right")
    for row in st["tables"]:
        t.add_row(row["table"], f"{row['rows']:,}")
    console.print(t)
    if st["loads"]:
        lt = Table(title="Last loads")
        for col in ("load_id", "table", "file", "read", "loaded", "quarantined", "finished_at"):
            lt.add_column(col)
        for ld in st["loads"]:
            lt.add_row(
                *(
                    str(ld[c])
                    for c in (
                        "load_id",
                        "table",
                        "file",
                        "read",
                        "loaded",
                        "quarantined",
                        "finished_at",
                    )
                )
            )
        console.print(lt)
    if st["quarantine"]:
        qt = Table(title="Quarantine by table, field and reason")
        for col in ("table", "field", "reason", "rows"):
            qt.add_column(col)
        for q in st["quarantine"]:
            qt.add_row(q["table"], q["field"], q["reason"], f"{q['rows']:,}")
        console.print(qt)

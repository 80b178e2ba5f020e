"""`caremap link` (one record per person in a workspace) and `caremap link-files`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from caremap.cli.common import DemoContext, EngineOpt, WorkspaceOpt, command, console, workspace
from caremap.core.config import load_config
from caremap.core.errors import ConfigError


def _print_quality(ws) -> None:
    q = ws.df(
        "SELECT source_system, metric, value FROM link_quality WHERE source_system <> 'all' "
        "ORDER BY source_system, metric"
    )
    t = Table(title="Linkage by source")
    for col in ("source", "records", "linked to another source", "deterministic", "unlinkable"):
        t.add_column(col, justify="left" if col == "source" else "right")
    for src, g in q.groupby("source_system"):
        v = dict(zip(g.metric, g.value, strict=True))
        t.add_row(
            src,
            f"{int(v['records']):,}",
            f"{v['share_linked_to_other_source']:.1%}",
            f"{v['share_linked_deterministically']:.1%}",
            f"{v['share_unlinkable']:.2%}",
        )
    console.print(t)


def _print_evaluation(ev) -> None:
    t = Table(title="Accuracy against the synthetic truth (link_evaluation)")
    t.add_column("measure")
    t.add_column("precision", justify="right")
    t.add_column("recall", justify="right")
    t.add_column("F1", justify="right")
    t.add_row(
        "pairwise",
        f"{ev.pairwise_precision:.4f}",
        f"{ev.pairwise_recall:.4f}",
        f"{ev.pairwise_f1:.4f}",
    )
    t.add_row(
        "cluster", f"{ev.cluster_precision:.4f}", f"{ev.cluster_recall:.4f}", f"{ev.cluster_f1:.4f}"
    )
    console.print(t)


def parse_map(items: list[str]) -> dict[str, str | list[str]]:
    """``role=column`` or ``role=col1+col2`` (joined with a space) -> a column map."""
    out: dict[str, str | list[str]] = {}
    bad = []
    for item in items:
        role, sep, cols = item.partition("=")
        if not sep or not role.strip() or not cols.strip():
            bad.append(item)
            continue
        parts = [c.strip() for c in cols.split("+") if c.strip()]
        out[role.strip()] = parts[0] if len(parts) == 1 else parts
    if bad:
        raise ConfigError(
            "--map takes role=column (or role=col1+col2); cannot read: " + ", ".join(bad)
        )
    return out


@command(
    epilog="Examples:\n\n  caremap link\n\n  caremap link --incremental\n\n"
    "  caremap link --config link.yaml -w region.duckdb\n\n"
    "  caremap link --engine spark -w national/"
)
def link(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="LinkConfig as YAML or JSON.")
    ] = None,
    incremental: Annotated[
        bool,
        typer.Option(
            "--incremental",
            help="Link only records not yet linked, to existing persons (ids kept).",
        ),
    ] = False,
    threshold: Annotated[
        float | None,
        typer.Option(help="Match probability at which probabilistic pairs link."),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="Use this saved model instead of training."),
    ] = None,
    save_model_to: Annotated[
        Path | None, typer.Option("--save-model", help="Save the trained model (JSON).")
    ] = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Link source records into one record per person (person, person_link).

    A deterministic pass on valid NHS number + date of birth, then a Splink model for
    everything else, clustered without chaining different people together. Writes
    person, person_link and the link_quality, link_cluster_sizes and link_unlinked
    tables; on synthetic data also link_evaluation (accuracy against the truth).
    """
    from caremap.link import LinkConfig, evaluate_against_truth, run_link
    from caremap.link.step import save_model

    cfg = load_config(
        LinkConfig,
        config,
        incremental=True if incremental else None,
        match_threshold=threshold,
        model_path=str(model) if model is not None else None,
    )
    with workspace(ws_path, engine) as ws:
        with console.status("linking records"):
            result = run_link(ws, cfg)
        mode = "incremental: " if result.incremental else ""
        console.print(
            f"[bold green]link[/]: {mode}{result.records:,} records -> "
            f"{result.persons:,} persons in {result.seconds:.1f} s"
        )
        _print_quality(ws)
        if save_model_to is not None:
            save_model(ws, save_model_to)
            console.print(f"model saved to {save_model_to}")
        if ws.has_table("truth.record_person"):
            _print_evaluation(evaluate_against_truth(ws))


@command(
    epilog="Examples:\n\n"
    "  caremap link-files patients.csv --map given_name=forename --map family_name=surname "
    "--map date_of_birth=dob --map postcode=postcode --out clusters.csv\n\n"
    "  caremap link-files a.parquet b.parquet --config map.yaml --one-to-one "
    "--out links.parquet",
)
def link_files(
    files: Annotated[list[Path], typer.Argument(help="One file to de-duplicate, or more.")],
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            "-m",
            help="role=column (repeat). Roles: record_id, nhs_number, identifier, "
            "given_name, family_name, date_of_birth, sex, postcode, address, record_date. "
            "Join columns with +: address=street+town.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="FileLinkConfig (columns, link, ...) YAML/JSON."),
    ] = None,
    one_to_one: Annotated[
        bool, typer.Option(help="Each file holds each person at most once.")
    ] = False,
    date_format: Annotated[
        str | None, typer.Option(help="strptime format of text dates, e.g. %d/%m/%Y.")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output CSV or Parquet.")] = Path(
        "clusters.csv"
    ),
) -> None:
    """Link or de-duplicate CSV/Parquet files outside a workspace.

    Writes one row per input record: source_file, source_row, record_id, cluster_id,
    match_probability, match_rule (see docs/link.md).
    """
    from caremap.core.config import read_mapping
    from caremap.link import FileLinkConfig
    from caremap.link import link_files as run

    if config is None and not map_:
        raise ConfigError("map the files' columns with --map role=column or --config")
    columns = None
    if map_:
        columns = {**(read_mapping(config).get("columns") or {} if config else {})}
        columns.update(parse_map(map_))
    cfg = load_config(
        FileLinkConfig,
        config,
        columns=columns,
        one_to_one=True if one_to_one else None,
        date_format=date_format or None,
    )
    with console.status("linking files"):
        table = run(files, cfg, out)
    clusters = len(set(table.column("cluster_id").to_pylist()))
    console.print(
        f"[bold green]link-files[/]: {table.num_rows:,} records -> {clusters:,} clusters; "
        f"wrote {out}"
    )


def demo_link(ctx: DemoContext) -> None:
    """Link the demo region's source records into persons."""
    from caremap.link import LinkConfig, evaluate_against_truth, run_link

    result = run_link(ctx.ws, LinkConfig())
    text = f"{result.records:,} records -> {result.persons:,} persons"
    if ctx.ws.has_table("truth.record_person"):
        ev = evaluate_against_truth(ctx.ws)
        text += f"; cluster F1 {ev.cluster_f1:.4f}, pairwise recall {ev.pairwise_recall:.4f}"
    ctx.report("link", text)

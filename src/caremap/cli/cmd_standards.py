"""`caremap standards`: service specifications, compliance, outcomes, specialised activity;
demo step 70."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from caremap.cli.common import DemoContext, EngineOpt, WorkspaceOpt, command, console, workspace


def _summary_table(ws) -> Table:
    t = Table(title="Compliance by site and specification")
    for col in ("site", "service", "met", "not met", "no evidence", "assessment"):
        t.add_column(col, justify="right" if col in ("met", "not met", "no evidence") else "left")
    for r in ws.sql(
        "SELECT site_code, site_name, service, met, not_met, no_evidence, assessment "
        "FROM standards_site_summary ORDER BY service, site_code"
    ).to_pylist():
        t.add_row(
            f"{r['site_code']} {r['site_name'] or ''}".strip(),
            r["service"],
            str(r["met"]),
            str(r["not_met"]),
            str(r["no_evidence"]),
            r["assessment"],
        )
    return t


@command(
    epilog="Examples:\n\n  caremap standards\n\n"
    "  caremap standards --spec my_mtc.yaml --as-of 2025-04-01\n\n"
    "  caremap standards --check --spec my_mtc.yaml\n\n"
    "  caremap standards --config standards.yaml -w region.duckdb"
)
def standards(
    spec: Annotated[
        list[Path] | None,
        typer.Option("--spec", "-s", help="Specification YAML (repeat); default: shipped."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Standards configuration (YAML/JSON)."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(help="End of the evidence period, YYYY-MM-DD (exclusive)."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only validate the specifications, then stop.")
    ] = False,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Check every provider against national service specifications, compute
    risk-adjusted outcomes and flag nationally commissioned specialised activity.

    Writes standards_criterion, standards_compliance, standards_site_summary,
    standards_national, standards_outcome, standards_outcome_model,
    standards_specialised_activity and standards_specialised_summary.
    """
    from caremap.core.config import load_config
    from caremap.core.errors import ConfigError
    from caremap.standards import StandardsConfig, run_standards
    from caremap.standards.spec import load_specs

    cfg = load_config(StandardsConfig, config)
    if spec:
        cfg.compliance.specs = list(spec)
    if as_of:
        try:
            cfg.compliance.as_of = date.fromisoformat(as_of)
        except ValueError:
            raise ConfigError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    if check:
        specs = load_specs(cfg.compliance.specs)
        for s in specs:
            console.print(f"{s.service} {s.version}: {len(s.criteria)} criteria, valid")
        return
    with workspace(ws_path, engine) as ws:
        res = run_standards(ws, cfg)
        console.print(_summary_table(ws))
    c = res.compliance
    console.print(
        f"{c.assessments} assessments of {c.sites} sites to {c.as_of}: {c.met} met, "
        f"{c.not_met} not met, {c.no_evidence} no evidence"
    )
    if res.outcomes:
        o = res.outcomes
        console.print(
            f"30-day trauma mortality: {o.patients:,} patients, {o.deaths:,} deaths, "
            f"c-statistic {o.c_statistic:.2f}; {o.outliers_high} sites above the funnel"
        )
    elif res.outcomes_skipped:
        console.print(res.outcomes_skipped)
    if res.specialised:
        s = res.specialised
        console.print(
            f"specialised activity: {s.flagged:,} of {s.activity:,} records "
            f"(£{s.flagged_cost:,.0f}) to the national pot"
        )


def demo_standards(ctx: DemoContext) -> None:
    """Compliance, outcomes and specialised activity; planted failures found."""
    from caremap.standards import StandardsConfig, run_standards

    res = run_standards(ctx.ws, StandardsConfig())
    c = res.compliance
    text = (
        f"{c.sites} sites, {c.assessments} criteria checked: {c.met} met, {c.not_met} not met, "
        f"{c.no_evidence} no evidence"
    )
    from caremap.standards.evaluation import TRUTH_TABLE, planted_failures

    if ctx.ws.has_table(TRUTH_TABLE):
        found = planted_failures(ctx.ws)
        det = sum(r["result"] == "detected" for r in found)
        text += f"; planted failures detected {det} of {len(found)}"
    if res.specialised:
        text += f"; {res.specialised.flagged:,} specialised records flagged"
    ctx.report("standards", text)

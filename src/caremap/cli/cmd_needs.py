"""`caremap needs` (joint needs assessment) and `caremap rates` (PHE statistics on any CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from caremap.cli.common import (
    DemoContext,
    EngineOpt,
    WorkspaceOpt,
    command,
    console,
    workspace,
)
from caremap.core.errors import InputError


def _levels(text: str) -> list[float]:
    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise InputError(f"{text!r} is not a list of numbers", field="confidence") from None


def _print_result(ws, result) -> None:
    console.print(
        f"[bold green]needs[/]: {result.localities} localities ({result.locality_method}); "
        f"{result.rows:,} indicator rows in needs_indicator"
    )
    if result.skipped:
        console.print(f"  skipped (no source table): {', '.join(result.skipped)}")
    if result.unresolved_events:
        console.print(
            f"  [yellow]{result.unresolved_events:,} events could not be placed in a small "
            "area[/]; see needs_unresolved"
        )
    if result.unplaced_people:
        console.print(
            f"  [yellow]{result.unplaced_people:,} GP-registered people left out of prevalence"
            "[/] (residence unknown); see needs_unresolved"
        )
    t = Table(title="Regional figures (95% limits)")
    for c in ("indicator", "area", "period", "events", "method", "value", "95% CI"):
        t.add_column(c, justify="right" if c in ("events", "value", "95% CI") else "left")
    rows = ws.df(
        """SELECT indicator, area_code, period, numerator, method, value, lower, upper
FROM needs_indicator WHERE area_type = 'region' AND confidence = 0.95
  AND (method LIKE 'dsr%' OR method LIKE 'proportion%')
ORDER BY indicator, area_code, period"""
    )
    for r in rows.itertuples():
        ci = "suppressed" if r.value != r.value else f"{r.lower:,.1f}-{r.upper:,.1f}"
        val = "" if r.value != r.value else f"{r.value:,.1f}"
        t.add_row(r.indicator, r.area_code, r.period, f"{r.numerator:,.0f}", r.method, val, ci)
    console.print(t)


@command(
    epilog="Examples:\n\n  caremap needs\n\n"
    "  caremap needs --target-population 40000 -w region.duckdb\n\n"
    "  caremap needs --locality-file localities.csv --config needs.yaml"
)
def needs(
    config: Annotated[
        Path | None, typer.Option(help="YAML/JSON settings (see docs/needs.md).")
    ] = None,
    localities: Annotated[
        Literal["auto", "build", "supplied"] | None,
        typer.Option(help="auto (default), build, or supplied (use the given mapping)."),
    ] = None,
    locality_file: Annotated[
        Path | None,
        typer.Option(help="CSV mapping area_code -> locality_code[, locality_name]."),
    ] = None,
    target_population: Annotated[
        int | None, typer.Option(help="People per built locality (default 50,000).")
    ] = None,
    confidence: Annotated[
        str | None, typer.Option(help="Confidence levels, e.g. 0.95,0.998 (default).")
    ] = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Joint needs assessment: localities, then rates, DSRs, ISRs and prevalence.

    Builds localities of about 50,000 people from contiguous small areas within each
    ICS (or uses a supplied mapping) and writes needs_locality_map,
    needs_locality_summary, needs_indicator (one long table of counts, crude rates,
    DSRs, ISRs and proportions with 95% and 99.8% limits by small area, locality, ICS
    and region) and needs_unresolved (events whose residence was not found).
    """
    from caremap.core.config import load_config
    from caremap.needs import NeedsConfig, run_needs

    cfg = load_config(
        NeedsConfig,
        config,
        localities=localities,
        locality_file=locality_file,
        target_population=target_population,
        confidence=_levels(confidence) if confidence else None,
    )
    with workspace(ws_path, engine) as ws:
        result = run_needs(ws, cfg)
        _print_result(ws, result)


@command(
    epilog="Examples:\n\n"
    "  caremap rates deaths.csv --area lsoa --count deaths --population pop "
    "--age-band ageband --method dsr --out dsrs.csv\n\n"
    "  caremap rates screening.csv --area practice --count screened "
    "--population eligible --method proportion --confidence 0.95,0.998\n\n"
    "  caremap rates deaths.csv --area lsoa --count deaths --population pop "
    "--age-band ageband --method isratio --reference england.csv"
)
def rates(
    file: Annotated[Path, typer.Argument(help="CSV of counts and populations.")],
    area: Annotated[str, typer.Option(help="Column naming the area.")],
    count: Annotated[str, typer.Option(help="Column of event counts (numerators).")],
    population: Annotated[str, typer.Option(help="Column of populations (denominators).")],
    age_band: Annotated[
        str | None, typer.Option(help="Column of age bands (dsr, isr, isratio).")
    ] = None,
    method: Annotated[
        Literal["crude", "proportion", "dsr", "isr", "isratio"],
        typer.Option(help="crude, proportion, dsr, isr (rate) or isratio (SMR)."),
    ] = "crude",
    confidence: Annotated[str, typer.Option(help="Confidence levels, comma-separated.")] = (
        "0.95,0.998"
    ),
    by: Annotated[
        list[str] | None, typer.Option(help="Extra grouping column (repeatable), e.g. year.")
    ] = None,
    multiplier: Annotated[
        float | None, typer.Option(help="Per how many (default 100,000; 100 for %).")
    ] = None,
    standard: Annotated[
        str | None, typer.Option(help="Column of standard populations (default ESP 2013).")
    ] = None,
    standard_file: Annotated[
        Path | None, typer.Option(help="CSV of a standard population: band, population.")
    ] = None,
    esp: Annotated[
        Literal["2013", "1976"], typer.Option(help="Built-in standard: 2013 or 1976.")
    ] = "2013",
    match: Annotated[
        Literal["label", "order"],
        typer.Option(help="Match bands to the standard/reference by label or order."),
    ] = "label",
    ref_count: Annotated[
        str | None, typer.Option(help="Column of reference counts per band (isr).")
    ] = None,
    ref_population: Annotated[
        str | None, typer.Option(help="Column of reference populations per band (isr).")
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(
            help="CSV of the reference: band, then the --ref-count/--ref-population "
            "columns (default count, population)."
        ),
    ] = None,
    frequency: Annotated[
        str | None,
        typer.Option(
            help="dsr, non-independent events: column of event frequencies "
            "(the count column is then people with that many events)."
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the results to this CSV.")] = None,
) -> None:
    """PHE indicator statistics on any CSV: crude rates, proportions, DSRs and ISRs.

    The same methods as Fingertips and the PHEindicatormethods R package: Byar's limits
    (exact Poisson below 10 events), Wilson score limits, DSRs with Dobson limits
    (suppressed below 10 events) on ESP 2013, ESP 1976 or your own standard, ISRs and
    ISRatios against reference counts and populations per band (columns, a reference
    file, or by default all rows of the file).
    """
    from caremap.core.config import load_config
    from caremap.needs.rates import RatesConfig, rates_file

    cfg = load_config(
        RatesConfig,
        area=area,
        count=count,
        population=population,
        age_band=age_band,
        method=method,
        confidence=_levels(confidence),
        by=by or [],
        multiplier=multiplier,
        standard=standard,
        standard_file=str(standard_file) if standard_file else None,
        esp=esp,
        match=match,
        ref_count=ref_count,
        ref_population=ref_population,
        reference_file=str(reference) if reference else None,
        frequency=frequency,
    )
    result = rates_file(file, cfg, out)
    if out is not None:
        console.print(f"{len(result):,} rows written to {out}")
    else:
        typer.echo(result.to_csv(index=False), nl=False)


def demo_needs(ctx: DemoContext) -> None:
    """Localities and the needs indicators for the demo region."""
    from caremap.needs import NeedsConfig, run_needs

    result = run_needs(ctx.ws, NeedsConfig(localities="build"))
    ctx.report(
        "needs",
        f"{result.localities} localities, {len(result.indicators)} indicators, "
        f"{result.rows:,} rows in needs_indicator, {result.unresolved_events:,} events unplaced",
    )

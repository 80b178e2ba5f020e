"""`caremap performance` (hubs and CDCs), `caremap spc` and `caremap funnel` (any table or
CSV), and the performance step of `caremap demo`."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import typer
from rich.table import Table

from caremap.cli.common import (
    DemoContext,
    EngineOpt,
    WorkspaceOpt,
    command,
    console,
    err_console,
    workspace,
)
from caremap.core.config import load_config, validate_config
from caremap.core.errors import ConfigError, InputError
from caremap.core.stats.funnel import Adjustment, DataType, SrMethod
from caremap.core.stats.spc import Direction, RuleSetName

LimitOpt = Annotated[Literal["95", "99.8"], typer.Option(help="Flag beyond 95 or 99.8 limits.")]
FdrOpt = Annotated[float, typer.Option(help="False discovery rate for flags.")]
AdjustOpt = Annotated[Adjustment, typer.Option(help="tau2 (additive), phi or none.")]


def read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read as CSV: {exc}", file=str(path)) from None


def _spc_charts(
    points: pd.DataFrame, summary: pd.DataFrame, out: Path, limit: int, target: float | None
) -> Path | None:
    from caremap.performance.charts import spc_figure, write_html

    if limit <= 0 or points.empty:
        return None
    # concerns first, then improvements, then the rest
    order = (
        summary.assign(
            k=summary["variation_icon"].map(
                lambda v: 0 if "concern" in v else 1 if "improv" in v else 2
            )
        )
        .sort_values(["k", "series"])["series"]
        .head(limit)
    )
    figs = [spc_figure(points[points["series"] == s], str(s), target) for s in order]
    return write_html(figs, out, "SPC charts")


def _print_summary(summary: pd.DataFrame, cols: list[str], title: str, n: int = 15) -> None:
    t = Table(title=title)
    for c in cols:
        t.add_column(c)
    for _, r in summary.head(n).iterrows():
        t.add_row(*[f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]) for c in cols])
    console.print(t)
    if len(summary) > n:
        console.print(f"... and {len(summary) - n} more")


@command(
    epilog="Examples:\n\n"
    "  caremap spc ae_attendances.csv --date period --value attendances "
    "--group org_code --group type\n\n"
    "  caremap spc ae.csv --date period --numerator breaches --denominator attendances "
    "--chart p --improvement decrease --target 0.05\n\n"
    "  caremap spc --table hub_performance_month --date month --numerator cancelled_on_day "
    "--denominator booked --chart p --group site_code"
)
def spc(
    file: Annotated[Path | None, typer.Argument(help="CSV of the series.")] = None,
    date: Annotated[str | None, typer.Option(help="Date column.")] = None,
    value: Annotated[str | None, typer.Option(help="Value column (XmR chart).")] = None,
    numerator: Annotated[str | None, typer.Option(help="Count column (p/u charts).")] = None,
    denominator: Annotated[str | None, typer.Option(help="Size column (p/u).")] = None,
    group: Annotated[list[str] | None, typer.Option(help="Series key; repeatable.")] = None,
    chart: Annotated[Literal["xmr", "p", "u"], typer.Option(help="xmr, p or u.")] = "xmr",
    improvement: Annotated[
        Direction, typer.Option(help="increase, decrease or neutral.")
    ] = "increase",
    target: Annotated[float | None, typer.Option(help="Target for the assurance icon.")] = None,
    fix_after: Annotated[int | None, typer.Option(help="Fix limits after n points.")] = None,
    rebase: Annotated[list[str] | None, typer.Option(help="Rebase date; repeatable.")] = None,
    rules: Annotated[RuleSetName, typer.Option(help="ptd (NHSRplotthedots) or mdc2023.")] = "ptd",
    no_screen: Annotated[
        bool, typer.Option("--no-screen", help="Keep large moving ranges.")
    ] = False,
    config: Annotated[
        Path | None, typer.Option(help="YAML/JSON SpcConfig instead of the column options.")
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(help="Read this workspace table instead of a CSV; results go to spc_*."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for CSV results and charts.")] = (None),
    charts: Annotated[int, typer.Option(help="How many series to chart (0: none).")] = 12,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Statistical process control charts by the Making Data Count rules.

    One row per point (mean, limits, two-sigma lines, rule flags, point type) and one
    per series (variation and assurance icons). Series with fewer than 12 points get
    trial limits and a warning.
    """
    from caremap.performance.spc import SpcConfig, SpcStepConfig, spc_frame, spc_table

    if file is None and table is None:
        raise ConfigError("give a CSV file or --table")
    if config is not None:
        base = load_config(SpcConfig, config).model_dump()
    else:
        if not date:
            raise ConfigError("--date is required (or --config)")
        base = dict(
            date=date,
            value=value,
            numerator=numerator,
            denominator=denominator,
            group=group or [],
            chart=chart,
            improvement=improvement,
            target=target,
            fix_after_n=fix_after,
            rebase=rebase or [],
            rules=rules,
            screen_outliers=not no_screen,
        )
    cfg = validate_config(
        SpcStepConfig if table else SpcConfig,
        {**base, **({"table": table, "source": table} if table else {})},
        "options",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if table:
            with workspace(ws_path, engine, must_exist=True) as ws:
                points, summary, notes = spc_table(ws, cfg)
        else:
            df = read_csv(file)
            points, summary, notes = spc_frame(df, cfg, file=str(file))
    del caught
    for n in notes[:10]:
        err_console.print(f"[yellow]warning:[/] {n}")
    if len(notes) > 10:
        err_console.print(f"[yellow]warning:[/] ... {len(notes) - 10} more short series")
    dest = out or (Path(file).with_suffix("").parent if file else Path("."))
    stem = Path(file).stem if file else table
    dest.mkdir(parents=True, exist_ok=True)
    points.to_csv(dest / f"{stem}_spc_points.csv", index=False)
    summary.to_csv(dest / f"{stem}_spc_summary.csv", index=False)
    html = _spc_charts(points, summary, dest / f"{stem}_spc.html", charts, cfg.target)
    _print_summary(
        summary,
        ["series", "n", "mean", "lpl", "upl", "variation_icon", "assurance_icon"],
        f"SPC: {len(summary)} series",
    )
    console.print(
        f"wrote {dest / (stem + '_spc_points.csv')}, "
        f"{dest / (stem + '_spc_summary.csv')}" + (f" and {html}" if html else "")
    )


@command(
    epilog="Examples:\n\n"
    "  caremap funnel trusts.csv --unit org_code --numerator breaches "
    "--denominator attendances --lower-is-better\n\n"
    "  caremap funnel shmi.csv --unit trust --numerator observed --denominator expected "
    "--type SR --method SHMI\n\n"
    "  caremap funnel --hubs      (every surgical hub and CDC in the workspace)"
)
def funnel(
    file: Annotated[Path | None, typer.Argument(help="CSV, one row per unit.")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit column.")] = None,
    numerator: Annotated[str | None, typer.Option(help="Observed events column.")] = None,
    denominator: Annotated[
        str | None, typer.Option(help="Expected (SR), cases (PR) or population (rate).")
    ] = None,
    by: Annotated[list[str] | None, typer.Option(help="One funnel per value.")] = None,
    data_type: Annotated[
        DataType, typer.Option("--type", help="PR, SR, RC (ratio of counts) or rate.")
    ] = "PR",
    method: Annotated[SrMethod, typer.Option(help="SR scale: SHMI (log) or CQC (sqrt).")] = "SHMI",
    adjust: AdjustOpt = "tau2",
    better: Annotated[
        bool | None,
        typer.Option(
            "--higher-is-better/--lower-is-better", help="Label best practice and concern."
        ),
    ] = None,
    limit: LimitOpt = "99.8",
    fdr: FdrOpt = 0.05,
    multiplier: Annotated[float, typer.Option(help="e.g. 100 for percentages.")] = 1.0,
    config: Annotated[Path | None, typer.Option(help="YAML/JSON FunnelConfig.")] = None,
    table: Annotated[str | None, typer.Option(help="Workspace table instead of a CSV.")] = None,
    hubs: Annotated[
        bool,
        typer.Option("--hubs", help="The same as `caremap performance` (hubs and CDCs)."),
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Folder for CSV results and chart.")] = (None),
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Funnel plots with overdispersion, league tables with rank intervals, and outliers
    flagged with false discovery rate control; positive outliers are listed as
    candidate best practice with their evidence."""
    from caremap.performance.funnel import (
        FunnelConfig,
        FunnelStepConfig,
        funnel_frame,
        funnel_table,
    )

    if hubs:
        performance(limit=limit, fdr=fdr, adjust=adjust, out=out, ws_path=ws_path, engine=engine)
        return
    if file is None and table is None:
        raise ConfigError("give a CSV file, --table or --hubs")
    if config is not None:
        base = load_config(FunnelConfig, config).model_dump()
    else:
        missing = [
            n
            for n, v in (
                ("--unit", unit),
                ("--numerator", numerator),
                ("--denominator", denominator),
            )
            if not v
        ]
        if missing:
            raise ConfigError(f"missing {', '.join(missing)} (or give --config)")
        base = dict(
            unit=unit,
            numerator=numerator,
            denominator=denominator,
            by=by or [],
            data_type=data_type,
            sr_method=method,
            adjustment=adjust,
            higher_is_better=better,
            flag_limit=limit,
            fdr=fdr,
            multiplier=multiplier,
        )
    cfg = validate_config(
        FunnelStepConfig if table else FunnelConfig,
        {**base, **({"table": table, "source": table} if table else {})},
        "options",
    )
    if table:
        with workspace(ws_path, engine, must_exist=True) as ws:
            units, summary = funnel_table(ws, cfg)
    else:
        units, summary = funnel_frame(read_csv(file), cfg, file=str(file))
    dest = out or (Path(file).parent if file else Path("."))
    stem = Path(file).stem if file else table
    dest.mkdir(parents=True, exist_ok=True)
    units.to_csv(dest / f"{stem}_funnel_units.csv", index=False)
    summary.to_csv(dest / f"{stem}_funnel_summary.csv", index=False)
    _print_summary(
        summary,
        [
            "funnel",
            "units",
            "target",
            "phi",
            "tau2",
            "adjustment",
            "flagged_high",
            "flagged_low",
        ],
        "Funnels",
    )
    flagged = units[units["flag"]]
    if len(flagged):
        _print_summary(flagged, ["funnel", "unit", "label", "evidence"], "Flagged units")
    html = _write_funnel(units, dest, stem)
    console.print(f"wrote {dest / (stem + '_funnel_units.csv')} and {html}")


@command(
    epilog="Examples:\n\n  caremap performance\n\n"
    "  caremap performance --limit 95 --out charts/ -w region.duckdb\n\n"
    "  caremap performance --config performance.yaml"
)
def performance(
    config: Annotated[
        Path | None, typer.Option(help="YAML/JSON PerformanceConfig (see docs).")
    ] = None,
    limit: Annotated[
        Literal["95", "99.8"] | None, typer.Option(help="Flag beyond 95 or 99.8 limits.")
    ] = None,
    fdr: Annotated[float | None, typer.Option(help="False discovery rate for flags.")] = None,
    adjust: Annotated[Adjustment | None, typer.Option(help="tau2 (additive), phi or none.")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for the funnel chart.")] = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Benchmark every surgical hub and diagnostic centre, ICS and provider.

    Funnels on utilisation, on-the-day cancellations and long waits (from
    hub_performance_month), SPC of each site month by month, and the candidate best
    practice; writes funnel_unit, funnel_summary, spc_point, spc_summary and
    performance_best_practice.
    """
    from caremap.performance import PerformanceConfig, run_performance

    cfg = load_config(PerformanceConfig, config, flag_limit=limit, fdr=fdr, adjustment=adjust)
    with workspace(ws_path, engine, must_exist=True) as ws:
        res = run_performance(ws, cfg).frames
    _print_summary(
        res["funnel_summary"],
        ["source", "funnel", "units", "phi", "tau2", "flagged_high", "flagged_low"],
        "Hub and CDC funnels",
        20,
    )
    _print_summary(
        res["performance_best_practice"],
        ["funnel", "site_code", "evidence"],
        "Candidate best practice",
    )
    _write_funnel(res["funnel_unit"], out or Path("."), "hubs")


def _write_funnel(units: pd.DataFrame, dest: Path, stem: str) -> Path:
    from caremap.performance.charts import funnel_figure, write_html

    figs = [
        funnel_figure(g, f"{src}: {name}")
        for (src, name), g in units.groupby(["source", "funnel"], sort=False)
    ]
    return write_html(figs, dest / f"{stem}_funnel.html", "Funnel plots")


def _shared_ae() -> Path | None:
    here = Path(__file__).resolve().parents[3]
    for base in (os.environ.get("CAREMAP_SHARED_DATA"), here.parent / "shared" / "data"):
        if base and (Path(base) / "nhs-open" / "ae_attendances.csv").is_file():
            return Path(base) / "nhs-open" / "ae_attendances.csv"
    return None


def demo_performance(ctx: DemoContext) -> None:
    """SPC and funnels on the real A&E data (if present), then hub and CDC benchmarking."""
    from caremap.performance import PerformanceConfig, run_performance
    from caremap.performance.evaluation import detection
    from caremap.performance.funnel import FunnelConfig, funnel_frame
    from caremap.performance.spc import POINT_COLUMNS, SpcConfig, spc_frame, write_results

    ae = _shared_ae()
    if ae is not None:
        df = pd.read_csv(ae)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pts, summ, _ = spc_frame(
                df,
                SpcConfig(
                    date="period",
                    value="attendances",
                    group=["org_code", "type"],
                    source="ae_attendances",
                ),
            )
        last = (
            df[df.period >= "2018-04-01"]
            .groupby("org_code", as_index=False)[["attendances", "breaches"]]
            .sum()
        )
        units, fs = funnel_frame(
            last[last.attendances > 0],
            FunnelConfig(
                unit="org_code",
                numerator="breaches",
                denominator="attendances",
                higher_is_better=False,
                multiplier=100,
                source="ae_attendances",
            ),
        )
        write_results(
            ctx.ws,
            {
                "spc_point": pts[POINT_COLUMNS],
                "spc_summary": summ,
                "funnel_unit": units,
                "funnel_summary": fs,
            },
            "ae_attendances",
        )
        _spc_charts(pts, summ, ctx.work_dir / "ae_spc.html", 12, None)
        _write_funnel(units, ctx.work_dir, "ae")
        icons = summ["variation_icon"].value_counts()
        ctx.report(
            "performance",
            f"A&E: {len(summ)} trust-by-type series charted ({icons.get('concern_low', 0)} "
            f"with a latest point of low concern); 4-hour breaches funnel over {len(units)} "
            f"trusts, phi {fs['phi'].iloc[0]:.0f}, {int(units['flag'].sum())} flagged",
        )
    if not ctx.ws.has_table("hub_performance_month"):
        ctx.report("performance", "no hub_performance_month table; hub benchmarking skipped")
        return
    res = run_performance(ctx.ws, PerformanceConfig()).frames
    _write_funnel(res["funnel_unit"], ctx.work_dir, "hubs")
    d = detection(ctx.ws) if ctx.ws.has_table("truth.performance_outlier") else None
    found = (
        f"; planted outliers found {int(d['detected'].sum())}/{int(d['planted'].sum())}, "
        f"false positives {int(d['false_positives'].sum())}"
        if d is not None and len(d)
        else ""
    )
    ctx.report(
        "performance",
        f"hubs and CDCs: {int(res['funnel_summary']['units'].sum())} unit-indicator funnels "
        f"points, {len(res['performance_best_practice'])} candidate best practice{found}",
    )

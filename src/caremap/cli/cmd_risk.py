"""`caremap risk`: train, score, evaluate and export caseload lists; demo step 50."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from caremap.cli.common import DemoContext, EngineOpt, WorkspaceOpt, command, console, workspace

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Risk configuration (YAML or JSON); see docs/risk.md."),
]
ModelOpt = Annotated[
    Literal["auto", "lightgbm", "logistic"] | None,
    typer.Option("--model", help="lightgbm or logistic (default: from the config)."),
]


def _config(path: Path | None, model: str | None = None, **overrides):
    from caremap.core.config import load_config
    from caremap.risk import RiskConfig

    return load_config(RiskConfig, path, model=model, **overrides)


def _metrics_table(result) -> Table:
    t = Table(title="Temporal validation (features year 2, outcomes year 3)")
    for col in (
        "model",
        "AUROC",
        "cal. slope",
        "cal. intercept",
        "Brier",
        "PPV top 1%",
        "sens. top 5%",
    ):
        t.add_column(col, justify="left" if col == "model" else "right")
    for kind in ("lightgbm", "logistic"):
        ev = result.test(kind).flat()
        t.add_row(
            kind + (" *" if kind == result.primary else ""),
            f"{ev['auroc']:.3f}",
            f"{ev['calibration_slope']:.3f}",
            f"{ev['calibration_intercept']:.3f}",
            f"{ev['brier']:.4f}",
            f"{ev['ppv_top_1pct']:.3f}",
            f"{ev['sensitivity_top_5pct']:.3f}",
        )
    return t


def _tiers_table(result) -> Table:
    t = Table(title=f"Risk pyramid at {result.index_date} ({result.people:,} people)")
    for col in ("tier", "people", "share", "mean risk", "expected admitted"):
        t.add_column(col, justify="left" if col == "tier" else "right")
    for r in result.tiers:
        t.add_row(
            r["tier"],
            f"{r['people']:,}",
            f"{r['share']:.1%}",
            f"{r['mean_score']:.3f}",
            f"{r['expected_people_admitted']:,.0f}",
        )
    return t


@command(
    epilog="Examples:\n\n  caremap risk train\n\n  caremap risk train --model logistic "
    "--save model.json\n\n  caremap risk train -c risk.yaml -w region.duckdb"
)
def train(
    config: ConfigOpt = None,
    model: ModelOpt = None,
    save: Annotated[
        Path | None, typer.Option(help="Also write the scoring model to this JSON file.")
    ] = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Fit the logistic (PARR-style) and LightGBM models on year-1 features and year-2
    outcomes, validate on year-2 features and year-3 outcomes, and write the model card
    (risk_model_card) and metrics (risk_evaluation, risk_reliability)."""
    from caremap.risk import registry, run_risk_train

    cfg = _config(config, model)
    with workspace(ws_path, engine) as ws:
        result = run_risk_train(ws, cfg)
        if save:
            registry.export(registry.load(ws, model_id=result.model_ids[result.primary]), save)
    console.print(_metrics_table(result))
    for note in result.notes:
        console.print(f"note: {note}")
    console.print(f"saved models: {', '.join(result.model_ids.values())} (* scores people)")
    if save:
        console.print(f"scoring model written to {save}")


@command(
    epilog="Examples:\n\n  caremap risk score\n\n  caremap risk score --model-file model.json "
    "--index-date 2025-04-01 -w other.duckdb"
)
def score(
    config: ConfigOpt = None,
    model: ModelOpt = None,
    model_file: Annotated[
        Path | None,
        typer.Option(help="Score with a model saved by `caremap risk train --save`."),
    ] = None,
    index_date: Annotated[
        str | None,
        typer.Option(help="Index date (YYYY-MM-DD); default: after the last activity."),
    ] = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Score everyone alive at the index date; write risk_score (score, tier, top factors),
    risk_tier_summary, risk_tier_locality and risk_caseload."""
    from caremap.core.errors import ConfigError
    from caremap.risk import registry, run_risk_score

    try:
        idx = date.fromisoformat(index_date) if index_date else None
    except ValueError:
        raise ConfigError(f"--index-date {index_date!r} is not a date (YYYY-MM-DD)") from None
    cfg = _config(config, model, score_index=idx)
    doc = registry.read_file(model_file) if model_file else None
    with workspace(ws_path, engine) as ws:
        result = run_risk_score(ws, cfg, model=doc)
    console.print(_tiers_table(result))
    console.print(
        f"model {result.model_id}; {result.caseload:,} people on caseload lists "
        "(risk_caseload; export with `caremap risk caseload`)"
    )


@command(
    epilog="Examples:\n\n  caremap risk caseload --locality L001 --out l001.csv\n\n"
    "  caremap risk caseload --practice P00012 --out p12.csv"
)
def caseload(
    out: Annotated[Path, typer.Option(help="CSV file to write.")],
    locality: Annotated[str | None, typer.Option(help="Only this locality.")] = None,
    practice: Annotated[str | None, typer.Option(help="Only this GP practice.")] = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """Write one locality's or practice's caseload list (highest risk first) to CSV.

    The list holds caremap person ids, not names: the clinical team looks them up in
    its own systems (see the person table, for roles allowed to see it)."""
    import pyarrow.csv as pacsv

    from caremap.core.sql import quote_str

    where, order = [], "rank"
    if locality:
        where.append(f"locality_code = {quote_str(locality)}")
        order = "rank_in_locality"
    if practice:
        where.append(f"practice_code = {quote_str(practice)}")
        order = "rank_in_practice"
    cond = ("WHERE " + " AND ".join(where)) if where else ""
    with workspace(ws_path, engine, read_only=engine == "duckdb", must_exist=True) as ws:
        ws.require("risk_caseload")
        t = ws.sql(f"SELECT * FROM risk_caseload {cond} ORDER BY {order}, person_id")
    pacsv.write_csv(t, out)
    console.print(f"{t.num_rows:,} people written to {out}")


@command(
    epilog="Examples:\n\n  caremap risk evaluate\n\n  caremap risk evaluate -w demo-output/caremap.duckdb"
)
def evaluate(
    config: ConfigOpt = None,
    ws_path: WorkspaceOpt = None,
    engine: EngineOpt = "duckdb",
) -> None:
    """On a synthetic economy: our models beside the generator's true probabilities
    (the best any model can do), on the validation year; writes risk_truth_evaluation."""
    from caremap.risk.evaluation import evaluate_against_truth

    cfg = _config(config)
    with workspace(ws_path, engine) as ws:
        cmp = evaluate_against_truth(ws, cfg)
    console.print(_truth_table(cmp))


def _truth_table(cmp) -> Table:
    t = Table(
        title=f"Against the true probabilities ({cmp.people:,} people, outcome year {cmp.year})"
    )
    for col in (
        "model",
        "AUROC",
        "ratio to truth",
        "cal. slope",
        "cal. intercept",
        "Brier",
        "PPV top 1%",
    ):
        t.add_column(col, justify="left" if col == "model" else "right")
    best = cmp.best_auroc()
    rows = [*cmp.ours.items(), ("true probability", cmp.best)]
    for name, ev in rows:
        f = ev.flat()
        t.add_row(
            name,
            f"{f['auroc']:.3f}",
            f"{f['auroc'] / best:.3f}",
            f"{f['calibration_slope']:.3f}",
            f"{f['calibration_intercept']:.3f}",
            f"{f['brier']:.4f}",
            f"{f['ppv_top_1pct']:.3f}",
        )
    return t


def demo_risk(ctx: DemoContext) -> None:
    """Train, validate, score and (on synthetic data) compare with the true probabilities."""
    from caremap.risk import RiskConfig, run_risk_score, run_risk_train
    from caremap.risk.evaluation import TRUTH_TABLES, evaluate_against_truth

    if not (ctx.ws.has_table("person") and ctx.ws.has_table("person_link")):
        ctx.report("risk", "skipped: no linked record (person, person_link); run `caremap link`")
        return
    cfg = RiskConfig()
    result = run_risk_train(ctx.ws, cfg)
    s = run_risk_score(ctx.ws, cfg)
    ev = result.test()
    text = (
        f"{result.primary} AUROC {ev.auroc:.3f}, calibration slope {ev.calibration_slope:.2f} "
        f"(temporal validation); {s.people:,} people scored, {s.caseload:,} on caseload lists"
    )
    if all(ctx.ws.has_table(t) for t in TRUTH_TABLES):
        cmp = evaluate_against_truth(ctx.ws, cfg)
        text += f"; {cmp.auroc_ratio(result.primary):.1%} of the true-probability AUROC"
    ctx.report("risk", text)

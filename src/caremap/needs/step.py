"""`caremap needs`: localities, then every indicator into one long table.

Reads ``small_area``, ``population`` and, where present, ``source_record``, ``activity``,
``condition``, ``trauma_incident``, ``postcode``, ``person_link``/``person``. Writes:

* ``needs_locality_map`` (area_code, locality_code, locality_name, ics_code, method)
* ``needs_locality_summary`` (locality_code, locality_name, ics_code, population, areas,
  compactness, radius_km, method)
* ``needs_indicator`` (indicator, area_type, area_code, period, numerator, denominator,
  value, lower, upper, method, confidence, note) - the table performance and the app reuse
* ``needs_unresolved`` (indicator, period, reason, events): events not placed in an area,
  and GP-registered people left out of prevalence because their residence is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from caremap.core.errors import InputError, WorkspaceError
from caremap.core.result import StepResult
from caremap.core.workspace import Workspace
from caremap.needs import counts as sqlc
from caremap.needs.config import NeedsConfig
from caremap.needs.indicators import (
    COLUMNS,
    event_indicators,
    period_label,
    prevalence_indicators,
    read_reference,
)
from caremap.needs.localities import build_localities, summarise
from caremap.needs.mortality import mortality_tables

WORK_TABLES = (
    "needs_residence",
    "needs_geo",
    "needs_pop",
    "needs_events",
    "needs_counts",
    "needs_deaths",
    "needs_pop_le",
    "needs_events_decile",
    "needs_pop_decile",
)


TABLES = ("needs_locality_map", "needs_locality_summary", "needs_indicator", "needs_unresolved")


@dataclass(frozen=True)
class NeedsResult(StepResult):
    """What a needs run produced, for the CLI and the demo to report."""

    localities: int
    locality_method: str
    indicators: list[str]
    rows: int
    unresolved_events: int
    unplaced_people: int = 0
    skipped: list[str] = field(default_factory=list)
    linked: bool = False


def _area_populations(ws: Workspace) -> pd.DataFrame:
    year = ws.scalar("SELECT max(year) FROM population")
    loc = "sa.locality_code" if "locality_code" in ws.columns("small_area") else "NULL"
    return ws.df(
        f"""SELECT sa.area_code, sa.ics_code, sa.easting, sa.northing,
  coalesce(p.population, 0) AS population, CAST({loc} AS VARCHAR) AS locality_code
FROM small_area sa
LEFT JOIN (SELECT area_code, sum(population) AS population FROM population
           WHERE year = {int(year) if year is not None else 0} GROUP BY area_code) p
  ON p.area_code = sa.area_code"""
    )


def _read_mapping(path, areas: pd.DataFrame) -> pd.DataFrame:
    try:
        m = pd.read_csv(path, dtype=str)
    except FileNotFoundError:
        raise InputError("locality mapping file not found", file=str(path)) from None
    for col in ("area_code", "locality_code"):
        if col not in m.columns:
            raise InputError("missing column", file=str(path), field=col)
    blank = m["locality_code"].isna() | m["area_code"].isna()
    if blank.any():
        raise InputError(
            "empty code", file=str(path), row=int(blank.idxmax()) + 2, field="locality_code"
        )
    unknown = ~m["area_code"].isin(areas["area_code"])
    if unknown.any():
        i = int(unknown.idxmax())
        raise InputError(
            f"area {m.area_code[i]!r} is not a small area in the workspace",
            file=str(path),
            row=i + 2,
            field="area_code",
        )
    if "locality_name" not in m.columns:
        m["locality_name"] = m["locality_code"]
    m = m.merge(areas[["area_code", "ics_code"]], on="area_code")
    return m[["area_code", "locality_code", "locality_name", "ics_code"]]


def localities(ws: Workspace, config: NeedsConfig) -> tuple[pd.DataFrame, str]:
    """Write ``needs_locality_map`` and ``needs_locality_summary``; return the map and method."""
    ws.require("small_area", "population")
    areas = _area_populations(ws)
    if areas.empty:
        raise WorkspaceError("small_area is empty: load the geography before `caremap needs`")
    supplied = areas["locality_code"].notna().all() and not areas.empty
    if config.locality_file is not None and config.localities != "build":
        mapping, method = _read_mapping(config.locality_file, areas), "supplied (file)"
    elif config.localities == "supplied" or (config.localities == "auto" and supplied):
        if not supplied:
            n = int(areas["locality_code"].isna().sum())
            raise InputError(
                f"{n} small areas have no locality_code; give --locality-file or build localities",
                field="locality_code",
            )
        mapping = areas[["area_code", "locality_code", "ics_code"]].copy()
        names = (
            ws.df("SELECT locality_code, locality_name FROM locality")
            if ws.has_table("locality")
            else None
        )
        mapping = (
            mapping.merge(names, on="locality_code", how="left") if names is not None else mapping
        )
        if "locality_name" not in mapping:
            mapping["locality_name"] = mapping["locality_code"]
        mapping["locality_name"] = mapping["locality_name"].fillna(mapping["locality_code"])
        method = "supplied (small_area.locality_code)"
    else:
        mapping = build_localities(areas, config.target_population, config.seed)
        method = (
            f"built: region growing on Delaunay contiguity, target {config.target_population:,}"
        )
    mapping = mapping[["area_code", "locality_code", "locality_name", "ics_code"]].copy()
    mapping["method"] = method
    summary = summarise(mapping, areas, method)
    ws.write_table("needs_locality_map", pa.Table.from_pandas(mapping, preserve_index=False))
    ws.write_table("needs_locality_summary", pa.Table.from_pandas(summary, preserve_index=False))
    return mapping, method


def _prevalence_period(ws: Workspace) -> str:
    """Prevalence is a point in time: the date of the latest GP record update."""
    d = ws.scalar("SELECT max(record_date) FROM source_record WHERE source_system = 'gp'")
    if d is not None:
        return f"at {d}"
    y = ws.scalar("SELECT max(year) FROM population")
    return str(int(y)) if y is not None else "latest"


def _indicators(
    ws: Workspace, config: NeedsConfig, reference=None
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Count in SQL, compute in NumPy, write needs_indicator and needs_unresolved."""
    want = list(config.indicators)
    usable = sqlc.build_counts(ws, want, config.period_type)
    skipped = [i for i in want if i != "prevalence" and i not in usable]
    frames = []
    unresolved = pd.DataFrame(columns=["indicator", "period", "reason", "events"])
    if usable:
        where = ""
        if config.periods:
            where = "WHERE period IN (" + ", ".join(str(int(p)) for p in config.periods) + ")"
        counts = ws.df(f"SELECT * FROM needs_counts {where}")
        pop = ws.df("SELECT * FROM needs_pop")
        cov = ws.df(sqlc.coverage_sql(ws, usable))
        coverage = {r.indicator: (r.first, r.last) for r in cov.itertuples()}
        frames.append(
            event_indicators(
                counts,
                pop,
                config.confidence,
                config.rate_multiplier,
                config.suppress_dsr_below,
                coverage,
                config.period_type,
                reference,
            )
        )
        unresolved = ws.df(sqlc.unresolved_sql() + " ORDER BY indicator, period, reason")
        if config.periods:
            unresolved = unresolved[unresolved["period"].isin(config.periods)]
        unresolved["period"] = [
            period_label(int(p), config.period_type) if pd.notna(p) else None
            for p in unresolved["period"]
        ]
    decile = None
    if sqlc.build_mortality(ws, config.period_type):  # life expectancy and SII, if deaths
        rows, decile = mortality_tables(
            ws, config.confidence, config.rate_multiplier, config.period_type, config.seed
        )
        frames.append(rows)
    if "prevalence" in want:
        if ws.has_table("source_record") and ws.scalar(
            "SELECT count(*) FROM source_record WHERE source_system = 'gp'"
        ):
            prev = ws.df(sqlc.prevalence_sql(ws.has_table("condition")))
            at = _prevalence_period(ws)
            frames.append(
                prevalence_indicators(prev, config.confidence, config.prevalence_multiplier, at)
            )
            lost = ws.df(sqlc.unregistered_sql())
            if len(lost):
                unresolved = pd.concat([unresolved, lost.assign(period=at)], ignore_index=True)
        else:
            skipped.append("prevalence")
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    table = table[COLUMNS].astype(
        {
            "numerator": float,
            "denominator": float,
            "value": float,
            "lower": float,
            "upper": float,
            "confidence": float,
        }
    )
    unresolved = unresolved[["indicator", "period", "reason", "events"]].astype(
        {"indicator": str, "period": "string", "reason": str, "events": "Int64"}
    )
    with ws.transaction():
        ws.write_table("needs_indicator", pa.Table.from_pandas(table, preserve_index=False))
        ws.write_table("needs_unresolved", pa.Table.from_pandas(unresolved, preserve_index=False))
        if decile is not None:
            ws.write_table("needs_decile", pa.Table.from_pandas(decile, preserve_index=False))
    return table, unresolved, skipped


def run_needs(ws: Workspace, config: NeedsConfig | None = None) -> NeedsResult:
    """The needs-assessment step: localities, indicator counts (SQL), statistics (NumPy)."""
    config = config or NeedsConfig()
    reference = read_reference(config.isr_reference) if config.isr_reference else None
    mapping, method = localities(ws, config)
    try:
        table, unresolved, skipped = _indicators(ws, config, reference)
    finally:
        for t in WORK_TABLES:  # person-level working tables never outlive the step
            ws.drop_table(t)
    is_event = (unresolved["indicator"] != "prevalence").to_numpy(bool)
    unresolved_events = int(unresolved.loc[is_event, "events"].sum())
    unplaced_people = int(unresolved.loc[~is_event, "events"].sum())
    warnings = []
    if skipped:
        warnings.append(f"skipped (no source table): {', '.join(skipped)}")
    if unresolved_events:
        warnings.append(
            f"{unresolved_events:,} events could not be placed in a small area; "
            "see needs_unresolved"
        )
    if unplaced_people:
        warnings.append(
            f"{unplaced_people:,} GP-registered people left out of prevalence (residence "
            "unknown); see needs_unresolved"
        )
    return NeedsResult(
        localities=int(mapping["locality_code"].nunique()),
        locality_method=method,
        indicators=sorted(table["indicator"].unique().tolist()),
        rows=len(table),
        unresolved_events=unresolved_events,
        unplaced_people=unplaced_people,
        skipped=skipped,
        linked=sqlc.linked(ws),
        tables=TABLES,
        warnings=tuple(warnings),
    )

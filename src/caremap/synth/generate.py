"""`generate`: the whole synthetic economy, written as Parquet extracts plus ground truth."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from caremap.core.errors import ConfigError
from caremap.synth import tables as T
from caremap.synth.activity import ActivityMaker, Events
from caremap.synth.conditions import make_conditions
from caremap.synth.config import SynthConfig
from caremap.synth.extensions import SynthContext, extensions
from caremap.synth.geography import make_geography
from caremap.synth.noise import IdentityNoise
from caremap.synth.people import EPOCH, make_people
from caremap.synth.postcodes import make_postcodes
from caremap.synth.records import assign, identity_table
from caremap.synth.risk import simulate_years
from caremap.synth.roads import RoadNetwork
from caremap.synth.sites import make_sites
from caremap.synth.writer import write

SYSTEMS = ("gp", "ae", "inpatient", "outpatient", "ambulance", "community", "social_care")


@dataclass
class SynthSummary:
    """What `generate` wrote."""

    population: int
    seed: int
    out_dir: Path
    start_date: date
    end_date: date
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows written
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def _anniversary(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def generate(
    population: int,
    seed: int,
    out_dir: Path,
    *,
    start_date: date = date(2022, 4, 1),
    years: int = 3,
    progress: Callable[[str, float], None] | None = None,
    config: SynthConfig | None = None,
) -> SynthSummary:
    """Generate a synthetic health economy of ``population`` people and write its extracts.

    Deterministic for a seed. Writes ``<table>.parquet`` (or ``<table>__<part>.parquet``)
    per canonical table in ``out_dir`` and the ground truth under ``out_dir/truth/``, then
    runs every registered synth extension. ``progress(step, fraction)`` is called as it goes.
    """
    problems = []
    if not isinstance(population, int) or population < 200:
        problems.append(f"population must be a whole number of at least 200 (got {population})")
    if not isinstance(years, int) or not 1 <= years <= 10:
        problems.append(f"years must be between 1 and 10 (got {years})")
    if problems:
        raise ConfigError("; ".join(problems))
    cfg = config or SynthConfig()
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    end_date = _anniversary(start_date, years) - timedelta(days=1)
    bounds = [(_anniversary(start_date, t) - EPOCH).days for t in range(years + 1)]
    start_d, end_d = bounds[0], bounds[-1] - 1
    summary = SynthSummary(population, seed, out_dir, start_date, end_date)

    def tick(what: str, frac: float) -> None:
        if progress:
            progress(what, frac)

    def put(name: str, table: pa.Table, part: str | None = None) -> None:
        summary.files.append(write(out_dir, name, table, part))
        summary.rows[name] = summary.rows.get(name, 0) + table.num_rows

    tick("geography", 0.0)
    geo = make_geography(population, seed, cfg)
    pcs = make_postcodes(geo, seed)
    roads = RoadNetwork(geo, seed)
    sites = make_sites(population, seed, cfg, geo, pcs, roads)
    area_nodes = roads.attach(geo.easting, geo.northing)
    tick("people", 0.08)
    people = make_people(population, seed, cfg, geo, pcs, sites, start_date, end_date)
    cond = make_conditions(people, seed, start_d, end_d)
    risk = simulate_years(people, cond, seed, bounds[:-1], bounds[1:], cfg.emergency_per_1000)
    maker = ActivityMaker(people, cond, geo, sites, cfg, seed)
    by_year: list[dict[str, Events]] = []
    for t in range(years):
        tick(f"activity year {t + 1}", 0.15 + 0.25 * t / years)
        by_year.append(maker.year(t, bounds[t], bounds[t + 1], risk[t]))

    tick("source records", 0.4)
    noise = IdentityNoise(people, pcs, geo.settlement, cfg.noise, seed)
    record_parts = []
    summaries = []
    gp_records = None
    for i, system in enumerate(SYSTEMS):
        ev = [y[system] for y in by_year]
        allp = np.concatenate([e.person for e in ev])
        alls = np.concatenate([e.start for e in ev])
        allprov = np.concatenate([e.provider for e in ev])
        recs = assign(system, allp, alls, allprov, people, cfg, seed, start_d)
        if system == "gp":
            gp_records = recs
        put(
            "source_record", identity_table(recs, people, noise, sites.practice_code, end_d), system
        )
        record_parts.append(T.record_person(recs))
        offset = 0
        for t, e in enumerate(ev):
            rows = recs.row_record[offset : offset + len(e)]
            table = T.activity(system, t, e, recs.ids.take(pa.array(rows)), maker, cond)
            offset += len(e)
            summaries.append(T.summarise(table))
            put("activity", table, f"{system}_{start_date.year + t}")
        tick(f"activity {system}", 0.45 + 0.4 * (i + 1) / len(SYSTEMS))
        del ev, recs

    tick("truth and geography", 0.88)
    put("condition", T.gp_conditions(cond, gp_records, end_d))
    put("truth.record_person", pa.concat_tables(record_parts))
    truth_person = T.truth_person(people, geo, pcs, sites)
    put("truth.person", truth_person)
    put("truth.condition", T.truth_conditions(cond))
    put("truth.risk", T.truth_risk(risk, bounds, start_date))
    base = {
        **geo.tables(),
        "small_area": T.small_area(geo, area_nodes),
        "population": T.population(people, geo, bounds[:-1], start_date),
        "postcode": T.postcode_table(pcs, geo),
        **roads.tables(),
        "provider": sites.provider,
        "site_capability": sites.capability,
    }
    sites.with_list_sizes(T.list_sizes(people, sites, start_d))
    base["site"] = sites.site
    for name, table in base.items():
        put(name, table)
    activity_summary = T.combine_summaries(summaries)
    del by_year, record_parts

    ctx = SynthContext(
        seed=seed,
        population=population,
        start_date=start_date,
        end_date=end_date,
        tables={**base, "truth.person": truth_person},
        activity_summary=activity_summary,
    )
    exts = extensions()
    for j, ext in enumerate(exts):
        tick(f"extension {ext.name}", 0.92 + 0.08 * j / max(len(exts), 1))
        produced = ext.fn(ctx) or {}
        for name, table in produced.items():
            put(name, table)
            ctx.tables[name] = table
    summary.seconds = time.perf_counter() - t0
    tick("done", 1.0)
    return summary

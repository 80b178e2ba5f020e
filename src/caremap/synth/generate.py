"""`generate`: the whole synthetic economy, written as Parquet extracts plus ground truth."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import pyarrow as pa

from caremap.core import schema
from caremap.core.errors import ConfigError, InputError
from caremap.synth import tables as T
from caremap.synth.activity import ActivityMaker
from caremap.synth.conditions import make_conditions
from caremap.synth.config import SynthConfig
from caremap.synth.extensions import SynthContext, extensions
from caremap.synth.geography import make_geography
from caremap.synth.noise import IdentityNoise
from caremap.synth.people import EPOCH, make_people
from caremap.synth.postcodes import make_postcodes
from caremap.synth.records import RecordBook, identity_table
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
    run_extensions: bool = True,
) -> SynthSummary:
    """Generate a synthetic health economy of ``population`` people and write its extracts.

    Deterministic for a seed. Writes ``<table>.parquet`` (or ``<table>__<part>.parquet``)
    per canonical table in ``out_dir`` (replacing the extracts of an earlier run there) and the ground truth under ``out_dir/truth/``, then
    runs every registered synth extension (unless ``run_extensions`` is false).
    ``progress(step, fraction)`` is called as it goes; ``config`` sets sizes, rates and noise.
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
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the output folder ({exc.strerror or exc})", file=str(out_dir)
        ) from None
    _clear_old_extracts(out_dir)
    end_date = _anniversary(start_date, years) - timedelta(days=1)
    bounds = [(_anniversary(start_date, t) - EPOCH).days for t in range(years + 1)]
    summary = SynthSummary(population, seed, out_dir, start_date, end_date)

    def tick(what: str, frac: float) -> None:
        if progress:
            progress(what, frac)

    # Parquet is written on a background thread (Arrow releases the GIL), overlapping the
    # generation of the next table; one write waits at most, to bound memory.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: list[Future] = []

        def put(name: str, table: pa.Table, part: str | None = None) -> None:
            while pending:
                summary.files.append(pending.pop(0).result())
            pending.append(pool.submit(write, out_dir, name, table, part))
            summary.rows[name] = summary.rows.get(name, 0) + table.num_rows

        _build(population, seed, cfg, start_date, end_date, bounds, put, tick, run_extensions)
        for f in pending:
            summary.files.append(f.result())
    summary.seconds = time.perf_counter() - t0
    tick("done", 1.0)
    return summary


def _in_order(pool: ThreadPoolExecutor, jobs: list, window: int = 2):
    """Results of ``jobs`` in order, keeping at most ``window`` of them running."""
    pending: deque[Future] = deque()
    for job in jobs:
        pending.append(pool.submit(job))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _clear_old_extracts(out_dir: Path) -> None:
    """Remove the extracts of an earlier run (files named after caremap tables only), so a
    folder never mixes two economies; any other file is left alone."""
    known = {spec.qualified for spec in schema.all_tables()}
    for folder, prefix in ((out_dir, ""), (out_dir / "truth", "truth.")):
        for f in folder.glob("*.parquet"):
            if prefix + f.name.split("__")[0].split(".")[0] in known:
                f.unlink()


def _build(population, seed, cfg, start_date, end_date, bounds, put, tick, run_ext) -> None:
    years = len(bounds) - 1
    start_d, end_d = bounds[0], bounds[-1] - 1
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
    books = {s: RecordBook(s, people, cfg, seed, start_d) for s in SYSTEMS}
    summaries = []

    def one_system(t: int, system: str, e) -> tuple[pa.Table, pa.Table]:
        rec = books[system].add_rows(e.person, e.start, e.provider)
        summary_part = T.summarise(system, e, maker)
        return summary_part, T.activity(system, t, e, books[system].row_ids(rec), maker, cond)

    # source systems are independent within a year: two at a time on worker threads (NumPy
    # and Arrow release the GIL), results taken in a fixed order so output is deterministic
    with ThreadPoolExecutor(max_workers=2) as workers:
        for t in range(years):
            tick(f"activity year {t + 1}", 0.1 + 0.7 * t / years)
            events = maker.year(t, bounds[t], bounds[t + 1], risk[t])
            jobs = [partial(one_system, t, s, events.pop(s)) for s in SYSTEMS]
            for system, (summary_part, table) in zip(
                SYSTEMS, _in_order(workers, jobs), strict=True
            ):
                summaries.append(summary_part)
                put("activity", table, f"{system}_{start_date.year + t}")
                del table
            del events, jobs

    tick("source records", 0.8)
    noise = IdentityNoise(people, pcs, geo.settlement, cfg.noise, seed)
    record_parts = []
    gp_records = None

    def identity(system: str):
        recs = books[system].finish()
        table = identity_table(recs, people, noise, sites.practice_code, end_d)
        return recs, table

    with ThreadPoolExecutor(max_workers=2) as workers:
        jobs = [partial(identity, s) for s in SYSTEMS]
        for system, (recs, table) in zip(SYSTEMS, _in_order(workers, jobs), strict=True):
            if system == "gp":
                gp_records = recs
            put("source_record", table, system)
            record_parts.append(T.record_person(recs))
            del table
    books.clear()

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
    del record_parts

    ctx = SynthContext(
        seed=seed,
        population=population,
        start_date=start_date,
        end_date=end_date,
        tables={**base, "truth.person": truth_person},
        activity_summary=activity_summary,
    )
    exts = extensions() if run_ext else []
    written = set(base) | {"activity", "source_record", "condition", "truth.record_person",
                           "truth.person", "truth.condition", "truth.risk"}  # fmt: skip
    for j, ext in enumerate(exts):
        tick(f"extension {ext.name}", 0.92 + 0.08 * j / max(len(exts), 1))
        produced = ext.fn(ctx) or {}
        for name, table in produced.items():
            # a table another step already wrote gets its own part file, never overwrites
            put(name, table, ext.name if name in written else None)
            written.add(name)
            ctx.tables[name] = table

"""Turning the generator's arrays into Arrow tables of the canonical data model."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from caremap.synth.activity import ActivityMaker
from caremap.synth.conditions import CONDITION_NAMES, Conditions
from caremap.synth.events import Events
from caremap.synth.geography import KINDS, Geography
from caremap.synth.names import ALL_SURNAMES
from caremap.synth.people import NO_DATE, People
from caremap.synth.postcodes import Postcodes
from caremap.synth.records import PREFIX, SystemRecords
from caremap.synth.reference import AGE_BANDS, AGE_FROM, CONDITION_CODES, band_of_age
from caremap.synth.risk import RiskYear
from caremap.synth.sites import Sites
from caremap.synth.vocab import DIAGNOSES, METHOD, POD, PROCEDURES, SPECIALTIES

SUMMARY_KEYS = [
    "provider_code",
    "site_code",
    "setting",
    "point_of_delivery",
    "specialty",
    "admission_method",
    "year",
]
_CODE_VOCAB = pa.array(
    [c for name in CONDITION_NAMES for c in CONDITION_CODES[name][0]], pa.string()
)
_CODE_OFFSET = np.cumsum([0] + [len(CONDITION_CODES[n][0]) for n in CONDITION_NAMES])[:-1]


def _date(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    days = np.asarray(days)
    if null is None:
        return pa.array(days.astype(np.int32), pa.date32())
    return pa.array(np.where(null, 0, days).astype(np.int32), pa.date32(), mask=null)


def _repeat(value: str, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)


def record_person(recs: SystemRecords) -> pa.Table:
    return pa.table(
        {
            "source_system": _repeat(recs.system, len(recs.person)),
            "record_id": recs.ids,
            "person_key": pa.array(recs.person + 1, pa.int64()),
        }
    )


def _condition_codes(cond: Conditions, person: np.ndarray, j: int) -> pa.Array:
    return _CODE_VOCAB.take(pa.array(_CODE_OFFSET[j] + cond.code[person, j].astype(np.int64)))


def activity(
    system: str, t: int, e: Events, record_ids: pa.Array, maker: ActivityMaker, cond: Conditions
) -> pa.Table:
    n = len(e)
    seq = pc.cast(pa.array(np.arange(1, n + 1)), pa.string())
    activity_id = pc.binary_join_element_wise(f"{PREFIX[system]}{t + 1}A", seq, "")
    secondary = pa.nulls(n, pa.string())
    if system == "inpatient" and n:
        cols = []
        for j in range(len(CONDITION_NAMES)):
            on = cond.recorded[e.person, j] & (cond.diagnosed[e.person, j] <= e.start)
            codes = _condition_codes(cond, e.person, j)
            cols.append(pc.if_else(pa.array(on), codes, ""))
        # (null_handling="skip" drops all-null rows in pyarrow 2x, so join blanks and tidy)
        joined = pc.binary_join_element_wise(*cols, ";")
        joined = pc.utf8_trim(pc.replace_substring_regex(joined, ";+", ";"), ";")
        secondary = pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)
    return pa.table(
        {
            "activity_id": activity_id,
            "source_system": _repeat(system, n),
            "record_id": record_ids,
            "setting": _repeat(system, n),
            "start_date": _date(e.start),
            "end_date": _date(e.end, e.end < 0),
            "site_code": maker.site_vocab.take(e.site),
            "provider_code": maker.prov_vocab.take(e.provider),
            "admission_method": METHOD.take(e.method),
            "point_of_delivery": POD.take(e.pod),
            "specialty": SPECIALTIES.take(e.specialty),
            "primary_diagnosis": DIAGNOSES.take(e.diagnosis),
            "secondary_diagnoses": secondary,
            "procedure_code": PROCEDURES.take(e.procedure),
            "cost": pa.array(e.cost.round(2), pa.float64()),
        }
    )


def summarise(system: str, e: Events, maker: ActivityMaker) -> pa.Table:
    """Activity counts and costs of one chunk by provider, site, setting, point of delivery,
    specialty, admission method and calendar year (grouped on integer codes, then named)."""
    year = e.start.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int32) + 1970
    ints = pa.table(
        {
            "provider_code": e.provider, "site_code": e.site, "point_of_delivery": e.pod,
            "specialty": e.specialty, "admission_method": e.method, "year": year, "cost": e.cost,
        }
    )  # fmt: skip
    keys = [k for k in SUMMARY_KEYS if k != "setting"]
    g = ints.group_by(keys, use_threads=False).aggregate([("cost", "sum"), ("cost", "count")])
    return pa.table(
        {
            "provider_code": maker.prov_vocab.strings(g["provider_code"].to_numpy()),
            "site_code": maker.site_vocab.strings(g["site_code"].to_numpy()),
            "setting": _repeat(system, g.num_rows),
            "point_of_delivery": POD.strings(g["point_of_delivery"].to_numpy()),
            "specialty": SPECIALTIES.strings(g["specialty"].to_numpy()),
            "admission_method": METHOD.strings(g["admission_method"].to_numpy()),
            "year": g["year"],
            "cost": g["cost_sum"],
            "count": g["cost_count"],
        }
    )


def combine_summaries(parts: list[pa.Table]) -> pa.Table:
    """Activity by provider, site, setting, point of delivery, specialty, admission method
    and calendar year of the start date: ``count`` (int64) and ``cost`` (pounds)."""
    t = pa.concat_tables(parts).select([*SUMMARY_KEYS, "cost", "count"])
    g = t.group_by(SUMMARY_KEYS, use_threads=False).aggregate([("cost", "sum"), ("count", "sum")])
    g = g.rename_columns(
        [{"cost_sum": "cost", "count_sum": "count"}.get(c, c) for c in g.column_names]
    )
    g = g.select([*SUMMARY_KEYS, "count", "cost"])
    return g.sort_by([(k, "ascending") for k in SUMMARY_KEYS])


def gp_conditions(cond: Conditions, gp: SystemRecords, end_day: int) -> pa.Table:
    """The GP problem list: recorded conditions on each person's current GP record."""
    # a person's current GP record is the one with the latest record date
    order = np.lexsort((gp.record_date, gp.person))
    last = np.r_[gp.person[order][1:] != gp.person[order][:-1], True]
    rec_of = np.full(cond.has.shape[0], -1, dtype=np.int64)
    rec_of[gp.person[order][last]] = order[last]
    persons, js = np.nonzero(cond.recorded & (cond.diagnosed <= end_day))
    ok = rec_of[persons] >= 0
    persons, js = persons[ok], js[ok]
    codes = _CODE_VOCAB.take(pa.array(_CODE_OFFSET[js] + cond.code[persons, js].astype(np.int64)))
    return pa.table(
        {
            "source_system": _repeat("gp", len(persons)),
            "record_id": gp.ids.take(pa.array(rec_of[persons])),
            "condition": pa.array(np.array(CONDITION_NAMES, object)[js], pa.string()),
            "code": codes,
            "diagnosed_date": _date(cond.diagnosed[persons, js]),
        }
    )


def truth_person(people: People, geo: Geography, pcs: Postcodes, sites: Sites) -> pa.Table:
    n = people.n
    dead = people.death == NO_DATE
    return pa.table(
        {
            "person_key": pa.array(np.arange(1, n + 1), pa.int64()),
            "nhs_number": pc.utf8_lpad(pc.cast(pa.array(people.nhs), pa.string()), 10, "0"),
            "given_name": pa.array(people.given_name(), pa.string()),
            "family_name": pa.array(np.array(ALL_SURNAMES, object)[people.family], pa.string()),
            "date_of_birth": _date(people.dob),
            "sex": pa.array(np.where(people.sex == 0, "M", "F").astype(object), pa.string()),
            "area_code": pa.array(geo.area_code[people.area], pa.string()),
            "postcode": pa.array(pcs.code[people.postcode], pa.string()),
            "practice_code": pa.array(sites.practice_code[people.practice], pa.string()),
            "household_id": pa.array(people.household + 1, pa.int64()),
            "twin_of": pa.array(people.twin_of + 1, pa.int64(), mask=people.twin_of < 0),
            "date_of_death": _date(np.minimum(people.death, 0x7FFFFFF), dead),
            "imd_score": geo.imd_score[people.area],
        }
    )


def truth_conditions(cond: Conditions) -> pa.Table:
    persons, js = np.nonzero(cond.has)
    return pa.table(
        {
            "person_key": pa.array(persons + 1, pa.int64()),
            "condition": pa.array(np.array(CONDITION_NAMES, object)[js], pa.string()),
            "onset_date": _date(cond.onset[persons, js]),
        }
    )


def truth_risk(risk: list[RiskYear], bounds: list[int], start: date) -> pa.Table:
    """One row per person alive at the start of each year (year = the year it starts in)."""
    parts = []
    for t, r in enumerate(risk):
        who = np.flatnonzero(r.alive_from)
        parts.append(
            pa.table(
                {
                    "person_key": pa.array(who + 1, pa.int64()),
                    "year": pa.array(np.full(len(who), start.year + t), pa.int32()),
                    "p_emergency": r.p[who],
                    "emergency_admissions": pa.array(r.admissions[who], pa.int32()),
                }
            )
        )
    return pa.concat_tables(parts)


def small_area(geo: Geography, nodes: np.ndarray) -> pa.Table:
    return pa.table(
        {
            "area_code": pa.array(geo.area_code, pa.string()),
            "area_name": pa.array([f"{s} {i + 1:03d}" for i, s in enumerate(geo.settlement)]),
            "locality_code": pa.array(np.array(geo.locality_code, object)[geo.locality]),
            "ics_code": pa.array(np.array(geo.ics_code, object)[geo.ics]),
            "region_code": pa.array([geo.region_code] * geo.n_areas),
            "easting": geo.easting,
            "northing": geo.northing,
            "imd_score": geo.imd_score,
            "imd_decile": pa.array(geo.imd_decile, pa.int32()),
            "rural_urban": pa.array(np.array(KINDS, object)[geo.kind]),
            "settlement": pa.array(geo.settlement, pa.string()),
            "road_node": pa.array(nodes, pa.int64()),
        }
    )


def population(people: People, geo: Geography, year_starts: list[int], start: date) -> pa.Table:
    """Residents alive on the first day of each year, by area, sex and ESP 2013 age band."""
    parts = []
    nb = len(AGE_BANDS)
    for t, ys in enumerate(year_starts):
        alive = people.death > ys
        area = np.where(ys < people.prev_until, people.prev_area, people.area)[alive]
        age = ((ys - people.dob[alive]) / 365.25).astype(np.int64)
        band = band_of_age(np.clip(age, 0, 120))
        sex = people.sex[alive].astype(np.int64)
        counts = np.bincount((area * 2 + sex) * nb + band, minlength=geo.n_areas * 2 * nb)
        a, s, b = np.unravel_index(np.arange(len(counts)), (geo.n_areas, 2, nb))
        parts.append(
            pa.table(
                {
                    "area_code": pa.array(geo.area_code[a], pa.string()),
                    "year": pa.array(np.full(len(a), start.year + t), pa.int32()),
                    "sex": pa.array(np.where(s == 0, "M", "F").astype(object), pa.string()),
                    "age_band": pa.array(np.array(AGE_BANDS, object)[b], pa.string()),
                    "age_from": pa.array(AGE_FROM[b], pa.int32()),
                    "population": pa.array(counts, pa.int32()),
                }
            )
        )
    return pa.concat_tables(parts)


def postcode_table(pcs: Postcodes, geo: Geography) -> pa.Table:
    return pa.table(
        {
            "postcode": pa.array(pcs.code, pa.string()),
            "area_code": pa.array(geo.area_code[pcs.area], pa.string()),
            "easting": pcs.easting,
            "northing": pcs.northing,
            "live": pcs.live,
        }
    )


def list_sizes(people: People, sites: Sites, day: int) -> dict[str, int]:
    """Registered patients per practice at ``day`` (alive, counting re-registrations)."""
    alive = people.death > day
    prac = np.where(
        (people.prev_practice >= 0) & (day < people.prev_until),
        people.prev_practice,
        people.practice,
    )[alive]
    counts = np.bincount(prac, minlength=len(sites.practice_code))
    return {str(c): int(k) for c, k in zip(sites.practice_code, counts, strict=True)}

"""Source records: which record each activity row belongs to, and each record's identity.

Record keys by source system: GP, one per practice registration (people who changed
practice have two); inpatient and outpatient, one per person and trust (each trust has its
own patient administration system); A&E and ambulance, one per person plus a new record
for a share of later contacts (``new_record_per_contact``); community and social care, one
per person. Record ids are shuffled so they say nothing about the person.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from caremap.synth.config import SynthConfig, rng_for
from caremap.synth.noise import IdentityNoise
from caremap.synth.people import People

PREFIX = {
    "gp": "GP",
    "ae": "AE",
    "inpatient": "IP",
    "outpatient": "OP",
    "ambulance": "AM",
    "community": "CM",
    "social_care": "SC",
}


@dataclass
class SystemRecords:
    system: str
    person: np.ndarray  # per record
    record_date: np.ndarray  # per record (days)
    practice: np.ndarray  # practice index per record
    ids: pa.Array  # record_id strings per record
    row_record: np.ndarray  # per activity row: record index


def record_ids(system: str, n: int, seed: int) -> pa.Array:
    perm = rng_for(seed, f"record_ids:{system}").permutation(n) + 1 + n
    text = pc.utf8_lpad(pc.cast(pa.array(perm), pa.string()), 9, "0")
    return pc.binary_join_element_wise(PREFIX[system], text, "")


def assign(
    system: str,
    person: np.ndarray,
    start: np.ndarray,
    provider: np.ndarray,
    people: People,
    cfg: SynthConfig,
    seed: int,
    start_day: int,
) -> SystemRecords:
    """Records of one source system given all its activity rows (any order)."""
    rng = rng_for(seed, f"records:{system}")
    person = person.astype(np.int64)
    if system == "gp":
        before = (people.prev_practice[person] >= 0) & (start < people.prev_until[person])
        keys = np.concatenate(
            [np.arange(people.n) * 2, np.flatnonzero(people.prev_practice >= 0) * 2 + 1]
        )
        keys.sort()
        row_key = person * 2 + before
        row_record = np.searchsorted(keys, row_key)
        rec_person = keys // 2
        prev = (keys % 2) == 1
        practice = np.where(prev, people.prev_practice[rec_person], people.practice[rec_person])
        date0 = np.where(
            prev,
            people.prev_until[rec_person] - 1,
            np.where(
                people.prev_practice[rec_person] >= 0, people.prev_until[rec_person], start_day
            ),
        )
    elif system in ("inpatient", "outpatient"):
        keys, row_record = np.unique(person * 10_000 + provider, return_inverse=True)
        rec_person = keys // 10_000
        date0 = np.full(len(keys), start_day, dtype=np.int64)
        practice = None
    elif system in ("ae", "ambulance"):
        order = np.lexsort((start, person))
        ps = person[order]
        first = np.r_[True, ps[1:] != ps[:-1]]
        uniq = ps[first]
        base_of = np.searchsorted(uniq, ps)
        fresh = ~first & (rng.random(len(ps)) < cfg.noise.new_record_per_contact[system])
        extra = np.cumsum(fresh) - 1 + len(uniq)
        rec_sorted = np.where(fresh, extra, base_of)
        row_record = np.empty(len(ps), dtype=np.int64)
        row_record[order] = rec_sorted
        rec_person = np.concatenate([uniq, ps[fresh]])
        date0 = np.full(len(rec_person), start_day, dtype=np.int64)
        practice = None
    else:
        rec_person, row_record = np.unique(person, return_inverse=True)
        date0 = np.full(len(rec_person), start_day, dtype=np.int64)
        practice = None
    record_date = date0.astype(np.int64).copy()
    if len(row_record):
        np.maximum.at(record_date, row_record, start.astype(np.int64))
    if practice is None:
        before = (people.prev_practice[rec_person] >= 0) & (
            record_date < people.prev_until[rec_person]
        )
        practice = np.where(before, people.prev_practice[rec_person], people.practice[rec_person])
    return SystemRecords(
        system=system,
        person=rec_person.astype(np.int64),
        record_date=record_date,
        practice=practice.astype(np.int64),
        ids=record_ids(system, len(rec_person), seed),
        row_record=row_record.astype(np.int64),
    )


def identity_table(
    recs: SystemRecords,
    people: People,
    noise: IdentityNoise,
    practice_codes: np.ndarray,
    end_day: int,
) -> pa.Table:
    """The ``source_record`` rows of one system, with identity noise applied."""
    ident = noise.apply(recs.system, recs.person, recs.record_date)
    practice = practice_codes[recs.practice].astype(object)
    if recs.system == "ambulance":
        practice[noise.rng(recs.system, "practice").random(len(practice)) < 0.5] = None
    death = people.death[recs.person].astype(np.int64)
    show_death = (death <= end_day) & np.isin(recs.system, ["gp", "social_care"])
    return pa.table(
        {
            "source_system": pa.array(np.full(len(recs.person), recs.system, object), pa.string()),
            "record_id": recs.ids,
            "nhs_number": ident["nhs_number"],
            "given_name": ident["given_name"],
            "family_name": ident["family_name"],
            "date_of_birth": ident["date_of_birth"],
            "sex": ident["sex"],
            "postcode": ident["postcode"],
            "address": ident["address"],
            "practice_code": pa.array(practice, pa.string()),
            "date_of_death": pa.array(
                np.where(show_death, death, 0).astype(np.int32), pa.date32(), mask=~show_death
            ),
            "record_date": pa.array(recs.record_date.astype(np.int32), pa.date32()),
        }
    )

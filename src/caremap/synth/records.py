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


ID_SPACE = 10**9


def record_ids(system: str, index: np.ndarray, seed: int) -> pa.Array:
    """Record ids from record indices by an affine scramble modulo 10^9 (a bijection, so ids
    are unique, yet they say nothing about the person or the order records were made)."""
    rng = rng_for(seed, f"record_ids:{system}")
    a = int(rng.integers(10**8, 10**9)) * 10 + 3  # odd and not a multiple of 5
    b = int(rng.integers(0, ID_SPACE))
    num = (a % ID_SPACE * (index.astype(np.int64) + 1) + b) % ID_SPACE
    text = pc.utf8_lpad(pc.cast(pa.array(num), pa.string()), 9, "0")
    return pc.binary_join_element_wise(PREFIX[system], text, "")


class RecordBook:
    """The records of one source system, built up year by year as activity arrives.

    GP: one record per registration (people who changed practice have two); inpatient and
    outpatient: one per person and trust; A&E and ambulance: one per person plus a new one
    for a share of later contacts; community and social care: one per person.
    """

    def __init__(self, system: str, people: People, cfg: SynthConfig, seed: int,
                 start_day: int) -> None:  # fmt: skip
        self.system, self.people, self.seed = system, people, seed
        self.rng = rng_for(seed, f"records:{system}")
        self.fresh_rate = cfg.noise.new_record_per_contact[system]
        self.start_day = start_day
        self.keys = np.empty(0, dtype=np.int64)  # record index -> key
        self.sorted_keys = np.empty(0, dtype=np.int64)
        self.sorted_index = np.empty(0, dtype=np.int64)
        self.record_date = np.empty(0, dtype=np.int64)
        self.n_fresh = 0
        self.fresh_person = np.empty(0, dtype=np.int64)  # person of each extra record
        if system == "gp":  # everyone is registered; movers who re-registered twice
            moved = np.flatnonzero(people.prev_practice >= 0)
            self._add(np.sort(np.r_[np.arange(people.n) * 2, moved * 2 + 1]))
            rec_person, prev = self.keys // 2, self.keys % 2 == 1
            until = people.prev_until[rec_person].astype(np.int64)
            self.record_date = np.where(prev, until - 1,
                                        np.where(people.prev_practice[rec_person] >= 0, until,
                                                 start_day))  # fmt: skip

    def _add(self, new_keys: np.ndarray) -> None:
        first = len(self.keys)
        self.keys = np.r_[self.keys, new_keys]
        self.record_date = np.r_[self.record_date, np.full(len(new_keys), self.start_day)]
        idx = np.r_[self.sorted_index, np.arange(first, first + len(new_keys))]
        allk = np.r_[self.sorted_keys, new_keys]
        order = np.argsort(allk, kind="stable")
        self.sorted_keys, self.sorted_index = allk[order], idx[order]

    def _lookup(self, keys: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.sorted_keys, keys)
        pos = np.minimum(pos, max(len(self.sorted_keys) - 1, 0))
        found = len(self.sorted_keys) > 0
        hit = (self.sorted_keys[pos] == keys) if found else np.zeros(len(keys), bool)
        if not hit.all():
            self._add(np.unique(keys[~hit]))
            return self._lookup(keys)
        return self.sorted_index[pos]

    def add_rows(self, person: np.ndarray, start: np.ndarray, provider: np.ndarray) -> np.ndarray:
        """Record index of each activity row of one year (creating records as needed)."""
        person = person.astype(np.int64)
        p = self.people
        if self.system == "gp":
            before = (p.prev_practice[person] >= 0) & (start < p.prev_until[person])
            rec = self._lookup(person * 2 + before)
        elif self.system in ("inpatient", "outpatient"):
            rec = self._lookup(person * 10_000 + provider)
        elif self.system in ("ae", "ambulance"):
            known_before = np.isin(person, self.keys[self.keys < PERSON_KEY_LIMIT])
            order = np.lexsort((start, person))
            ps = person[order]
            first = np.r_[True, ps[1:] != ps[:-1]] & ~known_before[order]
            fresh = ~first & (self.rng.random(len(ps)) < self.fresh_rate)
            keys = ps.copy()
            keys[fresh] = PERSON_KEY_LIMIT + self.n_fresh + np.arange(fresh.sum())
            self.n_fresh += int(fresh.sum())
            rec = np.empty(len(ps), dtype=np.int64)
            rec[order] = self._lookup(keys)
            self.fresh_person = np.r_[self.fresh_person, ps[fresh]]
        else:
            rec = self._lookup(person)
        if len(rec):
            np.maximum.at(self.record_date, rec, start.astype(np.int64))
        return rec

    def finish(self) -> SystemRecords:
        p = self.people
        if self.system == "gp":
            person = self.keys // 2
        elif self.system in ("inpatient", "outpatient"):
            person = self.keys // 10_000
        elif self.system in ("ae", "ambulance"):
            is_fresh = self.keys >= PERSON_KEY_LIMIT
            person = self.keys.copy()
            person[is_fresh] = self.fresh_person[self.keys[is_fresh] - PERSON_KEY_LIMIT]
        else:
            person = self.keys
        if self.system == "gp":
            prev = self.keys % 2 == 1
            practice = np.where(prev, p.prev_practice[person], p.practice[person])
        else:
            before = (p.prev_practice[person] >= 0) & (self.record_date < p.prev_until[person])
            practice = np.where(before, p.prev_practice[person], p.practice[person])
        return SystemRecords(
            system=self.system,
            person=person.astype(np.int64),
            record_date=self.record_date,
            practice=practice.astype(np.int64),
            ids=self.ids(np.arange(len(self.keys))),
        )

    def ids(self, rec: np.ndarray) -> pa.Array:
        return record_ids(self.system, rec, self.seed)

    def row_ids(self, rec: np.ndarray) -> pa.Array:
        """Record ids of activity rows: every record's id made once, then taken per row."""
        if getattr(self, "_ids_for", -1) != len(self.keys):
            self._all_ids = self.ids(np.arange(len(self.keys)))
            self._ids_for = len(self.keys)
        return self._all_ids.take(pa.array(rec))


PERSON_KEY_LIMIT = 1 << 40


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
            "source_system": pa.repeat(pa.scalar(recs.system, pa.string()), len(recs.person)),
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

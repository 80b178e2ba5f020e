"""Postcodes: about one per 30 residents (England averages ~15 addresses per postcode), each
inside one small area, in the UK format (outward code, space, digit and two letters).

Synthetic postcodes use the unissued area letter ``Q`` (``QA1 2BD``) so they can never be
mistaken for real addresses. About 4% of each area's postcodes are terminated (``live`` is
false): people who lived at one now have a new postcode, and old records still hold it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from caremap.synth.config import rng_for
from caremap.synth.geography import Geography

INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
PER_DISTRICT = 10 * len(INWARD_LETTERS) ** 2
PEOPLE_PER_POSTCODE = 30
TERMINATED_SHARE = 0.04


@dataclass
class Postcodes:
    code: np.ndarray  # str
    area: np.ndarray  # area index
    easting: np.ndarray
    northing: np.ndarray
    live: np.ndarray  # bool
    live_start: np.ndarray  # per area: first index of its live postcodes in `code`
    live_count: np.ndarray  # per area
    term_start: np.ndarray
    term_count: np.ndarray
    street: np.ndarray  # street index per postcode


def _format(serial: np.ndarray, ics: np.ndarray) -> np.ndarray:
    """Postcode text for a serial number within an ICS."""
    district = serial // PER_DISTRICT + 1
    rest = serial % PER_DISTRICT
    sector = rest // len(INWARD_LETTERS) ** 2
    pair = rest % len(INWARD_LETTERS) ** 2
    l1 = INWARD_LETTERS[pair // len(INWARD_LETTERS)]
    l2 = INWARD_LETTERS[pair % len(INWARD_LETTERS)]
    second = np.array(list("ABCDEFGHJKLMNOPRSTUWXYZ"))[ics % 23]
    # districts above 99 move to the next second letter
    second = np.where(
        district > 99, np.array(list("ABCDEFGHJKLMNOPRSTUWXYZ"))[(ics + 11) % 23], second
    )
    district = np.where(district > 99, district - 99, district)
    out = np.char.add(np.char.add("Q", second.astype(str)), district.astype(str))
    out = np.char.add(np.char.add(out, " "), sector.astype(str))
    return np.char.add(np.char.add(out, l1.astype(str)), l2.astype(str))


def make_postcodes(geo: Geography, seed: int) -> Postcodes:
    rng = rng_for(seed, "postcodes")
    n_live = np.ceil(geo.target_pop / PEOPLE_PER_POSTCODE).astype(np.int64) + 1
    n_term = np.maximum(1, np.round(n_live * TERMINATED_SHARE)).astype(np.int64)
    per_area = n_live + n_term
    area = np.repeat(np.arange(geo.n_areas), per_area)
    start = np.concatenate([[0], np.cumsum(per_area)[:-1]])
    pos = np.arange(len(area)) - start[area]
    live = pos < n_live[area]
    ics = geo.ics[area]
    serial = np.zeros(len(area), dtype=np.int64)
    for i in np.unique(ics):  # serial numbers run within each ICS
        m = ics == i
        serial[m] = np.arange(m.sum())
    code = _format(serial, ics).astype(object)
    spread = np.where(geo.kind[area] >= 2, 1500.0, 350.0)
    e = geo.easting[area] + rng.normal(0, 1, len(area)) * spread
    n = geo.northing[area] + rng.normal(0, 1, len(area)) * spread
    return Postcodes(
        code=code,
        area=area,
        easting=e.round(0),
        northing=n.round(0),
        live=live,
        live_start=start,
        live_count=n_live,
        term_start=start + n_live,
        term_count=n_term,
        street=rng.integers(0, 1 << 30, len(area)),
    )

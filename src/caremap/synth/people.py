"""People: age, sex, households, twins, names, NHS numbers, addresses, practices and moves.

Ages follow the ONS mid-2023 England structure, tilted by place (cities younger, rural and
coastal areas older) and re-balanced by iterative proportional fitting so the region as a
whole keeps the England shape. Households: about half of adults live as couples (the woman
takes her partner's surname in 75% of couples, keeping the birth surname as a previous
name); children (and half of single people aged 18-24) live with adults aged 26-55 of their area. NHS numbers are unique, pass
Modulus 11 and start with 9 (outside the ranges issued in the UK, so they can never be a
real person's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from caremap.synth.config import SynthConfig, rng_for
from caremap.synth.geography import Geography
from caremap.synth.names import ALL_SURNAMES, FEMALE, MALE, surname_weights, zipf_weights
from caremap.synth.postcodes import Postcodes
from caremap.synth.reference import MAX_AGE, england_single_year
from caremap.synth.sites import Sites

EPOCH = date(1970, 1, 1)
NO_DATE = np.iinfo(np.int32).max
PLACEHOLDER_NHS = (0, 9999999999, 1234567890)

# age tilt by place kind (city, town, rural, coastal): multiplier at ages 0..99
_AGES = np.arange(MAX_AGE + 1)


def _tilt(kind: int) -> np.ndarray:
    young = np.exp(-(((_AGES - 27) / 9.0) ** 2))
    old = 1 / (1 + np.exp(-(_AGES - 58) / 6.0))
    if kind == 0:  # city: students and young workers
        return 1 + 0.55 * young - 0.3 * old
    if kind == 1:
        return np.ones_like(_AGES, dtype=float)
    if kind == 2:  # rural
        return 1 - 0.3 * young + 0.3 * old
    return 1 - 0.35 * young + 0.55 * old  # coastal


def age_sex_matrix(geo: Geography) -> np.ndarray:
    """(n_areas, 2 * (MAX_AGE+1)) probabilities: the England shape tilted by place, fitted
    (iterative proportional fitting) so the region's overall shape is England's."""
    eng = england_single_year().ravel()  # male ages then female ages
    tilt = np.stack([np.tile(_tilt(k), 2) for k in range(4)])[geo.kind]
    m = tilt * eng
    pop = geo.target_pop.astype(float)
    for _ in range(20):
        m /= m.sum(axis=1, keepdims=True)
        overall = (m * pop[:, None]).sum(axis=0) / pop.sum()
        m *= eng / np.maximum(overall, 1e-12)
    return m / m.sum(axis=1, keepdims=True)


def nhs_numbers(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` unique valid NHS numbers (int64) in the unissued 9xx range."""
    out = np.empty(0, dtype=np.int64)
    while len(out) < n:
        prefix = rng.integers(900_000_000, 1_000_000_000, size=int((n - len(out)) * 1.2) + 16)
        check = _check_digits(prefix)
        num = prefix * 10 + check
        ok = (check != 10) & ~np.isin(num, PLACEHOLDER_NHS)
        cand = np.concatenate([out, num[ok]])
        _, first = np.unique(cand, return_index=True)
        out = cand[np.sort(first)]
    return out[:n]


def _check_digits(prefix: np.ndarray) -> np.ndarray:
    total = np.zeros(len(prefix), dtype=np.int64)
    p = prefix.copy()
    for w in range(2, 11):  # last digit has weight 2, first weight 10
        total += (p % 10) * w
        p //= 10
    return (11 - total % 11) % 11


@dataclass
class People:
    n: int
    area: np.ndarray  # current (end) area index
    sex: np.ndarray  # 0 male, 1 female
    dob: np.ndarray  # int32 days since 1970-01-01
    age0: np.ndarray  # age at start date
    household: np.ndarray
    twin_of: np.ndarray  # person index or -1
    given: np.ndarray  # index into MALE or FEMALE by sex
    family: np.ndarray  # index into ALL_SURNAMES
    previous_family: np.ndarray  # birth surname index or -1
    nhs: np.ndarray  # int64
    postcode: np.ndarray  # index into Postcodes (current)
    house_no: np.ndarray
    prev_postcode: np.ndarray  # -1 or index of the earlier postcode
    prev_until: np.ndarray  # days: date the earlier postcode stopped being right
    prev_area: np.ndarray  # area index before a move (== area when none)
    practice: np.ndarray  # index into Sites.practice_code (current)
    prev_practice: np.ndarray  # -1 or index (registered there until prev_until)
    imd_z: np.ndarray  # standardised deprivation of the area
    latent: np.ndarray  # unobserved health, N(0, 1)
    death: np.ndarray  # days or NO_DATE

    def given_name(self) -> np.ndarray:
        names = np.where(
            self.sex == 0,
            np.array(MALE, object)[np.minimum(self.given, len(MALE) - 1)],
            np.array(FEMALE, object)[np.minimum(self.given, len(FEMALE) - 1)],
        )
        return names


def _rank_within(groups: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order by (group, key) and each element's rank inside its group."""
    order = np.lexsort((keys, groups))
    g = groups[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    rank = np.arange(len(g)) - np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    return order, rank


def make_people(
    population: int,
    seed: int,
    cfg: SynthConfig,
    geo: Geography,
    pcs: Postcodes,
    sites: Sites,
    start: date,
    end: date,
) -> People:
    rng = rng_for(seed, "people")
    start_d, end_d = (start - EPOCH).days, (end - EPOCH).days
    n_twins = round(population * cfg.twin_share / 2)
    n_base = population - n_twins
    target = geo.target_pop.astype(float)
    counts = np.floor(target / target.sum() * n_base).astype(np.int64)
    counts[np.argsort(-target)[: n_base - counts.sum()]] += 1
    area = np.repeat(np.arange(geo.n_areas), counts)
    mat = age_sex_matrix(geo)
    cell = np.empty(n_base, dtype=np.int64)
    pos = 0
    for a, c in enumerate(counts):
        cell[pos : pos + c] = rng.choice(mat.shape[1], size=c, p=mat[a])
        pos += c
    sex = (cell > MAX_AGE).astype(np.int8)
    age = (cell % (MAX_AGE + 1)).astype(np.int32)

    # couples: men and women 20-85 of the same area paired by age rank
    adult = (age >= 20) & (age <= 85) & (rng.random(n_base) < 0.58)
    men = np.flatnonzero(adult & (sex == 0))
    women = np.flatnonzero(adult & (sex == 1))
    om, rm = _rank_within(area[men], age[men])
    ow, rw = _rank_within(area[women], age[women])
    mkey = area[men][om] * 1_000_000 + rm
    wkey = area[women][ow] * 1_000_000 + rw
    _common, im, iw = np.intersect1d(mkey, wkey, return_indices=True)
    husband, wife = men[om][im], women[ow][iw]
    household = np.arange(n_base, dtype=np.int64)  # everyone alone to start with
    household[wife] = husband
    # children join a household headed by an adult aged 20-55 in their area (not themselves)
    heads = np.flatnonzero((age >= 26) & (age <= 55) & (household == np.arange(n_base)))
    hs = heads[np.argsort(area[heads], kind="stable")]
    first = np.searchsorted(area[hs], np.arange(geo.n_areas))
    n_heads = np.searchsorted(area[hs], np.arange(geo.n_areas), side="right") - first
    # children, and half of single people aged 18-24 (who still live with their parents)
    single = household == np.arange(n_base)
    single[husband] = False
    young = (age >= 18) & (age < 25) & single & (rng.random(n_base) < 0.5)
    kids = np.flatnonzero((age < 18) | young)
    has = n_heads[area[kids]] > 0
    kids = kids[has]
    pick = first[area[kids]] + (rng.random(len(kids)) * n_heads[area[kids]]).astype(np.int64)
    household[kids] = hs[pick]
    # surnames: households share the head's surname
    own = rng.choice(len(ALL_SURNAMES), size=n_base, p=surname_weights())
    family = own[household]
    previous = np.full(n_base, -1, dtype=np.int64)
    keep_own = rng.random(len(wife)) < 0.25
    family[wife[keep_own]] = own[wife[keep_own]]
    takes = wife[~keep_own]
    changed = own[takes] != family[takes]
    previous[takes[changed]] = own[takes[changed]]
    # a third of people aged 18-64 who would live alone share a home instead (own surnames)
    size = np.bincount(household, minlength=n_base)
    alone = (household == np.arange(n_base)) & (size[np.arange(n_base)] == 1)
    sharers = np.flatnonzero(alone & (age >= 18) & (age < 65) & (rng.random(n_base) < 0.33))
    sharers = sharers[np.argsort(area[sharers], kind="stable")]
    first, second = sharers[0:-1:2], sharers[1::2]
    same_area = area[first] == area[second]
    household[second[same_area]] = first[same_area]

    # twins: copies of young people with the same household, surname and birth date
    seeds = rng.choice(np.flatnonzero(age < 25), size=n_twins, replace=False)
    twin_of = np.full(population, -1, dtype=np.int64)
    twin_of[n_base:] = seeds
    twin_of[seeds] = np.arange(n_base, population)
    area = np.concatenate([area, area[seeds]])
    age = np.concatenate([age, age[seeds]])
    same_sex = rng.random(n_twins) < 0.65
    sex = np.concatenate([sex, np.where(same_sex, sex[seeds], 1 - sex[seeds])]).astype(np.int8)
    household = np.concatenate([household, household[seeds]])
    family = np.concatenate([family, family[seeds]])
    previous = np.concatenate([previous, np.full(n_twins, -1)])

    dob_days = start_d - np.round(age * 365.25).astype(np.int64) - rng.integers(1, 365, population)
    dob_days[n_base:] = dob_days[seeds]
    # given names: Zipf over each list; a twin's differs and shares the initial 30% of the time
    given = np.where(
        sex == 0,
        rng.choice(len(MALE), population, p=zipf_weights(len(MALE), 0.4)),
        rng.choice(len(FEMALE), population, p=zipf_weights(len(FEMALE), 0.4)),
    )
    given = _twin_names(given, sex, twin_of, n_base, rng)

    # addresses: each household a postcode of its area and a house number
    hh_ids, hh_inv = np.unique(household, return_inverse=True)
    hh_area = np.zeros(len(hh_ids), dtype=np.int64)
    hh_area[hh_inv] = area
    hh_pc = pcs.live_start[hh_area] + (rng.random(len(hh_ids)) * pcs.live_count[hh_area]).astype(
        np.int64
    )
    hh_no = rng.integers(1, 180, len(hh_ids))
    # moves (whole households) and terminated postcodes
    years = (end_d - start_d) / 365.25
    moves = rng.random(len(hh_ids)) < 1 - (1 - cfg.yearly_move_rate) ** years
    hh_prev_pc = np.full(len(hh_ids), -1, dtype=np.int64)
    hh_until = np.full(len(hh_ids), NO_DATE, dtype=np.int64)
    hh_prev_area = hh_area.copy()
    new_area = rng.choice(geo.n_areas, size=len(hh_ids), p=target / target.sum())
    hh_prev_pc[moves] = hh_pc[moves]
    hh_until[moves] = rng.integers(start_d + 30, end_d - 30, moves.sum())
    hh_area[moves] = new_area[moves]
    hh_pc[moves] = pcs.live_start[new_area[moves]] + (
        rng.random(moves.sum()) * pcs.live_count[new_area[moves]]
    ).astype(np.int64)
    hh_no[moves] = rng.integers(1, 180, moves.sum())
    term = ~moves & (rng.random(len(hh_ids)) < 0.04)
    ta = hh_area[term]
    hh_prev_pc[term] = pcs.term_start[ta] + (rng.random(term.sum()) * pcs.term_count[ta]).astype(
        np.int64
    )
    hh_until[term] = rng.integers(start_d - 700, end_d, term.sum())

    person_area = hh_area[hh_inv]
    prev_area = hh_prev_area[hh_inv]
    practice, prev_practice = _register(geo, sites, person_area, prev_area, hh_inv, moves, rng)
    imd = np.log(geo.imd_score)
    imd_z = ((imd - imd.mean()) / max(imd.std(), 1e-9))[person_area]
    return People(
        n=population,
        area=person_area,
        sex=sex,
        dob=dob_days.astype(np.int32),
        age0=age,
        household=household,
        twin_of=twin_of,
        given=given,
        family=family,
        previous_family=previous,
        nhs=nhs_numbers(population, rng),
        postcode=hh_pc[hh_inv],
        house_no=hh_no[hh_inv],
        prev_postcode=hh_prev_pc[hh_inv],
        prev_until=hh_until[hh_inv],
        prev_area=prev_area,
        practice=practice,
        prev_practice=prev_practice,
        imd_z=imd_z,
        latent=rng.standard_normal(population),
        death=np.full(population, NO_DATE, dtype=np.int64),
    )


def _twin_names(given, sex, twin_of, n_base, rng) -> np.ndarray:
    t = np.arange(n_base, len(given))
    s = twin_of[t]
    same = (given[t] == given[s]) & (sex[t] == sex[s])
    given[t[same]] = (given[t[same]] + 1 + rng.integers(0, 5, same.sum())) % np.where(
        sex[t[same]] == 0, len(MALE), len(FEMALE)
    )
    initial = rng.random(len(t)) < 0.3
    names = {0: np.array([m[0] for m in MALE]), 1: np.array([f[0] for f in FEMALE])}
    for i in np.flatnonzero(initial):  # a few thousand at most
        tt, ss = t[i], s[i]
        pool = np.flatnonzero(names[sex[tt]] == _initial(given[ss], sex[ss]))
        pool = pool[pool != given[ss]] if sex[tt] == sex[ss] else pool
        if len(pool):
            given[tt] = pool[rng.integers(len(pool))]
    return given


def _initial(g: int, s: int) -> str:
    return (MALE if s == 0 else FEMALE)[g][0]


def _register(geo, sites, area, prev_area, hh_inv, moves, rng):
    """Register with one of the three nearest practices (60/25/15%); movers re-register."""
    pxy = sites.practice_xy
    axy = np.c_[geo.easting, geo.northing]
    d = np.hypot(axy[:, None, 0] - pxy[None, :, 0], axy[:, None, 1] - pxy[None, :, 1])
    near = np.argsort(d, axis=1)[:, :3]
    if near.shape[1] < 3:
        near = np.pad(near, ((0, 0), (0, 3 - near.shape[1])), mode="edge")
    choice = np.searchsorted([0.6, 0.85], rng.random(len(area)), side="right")
    before = near[prev_area, choice]
    after = near[area, choice]
    moved = moves[hh_inv]
    rereg = moved & (before != after) & (rng.random(len(area)) < 0.8)
    practice = np.where(rereg, after, before)
    prev = np.where(rereg, before, -1)
    return practice, prev

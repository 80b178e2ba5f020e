"""Identity noise: how a person's details go wrong in a source system.

Rates come from `caremap.synth.config.NoiseConfig` (documented in docs/synth.md). Each
defect is drawn independently per record, so rates can be checked against the truth.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from caremap.synth.config import NoiseConfig, rng_for
from caremap.synth.names import ALL_SURNAMES, STREET_KINDS, STREET_STEMS, nickname_lookup
from caremap.synth.people import People
from caremap.synth.postcodes import Postcodes

LETTERS = "ABCDEFGHIJKLMNOPRSTUVWY"
JUNK_DOB = -25567  # 1900-01-01 in days since 1970-01-01
PLACEHOLDERS = np.array([0, 9999999999, 1234567890], dtype=np.int64)


def typo(name: str, rng: np.random.Generator) -> str:
    """One keying error (always a change): substitute, delete, double or swap adjacent letters."""
    if len(name) < 3:
        return name + LETTERS[rng.integers(len(LETTERS))]
    i = int(rng.integers(1, len(name) - 1))
    kind = int(rng.integers(4))
    if kind == 3 and name[i - 1] != name[i]:
        return name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :]
    if kind == 1:
        return name[:i] + name[i + 1 :]
    if kind == 2:
        return name[:i] + name[i] + name[i:]
    others = [c for c in LETTERS if c != name[i]]
    return name[:i] + others[rng.integers(len(others))] + name[i + 1 :]


def nhs_text(values: np.ndarray, missing: np.ndarray) -> pa.Array:
    text = pc.utf8_lpad(pc.cast(pa.array(values.astype(np.int64)), pa.string()), 10, "0")
    return pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), text)


class IdentityNoise:
    def __init__(
        self,
        people: People,
        pcs: Postcodes,
        settlement_of_area: np.ndarray,
        cfg: NoiseConfig,
        seed: int,
    ) -> None:
        self.p, self.pcs, self.cfg, self.seed = people, pcs, cfg, seed
        self.town = pa.array(np.char.upper(settlement_of_area.astype(str)), pa.string())
        self.given_true = people.given_name()
        # each person's own nickname (a Bill is a Bill wherever he is called one), or None
        self.nickname = np.full(people.n, None, dtype=object)
        rng = rng_for(seed, "nicknames")
        for formal, options in nickname_lookup().items():
            who = np.flatnonzero(self.given_true == formal)
            self.nickname[who] = np.array(options, dtype=object)[
                rng.integers(0, len(options), len(who))
            ]

    def rng(self, system: str, what: str) -> np.random.Generator:
        return rng_for(self.seed, f"noise:{system}:{what}")

    def apply(self, system: str, person: np.ndarray, record_date: np.ndarray) -> dict:
        p, cfg, n = self.p, self.cfg, len(person)
        rng = self.rng(system, "all")
        u = rng.random((12, n))
        # NHS number
        nhs = p.nhs[person].copy()
        digit = u[0] < cfg.nhs_digit_typo
        nhs[digit] = _change_digit(nhs[digit], rng)
        swap = ~digit & (u[1] < cfg.nhs_transposition)
        nhs[swap] = _transpose(nhs[swap], rng)
        double = ~digit & ~swap & (rng.random(n) < cfg.nhs_double_typo)
        nhs[double] = _change_two_digits(nhs[double], rng)
        # another person's valid number: the household head's (or, for a head, anyone's)
        other = ~digit & ~swap & ~double & (rng.random(n) < cfg.nhs_other_person)
        head = p.household[person[other]]
        alone = head == person[other]
        head[alone] = rng.integers(0, p.n, alone.sum())
        nhs[other] = p.nhs[head]
        placeholder = u[2] < cfg.placeholder_nhs_number
        nhs[placeholder] = PLACEHOLDERS[rng.integers(0, 3, placeholder.sum())]
        missing_nhs = u[3] < cfg.missing_nhs_number[system]
        # names
        given = self.given_true[person].copy()
        nickname = self.nickname[person]
        nick = (u[4] < cfg.nickname[system]) & np.not_equal(nickname, None)
        given[nick] = nickname[nick]
        for i in np.flatnonzero(u[5] < cfg.given_name_typo):
            given[i] = typo(given[i], rng)
        fam_idx = p.family[person]
        prev = p.previous_family[person]
        use_prev = (prev >= 0) & (u[6] < (0.0 if system == "gp" else cfg.previous_surname))
        fam_idx = np.where(use_prev, prev, fam_idx)
        family = np.array(ALL_SURNAMES, dtype=object)[fam_idx]
        for i in np.flatnonzero(u[7] < cfg.family_name_typo):
            family[i] = typo(family[i], rng)
        junk = u[8] < cfg.junk_name[system]
        age_days = record_date - p.dob[person]
        for i in np.flatnonzero(junk):
            if age_days[i] < 365 * 2:
                given[i] = "BABY OF"
            else:
                given[i], family[i] = "UNKNOWN", "UNKNOWN"
        # date of birth
        dob = p.dob[person].astype(np.int64).copy()
        swapdm = u[9] < cfg.dob_day_month_swap
        dob[swapdm] = _swap_day_month(dob[swapdm])
        dtypo = ~swapdm & (u[10] < cfg.dob_digit_typo)
        dob[dtypo] = _dob_digit(dob[dtypo], rng)
        junk_dob = u[11] < cfg.junk_dob
        first_jan = junk_dob & (rng.random(n) < 0.5)
        dob[first_jan] = _first_of_january(dob[first_jan])
        dob[junk_dob & ~first_jan] = JUNK_DOB
        # sex
        sex = np.where(p.sex[person] == 0, "M", "F").astype(object)
        sex[rng.random(n) < cfg.unknown_sex] = "U"
        # postcode and address at the record date, sometimes stale
        prev_pc = p.prev_postcode[person]
        has_prev = prev_pc >= 0
        old = has_prev & (
            (record_date < p.prev_until[person]) | (rng.random(n) < cfg.stale_postcode[system])
        )
        pc_idx = np.where(old, prev_pc, p.postcode[person])
        house = np.where(old, (p.house_no[person] * 7 + 3) % 179 + 1, p.house_no[person])
        postcode = self.pcs.code[pc_idx]
        street = self.pcs.street[pc_idx]
        town = self.town.take(pa.array(self.pcs.area[pc_idx]))
        address = _address(house, street, town)
        no_pc = rng.random(n) < cfg.missing_postcode[system]
        return {
            "nhs_number": nhs_text(nhs, missing_nhs),
            "given_name": pa.array(given, pa.string()),
            "family_name": pa.array(family, pa.string()),
            "date_of_birth": pa.array(dob.astype(np.int32), pa.date32()),
            "sex": pa.array(sex, pa.string()),
            "postcode": pa.array(postcode, pa.string(), mask=no_pc),
            "address": pc.if_else(pa.array(no_pc), pa.scalar(None, pa.string()), address),
        }


def _address(house: np.ndarray, street: np.ndarray, town: pa.Array) -> pa.Array:
    stems = pa.array(STREET_STEMS, pa.string()).take(pa.array(street % len(STREET_STEMS)))
    kinds = pa.array(STREET_KINDS, pa.string()).take(
        pa.array((street // len(STREET_STEMS)) % len(STREET_KINDS))
    )
    num = pc.cast(pa.array(house.astype(np.int64)), pa.string())
    return pc.binary_join_element_wise(num, stems, kinds, town, " ")


def _digits(values: np.ndarray) -> np.ndarray:
    d = np.zeros((len(values), 10), dtype=np.int64)
    v = values.copy()
    for k in range(9, -1, -1):
        d[:, k] = v % 10
        v //= 10
    return d


def _number(d: np.ndarray) -> np.ndarray:
    return d @ (10 ** np.arange(9, -1, -1, dtype=np.int64))


def _change_digit(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    d = _digits(values)
    pos = rng.integers(1, 10, len(values))
    rows = np.arange(len(values))
    d[rows, pos] = (d[rows, pos] + rng.integers(1, 10, len(values))) % 10
    return _number(d)


def _change_two_digits(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two different digits changed: Modulus 11 misses about 1 in 11 of these."""
    d = _digits(values)
    rows = np.arange(len(values))
    first = rng.integers(1, 10, len(values))
    second = (first + rng.integers(1, 9, len(values)) - 1) % 9 + 1  # another of 1..9
    for pos in (first, second):
        d[rows, pos] = (d[rows, pos] + rng.integers(1, 10, len(values))) % 10
    return _number(d)


def _transpose(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    d = _digits(values)
    rows = np.arange(len(values))
    pos = rng.integers(1, 9, len(values))
    a, b = d[rows, pos].copy(), d[rows, pos + 1].copy()
    d[rows, pos], d[rows, pos + 1] = b, a
    return _number(d)


def _first_of_january(days: np.ndarray) -> np.ndarray:
    """1 January of the same year (a date of birth whose day and month were not known)."""
    years = days.astype("datetime64[D]").astype("datetime64[Y]")
    return years.astype("datetime64[D]").astype(np.int64)


def _swap_day_month(days: np.ndarray) -> np.ndarray:
    """Day and month swapped (only where the day could be a month and differs from it)."""
    dt = days.astype("datetime64[D]")
    months = dt.astype("datetime64[M]")
    years = dt.astype("datetime64[Y]").astype("datetime64[M]")
    m = (months - years).astype(np.int64)  # 0-based month
    d = (dt - months.astype("datetime64[D]")).astype(np.int64)  # 0-based day
    ok = (d < 12) & (d != m)
    swapped = (years + d.astype("timedelta64[M]")).astype("datetime64[D]") + m.astype(
        "timedelta64[D]"
    )
    return np.where(ok, swapped.astype(np.int64), days)


def _dob_digit(days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A single-digit slip: the day's units digit, or the year's last digit, off by a bit."""
    shift_day = rng.integers(1, 4, len(days)) * np.where(rng.random(len(days)) < 0.5, 1, -1)
    year_slip = rng.random(len(days)) < 0.4
    return np.where(year_slip, days + np.where(shift_day > 0, 365, -365), days + shift_day)

"""Activity as compact numeric events: one array per column, codes as vocabulary indices."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from caremap.synth.conditions import CONDITION_NAMES

C = {c: i for i, c in enumerate(CONDITION_NAMES)}


@dataclass
class Events:
    """Activity rows of one source system as arrays (indices into vocabularies; -1 = null)."""

    person: np.ndarray
    start: np.ndarray
    end: np.ndarray
    site: np.ndarray
    provider: np.ndarray
    method: np.ndarray
    pod: np.ndarray
    specialty: np.ndarray
    diagnosis: np.ndarray
    procedure: np.ndarray
    cost: np.ndarray

    @classmethod
    def concat(cls, parts: list[Events]) -> Events:
        parts = [p for p in parts if p is not None]
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        )

    def __len__(self) -> int:
        return len(self.person)

    def sorted(self) -> Events:
        o = np.lexsort((self.person, self.start))
        return Events(**{f.name: getattr(self, f.name)[o] for f in fields(self)})


def make_events(
    person,
    start,
    end=None,
    site=None,
    provider=None,
    method=-1,
    pod=-1,
    spec=-1,
    diag=-1,
    proc=-1,
    cost=0.0,
) -> Events:
    """Events for ``person`` starting on ``start``; the other fields default to unknown."""
    n = len(person)

    def full(v, dt):
        return np.full(n, v, dtype=dt) if np.isscalar(v) else np.asarray(v, dtype=dt)

    return Events(
        person=person.astype(np.int32),
        start=start.astype(np.int32),
        end=full(-1 if end is None else end, np.int32),
        site=full(-1 if site is None else site, np.int32),
        provider=full(-1 if provider is None else provider, np.int32),
        method=full(method, np.int8),
        pod=full(pod, np.int8),
        specialty=full(spec, np.int16),
        diagnosis=full(diag, np.int16),
        procedure=full(proc, np.int16),
        cost=full(cost, np.float64),
    )


# Calendar patterns: winter uplift (amplitude of a yearly cosine peaking mid-January) and
# day-of-week weights Monday..Sunday. Emergency care peaks in winter (NHS England winter
# situation reports) and on Mondays; GP practices, outpatient clinics and elective lists
# work on weekdays.
PATTERNS = {
    "nel": (0.12, (1.08, 1.0, 1.0, 1.0, 1.0, 0.9, 0.86)),
    "ae": (0.05, (1.12, 1.0, 0.98, 0.97, 0.99, 0.95, 0.99)),
    "ambulance": (0.10, (1.0, 1.0, 1.0, 1.0, 1.0, 1.03, 1.03)),
    "elective": (0.0, (1.0, 1.0, 1.0, 1.0, 1.0, 0.05, 0.02)),
    "maternity": (0.0, (1.0,) * 7),
    "outpatient": (0.0, (1.0, 1.0, 1.0, 1.0, 1.0, 0.05, 0.02)),
    "gp": (0.08, (1.25, 1.05, 1.0, 1.0, 1.0, 0.03, 0.01)),
    "community": (0.05, (1.0, 1.0, 1.0, 1.0, 1.0, 0.35, 0.3)),
}
_CDF_CACHE: dict[tuple[int, int, str], np.ndarray] = {}


def day_cdf(ys: int, ye: int, pattern: str) -> np.ndarray:
    """Cumulative weights of the days ys..ye-1 (days since 1970-01-01) under a pattern."""
    key = (ys, ye, pattern)
    if key not in _CDF_CACHE:
        amp, dow_w = PATTERNS[pattern]
        days = np.arange(ys, ye)
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        season = 1 + amp * np.cos(2 * np.pi * (days - 14) / 365.25)
        _CDF_CACHE[key] = np.cumsum(season * np.asarray(dow_w)[weekday])
    return _CDF_CACHE[key]


def draw_days(rng: np.random.Generator, ys: int, ye: int, span: np.ndarray, pattern: str):
    """A day for each event within the first ``span`` days of the year, by the pattern."""
    cdf = day_cdf(ys, ye, pattern)
    last = np.clip(np.ceil(span).astype(np.int64), 1, len(cdf)) - 1
    x = rng.random(len(span)) * cdf[last]
    return ys + np.minimum(np.searchsorted(cdf, x, side="right"), last)

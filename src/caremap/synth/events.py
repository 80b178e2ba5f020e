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


def _ev(
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

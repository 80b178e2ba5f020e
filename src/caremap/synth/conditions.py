"""Long-term conditions with prevalence by age, sex and deprivation at England-like levels.

Each condition's log relative risk is a curve in age (interpolated between anchors), a sex
factor, a deprivation slope and a shared unobserved health factor (so conditions cluster,
as multimorbidity does). The scale is solved by bisection so that the *recorded*
prevalence at the start date (true prevalence times the recording rate) over the QOF
denominator equals the QOF 2022-23 England figure; new cases then arise during the period (see `caremap.synth.reference`). Frailty (eFI moderate/severe,
65+) also rises with the number of other conditions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from caremap.synth.config import rng_for
from caremap.synth.people import People
from caremap.synth.reference import CONDITION_CODES, CONDITION_SHAPE, QOF_PREVALENCE

CONDITION_NAMES = tuple(CONDITION_SHAPE)
# share of true cases on the GP register (e.g. dementia diagnosis rate ~63%, NHS England)
RECORDING = {"hypertension": 0.8, "dementia": 0.65, "depression": 0.85, "diabetes": 0.92}
DEFAULT_RECORDING = 0.9


@dataclass
class Conditions:
    has: np.ndarray  # (n_people, n_conditions) bool: true condition
    onset: np.ndarray  # (n_people, n_conditions) int32 days (only where has)
    recorded: np.ndarray  # bool: on the GP problem list (once diagnosed)
    diagnosed: np.ndarray  # int32 days the GP recorded it
    code: np.ndarray  # (n_people, n_conditions) int8: index into CONDITION_CODES[c][0]

    def count(self) -> np.ndarray:
        return self.has.sum(axis=1)


def _scale_for(rr: np.ndarray, target: float) -> float:
    lo, hi = 0.0, 1.0
    while np.minimum(hi * rr, 0.95).mean() < target and hi < 1e9:
        hi *= 2
    for _ in range(50):
        mid = (lo + hi) / 2
        if np.minimum(mid * rr, 0.95).mean() < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def make_conditions(people: People, seed: int, start_day: int, end_day: int) -> Conditions:
    rng = rng_for(seed, "conditions")
    n = people.n
    age = people.age0.astype(float)
    k = len(CONDITION_NAMES)
    has = np.zeros((n, k), dtype=bool)
    p_all = np.zeros((n, k))
    for j, name in enumerate(CONDITION_NAMES):
        anchors, logrr, female, dep = CONDITION_SHAPE[name]
        lr = np.interp(age, anchors, logrr) + np.log(female) * people.sex
        lr = lr + dep * people.imd_z + 0.45 * people.latent
        if name == "frailty":
            lr = lr + 0.35 * has[:, :j].sum(axis=1)
        rr = np.exp(lr)
        pct, from_age = QOF_PREVALENCE[name]
        rate = RECORDING.get(name, DEFAULT_RECORDING)
        denom = age >= from_age
        scale = _scale_for(rr[denom], pct / 100 / rate)
        p_all[:, j] = np.minimum(scale * rr, 0.95)
        has[:, j] = rng.random(n) < p_all[:, j]
    # prevalent cases began before the start (diagnosed by then); new cases arise during
    # the period at about 2% of the prevalence probability a year (incidence)
    years_back = rng.exponential(6.0, size=(n, k))
    onset = start_day - 120 - (years_back * 365.25).astype(np.int64)
    onset = np.maximum(onset, people.dob[:, None])
    period = end_day - start_day
    incident = ~has & (rng.random((n, k)) < p_all * 0.02 * period / 365.25)
    onset = np.where(incident, rng.integers(start_day, end_day, size=(n, k)), onset)
    has |= incident
    rates = np.array([RECORDING.get(c, DEFAULT_RECORDING) for c in CONDITION_NAMES])
    recorded = has & (rng.random((n, k)) < rates)
    diagnosed = np.where(incident, onset + rng.integers(0, 120, size=(n, k)), onset + 60)
    code = np.zeros((n, k), dtype=np.int8)
    for j, name in enumerate(CONDITION_NAMES):
        _, w = CONDITION_CODES[name]
        if len(w) > 1:
            code[:, j] = rng.choice(len(w), size=n, p=np.array(w) / sum(w))
    return Conditions(
        has=has,
        onset=onset.astype(np.int32),
        recorded=recorded,
        diagnosed=diagnosed.astype(np.int32),
        code=code,
    )

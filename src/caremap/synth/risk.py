"""The latent risk of emergency admission, yearly outcomes and deaths.

Each year t a person's probability of at least one emergency admission is

    logit p = b0_t + f(age) + 0.1 male + sum_c beta_c has_c + 0.25 z_imd + 0.5 u
              + 0.6 log(1 + prior)

with f a piecewise-linear age curve (high in infancy, rising after 60), beta_c the
condition weights below, z_imd standardised log deprivation of the home area, u an
unobserved health factor N(0, 1) and prior the emergency admissions of the year before
(year 0 is drawn from the same model). The form follows published risk-of-admission
models (e.g. the QAdmissions score, Hippisley-Cox and Coupland, BMJ Open 2013;3:e003482,
and the Combined Predictive Model, King's Fund 2006): age, sex, long-term conditions,
deprivation and prior use. Admitted people have 1 + Poisson(0.2 + 1.5 p) admissions. b0_t
is solved each year so admissions per 1,000 people match ``emergency_per_1000``.

Deaths follow a Gompertz curve (ln q = -10.1 + 0.09 age, infants 0.004), raised by
heart failure, cancer, dementia, COPD and frailty and by the admission risk (x (1 + 3p)),
calibrated to England's crude death rate (~9.5 per 1,000, ONS 2022). p is the probability
for a whole year; a person who dies keeps the share of their admissions that fall before
the death.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from caremap.synth.conditions import CONDITION_NAMES, Conditions
from caremap.synth.config import rng_for
from caremap.synth.people import People

AGE_KNOTS = [0, 1, 5, 15, 20, 40, 60, 70, 80, 90, 99]
AGE_LOGODDS = [0.9, 0.2, -0.6, -0.6, -0.3, -0.3, 0.2, 0.7, 1.3, 1.8, 2.0]
BETA = {
    "hypertension": 0.1,
    "diabetes": 0.3,
    "copd": 0.8,
    "asthma": 0.2,
    "chd": 0.4,
    "heart_failure": 0.9,
    "ckd": 0.4,
    "dementia": 0.7,
    "cancer": 0.6,
    "depression": 0.25,
    "frailty": 0.9,
}
DEATH_HR = {"heart_failure": 1.6, "cancer": 1.7, "dementia": 1.7, "copd": 1.4, "frailty": 1.5}
CRUDE_DEATH_RATE = 0.0095


@dataclass
class RiskYear:
    p: np.ndarray  # probability of >= 1 emergency admission
    admissions: np.ndarray  # int count
    alive_from: np.ndarray  # bool: alive at the start of the year


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _solve_b0(lin: np.ndarray, exposure: np.ndarray, target: float) -> float:
    """The intercept giving ``target`` expected admissions per person alive at the start
    (exposure: the expected share of the year each lives)."""
    keep = exposure > 0
    lin, exposure = lin[keep].astype(np.float32), exposure[keep].astype(np.float32)
    lo, hi = -15.0, 5.0
    for _ in range(32):
        mid = (lo + hi) / 2
        p = _sigmoid(mid + lin)
        expected = float((p * (1.2 + 1.5 * p) * exposure).sum()) / max(len(exposure), 1)
        lo, hi = (mid, hi) if expected < target else (lo, mid)
    return (lo + hi) / 2


def simulate_years(
    people: People,
    cond: Conditions,
    seed: int,
    year_starts: list[int],
    year_ends: list[int],
    per_1000: float,
) -> list[RiskYear]:
    """Emergency admission probabilities and counts per year; fills ``people.death``."""
    rng = rng_for(seed, "risk")
    n = people.n
    beta = np.array([BETA[c] for c in CONDITION_NAMES])
    hr = np.array([np.log(DEATH_HR.get(c, 1.0)) for c in CONDITION_NAMES])
    out = []
    prior = None
    for t, (ys, ye) in enumerate(zip(year_starts, year_ends, strict=True)):
        age = people.age0 + t
        alive = people.death > ys
        has = cond.has & (cond.onset <= ys)
        base = (
            np.interp(age, AGE_KNOTS, AGE_LOGODDS)
            + 0.1 * (people.sex == 0)
            + has @ beta
            + 0.25 * people.imd_z
            + 0.5 * people.latent
        )
        if prior is None:  # year 0, before the period: same model without prior use
            b0 = _solve_b0(base, alive.astype(float), per_1000 / 1000)
            p0 = _sigmoid(b0 + base)
            prior = (rng.random(n) < p0) * (1 + rng.poisson(0.2 + 1.5 * p0))
        lin = base + 0.6 * np.log1p(prior)
        logq = np.where(age < 1, np.log(0.004), -10.1 + 0.09 * np.minimum(age, 105))
        logq = logq + has @ hr + 0.3 * people.latent
        b0 = _solve_b0(lin, alive.astype(float), per_1000 / 1000)
        p = _sigmoid(b0 + lin)
        q = np.exp(logq) * (1 + 3 * p)
        q = np.minimum(
            q * CRUDE_DEATH_RATE / max((q * alive).sum() / max(alive.sum(), 1), 1e-9), 0.5
        )
        # re-solve so admissions per 1,000 residents hold once deaths cut years short
        b0 = _solve_b0(lin, alive * (1 - q / 2), per_1000 / 1000)
        p = _sigmoid(b0 + lin)
        dies = alive & (rng.random(n) < q)
        people.death[dies] = rng.integers(ys, ye, dies.sum())
        # admissions happen while alive: a year cut short by death keeps its share of them
        lived = np.clip((people.death.astype(np.int64) - ys) / (ye - ys), 0, 1)
        admitted = alive & (rng.random(n) < p)
        full = admitted * (1 + rng.poisson(0.2 + 1.5 * p))
        counts = rng.binomial(full, lived)
        out.append(RiskYear(p=np.where(alive, p, 0.0), admissions=counts, alive_from=alive))
        prior = counts
    return out

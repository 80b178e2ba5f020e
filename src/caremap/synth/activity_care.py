"""Primary, community and social care activity: GP consultations, community contacts and
adult social care packages (rates in `caremap.synth.activity`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from caremap.synth.config import rng_for
from caremap.synth.events import C, Events, make_events
from caremap.synth.reference import TARIFF
from caremap.synth.vocab import POD, SPECIALTIES

if TYPE_CHECKING:
    from caremap.synth.activity import ActivityMaker


def gp_events(m: ActivityMaker, rng, age, ys, ye, expo) -> Events:
    shape = np.interp(
        age, [0, 5, 15, 25, 45, 65, 75, 85, 99], [1.3, 0.7, 0.5, 0.8, 0.9, 1.3, 1.7, 2.0, 2.0]
    )
    female = (m.p.sex == 1) & (age >= 16) & (age <= 60)
    lam = shape * (1 + 0.3 * female) * (1 + 0.25 * m.ncond) * np.exp(0.2 * m.p.latent)
    lam *= m.cfg.gp_contacts_per_person * expo.sum() / max((lam * expo).sum(), 1e-9)
    person, start = m._draw(rng, lam, ys, ye, expo, "gp")
    before = (m.p.prev_practice[person] >= 0) & (start < m.p.prev_until[person])
    prac = np.where(before, m.p.prev_practice[person], m.p.practice[person])
    return make_events(
        person,
        start,
        start,
        m.gp_site[prac],
        m.gp_prov[prac],
        -1,
        POD["CONS"],
        -1,
        -1,
        -1,
        TARIFF["CONS"],
    )


def community_events(m: ActivityMaker, rng, age, ys, ye, expo) -> Events:
    has = m.cond.has
    lam = np.exp(0.05 * np.maximum(age - 60, 0)) * (
        1 + 1.5 * has[:, C["frailty"]] + 0.8 * has[:, C["dementia"]] + 0.3 * m.ncond
    )
    lam = lam * rng.gamma(0.5, 2.0, m.p.n)
    lam *= m.cfg.community_per_person * expo.sum() / max((lam * expo).sum(), 1e-9)
    person, start = m._draw(rng, lam, ys, ye, expo, "community")
    c = m.near_comm[m.p.area[person]]
    spec = SPECIALTIES.ids(["950", "650", "653"])[rng.choice(3, len(person), p=[0.6, 0.25, 0.15])]
    return make_events(
        person,
        start,
        start,
        m.comm_site[c],
        m.comm_prov[c],
        -1,
        POD["CONTACT"],
        spec,
        -1,
        -1,
        TARIFF["CONTACT"],
    )


def social_care_events(m: ActivityMaker, rng, t, age, ys, ye, expo) -> Events:
    """Long-term support packages: one row per package per year it runs."""
    if t == 0:
        has = m.cond.has
        lin = (
            0.07 * (age - 65)
            + 1.6 * has[:, C["frailty"]]
            + 1.8 * has[:, C["dementia"]]
            + 0.3 * m.p.imd_z
            + 0.5 * m.p.latent
        )
        adult = age >= 18
        lo, hi = -20.0, 5.0
        for _ in range(50):
            mid = (lo + hi) / 2
            share = (1 / (1 + np.exp(-(mid + lin))))[adult].mean()
            lo, hi = (mid, hi) if share < 0.019 else (lo, mid)
        p = np.where(adult, 1 / (1 + np.exp(-(lo + lin))), 0)
        sc_rng = rng_for(m.seed, "social_care")
        m.sc_has = sc_rng.random(m.p.n) < p
        m.sc_res = sc_rng.random(m.p.n) < np.where(has[:, C["dementia"]], 0.5, 0.25)
        span = int(ye - ys) * 3
        m.sc_start = ys - 730 + (sc_rng.random(m.p.n) * (730 + span)).astype(np.int64)
        m.sc_home = m.near_home[m.p.area, sc_rng.integers(0, 5, m.p.n)]
    # A package starts before its person dies (else it would end before it starts).
    alive = m.sc_start <= m.p.death
    person = np.flatnonzero(m.sc_has & alive & (m.sc_start < ye) & (m.p.death > ys))
    start = np.maximum(m.sc_start[person], ys)
    end = np.minimum(ye - 1, m.p.death[person].astype(np.int64))
    res = m.sc_res[person]
    home = m.sc_home[person]
    la = m.la_prov[m.geo.locality[m.p.area[person]]]
    weekly = np.where(res, TARIFF["RES_CARE"], TARIFF["HOME_CARE"])
    cost = (weekly * (end - start + 1) / 7).round(2)
    return make_events(
        person,
        start,
        end,
        np.where(res, m.home_site[home], -1),
        np.where(res, m.home_prov[home], la),
        -1,
        np.where(res, POD["RES_CARE"], POD["HOME_CARE"]),
        -1,
        -1,
        -1,
        cost,
    )

"""Three years of activity from seven source systems, as compact numeric events.

Rates per person-year (England 2022-23, see `caremap.synth.reference`): emergency
admissions from the latent risk model (`caremap.synth.risk`), ~70% of them through A&E and
about half of those by ambulance; A&E attendances ~400 per 1,000 in all; elective and
day-case admissions ~160 per 1,000 rising with age; maternity deliveries ~55 per 1,000
women aged 15-44; outpatient attendances ~2.2 per person (30% first); GP consultations ~5
per person (more for women, children, older people and people with conditions); community
contacts concentrated in frail older people (overdispersed); adult social care long-term
support for ~1.9% of adults (NHS Digital, Adult Social Care Activity and Finance 2022-23),
30% residential. Activity stops at death.
"""

from __future__ import annotations

import numpy as np

from caremap.synth.activity_care import community_events, gp_events, social_care_events
from caremap.synth.conditions import Conditions
from caremap.synth.config import SynthConfig, rng_for
from caremap.synth.events import C, Events, draw_days, make_events
from caremap.synth.geography import Geography
from caremap.synth.people import People
from caremap.synth.reference import (
    AE_DIAGNOSES,
    ELECTIVE_PROCEDURES,
    NEL_DIAGNOSES,
    OUTPATIENT_SPECIALTIES,
    TARIFF,
)
from caremap.synth.risk import RiskYear
from caremap.synth.sites import Sites
from caremap.synth.vocab import DIAGNOSES, METHOD, POD, PROCEDURES, SPECIALTIES, Vocab

# main condition -> (specialty, diagnosis) of its outpatient follow-up, in priority order
OP_CONDITION = [
    ("cancer", "800", "C509"), ("heart_failure", "320", "I251"), ("copd", "340", "J449"),
    ("ckd", "361", "N183"), ("chd", "320", "I251"), ("dementia", "430", "F03"),
    ("diabetes", "300", "E119"),
]  # fmt: skip
OP_CONDITION_SPEC = SPECIALTIES.ids([c[1] for c in OP_CONDITION])
OP_CONDITION_DIAG = DIAGNOSES.ids([c[2] for c in OP_CONDITION])


class ActivityMaker:
    """Generates each year's events for every source system."""

    def __init__(
        self,
        people: People,
        cond: Conditions,
        geo: Geography,
        sites: Sites,
        cfg: SynthConfig,
        seed: int,
    ) -> None:
        self.p, self.cond, self.geo, self.s, self.cfg, self.seed = (
            people,
            cond,
            geo,
            sites,
            cfg,
            seed,
        )
        self.site_vocab = Vocab(sites.site["site_code"].to_pylist())
        self.prov_vocab = Vocab(sites.provider["provider_code"].to_pylist())
        axy = np.c_[geo.easting, geo.northing]

        def nearest(xy: np.ndarray, k: int) -> np.ndarray:
            d = np.hypot(axy[:, None, 0] - xy[None, :, 0], axy[:, None, 1] - xy[None, :, 1])
            o = np.argsort(d, axis=1)[:, :k]
            return np.pad(o, ((0, 0), (0, k - o.shape[1])), mode="edge")

        self.near_acute = nearest(sites.acute_xy, 2)
        self.near_hub = nearest(sites.hub_xy, 1)[:, 0]
        self.near_comm = nearest(sites.community_xy, 1)[:, 0]
        self.near_station = nearest(sites.station_xy, 1)[:, 0]
        self.near_home = nearest(sites.care_home_xy, 5)
        sv, pv = self.site_vocab, self.prov_vocab
        self.acute_site = sv.ids(sites.acute_site)
        self.acute_prov = pv.ids(sites.acute_provider)
        self.hub_site, self.hub_prov = sv.ids(sites.hub_site), pv.ids(sites.hub_provider)
        self.comm_site, self.comm_prov = (
            sv.ids(sites.community_site),
            pv.ids(sites.community_provider),
        )
        self.station_site = sv.ids(sites.station_site)
        self.amb_prov = pv[sites.ambulance_provider]
        self.gp_site = sv.ids(sites.practice_code)
        self.gp_prov = pv.ids(sites.practice_code)
        self.home_site, self.home_prov = (
            sv.ids(sites.care_home_site),
            pv.ids(sites.care_home_provider),
        )
        self.la_prov = pv.ids(sites.la_provider)
        self.ncond = cond.has.sum(axis=1)
        self.op_condition = np.full(people.n, -1, dtype=np.int64)
        for i in range(len(OP_CONDITION) - 1, -1, -1):  # highest priority written last
            self.op_condition[cond.has[:, C[OP_CONDITION[i][0]]]] = i

    # -- helpers ---------------------------------------------------------------------------
    def _exposure(self, ys: int, ye: int) -> np.ndarray:
        alive_end = np.minimum(self.p.death.astype(np.int64), ye)
        return np.clip((alive_end - ys) / (ye - ys), 0, 1)

    def _draw(self, rng, lam: np.ndarray, ys: int, ye: int, expo: np.ndarray, pattern: str):
        counts = rng.poisson(np.maximum(lam, 0) * expo)
        person = np.repeat(np.arange(self.p.n), counts)
        span = np.maximum(expo[person] * (ye - ys), 1)
        return person, draw_days(rng, ys, ye, span, pattern)

    def _acute(self, rng, person) -> np.ndarray:
        second = rng.random(len(person)) < 0.15
        return self.near_acute[self.p.area[person], second.astype(int)]

    def _age(self, t: int) -> np.ndarray:
        return self.p.age0 + t

    # -- one year --------------------------------------------------------------------------
    def year(self, t: int, ys: int, ye: int, risk: RiskYear) -> dict[str, Events]:
        rng = rng_for(self.seed, f"activity:{t}")
        expo = self._exposure(ys, ye)
        age = self._age(t)
        out: dict[str, list[Events]] = {
            k: []
            for k in (
                "gp",
                "ae",
                "inpatient",
                "outpatient",
                "ambulance",
                "community",
                "social_care",
            )
        }
        # emergency admissions
        person = np.repeat(np.arange(self.p.n), risk.admissions)
        span = np.maximum(expo[person] * (ye - ys), 1)
        start = draw_days(rng, ys, ye, span, "nel")
        hosp = self._acute(rng, person)
        diag, spec = self._nel_diagnosis(rng, person, age)
        los = np.minimum(rng.geometric(1 / (2 + age[person] / 15)), 60) - 1
        los = np.minimum(los, np.maximum(self.p.death[person].astype(np.int64) - start, 0))
        cost = TARIFF["NEL"] * (0.6 + 0.1 * np.minimum(los, 30))
        out["inpatient"].append(
            make_events(
                person,
                start,
                start + los,
                self.acute_site[hosp],
                self.acute_prov[hosp],
                METHOD["emergency"],
                POD["NEL"],
                spec,
                diag,
                -1,
                cost,
            )
        )
        via_ae = rng.random(len(person)) < 0.7
        ae_p, ae_s, ae_h = person[via_ae], start[via_ae], hosp[via_ae]
        by_amb = rng.random(len(ae_p)) < 0.5
        out["ae"].append(self._ae_rows(rng, ae_p, ae_s, ae_h, diag[via_ae]))
        out["ambulance"].append(self._amb_rows(ae_p[by_amb], ae_s[by_amb], "SEE_CONVEY"))
        # other A&E attendances
        shape = np.interp(
            age,
            [0, 1, 5, 15, 20, 30, 50, 70, 80, 90, 99],
            [1.6, 1.2, 0.6, 0.8, 1.1, 0.9, 0.8, 1.0, 1.5, 2.2, 2.5],
        )
        lam = shape * np.exp(0.3 * self.p.latent + 0.15 * self.p.imd_z) * (1 + 0.15 * self.ncond)
        need = max(self.cfg.ae_per_1000 / 1000 * expo.sum() - via_ae.sum(), 0)
        lam *= need / max((lam * expo).sum(), 1e-9)
        ap, ast = self._draw(rng, lam, ys, ye, expo, "ae")
        ah = self._acute(rng, ap)
        adiag = DIAGNOSES.ids(AE_DIAGNOSES)[rng.integers(0, len(AE_DIAGNOSES), len(ap))]
        out["ae"].append(self._ae_rows(rng, ap, ast, ah, adiag))
        conv = rng.random(len(ap)) < 0.15
        out["ambulance"].append(self._amb_rows(ap[conv], ast[conv], "SEE_CONVEY"))
        # ambulance incidents without conveyance (~40% of incidents)
        n_conv = int(by_amb.sum() + conv.sum())
        lam2 = lam * (n_conv * 0.67) / max((lam * expo).sum(), 1e-9)
        np_, nst = self._draw(rng, lam2, ys, ye, expo, "ambulance")
        hear = rng.random(len(np_)) < 0.4
        out["ambulance"].append(self._amb_rows(np_[~hear], nst[~hear], "SEE_TREAT"))
        out["ambulance"].append(self._amb_rows(np_[hear], nst[hear], "HEAR_TREAT"))
        out["inpatient"].append(self._elective(rng, age, ys, ye, expo))
        out["inpatient"].append(self._maternity(rng, age, ys, ye, expo))
        out["outpatient"].append(self._outpatient(rng, age, ys, ye, expo))
        out["gp"].append(gp_events(self, rng, age, ys, ye, expo))
        out["community"].append(community_events(self, rng, age, ys, ye, expo))
        out["social_care"].append(social_care_events(self, rng, t, age, ys, ye, expo))
        return {k: Events.concat(v) for k, v in out.items()}

    def _nel_diagnosis(self, rng, person, age):
        a = age[person]
        w = np.zeros((len(person), len(NEL_DIAGNOSES)))
        for j, (_, _, base, lo, hi, cond) in enumerate(NEL_DIAGNOSES):
            wj = base * ((a >= lo) & (a <= hi))
            if cond is not None:
                wj = wj * np.where(self.cond.has[person, C[cond]], 6.0, 1.0)
            w[:, j] = wj
        w[w.sum(axis=1) == 0, 0] = 1.0
        cum = np.cumsum(w, axis=1)
        pick = (cum < rng.random(len(person))[:, None] * cum[:, -1:]).sum(axis=1)
        diag = DIAGNOSES.ids([d[0] for d in NEL_DIAGNOSES])[pick]
        spec = SPECIALTIES.ids([d[1] for d in NEL_DIAGNOSES])[pick]
        spec = np.where(
            a < 16,
            SPECIALTIES["420"],
            np.where((a >= 80) & (spec == SPECIALTIES["300"]), SPECIALTIES["430"], spec),
        )
        return diag, spec

    def _ae_rows(self, rng, person, start, hosp, diag) -> Events:
        cost = TARIFF["AE"] * rng.uniform(0.7, 1.5, len(person))
        return make_events(
            person,
            start,
            start,
            self.acute_site[hosp],
            self.acute_prov[hosp],
            -1,
            POD["AE"],
            SPECIALTIES["180"],
            diag,
            -1,
            cost.round(2),
        )

    def _amb_rows(self, person, start, pod: str) -> Events:
        st = self.near_station[self.p.area[person]]
        return make_events(
            person,
            start,
            start,
            self.station_site[st],
            self.amb_prov,
            -1,
            POD[pod],
            -1,
            -1,
            -1,
            TARIFF[pod],
        )

    def _elective(self, rng, age, ys, ye, expo) -> Events:
        shape = np.interp(
            age, [0, 20, 40, 60, 70, 80, 90, 99], [0.2, 0.4, 0.8, 1.5, 2.2, 2.2, 1.2, 0.6]
        )
        lam = shape * (1 + 0.1 * self.ncond)
        lam *= 0.16 * expo.sum() / max((lam * expo).sum(), 1e-9)
        person, start = self._draw(rng, lam, ys, ye, expo, "elective")
        a, female = age[person], self.p.sex[person] == 1
        w = np.stack(
            [
                wt * (a >= mina) * (female if spec == "502" else 1)
                for spec, _, _, wt, _, mina in ELECTIVE_PROCEDURES
            ],
            axis=1,
        )
        w[w.sum(axis=1) == 0, 0] = 1.0
        cum = np.cumsum(w, axis=1)
        pick = (cum < rng.random(len(person))[:, None] * cum[:, -1:]).sum(axis=1)
        proc = np.array(ELECTIVE_PROCEDURES, dtype=object)
        daycase = rng.random(len(person)) < proc[pick, 4].astype(float)
        spec = SPECIALTIES.ids(proc[:, 0])[pick]
        hub_ok = np.isin(proc[pick, 0], ["110", "130", "100"]) & (rng.random(len(person)) < 0.4)
        hosp = self._acute(rng, person)
        hub = self.near_hub[self.p.area[person]]
        site = np.where(hub_ok, self.hub_site[hub], self.acute_site[hosp])
        prov = np.where(hub_ok, self.hub_prov[hub], self.acute_prov[hosp])
        los = np.where(daycase, 0, rng.integers(1, 6, len(person)))
        cost = np.where(daycase, TARIFF["DC"], TARIFF["EL"]) * rng.uniform(0.8, 1.3, len(person))
        return make_events(
            person,
            start,
            start + los,
            site,
            prov,
            METHOD["elective"],
            np.where(daycase, POD["DC"], POD["EL"]),
            spec,
            DIAGNOSES.ids(proc[:, 2])[pick],
            PROCEDURES.ids(proc[:, 1])[pick],
            cost.round(2),
        )

    def _maternity(self, rng, age, ys, ye, expo) -> Events:
        women = (self.p.sex == 1) & (age >= 15) & (age <= 44)
        lam = np.where(women, np.exp(-(((age - 31) / 6.0) ** 2)), 0.0)
        lam *= 0.055 * (women * expo).sum() / max((lam * expo).sum(), 1e-9)
        person, start = self._draw(rng, lam, ys, ye, expo, "maternity")
        hosp = self._acute(rng, person)
        los = rng.integers(0, 4, len(person))
        return make_events(
            person,
            start,
            start + los,
            self.acute_site[hosp],
            self.acute_prov[hosp],
            METHOD["maternity"],
            POD["MAT"],
            SPECIALTIES["501"],
            DIAGNOSES["O800"],
            PROCEDURES["R249"],
            TARIFF["MAT"],
        )

    def _outpatient(self, rng, age, ys, ye, expo) -> Events:
        shape = np.interp(age, [0, 15, 40, 60, 75, 85, 99], [0.6, 0.5, 0.8, 1.3, 1.8, 1.7, 1.3])
        lam = shape * (1 + 0.3 * self.ncond)
        lam *= self.cfg.outpatient_per_person * expo.sum() / max((lam * expo).sum(), 1e-9)
        person, start = self._draw(rng, lam, ys, ye, expo, "outpatient")
        w = np.array([s[2] for s in OUTPATIENT_SPECIALTIES])
        pick = rng.choice(len(w), len(person), p=w / w.sum())
        spec = SPECIALTIES.ids([s[0] for s in OUTPATIENT_SPECIALTIES])[pick]
        diag = DIAGNOSES.ids([s[1] for s in OUTPATIENT_SPECIALTIES])[pick]
        # 40% of a person's appointments follow up their main long-term condition
        own = self.op_condition[person]
        follow = (own >= 0) & (rng.random(len(person)) < 0.4)
        spec = np.where(follow, OP_CONDITION_SPEC[np.maximum(own, 0)], spec)
        diag = np.where(follow, OP_CONDITION_DIAG[np.maximum(own, 0)], diag)
        spec = np.where(age[person] < 16, SPECIALTIES["420"], spec)
        first = rng.random(len(person)) < 0.3
        hosp = self._acute(rng, person)
        cost = np.where(first, TARIFF["OPFA"], TARIFF["OPFU"])
        return make_events(
            person,
            start,
            start,
            self.acute_site[hosp],
            self.acute_prov[hosp],
            -1,
            np.where(first, POD["OPFA"], POD["OPFU"]),
            spec,
            diag,
            -1,
            cost,
        )

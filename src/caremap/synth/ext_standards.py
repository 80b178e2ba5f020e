"""Synthetic clinical process data for the national service standards, with planted failures.

* ``trauma_process``: every trauma incident (from the trauma extension) conveyed to a
  hospital: the most severely injured (ISS > 15) mostly to the major trauma centre, the rest
  to the nearest hospital with an emergency department, some transferred on. Process times
  vary by site around levels typical of the national trauma audit (TARN); 30-day deaths
  follow a case-mix logistic model in age, ISS and GCS, with a site effect.
* ``site_process_month``: monthly measures for surgical hubs (theatre utilisation, day-case
  rate, on-the-day cancellations, ring-fenced bed-days) and community diagnostic centres
  (opening hours, 6-week waits, tests); day-case denominators follow the hub's activity.
* ``derogation``: one live derogation for a planted failure and one expired.
* ``truth.standards_failure``: the planted failures (site, service, criterion), for
  evaluation: a major trauma centre slow to CT, a trauma unit without rehabilitation
  prescriptions, a hub with low theatre utilisation, a diagnostic centre with long waits and
  short hours, and one hospital with excess trauma mortality.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
from scipy.spatial import cKDTree

from caremap.synth.extensions import SynthContext, synth_extension


def _caps(ctx: SynthContext) -> dict[str, set[str]]:
    cap = ctx.tables["site_capability"]
    out: dict[str, set[str]] = {}
    for s, c in zip(cap.column("site_code").to_pylist(), cap.column("capability").to_pylist(),
                    strict=True):  # fmt: skip
        out.setdefault(s, set()).add(c)
    return out


def _lognormal(rng, median: float, sigma: float, n: int) -> np.ndarray:
    return np.round(median * np.exp(rng.normal(0, sigma, n)), 1)


def _trauma(ctx: SynthContext, rng, failures: list[dict]) -> pa.Table | None:
    inc = ctx.tables.get("trauma_incident")
    site = ctx.tables["site"]
    caps = _caps(ctx)
    codes = np.array(site.column("site_code").to_pylist(), dtype=object)
    prov = np.array(site.column("provider_code").to_pylist(), dtype=object)
    xy = np.c_[site.column("easting").to_numpy(zero_copy_only=False),
               site.column("northing").to_numpy(zero_copy_only=False)].astype(float)  # fmt: skip
    ed = np.array([("ae" in caps.get(c, set())) for c in codes])
    mtc = np.array([("major_trauma_centre" in caps.get(c, set())) for c in codes])
    if inc is None or inc.num_rows == 0 or not ed.any():
        return None
    n = inc.num_rows
    ixy = np.c_[inc.column("easting").to_numpy(zero_copy_only=False),
                inc.column("northing").to_numpy(zero_copy_only=False)].astype(float)  # fmt: skip
    iss = np.asarray(inc.column("iss").to_numpy(zero_copy_only=False), dtype=float)
    age = np.asarray(inc.column("age").to_numpy(zero_copy_only=False), dtype=float)
    sex = np.array(inc.column("sex").to_pylist(), dtype=object)
    t_inc = inc.column("incident_time").to_pylist()
    ed_idx = np.flatnonzero(ed)  # distances to hospitals with an ED only
    dest = ed_idx[cKDTree(xy[ed_idx]).query(ixy)[1]]
    if mtc.any():
        mtc_idx = np.flatnonzero(mtc)
        nearest_mtc = mtc_idx[cKDTree(xy[mtc_idx]).query(ixy)[1]]
        to_mtc = (iss > 15) & (rng.random(n) < 0.8)
        dest = np.where(to_mtc, nearest_mtc, dest)
    at_mtc = mtc[dest]

    ed_sites = sorted(set(codes[ed]))
    mtc_sites = sorted(set(codes[mtc]))
    tu_sites = [s for s in ed_sites if s not in mtc_sites]
    # site-level process levels, with realistic variation
    lvl = {s: dict(team=rng.uniform(0.85, 0.97) if s in mtc_sites else rng.uniform(0.6, 0.85),
                   ct=rng.uniform(22, 35), airway=rng.uniform(12, 20), txa=rng.uniform(55, 90),
                   rehab=rng.uniform(0.88, 0.98), transfer=rng.uniform(70, 100),
                   death=rng.normal(0, 0.15)) for s in ed_sites}  # fmt: skip
    if mtc_sites:
        s = mtc_sites[int(rng.integers(len(mtc_sites)))]
        lvl[s]["ct"] = 95.0
        failures.append(dict(site_code=s, service="mtc", criterion_id="ct_reduced_consciousness",
                             description="planted: median arrival-to-CT about 95 minutes"))  # fmt: skip
    if tu_sites:
        s = tu_sites[int(rng.integers(len(tu_sites)))]
        lvl[s]["rehab"] = 0.45
        failures.append(dict(site_code=s, service="trauma_unit",
                             criterion_id="rehabilitation_prescription",
                             description="planted: rehabilitation prescriptions for 45%"))  # fmt: skip
    bad = ed_sites[int(rng.integers(len(ed_sites)))]
    lvl[bad]["death"] = 1.0
    failures.append(dict(site_code=bad, service="outcomes", criterion_id="trauma_30d_mortality",
                         description="planted: 30-day mortality odds x2.7 after case mix"))  # fmt: skip

    dsite = codes[dest]
    get = np.vectorize(lambda s, k: lvl[s][k], otypes=[float])
    head = rng.random(n) < np.where(iss > 15, 0.35, np.where(iss > 8, 0.12, 0.02))
    gcs = np.where(head, rng.integers(3, 13, n), rng.integers(13, 16, n)).astype(int)
    team = rng.random(n) < get(dsite, "team")
    ct_done = rng.random(n) < np.where((gcs < 13) | (iss > 15), 0.97, 0.5)
    ct = np.where(ct_done, _lognormal(rng, 1.0, 0.45, n) * get(dsite, "ct"), np.nan)
    airway_needed = (gcs <= 8) & (rng.random(n) < 0.8)
    airway = np.where(airway_needed, _lognormal(rng, 1.0, 0.5, n) * get(dsite, "airway"), np.nan)
    txa_needed = rng.random(n) < np.where(iss > 15, 0.3, np.where(iss > 8, 0.05, 0.0))
    txa = np.where(txa_needed, _lognormal(rng, 1.0, 0.4, n) * get(dsite, "txa"), np.nan)
    rehab = (iss > 8) & (rng.random(n) < get(dsite, "rehab"))
    transferred = (~at_mtc) & (iss > 15) & (rng.random(n) < 0.7) & bool(mtc.any())
    transfer = np.where(transferred, _lognormal(rng, 1.0, 0.35, n) * get(dsite, "transfer"), np.nan)
    lp = -7.5 + 0.045 * age + 0.07 * iss + 0.25 * (15 - gcs) + get(dsite, "death")
    died = rng.random(n) < 1 / (1 + np.exp(-lp))
    arrive = [t + timedelta(minutes=int(m)) for t, m in zip(t_inc, rng.integers(25, 95, n),
                                                               strict=True)]  # fmt: skip

    def opt(a: np.ndarray) -> pa.Array:
        return pa.array([None if np.isnan(v) else round(float(v), 1) for v in a], pa.float64())

    return pa.table({
        "process_id": pa.array([f"TP{k + 1:07d}" for k in range(n)]),
        "incident_id": inc.column("incident_id"),
        "site_code": pa.array(dsite.tolist(), pa.string()),
        "provider_code": pa.array(prov[dest].tolist(), pa.string()),
        "arrival_time": pa.array(arrive, pa.timestamp("us")),
        "age": pa.array(age.astype(np.int32)),
        "sex": pa.array(sex.tolist(), pa.string()),
        "iss": pa.array(iss.astype(np.int32)),
        "gcs": pa.array(gcs.astype(np.int32)),
        "trauma_team_consultant": pa.array(team),
        "ct_minutes": opt(ct),
        "airway_needed": pa.array(airway_needed),
        "airway_minutes": opt(airway),
        "txa_needed": pa.array(txa_needed),
        "txa_minutes": opt(txa),
        "rehab_prescription": pa.array(rehab),
        "transferred_to_mtc": pa.array(transferred),
        "transfer_minutes": opt(transfer),
        "died_30d": pa.array(died),
    })  # fmt: skip


def _months(ctx: SynthContext) -> list[date]:
    out, d = [], date(ctx.start_date.year, ctx.start_date.month, 1)
    while d <= ctx.end_date:
        out.append(d)
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out


def _site_months(ctx: SynthContext, rng, failures: list[dict]) -> pa.Table:
    site = ctx.tables["site"]
    codes = site.column("site_code").to_pylist()
    types = site.column("site_type").to_pylist()
    hubs = sorted(c for c, t in zip(codes, types, strict=True) if t == "surgical_hub")
    cdcs = sorted(c for c, t in zip(codes, types, strict=True) if t == "diagnostic_centre")
    months = _months(ctx)
    dc: dict[tuple[str, int], float] = {}
    if ctx.activity_summary is not None:
        for r in ctx.activity_summary.to_pylist():
            if r["site_code"] in hubs and r["point_of_delivery"] in ("DC", "EL"):
                key = (r["site_code"], int(r["year"]))
                dc[key] = dc.get(key, 0.0) + float(r["count"] or 0)
    rows = []
    bad_hub = hubs[int(rng.integers(len(hubs)))] if hubs else None
    bad_cdc = cdcs[int(rng.integers(len(cdcs)))] if cdcs else None
    for h in hubs:
        util = 0.72 if h == bad_hub else rng.uniform(0.85, 0.92)
        dcr, canc, ring = rng.uniform(0.86, 0.93), rng.uniform(0.004, 0.015), rng.uniform(0.96, 1)
        for m in months:
            planned = float(rng.integers(30, 42) * 4 * 240)  # sessions x theatres x minutes
            eligible = max(20.0, dc.get((h, m.year), 1200.0) / 12 * rng.normal(1, 0.05))
            sched = float(rng.integers(350, 500))
            beds = float(rng.integers(250, 400))
            for measure, num, den in (
                ("theatre_utilisation", planned * min(1, util + rng.normal(0, 0.02)), planned),
                ("day_case_rate", round(eligible * min(1, dcr + rng.normal(0, 0.02))), round(eligible)),
                ("on_the_day_cancellation", float(rng.binomial(int(sched), canc)), sched),
                ("ringfenced_bed_days", round(beds * min(1, ring + rng.normal(0, 0.01))), beds),
            ):  # fmt: skip
                rows.append((h, m, measure, float(num), float(den)))
    for c in cdcs:
        breach = 0.15 if c == bad_cdc else rng.uniform(0.01, 0.04)
        hours = 60.0 if c == bad_cdc else 84.0
        per_year = rng.uniform(30_000, 60_000)
        for m in months:
            weeks = ((date(m.year + (m.month == 12), m.month % 12 + 1, 1) - m).days) / 7
            waiting = float(rng.integers(600, 1200))
            rows += [
                (c, m, "opening_hours", hours * weeks, weeks),
                (c, m, "six_week_breach", float(rng.binomial(int(waiting), breach)), waiting),
                (c, m, "tests_performed", float(rng.poisson(per_year / 12)), None),
            ]
    if bad_hub:
        failures.append(dict(site_code=bad_hub, service="surgical_hub",
                             criterion_id="theatre_utilisation",
                             description="planted: theatre utilisation about 72%"))  # fmt: skip
    if bad_cdc:
        failures += [
            dict(site_code=bad_cdc, service="cdc", criterion_id="six_week_wait",
                 description="planted: 15% waiting 6 weeks or more"),
            dict(site_code=bad_cdc, service="cdc", criterion_id="opening_hours",
                 description="planted: open 60 hours a week"),
        ]  # fmt: skip
    return pa.Table.from_pylist(
        [dict(site_code=s, month=m, measure=k, numerator=n, denominator=d)
         for s, m, k, n, d in rows],
        schema=pa.schema([("site_code", pa.string()), ("month", pa.date32()),
                          ("measure", pa.string()), ("numerator", pa.float64()),
                          ("denominator", pa.float64())]),
    )  # fmt: skip


def _derogations(ctx: SynthContext, failures: list[dict]) -> pa.Table:
    rows = []
    cdc = [f for f in failures if f["criterion_id"] == "opening_hours"]
    if cdc:
        rows.append(dict(derogation_id="DG001", site_code=cdc[0]["site_code"], service="cdc",
                         criterion_id="opening_hours", granted_date=ctx.start_date,
                         expiry_date=date(ctx.end_date.year + 1, 3, 31),
                         reason="staffing for 7-day opening being recruited"))  # fmt: skip
    ct = [f for f in failures if f["criterion_id"] == "ct_reduced_consciousness"]
    if ct:
        rows.append(dict(derogation_id="DG002", site_code=ct[0]["site_code"], service="mtc",
                         criterion_id="ct_reduced_consciousness", granted_date=ctx.start_date,
                         expiry_date=date(ctx.start_date.year + 1, 3, 31),
                         reason="CT scanner replacement (expired)"))  # fmt: skip
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema([("derogation_id", pa.string()), ("site_code", pa.string()),
                          ("service", pa.string()), ("criterion_id", pa.string()),
                          ("granted_date", pa.date32()), ("expiry_date", pa.date32()),
                          ("reason", pa.string())]),
    )  # fmt: skip


@synth_extension("standards", order=75)
def standards_process(ctx: SynthContext) -> dict[str, pa.Table]:
    """Trauma audit, hub and diagnostic-centre measures, derogations and planted failures."""
    rng = ctx.rng("standards")
    failures: list[dict] = []
    out: dict[str, pa.Table] = {}
    trauma = _trauma(ctx, rng, failures)
    if trauma is not None:
        out["trauma_process"] = trauma
    out["site_process_month"] = _site_months(ctx, rng, failures)
    out["derogation"] = _derogations(ctx, failures)
    out["truth.standards_failure"] = pa.Table.from_pylist(
        failures,
        schema=pa.schema([("site_code", pa.string()), ("service", pa.string()),
                          ("criterion_id", pa.string()), ("description", pa.string())]),
    )  # fmt: skip
    return out

"""Synthetic referral-to-treatment pathways by provider and specialty (``waiting_pathway``).

Each acute trust runs one waiting list per specialty. Referrals arrive as a Poisson
process at a rate set from the population (about 0.35 consultant-led RTT referrals per
person a year: roughly 20 million a year in England, NHS England RTT statistics), split
between specialties and between trusts by size. Each list starts with a backlog and is
served first come, first served by a weekly capacity that is a little below or above demand,
so some lists grow and some clear; urgent referrals are seen within a few weeks, and a
small weekly share of waiters is removed without treatment (validation, choice, death).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa

from caremap.synth.extensions import SynthContext, synth_extension

REFERRALS_PER_PERSON_YEAR = 0.35
SPECIALTIES = {  # treatment function code -> share of referrals
    "100": 0.10,  # general surgery
    "101": 0.06,  # urology
    "110": 0.14,  # trauma and orthopaedics
    "120": 0.09,  # ENT
    "130": 0.13,  # ophthalmology
    "300": 0.08,  # general internal medicine
    "320": 0.08,  # cardiology
    "330": 0.10,  # dermatology
    "502": 0.12,  # gynaecology
    "340": 0.10,  # respiratory medicine
}
URGENT_SHARE = 0.15
WITHDRAWAL_PER_WEEK = 0.004


def _acute(ctx: SynthContext) -> list[tuple[str, str | None, float]]:
    prov = ctx.tables.get("provider")
    site = ctx.tables.get("site")
    if prov is None:
        return []
    codes = [
        c
        for c, t in zip(
            prov.column("provider_code").to_pylist(),
            prov.column("provider_type").to_pylist(),
            strict=True,
        )
        if t == "acute_trust"
    ]
    main, weight = {}, {}
    if site is not None:
        beds = site.column("beds").to_pylist() if "beds" in site.column_names else None
        for i, (s, p, t) in enumerate(
            zip(
                site.column("site_code").to_pylist(),
                site.column("provider_code").to_pylist(),
                site.column("site_type").to_pylist(),
                strict=True,
            )
        ):
            if t == "acute_hospital" and p in codes:
                main.setdefault(p, s)
                weight[p] = weight.get(p, 0) + float((beds[i] if beds else None) or 400)
    return [(c, main.get(c), weight.get(c, 400.0)) for c in codes]


def _serve(
    rng: np.random.Generator, arrive: np.ndarray, weeks: int, capacity: float
) -> tuple[np.ndarray, np.ndarray]:
    """First come, first served: week of treatment and week of removal (NaN if none)."""
    n = len(arrive)
    withdraw = arrive + rng.geometric(WITHDRAWAL_PER_WEEK, n)
    treated = np.full(n, np.nan)
    ptr = 0
    for t in range(weeks):
        cap = rng.poisson(capacity)
        while cap > 0 and ptr < n and arrive[ptr] <= t:
            if withdraw[ptr] >= t:
                treated[ptr] = t
                cap -= 1
            ptr += 1
    removed = np.where(np.isnan(treated) & (withdraw < weeks), withdraw, np.nan)
    return treated, removed


def waiting_pathways(ctx: SynthContext) -> dict[str, pa.Table]:
    rng = ctx.rng("waiting_pathway")
    acute = _acute(ctx)
    if not acute:
        return {}
    weeks = (ctx.end_date - ctx.start_date).days // 7 + 1
    per_week = ctx.population * REFERRALS_PER_PERSON_YEAR / 52
    total_w = sum(w for _, _, w in acute)
    cols: dict[str, list] = {
        k: []
        for k in (
            "provider_code",
            "site_code",
            "specialty",
            "priority",
            "referral_date",
            "clock_stop_date",
            "stop_reason",
        )
    }
    for prov, site, w in acute:
        for spec, share in SPECIALTIES.items():
            demand = per_week * share * w / total_w
            if demand <= 0:
                continue
            ratio = rng.uniform(0.9, 1.1)
            backlog = rng.poisson(demand * rng.uniform(8, 30))
            start_ages = np.sort(rng.exponential(12.0, backlog))[::-1]
            span = (ctx.end_date - ctx.start_date).days / 7
            arrivals = np.sort(rng.uniform(0, span, rng.poisson(demand * span)))
            arrive = np.concatenate([-start_ages, arrivals])
            urgent = rng.random(len(arrive)) < URGENT_SHARE
            routine_idx = np.flatnonzero(~urgent)
            treated = np.full(len(arrive), np.nan)
            removed = np.full(len(arrive), np.nan)
            t_r, r_r = _serve(
                rng, np.floor(arrive[routine_idx]), weeks, demand * (1 - URGENT_SHARE) * ratio
            )
            treated[routine_idx] = t_r + rng.uniform(0, 1, len(t_r))
            removed[routine_idx] = r_r + rng.uniform(0, 1, len(r_r))
            u = np.flatnonzero(urgent)
            seen = arrive[u] + rng.exponential(2.5, len(u))
            treated[u] = np.where(seen < weeks, seen, np.nan)
            stop = np.where(np.isnan(treated), removed, treated)
            reason = np.where(
                ~np.isnan(treated), "treated", np.where(~np.isnan(removed), "removed", None)
            )
            ref_dates = [ctx.start_date + timedelta(days=int(np.floor(a * 7))) for a in arrive]
            stop_dates = [
                None
                if np.isnan(s)
                else max(ctx.start_date + timedelta(days=int(np.floor(s * 7))), r)
                for s, r in zip(stop, ref_dates, strict=True)
            ]
            stop_dates = [None if d is not None and d > ctx.end_date else d for d in stop_dates]
            reason = [None if d is None else r for d, r in zip(stop_dates, reason, strict=True)]
            n = len(arrive)
            cols["provider_code"] += [prov] * n
            cols["site_code"] += [site] * n
            cols["specialty"] += [spec] * n
            cols["priority"] += np.where(urgent, "urgent", "routine").tolist()
            cols["referral_date"] += ref_dates
            cols["clock_stop_date"] += stop_dates
            cols["stop_reason"] += reason
    n = len(cols["provider_code"])
    table = pa.table(
        {
            "pathway_id": [f"WP{i + 1:08d}" for i in range(n)],
            **{k: v for k, v in cols.items() if k not in ("referral_date", "clock_stop_date")},
            "referral_date": pa.array(cols["referral_date"], pa.date32()),
            "clock_stop_date": pa.array(cols["clock_stop_date"], pa.date32()),
        }
    )
    return {"waiting_pathway": table}


synth_extension("waiting_pathway", order=65)(waiting_pathways)

"""Synthetic monthly performance of elective surgical hubs and community diagnostic centres.

Every hub and CDC of the economy gets a monthly return (sessions planned and used,
procedures or tests, bookings, on-the-day cancellations, waiting list and long waiters),
and so does a national benchmark panel of peer sites in the other ICSs (42 in all), so a
system can compare its sites with every ICS as NHS England's published returns allow.

Performance varies between ICSs (a random ICS effect on the logit scale) and a little
between sites within an ICS; a few sites per indicator are set apart on purpose, better
or worse, and recorded in ``truth.performance_outlier`` so that detection can be measured.

The economy's own hubs and CDCs are sized for the region: a hub's monthly procedures are
the elective and day-case activity the economy's activity table places at it (its yearly
count split over the year's months), and a CDC's tests follow the region's population at
England's rate (about 139,000 CDC tests in August 2023 for 57 million people, 0.0024 a head
a month: The King's Fund, "Two years on, how are community diagnostic centres doing?",
2023), shared between the region's CDCs; their sessions follow from the activity. The
national benchmark sites keep national sizes.

Levels are anchored on published figures: theatre utilisation around 80-85% (NHS England
Model Health System, capped theatre utilisation), on-the-day cancellations for
non-clinical reasons around 1% of elective admissions rising to several per cent of booked
cases, and about a quarter of diagnostic waiters over six weeks in 2022 (DM01).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from caremap.synth.extensions import SynthContext, synth_extension

N_ICS = 42
BASE = {  # site type -> (utilisation, cancellation rate, long-wait share, per session)
    "surgical_hub": (0.82, 0.04, 0.30, 3.5),
    "diagnostic_centre": (0.85, 0.03, 0.25, 12.0),
}
ICS_SD = 0.25  # between-ICS spread on the logit scale
SITE_SD = 0.08  # between sites within an ICS
OUTLIER_EFFECT = 1.2
CDC_TESTS_PER_HEAD_MONTH = 139_000 / 57.1e6  # King's Fund 2023; ONS mid-2022 England
INDICATORS = ("utilisation", "cancellation_rate", "long_wait_share")
BETTER_SIGN = {"utilisation": 1, "cancellation_rate": -1, "long_wait_share": -1}


def _expit(x):
    return 1 / (1 + np.exp(-x))


def _logit(p):
    return np.log(p / (1 - p))


def months(start: date, end: date) -> list[date]:
    out, y, m = [], start.year, start.month
    while date(y, m, 1) <= end:
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _sites(ctx: SynthContext, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The economy's hubs and CDCs, then peers so that 42 ICSs are covered."""
    code, kind, prov, ics, peer = [], [], [], [], []
    site = ctx.tables.get("site")
    provider = ctx.tables.get("provider")
    local_ics: list[str] = []
    if ctx.tables.get("ics") is not None:
        local_ics = [str(x) for x in ctx.tables["ics"].column("ics_code").to_pylist()]
    if site is not None:
        p_ics = {}
        if provider is not None:
            p_ics = dict(
                zip(
                    provider.column("provider_code").to_pylist(),
                    provider.column("ics_code").to_pylist(),
                    strict=True,
                )
            )
        for s, t, p in zip(
            site.column("site_code").to_pylist(),
            site.column("site_type").to_pylist(),
            site.column("provider_code").to_pylist(),
            strict=True,
        ):
            if t in BASE:
                code.append(s)
                kind.append(t)
                prov.append(p)
                ics.append(p_ics.get(p) or (local_ics[0] if local_ics else "X54000001"))
                peer.append(False)
    for i in range(max(0, N_ICS - len(local_ics))):
        ics_code = f"XP{i + 1:07d}"
        for t, (lo, hi), tag in (("surgical_hub", (1, 4), "H"), ("diagnostic_centre", (2, 5), "D")):
            for k in range(int(rng.integers(lo, hi + 1))):
                code.append(f"XP{i + 1:02d}{tag}{k + 1}")
                kind.append(t)
                prov.append(f"XP{i + 1:02d}T")
                ics.append(ics_code)
                peer.append(True)
    return {
        "site_code": np.array(code, dtype=object),
        "site_type": np.array(kind, dtype=object),
        "provider_code": np.array(prov, dtype=object),
        "ics_code": np.array(ics, dtype=object),
        "peer": np.array(peer, dtype=bool),
    }


def hub_performance(ctx: SynthContext) -> dict[str, pa.Table]:
    rng = ctx.rng("hub_performance")
    s = _sites(ctx, rng)
    n = len(s["site_code"])
    if n == 0:
        return {}
    ics_names, ics_idx = np.unique(s["ics_code"], return_inverse=True)
    effect = {
        ind: rng.normal(0, ICS_SD, len(ics_names))[ics_idx] + rng.normal(0, SITE_SD, n)
        for ind in INDICATORS
    }
    # planted outliers: about 3% of sites per indicator, at least one each way when >= 20
    truth = {"site_code": [], "indicator": [], "direction": [], "effect": []}
    n_out = max(2, round(0.03 * n)) if n >= 20 else 0
    for ind in INDICATORS:
        chosen = rng.choice(n, size=n_out, replace=False)
        for j, site in enumerate(chosen):
            better = j % 2 == 0
            shift = OUTLIER_EFFECT * BETTER_SIGN[ind] * (1 if better else -1)
            effect[ind][site] += shift
            truth["site_code"].append(s["site_code"][site])
            truth["indicator"].append(ind)
            truth["direction"].append("better" if better else "worse")
            truth["effect"].append(shift)
    ms = months(ctx.start_date, ctx.end_date)
    nm = len(ms)
    base = np.array([BASE[t] for t in s["site_type"]])
    size = np.where(
        s["site_type"] == "surgical_hub", rng.integers(60, 200, n), rng.integers(120, 400, n)
    )
    season = 0.08 * np.cos(2 * np.pi * (np.array([m.month for m in ms]) - 1) / 12)
    planned = rng.poisson(np.outer(size, 1 + 0.05 * np.sin(np.arange(nm)))).clip(1)
    util = _expit(
        _logit(base[:, [0]])
        + effect["utilisation"][:, None]
        + season[None, :]
        + rng.normal(0, 0.05, (n, nm))
    )
    used = rng.binomial(planned, util)
    activity = rng.poisson(used * base[:, [3]])
    p_cancel = _expit(
        _logit(base[:, [1]])
        + effect["cancellation_rate"][:, None]
        - season[None, :]
        + rng.normal(0, 0.05, (n, nm))
    )
    booked = np.maximum(np.round(activity / (1 - p_cancel)).astype(int), 1)
    cancelled = rng.binomial(booked, p_cancel)
    waiting = rng.poisson(activity * rng.uniform(2.0, 4.0, n)[:, None]).clip(1)
    p_long = _expit(
        _logit(base[:, [2]]) + effect["long_wait_share"][:, None] + rng.normal(0, 0.05, (n, nm))
    )
    over = rng.binomial(waiting, p_long)
    own = ~s["peer"]
    if own.any():
        planned, used, activity, booked, cancelled, waiting, over = _size_own_sites(
            ctx, s, ms, own, base, util, p_cancel, p_long,
            (planned, used, activity, booked, cancelled, waiting, over),
        )  # fmt: skip
    rep = lambda a: np.repeat(a, nm)  # noqa: E731
    perf = pa.table(
        {
            "site_code": rep(s["site_code"]),
            "site_type": rep(s["site_type"]),
            "provider_code": rep(s["provider_code"]),
            "ics_code": rep(s["ics_code"]),
            "peer": rep(s["peer"]),
            "month": np.tile(np.array(ms, dtype="datetime64[D]"), n),
            "sessions_planned": planned.ravel().astype(np.int32),
            "sessions_used": used.ravel().astype(np.int32),
            "activity": activity.ravel().astype(np.int32),
            "booked": booked.ravel().astype(np.int32),
            "cancelled_on_day": cancelled.ravel().astype(np.int32),
            "waiting": waiting.ravel().astype(np.int32),
            "waiting_over_target": over.ravel().astype(np.int32),
        }
    )
    out = {"hub_performance_month": perf}
    if truth["site_code"]:
        out["truth.performance_outlier"] = pa.table(truth)
    return out


def _own_activity(ctx: SynthContext, s: dict, ms: list[date], own: np.ndarray) -> np.ndarray:
    """Monthly activity (own sites x months): hubs from the activity table, CDCs by head."""
    rng = ctx.rng("hub_performance:own")
    out = np.zeros((len(s["site_code"]), len(ms)), dtype=np.int64)
    yearly: dict[tuple[str, int], float] = {}
    summ = ctx.activity_summary
    if summ is not None and summ.num_rows:
        for r in summ.select(["site_code", "setting", "year", "count"]).to_pylist():
            if r["setting"] == "inpatient" and r["site_code"]:
                key = (r["site_code"], int(r["year"]))
                yearly[key] = yearly.get(key, 0.0) + float(r["count"] or 0)
    years = np.array([m.year for m in ms])
    is_cdc = own & (s["site_type"] == "diagnostic_centre")
    per_cdc = ctx.population * CDC_TESTS_PER_HEAD_MONTH / max(int(is_cdc.sum()), 1)
    for i in np.flatnonzero(own):
        if is_cdc[i]:
            out[i] = rng.poisson(per_cdc, len(ms))
            continue
        for y in np.unique(years):
            cols = np.flatnonzero(years == y)
            n = round(yearly.get((s["site_code"][i], int(y)), 0.0))
            out[i, cols] = rng.multinomial(n, np.full(len(cols), 1 / len(cols)))
    return out


def _size_own_sites(ctx, s, ms, own, base, util, p_cancel, p_long, arrays):
    """Replace the own sites' rows with activity sized for the region; the sessions,
    bookings and waits follow from it with the same utilisation, cancellation and
    long-wait rates (so planted outliers keep their effect)."""
    rng = ctx.rng("hub_performance:own_rates")
    planned, used, activity, booked, cancelled, waiting, over = (a.copy() for a in arrays)
    act = _own_activity(ctx, s, ms, own)[own]
    u = np.clip(util[own], 0.05, 1.0)
    sess = np.maximum(np.ceil(act / base[own][:, [3]]), 1).astype(np.int64)
    used[own] = sess
    planned[own] = np.maximum(np.round(sess / u), sess).astype(np.int64)
    activity[own] = act
    pc = p_cancel[own]
    booked[own] = np.maximum(np.round(act / (1 - pc)).astype(np.int64), 1)
    cancelled[own] = rng.binomial(booked[own], pc)
    waiting[own] = rng.poisson(np.maximum(act, 1) * rng.uniform(2.0, 4.0, own.sum())[:, None])
    waiting[own] = waiting[own].clip(1)
    over[own] = rng.binomial(waiting[own], p_long[own])
    return planned, used, activity, booked, cancelled, waiting, over


synth_extension("hub_performance", order=60)(hub_performance)

"""Benchmarking of surgical hubs and diagnostic centres across systems: funnels of each site
and each ICS on utilisation, on-the-day cancellations and long waits, SPC of each site
month by month, and the list of candidate best practice with its evidence.

Reads ``hub_performance_month``; writes ``funnel_unit``/``funnel_summary`` (sources
``hubs``, ``hubs_ics`` and ``hubs_provider``), ``spc_point``/``spc_summary`` (source ``hubs_<indicator>``) and
``performance_best_practice``. Aggregation is SQL on the engine.
"""

from __future__ import annotations

import pandas as pd

from caremap.core.workspace import Workspace
from caremap.performance.config import PerformanceConfig
from caremap.performance.funnel import FunnelConfig, funnel_frame
from caremap.performance.spc import POINT_COLUMNS, SpcConfig, spc_frame, write_results

# indicator -> (numerator, denominator, higher is better)
INDICATORS = {
    "utilisation": ("sessions_used", "sessions_planned", True),
    "cancellation_rate": ("cancelled_on_day", "booked", False),
    "long_wait_share": ("waiting_over_target", "waiting", False),
}


def site_indicators_sql(cfg: PerformanceConfig, level: str = "site_code") -> str:
    """Long table: one row per unit (site or ICS), site type and indicator, over the window."""
    parts = []
    for ind, (num, den, _) in INDICATORS.items():
        parts.append(
            f"SELECT '{ind}' AS indicator, site_type, {level} AS unit, "
            f"CAST(sum({num}) AS DOUBLE) AS numerator, CAST(sum({den}) AS DOUBLE) AS denominator "
            f"FROM {cfg.table} WHERE month > (SELECT max(month) FROM {cfg.table}) "
            f"- INTERVAL {cfg.window_months} MONTH GROUP BY site_type, {level}"
        )
    return " UNION ALL ".join(parts)


def _funnels(
    df: pd.DataFrame, cfg: PerformanceConfig, source: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    units, summaries = [], []
    for ind, (_, _, better) in INDICATORS.items():
        sub = df[(df["indicator"] == ind) & (df["denominator"] > 0)]
        if sub.empty:
            continue
        fc = FunnelConfig(
            unit="unit",
            numerator="numerator",
            denominator="denominator",
            by=["indicator", "site_type"],
            data_type="PR",
            adjustment=cfg.adjustment,
            higher_is_better=better,
            flag_limit=cfg.flag_limit,
            fdr=cfg.fdr,
            multiplier=100,
            rank_simulations=cfg.rank_simulations,
            source=source,
        )
        u, s = funnel_frame(sub.sort_values("unit"), fc)
        units.append(u)
        summaries.append(s)
    return pd.concat(units, ignore_index=True), pd.concat(summaries, ignore_index=True)


def benchmark_hubs(ws: Workspace, cfg: PerformanceConfig) -> dict[str, pd.DataFrame]:
    """Benchmark every hub and CDC, every ICS and every provider; write the result tables."""
    ws.require(cfg.table)
    site = ws.df(site_indicators_sql(cfg, "site_code"))
    su, ss = _funnels(site, cfg, "hubs")
    levels = {"hubs_ics": "ics_code", "hubs_provider": "provider_code"}
    more = [_funnels(ws.df(site_indicators_sql(cfg, col)), cfg, src) for src, col in levels.items()]
    best = su[su["label"] == "candidate_best_practice"][
        [
            "funnel",
            "unit",
            "value",
            "target",
            "q_value",
            "rank",
            "rank_lower",
            "rank_upper",
            "evidence",
        ]
    ].rename(columns={"unit": "site_code"})
    out = {
        "funnel_unit": pd.concat([su, *(u for u, _ in more)], ignore_index=True),
        "funnel_summary": pd.concat([ss, *(s for _, s in more)], ignore_index=True),
        "performance_best_practice": best.reset_index(drop=True),
    }
    with ws.transaction():
        for src in ("hubs", *levels):
            write_results(
                ws,
                {
                    "funnel_unit": out["funnel_unit"][out["funnel_unit"]["source"] == src],
                    "funnel_summary": out["funnel_summary"][out["funnel_summary"]["source"] == src],
                },
                src,
            )
        ws.write_table("performance_best_practice", out["performance_best_practice"])
        if cfg.spc:
            monthly = ws.df(f"SELECT * FROM {cfg.table}")
            for ind, (num, den, better) in INDICATORS.items():
                sc = SpcConfig(
                    date="month",
                    numerator=num,
                    denominator=den,
                    group=["site_code"],
                    chart="p",
                    improvement="increase" if better else "decrease",
                    source=f"hubs_{ind}",
                )
                pts, summ, _ = spc_frame(monthly[monthly[den] > 0], sc)
                write_results(ws, {"spc_point": pts[POINT_COLUMNS], "spc_summary": summ}, sc.source)
                out[f"spc_{ind}"] = summ
    return out

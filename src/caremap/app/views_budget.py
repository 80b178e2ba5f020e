"""The pooled budgets page: the four pots against their budgets, the ledger, allocation."""

from __future__ import annotations

import pandas as pd

from caremap.app import charts, sections
from caremap.app.capabilities import PageContext, Section, builder
from caremap.app.glossary import pounds
from caremap.app.names import names_for
from caremap.app.views_services import mark_tables

POT_NAMES = {
    "primary_care": "Primary care",
    "continuing_care": "Continuing care",
    "planned_specialist": "Planned and specialist care",
    "public_health": "Public health",
}


def _budget_question(pots) -> Section:
    answer = []
    if {"budget_pence", "forecast_outturn_pence"} <= set(pots.columns):
        b, f = pots["budget_pence"].sum(), pots["forecast_outturn_pence"].sum()
        gap = b - f
        state = f"{pounds(gap)} under budget" if gap >= 0 else f"{pounds(-gap)} over budget"
        share = f" ({abs(gap) / b:.1%})" if b else ""
        answer.append(f"Budget {pounds(b)}, forecast outturn {pounds(f)}: {state}{share}.")
        p = pots.assign(v=pots["budget_pence"] - pots["forecast_outturn_pence"])
        over = p[p["v"] < 0].sort_values("v")
        for r in over.itertuples():
            answer.append(
                f"{POT_NAMES.get(r.pot, r.pot)} is forecast {pounds(-r.v)} over its "
                f"{pounds(r.budget_pence)} budget ({-r.v / r.budget_pence:.1%})."
            )
    return sections.question(
        "Will each pooled pot end the year within its budget?",
        answer or ["No budget results yet."],
        "Forecast outturn: actual spend to date plus the forecast for the remaining months.",
    )


def _pounds(pence) -> list:
    return [None if pd.isna(v) else float(v) / 100 for v in pence]


@builder("budget")
def budget(ctx: PageContext) -> list[Section]:
    out: list[Section] = []
    nm = names_for(ctx)
    if ctx.has("budget_pot_summary"):
        pots = ctx.frame("budget_pot_summary")
        out.append(_budget_question(pots))
        series = {
            label: _pounds(pots[col])
            for col, label in (
                ("budget_pence", "budget"),
                ("actual_ytd_pence", "spent so far"),
                ("forecast_outturn_pence", "forecast outturn"),
            )
            if col in pots.columns
        }
        out.append(
            ctx.chart(
                "The four pots: budget, spend and forecast (£)",
                charts.grouped_bar("", pots["pot"].astype(str), series, ylabel="£"),
            )
        )
        pots["pot"] = pots["pot"].map(POT_NAMES).fillna(pots["pot"])
        out.append(
            sections.frame_grid(
                "The four pots (£)",
                pots.sort_values("variance_pence") if "variance_pence" in pots else pots,
                list(pots.columns),
                note="Variance is budget minus forecast outturn: negative is an overspend.",
            )
        )
        mark_tables(out, "budget_pot_summary")
    if ctx.has("budget_ledger"):
        led = ctx.frame("budget_ledger", limit=200_000)
        by = (
            led.groupby(["pot", "month"], dropna=False)[
                ["cumulative_budget_pence", "cumulative_spend_pence"]
            ]
            .sum(min_count=1)
            .reset_index()
        )
        series = {}
        for pot, g in by.groupby("pot"):
            series[f"{pot} budget"] = (g["month"].tolist(), _pounds(g["cumulative_budget_pence"]))
            series[f"{pot} spend"] = (g["month"].tolist(), _pounds(g["cumulative_spend_pence"]))
        out.append(
            ctx.chart(
                "Ledger: cumulative budget and spend by pot (£)",
                charts.lines(
                    "", series, ylabel="£", dashed=tuple(k for k in series if k.endswith("budget"))
                ),
            )
        )
        out[-1]["note"] = "Each pot's localities added together: they partition the pot."
        mark_tables(out, "budget_ledger")
    if ctx.has("budget_allocation"):
        al = ctx.frame("budget_allocation")
        if "level" in al:
            al = al[al["level"] == "locality"]
        al["pot"] = al["pot"].map(POT_NAMES).fillna(al["pot"])
        out.append(
            sections.frame_grid(
                "Allocation to localities by weighted capitation",
                al,
                [
                    c
                    for c in (
                        "locality_code",
                        "pot",
                        "registered",
                        "weighted_population",
                        "target_share",
                        "baseline_pence",
                        "allocation_pence",
                    )
                    if c in al
                ],
                names={"locality_code": nm.area},
                links={"locality_code": lambda r: f"/areas/{r['locality_code']}"},
            )
        )
        mark_tables(out, "budget_allocation")
    return out

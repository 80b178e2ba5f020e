"""Pages about services: network design, standards and pooled budgets."""

from __future__ import annotations

import pandas as pd

from caremap.app import charts
from caremap.app.capabilities import BY_SLUG, PageContext, Section, builder, missing
from caremap.app.views_population import choose, option_links

STATUS_SCORE = {"met": 1.0, "no evidence": 0.5, "not met": 0.0}


def mark_tables(sections: list[Section], *tables: str) -> list[Section]:
    """Record that the last section shows ``tables`` (so the page does not repeat them)."""
    if sections:
        sections[-1].setdefault("tables", []).extend(tables)
    return sections


def _pounds(pence) -> list:
    return [None if pd.isna(v) else float(v) / 100 for v in pence]


@builder("network")
def network(ctx: PageContext) -> list[Section]:
    if not ctx.has("network_scenario"):
        return [
            missing(
                BY_SLUG["network"],
                "Network scenarios",
                ("network_scenario", "network_map_area", "network_map_site"),
            )
        ]
    sc = ctx.frame("network_scenario")
    names = sc["scenario"].astype(str).tolist()
    scenario = choose(ctx, "scenario", names, names[0] if names else None)
    out: list[Section] = []
    if ctx.has("network_map_area"):
        area = ctx.frame("network_map_area", where=("scenario", scenario), limit=200_000)
        pts = {
            "easting": area["easting"].tolist(),
            "northing": area["northing"].tolist(),
            "label": (
                area["area_code"].astype(str)
                + ": "
                + area["minutes_to_centre"].round(1).astype(str)
                + " min"
            ).tolist(),
            "value": area["minutes_to_centre"].tolist(),
        }
        layers = []
        if ctx.has("network_map_site"):
            site = ctx.frame("network_map_site", where=("scenario", scenario))
            for i, (role, g) in enumerate(site.groupby("role", sort=True)):
                layers.append(
                    {
                        "name": str(role),
                        "easting": g["easting"].tolist(),
                        "northing": g["northing"].tolist(),
                        "label": g["site_name"].astype(str).tolist(),
                        "symbol": ["star", "diamond", "square"][i % 3],
                        "size": 16 if i == 0 else 11,
                        "color": ["#da291c", "#330072", "#00a499"][i % 3],
                    }
                )
        out.append(
            ctx.chart(
                f"Scenario {scenario}: minutes to the nearest centre",
                charts.map_points("", pts, value_label="minutes", sites=layers),
            )
        )
        mark_tables(out, "network_map_area", "network_map_site")
    within = [
        c
        for c in ("population_within_30", "population_within_45", "population_within_60")
        if c in sc.columns
    ]
    if within:
        out.append(
            ctx.chart(
                "Scenarios side by side: share of people within 30/45/60 minutes",
                charts.grouped_bar(
                    "",
                    names,
                    {c.rsplit("_", 1)[1] + " min": sc[c].tolist() for c in within},
                    ylabel="share of population",
                ),
            )
        )
    keep = [
        c
        for c in (
            "scenario",
            "centres",
            "n_centres",
            "status",
            "gap",
            "mean_minutes_population",
            *within,
            "expected_deaths",
        )
        if c in sc.columns
    ]
    out.append(ctx.table("Scenarios", sc[keep]))
    mark_tables(out, "network_scenario")
    if ctx.has("network_access"):
        acc = ctx.frame("network_access", where=("scenario", scenario))
        dec = acc[acc["group_type"] == "imd_decile"]
        if len(dec):
            out.append(
                ctx.chart(
                    f"Scenario {scenario}: access by deprivation decile",
                    charts.bar(
                        "",
                        dec["group_value"].astype(str),
                        dec["mean_minutes"],
                        xlabel="IMD decile (1 = most deprived)",
                        ylabel="mean minutes",
                    ),
                )
            )
        out.append(ctx.table(f"Access, scenario {scenario}", acc))
        mark_tables(out, "network_access")
    if ctx.has("network_site_volume"):
        vol = ctx.frame("network_site_volume", where=("scenario", scenario))
        if len(vol):
            agg = (
                vol.groupby(["site_code", "policy"], dropna=False)["arrivals"]
                .sum(min_count=1)
                .unstack("policy")
            )
            out.append(
                ctx.chart(
                    f"Scenario {scenario}: arrivals by site and triage policy",
                    charts.grouped_bar(
                        "",
                        agg.index.astype(str),
                        {str(p): agg[p].tolist() for p in agg.columns},
                        ylabel="arrivals",
                    ),
                )
            )
        out.append(ctx.table(f"Volumes, scenario {scenario}", vol))
        mark_tables(out, "network_site_volume")
    out.append(option_links("/network", "scenario", names, scenario, "Other scenarios"))
    return out


@builder("standards")
def standards(ctx: PageContext) -> list[Section]:
    if not ctx.has("standards_compliance"):
        return []
    comp = ctx.frame("standards_compliance", limit=100_000)
    out: list[Section] = []
    if len(comp):
        comp["site"] = comp["site_name"].fillna(comp["site_code"]).astype(str)
        comp["criterion"] = comp["service"].astype(str) + " " + comp["criterion_id"].astype(str)
        comp["score"] = comp["status"].map(STATUS_SCORE)
        piv = comp.pivot_table(index="site", columns="criterion", values="score", aggfunc="min")
        text = comp.pivot_table(
            index="site", columns="criterion", values="status", aggfunc="first"
        ).reindex_like(piv)
        fig = charts.heatmap(
            "",
            piv.to_numpy().tolist(),
            list(piv.columns),
            list(piv.index),
            zlabel="met",
            colorscale=[[0, "#da291c"], [0.5, "#ffb81c"], [1, "#009639"]],
            zmin=0,
            zmax=1,
        )
        fig["data"][0]["text"] = text.where(text.notna(), "").to_numpy().tolist()
        fig["data"][0]["hovertemplate"] = "%{y}<br>%{x}: %{text}<extra></extra>"
        fig["data"][0]["showscale"] = False
        out.append(
            ctx.chart(
                "Compliance matrix: sites against criteria",
                fig,
                note="Green met, amber no evidence, red not met.",
            )
        )
        keep = [
            c
            for c in ("site", "criterion", "title", "value", "threshold", "status", "critical")
            if c in comp.columns
        ]
        out.append(
            ctx.table(
                "Criteria not met",
                comp[comp["status"] == "not met"][keep],
                rows=100,
                more="/tables/standards_compliance",
            )
        )
        mark_tables(out, "standards_compliance")
    if ctx.has("standards_site_summary"):
        out.append(ctx.table("Sites", ctx.frame("standards_site_summary")))
        mark_tables(out, "standards_site_summary")
    return out


@builder("budget")
def budget(ctx: PageContext) -> list[Section]:
    out: list[Section] = []
    if ctx.has("budget_pot_summary"):
        pots = ctx.frame("budget_pot_summary")
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
        shown = pots.copy()
        for c in [c for c in shown.columns if c.endswith("_pence")]:
            shown[c.removesuffix("_pence") + " (£)"] = _pounds(shown.pop(c))
        out.append(ctx.table("Pots", shown))
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
        out.append(ctx.table("Ledger", led, rows=24, more="/tables/budget_ledger"))
        mark_tables(out, "budget_ledger")
    if ctx.has("budget_allocation"):
        out.append(ctx.table("Allocation to localities", ctx.frame("budget_allocation")))
        mark_tables(out, "budget_allocation")
    return out

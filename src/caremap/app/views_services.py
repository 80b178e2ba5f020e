"""Pages about services: network, standards, budgets, performance and waiting lists."""

from __future__ import annotations

import pandas as pd

from caremap.app import charts
from caremap.app.capabilities import BY_SLUG, PageContext, Section, builder, missing
from caremap.app.views_population import choose, option_links

STATUS_SCORE = {"met": 1.0, "no evidence": 0.5, "not met": 0.0}
ICONS = {
    "improvement_high": ("Improvement (high)", "nhsuk-tag--blue"),
    "improvement_low": ("Improvement (low)", "nhsuk-tag--blue"),
    "concern_high": ("Concern (high)", "nhsuk-tag--orange"),
    "concern_low": ("Concern (low)", "nhsuk-tag--orange"),
    "neutral_high": ("Special cause, neutral (high)", "nhsuk-tag--purple"),
    "neutral_low": ("Special cause, neutral (low)", "nhsuk-tag--purple"),
    "common_cause": ("Common cause", "nhsuk-tag--grey"),
    "consistent_pass": ("Consistently passes target", "nhsuk-tag--blue"),
    "consistent_fail": ("Consistently fails target", "nhsuk-tag--orange"),
    "inconsistent": ("Hit and miss", "nhsuk-tag--grey"),
}


def _used(sections: list[Section], *tables: str) -> list[Section]:
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
        _used(out, "network_map_area", "network_map_site")
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
    _used(out, "network_scenario")
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
        _used(out, "network_access")
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
        _used(out, "network_site_volume")
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
        _used(out, "standards_compliance")
    if ctx.has("standards_site_summary"):
        out.append(ctx.table("Sites", ctx.frame("standards_site_summary")))
        _used(out, "standards_site_summary")
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
        _used(out, "budget_pot_summary")
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
        _used(out, "budget_ledger")
    if ctx.has("budget_allocation"):
        out.append(ctx.table("Allocation to localities", ctx.frame("budget_allocation")))
        _used(out, "budget_allocation")
    return out


@builder("performance")
def performance(ctx: PageContext) -> list[Section]:
    out: list[Section] = []
    if ctx.has("spc_summary"):
        summ = ctx.frame("spc_summary", limit=5000)
        items = []
        for r in summ.head(60).itertuples(index=False):
            v = ICONS.get(str(getattr(r, "variation_icon", "")))
            a = ICONS.get(str(getattr(r, "assurance_icon", "")))
            items.append({"label": f"{r.source}: {r.series}", "tags": [t for t in (v, a) if t]})
        out.append(
            {
                "kind": "icons",
                "title": "Variation and assurance (Making Data Count)",
                "items": items,
                "tables": ["spc_summary"],
            }
        )
    if ctx.has("spc_point"):
        pts = ctx.frame("spc_point", limit=200_000)
        for (source, series), g in list(pts.groupby(["source", "series"], sort=False))[:6]:
            g = g.sort_values("date")
            fig = charts.lines(
                "",
                {
                    "value": (g["date"].tolist(), g["value"].tolist()),
                    "mean": (g["date"].tolist(), g["mean"].tolist()),
                    "process limits": (g["date"].tolist(), g["upl"].tolist()),
                    "lower limit": (g["date"].tolist(), g["lpl"].tolist()),
                },
                dashed=("process limits", "lower limit"),
            )
            special = (
                g[g["special_cause_flag"].fillna(False).astype(bool)]
                if "special_cause_flag" in g
                else g.iloc[0:0]
            )
            if len(special):
                colour = [
                    "#005eb8"
                    if str(t).endswith("improvement")
                    else "#ed8b00"
                    if str(t).endswith("concern")
                    else "#330072"
                    for t in special["point_type"]
                ]
                fig["data"].append(
                    {
                        "type": "scatter",
                        "mode": "markers",
                        "name": "special cause",
                        "x": charts._clean(special["date"]),
                        "y": charts._clean(special["value"]),
                        "marker": {"color": colour, "size": 10},
                    }
                )
            out.append(ctx.chart(f"SPC: {source} {series}", fig))
        _used(out, "spc_point")
    if ctx.has("funnel_unit"):
        units = ctx.frame("funnel_unit", limit=100_000)
        for (source, funnel), g in list(units.groupby(["source", "funnel"], sort=False))[:4]:
            g = g.sort_values("denominator")
            extra = [
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": name,
                    "x": charts._clean(g["denominator"]),
                    "y": charts._clean(g[col]),
                    "line": {"dash": dash, "color": "#768692"},
                }
                for col, name, dash in (
                    ("lower95", "95% limits", "dot"),
                    ("upper95", "95% upper", "dot"),
                    ("lower998", "99.8% limits", "dash"),
                    ("upper998", "99.8% upper", "dash"),
                )
                if col in g
            ]
            out.append(
                ctx.chart(
                    f"Funnel plot: {source} {funnel}",
                    charts.scatter(
                        "",
                        g["denominator"],
                        g["value"],
                        text=g["unit"].astype(str).tolist(),
                        xlabel="denominator",
                        ylabel="value",
                        extra=extra,
                        name="units",
                    ),
                )
            )
            league = g.sort_values("rank") if "rank" in g else g
            keep = [
                c
                for c in (
                    "rank",
                    "unit",
                    "numerator",
                    "denominator",
                    "value",
                    "ci_lower",
                    "ci_upper",
                    "position",
                    "label",
                )
                if c in g
            ]
            out.append(ctx.table(f"League table: {source} {funnel}", league[keep], rows=40))
        _used(out, "funnel_unit")
    if ctx.has("performance_best_practice"):
        out.append(ctx.table("Candidate best practice", ctx.frame("performance_best_practice")))
        _used(out, "performance_best_practice")
    return out


@builder("waiting")
def waiting(ctx: PageContext) -> list[Section]:
    out: list[Section] = []
    if ctx.has("waiting_summary"):
        summ = ctx.frame("waiting_summary", limit=20_000)
        top = summ.sort_values("queue_size", ascending=False).head(20)
        series = {"waiting now": top["queue_size"].tolist()}
        if "target_queue_size" in top:
            series["queue that meets the target"] = top["target_queue_size"].tolist()
        out.append(
            ctx.chart(
                "Largest waiting lists and the size that would meet the target",
                charts.grouped_bar("", top["list"].astype(str), series, ylabel="pathways"),
            )
        )
        out.append(ctx.table("Waiting lists", summ, rows=40, more="/tables/waiting_summary"))
        _used(out, "waiting_summary")
    if ctx.has("waiting_forecast"):
        fc = ctx.frame("waiting_forecast", limit=200_000)
        lists = fc["list"].astype(str).unique().tolist()
        chosen = choose(ctx, "list", lists, lists[0] if lists else None)
        g = fc[fc["list"].astype(str) == chosen]
        series = {}
        for sc, h in g.groupby("scenario", sort=False):
            series[f"{sc} (median)"] = (h["week"].tolist(), h["list_median"].tolist())
        fig = charts.lines("", series, xlabel="week", ylabel="waiting list size")
        for sc, h in g.groupby("scenario", sort=False):
            fig["data"].append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"{sc} 90% range",
                    "x": charts._clean(h["week"]) + charts._clean(h["week"])[::-1],
                    "y": charts._clean(h["list_high"]) + charts._clean(h["list_low"])[::-1],
                    "fill": "toself",
                    "opacity": 0.2,
                    "line": {"width": 0},
                    "showlegend": False,
                }
            )
        out.append(ctx.chart(f"Backlog forecast: {chosen}", fig))
        out.append(option_links("/waiting", "list", lists[:40], chosen, "Other lists"))
        _used(out, "waiting_forecast")
    if ctx.has("waiting_clearance"):
        out.append(ctx.table("When each list clears", ctx.frame("waiting_clearance"), rows=40))
        _used(out, "waiting_clearance")
    return out

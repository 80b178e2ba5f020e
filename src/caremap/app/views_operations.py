"""Pages about operations: performance (SPC with icons, funnels, league tables) and waiting
lists (backlog forecasts)."""

from __future__ import annotations

from caremap.app import charts
from caremap.app.capabilities import PageContext, Section, builder
from caremap.app.views_population import choose, option_links
from caremap.app.views_services import mark_tables

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
        mark_tables(out, "spc_point")
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
        mark_tables(out, "funnel_unit")
    if ctx.has("performance_best_practice"):
        out.append(ctx.table("Candidate best practice", ctx.frame("performance_best_practice")))
        mark_tables(out, "performance_best_practice")
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
        mark_tables(out, "waiting_summary")
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
        mark_tables(out, "waiting_forecast")
    if ctx.has("waiting_clearance"):
        out.append(ctx.table("When each list clears", ctx.frame("waiting_clearance"), rows=40))
        mark_tables(out, "waiting_clearance")
    return out

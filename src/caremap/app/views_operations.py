"""Pages about operations: performance (SPC with icons, funnels, league tables) and waiting
lists (backlog forecasts)."""

from __future__ import annotations

import pandas as pd

from caremap.app import charts, sections
from caremap.app.capabilities import PageContext, Section, builder
from caremap.app.glossary import number
from caremap.app.icons import (
    BLUE,
    ORANGE,
    PURPLE,
    SEVERITY,
    assurance_icon,
    describe,
    variation_icon,
)
from caremap.app.names import names_for
from caremap.app.sections import cell, grid, href
from caremap.app.views_population import choose
from caremap.app.views_services import mark_tables

SOURCES = {
    "ae_attendances": "A&E attendances",
    "hubs_utilisation": "Hub utilisation",
    "hubs_cancellation_rate": "Hub cancellations on the day",
    "hubs_long_wait_share": "Hub long waits",
}


def _source_label(code: str) -> str:
    return SOURCES.get(str(code), str(code).replace("_", " ").capitalize())


@builder("performance")
def performance(ctx: PageContext) -> list[Section]:
    """Making Data Count: a summary table of KPIs with their icons, one SPC chart chosen from
    a selector with its target, a funnel plot with named outliers, best practice in words."""
    nm = names_for(ctx)
    out: list[Section] = []
    selects = []
    answer: list[str] = []
    summ = None
    source = series = None
    if ctx.has("spc_summary"):
        sources = sections.distinct(ctx, "spc_summary", "source")
        source = sections.choose(ctx, "source", sources, sources[0] if sources else None)
        summ = ctx.frame("spc_summary", where={"source": source}, limit=20_000)
        summ["severity"] = summ["variation_icon"].map(SEVERITY).fillna(4)
        summ = summ.sort_values(["severity", "series"])
        series_list = summ["series"].astype(str).tolist()
        series = sections.choose(
            ctx, "series", sorted(series_list), series_list[0] if series_list else None
        )
        selects += [
            sections.select("source", "Measure", [(x, _source_label(x)) for x in sources], source),
            sections.select(
                "series",
                "Site or unit",
                [(x, nm.series(x)) for x in sorted(series_list, key=nm.series)],
                series,
            ),
        ]
        concern = summ[summ["variation_icon"].astype(str).str.startswith("concern")]
        better = summ[summ["variation_icon"].astype(str).str.startswith("improvement")]
        fails = summ[
            summ.get("assurance_icon", pd.Series(dtype=str)).astype(str) == "consistent_fail"
        ]
        answer.append(
            f"{_source_label(source)}: of {len(summ)} series, {len(concern)} show special "
            f"cause concern, {len(better)} special cause improvement and "
            f"{len(summ) - len(concern) - len(better)} common cause variation"
            + (f"; {len(fails)} consistently fail the target" if len(fails) else "")
            + "."
        )
        if len(concern):
            answer.append(
                "Look first at: "
                + "; ".join(
                    f"{nm.series(r['series'])} (latest {number(r.get('latest_value'))}, "
                    f"mean {number(r.get('mean'))})"
                    for r in concern.head(3).to_dict("records")
                )
                + "."
            )
    funnel_df = None
    if ctx.has("funnel_unit"):
        funnels = sections.distinct(ctx, "funnel_unit", "funnel")
        fsources = sections.distinct(ctx, "funnel_unit", "source")
        fsource = sections.choose(ctx, "fsource", fsources, fsources[0] if fsources else None)
        funnels = sections.distinct(ctx, "funnel_unit", "funnel", {"source": fsource})
        funnel = sections.choose(ctx, "funnel", funnels, funnels[0] if funnels else None)
        funnel_df = ctx.frame(
            "funnel_unit", where={"source": fsource, "funnel": funnel}, limit=100_000
        )
        selects += [
            sections.select(
                "fsource", "Funnel group", [(x, _source_label(x)) for x in fsources], fsource
            ),
            sections.select("funnel", "Funnel", [(x, x) for x in funnels], funnel),
        ]
        hi = funnel_df[funnel_df["position"].astype(str) == "high"]
        lo = funnel_df[funnel_df["position"].astype(str) == "low"]
        answer.append(
            f"Funnel {funnel} ({_source_label(fsource)}): {len(hi)} of {len(funnel_df)} units "
            f"above the 99.8% limits and {len(lo)} below"
            + (
                ": " + ", ".join(nm.site(u) for u in hi["unit"].head(4)) + " high"
                if len(hi)
                else ""
            )
            + "."
        )
    out.append(
        sections.question(
            "Which services show special cause variation or fall outside their peers' range?",
            answer or ["No SPC or funnel results in this workspace yet."],
            "Making Data Count (NHS England, 2019): XmR or p-chart limits at 3 sigma, special "
            "cause by the four rules; funnels with 95% and 99.8% limits, overdispersion by the "
            "Spiegelhalter (2005) multiplicative method.",
        )
    )
    if selects:
        out.append(sections.filters("/performance", selects))
    if summ is not None:
        out.append(_mdc_table(summ, nm, source))
    if series is not None:
        out.append(_spc_chart(ctx, nm, source, series, summ))
    if funnel_df is not None and len(funnel_df):
        out.append(_funnel_chart(ctx, nm, funnel_df))
    if ctx.has("performance_best_practice"):
        out.append(_best_practice(ctx, nm))
    return out


def _mdc_table(summ, nm, source) -> Section:
    rows = []
    for r in summ.head(25).to_dict("records"):
        v = variation_icon(r.get("variation_icon"))
        a = assurance_icon(r.get("assurance_icon"))
        latest = r.get("latest_value")
        rows.append(
            [
                cell(
                    nm.series(r["series"]), href("/performance", source=source, series=r["series"])
                ),
                cell(str(r.get("last_date") or "–")[:10]),
                cell(number(latest), num=True, value="" if latest is None else latest),
                cell(number(r.get("mean")), num=True),
                cell(number(r.get("target")), num=True),
                cell(v, cls="cm-icon", icon=str(r.get("variation_icon"))),
                cell(a if a is not None else "no target", cls="cm-icon"),
                cell(describe(r.get("variation_icon"), r.get("assurance_icon"))),
            ]
        )
    return grid(
        f"{_source_label(source)}: summary (Making Data Count)",
        [
            ("Site or unit", ""),
            ("Latest month", ""),
            "latest_value",
            "mean",
            "target",
            ("Variation", "Making Data Count variation icon"),
            ("Assurance", "Making Data Count assurance icon (needs a target)"),
            ("In words", ""),
        ],
        rows,
        note=f"Concern first; {min(25, len(summ))} of {len(summ)} series shown. Choose a "
        "series to see its chart.",
        tables=["spc_summary"],
    )


def _spc_chart(ctx, nm, source, series, summ) -> Section:
    g = ctx.frame("spc_point", where={"source": source, "series": series}, limit=5000)
    g = g.sort_values("date") if len(g) else g
    x = g["date"].tolist() if len(g) else []
    fig = charts.lines(
        "",
        {
            "value": (x, g["value"].tolist() if len(g) else []),
            "mean": (x, g["mean"].tolist() if len(g) else []),
            "upper process limit": (x, g["upl"].tolist() if len(g) else []),
            "lower process limit": (x, g["lpl"].tolist() if len(g) else []),
        },
        dashed=("upper process limit", "lower process limit"),
    )
    row = summ[summ["series"].astype(str) == str(series)]
    target = row["target"].iloc[0] if len(row) and "target" in row else None
    if target is not None and target == target and x:
        fig["data"].append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"target {number(target)}",
                "x": charts._clean([x[0], x[-1]]),
                "y": [float(target), float(target)],
                "line": {"color": "#d5281b", "dash": "dot", "width": 2},
            }
        )
    special = g[g["special_cause_flag"].fillna(False).astype(bool)] if len(g) else g
    if len(special):
        colour = [
            BLUE if "improvement" in str(t) else ORANGE if "concern" in str(t) else PURPLE
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
    icon = describe(row["variation_icon"].iloc[0]) if len(row) else ""
    return {
        "kind": "chart",
        "title": f"SPC chart: {nm.series(series)}, {_source_label(source)}",
        "figure": fig,
        "note": f"{icon}. Orange points: special cause concern; blue: improvement.",
        "tables": ["spc_point"],
    }


def _funnel_chart(ctx, nm, g) -> Section:
    g = g.sort_values("denominator")
    extra = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": name,
            "x": charts._clean(g["denominator"]),
            "y": charts._clean(g[col]),
            "line": {"dash": dash, "color": "#768692"},
            "showlegend": show,
        }
        for col, name, dash, show in (
            ("lower95", "95% limits", "dot", True),
            ("upper95", "95% limits", "dot", False),
            ("lower998", "99.8% limits", "dash", True),
            ("upper998", "99.8% limits", "dash", False),
        )
        if col in g
    ]
    fig = {"data": [], "layout": charts._layout("", legend={"orientation": "h"})}
    for pos, colour, label in (
        ("within", "#aeb7bd", "within limits"),
        ("high", "#e46c0a", "above 99.8% limit"),
        ("low", "#005eb8", "below 99.8% limit"),
    ):
        sub = g[g["position"].astype(str) == pos]
        if not len(sub):
            continue
        names = [nm.site(u) for u in sub["unit"]]
        fig["data"].append(
            {
                "type": "scatter",
                "mode": "markers+text" if pos != "within" else "markers",
                "name": label,
                "x": charts._clean(sub["denominator"]),
                "y": charts._clean(sub["value"]),
                "text": names,
                "textposition": "top center",
                "marker": {"color": colour, "size": 9 if pos == "within" else 12},
                "hovertemplate": "%{text}: %{y}<extra></extra>",
            }
        )
    fig["data"] += extra
    fig["layout"]["xaxis"] = {"title": {"text": "denominator (patients or sessions)"}}
    fig["layout"]["yaxis"] = {"title": {"text": "value"}}
    return {
        "kind": "chart",
        "title": f"Funnel plot: {g['funnel'].iloc[0]}",
        "figure": fig,
        "note": "Outliers are named: orange above, blue below the 99.8% limits.",
        "tables": ["funnel_unit"],
    }


def _best_practice(ctx, nm) -> Section:
    bp = ctx.frame("performance_best_practice", limit=500)
    medians = {}
    if ctx.has("funnel_unit"):
        fu = ctx.frame("funnel_unit", ["funnel", "value"], limit=200_000)
        medians = fu.groupby("funnel")["value"].median().to_dict()
    items = []
    for r in bp.sort_values(["funnel", "rank"]).itertuples():
        med = medians.get(r.funnel)
        what = str(r.funnel).split(" / ")[0].replace("_", " ")
        text = (
            f"{nm.site(r.site_code)}: {what} {number(r.value)} against a peer median of "
            f"{number(med)}"
            if med is not None
            else f"{nm.site(r.site_code)}: {what} {number(r.value)}"
        )
        text += f" and a target of {number(r.target)}; ranked {r.rank}"
        if pd.notna(getattr(r, "rank_upper", None)):
            text += f" (95% interval of rank {number(r.rank_lower)} to {number(r.rank_upper)})"
        items.append((href(f"/sites/{r.site_code}"), text + "."))
    return {
        "kind": "links",
        "title": "Candidate best practice: units to learn from",
        "links": items,
        "note": "Units beyond their peers' 99.8% limits in the better direction, after "
        "allowing for the number of comparisons (false discovery rate).",
        "tables": ["performance_best_practice"],
    }


@builder("waiting")
def waiting(ctx: PageContext) -> list[Section]:
    """Which lists are under pressure, the capacity that would meet the target, and the
    forecast of the list chosen in the URL."""
    nm = names_for(ctx)
    out: list[Section] = []
    lists: list[str] = []
    if ctx.has("waiting_summary"):
        summ = ctx.frame("waiting_summary", limit=20_000)
        summ["name"] = summ["list"].astype(str).map(nm.waiting_list)
        order = "pressure" if "pressure" in summ else "queue_size"
        summ = summ.sort_values(order, ascending=False)
        answer = [
            f"{len(summ)} lists, {number(summ['queue_size'].sum())} pathways waiting"
            + (
                f", {number(summ['over_target'].sum())} over 18 weeks"
                if "over_target" in summ
                else ""
            )
            + "."
        ]
        if "needs_relief" in summ:
            relief = summ[summ["needs_relief"].fillna(False).astype(bool)]
            answer.append(
                f"{len(relief)} lists need more capacity to meet the target; most pressed: "
                + "; ".join(
                    f"{r.name} ({number(r.queue_size)} waiting, capacity {number(r.capacity)} "
                    f"a week against {number(r.relief_capacity)} needed)"
                    for r in relief.head(3).itertuples()
                )
                + "."
            )
        out.append(
            sections.question(
                "Which waiting lists cannot meet the 18-week target at current capacity?",
                answer,
                "Queue relationships (Little's law) for the list size and capacity that meet "
                "the target; forecasts by simulation with 90% ranges.",
            )
        )
        top = summ.head(20)
        series = {"waiting now": top["queue_size"].tolist()}
        if "target_queue_size" in top:
            series["list that meets the target"] = top["target_queue_size"].tolist()
        out.append(
            ctx.chart(
                "Most pressed lists: waiting now and the size that would meet the target",
                charts.grouped_bar("", top["name"], series, ylabel="pathways"),
            )
        )
        cols = [
            c
            for c in (
                "list",
                "queue_size",
                "over_target",
                "share_over_target",
                "mean_wait",
                "p92_wait",
                "demand",
                "capacity",
                "relief_capacity",
                "target_queue_size",
            )
            if c in summ
        ]
        out.append(
            sections.frame_grid(
                "Waiting lists, most pressed first",
                summ,
                cols,
                names={"list": nm.waiting_list},
                links={"list": lambda r: href("/waiting", list=r["list"])},
                more="/tables/waiting_summary",
            )
        )
        mark_tables(out, "waiting_summary")
        lists = summ["list"].astype(str).tolist()
    if ctx.has("waiting_forecast"):
        if not lists:
            lists = sections.distinct(ctx, "waiting_forecast", "list")
        chosen = choose(ctx, "list", sorted(lists), lists[0] if lists else None)
        out.insert(
            1 if out else 0,
            sections.filters(
                "/waiting",
                [
                    sections.select(
                        "list",
                        "Waiting list",
                        [(x, nm.waiting_list(x)) for x in sorted(lists, key=nm.waiting_list)],
                        chosen,
                    )
                ],
            ),
        )
        g = ctx.frame("waiting_forecast", where={"list": chosen}, limit=200_000)
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
        out.append(ctx.chart(f"Backlog forecast: {nm.waiting_list(chosen)}", fig))
        mark_tables(out, "waiting_forecast")
        if ctx.has("waiting_clearance"):
            cl = ctx.frame("waiting_clearance", where={"list": chosen})
            out.append(
                sections.frame_grid(
                    f"Clearance under each scenario: {nm.waiting_list(chosen)}",
                    cl,
                    [c for c in cl.columns if c not in ("source", "list")],
                    more="/tables/waiting_clearance",
                )
            )
            mark_tables(out, "waiting_clearance")
    return out

"""Pages about people: needs by locality (map and table) and risk (pyramid, model card)."""

from __future__ import annotations

import pandas as pd

from caremap.app import charts
from caremap.app.capabilities import BY_SLUG, PageContext, Section, builder, missing
from caremap.app.query import NotFound
from caremap.needs.indicators import COLUMNS as INDICATOR_COLUMNS

METHOD_PREFERENCE = ("dsr", "crude_rate", "isr", "count")


def choose(ctx: PageContext, param: str, options: list[str], default: str | None) -> str | None:
    """A page option from the query string, checked against the values that exist."""
    raw = ctx.request.query_params.get(param)
    if raw is None:
        return default
    if raw not in options:
        shown = ", ".join(options[:12])
        raise NotFound(f"unknown {param} {raw[:60]!r}; choose one of: {shown}", field=param)
    return raw


def option_links(
    path: str, param: str, options: list[str], current: str | None, title: str
) -> Section:
    from urllib.parse import urlencode

    return {
        "kind": "links",
        "title": title,
        "links": [
            (f"{path}?{urlencode({param: o})}", o + (" (shown)" if o == current else ""))
            for o in options
        ],
    }


@builder("needs")
def needs(ctx: PageContext) -> list[Section]:
    if not ctx.has("needs_indicator"):
        return [missing(BY_SLUG["needs"], "Needs indicators", ("needs_indicator",))]
    info = ctx.info("needs_indicator")
    shown = [c for c in INDICATOR_COLUMNS if c not in ("confidence", "note")]
    cols = [c for c in shown if info.has(c)]
    indicators = ctx.distinct("needs_indicator", "indicator")
    if not indicators:
        return [
            {
                "kind": "summary",
                "title": "Needs indicators",
                "pairs": [("rows", "none")],
                "tables": ["needs_indicator"],
            }
        ]
    indicator = choose(ctx, "indicator", indicators, indicators[0])
    where: dict[str, str] = {"indicator": indicator}
    periods = [str(p) for p in ctx.distinct("needs_indicator", "period", where)]
    period = choose(ctx, "period", periods, periods[-1] if periods else None)
    if period is not None:
        where["period"] = period
    methods = ctx.distinct("needs_indicator", "method", where)
    pref = next((m for p in METHOD_PREFERENCE for m in methods if m.startswith(p)), None)
    method = choose(ctx, "method", methods, pref)
    if method is not None:
        where["method"] = method
    sub = ctx.frame("needs_indicator", cols, where=where, limit=200_000)
    what = ", ".join(str(v) for v in (indicator, period, method) if v is not None)
    measure = method or "value"
    out: list[Section] = []
    small = sub[sub["area_type"] == "small_area"][["area_code", "value"]]
    from caremap.app.views import area_points, site_layers

    pts = area_points(ctx, small if len(small) else None)
    if pts:
        out.append(
            ctx.chart(
                f"{what}: by small area",
                charts.map_points("", pts, value_label=measure, sites=site_layers(ctx)),
                note="Each point is a small area's centroid; grey where no value "
                "is published (including suppressed).",
            )
        )
    loc = sub[sub["area_type"] == "locality"].sort_values("value", ascending=False)
    if len(loc):
        fig = charts.bar(
            "", loc["area_code"].astype(str), loc["value"], xlabel="locality", ylabel=measure
        )
        if {"lower", "upper"} <= set(loc.columns):
            fig["data"][0]["error_y"] = {
                "type": "data",
                "symmetric": False,
                "array": [
                    None if pd.isna(u) or pd.isna(v) else u - v
                    for u, v in zip(loc["upper"], loc["value"], strict=True)
                ],
                "arrayminus": [
                    None if pd.isna(lo) or pd.isna(v) else v - lo
                    for lo, v in zip(loc["lower"], loc["value"], strict=True)
                ],
            }
        out.append(ctx.chart(f"{what}: by locality, with 95% intervals", fig))
    table = sub[sub["area_type"].isin(["locality", "ics", "region"])]
    out.append(
        ctx.table(
            f"{what}: localities and above",
            table,
            rows=200,
            more="/tables/needs_indicator",
        )
    )
    if len(small):
        out.append(
            {
                "kind": "links",
                "title": "Small areas",
                "links": [(f"/needs/area/{c}", c) for c in sorted(small["area_code"])[:60]],
            }
        )
    out.append(option_links("/needs", "indicator", indicators, indicator, "Other indicators"))
    out[-1]["tables"] = ["needs_indicator"]
    return out


@builder("risk")
def risk(ctx: PageContext) -> list[Section]:
    out: list[Section] = []
    if ctx.has("risk_tier_summary"):
        tiers = ctx.frame(
            "risk_tier_summary",
            order_by="tier_order" if ctx.info("risk_tier_summary").has("tier_order") else None,
        )
        fig = {
            "data": [
                {
                    "type": "funnel",
                    "y": tiers["tier"].tolist(),
                    "x": [None if pd.isna(v) else v for v in tiers["people"]],
                    "textinfo": "value+percent total",
                    "marker": {"color": charts.NHS_COLOURS[: len(tiers)][::-1]},
                }
            ],
            "layout": charts._layout("", height=360),
        }
        out.append(
            ctx.chart(
                "Risk pyramid: people in each tier",
                fig,
                note="Tiers of predicted risk of an emergency admission in the "
                "next 12 months; the top of the pyramid is the highest risk.",
            )
        )
        out.append(ctx.table("Tiers", tiers))
        out[-1]["tables"] = ["risk_tier_summary"]
    if ctx.has("risk_tier_locality"):
        tl = ctx.frame("risk_tier_locality")
        piv = tl.pivot_table(
            index="locality_code", columns="tier", values="people", aggfunc="sum", dropna=False
        )
        out.append(
            ctx.chart(
                "People in each tier by locality",
                charts.grouped_bar(
                    "",
                    piv.index.astype(str),
                    {t: piv[t].tolist() for t in piv.columns},
                    ylabel="people",
                ),
            )
        )
        out[-1]["tables"] = ["risk_tier_locality"]
    if ctx.has("risk_reliability"):
        rel = ctx.frame("risk_reliability")
        series = {}
        for (model, dataset), g in rel.groupby(["model", "dataset"], dropna=False):
            series[f"{model} ({dataset})"] = (g["mean_predicted"].tolist(), g["observed"].tolist())
        fig = charts.lines("", series, xlabel="mean predicted risk", ylabel="observed rate")
        fig["data"].append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "perfect calibration",
                "x": [0, 1],
                "y": [0, 1],
                "line": {"dash": "dot", "color": "#768692"},
            }
        )
        out.append(ctx.chart("Calibration: predicted against observed", fig))
        out[-1]["tables"] = ["risk_reliability"]
    if ctx.has("risk_model_card"):
        card = ctx.frame("risk_model_card")
        scoring = card[
            (card["item"] == "scores people") & card["value"].astype(str).str.startswith("yes")
        ]["model_id"]
        model = scoring.iloc[0] if len(scoring) else card["model_id"].iloc[0]
        card = card[card["model_id"] == model]
        for section, g in card.groupby("section", sort=False):
            out.append(
                {
                    "kind": "summary",
                    "title": f"Model card: {section}",
                    "pairs": list(zip(g["item"], g["value"], strict=True)),
                }
            )
        out[-1]["tables"] = ["risk_model_card"]
    if ctx.has("risk_evaluation"):
        out.append(ctx.table("Evaluation", ctx.frame("risk_evaluation"), rows=60))
        out[-1]["tables"] = ["risk_evaluation"]
    if ctx.user.role in ("clinician", "admin"):
        out.append(
            {
                "kind": "links",
                "title": "Caseload",
                "links": [
                    ("/risk/caseload", "Open the caseload list (recorded in the audit trail)")
                ],
            }
        )
    if not out:
        out.append(
            missing(
                BY_SLUG["risk"],
                "Risk stratification",
                ("risk_tier_summary", "risk_model_card", "risk_caseload"),
            )
        )
    return out

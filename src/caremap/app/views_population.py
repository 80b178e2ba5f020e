"""Pages about people: needs by locality (map and table) and risk (pyramid, model card)."""

from __future__ import annotations

import pandas as pd

from caremap.app import charts, sections
from caremap.app.capabilities import BY_SLUG, PageContext, Section, builder, missing
from caremap.app.compare import METHOD
from caremap.app.glossary import fmt, helptext, indicator_label, label, lower_first
from caremap.app.names import LEVEL_NAMES, names_for
from caremap.app.needs_view import needs_selection
from caremap.app.sections import plural


def choose(ctx: PageContext, param: str, options: list, default, labels=None):
    """A page option from the query string (see :func:`caremap.app.sections.choose`)."""
    return sections.choose(ctx, param, options, default, labels)


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
    """Question first: how the chosen indicator varies below the chosen area, compared with
    the ICS and the region by the 95% interval, then the trend, the bars and the table."""
    if not ctx.has("needs_indicator"):
        return [missing(BY_SLUG["needs"], "Needs indicators", ("needs_indicator",))]
    indicators = ctx.distinct("needs_indicator", "indicator")
    if not indicators:
        return [missing(BY_SLUG["needs"], "Needs indicators", ("needs_indicator",))]
    nm = names_for(ctx)
    sel = needs_selection(ctx, indicators, nm)
    rows = sel.rows
    area, indicator = sel.area, sel.indicator
    ind_name = indicator_label(indicator)
    val = sel.value_text
    out: list[Section] = [
        sections.filters(
            "/needs",
            [
                sections.select(
                    "indicator",
                    "Indicator",
                    [(i, indicator_label(i)) for i in indicators],
                    indicator,
                ),
                sections.select(
                    "area",
                    "Area",
                    [
                        (a, f"{nm.area(a)} ({LEVEL_NAMES.get(nm.level.get(a, ''), 'area')})")
                        for a in sel.areas
                    ],
                    area,
                ),
                sections.select("period", "Period", [(p, p) for p in sel.periods], sel.period),
                sections.select("method", "Measure", [(m, m) for m in sel.methods], sel.method),
            ],
            keep={"shown": indicator},
        )
    ]
    me = rows.get(area)
    kids = [c for c in nm.children(area) if c in rows] or [
        c for c in rows if nm.parent.get(c) == area
    ]
    kid_level = LEVEL_NAMES.get(nm.level.get(kids[0], ""), "area") if kids else "area"
    comparators = [a for a in nm.ancestors(area) if a in rows]
    answer: list[str] = []
    if me is not None:
        answer.append(sel.sentence(area, comparators[:1]))
    higher = [k for k in kids if sel.versus(k, area) == "higher"]
    lower = [k for k in kids if sel.versus(k, area) == "lower"]
    if kids and me is not None:
        answer.append(
            f"Of {len(kids)} {plural(kid_level, len(kids))} in {nm.area(area)}, {len(higher)} "
            f"{'is' if len(higher) == 1 else 'are'} significantly above {nm.area(area)} "
            f"({val(me['value'])}) and {len(lower)} below."
        )
        ranked = sorted(kids, key=lambda k: -(rows[k]["value"] or float("-inf")))
        for k in [*higher[:3], *lower[:3]] or ranked[:1]:
            answer.append(sel.sentence(k, [area]))
    tr = sel.trend_sentence(area)
    if tr:
        answer.append(f"Trend: {nm.area(area)} {tr}.")
    elif len(sel.periods) == 1:
        answer.append(f"One period only ({sel.period}): no trend to show.")
    out.insert(
        0,
        sections.question(
            f"Where is {lower_first(ind_name)} higher or lower than average in {nm.area(area)}?",
            answer or [f"No published value for {nm.area(area)}."],
            METHOD,
            value=(me or {}).get("value", ""),
            area=area,
        ),
    )
    if kids:
        small = pd.DataFrame([{"area_code": k, "value": rows[k]["value"]} for k in kids])
        from caremap.app.views import area_points, site_layers

        if kid_level == "small area":
            pts = area_points(ctx, small)
            if pts:
                out.append(
                    ctx.chart(
                        f"{ind_name}, {sel.period}: small areas of {nm.area(area)}",
                        charts.map_points("", pts, value_label=sel.unit, sites=site_layers(ctx)),
                        note="Each point is a small area's centroid; grey where no value "
                        "is published (including suppressed).",
                    )
                )
        out.append(sel.bars(kids, area, comparators, kid_level))
    out.append(sel.table(kids or [area], area, comparators))
    if len(sel.periods) > 1:
        out.append(sel.trend_chart([area, *comparators[:2], *kids[:8]]))
    out[-1].setdefault("tables", []).append("needs_indicator")
    return out


@builder("risk")
def risk(ctx: PageContext) -> list[Section]:
    nm = names_for(ctx)
    out: list[Section] = [_risk_question(ctx)]
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
        out.append(
            sections.frame_grid(
                "Tiers",
                tiers,
                [c for c in ("tier", "people", "share", "mean_score") if c in tiers],
                tables=["risk_tier_summary"],
            )
        )
    if ctx.has("risk_tier_locality"):
        tl = ctx.frame("risk_tier_locality")
        tl = tl[tl["locality_code"].astype(str) != "unknown"]
        order = tl.sort_values("tier_order")["tier"].drop_duplicates().tolist()
        piv = tl.pivot_table(
            index="locality_code", columns="tier", values="people", aggfunc="first", dropna=False
        ).reindex(columns=order)
        rows = []
        for code, r in piv.iterrows():
            rows.append(
                [sections.cell(nm.area(code), f"/areas/{code}")]
                + [sections.cell(fmt("people", r[t]), num=True) for t in order]
            )
        out.append(
            sections.grid(
                "People in each tier by locality",
                [("Locality", ""), *[(f"{t} (people)", f"People in the {t} tier") for t in order]],
                rows,
                tables=["risk_tier_locality"],
            )
        )
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
        ev = ctx.frame("risk_evaluation", limit=5000)
        piv = ev.pivot_table(
            index=["model", "metric"], columns="dataset", values="value", aggfunc="first"
        ).reset_index()
        rows = [
            [
                sections.cell(r["model"]),
                sections.cell(label(r["metric"]), title=helptext(r["metric"])),
            ]
            + [sections.cell(fmt(r["metric"], r[d]), num=True) for d in piv.columns[2:]]
            for _, r in piv.iterrows()
        ]
        out.append(
            sections.grid(
                "Model evaluation by data set",
                [("Model", ""), ("Measure", ""), *[(str(d), f"{d} data") for d in piv.columns[2:]]],
                rows,
                tables=["risk_evaluation"],
            )
        )
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
    if len(out) == 1:
        out.append(
            missing(
                BY_SLUG["risk"],
                "Risk stratification",
                ("risk_tier_summary", "risk_model_card", "risk_caseload"),
            )
        )
    return out


def _risk_question(ctx: PageContext) -> Section:
    answer = []
    if ctx.has("risk_tier_summary"):
        t = ctx.frame("risk_tier_summary")
        total = pd.to_numeric(t["people"], errors="coerce").sum()
        top = t.sort_values("tier_order").iloc[0] if "tier_order" in t and len(t) else None
        if top is not None:
            answer.append(
                f"{fmt('people', top['people'])} people are in the {top['tier']} tier "
                f"({fmt('share', top.get('share'))} of {total:,.0f} scored), with a mean "
                f"predicted risk of {fmt('score', top.get('mean_score'))} of an emergency "
                "admission in the next 12 months."
            )
    if ctx.has("risk_evaluation"):
        ev = ctx.frame("risk_evaluation", limit=5000)
        au = ev[(ev["metric"] == "auroc") & (ev["dataset"] == "test")]
        if len(au):
            v = float(au["value"].iloc[0])
            verdict = (
                "no better than chance: do not use it to choose people"
                if v < 0.6
                else "weak"
                if v < 0.7
                else "acceptable"
                if v < 0.8
                else "good"
            )
            answer.append(
                f"The model's AUROC on held-out people is {v:.2f} ({verdict}; 0.5 is chance)."
            )
    return sections.question(
        "Who is most likely to need an emergency admission next year, and can the model "
        "be trusted to find them?",
        answer or ["No risk results yet: run caremap risk."],
        "Discrimination by AUROC and calibration by predicted against observed rates on a "
        "temporal validation set (TRIPOD).",
    )

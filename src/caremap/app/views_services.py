"""Pages about services: network design, standards and pooled budgets."""

from __future__ import annotations

from caremap.app import charts, sections
from caremap.app.capabilities import BY_SLUG, PageContext, Section, builder, missing
from caremap.app.glossary import fmt, number
from caremap.app.names import names_for
from caremap.app.views_population import choose

STATUS_SCORE = {"met": 1.0, "no evidence": 0.5, "not met": 0.0}


def mark_tables(sections: list[Section], *tables: str) -> list[Section]:
    """Record that the last section shows ``tables`` (so the page does not repeat them)."""
    if sections:
        sections[-1].setdefault("tables", []).extend(tables)
    return sections


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
    nm = names_for(ctx)
    sc["centre names"] = (
        sc["centres"]
        .astype(str)
        .map(lambda c: ", ".join(nm.site(x.strip()) for x in c.split(",") if x.strip()))
    )
    out: list[Section] = [
        _network_question(sc, scenario),
        sections.filters(
            "/network", [sections.select("scenario", "Scenario", [(n, n) for n in names], scenario)]
        ),
    ]
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
            "centre names",
            "n_centres",
            "status",
            "mean_minutes_population",
            *within,
            "expected_deaths_right_place",
        )
        if c in sc.columns
    ]
    out.append(
        sections.frame_grid(
            "Scenarios side by side",
            sc.sort_values("mean_minutes_population"),
            keep,
            links={"scenario": lambda r: sections.href("/network", scenario=r["scenario"])},
            note="Sorted by mean travel time, shortest first.",
        )
    )
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
        acc = acc.sort_values(["group_type", "mean_minutes"], ascending=[True, False])
        out.append(
            sections.frame_grid(
                f"Access by group, scenario {scenario}",
                acc,
                [
                    c
                    for c in (
                        "group_type",
                        "group_value",
                        "population",
                        "mean_minutes",
                        "within_30",
                        "within_45",
                        "within_60",
                    )
                    if c in acc
                ],
                names={"group_value": lambda v: nm.any(v)},
                links={"group_value": lambda r: profile_link(r["group_value"], nm)},
            )
        )
        mark_tables(out, "network_access")
    if ctx.has("network_site_volume"):
        vol = ctx.frame("network_site_volume", where=("scenario", scenario))
        if len(vol):
            # one row per site and policy: pivot, never add across other columns
            agg = vol.pivot_table(
                index="site_code", columns="policy", values="arrivals", aggfunc="first"
            )
            agg.index = [nm.site(c) for c in agg.index]
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
        out.append(
            sections.frame_grid(
                f"Volumes, scenario {scenario}",
                vol.sort_values("arrivals", ascending=False),
                [
                    c
                    for c in (
                        "site_code",
                        "role",
                        "policy",
                        "arrivals",
                        "major_trauma_per_year",
                        "min_volume_major",
                        "meets_minimum",
                    )
                    if c in vol
                ],
                names={"site_code": nm.site},
                links={"site_code": lambda r: f"/sites/{r['site_code']}"},
            )
        )
        mark_tables(out, "network_site_volume")
    return out


def profile_link(code, nm) -> str | None:
    lv = nm.level.get(str(code))
    if lv is None:
        return None
    return f"/needs/area/{code}" if lv == "small_area" else f"/areas/{code}"


def _network_question(sc, scenario) -> Section:
    rows = sc.set_index("scenario")
    base = "today" if "today" in rows.index else rows.index[0]
    best = sc.sort_values("mean_minutes_population").iloc[0]
    b = rows.loc[base]
    answer = [
        f"{'Today' if base == 'today' else base}: centres {b['centre names']}; mean travel "
        f"{number(b.get('mean_minutes_population'))} minutes, "
        f"{fmt('population_within_30', b.get('population_within_30'))} of people within 30 min."
    ]
    if best["scenario"] != base:
        answer.append(
            f"Best access: {best['scenario']} ({best['centre names']}), mean "
            f"{number(best['mean_minutes_population'])} minutes, "
            f"{fmt('population_within_30', best.get('population_within_30'))} within 30 min."
        )
    if "expected_deaths_right_place" in sc:
        answer.append(
            "Expected trauma deaths a year (right-place triage): "
            + "; ".join(
                f"{r.scenario} {number(r.expected_deaths_right_place)}" for r in sc.itertuples()
            )
            + "."
        )
    return sections.question(
        "Which sites should be centres, and what does each option do to access?",
        answer,
        "Travel times over the road network; centres chosen by p-median "
        "(Lagrangian branch and bound); outcomes per scenario from the trauma model.",
        scenario=scenario,
    )


@builder("standards")
def standards(ctx: PageContext) -> list[Section]:
    if not ctx.has("standards_compliance"):
        return []
    comp = ctx.frame("standards_compliance", limit=100_000)
    nm = names_for(ctx)
    out: list[Section] = []
    summ = ctx.frame("standards_site_summary") if ctx.has("standards_site_summary") else None
    out.append(_standards_question(comp, summ, nm))
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
        notmet = comp[comp["status"] == "not met"].copy()
        notmet["critical"] = notmet.get("critical", False)
        out.append(
            sections.frame_grid(
                "Criteria not met (critical first)",
                notmet.sort_values(["critical", "site"], ascending=[False, True]),
                [c for c in ("site_code", *keep[1:]) if c in notmet],
                names={"site_code": nm.site},
                links={"site_code": lambda r: f"/sites/{r['site_code']}"},
                more="/tables/standards_compliance",
            )
        )
        mark_tables(out, "standards_compliance")
    if summ is not None:
        order = {"not compliant": 0, "partially compliant": 1, "insufficient evidence": 2}
        summ = summ.assign(_o=summ["assessment"].map(order).fillna(3)).sort_values("_o")
        out.append(
            sections.frame_grid(
                "Sites and their assessment",
                summ,
                [
                    c
                    for c in (
                        "site_code",
                        "service",
                        "assessment",
                        "criteria",
                        "met",
                        "not_met",
                        "no_evidence",
                        "critical_not_met",
                        "derogated",
                    )
                    if c in summ
                ],
                names={"site_code": nm.site},
                links={"site_code": lambda r: f"/sites/{r['site_code']}"},
            )
        )
        mark_tables(out, "standards_site_summary")
    return out


def _standards_question(comp, summ, nm) -> Section:
    answer = []
    if summ is not None and len(summ):
        counts = summ["assessment"].value_counts()
        bad = summ[summ["assessment"] == "not compliant"]
        answer.append(
            f"{len(summ)} sites assessed: "
            + ", ".join(f"{int(n)} {a}" for a, n in counts.items())
            + "."
        )
        if len(bad):
            answer.append(
                "Not compliant: "
                + "; ".join(
                    f"{nm.site(r.site_code)} ({r.service}, {int(r.critical_not_met or 0)} "
                    "critical criteria not met)"
                    for r in bad.itertuples()
                )
                + "."
            )
    if len(comp):
        counts = comp["status"].value_counts()
        answer.append(
            f"Of {len(comp)} criteria checked, {int(counts.get('met', 0))} met, "
            f"{int(counts.get('not met', 0))} not met and {int(counts.get('no evidence', 0))} "
            "without evidence."
        )
    return sections.question(
        "Which sites meet the national service specifications, and where are the gaps?",
        answer or ["No compliance results yet."],
        "Each criterion of the specification checked against the site's data; "
        "'no evidence' where the data needed is absent.",
    )

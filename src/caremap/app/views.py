"""Page contents: the overview, tables list, area profile and data-quality page."""

from __future__ import annotations

import pandas as pd

from caremap.app import charts
from caremap.app.capabilities import (
    BY_SLUG,
    CAPABILITIES,
    PageContext,
    Section,
    builder,
    capability_tables,
    missing,
)
from caremap.app.glossary import fmt, helptext, label
from caremap.app.names import names_for
from caremap.app.sections import cell, frame_grid, grid, question
from caremap.app.suppression import classify_columns, published_sums, suppress

SITE_LAYERS = (
    ("acute_hospital", "acute hospitals", "diamond", "#da291c"),
    ("surgical_hub", "surgical hubs", "square", "#330072"),
    ("diagnostic_centre", "diagnostic centres", "triangle-up", "#00a499"),
)


def area_points(
    ctx: PageContext,
    value: pd.DataFrame | None = None,
    on: str = "area_code",
    label: str | None = None,
) -> dict | None:
    """Small-area centroids, optionally joined to a value per area (``value`` column)."""
    if not ctx.has("small_area"):
        return None
    sa = ctx.frame(
        "small_area",
        ["area_code", "area_name", "locality_code", "easting", "northing"],
        limit=200_000,
    )
    if value is not None:
        sa = sa.merge(value, left_on="area_code", right_on=on, how="left")
    pts = {
        "easting": sa["easting"].tolist(),
        "northing": sa["northing"].tolist(),
        "label": (sa["area_code"].astype(str) + " " + sa.get("area_name", "").astype(str)).tolist(),
    }
    if value is not None:
        pts["value"] = sa["value"].tolist()
    return pts


def site_layers(ctx: PageContext) -> list[dict]:
    if not ctx.has("site"):
        return []
    sites = ctx.frame(
        "site", ["site_code", "site_name", "site_type", "easting", "northing"], limit=100_000
    )
    layers = []
    for site_type, name, symbol, colour in SITE_LAYERS:
        s = sites[sites["site_type"] == site_type].dropna(subset=["easting", "northing"])
        if len(s):
            layers.append(
                {
                    "name": name,
                    "easting": s["easting"].tolist(),
                    "northing": s["northing"].tolist(),
                    "symbol": symbol,
                    "color": colour,
                    "label": s["site_name"].astype(str).tolist(),
                }
            )
    return layers


def overview(ctx: PageContext) -> list[Section]:
    """What this workspace covers and the headline answer of each page, with links."""
    nm = names_for(ctx)
    sections: list[Section] = []
    status = []
    for cap in CAPABILITIES:
        own = capability_tables(ctx, cap)
        status.append(
            [
                cell(cap.title, f"/{cap.slug}"),
                cell(cap.lede),
                cell("ready" if own else f"not yet produced: run {cap.command}"),
            ]
        )
    regions = [c for c, lv in nm.level.items() if lv == "region"]
    icss = [c for c, lv in nm.level.items() if lv == "ics"]
    locs = [c for c, lv in nm.level.items() if lv == "locality" and nm.parent.get(c)]
    people = None
    if ctx.has("needs_locality_summary") and ctx.info("needs_locality_summary").has("population"):
        people = pd.to_numeric(
            ctx.frame("needs_locality_summary", ["population"])["population"], errors="coerce"
        ).sum()
    answer = [
        f"{', '.join(nm.area(r) for r in regions) or 'One area'}: "
        f"{len(icss)} ICS, {len(locs)} localities"
        + (f", {people:,.0f} people" if people else "")
        + f", {len(nm.sites)} sites and {len(nm.providers)} providers."
    ]
    sections.append(
        question(
            "What does this workspace cover, and where should I look first?",
            answer,
            None,
        )
    )
    if locs:
        sections.append(
            {
                "kind": "links",
                "title": "Locality profiles",
                "links": [(f"/areas/{c}", nm.area(c)) for c in sorted(locs, key=nm.area)],
            }
        )
    pts = area_points(ctx)
    if pts:
        sections.append(
            ctx.chart(
                "Small areas and hospitals",
                charts.map_points("", pts, sites=site_layers(ctx)),
                note="Centroids of small areas (grey) and sites; no map tiles.",
            )
        )
    else:
        sections.append(
            {
                "kind": "missing",
                "what": "Geography",
                "command": "caremap ingest",
                "tables": ["small_area", "site"],
            }
        )
    sections.append(grid("Pages", [("Page", ""), ("Answers", ""), ("Status", "")], status))
    return sections


def table_list(ctx: PageContext) -> list[Section]:
    rows = [
        {
            "table": f"{t.name}",
            "kind": t.kind,
            "rows": t.rows,
            "columns": ", ".join(list(t.columns)[:8]) + (" ..." if len(t.columns) > 8 else ""),
        }
        for t in sorted(ctx.tables.values(), key=lambda t: t.name)
    ]
    links = [
        (f"/tables/{t.name}", t.name) for t in sorted(ctx.tables.values(), key=lambda t: t.name)
    ]
    return [
        ctx.table(
            "Published tables",
            pd.DataFrame(rows),
            rows=500,
            note="Also at /api/tables (JSON) with filtering and paging.",
        ),
        {"kind": "links", "title": "Open a table", "links": links},
    ]


def help_sections() -> list[Section]:
    """The glossary: every indicator and column the pages label, with its definition."""
    from caremap.app.compare import METHOD
    from caremap.app.glossary import INDICATORS, TERMS, label

    def rows(d):
        return [
            [label(k), t.definition, k] for k, t in sorted(d.items(), key=lambda kv: kv[1].label)
        ]

    return [
        {
            "kind": "summary",
            "title": "How areas are compared",
            "pairs": [
                ("Higher, similar, lower", METHOD),
                (
                    "Intervals",
                    "95% and 99.8% confidence intervals: Wilson score for "
                    "proportions, Byar for counts, Dobson for standardised rates (PHE Technical "
                    "Guide, 2018).",
                ),
                (
                    "Small numbers",
                    "Counts from 1 to 4, and figures that would reveal them, are "
                    "not shown to viewers.",
                ),
                (
                    "SPC icons",
                    "Making Data Count: variation (common cause, improvement, "
                    "concern) and assurance (passes, fails, hit and miss the target), NHS England "
                    "and NHS Improvement, 2019.",
                ),
            ],
        },
        grid("Indicators", [("Name", ""), ("Definition", ""), ("Code", "")], rows(INDICATORS)),
        grid(
            "Measures and columns", [("Name", ""), ("Definition", ""), ("Column", "")], rows(TERMS)
        ),
    ]


@builder("quality")
def quality(ctx: PageContext) -> list[Section]:
    """Loads and quarantine (counts suppressed for viewers), then linkage tables."""
    out: list[Section] = []
    con = ctx.st.cursor()
    names = set(ctx.all_tables) | {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() "
            "WHERE database_name = current_database() AND schema_name = 'main'"
        ).fetchall()
    }
    if "load_log" in ctx.tables:
        # read through the publication, so viewers see the cells the API shows them
        log = ctx.frame("load_log", limit=1_000_000)
        if ctx.user.role != "admin":
            # ground truth (truth.*) is for admins only: evaluation, never publication
            log = log[~log["table_name"].astype(str).str.startswith("truth.")]
        loads = published_sums(
            log, "table_name", ["rows_read", "rows_loaded", "rows_quarantined"]
        ).rename(columns={"table_name": "table"})
        out.append(
            ctx.chart(
                "Rows loaded and quarantined by table",
                charts.grouped_bar(
                    "",
                    loads["table"],
                    {
                        "loaded": loads["rows_loaded"].tolist(),
                        "quarantined": loads["rows_quarantined"].tolist(),
                    },
                    ylabel="rows",
                    barmode="stack",
                ),
            )
        )
        read, loaded = int(loads["rows_read"].sum()), int(loads["rows_loaded"].sum())
        quarantined = int(loads["rows_quarantined"].sum())
        out.insert(
            0,
            question(
                "Can these records be trusted: what was loaded, what was rejected, and how "
                "well do the sources link?",
                [
                    f"{read:,} rows read from {len(loads)} tables: {loaded:,} loaded and "
                    f"{quarantined:,} quarantined ({quarantined / read if read else 0:.2%}); "
                    f"read = loaded + quarantined "
                    f"{'holds' if read == loaded + quarantined else 'does NOT hold'}.",
                    *_linkage_answer(ctx),
                ],
                "Every row is either loaded or quarantined with a reason; linkage by "
                "NHS number, then Fellegi-Sunter probabilistic matching (Splink).",
                value=read,
            ),
        )
        out.append(
            frame_grid(
                "Reconciliation (read = loaded + quarantined)",
                loads.sort_values("rows_quarantined", ascending=False),
                list(loads.columns),
                tables=["load_log"],  # drawn here, so never previewed with truth.* rows
            )
        )
    if "quarantine" in names:
        hide = "" if ctx.user.role == "admin" else "WHERE table_name NOT LIKE 'truth.%' "
        q = con.execute(
            'SELECT table_name AS "table", field, reason, count(*) AS n_rows FROM quarantine '
            f"{hide}GROUP BY 1, 2, 3 ORDER BY 4 DESC"
        ).df()
        if not ctx.user.sees_unsuppressed:
            q, _ = suppress(
                q,
                classify_columns(
                    {
                        "table": "VARCHAR",
                        "field": "VARCHAR",
                        "reason": "VARCHAR",
                        "n_rows": "BIGINT",
                    }
                ),
                ctx.st.config.suppress_below,
            )
        out.append(ctx.table("Quarantined rows by field and reason", q, rows=100))
    if not out:
        out.append(
            {
                "kind": "missing",
                "what": "Ingestion records",
                "command": "caremap ingest",
                "tables": ["load_log", "quarantine"],
            }
        )
    if not capability_tables(ctx, BY_SLUG["quality"]):
        out.append(missing(BY_SLUG["quality"], "Linkage quality", ("person_link", "link_*")))
    else:
        out.extend(linkage(ctx))
    return out


def linkage(ctx: PageContext) -> list[Section]:
    """Linkage quality: metrics by source, cluster sizes, what stayed unlinked."""
    out: list[Section] = []
    if ctx.has("link_quality"):
        q = ctx.frame("link_quality")
        if {"metric", "source_system", "value"} <= set(q.columns):
            piv = q.pivot_table(
                index="metric",
                columns="source_system",
                values="value",
                aggfunc="first",
                dropna=False,
            )
            piv = piv.reset_index()
            srcs = [c for c in piv.columns if c != "metric"]
            rows = [
                [cell(label(r["metric"]), title=helptext(r["metric"]))]
                + [cell(fmt(r["metric"], r[c]), num=True) for c in srcs]
                for _, r in piv.iterrows()
            ]
            out.append(
                grid(
                    "Linkage quality by source system",
                    [("Measure", ""), *[(str(c).replace("_", " "), "") for c in srcs]],
                    rows,
                )
            )
        else:
            out.append(ctx.table("Linkage quality", q, rows=100))
        out[-1]["tables"] = ["link_quality"]
    if ctx.has("link_cluster_sizes"):
        cs = ctx.frame("link_cluster_sizes", order_by="cluster_size")
        out.append(
            ctx.chart(
                "People by number of linked source records",
                charts.bar(
                    "",
                    cs["cluster_size"].astype(str),
                    cs["persons"],
                    xlabel="records per person",
                    ylabel="people",
                ),
            )
        )
        out[-1]["tables"] = ["link_cluster_sizes"]
    if ctx.has("link_evaluation") and ctx.user.role == "admin":  # from ground truth
        ev = ctx.frame("link_evaluation")
        out.append(
            {
                "kind": "summary",
                "title": "Linkage against the synthetic ground truth",
                "pairs": [
                    (label(m), fmt(m, v)) for m, v in zip(ev["metric"], ev["value"], strict=True)
                ],
                "tables": ["link_evaluation"],
            }
        )
    if ctx.has("link_unlinked"):
        out.append(ctx.table("Records that could not be linked", ctx.frame("link_unlinked")))
        out[-1]["tables"] = ["link_unlinked"]
    if ctx.has("link_model"):
        m = ctx.frame(
            "link_model", [c for c in ("splink_version",) if ctx.info("link_model").has(c)]
        )
        out.append(
            {
                "kind": "summary",
                "title": "Linkage model",
                "pairs": [
                    ("Splink version", m.iloc[0, 0] if m.shape[1] and len(m) else "-"),
                    ("settings", "see /tables/link_model"),
                ],
                "tables": ["link_model"],
            }
        )
    return out


def _linkage_answer(ctx: PageContext) -> list[str]:
    if not ctx.has("link_quality"):
        return ["Linkage has not been run yet."]
    q = ctx.frame("link_quality")
    allrow = q[q["source_system"] == "all"].set_index("metric")["value"]
    det = q[q["metric"] == "share_linked_deterministically"]
    out = []
    if "records" in allrow and "persons" in allrow:
        out.append(
            f"{fmt('records', allrow['records'])} records linked into "
            f"{fmt('persons', allrow['persons'])} people."
        )
    if len(det):
        worst = det.sort_values("value").iloc[0]
        out.append(
            f"Linked on NHS number: lowest in {worst['source_system'].replace('_', ' ')} "
            f"({fmt('share_linked_deterministically', worst['value'])}); the rest by "
            "probabilistic matching."
        )
    return out

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
    sections: list[Section] = []
    status = []
    for cap in CAPABILITIES:
        own = capability_tables(ctx, cap)
        status.append(
            {
                "page": cap.title,
                "tables": len(own),
                "status": "ready" if own else f"not yet produced: run {cap.command}",
            }
        )
    facts = []
    for name, label in (
        ("small_area", "small areas"),
        ("locality", "localities"),
        ("site", "sites"),
        ("provider", "providers"),
    ):
        if ctx.has(name):
            facts.append((label, f"{ctx.info(name).rows:,}"))
    if facts:
        sections.append({"kind": "summary", "title": "This workspace", "pairs": facts})
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
    sections.append(ctx.table("Pages", pd.DataFrame(status), rows=50))
    sections.append(
        {
            "kind": "links",
            "title": "Go to",
            "links": [(f"/{c.slug}", c.title) for c in CAPABILITIES],
        }
    )
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


def area_sections(ctx: PageContext, profile: dict) -> list[Section]:
    area = profile["area"]
    out: list[Section] = [
        {
            "kind": "summary",
            "title": profile["area_type"].replace("_", " "),
            "pairs": [(k, v) for k, v in area.items() if v is not None],
        }
    ]
    if profile["indicators"]:
        out.append(ctx.table("Needs indicators", pd.DataFrame(profile["indicators"]), rows=200))
    else:
        out.append(
            missing(BY_SLUG["needs"], "Needs indicators for this area", ("needs_indicator",))
        )
    return out


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
        loads = published_sums(
            ctx.frame("load_log", limit=1_000_000),
            "table_name",
            ["rows_read", "rows_loaded", "rows_quarantined"],
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
        out.append(ctx.table("Reconciliation (read = loaded + quarantined)", loads, rows=100))
    if "quarantine" in names:
        q = con.execute(
            'SELECT table_name AS "table", field, reason, count(*) AS n_rows FROM quarantine '
            "GROUP BY 1, 2, 3 ORDER BY 4 DESC"
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
            out.append(ctx.table("Linkage quality by source system", piv.reset_index(), rows=100))
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
    if ctx.has("link_evaluation"):
        ev = ctx.frame("link_evaluation")
        out.append(
            {
                "kind": "summary",
                "title": "Linkage against the synthetic ground truth",
                "pairs": [
                    (m, f"{v:.4f}" if isinstance(v, float) else v)
                    for m, v in zip(ev["metric"], ev["value"], strict=True)
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

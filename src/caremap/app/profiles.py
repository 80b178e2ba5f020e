"""Profiles: one page per area (region, ICS, locality, small area) and per site.

An area profile is shaped like a Fingertips area profile: a headline, then one row per
indicator with the area's value and 95% interval, the ICS and region values and the
comparison with each (by the interval), and the trend over the periods present.
"""

from __future__ import annotations

import math

import pandas as pd

from caremap.app import sections
from caremap.app.capabilities import PageContext, Section
from caremap.app.compare import METHOD, compare, trend, trend_word
from caremap.app.glossary import indicator_label, lower_first, number
from caremap.app.names import LEVEL_NAMES, Names, names_for
from caremap.app.needs_view import METHOD_PREFERENCE, profile_href, unit_of
from caremap.app.query import NotFound
from caremap.app.sections import cell, grid, href


def _f(v):
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v


def _value(v, method) -> str:
    v = _f(v)
    if v is None:
        return "–"
    return f"{number(v)}%" if unit_of(method) == "%" else number(v)


def _indicator_rows(ctx: PageContext, code: str) -> pd.DataFrame:
    if not ctx.has("needs_indicator"):
        return pd.DataFrame()
    df = ctx.frame("needs_indicator", where={"area_code": code}, limit=20_000)
    if df.empty:
        return df
    if "confidence" in df:
        conf = pd.to_numeric(df["confidence"], errors="coerce")
        if (conf - 0.95).abs().lt(1e-9).any():
            df = df[(conf - 0.95).abs() < 1e-9]
    if "method" not in df:
        return df
    keep = []
    for _ind, g in df.groupby("indicator", sort=True):
        methods = g["method"].dropna().unique().tolist()
        m = next((x for p in METHOD_PREFERENCE for x in methods if x.startswith(p)), None)
        keep.append(g[g["method"] == m] if m else g)
    return pd.concat(keep) if keep else df


def area_profile(ctx: PageContext, code: str) -> tuple[str, list[Section]]:
    """The title and sections of an area's profile; NotFound when the code is unknown."""
    nm = names_for(ctx)
    if code not in nm.areas and code not in nm.level:
        own = _indicator_rows(ctx, code)
        if own.empty:
            raise NotFound(f"no area {code!r} in this workspace", field="area")
    level = nm.level.get(code, "area")
    up = nm.ancestors(code)
    ics = next((a for a in up if nm.level.get(a) == "ics"), None)
    region = next((a for a in up if nm.level.get(a) == "region"), None)
    own = _indicator_rows(ctx, code)
    ref = {a: _indicator_rows(ctx, a) for a in (ics, region) if a}
    rows, higher, lower = [], [], []
    for ind, g in own.groupby("indicator", sort=True) if len(own) else []:
        g = g.sort_values("period")
        last = g.iloc[-1]
        method = last.get("method") if "method" in last else None
        line = [
            cell(indicator_label(ind), href("/needs", indicator=ind, area=code)),
            cell(str(last.get("period")), num=False),
            cell(_value(last.get("value"), method), num=True, value=_f(last.get("value")) or ""),
            cell(
                f"{_value(last.get('lower'), method)} to {_value(last.get('upper'), method)}"
                if _f(last.get("lower")) is not None
                else "–",
                num=True,
            ),
        ]
        for a in (ics, region):
            r = ref.get(a)
            if r is None or r.empty:
                line += [cell("–"), cell("–")]
                continue
            rr = r[(r["indicator"] == ind) & (r["period"] == last.get("period"))]
            bench = _f(rr["value"].iloc[0]) if len(rr) else None
            res = compare(_f(last.get("lower")), _f(last.get("upper")), bench)
            if a == ics and res == "higher":
                higher.append(lower_first(indicator_label(ind)))
            if a == ics and res == "lower":
                lower.append(lower_first(indicator_label(ind)))
            line += [
                cell(_value(bench, method), num=True),
                cell(res, cls={"higher": "cm-higher", "lower": "cm-lower"}.get(res, "")),
            ]
        periods = g["period"].astype(str).tolist()
        values = [_f(v) for v in g["value"]]
        tr = trend_word(periods, values)
        full = trend(periods, values, lambda v, m=method: _value(v, m))
        line.append(cell(tr or "one period", title=full or ""))
        line.append(cell(unit_of(method) or str(method)))
        rows.append(line)
    name = nm.area(code)
    what = LEVEL_NAMES.get(level, "area")
    answer = []
    if rows and ics and ics != code:
        answer.append(
            f"Compared with {nm.area(ics)}, {name} is significantly higher on "
            f"{len(higher)} of {len(rows)} indicators"
            + (f" ({', '.join(higher[:6])})" if higher else "")
            + f" and lower on {len(lower)}"
            + (f" ({', '.join(lower[:6])})" if lower else "")
            + "."
        )
    elif rows:
        answer.append(f"{name} has {len(rows)} needs indicators; it is the widest area here.")
    out: list[Section] = [
        sections.question(
            f"How does {name} compare with the ICS and the region?",
            answer or [f"No needs indicators are published for {name} yet."],
            METHOD,
            area=code,
        )
    ]
    crumbs = [
        (profile_href(a, nm), f"{nm.area(a)} ({LEVEL_NAMES.get(nm.level.get(a, ''), '')})")
        for a in reversed(up)
    ]
    if crumbs:
        out.append({"kind": "links", "title": "Part of", "links": crumbs})
    if rows:
        out.append(
            grid(
                f"Needs indicators for {name}",
                [
                    "indicator",
                    "period",
                    ("Value", "In the unit shown"),
                    ("95% interval", "95% confidence interval"),
                    ("ICS", "The ICS's value"),
                    "vs_ics",
                    ("Region", "The region's value"),
                    "vs_region",
                    ("Trend", "From the first to the latest period"),
                    ("Unit", "per 100,000 people, %, ratio or count"),
                ],
                rows,
                tables=["needs_indicator"],
            )
        )
    kids = nm.children(code)
    if kids:
        out.append(
            {
                "kind": "links",
                "title": f"Areas in {name}",
                "links": [(profile_href(k, nm), nm.area(k)) for k in kids[:200]],
            }
        )
    out.append(_area_facts(ctx, nm, code))
    return f"{name} ({what})", out


def _area_facts(ctx: PageContext, nm: Names, code: str) -> Section:
    pairs = [("Code", code), ("Kind of area", LEVEL_NAMES.get(nm.level.get(code, ""), "area"))]
    if nm.level.get(code) == "small_area" and ctx.has("small_area"):
        sa = ctx.frame("small_area", where={"area_code": code}, limit=1)
        for c in ("imd_decile", "rural_urban", "settlement"):
            if c in sa and len(sa):
                pairs.append((c.replace("_", " "), sa[c].iloc[0]))
    sites = [s for s, t in nm.site_type.items() if _site_area(ctx, s) == code][:20]
    if sites:
        pairs.append(("Sites", ", ".join(nm.site(s) for s in sites)))
    return {"kind": "summary", "title": "About this area", "pairs": pairs}


def _site_area(ctx: PageContext, site: str):
    cache = getattr(ctx, "_site_area", None)
    if cache is None:
        cache = {}
        if ctx.has("site") and ctx.info("site").has("area_code"):
            df = ctx.frame("site", ["site_code", "area_code"], limit=100_000)
            cache = dict(zip(df["site_code"], df["area_code"], strict=True))
        ctx._site_area = cache  # type: ignore[attr-defined]
    return cache.get(site)


def site_profile(ctx: PageContext, code: str) -> tuple[str, list[Section]]:
    """A site's page: what it is, its standards compliance and its performance outliers."""
    nm = names_for(ctx)
    if code not in nm.sites and code not in nm.providers:
        raise NotFound(f"no site or provider {code!r} in this workspace", field="site")
    name = nm.site(code)
    out: list[Section] = []
    facts = [("Code", code)]
    if code in nm.site_type:
        facts.append(("Type", str(nm.site_type[code]).replace("_", " ")))
        prov = nm.site_provider.get(code)
        if prov:
            facts.append(("Provider", nm.provider(prov)))
        area = _site_area(ctx, code)
        if area:
            facts.append(("Small area", nm.area(area)))
    answer = []
    if ctx.has("standards_compliance"):
        comp = ctx.frame("standards_compliance", where={"site_code": code}, limit=5000)
        if len(comp):
            counts = comp["status"].value_counts()
            answer.append(
                f"{name} meets {int(counts.get('met', 0))} of {len(comp)} service "
                f"specification criteria checked; {int(counts.get('not met', 0))} not met, "
                f"{int(counts.get('no evidence', 0))} without evidence."
            )
            keep = [
                c
                for c in ("service", "criterion_id", "title", "value", "threshold", "status")
                if c in comp
            ]
            out.append(
                sections.frame_grid(
                    "Service specification criteria",
                    comp.sort_values("status"),
                    keep,
                    tables=["standards_compliance"],
                )
            )
    if ctx.has("funnel_unit"):
        fu = ctx.frame("funnel_unit", where={"unit": code}, limit=5000)
        if len(fu):
            flagged = fu[fu["position"].astype(str).str.startswith(("above", "below"))]
            answer.append(
                f"In {len(fu)} funnel comparisons it is outside the 99.8% limits in {len(flagged)}."
            )
            fu = fu.assign(where=fu["position"].astype(str))
            out.append(
                sections.frame_grid(
                    "Compared with peers (funnel plots)",
                    fu,
                    [c for c in ("source", "funnel", "value", "target", "where") if c in fu],
                    tables=["funnel_unit"],
                )
            )
    out.insert(
        0,
        sections.question(
            f"How is {name} doing against the standards and its peers?",
            answer or [f"No standards or performance results for {name} yet."],
            site=code,
        ),
    )
    out.insert(1, {"kind": "summary", "title": "About this site", "pairs": facts})
    return name, out

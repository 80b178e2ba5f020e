"""One needs indicator as the pages show it: one row per area (the 95% interval, with the
99.8% interval beside it, never both rows added together), its comparisons and its trend.

``needs_indicator`` holds one row per area, period, method and confidence level; every
figure here is read from the 95% row, and the 99.8% limits are joined onto it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from caremap.app import charts, sections
from caremap.app.compare import compare, phrase, trend
from caremap.app.glossary import indicator_label, lower_first, number
from caremap.app.names import LEVEL_NAMES, Names
from caremap.app.sections import cell, grid, href

METHOD_PREFERENCE = ("proportion", "dsr", "crude_rate", "isr", "count")
COLS = [
    "area_type",
    "area_code",
    "period",
    "method",
    "confidence",
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
]


def unit_of(method: str | None) -> str:
    m = (method or "").lower()
    if m.startswith("proportion"):
        return "%"
    if "per 100000" in m:
        return "per 100,000"
    if m.startswith("isr"):
        return "ratio x100"
    return "count" if m.startswith("count") else ""


def _f(v):
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v


@dataclass
class NeedsSelection:
    indicator: str
    period: str | None
    periods: list[str]
    method: str | None
    methods: list[str]
    area: str
    areas: list[str]
    names: Names
    rows: dict[str, dict] = field(default_factory=dict)
    history: pd.DataFrame | None = None

    @property
    def unit(self) -> str:
        return unit_of(self.method)

    def value_text(self, v) -> str:
        v = _f(v)
        if v is None:
            return "–"
        u = self.unit
        if u == "%":
            return f"{number(v)}%"
        if u == "count":
            return f"{v:,.0f}"
        return f"{number(v)}" + (f" {u}" if u == "per 100,000" else "")

    def _plain(self, v) -> str:
        v = _f(v)
        return "–" if v is None else number(v)

    def interval(self, code: str) -> str:
        r = self.rows[code]
        if _f(r.get("lower")) is None or _f(r.get("upper")) is None:
            return ""
        return f" ({self._plain(r['lower'])} to {self._plain(r['upper'])})"

    def versus(self, code: str, comparator: str) -> str:
        r, c = self.rows.get(code), self.rows.get(comparator)
        if r is None or c is None:
            return "not compared"
        return compare(_f(r.get("lower")), _f(r.get("upper")), _f(c.get("value")))

    def sentence(self, code: str, comparators: list[str]) -> str:
        """``Locality 2: diabetes prevalence 6.1% (5.9 to 6.3), significantly above the ICS
        (5.8%)``."""
        r = self.rows[code]
        text = (
            f"{self.names.area(code)}: {lower_first(indicator_label(self.indicator))} "
            f"{self.value_text(r.get('value'))}{self.interval(code)}"
        )
        for c in comparators:
            if c in self.rows:
                level = LEVEL_NAMES.get(self.names.level.get(c, ""), "area")
                what = f"the {level}" if level in ("ICS", "region") else self.names.area(c)
                text += ", " + phrase(
                    self.versus(code, c), what, self.value_text(self.rows[c].get("value"))
                )
        return text

    def trend_sentence(self, code: str) -> str | None:
        h = self.history
        if h is None or h.empty:
            return None
        g = h[h["area_code"] == code].sort_values("period")
        return trend(g["period"].astype(str).tolist(), g["value"].tolist(), self.value_text)

    def bars(self, kids: list[str], area: str, comparators: list[str], level: str) -> dict:
        """One bar per child area with its 95% interval, and the parent's value as a line."""
        ks = sorted(kids, key=lambda k: -(_f(self.rows[k].get("value")) or -math.inf))
        vals = [_f(self.rows[k].get("value")) for k in ks]
        fig = charts.bar(
            "",
            [self.names.area(k) for k in ks],
            vals,
            xlabel=level,
            ylabel=self.unit or "value",
        )
        up = [_f(self.rows[k].get("upper")) for k in ks]
        lo = [_f(self.rows[k].get("lower")) for k in ks]
        fig["data"][0]["error_y"] = {
            "type": "data",
            "symmetric": False,
            "array": [
                None if u is None or v is None else u - v for u, v in zip(up, vals, strict=True)
            ],
            "arrayminus": [
                None if x is None or v is None else v - x for x, v in zip(lo, vals, strict=True)
            ],
        }
        fig["data"][0]["customdata"] = ks
        fig["data"][0]["name"] = indicator_label(self.indicator)
        colours = []
        for k in ks:
            v = self.versus(k, area)
            colours.append({"higher": "#d5281b", "lower": "#005eb8"}.get(v, "#aeb7bd"))
        fig["data"][0]["marker"] = {"color": colours}
        for i, c in enumerate([area, *comparators[:1]]):
            cv = _f(self.rows.get(c, {}).get("value"))
            if cv is None:
                continue
            fig["data"].append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"{self.names.area(c)} {self.value_text(cv)}",
                    "x": [self.names.area(k) for k in ks],
                    "y": [cv] * len(ks),
                    "line": {"color": "#212b32" if i == 0 else "#768692", "dash": "dash"},
                }
            )
        fig["layout"]["legend"] = {"orientation": "h"}
        return {
            "kind": "chart",
            "title": f"{indicator_label(self.indicator)} by {level}, {self.period}, "
            f"with 95% intervals",
            "figure": fig,
            "note": "Red: significantly above "
            f"{self.names.area(area)}; blue: significantly below; grey: similar.",
            "tables": ["needs_indicator"],
        }

    def table(self, codes: list[str], area: str, comparators: list[str]) -> dict:
        ics = next((c for c in [area, *comparators] if self.names.level.get(c) == "ics"), None)
        region = next(
            (c for c in [area, *comparators] if self.names.level.get(c) == "region"), None
        )
        ks = sorted(codes, key=lambda k: -(_f(self.rows[k].get("value")) or -math.inf))
        rows = []
        for k in ks:
            r = self.rows[k]
            name_link = profile_href(k, self.names, self.indicator)
            rows.append(
                [
                    cell(self.names.area(k), name_link),
                    cell(
                        self.value_text(r.get("value")),
                        num=True,
                        value="" if _f(r.get("value")) is None else r["value"],
                    ),
                    cell(self.interval(k).strip(" ()") or "–", num=True),
                    cell(
                        f"{self._plain(r.get('lower998'))} to {self._plain(r.get('upper998'))}"
                        if _f(r.get("lower998")) is not None
                        else "–",
                        num=True,
                    ),
                    _versus_cell(self.versus(k, ics) if ics and ics != k else ""),
                    _versus_cell(self.versus(k, region) if region and region != k else ""),
                    cell(_count(r.get("numerator")), num=True),
                    cell(_count(r.get("denominator")), num=True),
                ]
            )
        return grid(
            f"{indicator_label(self.indicator)}, {self.period}: {self.method}",
            [
                "area",
                ("Value", f"In {self.unit or 'the measure shown'}"),
                ("95% interval", "95% confidence interval"),
                ("99.8% interval", "99.8% confidence interval"),
                "vs_ics",
                "vs_region",
                "numerator",
                "denominator",
            ],
            rows,
            note="Sorted by value, highest first. Each area appears once: the 95% row, with "
            "the 99.8% limits beside it.",
            more=href("/tables/needs_indicator", filter=f"indicator:eq:{self.indicator}"),
            tables=["needs_indicator"],
        )

    def trend_chart(self, codes: list[str]) -> dict:
        h = self.history
        series = {}
        for c in dict.fromkeys(codes):
            g = h[h["area_code"] == c].sort_values("period")
            if len(g):
                series[self.names.area(c)] = (
                    g["period"].astype(str).tolist(),
                    [_f(v) for v in g["value"]],
                )
        fig = charts.lines("", series, xlabel="period", ylabel=self.unit or "value")
        return {
            "kind": "chart",
            "title": f"{indicator_label(self.indicator)}: trend over the years present",
            "figure": fig,
            "tables": ["needs_indicator"],
        }


def _count(v) -> str:
    v = _f(v)
    return "–" if v is None else f"{v:,.0f}"


def _versus_cell(result: str) -> dict:
    cls = {"higher": "cm-higher", "lower": "cm-lower", "similar": "cm-similar"}.get(result, "")
    return cell(result or "–", cls=cls)


def profile_href(code: str, names: Names, indicator: str | None = None) -> str:
    level = names.level.get(code)
    if level == "small_area":
        return href(f"/needs/area/{code}", indicator=indicator)
    return href(f"/areas/{code}")


def needs_selection(ctx, indicators: list[str], nm: Names) -> NeedsSelection:
    """The indicator, area, period and measure chosen in the URL (checked), and its rows."""
    indicator = sections.choose(ctx, "indicator", indicators, _default_indicator(indicators), None)
    # the filter form says which indicator it was drawn for: when the user has just chosen
    # another, a period, measure or area that the new one lacks falls back to its default
    changed = ctx.request.query_params.get("shown") not in (None, indicator)
    where: dict = {"indicator": indicator}
    periods = [str(p) for p in ctx.distinct("needs_indicator", "period", where)]
    period = sections.choose(
        ctx, "period", periods, periods[-1] if periods else None, lenient=changed
    )
    methods = ctx.distinct("needs_indicator", "method", where)
    pref = next((m for p in METHOD_PREFERENCE for m in methods if m.startswith(p)), None)
    method = sections.choose(ctx, "method", methods, pref, lenient=changed)
    info = ctx.info("needs_indicator")
    cols = [c for c in COLS if info.has(c)]
    w = {"indicator": indicator}
    if method is not None:
        w["method"] = method
    allrows = ctx.frame("needs_indicator", cols, where=w, limit=500_000)
    if "confidence" in allrows:
        conf = pd.to_numeric(allrows["confidence"], errors="coerce")
        main = (
            allrows[(conf - 0.95).abs() < 1e-9] if (conf - 0.95).abs().lt(1e-9).any() else allrows
        )
        wide = allrows[(conf - 0.998).abs() < 1e-9]
    else:
        main, wide = allrows, allrows.iloc[0:0]
    main = main.drop_duplicates(["area_code", "period"])
    history = main[["area_code", "period", "value"]].copy()
    cur = main[main["period"].astype(str) == str(period)] if period is not None else main
    wide = wide[wide["period"].astype(str) == str(period)] if period is not None else wide
    wide = wide.drop_duplicates(["area_code"]).set_index("area_code")
    rows: dict[str, dict] = {}
    for r in cur.to_dict("records"):
        code = str(r["area_code"])
        if code in wide.index:
            r["lower998"] = wide.at[code, "lower"]
            r["upper998"] = wide.at[code, "upper"]
        rows[code] = r
        nm.level.setdefault(code, str(r.get("area_type")))
    order = {lv: i for i, lv in enumerate(("region", "ics", "locality", "small_area"))}
    areas = sorted(rows, key=lambda c: (order.get(nm.level.get(c, ""), 9), nm.area(c)))
    default = next((a for a in areas if nm.level.get(a) == "ics"), areas[0] if areas else "")
    area = (
        sections.choose(
            ctx, "area", areas, default, {a: nm.area(a) for a in areas}, lenient=changed
        )
        if areas
        else ""
    )
    return NeedsSelection(
        indicator, period, periods, method, methods, area, areas, nm, rows, history
    )


def _default_indicator(indicators: list[str]) -> str:
    for pref in ("prevalence_diabetes", "emergency_admissions"):
        if pref in indicators:
            return pref
    return indicators[0]

"""Names for the codes the pages show: areas, sites, providers, practices, federations and
NHS treatment functions, read once per page from the workspace's reference tables.

Two locality code systems can coexist in a workspace: the geography's own (``locality``,
``small_area.locality_code``) and the one `caremap needs` builds (``needs_locality_summary``,
used by needs, risk and budget results). Both are named here, and :meth:`Names.locality_of`
maps a small area to the needs localities so that drill-down follows the published results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caremap.app.capabilities import PageContext

# NHS Data Dictionary, Treatment Function Code (a small subset: the specialties synthetic and
# typical acute waiting lists use). https://www.datadictionary.nhs.uk/attributes/treatment_function_code.html
TREATMENT_FUNCTIONS = {
    "100": "General Surgery",
    "101": "Urology",
    "104": "Colorectal Surgery",
    "110": "Trauma and Orthopaedics",
    "120": "Ear Nose and Throat",
    "130": "Ophthalmology",
    "140": "Oral Surgery",
    "150": "Neurosurgery",
    "160": "Plastic Surgery",
    "170": "Cardiothoracic Surgery",
    "300": "General Internal Medicine",
    "301": "Gastroenterology",
    "320": "Cardiology",
    "330": "Dermatology",
    "340": "Respiratory Medicine",
    "361": "Nephrology",
    "400": "Neurology",
    "410": "Rheumatology",
    "420": "Paediatrics",
    "430": "Elderly Medicine",
    "501": "Obstetrics",
    "502": "Gynaecology",
    "800": "Clinical Oncology",
}

AREA_LEVELS = ("region", "ics", "locality", "small_area")
LEVEL_NAMES = {
    "region": "region",
    "ics": "ICS",
    "locality": "locality",
    "small_area": "small area",
}


@dataclass
class Names:
    """Code -> name lookups and the area hierarchy (child -> parent) of one workspace."""

    areas: dict[str, str] = field(default_factory=dict)  # any area code -> name
    level: dict[str, str] = field(default_factory=dict)  # area code -> area level
    parent: dict[str, str] = field(default_factory=dict)  # area code -> parent area code
    sites: dict[str, str] = field(default_factory=dict)
    site_type: dict[str, str] = field(default_factory=dict)
    site_provider: dict[str, str] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)
    federations: dict[str, str] = field(default_factory=dict)

    def area(self, code) -> str:
        return self.areas.get(str(code), str(code)) if code is not None else ""

    def site(self, code) -> str:
        c = str(code)
        return self.sites.get(c) or self.providers.get(c) or c

    def provider(self, code) -> str:
        c = str(code)
        return self.providers.get(c) or self.sites.get(c) or c

    def practice(self, code) -> str:
        return self.site(code)

    def any(self, code) -> str:
        """The name of a code of any kind, or the code itself when none is known."""
        c = str(code)
        for d in (self.areas, self.sites, self.providers, self.federations):
            if c in d:
                return d[c]
        return c

    def known(self, code) -> bool:
        c = str(code)
        return any(c in d for d in (self.areas, self.sites, self.providers, self.federations))

    def waiting_list(self, code: str) -> str:
        """``"XA01 / 101"`` -> ``"Westford Hospitals NHS Trust: Urology"``."""
        text = str(code)
        provider, sep, tfc = text.partition(" / ")
        if not sep:
            provider, _, tfc = text.partition(" ")
        tfc = tfc.strip()
        if tfc.isdigit():
            spec = TREATMENT_FUNCTIONS.get(tfc, f"treatment function {tfc}")
        else:
            spec = tfc.replace("_", " ").capitalize()
        return f"{self.provider(provider.strip())}: {spec}" if tfc else self.provider(provider)

    def series(self, code: str) -> str:
        """An SPC or funnel series such as ``"XA01 / other"``: the unit's name, then the rest."""
        unit, sep, rest = str(code).partition(" / ")
        return f"{self.site(unit.strip())}{sep}{rest}"

    def ancestors(self, code: str) -> list[str]:
        out, c = [], self.parent.get(code)
        while c is not None and c not in out:
            out.append(c)
            c = self.parent.get(c)
        return out

    def children(self, code: str) -> list[str]:
        return sorted((c for c, p in self.parent.items() if p == code), key=self.area)


def load_names(ctx: PageContext) -> Names:
    """All names a page may need (reference tables are small; missing tables are skipped)."""
    n = Names()

    def rows(table: str, cols: list[str]):
        if not ctx.has(table) or not all(ctx.info(table).has(c) for c in cols[:2]):
            return []
        df = ctx.frame(table, cols, limit=500_000)
        return df.itertuples(index=False)

    for r in rows("region", ["region_code", "region_name"]):
        n.areas[r[0]], n.level[r[0]] = r[1], "region"
    for r in rows("ics", ["ics_code", "ics_name", "region_code"]):
        n.areas[r[0]], n.level[r[0]] = r[1], "ics"
        if len(r) > 2 and r[2] is not None:
            n.parent[r[0]] = r[2]
    geo_localities: dict[str, str] = {}
    for r in rows("locality", ["locality_code", "locality_name", "ics_code"]):
        n.areas[r[0]], n.level[r[0]] = r[1], "locality"
        geo_localities[r[0]] = r[2] if len(r) > 2 else None
    needs_localities = False
    for r in rows("needs_locality_summary", ["locality_code", "locality_name", "ics_code"]):
        needs_localities = True
        n.areas[r[0]], n.level[r[0]] = r[1], "locality"
        if len(r) > 2 and r[2] is not None:
            n.parent[r[0]] = r[2]
    if not needs_localities:
        for code, ics in geo_localities.items():
            if ics is not None:
                n.parent[code] = ics
    for r in rows("small_area", ["area_code", "area_name", "locality_code", "ics_code"]):
        n.areas[r[0]], n.level[r[0]] = r[1], "small_area"
        if not needs_localities and r[2] is not None:
            n.parent[r[0]] = r[2]
        elif r[3] is not None:
            n.parent.setdefault(r[0], r[3])
    for r in rows("needs_locality_map", ["area_code", "locality_code"]):
        n.parent[r[0]] = r[1]
    for r in rows("provider", ["provider_code", "provider_name"]):
        n.providers[r[0]] = r[1]
    for r in rows("site", ["site_code", "site_name", "site_type", "provider_code"]):
        n.sites[r[0]] = r[1]
        n.site_type[r[0]] = r[2]
        n.site_provider[r[0]] = r[3]
    for r in rows("gp_federation", ["federation_code", "federation_name"]):
        n.federations[r[0]] = r[1]
    _hub_names(ctx, n)
    return n


HUB_TYPES = {"surgical_hub": "surgical hub", "diagnostic_centre": "community diagnostic centre"}


def _hub_names(ctx: PageContext, n: Names) -> None:
    """Hubs and CDCs that have performance rows but no ``site`` row (peers in other systems)
    are named by their provider and type: "Westford Hospitals NHS Trust surgical hub XA03H1"."""
    if not ctx.has("hub_performance_month"):
        return
    info = ctx.info("hub_performance_month")
    if not all(info.has(c) for c in ("site_code", "site_type", "provider_code")):
        return
    rows = (
        ctx.st.cursor()
        .execute(
            'SELECT DISTINCT "site_code", "site_type", "provider_code" FROM hub_performance_month'
        )
        .fetchall()
    )
    for code, kind, provider in rows:
        if code in n.sites or code is None:
            continue
        what = HUB_TYPES.get(str(kind), str(kind).replace("_", " "))
        owner = n.providers.get(str(provider))
        n.sites[code] = f"{owner} {what} {code}" if owner else f"{what.capitalize()} {code}"
        n.site_type.setdefault(code, str(kind))
        n.site_provider.setdefault(code, provider)


def names_for(ctx: PageContext) -> Names:
    """The names of this page's workspace snapshot: read once per catalog snapshot (names are
    reference data, the same for every role) and kept on the app state."""
    cached = getattr(ctx, "_names", None)
    if cached is not None:
        return cached
    version, _ = ctx.st.catalog.snapshot(ctx.st.cursor())
    store = ctx.st.__dict__.setdefault("_caremap_names", {})
    cached = store.get(version)
    if cached is None:
        cached = load_names(ctx)
        store.clear()
        store[version] = cached
    ctx._names = cached  # type: ignore[attr-defined]
    return cached

"""What the network step reads from the workspace: small areas with their population,
acute hospitals with their trauma roles, and trauma incidents; and travel times between
them (`caremap.network.travel`). Everything is aggregated by the engine before it reaches
NumPy: areas and sites are small tables, incidents carry no identifiers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from caremap.core.errors import InputError, WorkspaceError
from caremap.core.sql import in_list
from caremap.network.problem import LocationProblem
from caremap.network.travel import times_between


@dataclass(frozen=True)
class Places:
    """Areas (with population) and candidate sites, and area -> site minutes."""

    areas: pa.Table
    sites: pa.Table
    times: np.ndarray
    method: str

    @property
    def site_codes(self) -> list[str]:
        return self.sites.column("site_code").to_pylist()

    @property
    def population(self) -> np.ndarray:
        return np.asarray(self.areas.column("population").to_numpy(), dtype=float)


def load_areas(ws) -> pa.Table:
    ws.require("small_area", "population")
    return ws.sql(
        """
        WITH latest AS (SELECT max(year) AS y FROM population),
        pop AS (
            SELECT area_code, sum(population) AS population
            FROM population, latest WHERE year = latest.y GROUP BY area_code
        )
        SELECT a.area_code, a.locality_code, a.imd_decile, a.easting, a.northing, a.road_node,
               coalesce(pop.population, 0)::DOUBLE AS population
        FROM small_area a LEFT JOIN pop USING (area_code)
        ORDER BY a.area_code
        """
    )


def load_sites(ws, site_codes=None) -> pa.Table:
    """Acute hospitals (or the listed sites) with flags for their current trauma roles."""
    ws.require("site")
    where = (
        f"s.site_code IN {in_list(site_codes)}" if site_codes else "s.site_type = 'acute_hospital'"
    )
    caps = "site_capability" if ws.has_table("site_capability") else None
    cap_sql = (
        f"""LEFT JOIN (
            SELECT site_code,
                   bool_or(capability = 'major_trauma_centre') AS is_mtc,
                   bool_or(capability IN ('trauma_unit', 'ae', 'major_trauma_centre')) AS has_ae
            FROM {caps} GROUP BY site_code) c USING (site_code)"""
        if caps
        else "LEFT JOIN (SELECT NULL::VARCHAR AS site_code, false AS is_mtc, true AS has_ae) c "
        "USING (site_code)"
    )
    t = ws.sql(
        f"""
        SELECT s.site_code, s.site_name, s.tier, s.easting, s.northing, s.road_node,
               coalesce(c.is_mtc, false) AS is_mtc, coalesce(c.has_ae, true) AS has_ae
        FROM site s {cap_sql}
        WHERE {where}
        ORDER BY s.site_code
        """
    )
    if t.num_rows == 0:
        raise WorkspaceError("the workspace has no acute hospital sites to build a network from")
    missing = [
        c
        for c, e, n in zip(
            t.column("site_code").to_pylist(),
            t.column("easting").to_pylist(),
            t.column("northing").to_pylist(),
            strict=True,
        )
        if e is None or n is None
    ]
    if missing:
        raise InputError(
            f"sites without coordinates, so no travel times: {', '.join(missing[:5])}",
            file="site",
            field="easting",
        )
    if site_codes:
        found = set(t.column("site_code").to_pylist())
        unknown = [c for c in site_codes if c not in found]
        if unknown:
            raise InputError(f"unknown site codes: {', '.join(unknown[:5])}", file="site")
    return t


def load_places(ws, site_codes=None) -> Places:
    areas = load_areas(ws)
    sites = load_sites(ws, site_codes)
    times, method = times_between(ws, areas, sites)
    return Places(areas, sites, times, method)


def load_incidents(ws) -> pa.Table:
    """Trauma incidents without identifiers (id, place, age, severity)."""
    ws.require("trauma_incident")
    return ws.sql(
        """
        SELECT incident_id, area_code, easting, northing, road_node, age, iss, mechanism
        FROM trauma_incident
        WHERE easting IS NOT NULL AND northing IS NOT NULL AND iss IS NOT NULL
        ORDER BY incident_id
        """
    )


def workspace_problem(
    ws, demand: str = "population", sites=None, forced_open=(), forced_closed=()
) -> LocationProblem:
    """Small areas to sites, weighted by population or by major-trauma incidents."""
    places = load_places(ws, sites)
    codes = places.areas.column("area_code").to_pylist()
    if demand == "population":
        w = places.population
    elif demand in ("incidents", "major_trauma"):
        where = "WHERE iss > 15" if demand == "major_trauma" else ""
        counts = ws.sql(f"SELECT area_code, count(*) AS n FROM trauma_incident {where} GROUP BY 1")
        got = dict(zip(counts.column(0).to_pylist(), counts.column(1).to_pylist(), strict=True))
        w = np.array([got.get(c, 0) for c in codes], dtype=float)
    else:
        raise InputError(
            f"unknown demand {demand!r}; use population, incidents or major_trauma", field="demand"
        )
    return LocationProblem.build(
        places.times,
        w,
        codes,
        places.site_codes,
        forced_open,
        forced_closed,
        source=f"workspace travel times ({places.method})",
    )

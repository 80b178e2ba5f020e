"""`run_network(ws, config)`: design and compare trauma network configurations.

Scenarios side by side: ``today`` (the sites flagged major_trauma_centre), ``optimised_p<k>``
for p = 1..max_p (p-median over the acute hospitals, weighted by major-trauma incidents, or
population when there are none), and the planner's ``proposal``. Each is evaluated
(`caremap.network.evaluate`) under both triage policies, and written to the workspace:

* ``network_scenario``: one row per scenario (centres, objective, gap, access shares,
  headline outcomes of the right-place policy);
* ``network_policy``: scenario x policy (times, bypasses, transfers, expected deaths);
* ``network_site_volume``: scenario x policy x site volumes against the minimum;
* ``network_access``: travel burden by locality and deprivation decile;
* ``network_map_site`` and ``network_map_area``: points for the app to draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from caremap.core.errors import ConfigError
from caremap.core.result import StepResult
from caremap.core.workspace import Workspace
from caremap.network.config import NetworkConfig
from caremap.network.evaluate import evaluate
from caremap.network.inputs import load_incidents, load_places
from caremap.network.pmedian import solve_pmedian
from caremap.network.problem import LocationProblem
from caremap.network.travel import times_between

TABLES = (
    "network_scenario",
    "network_policy",
    "network_site_volume",
    "network_access",
    "network_map_site",
    "network_map_area",
)


@dataclass(frozen=True)
class NetworkResult(StepResult):
    """The scenarios side by side: one row per scenario (as in ``network_scenario``)."""

    scenarios: pd.DataFrame


def _demand(ws, places, config, incidents: pd.DataFrame | None) -> np.ndarray:
    if config.demand == "population" or incidents is None or not len(incidents):
        return places.population
    inc = incidents if config.demand == "incidents" else incidents[incidents.iss > 15]
    counts = inc.groupby("area_code").size()
    codes = places.areas.column("area_code").to_pylist()
    w = np.array([counts.get(c, 0) for c in codes], dtype=float)
    return w if w.sum() > 0 else places.population


def run_network(ws: Workspace, config: NetworkConfig) -> NetworkResult:
    """Build, evaluate and write the scenarios (see the module docstring)."""
    places = load_places(ws)
    codes = places.site_codes
    for name, lst in (("proposal", config.proposal or []), ("forced_open", config.forced_open)):
        unknown = [c for c in lst if c not in codes]
        if unknown:
            raise ConfigError(f"{name}: not acute hospital sites: {', '.join(unknown)}")
    incidents = None
    inc_times = None
    years = 1.0
    if ws.has_table("trauma_incident") and ws.row_count("trauma_incident"):
        inc = load_incidents(ws)
        incidents = inc.to_pandas()
        inc_times, _ = times_between(ws, inc, places.sites)
        span = (
            ws.sql(
                "SELECT date_diff('day', min(incident_time), max(incident_time)) FROM trauma_incident"
            )
            .column(0)[0]
            .as_py()
        )
        years = max((span or 0) + 1, 1) / 365.25
    site_times, _ = times_between(ws, places.sites, places.sites)
    np.fill_diagonal(site_times, 0.0)
    w = _demand(ws, places, config, incidents)
    problem = LocationProblem.build(
        places.times,
        w,
        places.areas.column("area_code").to_pylist(),
        codes,
        config.forced_open,
        config.forced_closed,
        source=f"workspace travel times ({places.method})",
    )
    scenarios: list[tuple[str, np.ndarray, dict]] = []
    today = np.asarray(places.sites.column("is_mtc").to_pylist(), dtype=bool)
    if today.any():
        scenarios.append(("today", today, {}))
    for p in range(1, min(config.max_p, len(problem.candidates())) + 1):
        r = solve_pmedian(problem, p, time_limit=config.time_limit)
        flags = np.isin(codes, r.open_sites)
        scenarios.append(
            (
                f"optimised_p{p}",
                flags,
                {"objective": r.objective, "bound": r.bound, "gap": r.gap, "status": r.status},
            )
        )
    if config.proposal:
        scenarios.append(("proposal", np.isin(codes, config.proposal), {}))
    rows, policies, volumes, access, map_site, map_area = [], [], [], [], [], []
    xy = places.sites.to_pandas()[["site_code", "site_name", "easting", "northing"]]
    for name, flags, solve in scenarios:
        ev = evaluate(
            places, flags, incidents, inc_times, site_times, config.triage,
            config.limits, config.min_volume_major, years,
        )  # fmt: skip
        right = ev["policies"].set_index("policy").to_dict("index").get("right_place", {})
        rows.append(
            {
                "scenario": name,
                "centres": ",".join(np.asarray(codes)[flags]),
                "n_centres": int(flags.sum()),
                "objective": solve.get("objective", np.nan),
                "bound": solve.get("bound", np.nan),
                "gap": solve.get("gap", np.nan),
                "status": solve.get("status", "given"),
                **ev["summary"],
                "expected_deaths_right_place": right.get("expected_deaths", np.nan),
                "secondary_transfers_right_place": right.get("secondary_transfers", np.nan),
                "years": years,
            }
        )
        for frame, out in (
            (ev["policies"], policies),
            (ev["volumes"], volumes),
            (ev["burden"], access),
        ):
            if len(frame):
                out.append(frame.assign(scenario=name))
        vol = ev["volumes"]
        rp = vol[vol.policy == "right_place"] if len(vol) else None
        ms = xy.assign(scenario=name, role=np.where(flags, "mtc", "trauma_unit"))
        if rp is not None and len(rp):
            ms = ms.merge(
                rp[["site_code", "arrivals", "major_trauma_per_year"]], on="site_code", how="left"
            )
        map_site.append(ms)
        map_area.append(ev["areas"].assign(scenario=name))
    result = pd.DataFrame(rows)
    written = ["network_scenario"]
    with ws.transaction():
        ws.write_table("network_scenario", result)
        for tname, parts in (
            ("network_policy", policies),
            ("network_site_volume", volumes),
            ("network_access", access),
            ("network_map_site", map_site),
            ("network_map_area", map_area),
        ):
            if parts:
                ws.write_table(tname, pd.concat(parts, ignore_index=True))
                written.append(tname)
    return NetworkResult(scenarios=result, tables=tuple(written))

"""Location-allocation models with one shape: build from a matrix or the workspace, then
``solve()`` for an immutable `LocationResult`.

    >>> from caremap.network.models import PMedian
    >>> r = PMedian.from_matrix([[1, 5], [4, 1], [6, 2]], weights=[1, 1, 1], p=1).solve()
    >>> r.open_sites, r.objective
    ((1,), 8.0)

Each class documents the formulation it solves (see `pmedian`, `covering`, `capacitated`);
the solver is injectable (any callable with `caremap.network.milp.solve_milp`'s signature).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from caremap.network.capacitated import solve_capacitated
from caremap.network.covering import solve_lscp, solve_mclp, solve_pcenter
from caremap.network.milp import INF, Solver, solve_milp
from caremap.network.pmedian import solve_pmedian
from caremap.network.problem import LocationProblem, LocationResult


@dataclass
class _Model:
    problem: LocationProblem
    solver: Solver = field(default=solve_milp)
    time_limit: float = 600.0

    @classmethod
    def from_matrix(
        cls,
        times,
        weights=None,
        demand_ids=None,
        site_ids=None,
        forced_open=(),
        forced_closed=(),
        solver: Solver = solve_milp,
        time_limit: float = 600.0,
        **params,
    ):
        problem = LocationProblem.build(
            times, weights, demand_ids, site_ids, forced_open, forced_closed
        )
        return cls(problem=problem, solver=solver, time_limit=time_limit, **params)

    @classmethod
    def from_workspace(cls, ws, demand: str = "population", sites=None, **kwargs):
        """Small areas (weighted by population, or incidents) to the workspace's acute sites,
        travel times on its road network (`caremap.network.travel.workspace_problem`)."""
        from caremap.network.inputs import workspace_problem

        problem = workspace_problem(
            ws,
            demand=demand,
            sites=sites,
            forced_open=kwargs.pop("forced_open", ()),
            forced_closed=kwargs.pop("forced_closed", ()),
        )
        return cls(problem=problem, **kwargs)


@dataclass
class PMedian(_Model):
    """Minimise demand-weighted travel time with exactly p open sites (radius formulation)."""

    p: int = 1
    mip_gap: float = 1e-9
    heuristic_only: bool = False  # greedy + vertex substitution, no proof (very large cases)

    def solve(self) -> LocationResult:
        return solve_pmedian(
            self.problem,
            self.p,
            solver=self.solver,
            time_limit=self.time_limit,
            mip_gap=self.mip_gap,
            heuristic_only=self.heuristic_only,
        )


@dataclass
class MCLP(_Model):
    """Maximise the demand within ``radius`` minutes of one of p open sites."""

    p: int = 1
    radius: float = 30.0
    mip_gap: float = 1e-9

    def solve(self) -> LocationResult:
        return solve_mclp(
            self.problem,
            self.p,
            self.radius,
            solver=self.solver,
            time_limit=self.time_limit,
            mip_gap=self.mip_gap,
        )


@dataclass
class LSCP(_Model):
    """Fewest sites so that every demand point is within ``radius`` minutes."""

    radius: float = 30.0

    def solve(self) -> LocationResult:
        return solve_lscp(self.problem, self.radius, solver=self.solver, time_limit=self.time_limit)


@dataclass
class PCenter(_Model):
    """Minimise the longest travel time of any demand point with p open sites."""

    p: int = 1

    def solve(self) -> LocationResult:
        return solve_pcenter(self.problem, self.p, solver=self.solver, time_limit=self.time_limit)


@dataclass
class CapacitatedPMedian(_Model):
    """p-median where each open centre sees between ``min_volume`` and ``capacity`` cases."""

    p: int = 1
    min_volume: float = 0.0
    capacity: float | np.ndarray = INF
    max_time: float = INF
    single_source: bool = False

    def solve(self) -> LocationResult:
        return solve_capacitated(
            self.problem,
            self.p,
            min_volume=self.min_volume,
            capacity=self.capacity,
            max_time=self.max_time,
            single_source=self.single_source,
            solver=self.solver,
            time_limit=self.time_limit,
        )


MODELS = {
    "pmedian": PMedian,
    "mclp": MCLP,
    "lscp": LSCP,
    "pcenter": PCenter,
    "capacitated": CapacitatedPMedian,
}

"""Capacitated p-median with minimum volumes: every open centre sees at least V cases a
year and at most its capacity.

Classical allocation formulation (ReVelle & Swain 1970, "Central facilities location",
Geographical Analysis 2(1), 30-42, with capacities as in the capacitated p-median of Mulvey &
Beck 1984, EJOR 18(3), 339-348, and the lower volume bound of a "minimum-volume" service
standard):

    min  sum_ij w_i d_ij x_ij
    s.t. sum_j x_ij = 1                        every demand point is served
         x_ij <= y_j                           only by open centres
         V y_j <= sum_i w_i x_ij <= C_j y_j    volume between the minimum and the capacity
         sum_j y_j = p,   y binary, x in [0, 1] (binary with single_source=True)

Only pairs within ``max_time`` (and reachable) get an x variable. Sized for regional problems
(thousands of demand points by tens of sites); infeasibility is diagnosed by constraint.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from caremap.core.errors import InputError
from caremap.network.milp import INF, Milp, Solver, solve_milp
from caremap.network.problem import LocationProblem, LocationResult


def _model(problem, p, min_volume, capacity, max_time, single_source, use_volume=True):
    n, m = problem.n, problem.m
    w = problem.weights
    ok = np.isfinite(problem.times) & (problem.times <= max_time)
    ok[:, list(problem.forced_closed)] = False
    ok[w <= 0] = False
    ii, jj = np.nonzero(ok)
    nx = len(ii)
    xc = m + np.arange(nx)
    served = np.flatnonzero(w > 0)
    row_of = np.full(n, -1)
    row_of[served] = np.arange(len(served))
    r_assign = row_of[ii]
    r_link = len(served) + np.arange(nx)
    r_vmin = len(served) + nx + np.arange(m)
    r_vmax = r_vmin + m
    r_card = len(served) + nx + 2 * m
    cap = np.broadcast_to(np.asarray(capacity, dtype=float), (m,))
    rows = np.concatenate(
        [r_assign, r_link, r_link, r_vmin[jj], r_vmin, r_vmax[jj], r_vmax, np.full(m, r_card)]
    )
    cols = np.concatenate([xc, xc, jj, xc, np.arange(m), xc, np.arange(m), np.arange(m)])
    vals = np.concatenate(
        [
            np.ones(nx),
            np.ones(nx),
            -np.ones(nx),
            w[ii],
            np.full(m, -float(min_volume if use_volume else 0.0)),
            w[ii],
            -np.where(np.isfinite(cap), cap, w.sum() + 1.0),
            np.ones(m),
        ]
    )
    nr = r_card + 1
    A = sp.csc_matrix((vals, (rows, cols)), shape=(nr, m + nx))
    row_lo = np.concatenate(
        [np.ones(len(served)), np.full(nx, -INF), np.zeros(m), np.full(m, -INF), [p]]
    )
    row_hi = np.concatenate([np.ones(len(served)), np.zeros(nx), np.full(m, INF), np.zeros(m), [p]])
    c = np.concatenate([np.zeros(m), w[ii] * problem.times[ii, jj]])
    lo = np.zeros(m + nx)
    hi = np.ones(m + nx)
    lo[list(problem.forced_open)] = 1.0
    hi[list(problem.forced_closed)] = 0.0
    integer = np.zeros(m + nx, dtype=bool)
    integer[:m] = True
    if single_source:
        integer[m:] = True
    return Milp(c, A, row_lo, row_hi, lo, hi, integer), ii, jj


def solve_capacitated(
    problem: LocationProblem,
    p: int,
    *,
    min_volume: float = 0.0,
    capacity: float | np.ndarray = INF,
    max_time: float = INF,
    single_source: bool = False,
    solver: Solver = solve_milp,
    time_limit: float = 600.0,
    mip_gap: float = 1e-9,
) -> LocationResult:
    """Open exactly ``p`` centres minimising demand-weighted time, each centre's volume in
    [min_volume, capacity]; raises InputError naming the constraint that cannot hold."""
    t0 = time.perf_counter()
    problem.check_p(p)
    problem.check_reachable(None if not np.isfinite(max_time) else max_time)
    total = float(problem.weights.sum())
    cap = np.broadcast_to(np.asarray(capacity, dtype=float), (problem.m,))
    if min_volume * p > total + 1e-9:
        raise InputError(
            f"minimum volume is infeasible: {p} centres x {min_volume:g} cases = "
            f"{min_volume * p:g} but total demand is {total:g}; lower p or the minimum volume",
            field="min_volume",
        )
    top_p = np.sort(cap[problem.candidates()])[::-1][:p].sum()
    if top_p < total - 1e-9:
        raise InputError(
            f"capacity is infeasible: the {p} largest capacities hold {top_p:g} cases but "
            f"demand is {total:g}; raise p or the capacities",
            field="capacity",
        )
    if (cap < min_volume).all():
        raise InputError("every site's capacity is below the minimum volume", field="capacity")
    model, ii, jj = _model(problem, p, min_volume, cap, max_time, single_source)
    out = solver(model, time_limit=time_limit, mip_gap=mip_gap)
    if out.status == "infeasible":
        relaxed, _, _ = _model(problem, p, 0.0, cap, max_time, single_source)
        without_min = solver(relaxed, time_limit=time_limit, mip_gap=1e-2)
        which = (
            f"the minimum volume of {min_volume:g} cases per centre"
            if without_min.status != "infeasible"
            else "the site capacities together with the travel-time limit"
        )
        raise InputError(f"no set of {p} centres satisfies {which}", field="min_volume")
    if out.x is None:
        raise InputError(
            f"capacitated model found no solution within the time limit ({out.status})"
        )
    m = problem.m
    sites = [int(j) for j in np.flatnonzero(out.x[:m] > 0.5)]
    x = out.x[m:]
    volumes = np.bincount(jj, weights=problem.weights[ii] * x, minlength=m)
    # each demand point is reported at the centre taking its largest share
    best = np.full(problem.n, -1)
    share = np.zeros(problem.n)
    for i, j, v in zip(ii, jj, x, strict=True):
        if v > share[i]:
            share[i], best[i] = v, j
    assignment = tuple(problem.site_ids[j] if j >= 0 else None for j in best)
    return LocationResult(
        "capacitated",
        tuple(problem.site_ids[j] for j in sorted(sites)),
        assignment,
        float(out.objective),
        float(out.bound),
        out.gap if out.status != "optimal" else 0.0,
        out.status,
        time.perf_counter() - t0,
        {
            "volumes": {problem.site_ids[j]: float(volumes[j]) for j in sites},
            "split_demand_points": int(((x > 1e-6) & (x < 1 - 1e-6)).sum()),
            "min_volume": min_volume,
        },
    )

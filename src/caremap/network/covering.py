"""Covering models: maximal covering (MCLP), set covering (LSCP) and p-centre.

* MCLP: Church & ReVelle (1974), "The maximal covering location problem", Papers of the
  Regional Science Association 32, 101-118: open p sites to cover the most demand within T.
* LSCP: Toregas, Swain, ReVelle & Bergman (1971), "The location of emergency service
  facilities", Operations Research 19(6), 1363-1373: fewest sites so all demand is within T.
* p-centre: Hakimi (1964), "Optimum locations of switching centers and the absolute centers and
  medians of a graph", Operations Research 12(3), 450-459; solved exactly by searching the
  sorted distinct travel times for the smallest radius whose set cover needs at most p sites
  (Minieka 1970, "The m-center problem", SIAM Review 12(1), 138-139).

Demand points with the same set of covering sites are merged (their demand summed) before the
model is built, which is exact and shrinks national instances by an order of magnitude.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from caremap.core.errors import InputError
from caremap.network.heuristic import greedy_interchange
from caremap.network.milp import INF, Milp, Solver, solve_milp
from caremap.network.problem import LocationProblem, LocationResult


def coverage_groups(cover: np.ndarray, w: np.ndarray):
    """Merge rows of a boolean cover matrix that are identical: (unique rows, summed weight,
    group of each original row)."""
    packed = np.packbits(cover, axis=1)
    uniq, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    weight = np.bincount(inverse, weights=w, minlength=len(uniq))
    return cover[first], weight, inverse


def _assignment(problem: LocationProblem, sites) -> tuple:
    sites = np.asarray(sorted(sites), dtype=int)
    nearest = sites[np.argmin(problem.times[:, sites], axis=1)]
    return tuple(problem.site_ids[j] for j in nearest)


def _bounds(problem: LocationProblem, ncols: int):
    lo = np.zeros(ncols)
    hi = np.ones(ncols)
    lo[list(problem.forced_open)] = 1.0
    hi[list(problem.forced_closed)] = 0.0
    return lo, hi


def solve_mclp(
    problem: LocationProblem,
    p: int,
    radius: float,
    *,
    solver: Solver = solve_milp,
    time_limit: float = 600.0,
    mip_gap: float = 1e-9,
) -> LocationResult:
    """Maximise demand within ``radius`` minutes of one of ``p`` open sites."""
    t0 = time.perf_counter()
    problem.check_p(p)
    m = problem.m
    cover = problem.times <= radius
    G, W, _ = coverage_groups(cover, problem.weights)
    never = ~G.any(axis=1)
    keep = ~never & (W > 0)
    G, W = G[keep], W[keep]
    ng = len(W)
    # rows: c_g - sum_{j in N_g} y_j <= 0 ; sum_j y_j = p
    gi, gj = np.nonzero(G)
    rows = np.concatenate([gi, np.arange(ng), np.full(m, ng)])
    cols = np.concatenate([gj, m + np.arange(ng), np.arange(m)])
    vals = np.concatenate([-np.ones(len(gi)), np.ones(ng), np.ones(m)])
    A = sp.csc_matrix((vals, (rows, cols)), shape=(ng + 1, m + ng))
    row_lo = np.concatenate([np.full(ng, -INF), [p]])
    row_hi = np.concatenate([np.zeros(ng), [p]])
    c = np.concatenate([np.zeros(m), W])
    lo, hi = _bounds(problem, m + ng)
    integer = np.arange(m + ng) < m
    model = Milp(c, A, row_lo, row_hi, lo, hi, integer, maximize=True)
    # warm start: p-median heuristic on 0/1 "not covered" costs
    cand = problem.candidates()
    pos = {int(j): k for k, j in enumerate(cand)}
    S = cand[
        greedy_interchange((~G[:, cand]).astype(float), W, p, [pos[j] for j in problem.forced_open])
    ]
    start = np.zeros(m + ng)
    start[S] = 1.0
    start[m:] = G[:, S].any(axis=1)
    out = solver(model, time_limit=time_limit, mip_gap=mip_gap, start=start)
    if out.x is None:
        raise InputError(f"maximal covering found no solution ({out.status})")
    sites = [int(j) for j in np.flatnonzero(out.x[:m] > 0.5)]
    covered = float(problem.weights[(cover[:, sites]).any(axis=1)].sum())
    total = float(problem.weights.sum())
    return LocationResult(
        "mclp",
        tuple(problem.site_ids[j] for j in sorted(sites)),
        _assignment(problem, sites),
        covered,
        max(out.bound, covered),
        out.gap if out.status != "optimal" else 0.0,
        out.status,
        time.perf_counter() - t0,
        {
            "radius": radius,
            "covered_share": covered / total if total else 1.0,
            "uncoverable_demand": float(
                problem.weights[(~cover[:, problem.candidates()]).all(axis=1)].sum()
            ),
            "groups": ng,
        },
    )


def _set_cover(
    problem: LocationProblem, radius: float, solver, time_limit, mip_gap, max_sites=None
):
    """Fewest open sites covering every demand point within ``radius`` (None if > max_sites)."""
    m = problem.m
    cover = problem.times <= radius
    cover[:, list(problem.forced_closed)] = False
    need = problem.weights > 0
    G, _, _ = coverage_groups(cover[need], problem.weights[need])
    if len(problem.forced_open):
        G = G[~G[:, list(problem.forced_open)].any(axis=1)]
    gi, gj = np.nonzero(G)
    ng = len(G)
    rows = np.concatenate([gi, np.full(m, ng)]) if max_sites else gi
    cols = np.concatenate([gj, np.arange(m)]) if max_sites else gj
    nr = ng + (1 if max_sites else 0)
    A = sp.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(nr, m))
    row_lo = np.ones(nr)
    row_hi = np.full(nr, INF)
    if max_sites:
        row_lo[-1], row_hi[-1] = -INF, max_sites
    lo, hi = _bounds(problem, m)
    model = Milp(np.ones(m), A, row_lo, row_hi, lo, hi, np.ones(m, dtype=bool))
    return solver(model, time_limit=time_limit, mip_gap=mip_gap)


def solve_lscp(
    problem: LocationProblem,
    radius: float,
    *,
    solver: Solver = solve_milp,
    time_limit: float = 600.0,
    mip_gap: float = 1e-9,
) -> LocationResult:
    """Fewest sites so that all demand is within ``radius`` minutes of an open site."""
    t0 = time.perf_counter()
    problem.check_reachable(radius)
    out = _set_cover(problem, radius, solver, time_limit, mip_gap)
    if out.x is None:
        raise InputError(f"set covering found no solution ({out.status})")
    sites = [int(j) for j in np.flatnonzero(out.x > 0.5)]
    return LocationResult(
        "lscp",
        tuple(problem.site_ids[j] for j in sorted(sites)),
        _assignment(problem, sites),
        float(len(sites)),
        float(np.ceil(out.bound - 1e-6)),
        out.gap if out.status != "optimal" else 0.0,
        out.status,
        time.perf_counter() - t0,
        {"radius": radius},
    )


def solve_pcenter(
    problem: LocationProblem,
    p: int,
    *,
    solver: Solver = solve_milp,
    time_limit: float = 600.0,
) -> LocationResult:
    """Smallest radius R such that p open sites put every demand point within R minutes."""
    t0 = time.perf_counter()
    problem.check_p(p)
    problem.check_reachable()
    need = problem.weights > 0
    cand = problem.candidates()
    D = problem.times[np.ix_(need, cand)]
    lower = float(D.min(axis=1).max())
    pos = {int(j): k for k, j in enumerate(cand)}
    # upper bound: the p-median heuristic's worst travel time
    S = greedy_interchange(D, np.ones(len(D)), p, [pos[j] for j in problem.forced_open])
    upper = float(D[:, S].min(axis=1).max())
    best_sites = [int(cand[j]) for j in S]
    radii = np.unique(D[np.isfinite(D)])
    radii = radii[(radii >= lower) & (radii <= upper)]
    lo, hi = 0, len(radii) - 1  # radii[hi] is known feasible
    status = "optimal"
    while lo < hi:
        mid = (lo + hi) // 2
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0:
            status = "time_limit"
            break
        out = _set_cover(problem, float(radii[mid]), solver, left, 1e-9, max_sites=p)
        if out.status == "infeasible":
            lo = mid + 1
        elif out.x is not None:
            hi = mid
            best_sites = [int(j) for j in np.flatnonzero(out.x > 0.5)]
        else:
            status = "time_limit"
            break
    # top up to exactly p sites (extra sites never worsen the radius)
    for j in cand:
        if len(best_sites) >= p:
            break
        if int(j) not in best_sites:
            best_sites.append(int(j))
    value = float(problem.times[np.ix_(need, best_sites)].min(axis=1).max())
    bound = float(radii[lo]) if status == "optimal" else float(radii[min(lo, hi)])
    return LocationResult(
        "pcenter",
        tuple(problem.site_ids[j] for j in sorted(best_sites)),
        _assignment(problem, best_sites),
        value,
        bound if status != "optimal" else value,
        0.0 if status == "optimal" else (value - bound) / max(value, 1e-9),
        status,
        time.perf_counter() - t0,
        {"radii_tested": int(np.ceil(np.log2(max(len(radii), 1))) + 1)},
    )

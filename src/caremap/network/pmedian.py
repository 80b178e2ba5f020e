"""Exact p-median: minimise sum_i w_i min_{j open} d_ij with exactly p sites open.

By default `caremap.network.lagrange` solves it (Lagrangian relaxation, reduced-cost fixing
and branch-and-bound, from a greedy + vertex substitution start). The alternative below, used
when another MILP solver is injected, is the radius formulation solved as a MILP.

Radius formulation (Cornuejols, Nemhauser & Wolsey 1980, "A canonical representation of
simple plant location problems and its applications", SIAM J. Algebraic Discrete Methods
1(3), 261-272; Elloumi 2010, "A tighter formulation of the p-median problem", J.
Combinatorial Optimization 19, 69-83): for demand point i with sorted distinct distances
D_i^1 < ... < D_i^K, a variable z_ik >= 0 is 1 when no open site lies within D_i^k, and

    min  sum_i w_i (D_i^1 + sum_k (D_i^{k+1} - D_i^k) z_ik)
    s.t. z_i1 + sum_{j: d_ij = D_i^1} y_j >= 1
         z_ik - z_i,k-1 + sum_{j: d_ij = D_i^k} y_j >= 0      (k >= 2, chained form)
         sum_j y_j = p,  y binary,

with only O(n m) non-zeros. Before it, the LP bound of its Benders reformulation
(`caremap.network.benders`) fixes closed every site whose reduced cost lifts the bound past
the incumbent (Duran-Mateluna, Ales & Elloumi 2023). A demand point always has an open site
among its m - p + 1 nearest, so levels beyond that are not modelled.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from caremap.core.errors import ConfigError, InputError
from caremap.network.benders import solve_benders
from caremap.network.heuristic import greedy_interchange, interchange, solution_cost
from caremap.network.lagrange import solve_lagrangian
from caremap.network.milp import INF, Milp, Solver, relative_gap, solve_milp
from caremap.network.problem import LocationProblem, LocationResult


class _Levels:
    """Sorted distinct distances per demand point over the candidate sites."""

    def __init__(self, D: np.ndarray):
        self.order = np.argsort(D, axis=1, kind="stable")
        Ds = np.take_along_axis(D, self.order, axis=1)
        finite = np.isfinite(Ds)
        new = np.ones_like(Ds, dtype=bool)
        new[:, 1:] = Ds[:, 1:] != Ds[:, :-1]
        new &= finite
        self.lev = np.cumsum(new, axis=1)  # 1-based level of each sorted position
        self.lev[~finite] = 0
        self.K = self.lev[:, -1] if Ds.shape[1] else np.zeros(len(D), int)
        self.K = self.lev.max(axis=1)
        self.values = Ds[new]  # row-major: client 0's levels, then client 1's...
        self.start = np.concatenate([[0], np.cumsum(self.K)[:-1]])
        self.Ds = Ds

    def value(self, i, k):
        """D_i^k (k 1-based), vectorised."""
        return self.values[self.start[i] + k - 1]

    def level_of(self, dist: np.ndarray) -> np.ndarray:
        """Level index (1-based) of each demand point's distance ``dist[i]``."""
        return np.array(
            [
                int(np.searchsorted(self.values[s : s + k], d, side="left")) + 1
                for s, k, d in zip(self.start, self.K, dist, strict=True)
            ]
        )


def _build(lv: _Levels, w: np.ndarray, top: np.ndarray, hard: np.ndarray, m: int, p: int, lo_y):
    """The truncated radius model with levels 1..top[i] modelled for each demand point."""
    n = len(w)
    Z = top - 1  # z variables per demand point
    rows_i = Z + hard.astype(int)
    row_off = np.concatenate([[0], np.cumsum(rows_i)[:-1]])
    z_off = m + np.concatenate([[0], np.cumsum(Z)[:-1]])
    n_rows = int(rows_i.sum()) + 1
    n_cols = m + int(Z.sum())
    # y entries: site order[i, s] sits in row (i, lev) when lev <= rows_i
    mask = (lv.lev >= 1) & (lv.lev <= rows_i[:, None])
    ii, ss = np.nonzero(mask)
    y_rows = row_off[ii] + lv.lev[ii, ss] - 1
    y_cols = lv.order[ii, ss]
    # z entries: z_ik (k=1..Z_i) at +1 in row k and -1 in row k+1 (if present)
    zi = np.repeat(np.arange(n), Z)
    zk = np.arange(int(Z.sum())) - np.repeat(z_off - m, Z) + 1
    z_cols = z_off[zi] + zk - 1
    plus_rows = row_off[zi] + zk - 1
    has_next = zk + 1 <= rows_i[zi]
    minus_rows = row_off[zi][has_next] + zk[has_next]
    card_row = n_rows - 1
    rows = np.concatenate([y_rows, plus_rows, minus_rows, np.full(m, card_row)])
    cols = np.concatenate([y_cols, z_cols, z_cols[has_next], np.arange(m)])
    vals = np.concatenate(
        [np.ones(len(y_rows)), np.ones(len(plus_rows)), -np.ones(has_next.sum()), np.ones(m)]
    )
    A = sp.csc_matrix((vals, (rows, cols)), shape=(n_rows, n_cols))
    first_row = np.zeros(n_rows)
    first_row[row_off[rows_i > 0]] = 1.0
    row_lo = first_row
    row_hi = np.full(n_rows, INF)
    row_lo[card_row] = row_hi[card_row] = p
    c = np.zeros(n_cols)
    if len(zi):
        c[z_cols] = w[zi] * (lv.value(zi, zk + 1) - lv.value(zi, zk))
    offset = float(w @ lv.values[lv.start])
    lo = np.zeros(n_cols)
    lo[:m] = lo_y
    hi = np.full(n_cols, INF)
    hi[:m] = 1.0
    integer = np.zeros(n_cols, dtype=bool)
    integer[:m] = True
    return Milp(c, A, row_lo, row_hi, lo, hi, integer, offset=offset), z_off, Z


def solve_pmedian(
    problem: LocationProblem,
    p: int,
    *,
    solver: Solver = solve_milp,
    time_limit: float = 600.0,
    mip_gap: float = 1e-9,
    heuristic_only: bool = False,
    method: str = "auto",
) -> LocationResult:
    """Solve the p-median problem exactly.

    ``method`` "lagrangian" is the Lagrangian branch-and-bound of `caremap.network.lagrange`
    (the default); "radius" solves the radius formulation above as a MILP with ``solver``
    ("auto" picks it when a solver other than HiGHS is injected). The result's bound is a
    proven lower bound and its gap the relative distance to it."""
    t0 = time.perf_counter()
    if method not in ("auto", "lagrangian", "radius"):
        raise ConfigError(f"unknown p-median method {method!r}: use lagrangian or radius")
    problem.check_p(p)
    cand = problem.candidates()
    keep = problem.weights > 0
    D = problem.times[np.ix_(keep, cand)]
    w = problem.weights[keep]
    problem.check_reachable()
    pos = {int(j): k for k, j in enumerate(cand)}
    fo = [pos[j] for j in problem.forced_open]
    S = greedy_interchange(D, w, p, fo)
    ub = solution_cost(D, w, S)
    if not np.isfinite(D[:, S].min(axis=1)).all():
        raise InputError(
            f"no choice of {p} sites reaches every demand point; add sites or raise p",
            field="time",
        )
    if heuristic_only:
        return _result(problem, cand, S, ub, -INF, "heuristic", t0)
    if method == "radius" or (method == "auto" and solver is not solve_milp):
        S, ub, bound, status, info = _solve_radius(
            D, w, p, S, ub, fo, solver, time_limit, mip_gap, t0
        )
    else:
        left = max(time_limit - (time.perf_counter() - t0), 0.0)
        S, ub, bound, status, info = solve_lagrangian(D, w, p, S, fo, left, mip_gap)
    return _result(problem, cand, S, ub, bound, status, t0, **info)


def _solve_radius(D, w, p, S, ub, fo, solver, time_limit, mip_gap, t0, max_rounds: int = 20):
    """The radius-formulation MILP after Benders LP reduced-cost fixing, from incumbent
    ``S`` of cost ``ub``."""
    # Benders LP bound and reduced-cost fixing: a site whose reduced cost lifts the LP bound
    # above the incumbent cannot be in any better solution (Duran-Mateluna et al. 2023)
    reduced = np.arange(D.shape[1])
    lp_bound = -INF
    info: dict = {}
    if D.shape[1] > p:
        lo_full = np.zeros(D.shape[1])
        lo_full[fo] = 1.0
        y_lp, lp_bound, rc, lp_rounds = solve_benders(
            D, w, p, S, lo_full, time_limit=time_limit, return_mip=False
        )
        info = {"lp_bound": float(lp_bound), "lp_rounds": lp_rounds}
        # LP rounding: the p largest y (forced-open first), improved by vertex substitution
        score = np.asarray(y_lp, dtype=float) + 2.0 * lo_full
        S_lp = interchange(D, w, [int(j) for j in np.argsort(-score)[:p]], fo)
        cost_lp = solution_cost(D, w, S_lp)
        if cost_lp < ub - 1e-9 * max(1.0, abs(ub)):
            S, ub = S_lp, cost_lp
        if relative_gap(ub, lp_bound) <= max(mip_gap, 1e-9):
            return S, ub, ub, "optimal", info
        drop = lp_bound + rc > ub + 1e-6 * max(1.0, abs(ub))
        drop[S] = False
        drop[fo] = False
        reduced = np.flatnonzero(~drop)
        where = {int(j): k for k, j in enumerate(reduced)}
        D = D[:, reduced]
        S = [where[j] for j in S]
        fo = [where[j] for j in fo]
        info["sites_after_fixing"] = len(reduced)
    lv = _Levels(D)
    _n, m = D.shape
    # levels beyond the (m - p + 1)-th nearest site are never used
    guard_pos = m - p
    guard_level = lv.lev[:, guard_pos]
    complete = guard_level > 0
    cap = np.where(complete, guard_level, lv.K)
    top = cap.copy()
    lo_y = np.zeros(m)
    lo_y[fo] = 1.0
    bound = -INF
    status = "time_limit"
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - reported below
        if time.perf_counter() - t0 >= time_limit:
            break  # out of time: report the incumbent and the LP bound
        hard = (top >= lv.K) & ~complete
        model, z_off, Z = _build(lv, w, top, hard, m, p, lo_y)
        start = np.zeros(model.A.shape[1])
        start[S] = 1.0
        dist = D[:, S].min(axis=1)
        lev_now = lv.level_of(dist)
        zk = np.arange(int(Z.sum())) - np.repeat(z_off - m, Z) + 1
        start[m:] = (zk < np.repeat(lev_now, Z)).astype(float)
        remaining = time_limit - (time.perf_counter() - t0)
        extra = {"options": {"mip_heuristic_effort": 0.0}} if solver is solve_milp else {}
        out = solver(model, time_limit=max(remaining, 1.0), mip_gap=mip_gap, start=start, **extra)
        if out.status == "infeasible":
            raise InputError("the p-median model is infeasible: check forced-open sites and p")
        if out.x is None:
            break
        bound = max(bound, out.bound)
        S_new = [int(j) for j in np.flatnonzero(out.x[:m] > 0.5)]
        cost_new = solution_cost(D, w, S_new)
        if cost_new < ub - 1e-9:
            S, ub = S_new, cost_new
        lev_new = lv.level_of(D[:, S_new].min(axis=1))
        violated = lev_new > top
        if out.status != "optimal":
            break
        if not violated.any():
            status = "optimal" if relative_gap(ub, bound) <= max(mip_gap, 1e-9) else "time_limit"
            if abs(cost_new - ub) <= 1e-9 * max(1.0, abs(ub)):
                status = "optimal"
                bound = max(bound, out.objective)
            break
        top = np.where(violated, np.minimum(np.maximum(lev_new + 1, 2 * top), cap), top)
    bound = max(lp_bound, min(bound, ub))
    S = [int(reduced[j]) for j in S]
    info["rounds"] = rounds
    return S, ub, bound, status, info


def _result(problem, cand, S, ub, bound, status, t0, **details) -> LocationResult:
    sites = cand[np.asarray(S, dtype=int)]
    sub = problem.times[:, sites]
    nearest = sites[np.argmin(sub, axis=1)]
    assignment = tuple(problem.site_ids[j] for j in nearest)
    gap = relative_gap(ub, bound) if status != "heuristic" else INF
    if status == "optimal" and gap <= 1e-9:
        bound, gap = ub, 0.0
    return LocationResult(
        "pmedian",
        tuple(problem.site_ids[j] for j in sorted(sites)),
        assignment,
        float(ub),
        float(bound),
        float(gap),
        status,
        time.perf_counter() - t0,
        dict(details),
    )

"""Lagrangian branch-and-bound p-median and vertex substitution against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from caremap.core.errors import ConfigError
from caremap.network.heuristic import greedy, interchange, solution_cost
from caremap.network.lagrange import LagrangianPMedian, solve_lagrangian
from caremap.network.milp import relative_gap
from caremap.network.models import PMedian
from caremap.network.pmedian import solve_pmedian

pytestmark = pytest.mark.unit


def instance(n=50, m=12, seed=0, integral=False):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 60, (n, 2))
    s = rng.uniform(0, 60, (m, 2))
    D = np.hypot(*(a[:, None, :] - s[None, :, :]).transpose(2, 0, 1))
    D = np.round(D) if integral else np.round(D, 2)
    return D, rng.integers(1, 9, n).astype(float)


def brute(D, w, p, opened=(), closed=()):
    best = np.inf
    sites = [j for j in range(D.shape[1]) if j not in set(opened) | set(closed)]
    for rest in itertools.combinations(sites, p - len(opened)):
        best = min(best, solution_cost(D, w, list(opened) + list(rest)))
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("p", [1, 3, 5])
def test_branch_and_bound_is_optimal(seed, p):
    D, w = instance(seed=seed, integral=seed % 2 == 0)
    best = brute(D, w, p)
    S, ub, lower, status, info = solve_lagrangian(D, w, p, greedy(D, w, p))
    assert status == "optimal" and len(set(S)) == p
    assert ub == pytest.approx(best, rel=1e-12)
    assert lower == ub and solution_cost(D, w, S) == ub
    assert info["nodes"] >= 0 and info["sites_after_fixing"] <= D.shape[1]


def test_forced_sites_are_respected():
    D, w = instance(seed=11)
    free = PMedian.from_matrix(D, w, p=3).solve()
    shut = free.open_sites[0]
    keep = next(j for j in range(D.shape[1]) if j not in free.open_sites)
    r = PMedian.from_matrix(D, w, p=3, forced_open=[keep], forced_closed=[shut]).solve()
    assert keep in r.open_sites and shut not in r.open_sites and r.status == "optimal"
    assert r.objective == pytest.approx(brute(D, w, 3, opened=[keep], closed=[shut]), rel=1e-12)


def test_relaxation_is_a_lower_bound_under_any_multipliers_and_fixings():
    D, w = instance(n=30, m=9, seed=3)
    lp = LagrangianPMedian(D, w, 3)
    rng = np.random.default_rng(0)
    is_open = np.zeros(9, dtype=bool)
    closed = np.zeros(9, dtype=bool)
    is_open[2], closed[[4, 7]] = True, True
    best = brute(D, w, 3, opened=[2], closed=[4, 7])
    for _ in range(20):
        u = rng.uniform(0, 2, 30) * lp.WD.max(axis=1)
        r = lp.ascent(u, is_open, closed, ub=best * 1.5, iters=1)
        assert r.bound <= best + 1e-9 * best
        assert 2 in r.chosen and not set(r.chosen) & {4, 7}
    r = lp.ascent(u, is_open, closed, ub=best, iters=400)
    assert r.bound <= best + 1e-9 * best
    assert r.bound >= 0.9 * best  # the ascent does climb


def test_time_limit_reports_an_honest_gap():
    D, w = instance(n=120, m=40, seed=5, integral=True)
    best = brute(D, w, 3)
    _, ub, lower, status, _ = solve_lagrangian(
        D, w, 3, greedy(D, w, 3), time_limit=0.0, root_iters=3, chunk=3
    )
    assert status == "time_limit"
    assert lower <= best <= ub and lower < ub
    r = PMedian.from_matrix(D, w, p=3, time_limit=0.0).solve()
    assert r.bound <= best <= r.objective
    assert r.gap == pytest.approx(relative_gap(r.objective, r.bound))


def test_loose_gap_stops_early_and_reports_it():
    D, w = instance(n=80, m=25, seed=8)
    best = brute(D, w, 4)
    r = PMedian.from_matrix(D, w, p=4, mip_gap=0.02).solve()
    assert r.bound <= best + 1e-9 <= r.objective + 1e-9
    assert r.gap <= 0.02 + 1e-12
    assert r.objective <= best * 1.02 + 1e-9


def test_radius_milp_agrees_and_bad_method():
    D, w = instance(seed=9)
    a = PMedian.from_matrix(D, w, p=4).solve()
    b = solve_pmedian(PMedian.from_matrix(D, w, p=4).problem, 4, method="radius")
    assert b.status == "optimal" and b.objective == pytest.approx(a.objective, rel=1e-12)
    with pytest.raises(ConfigError, match="unknown p-median method"):
        solve_pmedian(PMedian.from_matrix(D, w, p=4).problem, 4, method="simplex")


def test_interchange_reaches_a_swap_local_optimum():
    D, w = instance(n=70, m=15, seed=4)
    D[3, 6] = np.inf  # an unreachable pair is avoided, not crashed on
    for p in (1, 4):
        S = interchange(D, w, list(range(p)), forced_open=[0], forced_closed=[14])
        assert 0 in S and 14 not in S and len(set(S)) == p
        cost = solution_cost(np.where(np.isfinite(D), D, 1e9), w, S)
        for r, j in itertools.product(range(p), range(15)):
            if j in S or j == 14 or S[r] == 0:
                continue
            T = list(S)
            T[r] = j
            assert solution_cost(np.where(np.isfinite(D), D, 1e9), w, T) >= cost - 1e-9


def test_sites_a_client_depends_on_are_kept_open():
    D, w = instance(n=40, m=10, seed=12)
    D[0, 1:] = np.inf  # client 0 reaches site 0 only
    D[1, [0, 2, 3, 4, 5, 6, 7, 8]] = np.inf  # client 1 reaches sites 1 and 9 only
    for p in (2, 3):
        S, ub, _, status, _ = solve_lagrangian(D, w, p, greedy(D, w, p))
        assert status == "optimal" and 0 in S and {1, 9} & set(S)
        assert ub == pytest.approx(brute(D, w, p), rel=1e-12)

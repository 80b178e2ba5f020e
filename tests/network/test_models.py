"""Location models against brute force on small geometric instances, and bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from caremap.core.errors import ConfigError, InputError
from caremap.network.models import LSCP, MCLP, CapacitatedPMedian, PCenter, PMedian
from caremap.network.problem import LocationProblem

pytestmark = pytest.mark.unit


def instance(n=40, m=8, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 50, (n, 2))
    s = rng.uniform(0, 50, (m, 2))
    D = np.hypot(*(a[:, None, :] - s[None, :, :]).transpose(2, 0, 1))
    return np.round(D, 1), rng.integers(1, 20, n).astype(float)


def brute(D, w, p, score, better):
    best, arg = None, None
    for S in itertools.combinations(range(D.shape[1]), p):
        v = score(D[:, list(S)])
        if best is None or better(v, best):
            best, arg = v, S
    return best, arg


@pytest.mark.parametrize("p", [1, 2, 3, 5])
def test_pmedian_matches_brute_force(p):
    D, w = instance()
    best, _ = brute(D, w, p, lambda X: float(w @ X.min(axis=1)), lambda a, b: a < b - 1e-9)
    r = PMedian.from_matrix(D, w, p=p).solve()
    assert r.status == "optimal" and r.gap == 0.0
    assert r.objective == pytest.approx(best, abs=1e-6)
    assert len(r.open_sites) == p


def test_mclp_matches_brute_force():
    D, w = instance(seed=1)
    best, _ = brute(D, w, 2, lambda X: float(w[(X <= 12).any(axis=1)].sum()), lambda a, b: a > b)
    r = MCLP.from_matrix(D, w, p=2, radius=12).solve()
    assert r.objective == pytest.approx(best)
    assert r.status == "optimal"


def test_lscp_is_smallest_cover():
    D, w = instance(seed=2)
    radius = 25.0
    r = LSCP.from_matrix(D, w, radius=radius).solve()
    k = int(r.objective)
    assert (D[:, list(r.open_sites)] <= radius).any(axis=1).all()
    for S in itertools.combinations(range(D.shape[1]), k - 1):
        assert not (D[:, list(S)] <= radius).any(axis=1).all()


def test_pcenter_matches_brute_force():
    D, w = instance(seed=3)
    best, _ = brute(D, w, 3, lambda X: float(X.min(axis=1).max()), lambda a, b: a < b)
    r = PCenter.from_matrix(D, w, p=3).solve()
    assert r.objective == pytest.approx(best) and r.status == "optimal"


def test_forced_open_and_closed_are_respected():
    D, w = instance(seed=4)
    free = PMedian.from_matrix(D, w, p=2).solve()
    closed = free.open_sites[0]
    r = PMedian.from_matrix(D, w, p=2, forced_closed=[closed], forced_open=[7]).solve()
    assert closed not in r.open_sites and 7 in r.open_sites
    allowed = [j for j in range(8) if j not in (closed, 7)]
    best = min(float(w @ D[:, [7, j]].min(axis=1)) for j in allowed)
    assert r.objective == pytest.approx(best)
    assert r.objective >= free.objective - 1e-9


def test_capacitated_respects_volumes():
    D, w = instance(seed=5)
    total = w.sum()
    r = CapacitatedPMedian.from_matrix(D, w, p=3, min_volume=total / 4, capacity=total / 2).solve()
    vols = r.details["volumes"]
    assert len(vols) == 3
    assert all(total / 4 - 1e-6 <= v <= total / 2 + 1e-6 for v in vols.values())
    unconstrained = PMedian.from_matrix(D, w, p=3).solve()
    assert r.objective >= unconstrained.objective - 1e-6


def test_infeasible_minimum_volume_names_the_constraint():
    D, w = instance(seed=5)
    with pytest.raises(InputError, match="minimum volume"):
        CapacitatedPMedian.from_matrix(D, w, p=3, min_volume=w.sum()).solve()
    with pytest.raises(InputError, match="capacity"):
        CapacitatedPMedian.from_matrix(D, w, p=2, capacity=w.sum() / 4).solve()


def test_p_larger_than_sites():
    D, w = instance()
    with pytest.raises(ConfigError, match="larger than the 8 candidate sites"):
        PMedian.from_matrix(D, w, p=9).solve()


def test_unreachable_demand_point_is_named():
    D, w = instance()
    D[3, :] = np.inf
    with pytest.raises(InputError, match="cannot reach any candidate site: 3"):
        PMedian.from_matrix(D, w, p=2).solve()


def test_site_without_times_is_closed_and_forced_open_is_refused():
    D, w = instance()
    D[:, 5] = np.nan
    prob = LocationProblem.build(D, w)
    assert 5 in prob.forced_closed and prob.sites_without_times == [5]
    with pytest.raises(ConfigError, match="no travel times"):
        LocationProblem.build(D, w, forced_open=[5])


def test_mclp_uncoverable_demand_and_lscp_error():
    D, w = instance(seed=6)
    with pytest.raises(InputError, match="within 1 minutes"):
        LSCP.from_matrix(D, w, radius=1).solve()
    r = MCLP.from_matrix(D, w, p=1, radius=1).solve()
    assert r.objective <= w.sum()


def test_heuristic_only_reports_no_proof():
    D, w = instance(seed=7)
    r = PMedian.from_matrix(D, w, p=3, heuristic_only=True).solve()
    exact = PMedian.from_matrix(D, w, p=3).solve()
    assert r.status == "heuristic" and r.objective >= exact.objective - 1e-9

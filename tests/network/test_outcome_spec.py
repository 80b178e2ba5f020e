"""Published methods and data: TRISS (Champion 1990 coefficients), OR-Library pmed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from caremap.network.outcome import OutcomeModel

pytestmark = pytest.mark.spec


def test_triss_blunt_coefficients():
    # b = -0.4499 + 0.8085 x 7.8408 - 0.0835 x 25 - 1.7430 x 0 (MTOS blunt, age < 55)
    m = OutcomeModel()
    b = -0.4499 + 0.8085 * 7.8408 - 0.0835 * 25
    assert m.survival([25], [40])[0] == pytest.approx(1 / (1 + math.exp(-b)), abs=1e-12)
    b_old = b - 1.7430
    assert m.survival([25], [60])[0] == pytest.approx(1 / (1 + math.exp(-b_old)), abs=1e-12)


def test_outcome_effects_are_odds_ratios():
    m = OutcomeModel()
    p0 = m.death_probability([25], [40], [True], [30])[0]
    p1 = m.death_probability([25], [40], [False], [30])[0]
    p2 = m.death_probability([25], [40], [True], [61])[0]
    odds = lambda p: p / (1 - p)  # noqa: E731
    assert odds(p1) / odds(p0) == pytest.approx(1 / 0.75, abs=1e-9)
    assert odds(p2) / odds(p0) == pytest.approx(3.0, abs=1e-9)


def test_secondary_transfer_odds_ratio_reproduces_sampalis_1997():
    # Sampalis et al. 1997 (J Trauma 43:288): transferred 8.9% died, direct 4.8%; adjusted
    # odds ratio 1.96. Applied to a direct-transport risk of 4.8%, the model gives the
    # transferred patients' risk the paper reports, to within its rounding.
    m = OutcomeModel()
    odds = lambda p: p / (1 - p)  # noqa: E731
    direct = m.death_probability([25], [40], [True], [30])[0]
    moved = m.death_probability([25], [40], [True], [30], transferred=[True])[0]
    assert odds(moved) / odds(direct) == pytest.approx(1.96, abs=1e-9)
    o = 1.96 * odds(0.048)
    assert o / (1 + o) == pytest.approx(0.089, abs=0.002)
    # minor injuries are not major trauma: no transfer effect
    minor = m.death_probability([9], [40], [False], [30], transferred=[True])[0]
    assert minor == pytest.approx(m.death_probability([9], [40], [False], [30])[0], abs=1e-15)


def _orlib(path, k):
    import scipy.sparse as sp
    from scipy.sparse.csgraph import shortest_path

    toks = (path / f"pmed{k}.txt").read_text().split()
    n, e, p = int(toks[0]), int(toks[1]), int(toks[2])
    edges = {}
    for a, b, c in np.array(toks[3 : 3 + 3 * e], dtype=np.int64).reshape(e, 3):
        edges[(min(a, b) - 1, max(a, b) - 1)] = c  # the last occurrence counts
    r, c = np.array(list(edges)).T
    G = sp.coo_matrix((np.array(list(edges.values()), float), (r, c)), shape=(n, n))
    return shortest_path(G.tocsr(), directed=False), p


@pytest.mark.parametrize("k,opt", [(1, 5819), (5, 1355), (10, 1255)])
def test_orlib_pmed_optimal_values(shared_data, k, opt):
    from caremap.network.models import PMedian

    D, p = _orlib(shared_data / "network" / "orlib_pmed", k)
    r = PMedian.from_matrix(D, p=p).solve()
    assert r.status == "optimal"
    assert r.objective == opt

"""OR-Library p-median instances (Beasley 1990) solved to their published optima."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from caremap.network.models import PMedian

pytestmark = pytest.mark.acceptance


def load(folder, k):
    toks = (folder / f"pmed{k}.txt").read_text().split()
    n, e, p = int(toks[0]), int(toks[1]), int(toks[2])
    edges = {}
    for a, b, c in np.array(toks[3 : 3 + 3 * e], dtype=np.int64).reshape(e, 3):
        edges[(min(a, b) - 1, max(a, b) - 1)] = c  # OR-Library: the last occurrence counts
    r, c = np.array(list(edges)).T
    G = sp.coo_matrix((np.array(list(edges.values()), float), (r, c)), shape=(n, n))
    return shortest_path(G.tocsr(), directed=False), p


# small p (a real search tree) and large p (greedy + substitution is not optimal there)
@pytest.mark.parametrize("k", [6, 11, 20, 25])
def test_pmed_reaches_published_optimum(shared_data, k):
    folder = shared_data / "network" / "orlib_pmed"
    optimum = {
        line.split()[0]: float(line.split()[1])
        for line in (folder / "pmedopt.txt").read_text().splitlines()[1:]
        if line.strip()
    }[f"pmed{k}"]
    D, p = load(folder, k)
    r = PMedian.from_matrix(D, p=p, time_limit=300).solve()
    assert r.status == "optimal" and r.gap == 0.0 and r.bound == r.objective
    assert r.objective == optimum and len(r.open_sites) == p

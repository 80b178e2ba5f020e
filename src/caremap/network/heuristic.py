"""Greedy construction and vertex substitution for p-median-shaped problems.

Used for warm starts and upper bounds of the exact models, and alone for instances too
large to prove. Maximal covering is the same problem with 0/1 costs (1 = not covered).

* Greedy adding: Kuehn & Hamburger (1963), "A heuristic program for locating warehouses",
  Management Science 9(4), 643-666.
* Vertex substitution (interchange): Teitz & Bart (1968), "Heuristic methods for estimating
  the generalized vertex median of a weighted graph", Operations Research 16(5), 955-961,
  evaluated with the nearest / second-nearest bookkeeping of Whitaker (1983), "A fast
  algorithm for the greedy interchange for large-scale clustering and median location
  problems", INFOR 21(2), 95-108, and Resende & Werneck (2007), J. Heuristics 10, 59-88.
"""

from __future__ import annotations

import numpy as np


def _finite(D: np.ndarray) -> np.ndarray:
    """Unreachable pairs (inf) get a cost larger than any reachable one, so the heuristic
    avoids them; the exact models treat them as forbidden."""
    finite = np.isfinite(D)
    if finite.all():
        return D
    big = (np.max(D[finite]) if finite.any() else 1.0) * 10.0 + 1.0
    return np.where(finite, D, big * 10.0)


def solution_cost(D: np.ndarray, w: np.ndarray, open_sites) -> float:
    """Sum over demand points of weight x distance to the nearest open site."""
    return float(w @ D[:, list(open_sites)].min(axis=1))


def greedy(
    D: np.ndarray,
    w: np.ndarray,
    p: int,
    forced_open=(),
    forced_closed=(),
) -> list[int]:
    """Open ``p`` sites one at a time, each the one that cuts total weighted cost most."""
    D = _finite(np.asarray(D, dtype=np.float64))
    n, m = D.shape
    S = list(dict.fromkeys(int(j) for j in forced_open))
    allowed = np.ones(m, dtype=bool)
    allowed[list(forced_closed)] = False
    allowed[S] = False
    cur = D[:, S].min(axis=1) if S else np.full(n, np.inf)
    buf = np.empty_like(D)
    while len(S) < p:
        if not allowed.any():
            break
        cost = w @ np.minimum(D, cur[:, None], out=buf) if S else w @ D
        cost[~allowed] = np.inf
        j = int(np.argmin(cost))
        S.append(j)
        allowed[j] = False
        cur = np.minimum(cur, D[:, j])
    return S


def interchange(
    D: np.ndarray,
    w: np.ndarray,
    S: list[int],
    forced_open=(),
    forced_closed=(),
    max_sweeps: int = 100,
) -> list[int]:
    """Vertex substitution (Teitz & Bart 1968) to a local optimum: repeatedly make the best
    swap of an open site for a closed one while it lowers the cost. All swaps are priced at
    once in matrix form (gain of the entering site, loss of the leaving one and their
    interaction; Resende & Werneck 2007, "A fast swap-based local search procedure for
    location problems", Annals of Operations Research 150, 205-230)."""
    import scipy.sparse as sp

    D = _finite(np.asarray(D, dtype=np.float64))
    w = np.asarray(w, dtype=np.float64)
    n, m = D.shape
    S = np.array(S, dtype=int)
    k = len(S)
    fixed = np.isin(S, np.asarray(list(forced_open), dtype=int))
    allowed = np.ones(m, dtype=bool)
    allowed[list(forced_closed)] = False
    if k == 0 or fixed.all():
        return S.tolist()
    for _ in range(max_sweeps * k):
        sub = D[:, S]
        if k == 1:
            profit = (w @ sub[:, 0] - w @ D)[None, :]
        else:
            part = np.argpartition(sub, 1, axis=1)[:, :2]
            d_two = np.take_along_axis(sub, part, axis=1)
            swap = d_two[:, 1] < d_two[:, 0]
            first = np.where(swap, part[:, 1], part[:, 0])
            d1 = np.minimum(d_two[:, 0], d_two[:, 1])
            d2 = np.maximum(d_two[:, 0], d_two[:, 1])
            gain = w @ np.maximum(d1[:, None] - D, 0.0)
            loss = np.bincount(first, w * (d2 - d1), minlength=k)
            inter = w[:, None] * np.maximum(d2[:, None] - np.maximum(D, d1[:, None]), 0.0)
            owner = sp.csr_matrix((np.ones(n), (first, np.arange(n))), shape=(k, n))
            profit = gain[None, :] - loss[:, None] + owner @ inter
        profit[fixed, :] = -np.inf
        bad = ~allowed.copy()
        bad[S] = True
        profit[:, bad] = -np.inf
        r, j = np.unravel_index(int(np.argmax(profit)), profit.shape)
        cost = float(w @ sub.min(axis=1))
        if not profit[r, j] > 1e-9 * max(1.0, abs(cost)):
            break
        S[r] = j
    return S.tolist()


def greedy_interchange(
    D: np.ndarray, w: np.ndarray, p: int, forced_open=(), forced_closed=()
) -> list[int]:
    """Greedy start then vertex substitution to a local optimum."""
    S = greedy(D, w, p, forced_open, forced_closed)
    return interchange(D, w, S, forced_open, forced_closed)

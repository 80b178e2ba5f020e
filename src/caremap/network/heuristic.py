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


def _nearest_two(D: np.ndarray, S: np.ndarray):
    sub = D[:, S]
    if len(S) == 1:
        return S[np.zeros(len(D), dtype=int)], sub[:, 0], np.full(len(D), np.inf)
    part = np.argpartition(sub, 1, axis=1)[:, :2]
    d_a = np.take_along_axis(sub, part, axis=1)
    swap = d_a[:, 1] < d_a[:, 0]
    first = np.where(swap, part[:, 1], part[:, 0])
    d1 = np.where(swap, d_a[:, 1], d_a[:, 0])
    d2 = np.where(swap, d_a[:, 0], d_a[:, 1])
    return S[first], d1, d2


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
    while len(S) < p:
        cand = np.flatnonzero(allowed)
        if len(cand) == 0:
            break
        cost = w @ np.minimum(D[:, cand], cur[:, None]) if S else w @ D[:, cand]
        j = int(cand[int(np.argmin(cost))])
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
    """Swap an open site for a closed one while any swap lowers the cost (first improvement
    per open site, best replacement for it); stops at a local optimum."""
    D = _finite(np.asarray(D, dtype=np.float64))
    m = D.shape[1]
    S = np.array(S, dtype=int)
    fixed = set(int(j) for j in forced_open)
    allowed = np.ones(m, dtype=bool)
    allowed[list(forced_closed)] = False
    c1, d1, d2 = _nearest_two(D, S)
    cost = float(w @ d1)
    for _ in range(max_sweeps):
        improved = False
        for pos in range(len(S)):
            k = int(S[pos])
            if k in fixed:
                continue
            cand_mask = allowed.copy()
            cand_mask[S] = False
            cand = np.flatnonzero(cand_mask)
            if len(cand) == 0:
                return S.tolist()
            base = np.where(c1 == k, d2, d1)
            costs = w @ np.minimum(D[:, cand], base[:, None])
            b = int(np.argmin(costs))
            if costs[b] < cost - 1e-9 * max(1.0, abs(cost)):
                S[pos] = cand[b]
                c1, d1, d2 = _nearest_two(D, S)
                cost = float(w @ d1)
                improved = True
        if not improved:
            break
    return S.tolist()


def greedy_interchange(
    D: np.ndarray, w: np.ndarray, p: int, forced_open=(), forced_closed=()
) -> list[int]:
    """Greedy start then vertex substitution to a local optimum."""
    S = greedy(D, w, p, forced_open, forced_closed)
    return interchange(D, w, S, forced_open, forced_closed)

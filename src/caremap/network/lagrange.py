"""Exact p-median by Lagrangian relaxation and branch-and-bound.

Relaxing the assignment constraints sum_j x_ij = 1 with multipliers u_i gives (Beasley 1993,
"Lagrangean heuristics for location problems", European Journal of Operational Research
65(3), 383-399; Beasley 1985 for the OR-Library pmed set)

    L(u) = sum_i u_i - sum of the p largest s_j,   s_j = sum_i max(0, u_i - w_i d_ij),

a lower bound for every u, maximised by subgradient optimisation (Polyak steps towards the
incumbent). Its maximum equals the LP bound. At each node the bound also fixes sites: a site
whose opening (or closing) would lift L(u) past the incumbent is closed (or opened) below the
node; sites fixed at the root are removed from the matrix. Nodes are explored best bound
first and branched on the site whose time-averaged choice in the relaxation is closest to 1/2
(an approximate LP value, as in the volume algorithm of Barahona & Anbil 2000, Mathematical
Programming 87, 385-399). Every relaxed solution is a candidate incumbent, improved by vertex
substitution. A node is pruned when its bound is within the optimality tolerance of the
incumbent (or, for integer data, when no integer below the incumbent is left).
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

import numpy as np

from caremap.network.heuristic import interchange, solution_cost


@dataclass
class _Relaxed:
    """What one subgradient run at a node found (at its best multipliers)."""

    bound: float
    u: np.ndarray
    s: np.ndarray
    chosen: np.ndarray  # site indices chosen by the relaxation
    ybar: np.ndarray  # time-averaged choice of each site
    pruned: bool = False
    pi: float = 1.0  # the step factor reached


@dataclass(order=True)
class _Node:
    key: float
    seq: int
    is_open: np.ndarray = field(compare=False)
    closed: np.ndarray = field(compare=False)
    u: np.ndarray = field(compare=False)


class LagrangianPMedian:
    """Subgradient bound, fixing and branch-and-bound for one instance (D: n x m, finite or
    inf for unreachable pairs; w > 0)."""

    def __init__(self, D: np.ndarray, w: np.ndarray, p: int, mip_gap: float = 1e-9):
        self.D = np.asarray(D, dtype=np.float64)
        self.w = np.asarray(w, dtype=np.float64)
        self.p = int(p)
        self.n, self.m = self.D.shape
        self.WD = self.w[:, None] * self.D
        self.wd_min = self.WD.min(axis=1)
        self.mip_gap = float(mip_gap)
        finite = np.isfinite(self.D)
        self.integral = bool(
            np.all(self.w == np.round(self.w))
            and np.all(self.D[finite] == np.round(self.D[finite]))
        )
        self.iterations = 0

    # -- bounds -------------------------------------------------------------------------
    def cutoff(self, ub: float) -> float:
        """A node whose bound reaches this cannot hold a solution better than ``ub`` by more
        than the tolerance (one unit below ``ub`` for integer data)."""
        tol = max(self.mip_gap * abs(ub), 1e-9 * max(1.0, abs(ub)))
        if self.integral:
            tol = max(tol, 1.0 - 1e-6)
        return ub - tol

    def ascent(
        self,
        u: np.ndarray,
        is_open: np.ndarray,
        closed: np.ndarray,
        ub: float,
        iters: int,
        pi: float = 1.0,
        patience: int = 20,
    ) -> _Relaxed:
        """Subgradient optimisation of L(u) from ``u`` with the node's fixings; stops early
        when the bound reaches the cutoff.

        With sites forced open, u_i is capped at w_i times client i's distance to the nearest
        of them (a larger u_i cannot raise L); a client whose nearest site is open is then
        settled and contributes exactly that cap, and open sites contribute nothing, so the
        node's problem is a (p - #open)-median relaxation over its unsettled clients and
        free sites only."""
        free = np.flatnonzero(~(is_open | closed))
        opened = np.flatnonzero(is_open)
        k = self.p - len(opened)
        cap = self.WD[:, opened].min(axis=1) if len(opened) else np.full(self.n, np.inf)
        u = np.minimum(np.maximum(u, self.wd_min), cap)
        sub = self.WD[:, free]
        rows = np.flatnonzero(sub.min(axis=1, initial=np.inf) < cap)
        settled = np.ones(self.n, dtype=bool)
        settled[rows] = False  # (a client no open or free site reaches makes the node inf)
        const = float(cap[settled].sum())
        W = np.asfortranarray(sub[rows])  # column sums and column picks run contiguous
        lo = np.minimum(W.min(axis=1, initial=np.inf), cap[rows])
        # nor above the farthest site it reaches (keeps u finite with unreachable pairs)
        hi = np.minimum(cap[rows], np.where(np.isfinite(W), W, -np.inf).max(axis=1, initial=0.0))
        v = np.minimum(np.maximum(u[rows], lo), hi)
        cut = self.cutoff(ub)
        buf = np.empty_like(W)
        best = None
        ybar = None
        stall = 0
        for _ in range(iters):
            self.iterations += 1
            np.subtract(v[:, None], W, out=buf)
            np.maximum(buf, 0.0, out=buf)
            t = buf.sum(axis=0)
            if k <= 0 or len(free) <= k:
                top = np.arange(len(free) if k > 0 else 0)
            else:
                top = np.argpartition(-t, k - 1)[:k]
            lag = const + float(v.sum() - t[top].sum())
            ind = np.zeros(len(free))
            ind[top] = 1.0
            ybar = ind if ybar is None else 0.85 * ybar + 0.15 * ind
            if best is None or lag > best[0] + 1e-12 * abs(best[0]):
                best = (lag, v, t, top)
                stall = 0
            else:
                stall += 1
                if stall >= patience:
                    pi *= 0.5
                    stall = 0
            if lag >= cut or k <= 0 or len(free) <= k or len(rows) == 0:
                break
            g = 1.0 - np.count_nonzero(buf[:, top], axis=1)  # buf > 0 where v_i > w_i d_ij
            g[(g > 0) & (v >= hi)] = 0.0  # projected: capped clients cannot rise
            norm = float(g @ g)
            if norm == 0.0 or pi < 1e-5:
                break
            v = np.minimum(np.maximum(v + (pi * (ub - lag) / norm) * g, lo), hi)
        lag, v, t, top = best
        u_full = u.copy()
        u_full[rows] = v
        s_full = np.zeros(self.m)
        s_full[free] = t
        yb = 2.0 * is_open  # open sites rank first
        yb[free] = ybar
        chosen = np.concatenate([opened, free[top]]).astype(int)
        return _Relaxed(lag, u_full, s_full, chosen, yb, pruned=lag >= cut, pi=pi)

    def fix(self, r: _Relaxed, is_open: np.ndarray, closed: np.ndarray, ub: float):
        """Reduced-cost fixing from the relaxation: new (is_open, closed) masks."""
        is_open, closed = is_open.copy(), closed.copy()
        free = ~(is_open | closed)
        k = self.p - int(is_open.sum())
        if k <= 0:
            closed |= free
            return is_open, closed
        cut = self.cutoff(ub)
        chosen_free = np.zeros(self.m, dtype=bool)
        chosen_free[r.chosen] = True
        chosen_free &= free
        others = free & ~chosen_free
        if not others.any():
            is_open |= free
            return is_open, closed
        s_k = r.s[chosen_free].min()  # the weakest chosen site
        s_next = r.s[others].max()  # the best site left out
        closed |= others & (r.bound + s_k - r.s >= cut)
        is_open |= chosen_free & (r.bound + r.s - s_next >= cut)
        return is_open, closed


def solve_lagrangian(
    D: np.ndarray,
    w: np.ndarray,
    p: int,
    S0: list[int],
    forced_open=(),
    time_limit: float = 600.0,
    mip_gap: float = 1e-9,
    root_iters: int = 1500,
    node_iters: int = 30,
    chunk: int = 150,
):
    """Branch-and-bound from the incumbent ``S0``. Returns (open sites, cost, proven lower
    bound, status 'optimal' or 'time_limit', info)."""
    t0 = time.perf_counter()
    m = D.shape[1]
    S = list(S0)
    ub = solution_cost(D, w, S)
    lp = LagrangianPMedian(D, w, p, mip_gap)
    is_open = np.zeros(m, dtype=bool)
    is_open[list(forced_open)] = True
    closed = np.zeros(m, dtype=bool)
    cols = np.arange(m)  # sites still in the model (in D's numbering)

    seen: set[frozenset] = set()

    def try_incumbent(r: _Relaxed, search: bool):
        """Lagrangian heuristic: the relaxation's sites and the p sites it chose most often,
        each improved by vertex substitution when new (at nodes, where there are many, only
        when within 0.1% of the incumbent)."""
        nonlocal S, ub
        ranked = np.argsort(-r.ybar, kind="stable")[:p]
        for chosen in (r.chosen, ranked):
            key = frozenset(int(j) for j in chosen)
            if len(key) != p or key in seen:
                continue
            seen.add(key)
            cost = solution_cost(D, w, cols[chosen])
            if not search and cost >= ub * (1.0 + 0.001):
                continue
            fo = np.flatnonzero(np.isin(cols, list(forced_open)))
            better = cols[interchange(D[:, cols], w, list(map(int, chosen)), fo)]
            cost = solution_cost(D, w, better)  # substitution never makes it worse
            if cost < ub - 1e-9 * max(1.0, abs(ub)):
                S, ub = [int(j) for j in better], cost

    # root: ascent in rounds, each followed by the heuristic and by fixing, the matrix
    # shrinking to the sites left as they are fixed
    u = np.sort(lp.WD, axis=1)[:, min(p, m - 1)]
    pi, budget, root, root_bound = 2.0, root_iters, None, -np.inf
    while root is None or (budget > 0 and time.perf_counter() - t0 <= time_limit):
        before = lp.iterations
        root = lp.ascent(u, is_open, closed, ub, min(chunk, budget), pi=pi, patience=30)
        budget -= lp.iterations - before
        u, pi = root.u, root.pi
        gained, root_bound = root.bound - root_bound, max(root_bound, root.bound)
        try_incumbent(root, True)
        if root_bound >= lp.cutoff(ub) or pi < 1e-5:
            break
        new_open, new_closed = lp.fix(root, is_open, closed, ub)
        if not new_closed.any() and gained < 0.02 * (ub - root_bound):
            break  # the bound has stalled well short of the incumbent: branch
        if new_closed.any():
            keep = ~new_closed
            cols = cols[keep]
            is_open, closed = new_open[keep], np.zeros(len(cols), dtype=bool)
            done = lp.iterations
            lp = LagrangianPMedian(D[:, cols], w, p, mip_gap)
            lp.iterations = done
            for attr in ("s", "ybar"):
                setattr(root, attr, getattr(root, attr)[keep])
        else:
            is_open = new_open
    info = {
        "root_bound": float(min(root_bound, ub)),
        "sites_after_fixing": len(cols),
        "fixed_open": int(is_open.sum()),
    }

    # every region cut off had a bound of at least the cutoff of some earlier, larger
    # incumbent, so the final cutoff bounds the optimum from below (optimal within 1e-9
    # relative counts as optimal, as in HiGHS)
    def proven() -> float:
        exact = lp.integral or mip_gap <= 1e-9
        return ub if exact else min(ub, lp.cutoff(ub))

    seq, nodes, status = 0, 0, "optimal"
    heap = [] if root_bound >= lp.cutoff(ub) else [_Node(root_bound, seq, is_open, closed, u)]
    while heap:
        if time.perf_counter() - t0 > time_limit:
            status = "time_limit"
            break
        node = heapq.heappop(heap)
        if node.key >= lp.cutoff(ub):
            continue
        nodes += 1
        r = lp.ascent(node.u, node.is_open, node.closed, ub, node_iters, pi=0.5, patience=10)
        try_incumbent(r, False)
        if r.pruned or r.bound >= lp.cutoff(ub):
            continue
        op, cl = lp.fix(r, node.is_open, node.closed, ub)
        free = ~(op | cl)
        if int(op.sum()) >= p or not free.any():
            chosen = np.flatnonzero(op)[:p] if op.sum() >= p else np.flatnonzero(op | free)
            cost = solution_cost(D, w, cols[chosen])
            if cost < ub - 1e-9 * max(1.0, abs(ub)):
                S, ub = [int(j) for j in cols[chosen]], cost
            continue
        bound = max(node.key, r.bound)
        frac = np.where(free, np.minimum(r.ybar, 1.0 - r.ybar), -1.0)
        j = int(np.argmax(frac))
        for child_open in (True, False):
            o2, c2 = op.copy(), cl.copy()
            (o2 if child_open else c2)[j] = True
            seq += 1
            heapq.heappush(heap, _Node(bound, seq, o2, c2, r.u))
    lower = proven() if status == "optimal" else min([h.key for h in heap] + [proven()])
    info.update(nodes=nodes, iterations=lp.iterations)
    return S, ub, lower, status, info

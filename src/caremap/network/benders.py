"""Exact p-median by Benders decomposition of the radius formulation.

Master: min sum_i w_i theta_i  s.t.  sum_j y_j = p, y binary, and optimality cuts

    theta_i >= t - sum_j max(0, t - d_ij) y_j        for a radius t in client i's distances,

which are the Benders cuts of the radius formulation (Duran-Mateluna, Ales & Elloumi 2023,
"An efficient Benders decomposition for the p-median problem", European Journal of
Operational Research 308(1), 84-96). For a fractional y the most violated cut of client i
has t = the distance at which the cumulative open fraction of its nearest sites reaches 1,
found in closed form. The LP relaxation is solved first by cutting planes with in-out
stabilisation (Ben-Ameur & Neto 2007, Networks 49(1), 3-17); then the master MIP is solved
by HiGHS and re-solved with the tight cuts of any client whose theta understates its true
distance, until none does: the master is a relaxation, so its optimum is then optimal.
"""

from __future__ import annotations

import time

import numpy as np

from caremap.network.milp import new_highs, relative_gap


class BendersPMedian:
    """The cut machinery for one instance (dense D, n demand points x m sites)."""

    def __init__(self, D: np.ndarray, w: np.ndarray, p: int, lo_y: np.ndarray, hi_y: np.ndarray):
        self.D = D
        self.w = w
        self.p = p
        self.n, self.m = D.shape
        self.order = np.argsort(D, axis=1, kind="stable")
        self.Ds = np.take_along_axis(D, self.order, axis=1)
        self.lo_y = lo_y
        self.hi_y = hi_y

    def most_violated(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(t_i, cut value f_i(y)) of each client's strongest cut at y."""
        ys = y[self.order]
        cum = np.cumsum(ys, axis=1)
        s = np.argmax(cum >= 1 - 1e-9, axis=1)
        s = np.where(cum[:, -1] >= 1 - 1e-9, s, self.m - 1)
        t = self.Ds[np.arange(self.n), s]
        gain = np.where(self.Ds < t[:, None], (t[:, None] - self.Ds) * ys, 0.0).sum(axis=1)
        return t, t - gain

    def cut_rows(self, clients: np.ndarray, t: np.ndarray):
        """CSR pieces of rows theta_i + sum_j (t - d_ij)^+ y_j >= t (columns: y 0..m-1,
        theta m..m+n-1)."""
        sub = self.D[clients]
        mask = sub < t[:, None]
        counts = mask.sum(axis=1) + 1
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        idx = np.empty(counts.sum(), dtype=np.int32)
        val = np.empty(counts.sum())
        rr, cc = np.nonzero(mask)
        pos = starts[rr] + (
            np.arange(len(rr)) - np.concatenate([[0], np.cumsum(mask.sum(axis=1))[:-1]])[rr]
        )
        idx[pos] = cc
        val[pos] = t[rr] - sub[rr, cc]
        last = starts + counts - 1
        idx[last] = self.m + clients
        val[last] = 1.0
        return starts.astype(np.int32), idx, val


def solve_benders(
    D: np.ndarray,
    w: np.ndarray,
    p: int,
    S0: list[int],
    lo_y: np.ndarray,
    time_limit: float = 600.0,
    mip_gap: float = 1e-9,
    max_lp_rounds: int = 400,
    verbose: bool = False,
    return_mip: bool = True,
):
    """Returns (open sites, cost, bound, status, info), or with ``return_mip=False`` the LP
    phase only: (LP solution y, LP bound, reduced costs of y, rounds)."""
    import highspy

    t0 = time.perf_counter()
    n, m = D.shape
    B = BendersPMedian(D, w, p, lo_y, np.ones(m))
    h = new_highs(verbose)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("mip_abs_gap", 1e-7)
    inf = highspy.kHighsInf
    # columns: y (m), theta (n)
    h.addVars(m, lo_y.astype(float), np.ones(m))
    h.addVars(n, B.Ds[:, 0].astype(float), np.full(n, inf))
    h.changeColsCost(n, np.arange(m, m + n, dtype=np.int32), w.astype(float))
    h.addRow(float(p), float(p), m, np.arange(m, dtype=np.int32), np.ones(m))

    def add_cuts(clients, t):
        if len(clients) == 0:
            return
        starts, idx, val = B.cut_rows(clients, t)
        h.addRows(
            len(clients), t.astype(float), np.full(len(clients), inf), len(idx), starts, idx, val
        )

    y_inc = np.zeros(m)
    y_inc[S0] = 1.0
    best_S, ub = list(S0), float(w @ D[:, S0].min(axis=1))
    t_inc, _ = B.most_violated(y_inc)
    add_cuts(np.arange(n), t_inc)
    core = 0.5 * y_inc + 0.5 * p / m
    lb = -np.inf
    lp_rounds = 0
    for lp_rounds in range(1, max_lp_rounds + 1):  # noqa: B007 - reported
        h.run()
        sol = np.asarray(h.getSolution().col_value)
        y, theta = sol[:m], sol[m:]
        lb = max(lb, h.getInfo().objective_function_value)
        if time.perf_counter() - t0 > time_limit:
            break
        added = 0
        for lam in (0.5, 1.0):
            ysep = lam * y + (1 - lam) * core
            t, _ = B.most_violated(ysep)
            # keep the cuts that the LP point violates
            f_lp = t - np.where(t[:, None] > D, (t[:, None] - D) * y, 0.0).sum(axis=1)
            viol = np.flatnonzero(f_lp > theta + 1e-7 * np.maximum(1.0, np.abs(f_lp)))
            if len(viol):
                add_cuts(viol, t[viol])
                added = len(viol)
                core = ysep
                break
        if not added:
            break
    lp_bound = lb
    rc = np.asarray(h.getSolution().col_dual)[:m]
    if not return_mip:
        return y, lp_bound, rc, lp_rounds
    # MIP phase
    h.changeColsIntegrality(
        m, np.arange(m, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * m)
    )
    status = "time_limit"
    bound = lp_bound
    mip_rounds = 0
    while True:
        mip_rounds += 1
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0:
            break
        h.setOptionValue("time_limit", float(left))
        start = np.concatenate(
            [np.isin(np.arange(m), best_S).astype(float), D[:, best_S].min(axis=1)]
        )
        h.setSolution(len(start), np.arange(len(start), dtype=np.int32), start)
        h.run()
        info = h.getInfo()
        if info.primal_solution_status != 2:
            break
        bound = max(bound, float(info.mip_dual_bound))
        sol = np.asarray(h.getSolution().col_value)
        S = [int(j) for j in np.flatnonzero(sol[:m] > 0.5)]
        dist = D[:, S].min(axis=1)
        cost = float(w @ dist)
        if cost < ub - 1e-9:
            best_S, ub = S, cost
        short = np.flatnonzero(sol[m:] < dist - 1e-7 * np.maximum(1.0, dist))
        finished = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        if len(short) == 0:
            if finished:
                status = "optimal"
                bound = max(bound, ub if abs(cost - ub) <= 1e-9 * max(1, ub) else bound)
            break
        add_cuts(short, dist[short])
        if relative_gap(ub, bound) <= mip_gap:
            status = "optimal"
            break
    return (
        best_S,
        ub,
        bound,
        status,
        {"lp_rounds": lp_rounds, "mip_rounds": mip_rounds, "lp_bound": lp_bound},
    )

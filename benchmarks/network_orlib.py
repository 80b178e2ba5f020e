"""OR-Library p-median (pmed1-40): our exact solver vs a plain HiGHS MIP (the peer).

    .venv/bin/python benchmarks/network_orlib.py [--peer-instances 1,2,3] [--peer-limit 60]

Prints per instance: n, p, our time, objective, the known optimum (pmedopt.txt), status and
proven gap, then totals; then the plain classical-formulation HiGHS MIP on the chosen
instances, measured in the same run beside ours again.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from caremap.network.milp import Milp, solve_milp
from caremap.network.models import PMedian

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "network" / "orlib_pmed"


def load(k: int):
    toks = (DATA / f"pmed{k}.txt").read_text().split()
    n, e, p = int(toks[0]), int(toks[1]), int(toks[2])
    edges = {}
    for a, b, c in np.array(toks[3 : 3 + 3 * e], dtype=np.int64).reshape(e, 3):
        edges[(min(a, b) - 1, max(a, b) - 1)] = c  # OR-Library: the last occurrence counts
    r, c = np.array(list(edges)).T
    G = sp.coo_matrix((np.array(list(edges.values()), float), (r, c)), shape=(n, n))
    return shortest_path(G.tocsr(), directed=False), p


def plain_mip(D, p, limit):
    """Classical p-median: x_ij <= y_j, sum_j x_ij = 1, sum y = p (ReVelle & Swain 1970)."""
    n, m = D.shape
    nx = n * m
    ii, jj = np.divmod(np.arange(nx), m)
    rows = np.concatenate([ii, n + np.arange(nx), n + np.arange(nx), np.full(m, n + nx)])
    cols = np.concatenate([m + np.arange(nx), m + np.arange(nx), jj, np.arange(m)])
    vals = np.concatenate([np.ones(nx), np.ones(nx), -np.ones(nx), np.ones(m)])
    A = sp.csc_matrix((vals, (rows, cols)), shape=(n + nx + 1, m + nx))
    lo_r = np.concatenate([np.ones(n), np.full(nx, -np.inf), [p]])
    hi_r = np.concatenate([np.ones(n), np.zeros(nx), [p]])
    c = np.concatenate([np.zeros(m), D.ravel()])
    integer = np.arange(m + nx) < m
    model = Milp(c, A, lo_r, hi_r, np.zeros(m + nx), np.ones(m + nx), integer)
    return solve_milp(model, time_limit=limit, mip_gap=1e-9)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", default=",".join(map(str, range(1, 41))))
    ap.add_argument("--peer-instances", default="1,6,11")
    ap.add_argument("--peer-limit", type=float, default=120.0)
    ap.add_argument("--time-limit", type=float, default=600.0, help="ours, per instance")
    args = ap.parse_args()
    opt = {
        line.split()[0]: int(line.split()[1])
        for line in (DATA / "pmedopt.txt").read_text().splitlines()[1:]
        if line.strip()
    }
    total, proven, matched = 0.0, 0, 0
    ks = [int(k) for k in args.instances.split(",")]
    print("instance n p ours_s objective optimum status gap")
    for k in ks:
        D, p = load(k)
        t = time.perf_counter()
        r = PMedian.from_matrix(D, p=p, time_limit=args.time_limit).solve()
        dt = time.perf_counter() - t
        total += dt
        proven += r.status == "optimal"
        matched += round(r.objective) == opt[f"pmed{k}"]
        print(
            f"pmed{k} {len(D)} {p} {dt:.2f} {r.objective:.0f} {opt[f'pmed{k}']} {r.status} "
            f"{r.gap:.1e}",
            flush=True,
        )
    print(
        f"OURS: {len(ks)} instances, total {total:.1f} s, proven optimal {proven}, match {matched}"
    )
    peer_total = 0.0
    ours_same = 0.0
    for k in [int(x) for x in args.peer_instances.split(",") if x]:
        D, p = load(k)
        t = time.perf_counter()
        out = plain_mip(D, p, args.peer_limit)
        dt = time.perf_counter() - t
        peer_total += dt
        t = time.perf_counter()
        PMedian.from_matrix(D, p=p, time_limit=args.time_limit).solve()
        ours_same += time.perf_counter() - t
        print(
            f"PEER plain HiGHS MIP pmed{k}: {dt:.1f} s, {out.status}, objective {out.objective:.0f}"
        )
    if peer_total:
        print(f"PEER total {peer_total:.1f} s vs ours {ours_same:.1f} s on the same instances")


if __name__ == "__main__":
    main()

"""Benchmark: waiting-list clearance forecast, 1,000 simulations of two years.

NHSRwaitinglist (R) simulates a list patient by patient (``wl_simulator``: referrals, then
a schedule that removes them in order). It cannot run here (no R, CRAN unreachable), so the
peer measured in the same run is that algorithm in plain Python: a FIFO queue of patients
per simulation, served week by week. Ours counts patients by week waited for all
simulations at once. Both report the median list size after two years, which should agree.

    .venv/bin/python benchmarks/waiting.py [--sims 1000] [--peer-sims 100]
"""

from __future__ import annotations

import argparse
import time
from collections import deque

import numpy as np

from caremap.waiting.simulate import SimulationConfig, initial_histogram, simulate

DEMAND, CAPACITY, WEEKS, TARGET, START = 30.0, 31.0, 104, 18, 1200


def peer(sims: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes, breaches = np.empty(sims), np.empty(sims)
    for s in range(sims):
        q = deque(sorted((-rng.exponential(20, START)).astype(int)))
        for w in range(WEEKS):
            for _ in range(rng.poisson(DEMAND)):
                q.append(w)
            for _ in range(min(rng.poisson(CAPACITY), len(q))):
                q.popleft()
        sizes[s] = len(q)
        breaches[s] = sum(1 for r in q if WEEKS - 1 - r > TARGET)
    return sizes, breaches


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=1000)
    ap.add_argument("--peer-sims", type=int, default=100)
    a = ap.parse_args()
    cfg = SimulationConfig(
        demand=DEMAND, capacity=CAPACITY, weeks=WEEKS, target_weeks=TARGET, sims=a.sims
    )
    init = initial_histogram(np.random.default_rng(0).exponential(20, START), None, cfg)
    t = time.perf_counter()
    f = simulate(cfg, init)
    ours = time.perf_counter() - t
    t = time.perf_counter()
    ps, _ = peer(a.peer_sims)
    theirs = (time.perf_counter() - t) * a.sims / a.peer_sims
    print(
        f"Waiting-list forecast: {a.sims} simulations x {WEEKS} weeks, list of {START}, "
        f"demand {DEMAND}/wk, capacity {CAPACITY}/wk"
    )
    print(f"  caremap (vectorised over simulations):   {ours * 1000:9.1f} ms")
    print(
        f"  peer: per-patient FIFO loop in Python:   {theirs * 1000:9.1f} ms "
        f"(measured on {a.peer_sims} simulations, scaled)"
    )
    print(
        f"  median list after two years: caremap {f.weekly['list_median'].iloc[-1]:.0f}, "
        f"peer {np.median(ps):.0f}"
    )


if __name__ == "__main__":
    main()

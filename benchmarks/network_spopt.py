"""2,000 x 200 p-median, p = 20: ours vs PySAL spopt (PuLP/CBC) on the same instance.

    .venv/bin/python benchmarks/network_spopt.py [--skip-peer]

Demand points and candidate sites are uniform in a 100 km square (seed 0), Euclidean
distances, demand weights 1-100. Both solve the same matrix to proven optimality.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from caremap.network.models import PMedian


def instance(n=2000, m=200, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 100, (n, 2))
    s = rng.uniform(0, 100, (m, 2))
    D = np.hypot(a[:, None, 0] - s[None, :, 0], a[:, None, 1] - s[None, :, 1])
    return D, rng.integers(1, 101, n).astype(float)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--p", type=int, default=20)
    args = ap.parse_args()
    D, w = instance()
    t = time.perf_counter()
    r = PMedian.from_matrix(D, w, p=args.p).solve()
    ours = time.perf_counter() - t
    print(
        f"OURS: {ours:.1f} s, objective {r.objective:.4f}, {r.status}, gap {r.gap:.2e}, {r.details}"
    )
    if args.skip_peer:
        return
    import pulp
    from spopt.locate import PMedian as SpoptPMedian

    t = time.perf_counter()
    model = SpoptPMedian.from_cost_matrix(D, w, p_facilities=args.p)
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    peer = time.perf_counter() - t
    obj = float(pulp.value(model.problem.objective))
    print(f"PEER spopt/PuLP/CBC: {peer:.1f} s, objective {obj:.4f}")
    print(f"speed-up {peer / ours:.1f}x; objectives agree: {abs(obj - r.objective) <= 1e-6 * obj}")


if __name__ == "__main__":
    main()

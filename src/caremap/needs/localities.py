"""Localities of about 50,000 people, built from contiguous small areas within each ICS.

Method (a seeded region-growing regionalisation; Duque, Ramos & Surinach 2007, "Supervised
regionalization methods: a survey", *Int Regional Sci Review* 30:195-220, section on
"region growing"; the seeding follows ARiSeL, Duque & Church 2004):

1. **Contiguity.** Small areas are neighbours when their centroids share an edge of the
   Delaunay triangulation (the dual of the Voronoi tessellation, a standard proxy for
   polygon contiguity when only centroids are known); edges longer than three times the
   median edge are dropped so that no locality jumps an estuary, unless that would cut an
   area off. Fewer than three areas, or collinear ones, use their nearest neighbours.
2. **How many.** Each ICS gets k = max(1, round(population / target)) localities, so
   localities never cross an ICS boundary.
3. **Seeds.** Population-weighted k-means on the centroids; each locality starts at the
   small area nearest a cluster centre (compact, spread-out seeds).
4. **Growth.** Repeatedly, the locality with the smallest population takes the unassigned
   neighbouring area nearest its cluster centre. Giving the next area to the smallest locality
   balances population; choosing the nearest keeps localities compact; growing only along
   contiguity edges keeps them contiguous. The graph is connected, so every area is placed.

Compactness is reported as the Reock-style ratio of the convex hull of the member centroids
to the smallest enclosing circle about the locality centroid (1 = a disc; Reock 1961,
*Midwest J Political Science* 5:70-74).
"""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd
from scipy.spatial import ConvexHull, Delaunay, QhullError, cKDTree

from caremap.core.errors import InputError


def contiguity_edges(xy: np.ndarray) -> list[set[int]]:
    """Neighbour sets of points by Delaunay triangulation (k-nearest for degenerate inputs)."""
    n = len(xy)
    nbrs: list[set[int]] = [set() for _ in range(n)]
    if n <= 1:
        return nbrs
    edges: set[tuple[int, int]] = set()
    try:
        if n < 3:
            raise QhullError("too few points")
        tri = Delaunay(xy)
        for s in tri.simplices:
            for a in range(3):
                i, j = int(s[a]), int(s[(a + 1) % 3])
                edges.add((min(i, j), max(i, j)))
    except (QhullError, ValueError):
        k = min(n - 1, 2)
        _, idx = cKDTree(xy).query(xy, k=k + 1)
        for i, row in enumerate(np.atleast_2d(idx)):
            for j in row[1:]:
                edges.add((min(i, int(j)), max(i, int(j))))
    e = np.array(sorted(edges))
    length = np.hypot(*(xy[e[:, 0]] - xy[e[:, 1]]).T)
    limit = 3.0 * float(np.median(length))
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Short edges always; a long edge only where it joins otherwise separate parts (Kruskal).
    for k in np.argsort(length, kind="stable"):
        i, j = int(e[k, 0]), int(e[k, 1])
        ri, rj = find(i), find(j)
        if length[k] <= limit or ri != rj:
            nbrs[i].add(j)
            nbrs[j].add(i)
            parent[ri] = rj
    return nbrs


def _seeds(xy: np.ndarray, pop: np.ndarray, k: int, seed: int) -> tuple[list[int], np.ndarray]:
    """Seed areas and centres: population-weighted k-means (k-means++ start, Lloyd)."""
    if k >= len(xy):
        return list(range(len(xy))), xy.copy()
    rng = np.random.default_rng(seed)
    w = np.maximum(pop, 1.0)
    best, best_cost = None, np.inf
    for _ in range(4):  # k-means++ restarts; keep the lowest weighted within-cluster cost
        c, cost = _lloyd(xy, w, k, rng)
        if cost < best_cost:
            best, best_cost = c, cost
    c = best
    tree = cKDTree(xy)
    chosen: list[int] = []
    for centre in c:
        _, order = tree.query(centre, k=min(len(xy), k + 1))
        for i in np.atleast_1d(order):
            if int(i) not in chosen:
                chosen.append(int(i))
                break
    return chosen, c


def _lloyd(xy: np.ndarray, w: np.ndarray, k: int, rng) -> tuple[np.ndarray, float]:
    centres = [xy[rng.choice(len(xy), p=w / w.sum())]]
    d2 = np.sum((xy - centres[0]) ** 2, axis=1)
    for _ in range(1, k):
        p = w * d2
        centres.append(xy[rng.choice(len(xy), p=p / p.sum())] if p.sum() > 0 else xy[0])
        d2 = np.minimum(d2, np.sum((xy - centres[-1]) ** 2, axis=1))
    c = np.array(centres)
    for _ in range(25):
        lab = cKDTree(c).query(xy)[1]
        sw = np.bincount(lab, weights=w, minlength=k)
        new = np.c_[
            np.bincount(lab, weights=w * xy[:, 0], minlength=k),
            np.bincount(lab, weights=w * xy[:, 1], minlength=k),
        ]
        new = np.where(sw[:, None] > 0, new / np.maximum(sw, 1e-12)[:, None], c)
        if np.allclose(new, c):
            break
        c = new
    dist, _ = cKDTree(c).query(xy)
    return c, float(np.sum(w * dist**2))


def grow_regions(xy: np.ndarray, pop: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Assign each point to one of ``k`` contiguous, balanced, compact regions (0..k-1)."""
    n = len(xy)
    labels = np.full(n, -1, dtype=int)
    if n == 0:
        return labels
    k = max(1, min(k, n))
    nbrs = contiguity_edges(xy)
    seeds, centres = _seeds(xy, pop, k, seed)
    totals = np.zeros(len(seeds))
    frontier: list[list[tuple[float, int]]] = [[] for _ in seeds]

    def push(r: int, i: int) -> None:
        for j in nbrs[i]:
            if labels[j] < 0:
                d = float(np.hypot(*(xy[j] - centres[r])))
                heapq.heappush(frontier[r], (d, j))

    for r, s in enumerate(seeds):
        labels[s] = r
        totals[r] = pop[s]
    for r, s in enumerate(seeds):
        push(r, s)
    remaining = n - len(seeds)
    while remaining > 0:
        order = np.argsort(totals, kind="stable")
        placed = False
        for r in order:
            heap = frontier[r]
            while heap and labels[heap[0][1]] >= 0:
                heapq.heappop(heap)
            if heap:
                _, j = heapq.heappop(heap)
                labels[j] = r
                totals[r] += pop[j]
                push(int(r), j)
                remaining -= 1
                placed = True
                break
        if not placed:  # an island with no contiguity edge: join the nearest locality
            j = int(np.flatnonzero(labels < 0)[0])
            done = np.flatnonzero(labels >= 0)
            nearest = done[np.argmin(np.hypot(*(xy[done] - xy[j]).T))]
            labels[j] = labels[nearest]
            totals[labels[j]] += pop[j]
            push(int(labels[j]), j)
            remaining -= 1
    return labels


def compactness(xy: np.ndarray) -> tuple[float, float]:
    """(Reock-style compactness in 0..1, radius in km) of a set of centroids in metres."""
    if len(xy) < 3:
        r = float(np.max(np.hypot(*(xy - xy.mean(axis=0)).T))) if len(xy) else 0.0
        return 1.0, r / 1000.0
    centre = xy.mean(axis=0)
    radius = float(np.max(np.hypot(*(xy - centre).T)))
    try:
        hull = ConvexHull(xy).volume
    except QhullError:
        hull = 0.0
    return (hull / (np.pi * radius**2) if radius > 0 else 1.0), radius / 1000.0


def build_localities(areas: pd.DataFrame, target: int = 50_000, seed: int = 0) -> pd.DataFrame:
    """Localities from ``areas`` (area_code, ics_code, easting, northing, population).

    Returns area_code, locality_code, locality_name, ics_code. Locality codes are
    ``<ics_code>-L01``, numbered west to east, north to south within each ICS.
    """
    need = {"area_code", "ics_code", "easting", "northing", "population"}
    missing = need - set(areas.columns)
    if missing:
        raise InputError(f"small areas lack {', '.join(sorted(missing))}", field=sorted(missing)[0])
    if target <= 0:
        raise InputError("target locality population must be positive", field="target_population")
    bad = areas[areas[["easting", "northing"]].isna().any(axis=1)]
    if len(bad):
        raise InputError(
            f"{len(bad)} small areas have no centroid (first: {bad.area_code.iloc[0]})",
            field="easting",
        )
    out = []
    for ics, g in areas.sort_values("area_code").groupby("ics_code", sort=True):
        xy = g[["easting", "northing"]].to_numpy(float)
        pop = g["population"].fillna(0).to_numpy(float)
        k = max(1, round(float(pop.sum()) / target))
        labels = grow_regions(xy, pop, k, seed)
        # Stable, readable numbering: by the locality's centroid, north-west first.
        cents = {r: xy[labels == r].mean(axis=0) for r in np.unique(labels)}
        order = sorted(cents, key=lambda r: (-round(cents[r][1], -3), cents[r][0]))
        rename = {r: i + 1 for i, r in enumerate(order)}
        for code, lab in zip(g["area_code"], labels, strict=True):
            n = rename[int(lab)]
            out.append((code, f"{ics}-L{n:02d}", f"{ics} locality {n}", ics))
    return pd.DataFrame(out, columns=["area_code", "locality_code", "locality_name", "ics_code"])


def summarise(mapping: pd.DataFrame, areas: pd.DataFrame, method: str) -> pd.DataFrame:
    """One row per locality: population, number of areas, compactness and radius."""
    m = mapping.merge(areas[["area_code", "easting", "northing", "population"]], on="area_code")
    rows = []
    for (code, name, ics), g in m.groupby(["locality_code", "locality_name", "ics_code"]):
        comp, radius = compactness(g[["easting", "northing"]].to_numpy(float))
        rows.append(
            (code, name, ics, int(g.population.fillna(0).sum()), len(g), comp, radius, method)
        )
    cols = ["locality_code", "locality_name", "ics_code", "population", "areas"]
    cols += ["compactness", "radius_km", "method"]
    return pd.DataFrame(rows, columns=cols)

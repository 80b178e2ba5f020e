"""Clustering scored pairs into persons without chaining distinct people together.

Plain connected components (what Splink's `cluster_pairwise_predictions_at_threshold` does)
joins two people as soon as one weak pair links any of their records. Here pairs are merged
strongest first (deterministic pass, then probabilistic by descending probability), and a
merge is refused when the two clusters would then hold

* two different valid NHS numbers (cannot-link constraint), or
* two records from a source that holds each person at most once (one-to-one linkage), or
* (incremental runs) two persons that already exist, so existing person ids never merge.

This is greedy constrained agglomerative clustering with single linkage under cannot-link
constraints (Wagstaff and Cardie 2000, "Clustering with instance-level constraints", ICML);
with no constraints it returns exactly the connected components.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Clustering:
    """``root[uid]`` is the cluster of each record; ``prob[uid]`` the strongest accepted pair
    inside its cluster (NaN for records alone); ``rule[uid]`` 0 none, 1 deterministic, 2
    probabilistic; ``refused`` counts merges the constraints blocked."""

    root: np.ndarray
    prob: np.ndarray
    rule: np.ndarray
    refused: int
    refused_nhs: int
    refused_one_to_one: int
    refused_existing: int


def constrained_clusters(
    n: int,
    nhs_code: np.ndarray,
    source_code: np.ndarray,
    duplicate_free_mask: int,
    det_edges: tuple[np.ndarray, np.ndarray],
    prob_edges: tuple[np.ndarray, np.ndarray, np.ndarray],
    initial: np.ndarray | None = None,
) -> Clustering:
    """Cluster ``n`` records (uids 0..n-1).

    ``nhs_code`` is 0 for no valid NHS number, else a code per distinct number;
    ``source_code`` a small integer per record (< 63); ``duplicate_free_mask`` has bit ``s``
    set when source ``s`` holds each person at most once. ``initial`` (incremental runs)
    gives existing clusters as labels (-1 for new records); existing clusters are frozen
    against merging with each other.
    """
    parent = list(range(n))
    nhs = [int(x) for x in nhs_code]
    srcmask = [1 << int(s) for s in source_code]
    frozen = [False] * n
    if initial is not None:
        first: dict[int, int] = {}
        for uid, label in enumerate(initial.tolist()):
            if label < 0:
                continue
            frozen[uid] = True
            r = first.setdefault(label, uid)
            if r != uid:
                parent[uid] = r
                if nhs[uid] and not nhs[r]:
                    nhs[r] = nhs[uid]
                srcmask[r] |= srcmask[uid]

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    refused = [0, 0, 0]

    def union(a: int, b: int) -> bool:
        ra, rb = find(a), find(b)
        if ra == rb:
            return True
        if nhs[ra] and nhs[rb] and nhs[ra] != nhs[rb]:
            refused[0] += 1
            return False
        if srcmask[ra] & srcmask[rb] & duplicate_free_mask:
            refused[1] += 1
            return False
        if frozen[ra] and frozen[rb]:
            refused[2] += 1
            return False
        if ra > rb:
            ra, rb = rb, ra
        parent[rb] = ra
        nhs[ra] = nhs[ra] or nhs[rb]
        srcmask[ra] |= srcmask[rb]
        frozen[ra] = frozen[ra] or frozen[rb]
        return True

    dl, dr = det_edges
    for a, b in zip(dl.tolist(), dr.tolist(), strict=True):
        union(a, b)
    pl, pr, pp = prob_edges
    order = np.argsort(-pp, kind="stable")
    pl_o, pr_o = pl[order].tolist(), pr[order].tolist()
    for a, b in zip(pl_o, pr_o, strict=True):
        union(a, b)

    root = np.fromiter((find(i) for i in range(n)), dtype=np.int64, count=n)
    prob = np.full(n, np.nan)
    rule = np.zeros(n, dtype=np.int8)
    if len(pl):
        inside = root[pl] == root[pr]
        for side in (pl, pr):
            idx = side[inside]
            np.fmax.at(prob, idx, pp[inside])
            rule[idx] = 2
    if len(dl):
        inside = root[dl] == root[dr]
        for side in (dl, dr):
            idx = side[inside]
            prob[idx] = 1.0
            rule[idx] = 1
    return Clustering(root, prob, rule, sum(refused), *refused)


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Plain connected components (for baselines): the smallest uid of each record's
    component."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as cc

    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, labels = cc(graph, directed=False)
    first = np.full(labels.max() + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(n))
    return first[labels]

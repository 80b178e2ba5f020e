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
    conflict_merges: int = 0


def constrained_clusters(
    n: int,
    nhs_code: np.ndarray,
    source_code: np.ndarray,
    duplicate_free_mask: int,
    det_edges: tuple[np.ndarray, np.ndarray],
    prob_edges: tuple[np.ndarray, np.ndarray, np.ndarray],
    initial: np.ndarray | None = None,
    conflict_edges: np.ndarray | None = None,
) -> Clustering:
    """Cluster ``n`` records (uids 0..n-1).

    ``nhs_code`` is 0 for no valid NHS number, else a code per distinct number;
    ``source_code`` a small integer per record (< 63); ``duplicate_free_mask`` has bit ``s``
    set when source ``s`` holds each person at most once. ``initial`` (incremental runs)
    gives existing clusters as labels (-1 for new records); existing clusters are frozen
    against merging with each other. ``conflict_edges`` (one flag per probabilistic edge)
    marks pairs whose two records hold different valid NHS numbers and that were accepted on
    overwhelming other evidence: such an edge may join two clusters with different numbers
    (the joined cluster keeps the number of the larger one); no other edge can.
    """
    dl, dr = det_edges
    fast = (
        _det_components(n, nhs_code, source_code, dl, dr)
        if _unconstrained(duplicate_free_mask, initial)
        else None
    )
    if fast is not None:
        parent_a, nhs_a, src_a = fast
        parent, nhs, srcmask = parent_a.tolist(), nhs_a.tolist(), src_a.tolist()
    else:
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
    size: list[int] = [1] * n
    merged_conflicts = [0]

    def union(a: int, b: int, direct_conflict: bool = False) -> bool:
        ra, rb = find(a), find(b)
        if ra == rb:
            return True
        two_numbers = bool(nhs[ra] and nhs[rb] and nhs[ra] != nhs[rb])
        if two_numbers and not direct_conflict:
            refused[0] += 1
            return False
        if srcmask[ra] & srcmask[rb] & duplicate_free_mask:
            refused[1] += 1
            return False
        if frozen[ra] and frozen[rb]:
            refused[2] += 1
            return False
        if two_numbers:
            merged_conflicts[0] += 1
            keep = nhs[ra] if size[ra] >= size[rb] else nhs[rb]
            nhs[ra] = nhs[rb] = keep
        if ra > rb:
            ra, rb = rb, ra
        parent[rb] = ra
        size[ra] += size[rb]
        nhs[ra] = nhs[ra] or nhs[rb]
        srcmask[ra] |= srcmask[rb]
        frozen[ra] = frozen[ra] or frozen[rb]
        return True

    if fast is None:
        for a, b in zip(dl.tolist(), dr.tolist(), strict=True):
            union(a, b)
    roots_now = _roots(np.asarray(parent, dtype=np.int64))
    size = np.bincount(roots_now, minlength=n).tolist()
    pl, pr, pp = prob_edges
    order = np.argsort(-pp, kind="stable")
    pl_o, pr_o = pl[order].tolist(), pr[order].tolist()
    flags = (
        np.asarray(conflict_edges, dtype=bool)[order].tolist()
        if conflict_edges is not None
        else [False] * len(pl_o)
    )
    for a, b, f in zip(pl_o, pr_o, flags, strict=True):
        union(a, b, f)

    root = _roots(np.asarray(parent, dtype=np.int64))
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
    return Clustering(root, prob, rule, sum(refused), *refused, merged_conflicts[0])


def _unconstrained(duplicate_free_mask: int, initial: np.ndarray | None) -> bool:
    return duplicate_free_mask == 0 and initial is None


def _det_components(
    n: int, nhs_code: np.ndarray, source_code: np.ndarray, dl: np.ndarray, dr: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The deterministic phase at once, when none of its merges can be refused (no one-to-one
    sources, no frozen persons, at most one NHS number per component): every record points
    at the lowest uid of its component, which holds the component's NHS number and sources.
    None when a component holds two NHS numbers (then merges run one by one)."""
    codes = np.asarray(nhs_code, dtype=np.int64)
    root = connected_components(n, np.asarray(dl), np.asarray(dr))
    big = np.iinfo(np.int64).max
    lo = np.full(n, big, dtype=np.int64)
    hi = np.zeros(n, dtype=np.int64)
    has = codes > 0
    np.minimum.at(lo, root[has], codes[has])
    np.maximum.at(hi, root[has], codes[has])
    if np.any((hi > 0) & (lo != hi)):
        return None
    src = np.left_shift(np.int64(1), np.asarray(source_code, dtype=np.int64))
    mask = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(mask, root, src)
    return root, hi, np.where(root == np.arange(n), mask, src)


def _roots(parent: np.ndarray) -> np.ndarray:
    """Follow parent pointers to the roots (pointer jumping: log-depth passes)."""
    while True:
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            return parent
        parent = nxt


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

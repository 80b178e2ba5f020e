import numpy as np
import pytest

from caremap.link.cluster import connected_components, constrained_clusters

pytestmark = pytest.mark.unit

E = np.zeros(0, dtype=np.int64)


def _run(n, nhs, src, mask, prob, det=(E, E), initial=None):
    pl = np.array([p[0] for p in prob], dtype=np.int64)
    pr = np.array([p[1] for p in prob], dtype=np.int64)
    pp = np.array([p[2] for p in prob], dtype=float)
    return constrained_clusters(n, np.array(nhs), np.array(src), mask, det, (pl, pr, pp), initial)


def test_without_constraints_it_is_connected_components():
    prob = [(0, 1, 0.99), (1, 2, 0.995), (3, 4, 0.999)]
    c = _run(6, [0] * 6, [0] * 6, 0, prob)
    assert c.root.tolist() == [0, 0, 0, 3, 3, 5]
    cc = connected_components(6, np.array([0, 1, 3]), np.array([1, 2, 4]))
    assert cc.tolist() == c.root.tolist()
    assert np.isnan(c.prob[5]) and c.rule[5] == 0
    assert c.prob[1] == pytest.approx(0.995) and c.rule[1] == 2


def test_one_weak_link_cannot_chain_two_nhs_numbers():
    # 0,1 hold NHS number A; 2,3 hold B; record 4 (no number) links weakly to both.
    prob = [(0, 1, 0.9999), (2, 3, 0.9999), (1, 4, 0.995), (4, 2, 0.991)]
    c = _run(5, [1, 1, 2, 2, 0], [0] * 5, 0, prob)
    assert c.root.tolist() == [0, 0, 2, 2, 0]  # 4 joins its stronger side only
    assert c.refused_nhs == 1


def test_one_to_one_source_holds_each_person_once():
    # sources: 0 = file a (duplicate free), 1 = file b (duplicate free)
    prob = [(0, 2, 0.999), (1, 2, 0.998), (1, 3, 0.997)]
    c = _run(4, [0] * 4, [0, 0, 1, 1], 0b11, prob)
    assert c.root.tolist() == [0, 1, 0, 1]
    assert c.refused_one_to_one == 1


def test_deterministic_edges_come_first_and_score_one():
    det = (np.array([1]), np.array([0]))
    c = _run(3, [5, 5, 0], [0, 0, 0], 0, [(1, 2, 0.995)], det=det)
    assert c.root.tolist() == [0, 0, 0]
    assert c.rule.tolist() == [1, 1, 2] and c.prob[0] == 1.0


def test_existing_persons_are_frozen_apart():
    initial = np.array([10, 10, 20, -1])
    prob = [(1, 2, 0.999), (3, 2, 0.998)]
    c = _run(4, [0] * 4, [0] * 4, 0, prob, initial=initial)
    assert c.root[0] == c.root[1] != c.root[2]
    assert c.root[3] == c.root[2]
    assert c.refused_existing == 1


def test_vectorised_deterministic_phase_matches_merging_one_by_one():
    rng = np.random.default_rng(7)
    n = 400
    nhs = rng.integers(0, 60, n)
    src = rng.integers(0, 3, n)
    group = np.where(nhs > 0, nhs, n + np.arange(n))  # records sharing a number
    first = {}
    det_l, det_r = [], []
    for uid, g in enumerate(group.tolist()):
        if g in first:
            det_l.append(uid)
            det_r.append(first[g])
        else:
            first[g] = uid
    det = (np.array(det_l), np.array(det_r))
    prob = [
        (int(a), int(b), float(p))
        for a, b, p in zip(
            rng.integers(0, n, 300), rng.integers(0, n, 300), rng.uniform(0.9, 1, 300), strict=True
        )
    ]
    fast = _run(n, nhs, src, 0, prob, det=det)
    # A duplicate-free bit for a source nobody holds forces the one-by-one path.
    slow = _run(n, nhs, src, 1 << 40, prob, det=det)
    assert fast.root.tolist() == slow.root.tolist()
    assert fast.rule.tolist() == slow.rule.tolist()
    assert np.array_equal(fast.prob, slow.prob, equal_nan=True)
    assert fast.refused_nhs == slow.refused_nhs > 0


def test_a_conflict_edge_joins_a_mis_numbered_record_but_cannot_chain_on():
    # 0,1,2 hold number A (person A); 3 holds A too but is person B's record (wrong number);
    # 4,5 hold B. Edge 3-4 is a direct conflict edge (different numbers, strong evidence):
    # 3 joins B, and B's cluster keeps B's number, so the weak 2-5 edge cannot chain A and B.
    prob = [(0, 1, 0.9999), (1, 2, 0.9999), (4, 5, 0.9999), (3, 4, 0.9995), (2, 5, 0.99)]
    pl = np.array([p[0] for p in prob], dtype=np.int64)
    pr = np.array([p[1] for p in prob], dtype=np.int64)
    pp = np.array([p[2] for p in prob], dtype=float)
    flags = np.array([False, False, False, True, False])
    c = constrained_clusters(
        6, np.array([1, 1, 1, 1, 2, 2]), np.zeros(6, np.int64), 0, (E, E), (pl, pr, pp),
        conflict_edges=flags,
    )  # fmt: skip
    assert c.root.tolist() == [0, 0, 0, 3, 3, 3]
    assert c.conflict_merges == 1 and c.refused_nhs == 1
    # without the flag the same edge is refused like any other
    plain = _run(6, [1, 1, 1, 1, 2, 2], [0] * 6, 0, prob)
    assert plain.root.tolist() == [0, 0, 0, 3, 4, 4]

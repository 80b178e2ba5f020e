"""Tiers and top factors on small arrays."""

import numpy as np
import pyarrow as pa
import pytest

from caremap.risk.config import RiskConfig
from caremap.risk.features import FEATURE_NAMES, LABELS
from caremap.risk.score import assign_tiers, join_factors, top_factors

pytestmark = pytest.mark.unit


def test_tiers_are_shares_of_the_ranked_population():
    n = 1000
    score = np.linspace(1, 0, n)
    ids = np.arange(n)
    rank, tier = assign_tiers(score, ids, RiskConfig())
    assert rank[0] == 1 and rank[-1] == n
    assert np.bincount(tier).tolist() == [5, 45, 150, 800]


def test_ties_are_broken_by_person_id():
    score = np.array([0.5, 0.9, 0.5, 0.1])
    rank, _ = assign_tiers(score, np.array([10, 11, 3, 4]), RiskConfig())
    assert rank.tolist() == [3, 1, 2, 4]


def test_top_factors_are_positive_contributions_in_order():
    k = len(FEATURE_NAMES)
    contrib = np.zeros((2, k))
    contrib[0, FEATURE_NAMES.index("emergency_admissions_12m")] = 0.9
    contrib[0, FEATURE_NAMES.index("ltc_copd")] = 0.4
    contrib[0, FEATURE_NAMES.index("age")] = -1.0
    # row 1 has nothing that raises risk
    f = top_factors(contrib, 3, np.array([0, 2]), 3)
    assert f[0].to_pylist() == [LABELS["emergency_admissions_12m"], None, None]
    assert f[1].to_pylist() == ["copd", None, None]
    assert f[2].to_pylist() == [None, None, None]
    joined = join_factors(f).to_pylist()
    assert joined == ["emergency admissions, last 12 months; copd", None, None]


def test_join_factors_keeps_rows_with_no_factors():
    a = pa.array(["x", None, "y"])
    b = pa.array(["z", None, None])
    assert join_factors([a, b]).to_pylist() == ["x; z", None, "y"]

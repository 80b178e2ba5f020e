"""Whole-pence splits and pace of change: sums are exact whatever the input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caremap.budget.money import pace_of_change, pounds_to_pence, split_pence
from caremap.core.errors import ConfigError

pytestmark = pytest.mark.unit

weights = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1,
                   max_size=30).filter(lambda w: sum(w) > 0)  # fmt: skip


@settings(max_examples=100)
@given(total=st.integers(min_value=0, max_value=10**13), w=weights)
def test_split_sums_to_total_and_is_proportional(total, w):
    parts = split_pence(total, w)
    assert sum(parts) == total
    s = sum(w)
    for p, x in zip(parts, w, strict=True):
        assert abs(p - total * x / s) < 1 + 1e-6 * total
        assert p >= 0


def test_split_worked_example():
    # Hamilton's method: quotas 33.33, 33.33, 33.33 -> the first remainder gets the penny
    assert split_pence(100, [1, 1, 1]) == [34, 33, 33]
    assert split_pence(10, [0.5, 0.3, 0.2]) == [5, 3, 2]
    assert split_pence(7, [0, 1]) == [0, 7]


def test_split_bad_input():
    with pytest.raises(ConfigError):
        split_pence(10, [0, 0])
    with pytest.raises(ConfigError):
        split_pence(10, [1, -1])
    with pytest.raises(ConfigError):
        split_pence(10.5, [1])


def test_pounds_to_pence_is_exact():
    assert pounds_to_pence("0.1") + pounds_to_pence("0.2") == pounds_to_pence("0.3")
    assert pounds_to_pence(1234567.895) == 123456790
    assert pounds_to_pence("-2.005") == -201


@settings(max_examples=60)
@given(
    data=st.lists(
        st.tuples(st.floats(min_value=1, max_value=1e6), st.floats(min_value=1, max_value=1e6)),
        min_size=1,
        max_size=20,
    ),
    growth=st.floats(min_value=0.0, max_value=0.05),
)
def test_pace_of_change_keeps_limits_and_sums(data, growth):
    b = np.array([d[0] for d in data])
    t = np.array([d[1] for d in data])
    lo_g, hi_g = growth - 0.01, growth + 0.02
    a = pace_of_change(b, t, growth, lo_g, hi_g)
    assert a.sum() == pytest.approx(1.0, abs=1e-9)
    bs = b / b.sum()
    assert np.all(a >= bs * (1 + lo_g) / (1 + growth) - 1e-9)
    assert np.all(a <= bs * (1 + hi_g) / (1 + growth) + 1e-9)


def test_pace_of_change_moves_towards_target():
    # A is 20% over target, B 20% under: A gets the minimum growth, B more
    a = pace_of_change([60, 40], [50, 50], growth=0.03, min_growth=0.01, max_growth=0.05)
    growth_a = a[0] * 1.03 / 0.6 - 1
    growth_b = a[1] * 1.03 / 0.4 - 1
    assert growth_a == pytest.approx(0.01, abs=1e-9) or growth_b == pytest.approx(0.05, abs=1e-9)
    assert growth_b > growth_a
    # with wide limits the target is reached exactly
    a = pace_of_change([60, 40], [50, 50], growth=0.03, min_growth=-0.5, max_growth=0.9)
    np.testing.assert_allclose(a, [0.5, 0.5], atol=1e-9)
    with pytest.raises(ConfigError, match="min_growth"):
        pace_of_change([1], [1], growth=0.1, min_growth=0.0, max_growth=0.05)

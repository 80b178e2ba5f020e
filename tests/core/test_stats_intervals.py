"""Interval statistics against published examples and the definitions they rest on."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from caremap.core.errors import InputError
from caremap.core.stats import (
    byars,
    crude_rate,
    dobson_dsr,
    exact_poisson,
    expected_events,
    isr,
    wilson,
    z_value,
)

pytestmark = pytest.mark.spec

ESP2013 = [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000]
ESP2013 += [7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000]
# The example population and events of PHEindicatormethods' SMR/DSR development script.
TESTPOP = [84935, 80367, 72122, 79259, 99806, 87362, 81579, 71103, 70001, 69007]
TESTPOP += [63203, 52638, 46087, 40887, 32604, 28399, 21625, 13021, 7355]
TESTOBS = [27, 45, 55, 100, 125, 300, 295, 270, 275, 450, 455, 459, 345, 300, 270, 265, 100, 90, 35]


# Full-precision values from the unit tests of PHStatsMethods (DHSC's Python port of
# PHEindicatormethods), tests/test.wilsons.py.
@pytest.mark.parametrize(
    "x, n, conf, side, expected",
    [
        (20, 360, 0.95, 0, 0.036248204600072345),
        (550, 2400, 0.998, 0, 0.20375892211705743),
        (30, 400, 0.95, 1, 0.10504770626130437),
        (76, 238, 0.998, 1, 0.418131030603369),
    ],
)
def test_wilson_matches_published_values(x, n, conf, side, expected):
    assert wilson(x, n, conf)[side] == pytest.approx(expected, abs=1e-12)


def test_wilson_newcombe_altman_example():
    # Newcombe & Altman (Statistics with confidence, 2000, p.47): 81 of 263, 95% CI 0.2553-0.3662.
    lo, hi = wilson(81, 263)
    assert round(lo, 4) == 0.2553
    assert round(hi, 4) == 0.3662


def test_z_values_are_exact_quantiles():
    assert z_value(0.95) == pytest.approx(1.959963984540054, abs=1e-12)
    assert z_value(99.8) == pytest.approx(3.090232306167813, abs=1e-12)


def test_byars_formula_at_full_precision():
    z = 1.959963984540054
    for o in (10, 65, 1045):
        lo = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
        hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
        got = byars(o, 0.95)
        assert got[0] == pytest.approx(lo, abs=1e-9)
        assert got[1] == pytest.approx(hi, abs=1e-9)


def test_byars_within_technical_guidance_tolerance_of_exact():
    # Technical Guidance appendix 1: Byar's is within 0.2% of the exact limits for 10+ events
    # at 95% confidence.
    o = np.arange(10, 2000)
    bl, bu = byars(o, 0.95)
    el, eu = exact_poisson(o, 0.95)
    assert np.max(np.abs(bl / el - 1)) < 0.002
    assert np.max(np.abs(bu / eu - 1)) < 0.002


def test_exact_poisson_inverts_the_poisson_distribution():
    o = np.array([1, 2, 5, 9, 30])
    for conf in (0.95, 0.998):
        a = (1 - conf) / 2
        lo, hi = exact_poisson(o, conf)
        # P(X >= o | lower) = a and P(X <= o | upper) = a
        assert np.allclose(stats.poisson.sf(o - 1, lo), a, atol=1e-12)
        assert np.allclose(stats.poisson.cdf(o, hi), a, atol=1e-12)
    lo0, hi0 = exact_poisson(0, 0.95)
    assert lo0 == 0.0
    assert hi0 == pytest.approx(-math.log(0.025), abs=1e-12)  # 3.688879...


def test_exact_poisson_classic_table():
    # Classic exact limits for 5 events at 95%: 1.62 to 11.67 (Armitage & Berry).
    lo, hi = exact_poisson(5)
    assert (round(lo, 2), round(hi, 2)) == (1.62, 11.67)


def test_byars_switches_to_exact_below_threshold():
    lo, hi = byars([3, 12], 0.95, exact_below=10)
    el, eu = exact_poisson(3)
    bl, bu = byars(12)
    assert (lo[0], hi[0]) == (el, eu)
    assert (lo[1], hi[1]) == (bl, bu)


def test_crude_rate():
    r = crude_rate([65, 3], [100_000, 50_000], multiplier=100_000)
    assert r.value[0] == pytest.approx(65)
    assert r.lower[0] == pytest.approx(byars(65)[0])
    assert r.lower[1] == pytest.approx(exact_poisson(3)[0] * 2)


def test_dsr_reference_formula():
    """PHE DSR: value = sum(w O/n); Dobson limits from Byar's on the total count."""
    x, n, s = np.array(TESTOBS, float), np.array(TESTPOP, float), np.array(ESP2013, float)
    value = float(np.sum(x * s / n) / s.sum())
    var = float(np.sum(x * (s / n) ** 2) / s.sum() ** 2)
    total = x.sum()
    z = 1.959963984540054
    bl = total * (1 - 1 / (9 * total) - z / (3 * math.sqrt(total))) ** 3
    bu = (total + 1) * (1 - 1 / (9 * (total + 1)) + z / (3 * math.sqrt(total + 1))) ** 3
    got = dobson_dsr(TESTOBS, TESTPOP, ESP2013)
    assert got.value == pytest.approx(value * 1e5, abs=1e-9)
    assert got.lower == pytest.approx(
        (value + math.sqrt(var / total) * (bl - total)) * 1e5, abs=1e-9
    )
    assert got.upper == pytest.approx(
        (value + math.sqrt(var / total) * (bu - total)) * 1e5, abs=1e-9
    )


def test_dsr_with_one_band_is_the_crude_rate_with_byars_limits():
    got = dobson_dsr([[120]], [[40_000]], [1000])
    ref = crude_rate(120, 40_000, exact_below=0)
    assert got.value[0] == pytest.approx(ref.value, abs=1e-9)
    assert got.lower[0] == pytest.approx(ref.lower, abs=1e-9)
    assert got.upper[0] == pytest.approx(ref.upper, abs=1e-9)


def test_dsr_suppressed_below_ten_events_and_vectorised():
    counts = np.array([TESTOBS, [0] * 18 + [9]])
    pops = np.array([TESTPOP, TESTPOP])
    got = dobson_dsr(counts, pops, ESP2013, conf=0.998)
    assert np.isfinite(got.value[0]) and np.isnan(got.value[1]) and np.isnan(got.lower[1])
    assert got.lower[0] < got.value[0] < got.upper[0]


def test_isr_limits_and_expected():
    e = expected_events([1000, 2000], [10, 40], [10_000, 10_000])
    assert e == pytest.approx(9.0)
    r = isr([9, 90], [9.0, 60.0])
    assert r.value[0] == pytest.approx(1.0)
    assert r.lower[0] == pytest.approx(exact_poisson(9)[0] / 9)
    assert r.upper[1] == pytest.approx(byars(90)[1] / 60)


@pytest.mark.parametrize(
    "call",
    [
        lambda: byars([-1]),
        lambda: wilson(5, 4),
        lambda: wilson(1, 0),
        lambda: byars(5, conf=0.2),
        lambda: dobson_dsr([[5, 1]], [[0, 10]], [1, 1]),
        lambda: dobson_dsr([[5, 1]], [[10, 10]], [1, 1, 1]),
        lambda: isr([3], [0]),
    ],
)
def test_bad_input_raises_input_error(call):
    with pytest.raises(InputError):
        call()

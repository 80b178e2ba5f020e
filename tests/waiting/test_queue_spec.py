"""Queue relationships against NHSRwaitinglist's documented examples."""

import pytest

from caremap.core.errors import InputError
from caremap.waiting import queue as Q

pytestmark = pytest.mark.spec


def test_target_mean_wait():
    # calc_target_mean_wait(52, 4): 13 weeks; with a factor of 6: 8.67 weeks
    assert Q.target_mean_wait(52, 4) == 13
    assert Q.target_mean_wait(52, 6) == pytest.approx(52 / 6, abs=1e-12)


def test_target_queue_size():
    # "If demand is 30 patients per week and the target wait is 52 weeks, then the
    # Target queue size = 30 * 52/4 = 390 patients."
    assert Q.target_queue_size(30, 52, 4) == 390


def test_relief_capacity():
    # "Relief Capacity = 30 + (1200 - 390)/26 = 61.15 patients per week."
    assert Q.relief_capacity(30, 1200, 390, 26) == pytest.approx(30 + 810 / 26, abs=1e-12)
    assert round(float(Q.relief_capacity(30, 1200, 390, 26)), 2) == 61.15


def test_relief_capacity_inflates_estimated_demand():
    d = 30 / (1 - 2 * 30 * 0.1 / 10)
    assert Q.relief_capacity(30, 1200, 390, 26, num_referrals=100, cv_demand=0.1) == (
        pytest.approx(d + 810 / 26, abs=1e-12)
    )


def test_queue_load():
    # "30 patients are added ... each week (demand) and 27 removed ... queue load of 1.11"
    assert Q.queue_load(30, 27) == pytest.approx(30 / 27, abs=1e-12)


def test_target_capacity_kingman():
    # calc_target_capacity(4, 52): demand + (cv_d^2 + cv_c^2)/2 * factor/target_wait
    assert Q.target_capacity(4, 52) == pytest.approx(4 + 1 * 4 / 52, abs=1e-12)


def test_waiting_list_pressure():
    assert Q.waiting_list_pressure(63, 52) == pytest.approx(2 * 63 / 52, abs=1e-12)


def test_factor_four_misses_about_two_percent():
    assert Q.share_over(52, Q.target_mean_wait(52, 4)) == pytest.approx(0.0183, abs=1e-4)


def test_bad_input():
    with pytest.raises(InputError, match="capacity"):
        Q.queue_load(30, 0)

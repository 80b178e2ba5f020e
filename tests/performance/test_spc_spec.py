"""SPC against NHSRplotthedots: its unit-test expectations, its snapshots, and its
integration snapshot on the real A&E data (decoded from tests/testthat/_snaps)."""

import json
from pathlib import Path

import numpy as np
import pytest

from caremap.core.stats import spc as S

pytestmark = pytest.mark.spec

DATA = Path(__file__).parent / "data"

# set.seed(123); rnorm(20) in R, as used by NHSRplotthedots' test-ptd_spc_standard.R
RNORM20 = np.array(
    [
        -0.560475646552213,
        -0.23017748948328,
        1.55870831414912,
        0.070508391424576,
        0.129287735160946,
        1.71506498688328,
        0.460916205989202,
        -1.26506123460653,
        -0.686852851893526,
        -0.445661970099958,
        1.22408179743946,
        0.359813827057364,
        0.400771450594052,
        0.11068271594512,
        -0.555841134754075,
        1.78691313680308,
        0.497850478229239,
        -1.96661715662964,
        0.701355901563686,
        -0.472791407727934,
    ]
)


def _flags(y, seg=None, rules=S.Rules()):
    y = np.asarray(y, float)
    seg = np.zeros(len(y), int) if seg is None else np.asarray(seg)
    lim = S.xmr_limits(y, seg)
    return S.special_cause_rules(
        y, seg, lim.mean, lim.lpl, lim.upl, lim.lower_2sigma, lim.upper_2sigma, rules
    )


def test_limits_match_ptd_snapshot():
    lim = S.xmr_limits(RNORM20, np.zeros(20, int))
    assert round(lim.mean[0], 3) == 0.142
    assert round(lim.lpl[0], 2) == -3.01 and round(lim.upl[0], 2) == 3.29


def test_facet_limits_match_ptd_snapshot():
    lim = S.xmr_limits(RNORM20, np.repeat([0, 1], 10))
    assert np.round(lim.mean[[0, 10]], 4).tolist() == [0.0746, 0.2086]
    assert np.round(lim.lpl[[0, 10]], 2).tolist() == [-2.60, -3.28]
    assert np.round(lim.upl[[0, 10]], 2).tolist() == [2.75, 3.70]


def test_screening_and_fixing_change_the_limits():
    y = RNORM20.copy()
    y[14] = 10
    screened = S.xmr_limits(y, np.zeros(20, int))
    unscreened = S.xmr_limits(y, np.zeros(20, int), screen_outliers=False)
    assert unscreened.upl[0] - unscreened.lpl[0] > screened.upl[0] - screened.lpl[0]
    fixed = S.xmr_limits(y, np.zeros(20, int), fix_after_n=12)
    assert fixed.lpl[0] != screened.lpl[0]


@pytest.mark.parametrize(
    "y, expected",
    [  # ptd_seven_point_trend + ptd_part_of_seven_trend expectations
        (list(range(1, 7)), [0] * 6),
        ([1, 2, 3, 3, 4, 5, 6], [0] * 7),  # a tie breaks the trend
        (list(range(1, 8)), [1] * 7),
        ([2, *range(1, 8), 3], [0, 1, 1, 1, 1, 1, 1, 1, 0]),
        (list(range(7, 0, -1)), [-1] * 7),
    ],
)
def test_trend(y, expected):
    f = _flags(y)
    assert (f.trend_direction * f.trend).astype(int).tolist() == expected


def test_shift_needs_seven_on_one_side_and_stops_at_the_mean():
    rtm_run = [5, 5, 5, 5, 5, 5, 5, 5, -40]
    f = _flags(rtm_run)
    assert f.shift.tolist() == [True] * 8 + [False]
    assert not _flags([5] * 6 + [-30]).shift.any()


def test_two_in_three_needs_all_three_on_one_side():
    # ptd test: symmetrical data, then two points close to the limits on opposite sides
    y = np.array([1.0, -1.0] * 8)
    y[14], y[15] = 5.5, -5.5
    f = _flags(y)
    assert not f.two_in_three[-2:].any()


def test_two_in_three_flags_only_the_close_points():
    # windows as in ptd_two_in_three: c(1,0,1) with all above the mean
    seg = np.zeros(3, int)
    y = np.array([2.5, 1.0, 2.5])
    ones = np.ones(3)
    f = S.special_cause_rules(y, seg, ones * 0, ones * -3, ones * 3, ones * -2, ones * 2)
    assert f.two_in_three.tolist() == [True, False, True]


def test_mdc2023_counts_points_beyond_three_sigma():
    seg = np.zeros(3, int)
    y = np.array([2.5, 1.0, 3.5])  # one close, one beyond
    ones = np.ones(3)
    args = (y, seg, ones * 0, ones * -3, ones * 3, ones * -2, ones * 2)
    assert not S.special_cause_rules(*args, S.Rules("ptd")).two_in_three.any()
    assert S.special_cause_rules(*args, S.Rules("mdc2023")).two_in_three.tolist() == [
        True,
        False,
        True,
    ]


def test_label_precedence():
    y = np.array([1, 2, 3, 4, 5, 6, 7, 30.0])
    seg = np.zeros(8, int)
    ones = np.ones(8)
    f = S.special_cause_rules(y, seg, ones * 0, ones * -20, ones * 20, ones * -15, ones * 15)
    lab = S.special_cause_type(f).tolist()
    assert lab[-1] == "Above UCL"  # outside beats trend
    assert lab[0] == "7 Point Trend (Increasing)"  # trend beats shift


def test_point_types_and_icons():
    labs = np.array(["Above UCL", "7 Points Below CL", "Common Cause"], dtype=object)
    assert S.point_type(labs, 1).tolist() == [
        "special_cause_improvement",
        "special_cause_concern",
        "common_cause",
    ]
    assert S.point_type(labs, 0).tolist()[:2] == [
        "special_cause_neutral_high",
        "special_cause_neutral_low",
    ]
    assert S.variation_icon("special_cause_concern", -1) == "concern_low"


@pytest.mark.parametrize(
    "target, direction, expected",
    [
        (10, "increase", "consistent_fail"),
        (10, "decrease", "consistent_pass"),
        (-10, "increase", "consistent_pass"),
        (-10, "decrease", "consistent_fail"),
        (0, "increase", "inconsistent"),
        (0, "neutral", None),
    ],
)
def test_assurance(target, direction, expected):
    assert S.assurance(target, -3.0, 3.0, direction) == expected


def test_matches_ptd_on_real_ae_data(shared_data):
    """ptd_spc(ae_all(), performance, period, fix_after_n_points = 12) from NHSRplotthedots'
    integration snapshot: limits to 1e-9 and every point type."""
    import pandas as pd

    expected = json.loads((DATA / "ptd_ae_all_performance_fix12.json").read_text())
    df = pd.read_csv(shared_data / "nhs-open" / "ae_attendances.csv")
    a = df.groupby("period")[["attendances", "breaches"]].sum().sort_index()
    y = (1 - a.breaches / a.attendances).to_numpy()
    assert np.allclose(y, expected["y"], atol=1e-12)
    seg = np.zeros(len(y), int)
    lim = S.xmr_limits(y, seg, fix_after_n=12)
    for k in ("mean", "lpl", "upl"):
        assert np.allclose(getattr(lim, k), expected[k], atol=1e-9, rtol=0)
    f = S.special_cause_rules(
        y, seg, lim.mean, lim.lpl, lim.upl, lim.lower_2sigma, lim.upper_2sigma
    )
    assert S.point_type(S.special_cause_type(f), 1).tolist() == expected["point_type"]


def test_laney_sigma_z_is_one_without_overdispersion_in_formula():
    # classical p-chart: Laney off gives sigma_z = 1 and limits pbar +/- 3 sqrt(pbar(1-pbar)/n)
    x, n = np.array([10, 12, 8, 11]), np.array([100, 120, 80, 110])
    _v, lim, sz = S.attribute_limits(x, n, np.zeros(4, int), chart="p", laney=False)
    pbar = x.sum() / n.sum()
    assert np.allclose(lim.upl, pbar + 3 * np.sqrt(pbar * (1 - pbar) / n), atol=1e-12)
    assert (sz == 1).all()


def test_laney_sigma_z_is_mean_moving_range_of_z_over_d2():
    x, n = np.array([10, 30, 8, 25, 12]), np.array([100, 120, 80, 110, 100])
    _v, lim, sz = S.attribute_limits(x, n, np.zeros(5, int), chart="u", laney=True)
    ubar = x.sum() / n.sum()
    z = (x / n - ubar) / np.sqrt(ubar / n)
    assert np.allclose(sz, np.mean(np.abs(np.diff(z))) / 1.128, atol=1e-12)
    assert np.allclose(lim.upl, ubar + 3 * np.sqrt(ubar / n) * sz, atol=1e-12)


def test_rebase_matches_ptd_on_real_ae_data(shared_data):
    """ptd_spc(ae_all(), attendances, period, rebase = as.Date("2017-04-01")) from the same
    snapshot file: two periods, limits to 1e-9, every point type; through `spc_frame`."""
    import pandas as pd

    from caremap.performance.spc import SpcConfig, spc_frame

    expected = json.loads((DATA / "ptd_ae_all_attendances_rebase.json").read_text())
    df = pd.read_csv(shared_data / "nhs-open" / "ae_attendances.csv")
    a = df.groupby("period", as_index=False)["attendances"].sum()
    pts, summ, _ = spc_frame(
        a, SpcConfig(date="period", value="attendances", rebase=["2017-04-01"])
    )
    assert summ["n"].tolist() == [24] and summ["rebase_group"].tolist() == [1]
    assert np.allclose(pts["value"], expected["y"], atol=0)
    assert pts["rebase_group"].tolist() == [int(x) for x in expected["rebase_group"]]
    for k in ("mean", "lpl", "upl"):
        assert np.allclose(pts[k], expected[k], atol=1e-9 * 2e6, rtol=0)
        assert np.allclose(pts[k], expected[k], rtol=1e-12, atol=0)
    assert pts["point_type"].tolist() == expected["point_type"]

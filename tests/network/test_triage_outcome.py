"""Expected deaths follow each configuration's access: a hand-made two-hospital network."""

from __future__ import annotations

import numpy as np
import pytest

from caremap.network.outcome import OutcomeModel
from caremap.network.triage import TriageConfig, simulate, summarise

pytestmark = pytest.mark.unit

# two hospitals 40 minutes apart; six incidents, all next to hospital 1
TIMES = np.array([[50.0, 10.0]] * 6)
SITE_TIMES = np.array([[0.0, 40.0], [40.0, 0.0]])
ISS = np.array([25, 25, 25, 30, 9, 9])
AGE = np.array([40, 60, 30, 70, 40, 40])


def _deaths(is_mtc, policy="nearest", cfg=None):
    cfg = cfg or TriageConfig(sensitivity=0.0, specificity=1.0)
    sim = simulate(TIMES, np.array(is_mtc), SITE_TIMES, ISS, AGE, policy, cfg)
    return sim, summarise(sim)


def test_fewer_centres_more_transfers_more_deaths():
    # centre far away: the four major-trauma patients go to hospital 1 and on by transfer
    far, s_far = _deaths([True, False])
    near, s_near = _deaths([False, True])
    assert s_far["secondary_transfers"] == 4 and s_near["secondary_transfers"] == 0
    assert s_far["mean_minutes_to_definitive_major"] > s_near["mean_minutes_to_definitive_major"]
    assert s_far["expected_deaths"] > s_near["expected_deaths"]
    # the difference is exactly the secondary-transfer odds ratio on the transferred patients
    m = OutcomeModel()
    odds = lambda p: p / (1 - p)  # noqa: E731
    major = ISS >= 16
    ratio = odds(far["p_death"][major]) / odds(near["p_death"][major])
    np.testing.assert_allclose(ratio, m.or_secondary_transfer, rtol=1e-12)
    np.testing.assert_allclose(far["p_death"][~major], near["p_death"][~major], rtol=1e-15)


def test_right_place_triage_avoids_transfers_and_deaths():
    cfg = TriageConfig(sensitivity=1.0, specificity=1.0, mtc_max_minutes=60)
    _, nearest = _deaths([True, False], "nearest", cfg)
    _, right = _deaths([True, False], "right_place", cfg)
    assert right["bypasses"] == 4 and right["secondary_transfers"] == 0
    assert right["expected_deaths_major"] < nearest["expected_deaths_major"]

"""FunnelPlotR's ratio-of-counts (RC) funnels, beside SR and PR.

FunnelPlotR (nhs-r-community) publishes no numeric RC example in its tests, so the expected
values here are written out from its source (R/od_adjustment.R ``transformed_zscore``,
``winsorisation``, ``tau_func``; R/calculate_limits.R, data_type "RC"), on the six units of
its own test data (tests/testthat/test-funnel_plot.R).
"""

from __future__ import annotations

import numpy as np
import pytest

from caremap.core.stats import funnel as F

pytestmark = pytest.mark.spec

NUM = np.array([100, 150, 180, 80, 120, 225], float)
DEN = np.array([108, 112, 165, 95, 100, 220], float)


def _funnelplotr_rc():
    target = NUM.sum() / DEN.sum()
    y = np.log((NUM + 0.5) / (DEN + 0.5))
    s = np.sqrt(NUM / (NUM + 0.5) ** 2 + DEN / (DEN + 0.5) ** 2)
    z = (y - np.log(target)) / s
    lz, uz = np.quantile(z, [0.1, 0.9])  # R quantile type 7
    wz = np.where(z < lz, lz, np.where(z > uz, uz, z))
    n = len(wz)
    phi = np.sum(wz**2) / n
    w = 1 / s**2
    tau2 = max(0.0, (n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return target, z, phi, tau2


def test_rc_z_scores_overdispersion_and_limits():
    target, z, phi, tau2 = _funnelplotr_rc()
    r = F.funnel(NUM, DEN, data_type="RC")
    assert r.target == pytest.approx(target, rel=1e-15)
    assert r.value == pytest.approx(NUM / DEN, rel=1e-15)
    assert r.z == pytest.approx(z, rel=1e-12)
    assert r.phi == pytest.approx(phi, rel=1e-12)
    assert r.tau2 == pytest.approx(tau2, rel=1e-12)
    assert tau2 > 0 and r.adjustment == "tau2"
    half95 = F.Z95 * np.sqrt(1 / (4 * DEN) + tau2)
    assert r.lower95 == pytest.approx(np.exp(np.log(target) - half95), rel=1e-12)
    assert r.upper95 == pytest.approx(np.exp(np.log(target) + half95), rel=1e-12)
    half998 = F.Z998 * np.sqrt(1 / (4 * DEN) + tau2)
    assert r.upper998 == pytest.approx(np.exp(np.log(target) + half998), rel=1e-12)


def test_rc_unadjusted_limits_and_flagging():
    target, *_ = _funnelplotr_rc()
    r = F.funnel(NUM, DEN, data_type="RC", adjustment="none")
    half = F.Z95 * np.sqrt(1 / (4 * DEN))
    assert r.lower95 == pytest.approx(target * np.exp(-half), rel=1e-12)
    assert r.adjustment == "none"
    # Unit b (150 over 112) is far above the pooled ratio: outside the unadjusted 99.8% limit.
    assert r.value[1] > r.upper998[1]
    # The adjusted funnel is wider, as FunnelPlotR's test asserts for SR.
    adj = F.funnel(NUM, DEN, data_type="RC")
    assert (adj.upper998 > r.upper998).all()

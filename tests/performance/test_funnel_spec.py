"""Funnel statistics against FunnelPlotR's tests, Spiegelhalter (2005) and R's p.adjust."""

import numpy as np
import pytest
from scipy import stats

from caremap.core.errors import InputError
from caremap.core.stats import funnel as F

pytestmark = pytest.mark.spec

OBS = [100, 150, 180, 80, 120, 225]
EXP = [108, 112, 165, 95, 100, 220]


def test_phi_matches_funnelplotr():
    # FunnelPlotR tests/testthat/test-classes_methods.R: round(phi, 6) == 2.948033
    r = F.funnel(OBS, EXP, data_type="SR", sr_method="SHMI")
    assert round(r.phi, 6) == 2.948033


def test_tau2_is_dersimonian_laird():
    r = F.funnel(OBS, EXP, data_type="SR", sr_method="SHMI")
    e = np.array(EXP, float)
    w = e  # s = 1/sqrt(E) on the log scale
    n = 6
    expected = (n * r.phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum())
    assert r.tau2 == pytest.approx(expected, abs=1e-12)


def test_funnelplotr_adjusted_limits_wider_than_poisson():
    # FunnelPlotR test-funnel_plot.R: unadjusted LCL95 of unit 5 > the OD-adjusted one
    adj = F.funnel(OBS, EXP, data_type="SR")
    none = F.funnel(OBS, EXP, data_type="SR", adjustment="none")
    assert none.lower95[4] > adj.lower95[4]


def test_unadjusted_sr_limits_are_exact_poisson_of_a_count_equal_to_e():
    lo, hi = F.limits(np.array([100.0]), data_type="SR", target=1, adjustment="none")
    assert lo[0] == pytest.approx(stats.chi2.ppf(0.025, 200) / 2 / 100, abs=1e-12)
    assert hi[0] == pytest.approx(stats.chi2.ppf(0.975, 202) / 2 / 100, abs=1e-12)


def test_shmi_and_cqc_adjusted_limits():
    e, tau2, z = np.array([50.0]), 0.02, F.Z95
    lo, hi = F.limits(e, data_type="SR", target=1, sr_method="SHMI", tau2=tau2)
    assert hi[0] == pytest.approx(np.exp(z * np.sqrt(1 / 50 + tau2)), abs=1e-12)
    assert lo[0] == pytest.approx(np.exp(-z * np.sqrt(1 / 50 + tau2)), abs=1e-12)
    _lo, hi = F.limits(e, data_type="SR", target=1, sr_method="CQC", tau2=tau2)
    assert hi[0] == pytest.approx((1 + z * np.sqrt(1 / 200 + tau2)) ** 2, abs=1e-12)


def test_binomial_limits_interpolate_as_spiegelhalter_2005():
    # A.1.1: r_p = binomial quantile; alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1))
    n, theta, p = 200, 0.1, 0.975
    r = stats.binom.ppf(p, n, theta)
    fr, fr1 = stats.binom.cdf(r, n, theta), stats.binom.cdf(r - 1, n, theta)
    expected = (r - (fr - p) / (fr - fr1)) / n
    lo, hi = F.limits(np.array([200.0]), data_type="PR", target=theta, adjustment="none")
    assert hi[0] == pytest.approx(expected, abs=1e-12)
    assert lo[0] < theta < hi[0]


def test_winsorise_uses_r_type7_quantiles():
    z = np.arange(1.0, 11.0)
    w = F.winsorise(z, 0.1)
    assert w.min() == pytest.approx(1.9) and w.max() == pytest.approx(9.1)


def test_bh_matches_p_adjust():
    # p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") == c(0.02, 0.04, 0.04, 0.02)
    q = F.bh_qvalues(np.array([0.01, 0.04, 0.03, 0.005]))
    assert np.allclose(q, [0.02, 0.04, 0.04, 0.02], atol=1e-12)


def test_no_overdispersion_means_no_adjustment():
    rng = np.random.default_rng(1)
    e = rng.uniform(50, 500, 200)
    o = rng.poisson(e)
    r = F.funnel(o, e, data_type="SR")
    assert r.tau2 == 0 and r.adjustment == "none"  # truncation makes phi < 1 under the null


def test_rank_intervals_contain_the_rank():
    y = np.linspace(0, 1, 20)
    rank, lo, hi = F.rank_intervals(y, np.full(20, 0.1), higher_is_better=True, sims=500)
    assert rank[-1] == 1 and rank[0] == 20
    assert (lo <= rank).all() and (rank <= hi).all()


@pytest.mark.parametrize(
    "o, d, kind, msg",
    [
        ([1, 2], [10, 0], "PR", "zero or missing denominator in rows 2"),
        ([1, -2], [10, 5], "PR", "negative count in rows 2"),
        ([11, 2], [10, 5], "PR", "exceeds denominator for a proportion in rows 1"),
        ([1, np.nan], [10, 5], "SR", "missing numerator in rows 2"),
    ],
)
def test_bad_input_names_the_rows(o, d, kind, msg):
    with pytest.raises(InputError, match=msg):
        F.funnel(o, d, data_type=kind)


def test_frame_errors_name_the_file_and_row():
    import pandas as pd

    from caremap.performance.funnel import FunnelConfig, funnel_frame

    df = pd.DataFrame({"u": ["a", "b", "c"], "x": [1, 2, 3], "n": [10, 0, 10]})
    cfg = FunnelConfig(unit="u", numerator="x", denominator="n")
    with pytest.raises(InputError, match=r"t\.csv, field 'denominator'.*rows 3"):
        funnel_frame(df, cfg, file="t.csv")
    df = pd.DataFrame({"u": ["a", "a"], "x": [1, 2], "n": [10, 10]})
    with pytest.raises(InputError, match="the same unit appears twice in rows 2, 3"):
        funnel_frame(df, cfg, file="t.csv")


def test_rates_use_expected_counts_at_the_pooled_rate():
    r = F.funnel([10, 30, 20], [1000, 2000, 1500], data_type="rate", adjustment="none")
    assert r.target == pytest.approx(60 / 4500)
    _, hi = F.limits(np.array([1000 * r.target]), data_type="SR", target=1, adjustment="none")
    assert r.upper95[0] == pytest.approx(hi[0] * r.target, rel=1e-12)

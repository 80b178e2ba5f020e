"""PHE funnel limits and significance against PHEindicatormethods' testFunnels.R files.

The sheets give 7 to 10 significant figures; each column is checked as PHE's test checks
it (R's all.equal: mean relative difference under 1.5e-8), and each value to within half a
unit of the last digit the sheet prints.
Significance labels must agree exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from caremap.core.errors import InputError
from caremap.core.stats.phe_funnel import funnel_limits, funnel_significance, poisson_funnel

pytestmark = pytest.mark.spec


@pytest.fixture
def phe(shared_data):
    d = shared_data / "phe-tests"
    if not d.is_dir():
        pytest.skip("phe-tests not in shared data")

    def read(name: str, raw: bool = False) -> pd.DataFrame:
        f = d / f"testdata_funnel_{name}.csv"
        return pd.read_csv(f, encoding="utf-8-sig", dtype=str if raw else None)

    return read


def _places(text: str) -> int:
    mantissa, _, exp = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return decimals - int(exp or 0)


def _same(ours: pd.Series, theirs: pd.Series) -> None:
    a, b = ours.to_numpy(float), theirs.to_numpy(float)
    assert len(a) == len(b)
    assert np.mean(np.abs(a - b)) / np.mean(np.abs(b)) < 1.5e-8
    half_unit = np.array([0.5 * 10.0 ** -_places(str(t)) for t in theirs])
    assert (np.abs(a - b) <= half_unit * (1 + 1e-9) + 1e-12).all()


def test_proportion_limits_and_significance(phe):
    i, o = phe("prop_inputs"), phe("prop_outputs", raw=True)
    t = funnel_limits(i.numerator, i.denominator, statistic="proportion", multiplier=100)
    for k in range(6):
        _same(t.iloc[:, k], o.iloc[:, k])
    sub = i[i.denominator < 31000]  # the axis then starts above zero
    t = funnel_limits(sub.numerator, sub.denominator, statistic="proportion", multiplier=100)
    o2 = phe("prop_outputs_with_axis_variation", raw=True)
    for k in range(6):
        _same(t.iloc[:, k], o2.iloc[:, k])
    sig = funnel_significance(i.numerator, i.denominator, statistic="proportion")
    assert sig.tolist() == i.significance.tolist()


@pytest.mark.parametrize("ratio_type", ["count", "isr"])
def test_ratio_limits_and_significance(phe, ratio_type):
    i, o = phe("ratio_inputs"), phe("ratio_outputs", raw=True)
    o.columns = ["Observed_events", *o.columns[1:]]
    t = funnel_limits(i.obs, i.expected, statistic="ratio", multiplier=100, ratio_type=ratio_type)
    for c in t.columns:
        _same(t[c], o[c.replace("limit", ratio_type)])
    sig = funnel_significance(i.obs, i.expected, statistic="ratio")
    assert sig.tolist() == i.significance.tolist()


def test_rate_limits(phe):
    fi = phe("rate_input_funnels")
    t = funnel_limits(fi.ev, rate=fi.rate, statistic="rate", multiplier=1e5, rate_type="dsr",
                      years_of_data=3)  # fmt: skip
    o = phe("rate_outputs", raw=True)
    for c in t.columns:
        _same(t[c], o[c])
    # testFunnels.R: the largest count set to 5, crude rates.
    ev = fi.ev.where(fi.ev != fi.ev.max(), 5)
    t = funnel_limits(ev, rate=fi.rate, statistic="rate", multiplier=1e5, rate_type="crude",
                      years_of_data=3)  # fmt: skip
    o = phe("rate_outputs_2", raw=True)
    for c in t.columns:
        _same(t[c], o[c])
    # ... and with 0 events where a denominator is given, keeping the larger populations.
    pop = 1e5 * fi.ev / fi.rate
    top = fi.ev == fi.ev.max()
    keep = pop > pop.max() / 2
    t = funnel_limits(
        fi.ev.where(~top, 0)[keep], pop[keep], fi.rate.where(~top, 0)[keep], statistic="rate",
        multiplier=1e5, rate_type="crude", years_of_data=3,
    )  # fmt: skip
    o = phe("rate_outputs_3", raw=True)
    for c in t.columns:
        _same(t[c], o[c])


@pytest.mark.parametrize(
    "column, rate, rate_type, multiplier, drop_zero",
    [
        ("dsr_per_100000_with_0", "rate_dsr", "dsr", 1e5, False),
        ("dsr_per_100_with_0", "rate_dsr", "dsr", 100, False),
        ("dsr_per_100000_without_0", "rate_dsr", "dsr", 1e5, True),
        ("dsr_per_100_without_0", "rate_dsr", "dsr", 100, True),
        ("crude_per_100000_with_0", "rate_crude_per_100000", "crude", 1e5, False),
        ("crude_per_100_with_0", "rate_crude_per_100", "crude", 100, False),
        ("crude_per_100000_without_0", "rate_crude_per_100000", "crude", 1e5, True),
        ("crude_per_100_without_0", "rate_crude_per_100", "crude", 100, True),
    ],
)
def test_rate_significance(phe, column, rate, rate_type, multiplier, drop_zero):
    d = phe("rate_dsr_inputs")
    if drop_zero:
        d = d[d["count"] != 0]
    sig = funnel_significance(d["count"], d["pop"], d[rate], statistic="rate",
                              rate_type=rate_type, multiplier=multiplier)  # fmt: skip
    assert sig.tolist() == d[column].tolist()


def test_poisson_funnel_brackets_exact_limits_and_bad_input():
    from scipy import stats

    e = poisson_funnel([20.0], 0.025, "high")[0]
    assert stats.poisson.cdf(20, e) == pytest.approx(0.025, abs=1e-6)
    with pytest.raises(InputError, match="0 events need a denominator"):
        funnel_limits([0, 5], rate=[0.0, 10.0], statistic="rate", multiplier=1e5,
                      rate_type="crude")  # fmt: skip
    with pytest.raises(InputError, match="denominators must be given and above zero"):
        funnel_limits([1, 2], [0, 3], statistic="proportion", multiplier=100)

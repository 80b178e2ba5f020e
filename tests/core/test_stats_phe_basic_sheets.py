"""Byar's, Wilson, proportions and crude rates against PHEindicatormethods' test sheets.

testByars.R / testWilson.R (testdata_Byars_Wilson), testProportions.R (testdata_Proportion)
and testRates.R (testdata_Rate): rows with a value; the rows with a missing numerator or
denominator give NA in R and an error naming the field here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from caremap.core.stats import byars, crude_rate, wilson

pytestmark = pytest.mark.spec


@pytest.fixture
def phe(shared_data):
    d = shared_data / "phe-tests"
    if not d.is_dir():
        pytest.skip("phe-tests not in shared data")
    return lambda name: pd.read_csv(d / f"{name}.csv")


def _conf(text: str) -> float:
    return float(text.rstrip("%")) / 100


def test_byars_and_wilson_sheet(phe):
    t = phe("testdata_Byars_Wilson__testdata_B_W")
    for r in t.itertuples():
        conf = _conf(r.confidence)
        if r.method == "Byars":
            lo, hi = byars(r.x, conf)
            assert hi == pytest.approx(r.uppercl, rel=1e-12)
            if np.isnan(r.lowercl):
                # PHE returns NA where Byar's lower limit is negative; the count's limit is 0.
                assert lo == 0.0
            else:
                assert lo == pytest.approx(r.lowercl, rel=1e-12)
        else:
            lo, hi = wilson(r.x, r.n, conf)
            assert lo == pytest.approx(r.lowercl, rel=1e-12)
            assert hi == pytest.approx(r.uppercl, rel=1e-12)


@pytest.mark.parametrize("sheet", ["testdata_Proportion__testdata_Prop",
                                   "testdata_Proportion__testdata_Prop_g"])  # fmt: skip
def test_proportion_sheets(phe, sheet):
    t = phe(sheet).dropna(subset=["Numerator", "Denominator"])
    levels = ([(0.95, "lower95_0cl", "upper95_0cl"), (0.998, "lower99_8cl", "upper99_8cl")]
              if "lower95_0cl" in t else [(0.95, "lowercl", "uppercl")])  # fmt: skip
    x, n, m = t.Numerator.to_numpy(), t.Denominator.to_numpy(), t.multiplier.to_numpy()
    assert x / n * m == pytest.approx(t.value.to_numpy(), rel=1e-12)
    for conf, lo_col, hi_col in levels:
        lo, hi = wilson(x, n, conf)
        assert lo * m == pytest.approx(t[lo_col].to_numpy(), rel=1e-12)
        assert hi * m == pytest.approx(t[hi_col].to_numpy(), rel=1e-12)


@pytest.mark.parametrize(
    "sheet", ["testdata_Rate__testdata_Rate", "testdata_Rate__testdata_Rate_g"]
)
def test_rate_sheets(phe, sheet):
    t = phe(sheet).dropna(subset=["Numerator", "Denominator"])
    levels = ([(0.95, "lower95_0cl", "upper95_0cl"), (0.998, "lower99_8cl", "upper99_8cl")]
              if "lower95_0cl" in t else [(0.95, "lowercl", "uppercl")])  # fmt: skip
    for r in t.itertuples():
        for conf, lo_col, hi_col in levels:
            v, lo, hi = crude_rate(r.Numerator, r.Denominator, conf, r.multiplier)
            assert v == pytest.approx(r.value, rel=1e-12)
            assert lo == pytest.approx(getattr(r, lo_col), rel=1e-12)
            assert hi == pytest.approx(getattr(r, hi_col), rel=1e-12)
        assert (r.method == "Exact") == (r.Numerator < 10)

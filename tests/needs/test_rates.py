"""`caremap rates` on CSV tables: PHE statistics and clear errors for bad rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from caremap.core.errors import InputError
from caremap.core.stats import byars, crude_rate, dobson_dsr, isr, wilson
from caremap.core.stats.standard_population import ESP2013
from caremap.needs.rates import RatesConfig, compute_rates, rates_file

pytestmark = pytest.mark.spec

BANDS = ["0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49"]
BANDS += ["50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+"]
POP = [84935, 80367, 72122, 79259, 99806, 87362, 81579, 71103, 70001, 69007]
POP += [63203, 52638, 46087, 40887, 32604, 28399, 21625, 13021, 7355]
OBS = [27, 45, 55, 100, 125, 300, 295, 270, 275, 450, 455, 459, 345, 300, 270, 265, 100, 90, 35]


def _table() -> pd.DataFrame:
    a = pd.DataFrame({"area": "A", "band": BANDS, "events": OBS, "pop": POP})
    b = pd.DataFrame({"area": "B", "band": BANDS, "events": [0] * 18 + [7], "pop": POP})
    return pd.concat([a, b], ignore_index=True).astype(str)


def cfg(**kw) -> RatesConfig:
    return RatesConfig(area="area", count="events", population="pop", **kw)


def test_dsr_matches_core_and_is_suppressed_below_ten():
    out = compute_rates(_table(), cfg(age_band="band", method="dsr", confidence=[0.95, 0.998]))
    ref = dobson_dsr(OBS, POP, ESP2013)
    a = out.set_index("area").loc["A"]
    assert a.value == pytest.approx(ref.value, abs=1e-9)
    assert a.lower95cl == pytest.approx(ref.lower, abs=1e-9)
    assert a.upper99_8cl == pytest.approx(dobson_dsr(OBS, POP, ESP2013, 0.998).upper, abs=1e-9)
    b = out.set_index("area").loc["B"]
    assert np.isnan(b.value) and "fewer than 10" in b.note


def test_crude_proportion_and_isr():
    t = _table()
    crude = compute_rates(t, cfg()).set_index("area")
    r = crude_rate(sum(OBS), sum(POP))
    assert crude.loc["A", "value"] == pytest.approx(r.value, abs=1e-9)
    assert crude.loc["B", "lower95cl"] == pytest.approx(
        byars(7, exact_below=10)[0] / sum(POP) * 1e5
    )
    prop = compute_rates(t, cfg(method="proportion")).set_index("area")
    lo, _hi = wilson(sum(OBS), sum(POP))
    assert prop.loc["A", "lower95cl"] == pytest.approx(lo * 100, abs=1e-12)
    ratios = compute_rates(t, cfg(age_band="band", method="isratio")).set_index("area")
    x = np.array([OBS, [0] * 18 + [7]], float)
    n = np.array([POP, POP], float)
    expected = (n * (x.sum(0) / n.sum(0))).sum(1)
    ref = isr(x.sum(1), expected, reference=100)
    assert ratios["value"].to_numpy() == pytest.approx(ref.value, abs=1e-9)
    assert ratios["lower95cl"].to_numpy() == pytest.approx(ref.lower, abs=1e-9)


def test_single_years_of_age_and_split_infant_bands_are_accepted():
    rows = pd.DataFrame(
        {"area": "A", "band": ["0", "1-4", "7", "12"], "events": [1, 2, 3, 4], "pop": [10] * 4}
    ).astype(str)
    out = compute_rates(rows, cfg(age_band="band", method="dsr"))
    # 0 and 1-4 fold into 0-4; 7 -> 5-9; 12 -> 10-14; standardised over those three bands.
    w = np.array([5000, 5500, 5500]) / 16000
    assert out.value[0] == pytest.approx(np.sum(w * np.array([3 / 20, 3 / 10, 4 / 10])) * 1e5)


@pytest.mark.parametrize(
    "column, value, match",
    [
        ("events", "-3", r"row 4, field 'events': -3 is negative"),
        ("events", "lots", r"row 4, field 'events': 'lots' is not a number"),
        ("pop", "", r"row 4, field 'pop': value is missing"),
        ("band", "45-50", r"row 4, field 'age_band': unknown age band '45-50'"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, column, value, match):
    t = _table()
    t.loc[2, column] = value
    f = tmp_path / "bad.csv"
    t.to_csv(f, index=False)
    with pytest.raises(InputError, match=match) as e:
        rates_file(f, cfg(age_band="band", method="dsr"))
    assert str(f) in str(e.value)


def test_other_input_errors(tmp_path):
    t = _table()
    with pytest.raises(InputError, match="no column 'people'"):
        compute_rates(t, RatesConfig(area="area", count="events", population="people"))
    with pytest.raises(InputError, match="needs --age-band"):
        compute_rates(t, cfg(method="dsr"))
    over = t.copy()
    over.loc[0, "events"] = "999999"
    with pytest.raises(InputError, match=r"row 2.*exceeds"):
        compute_rates(over, cfg(method="proportion"))
    zero = t.copy()
    zero.loc[0, "pop"] = "0"
    with pytest.raises(InputError, match="no population"):
        compute_rates(zero, cfg(age_band="band", method="dsr"))
    with pytest.raises(InputError, match="not found"):
        rates_file(tmp_path / "missing.csv", cfg())

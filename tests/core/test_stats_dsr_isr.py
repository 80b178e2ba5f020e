"""DSRs and ISRs against PHEindicatormethods' published test sheets (testdata_DSR_ISR.xlsx).

Which rows and arguments give which results is taken from the package's tests
(testDSRs.R, testISRates.R, testISRatios.R) and data-raw/LoadTestdata.R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from caremap.core.errors import InputError
from caremap.core.stats.dsr import (
    ESP1976_STANDARD,
    ESP2013_STANDARD,
    StandardPopulation,
    band_key,
    dsr_nonindependent,
)
from caremap.core.stats.indirect import indirect
from caremap.needs.rates import RatesConfig, compute_rates

pytestmark = pytest.mark.spec

CI = ["value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]
OURS = ["value", "lower95cl", "upper95cl", "lower99_8cl", "upper99_8cl"]


@pytest.fixture
def phe(shared_data):
    d = shared_data / "phe-tests"
    if not d.is_dir():
        pytest.skip("phe-tests not in shared data")
    return lambda name, **kw: pd.read_csv(d / f"testdata_DSR_ISR__{name}.csv", **kw)


def _multiarea(phe, name="testdata_multiarea"):
    t = phe(name, dtype=str, keep_default_na=False)
    # README: the missing count of testdata_tiny 10-14 is zero events (and it has no
    # reference count in the ISR sheet; its population is that of the DSR sheet).
    t = t.replace("", np.nan)
    t["count"] = t["count"].fillna("0")
    if "refcount" in t:
        t["refcount"] = t["refcount"].fillna("0")
        t["pop"] = t["pop"].fillna("609")
    return t


def _check(ours: pd.DataFrame, expected: pd.DataFrame, cols=5, tol=1e-9, abs_tol=None):
    for o, e in zip(OURS[:cols], CI[:cols], strict=True):
        a, b = ours[o].to_numpy(float), expected[e].to_numpy(float)
        assert np.isnan(a).tolist() == np.isnan(b).tolist(), o
        ok = ~np.isnan(b)
        if abs_tol is not None:  # a sheet given to a fixed number of decimal places
            assert np.abs(a[ok] - b[ok]).max() <= abs_tol, o
        else:
            assert a[ok] == pytest.approx(b[ok], rel=tol, abs=tol), o


BASE = dict(area="area", count="count", population="pop", age_band="ageband")


@pytest.mark.parametrize("mult, rows", [(100_000, slice(4, 7)), (10_000, slice(0, 3))])
def test_dsr_esp2013_multiarea(phe, mult, rows):
    exp = phe("testresults_DSR").iloc[rows]
    cfg = RatesConfig(**BASE, method="dsr", match="order", multiplier=mult, confidence=[95, 99.8])
    out = compute_rates(_multiarea(phe), cfg)
    assert out["numerator"].tolist() == exp["total_count"].tolist()
    _check(out, exp)
    assert out["note"].iloc[2] == "dsr suppressed: fewer than 10 events"


def test_dsr_user_standard_esp1976(phe):
    # testDSRs.R checks columns 2:6 of row 8 only (its 99.8% limits are mis-scaled).
    exp = phe("testresults_DSR").iloc[[7]]
    t = phe("testdata_1976", dtype=str).assign(area="testdata_1976")
    cfg = dict(area="area", count="count", population="pop", age_band="Age Band", method="dsr")
    by_column = compute_rates(t, RatesConfig(**cfg, standard="esp1976"))
    by_order = compute_rates(t, RatesConfig(**cfg, esp="1976", match="order"))
    for out in (by_column, by_order):
        _check(out, exp, cols=3)
    # Matching by label refuses the sheet's typo '55-69' and names area, band and field.
    with pytest.raises(InputError, match=r"'age_band'.*area 'testdata_1976'.*'55-69'"):
        compute_rates(t, RatesConfig(**cfg, esp="1976"))


def test_dsr_standard_file_by_label(phe, tmp_path):
    exp = phe("testresults_DSR").iloc[[7]]
    t = phe("testdata_1976", dtype=str).assign(area="a")
    t["Age Band"] = list(ESP1976_STANDARD.labels)  # the typo corrected: matched by label
    t = t.iloc[::-1]  # rows in any order
    f = tmp_path / "std.csv"
    pd.DataFrame({"band": ESP1976_STANDARD.labels, "pop": ESP1976_STANDARD.populations}).to_csv(
        f, index=False
    )
    cfg = RatesConfig(
        area="area", count="count", population="pop", age_band="Age Band", method="dsr",
        standard_file=str(f),
    )  # fmt: skip
    _check(compute_rates(t, cfg), exp, cols=3)


def test_dsr_nonindependent_events(phe):
    exp = phe("testresults_DSR").iloc[8:12].set_index("area")
    d = phe("testdata_nonindepe")
    for area, g in d.groupby("area"):
        g = g.sort_values("ageband")
        # LoadTestdata.R drops frequency 4 for all but testdata_nonind_big.
        freqs = [1, 2, 3, 4] if area == "testdata_nonind_big" else [1, 2, 3]
        persons = np.array([g[f"f{f}"].to_numpy(float) for f in freqs])
        n = g["pop"].to_numpy(float)
        levels = ((0.95, "lower95_0cl", "upper95_0cl"), (0.998, "lower99_8cl", "upper99_8cl"))
        for conf, lo, hi in levels:
            r = dsr_nonindependent(persons, freqs, n, ESP2013_STANDARD.weights, conf)
            e = exp.loc[area]
            if np.isnan(e["value"]):
                assert np.isnan(r.value) and np.isnan(r.lower)
                continue
            # The sheet gives these rows to 8 decimal places.
            assert r.value == pytest.approx(e["value"], abs=5e-9)
            assert r.lower == pytest.approx(e[lo], abs=5e-9)
            assert r.upper == pytest.approx(e[hi], abs=5e-9)


def test_isr_against_reference_columns_and_file(phe, tmp_path):
    exp = phe("testresults_ISR")
    t = _multiarea(phe, "testdata_multiarea_isr")
    c = dict(**BASE, confidence=[0.95, 0.998])
    cols = dict(ref_count="refcount", ref_population="refpop")
    rate = compute_rates(t, RatesConfig(**c, method="isr", **cols))
    _check(rate, exp.iloc[0:3])
    assert rate["expected"].to_numpy() == pytest.approx(exp["expected"].iloc[0:3], rel=1e-12)
    assert rate["ref_rate"].to_numpy() == pytest.approx(exp["ref_rate"].iloc[0:3], rel=1e-12)
    per_1000 = compute_rates(t, RatesConfig(**c, method="isr", multiplier=1000, **cols))
    _check(per_1000, exp.iloc[3:6])
    ref = tmp_path / "ref.csv"
    phe("refdata").to_csv(ref, index=False)
    for mult, rows in ((1, slice(6, 9)), (100, slice(9, 12))):
        ratio = compute_rates(
            t,
            RatesConfig(**c, method="isratio", multiplier=mult, reference_file=str(ref),
                        match="order", **cols),
        )  # fmt: skip
        _check(ratio, exp.iloc[rows])


def test_isr_zero_population_band(phe, tmp_path):
    # testdata_err2: Area1 has 25 events on a zero population in one band (allowed for ISRs).
    exp = phe("testresults_ISR").iloc[12:16]
    t = phe("testdata_err2", dtype=str)
    t["band"] = [str(i) for i in range(19)] * 2
    ref = tmp_path / "ref.csv"
    phe("refdata").to_csv(ref, index=False)
    c = dict(area="area", count="count", population="pop", age_band="band", match="order",
             reference_file=str(ref), ref_count="refcount", ref_population="refpop")  # fmt: skip
    _check(compute_rates(t, RatesConfig(**c, method="isr")), exp.iloc[0:2], cols=3)
    _check(compute_rates(t, RatesConfig(**c, method="isratio")), exp.iloc[2:4], cols=3)


def test_indirect_core_matches_sheet(phe):
    exp = phe("testresults_ISR").iloc[6:9]
    t = _multiarea(phe, "testdata_multiarea_isr")
    n = t["pop"].astype(float).to_numpy().reshape(3, 19)
    ref = phe("refdata")
    o = t["count"].astype(float).to_numpy().reshape(3, 19).sum(1)
    r = indirect(o, n, ref["refcount"], ref["refpop"], conf=0.95)
    assert r.interval.value == pytest.approx(exp["value"].to_numpy(), rel=1e-12)
    assert r.interval.lower == pytest.approx(exp["lower95_0cl"].to_numpy(), rel=1e-12)


def test_bad_bands_name_area_band_and_field(phe, tmp_path):
    t = _multiarea(phe, "testdata_multiarea_isr")
    c = dict(**BASE, ref_count="refcount", ref_population="refpop")
    short = t.drop(index=5)
    with pytest.raises(InputError, match=r"area 'testdata_big' has no row for reference age band"):
        compute_rates(short, RatesConfig(**c, method="isr"))
    with pytest.raises(InputError, match=r"area 'testdata_big': 18 age bands but .* 19"):
        compute_rates(short, RatesConfig(**BASE, method="dsr", match="order"))
    bad = t.copy()
    bad.loc[3, "refpop"] = "0"
    with pytest.raises(InputError, match=r"row 5, field 'refpop'"):
        compute_rates(bad, RatesConfig(**c, method="isr"))
    neg = t.copy()
    neg.loc[3, "count"] = "-1"
    with pytest.raises(InputError, match=r"row 5, field 'count': -1 is negative"):
        compute_rates(neg, RatesConfig(**c, method="isr"))
    odd = t.copy()
    odd.loc[25, "refpop"] = "1"
    with pytest.raises(InputError, match=r"'refpop': age band '30-34' has different values"):
        compute_rates(odd, RatesConfig(**c, method="isr"))
    zero = _multiarea(phe)
    zero.loc[4, "pop"] = "0"
    with pytest.raises(
        InputError, match=r"'pop': events but no population for area 'testdata_big', age band 20-24"
    ):
        compute_rates(zero, RatesConfig(**BASE, method="dsr", match="order"))
    zero.loc[2, ["count", "pop"]] = ["0", "0"]
    zero.loc[4, "pop"] = "384"
    with pytest.raises(
        InputError, match=r"'pop': no population for area 'testdata_big', age band 10-14"
    ):
        compute_rates(zero, RatesConfig(**BASE, method="dsr", match="order"))
    with pytest.raises(InputError, match="needs --age-band"):
        compute_rates(t, RatesConfig(area="area", count="count", population="pop", method="isr"))
    with pytest.raises(InputError, match=r"band '10-14': the population must be greater"):
        indirect([5], [[1, 2]], [1, 1], [3, 0], bands=["5-9", "10-14"])


def test_standard_population_checks():
    assert sum(ESP1976_STANDARD.populations) == 100_000 and len(ESP1976_STANDARD.labels) == 18
    assert band_key("00-04") == "0-4" and band_key("10 – 14") == "10-14"
    assert band_key("90 +") == "90+" and band_key("85 and over") == "85+"
    with pytest.raises(InputError, match="repeats band"):
        StandardPopulation("s", ("0-4", "00-04"), (1.0, 2.0))
    with pytest.raises(InputError, match="band '5-9'"):
        StandardPopulation("s", ("0-4", "5-9"), (1.0, -2.0))
    with pytest.raises(InputError, match="appears twice"):
        ESP2013_STANDARD.align(["0-4", "0-4"], area="A")


def test_rates_nonindependent_events_from_a_long_table(phe):
    # LoadTestdata.R: pivot f1..f4 longer into (frequency, persons), drop f4 for all but
    # testdata_nonind_big; the DSR is by order of the sorted age bands (they include '55-69').
    exp = phe("testresults_DSR").iloc[8:12].reset_index(drop=True)
    d = phe("testdata_nonindepe").drop(columns="count").sort_values(["area", "ageband"])
    long = d.melt(id_vars=["area", "ageband", "pop"], var_name="freq", value_name="persons")
    long["freq"] = long["freq"].str[1:].astype(int)
    long = long[(long["freq"] < 4) | (long["area"] == "testdata_nonind_big")]
    long = long.sort_values(["area", "freq", "ageband"]).fillna({"persons": 0})
    cfg = RatesConfig(area="area", count="persons", population="pop", age_band="ageband",
                      method="dsr", match="order", frequency="freq",
                      confidence=[0.95, 0.998])  # fmt: skip
    out = compute_rates(long.astype(str), cfg)
    assert out["numerator"].tolist() == exp["total_count"].tolist()
    assert out["denominator"].tolist() == exp["total_pop"].tolist()
    _check(out, exp, abs_tol=5e-9)  # the sheet's 8 decimal places
    bad = long.astype(str).copy()
    bad.iloc[0, bad.columns.get_loc("pop")] = "1"
    with pytest.raises(InputError, match=r"'pop': area 'testdata_nonind_big', age band '0-4'"):
        compute_rates(bad, cfg)

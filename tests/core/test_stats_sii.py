"""SII and RII against PHEindicatormethods' testdata_SII sheet and testSII.R.

Each case is a block of the sheet (rows as numbered in the R test, one or two areas of
quantiles) with the arguments testSII.R passes. The SII and RII themselves are
deterministic and match the sheet to 1e-9; the limits come from simulation and are checked
as PHE checks them: a mean relative difference within 5% (R's ``all.equal`` tolerance 0.05),
with 10,000 repetitions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from caremap.core.errors import InputError
from caremap.core.stats.sii import sii

pytestmark = pytest.mark.spec

# (first row, last row, value_type, transform, multiplier, confidence, input)
CASES = [
    (1, 20, 0, False, 1, (95,), "se"),
    (1, 20, 0, False, 1, (95,), "cl"),
    (21, 40, 0, False, 1, (0.99,), "cl"),
    (21, 40, 0, False, 1, (99,), "se"),
    (226, 245, 0, False, 1, (95, 99), "se"),
    (41, 60, 0, False, 1, (95,), "se"),
    (71, 90, 1, False, 1, (95,), "se"),
    (71, 90, 1, False, 1, (95,), "cl"),
    (306, 325, 1, True, 1, (95,), "cl"),
    (386, 405, 1, True, -1, (95,), "cl"),
    (406, 425, 1, True, 1, (98,), "cl"),
    (366, 385, 1, True, 1, (95, 98), "cl"),
    (426, 445, 1, True, 1, (95,), "cl"),
    (91, 110, 2, False, 1, (95,), "se"),
    (91, 110, 2, False, 1, (95,), "cl"),
    (91, 110, 2, False, 1, (95,), "x"),
    (111, 130, 2, False, 100, (95,), "cl"),
    (131, 150, 2, False, -100, (95,), "cl"),
    (326, 345, 2, True, 1, (95,), "cl"),
    (346, 365, 2, True, -1, (95,), "cl"),
    (466, 485, 2, True, 1, (98,), "cl"),
    (486, 505, 2, True, 1, (95, 98), "cl"),
    (446, 465, 2, True, 1, (95,), "cl"),
]


@pytest.fixture
def sheet(shared_data):
    f = shared_data / "phe-tests" / "testdata_SII__testdata_SII.csv"
    if not f.is_file():
        pytest.skip("phe-tests not in shared data")
    return pd.read_csv(f)


def _mean_rel_diff(target: list[float], current: list[float]) -> float:
    t, c = np.asarray(target), np.asarray(current)
    return float(np.mean(np.abs(t - c)) / np.mean(np.abs(t)))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"rows{c[0]}-{c[1]}-vt{c[2]}-{c[6]}")
def test_sii_matches_phe_sheet(sheet, case):
    first, last, vt, transform, mult, conf, how = case
    block = sheet.iloc[first - 1 : last]
    expect, got = [], []
    for area, g in block.groupby("Area", sort=False):
        kw = dict(value_type=vt, transform=transform, multiplier=mult, confidence=conf,
                  repetitions=10_000, seed=5, area=area)  # fmt: skip
        if how == "se":
            kw.update(value=g["Value"], se=g["StandardError"])
        elif how == "cl":
            kw.update(value=g["Value"], lower=g["LowerCL"], upper=g["UpperCL"])
        else:
            kw.update(x=g["Count"], lower=g["LowerCL"], upper=g["UpperCL"])
        r = sii(g["Quantile"], g["Population"], **kw)
        e = g.iloc[0]
        assert r.sii == pytest.approx(e["sii"], rel=1e-9)
        if not np.isnan(e["Intercept"]):
            assert r.intercept == pytest.approx(e["Intercept"], rel=1e-9)
        has_rii = not np.isnan(e["rii"])  # the "without RII" cases have none
        if has_rii:
            assert r.rii == pytest.approx(e["rii"], rel=1e-9)
        for i, c in enumerate(conf, start=1):
            c = c / 100 if c > 1 else c
            expect += [e[f"sii_lowercl_{i}"], e[f"sii_uppercl_{i}"]]
            got += list(r.sii_limits[c])
            if has_rii:
                expect += [e[f"rii_lowercl_{i}"], e[f"rii_uppercl_{i}"]]
                got += list(r.rii_limits[c])
    assert _mean_rel_diff(expect, got) < 0.05


def test_sii_is_reproducible_and_refuses_bad_input(sheet):
    g = sheet.iloc[0:10]
    args = (g["Quantile"], g["Population"], g["Value"])
    a = sii(*args, se=g["StandardError"], repetitions=2000, seed=1)
    b = sii(*args, se=g["StandardError"], repetitions=2000, seed=1)
    assert a == b
    pops = g["Population"].to_numpy().copy()
    pops[3] = 0
    with pytest.raises(InputError, match=r"'population': area 'A', quantile 4: population"):
        sii(g["Quantile"], pops, g["Value"], se=g["StandardError"], area="A")
    with pytest.raises(InputError, match="5 to 100 quantiles"):
        sii(g["Quantile"][:4], g["Population"][:4], g["Value"][:4], se=g["StandardError"][:4])
    se = g["StandardError"].to_numpy().copy()
    se[2] = np.nan
    with pytest.raises(InputError, match="quantile 3: se must be present"):
        sii(*args, se=se)

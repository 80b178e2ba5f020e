"""Life expectancy and SII in the needs step: the core methods on the step's aggregates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from caremap.core.stats.life_expectancy import LE_AGE_FROM, life_expectancy
from caremap.core.stats.sii import sii
from caremap.needs import NeedsConfig, run_needs
from caremap.needs.mortality import life_expectancy_indicators, sii_indicators

pytestmark = pytest.mark.integration

# PHEindicatormethods testLifeExpectancy.R df1 (life expectancy at birth 80.16960813).
POPS = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601, 50209, 56416]
POPS += [46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936]
DEATHS = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872, 1390, 1605]
DEATHS += [1936, 1937]


def test_life_expectancy_pools_three_periods_as_fingertips():
    # The deaths of three years (a third in each, the rest in 2021, which is left out) over
    # the populations of those years (a third each) give PHE's one-period answer.
    rows_d, rows_p = [], []
    for year in (2021, 2022, 2023, 2024):
        for age, d, p in zip(LE_AGE_FROM, DEATHS, POPS, strict=True):
            share = 0 if year == 2021 else (d // 3 + (d % 3 if year == 2024 else 0))
            rows_d.append(("locality", "L1", None, year, age, share))
            rows_p.append(("locality", "L1", None, year, age, p / 3))
    deaths = pd.DataFrame(rows_d, columns=["area_type", "area_code", "decile", "period",
                                           "age_from", "deaths"])  # fmt: skip
    pop = pd.DataFrame(rows_p, columns=["area_type", "area_code", "decile", "year",
                                        "age_from", "population"])  # fmt: skip
    le, dec = life_expectancy_indicators(deaths, pop, [0.95, 0.998], "financial")
    birth = le[(le.indicator == "life_expectancy_birth") & (le.confidence == 0.95)].iloc[0]
    assert birth.value == pytest.approx(80.16960813, abs=5e-9)
    assert birth.period == "2022/23 to 2024/25" and birth.numerator == sum(DEATHS)
    at65 = le[(le.indicator == "life_expectancy_65") & (le.confidence == 0.998)].iloc[0]
    ref = life_expectancy(DEATHS, POPS, confidence=(0.998,))
    assert at65.value == pytest.approx(ref.value[LE_AGE_FROM.index(65)], abs=1e-9)
    assert at65.upper == pytest.approx(ref.upper[0.998][LE_AGE_FROM.index(65)], abs=1e-9)
    assert dec.empty


def test_sii_rows_match_core_and_say_why_when_missing():
    g = pd.DataFrame({"decile": range(1, 11), "denominator": np.linspace(900, 1200, 10),
                      "value": np.linspace(76, 84, 10), "se": np.full(10, 0.8)})  # fmt: skip
    frame = pd.concat([
        g.assign(indicator="life_expectancy_birth", area_type="ics", area_code="A", period="p"),
        g.assign(indicator="life_expectancy_birth", area_type="ics", area_code="B", period="p",
                 value=np.r_[np.nan, g.value[1:]]),
        g.iloc[:4].assign(indicator="life_expectancy_birth", area_type="ics", area_code="C",
                          period="p"),
    ])  # fmt: skip
    out = sii_indicators(frame, [0.95], seed=3).set_index("area_code")
    ref = sii(g.decile, g.denominator, g.value, se=g.se, repetitions=10_000, seed=3)
    assert out.loc["A", "value"] == pytest.approx(ref.sii, rel=1e-12)
    assert out.loc["A", "lower"] == pytest.approx(ref.sii_limits[0.95][0], rel=1e-12)
    assert np.isnan(out.loc["B", "value"]) and "no value for decile 1" in out.loc["B", "note"]
    assert "4 deprivation deciles present" in out.loc["C", "note"]


def test_needs_step_on_the_synthetic_economy(economy_ws):
    run_needs(economy_ws, NeedsConfig())
    t = economy_ws.df(
        "SELECT * FROM needs_indicator WHERE indicator LIKE 'life%' OR indicator LIKE 'sii%'"
    )
    kinds = set(t.indicator)
    assert {"life_expectancy_birth", "life_expectancy_65"} <= kinds
    assert {"sii_life_expectancy_birth", "sii_dsr_emergency_admissions"} <= kinds
    loc = t[(t.area_type == "locality") & (t.indicator == "life_expectancy_birth")]
    assert len(loc) and loc["value"].between(40, 110).all()
    # No silent gaps: every missing value says why.
    assert t.loc[t["value"].isna(), "note"].notna().all()
    decile = economy_ws.df("SELECT * FROM needs_decile")
    assert set(decile.decile) <= set(range(1, 11)) and decile.area_type.ne("small_area").all()
    assert decile.loc[decile["value"].isna(), "note"].notna().all()
    # The working tables are gone.
    assert not economy_ws.has_table("needs_deaths")

"""Standardisation on the real ONS mid-2023 population and the published ESP 2013."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from caremap.core.stats.standard_population import ESP2013
from caremap.needs.rates import RatesConfig, rates_file

pytestmark = pytest.mark.spec

NATIONS = ["E92000001", "W92000004", "S92000003", "N92000002"]


def test_esp2013_constant_matches_the_published_file(shared_data):
    esp = pd.read_csv(shared_data / "nhs-open" / "esp2013.csv")
    assert esp["value"].tolist() == list(ESP2013)
    assert sum(ESP2013) == 100_000


def test_dsrs_remove_the_age_structure_of_the_uk_nations(shared_data, tmp_path):
    """Give every nation the same age-specific rates (rising with age, as mortality does).

    The nations' age structures differ (Northern Ireland is younger, Wales older), so their
    crude rates differ; their ESP 2013 DSRs must agree, and their ISRs against the four
    nations together must be 100, up to the rounding of events to whole numbers.
    """
    ons = pd.read_csv(shared_data / "nhs-open" / "ons_uk_population_2023.csv", dtype={"age": str})
    ons = ons[ons["Code"].isin(NATIONS)]
    ons = ons.groupby(["Code", "age"], as_index=False)["count"].sum()
    age = ons["age"].str.rstrip("+").astype(int)
    ons["events"] = np.round(ons["count"] * 0.0004 * np.exp(0.085 * age)).astype(int)
    f = tmp_path / "nations.csv"
    ons.to_csv(f, index=False)
    base = dict(area="Code", count="events", population="count", age_band="age")

    crude = rates_file(f, RatesConfig(**base, method="crude")).set_index("Code")
    dsr = rates_file(f, RatesConfig(**base, method="dsr")).set_index("Code")
    ratio = rates_file(f, RatesConfig(**base, method="isratio")).set_index("Code")

    assert len(dsr) == 4 and dsr["numerator"].sum() == ons["events"].sum()
    spread = lambda s: s.max() / s.min() - 1  # noqa: E731
    assert spread(crude["value"]) > 0.05  # age structures really differ
    assert spread(dsr["value"]) < 0.002  # ... and standardisation removes them
    assert np.allclose(ratio["value"], 100, atol=0.3)
    assert (dsr["lower95cl"] < dsr["value"]).all() and (dsr["value"] < dsr["upper95cl"]).all()
    # A DSR is a weighted mean of the age-specific rates: the true common rates give it.
    rates = 0.0004 * np.exp(0.085 * np.arange(91))
    band_rate = [rates[a : a + 5].mean() for a in range(0, 90, 5)] + [rates[90]]
    assert dsr["value"].mean() == pytest.approx(
        np.dot(band_rate, ESP2013) / 100_000 * 1e5, rel=0.03
    )

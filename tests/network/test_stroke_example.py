"""The worked example of docs/network.md on the real England stroke-unit data."""

from __future__ import annotations

import pytest

from caremap.network.locate import locate

pytestmark = pytest.mark.acceptance


def test_thrombectomy_units_mclp(shared_data):
    d = shared_data / "network" / "england_stroke_units"
    result, problem = locate(
        d / "admissions_2017-2019.csv",
        d / "stroke_units_regions.csv",
        d / "lsoa_travel_time_matrix_calibrated.csv.gz",
        "mclp",
        p=8,
        radius=30.0,
    )
    # 141 units listed, 16 of them without travel times: closed, not silently used
    assert len(problem.candidates()) == 125 and len(problem.sites_without_times) == 16
    assert problem.n > 34_000
    assert result.status == "optimal" and result.gap == 0.0
    assert len(result.open_sites) == 8
    # covering with 8 units is bounded by covering with all 125
    assert 0 < result.details["covered_share"] < 1

"""Needs assessment on the synthetic economy (5,000 people), through the workspace."""

from __future__ import annotations

import numpy as np
import pytest

from caremap.needs import NeedsConfig, run_needs

pytestmark = pytest.mark.integration


def test_needs_on_the_synthetic_economy(economy_ws):
    ws = economy_ws
    res = run_needs(ws, NeedsConfig(localities="build", target_population=2_000))
    assert res.locality_method.startswith("built")
    summary = ws.df("SELECT * FROM needs_locality_summary")
    assert summary.population.sum() == ws.scalar(
        "SELECT sum(population) FROM population WHERE year = (SELECT max(year) FROM population)"
    )
    t = ws.df("SELECT * FROM needs_indicator WHERE confidence = 0.95")
    assert {"emergency_admissions", "ae_attendances", "elective_demand"} <= set(t.indicator)
    assert any(i.startswith("prevalence_") for i in t.indicator)
    # Every emergency admission is either placed in an area or reported as unplaced.
    n_em = ws.scalar(
        "SELECT count(*) FROM activity WHERE setting = 'inpatient' "
        "AND admission_method = 'emergency'"
    )
    placed = t[
        (t.indicator == "emergency_admissions") & (t.area_type == "region") & (t.method == "count")
    ].numerator.sum()
    unplaced = ws.scalar(
        "SELECT coalesce(sum(events), 0) FROM needs_unresolved "
        "WHERE indicator = 'emergency_admissions'"
    )
    assert placed + int(unplaced) == n_em
    isr = t[(t.area_type == "region") & t.method.str.startswith("isr")]
    assert np.allclose(isr.value, 100)
    dsr = t[t.method.str.startswith("dsr")]
    assert (dsr[dsr.numerator < 10].value.isna()).all()

"""ISRs in the needs step against a supplied (e.g. England) reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from caremap.core.errors import InputError
from caremap.core.stats import isr
from caremap.core.stats.standard_population import ESP2013_LABELS
from caremap.needs import NeedsConfig, run_needs

pytestmark = pytest.mark.integration


def _reference(tmp_path, rates):
    f = tmp_path / "england.csv"
    pop = np.full(19, 1_000_000.0)
    pd.DataFrame({"band": ESP2013_LABELS, "count": rates * pop, "population": pop}).to_csv(
        f, index=False
    )
    return f


def test_isr_against_a_supplied_reference(tiny_ws, tmp_path):
    rates = np.linspace(0.01, 0.2, 19)
    cfg = NeedsConfig(target_population=5_000, indicators=["emergency_admissions"],
                      isr_reference=_reference(tmp_path, rates))  # fmt: skip
    run_needs(tiny_ws, cfg)
    got = tiny_ws.df(
        "SELECT area_code, numerator, denominator, value, lower FROM needs_indicator "
        "WHERE method LIKE 'isr%' AND area_type = 'region' AND confidence = 0.95"
    )
    pop = tiny_ws.df(
        "SELECT CASE WHEN age_from >= 90 THEN 90 ELSE CAST(floor(age_from / 5) * 5 AS INTEGER) "
        "END AS b, sum(population) AS n FROM population GROUP BY 1 ORDER BY 1"
    )
    expected = float((pop["n"].to_numpy(float) * rates).sum())
    assert got["denominator"].iloc[0] == pytest.approx(expected, rel=1e-12)
    ref = isr(got["numerator"].iloc[0], expected, reference=100)
    assert got["value"].iloc[0] == pytest.approx(ref.value, rel=1e-12)
    assert got["lower"].iloc[0] == pytest.approx(ref.lower, rel=1e-12)
    method = tiny_ws.scalar(
        "SELECT any_value(method) FROM needs_indicator WHERE method LIKE 'isr%'"
    )
    assert "supplied reference" in method


def test_a_bad_reference_stops_before_any_work(tiny_ws, tmp_path):
    f = _reference(tmp_path, np.full(19, 0.01))
    t = pd.read_csv(f).iloc[:-1]  # no 90+ band
    t.to_csv(f, index=False)
    with pytest.raises(InputError, match=r"age band 90\+: no reference population"):
        run_needs(tiny_ws, NeedsConfig(isr_reference=f))
    assert not tiny_ws.has_table("needs_indicator")
    assert not tiny_ws.has_table("needs_locality_map")

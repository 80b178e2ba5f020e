"""The needs step gives the same long table on DuckDB and on Spark."""

from __future__ import annotations

import numpy as np
import pytest

from caremap.core.workspace import open_workspace
from caremap.needs import NeedsConfig, run_needs

pytestmark = pytest.mark.engine

KEY = ["indicator", "area_type", "area_code", "period", "method", "confidence"]


def _run(ws, tables):
    for name, df in tables.items():
        ws.write_table(name, df)
    # One activity indicator, trauma and prevalence exercise every SQL path of the step.
    indicators = ["emergency_admissions", "trauma_incidence", "prevalence"]
    run_needs(ws, NeedsConfig(target_population=5_000, confidence=[0.95], indicators=indicators))
    t = ws.df("SELECT * FROM needs_indicator").sort_values(KEY).reset_index(drop=True)
    u = ws.df("SELECT * FROM needs_unresolved").sort_values(["indicator", "reason"])
    return t, u.reset_index(drop=True)


def test_needs_agrees_on_duckdb_and_spark(tmp_path, tiny_tables):
    with open_workspace(tmp_path / "d.duckdb") as d:
        td, ud = _run(d, tiny_tables)
    with open_workspace(tmp_path / "spark", engine="spark") as s:
        ts, us = _run(s, tiny_tables)
    assert len(td) == len(ts) > 0
    assert (td[KEY].astype(str).to_numpy() == ts[KEY].astype(str).to_numpy()).all()
    for col in ("numerator", "denominator", "value", "lower", "upper"):
        assert np.allclose(td[col], ts[col], equal_nan=True), col
    assert ud.events.tolist() == us.events.tolist()

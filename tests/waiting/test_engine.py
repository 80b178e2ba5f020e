"""The waiting-list summary (SQL on the engine) agrees on DuckDB and Spark."""

import datetime as dt

import pandas as pd
import pytest

from caremap.core.workspace import open_workspace
from caremap.synth.ext_waiting import waiting_pathways
from caremap.waiting.step import WaitingConfig, waiting_frames

from .test_step import _ctx

pytestmark = pytest.mark.engine


def test_summary_agrees(tmp_path):
    table = waiting_pathways(_ctx())["waiting_pathway"]
    cfg = WaitingConfig(forecast=False, census_date=dt.date(2024, 3, 31))
    got = {}
    for engine, path in (("duckdb", tmp_path / "w.duckdb"), ("spark", tmp_path / "spark")):
        with open_workspace(path, engine=engine) as ws:
            ws.write_table("waiting_pathway", table)
            got[engine] = (
                waiting_frames(ws, cfg)["waiting_summary"]
                .sort_values("list")
                .reset_index(drop=True)
            )
    cols = [
        "list",
        "demand",
        "capacity",
        "removals",
        "queue_size",
        "mean_wait",
        "over_target",
        "relief_capacity",
    ]
    pd.testing.assert_frame_equal(got["duckdb"][cols], got["spark"][cols], check_dtype=False)
    # Spark's percentile is approximate (sqlglot maps it to percentile_approx)
    # (it returns an observed value, not an interpolated one: within two weeks here)
    assert (abs(got["duckdb"]["p92_wait"] - got["spark"]["p92_wait"]) < 2.0).all()

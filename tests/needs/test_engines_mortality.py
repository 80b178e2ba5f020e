"""The deaths and deprivation SQL of the needs step agrees on DuckDB and Spark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from caremap.core.workspace import open_workspace
from caremap.needs import counts as sqlc

pytestmark = pytest.mark.engine

TABLES = ("small_area", "population", "postcode", "source_record", "activity")


def _tables(tiny_tables):
    t = {k: v.copy() for k, v in tiny_tables.items()}
    areas = t["small_area"]
    areas["imd_decile"] = (np.arange(len(areas)) % 10 + 1).astype("int32")
    rec = t["source_record"]
    dead = rec.index[::7]
    rec["date_of_death"] = pd.Series(pd.NaT, index=rec.index, dtype="datetime64[ns]")
    rec.loc[dead, "date_of_death"] = pd.Timestamp("2024-11-05")
    rec["date_of_death"] = rec["date_of_death"].dt.date
    return t


def _run(ws, tables):
    for name in TABLES:
        ws.write_table(name, tables[name])
    areas = tables["small_area"]
    ws.write_table(
        "needs_locality_map",
        areas[["area_code", "ics_code"]].assign(
            locality_code=[f"L{i % 3}" for i in range(len(areas))]
        ),
    )
    sqlc.build_counts(ws, ["emergency_admissions"], "financial")
    assert sqlc.build_mortality(ws, "financial")
    out = []
    for table, keys in (
        ("needs_deaths", "area_type, area_code, decile, period, age_from"),
        ("needs_pop_le", "area_type, area_code, decile, year, age_from"),
        ("needs_events_decile", "indicator, area_type, area_code, decile, period, age_from"),
        ("needs_pop_decile", "area_type, area_code, decile, year, age_from"),
    ):
        out.append(ws.df(f"SELECT * FROM {table} ORDER BY {keys}").astype(str))
    return [t.to_numpy().tolist() for t in out]


def test_mortality_sql_agrees_on_duckdb_and_spark(tmp_path, tiny_tables):
    tables = _tables(tiny_tables)
    with open_workspace(tmp_path / "d.duckdb") as d:
        duck = _run(d, tables)
    with open_workspace(tmp_path / "spark", engine="spark") as s:
        spark = _run(s, tables)
    assert all(len(t) > 0 for t in duck)
    assert duck == spark

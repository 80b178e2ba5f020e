"""The needs step's SQL (residence, counting, roll-up, prevalence) agrees on DuckDB and Spark.

Kept minimal because Spark is slow to start: the portable SQL is compared on the engine,
the NumPy statistics that follow are engine-independent and tested elsewhere.
"""

from __future__ import annotations

import pytest

from caremap.core.workspace import open_workspace
from caremap.needs import counts as sqlc

pytestmark = pytest.mark.engine

TABLES = ("small_area", "population", "postcode", "source_record", "activity", "condition")


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
    keys = "indicator, area_type, area_code, period, age_from"
    counts = ws.df(f"SELECT {keys}, events FROM needs_counts ORDER BY {keys}")
    pop = ws.df(
        "SELECT area_type, area_code, year, age_from, population FROM needs_pop "
        "ORDER BY area_type, area_code, year, age_from"
    )
    prev = ws.df(
        f"SELECT * FROM ({sqlc.prevalence_sql(True)}) p ORDER BY area_type, area_code, condition"
    )
    lost = ws.df(sqlc.unresolved_sql() + " ORDER BY indicator, period, reason")
    return [t.astype(str).to_numpy().tolist() for t in (counts, pop, prev, lost)]


def test_needs_sql_agrees_on_duckdb_and_spark(tmp_path, tiny_tables):
    with open_workspace(tmp_path / "d.duckdb") as d:
        duck = _run(d, tiny_tables)
    with open_workspace(tmp_path / "spark", engine="spark") as s:
        spark = _run(s, tiny_tables)
    assert all(len(t) > 0 for t in duck)
    assert duck == spark

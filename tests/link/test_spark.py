"""The same model on Spark (local mode) and DuckDB gives the same persons."""

import pytest

from caremap.core.workspace import open_workspace
from caremap.link import LinkConfig, run_link
from caremap.link.step import save_model

pytestmark = pytest.mark.engine

SUBSET = (
    "SELECT * FROM source_record WHERE record_id IN "
    "(SELECT record_id FROM truth.record_person WHERE person_key % 80 = 0)"
)


def _partition(ws) -> set[frozenset]:
    rows = ws.sql("SELECT source_system, record_id, person_id FROM person_link").to_pylist()
    groups: dict[int, set] = {}
    for r in rows:
        groups.setdefault(r["person_id"], set()).add((r["source_system"], r["record_id"]))
    return {frozenset(g) for g in groups.values()}


def test_spark_agrees_with_duckdb(economy_ws_path, tmp_path):
    with open_workspace(economy_ws_path, read_only=True) as src:
        records, postcodes = src.sql(SUBSET), src.sql("SELECT * FROM postcode")
    duck = open_workspace(tmp_path / "duck.duckdb", memory_limit="1GB")
    duck.write_table("source_record", records)
    duck.write_table("postcode", postcodes)
    run_link(duck, LinkConfig())
    model = tmp_path / "model.json"
    save_model(duck, model)

    spark = open_workspace(tmp_path / "spark", engine="spark")
    spark.write_table("source_record", records)
    spark.write_table("postcode", postcodes)
    result = run_link(spark, LinkConfig(model_path=str(model)))
    assert result.records == records.num_rows
    assert _partition(spark) == _partition(duck)
    golden = spark.sql("SELECT count(*) AS n, count(area_code) AS a FROM person").to_pylist()[0]
    assert golden["n"] == result.persons and golden["a"] > 0.9 * golden["n"]

"""The feature and outcome SQL give the same answer on DuckDB and Spark."""

from datetime import date

import pytest

from caremap.core.workspace import open_workspace
from caremap.risk.config import FeatureConfig
from caremap.risk.features import feature_sql, labelled_sql

from . import toy

pytestmark = pytest.mark.engine

INPUTS = ("person", "person_link", "activity", "condition", "small_area")


def test_features_agree_on_duckdb_and_spark(tmp_path):
    d = open_workspace(tmp_path / "d.duckdb", memory_limit="1GB")
    toy.build(d, n=80, seed=5)
    s = open_workspace(tmp_path / "spark", engine="spark")
    for t in INPUTS:
        s.write_table(t, d.sql(f"SELECT * FROM {t}"))
    index = date(2024, 4, 1)
    out = {}
    for name, w in (("duckdb", d), ("spark", s)):
        w.create_table_as("risk_features_x", feature_sql(index, FeatureConfig()))
        w.create_table_as("risk_features_l", labelled_sql("risk_features_x", index, 12))
        out[name] = w.df("SELECT * FROM risk_features_l ORDER BY person_id")
    a, b = out["duckdb"], out["spark"]
    assert len(a) == 80 and list(a.columns) == list(b.columns)
    for col in a.columns:
        if col == "index_date":
            assert a[col].astype(str).tolist() == b[col].astype(str).tolist()
        else:
            assert a[col].astype(float).tolist() == pytest.approx(
                b[col].astype(float).tolist(), nan_ok=True
            ), col
    assert a.outcome.sum() > 0 and a.emergency_admissions_12m.sum() > 0
    d.close()

"""Ingestion and a table-shaped aggregation give the same answer on DuckDB and Spark."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from caremap.core.ingest import ingest_path
from caremap.core.workspace import open_workspace

pytestmark = pytest.mark.engine

ACTIVITY = (
    "activity_id,source_system,record_id,setting,start_date,admission_method,primary_diagnosis,cost\n"
    "a1,inpatient,1,inpatient,2023-01-05,emergency,J44.1,1500\n"
    "a2,inpatient,1,inpatient,05/02/2023,emergency,J441,1500.5\n"
    "a3,inpatient,2,inpatient,2023-02-10,elective,K80.2,900\n"
    "a4,ae,3,ae,2023-02-11,,S72.0,150\n"
    "a5,ae,3,ae,2023-13-11,,S72.0,150\n"
    "a6,inpatient,4,inpatient,2023-03-01,emergency,XX,10\n"
    "a1,inpatient,1,inpatient,2023-01-05,emergency,J44.1,1500\n"
)

AGGREGATION = """
SELECT setting, strftime(start_date, '%Y-%m') AS month,
       count(*) AS n, sum(cost) AS cost,
       count(DISTINCT record_id) AS people
FROM activity
GROUP BY setting, strftime(start_date, '%Y-%m')
ORDER BY setting, month
"""


def _run(ws, folder):
    reports = ingest_path(ws, folder)
    agg = ws.df(AGGREGATION)
    pop = ws.df("SELECT sex, sum(population) AS n FROM population GROUP BY sex ORDER BY sex")
    agg = agg.assign(pop_total=int(pop.n.sum()), pop_sexes=",".join(pop.sex))
    q = ws.df("SELECT row_number, field FROM quarantine ORDER BY row_number, field")
    rec = [(r.read, r.loaded, r.quarantined) for r in reports]
    again = ingest_path(ws, folder)
    return agg, q, rec, ws.row_count("activity"), again[0].replaced


def test_ingest_and_aggregate_agree(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "activity.csv").write_text(ACTIVITY)
    pq.write_table(
        pa.table(
            {
                "area_code": ["E1", "E1", "E2", "E2"],
                "year": pa.array([2023] * 4, pa.int32()),
                "sex": ["M", "F", "1", "X9"],
                "age_band": ["0", "0", "1-4", "1-4"],
                "age_from": pa.array([0, 0, 1, 1], pa.int64()),
                "population": pa.array([10, 12, 30, 31], pa.int64()),
            }
        ),
        folder / "population.parquet",
    )
    with open_workspace(tmp_path / "d.duckdb") as d:
        dres = _run(d, folder)
    s = open_workspace(tmp_path / "spark", engine="spark")
    sres = _run(s, folder)
    agg_d, agg_s = dres[0], sres[0]
    assert agg_d["month"].tolist() == agg_s["month"].tolist()
    assert agg_d["n"].tolist() == agg_s["n"].tolist()
    assert agg_d["cost"].tolist() == pytest.approx(agg_s["cost"].tolist())
    assert agg_d["people"].tolist() == agg_s["people"].tolist()
    assert dres[1].values.tolist() == sres[1].values.tolist()
    assert agg_d["pop_total"].tolist() == agg_s["pop_total"].tolist()
    assert agg_d["pop_total"][0] == 52  # the row with sex X9 is quarantined
    assert dres[2] == sres[2] == [(7, 4, 3), (4, 3, 1)]
    assert dres[3] == sres[3] == 4
    assert dres[4] == sres[4] == 4  # replaced on the second load of activity.csv


def test_spark_transaction_rolls_back(tmp_path):
    import pyarrow as pa

    s = open_workspace(tmp_path / "spark2", engine="spark")
    s.write_table("t", pa.table({"x": [1, 2]}))
    with pytest.raises(RuntimeError), s.transaction():
        s.write_table("t", pa.table({"x": [9]}))
        s.write_table("u", pa.table({"y": [1]}))
        raise RuntimeError("boom")
    assert s.df("SELECT x FROM t ORDER BY x").x.tolist() == [1, 2]
    assert not s.has_table("u")
    reopened = open_workspace(tmp_path / "spark2", engine="spark")
    assert reopened.list_tables() == ["t"]

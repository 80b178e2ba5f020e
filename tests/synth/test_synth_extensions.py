"""Extensions see the base economy and their tables are written beside it."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from caremap.synth import extensions as ext_mod
from caremap.synth import generate

pytestmark = pytest.mark.integration


def test_an_extension_gets_the_context_and_its_table_is_written(tmp_path, monkeypatch):
    seen = {}

    def fake(ctx):
        seen["tables"] = set(ctx.tables)
        seen["summary"] = ctx.activity_summary
        seen["years"] = ctx.years
        same = ctx.rng("x").random() == ctx.rng("x").random()
        seen["rng"] = same
        return {"contract": pa.table({"contract_id": ["C1"], "commissioner_code": ["X54000001"],
                                      "provider_code": ["XA01"], "annual_value": [1.0]})}  # fmt: skip

    monkeypatch.setitem(ext_mod._EXTENSIONS, "zz_test", ext_mod.Extension("zz_test", 999, fake))
    out = tmp_path / "e"
    summary = generate(population=1200, seed=5, out_dir=out)
    assert {"region", "ics", "locality", "small_area", "population", "postcode", "road_node",
            "road_link", "provider", "site", "site_capability", "truth.person"} <= seen["tables"]  # fmt: skip
    s = seen["summary"]
    assert s.column_names == ["provider_code", "site_code", "setting", "point_of_delivery",
                              "specialty", "admission_method", "year", "count", "cost"]  # fmt: skip
    assert sum(s["count"].to_pylist()) == summary.rows["activity"]
    act = pq.read_table(sorted(out.glob("activity__*.parquet")))
    assert abs(sum(s["cost"].to_pylist()) - sum(act["cost"].to_pylist())) < 1e-3
    assert seen["years"] == [2022, 2023, 2024, 2025] and seen["rng"]
    contract = pq.read_table(out / "contract__zz_test.parquet")  # contract.parquet was taken
    assert contract.num_rows >= 1 and contract.column_names[0] == "contract_id"


def test_hubs_and_cdcs_are_the_regions_and_sized_for_it(db5k):
    """The region's own hubs and CDCs are its sites, doing the region's activity; the
    national benchmark panel is flagged as peers."""
    from caremap.synth.ext_performance import CDC_TESTS_PER_HEAD_MONTH

    own = db5k.execute(
        "SELECT DISTINCT site_code, site_type FROM hub_performance_month WHERE NOT peer"
    ).fetchall()
    sites = db5k.execute(
        "SELECT site_code, site_type FROM site "
        "WHERE site_type IN ('surgical_hub', 'diagnostic_centre')"
    ).fetchall()
    assert sorted(own) == sorted(sites)
    # a hub's procedures are the inpatient activity the economy places at it, year by year
    got = db5k.execute(
        "SELECT h.site_code, year(h.month) y, sum(h.activity) FROM hub_performance_month h "
        "WHERE NOT h.peer AND h.site_type = 'surgical_hub' GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    want = db5k.execute(
        "SELECT a.site_code, year(a.start_date) y, count(*) FROM activity a "
        "JOIN site s ON s.site_code = a.site_code AND s.site_type = 'surgical_hub' "
        "WHERE a.setting = 'inpatient' AND a.start_date <= (SELECT max(month) + INTERVAL 1 "
        "MONTH - INTERVAL 1 DAY FROM hub_performance_month) GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    assert got == want
    # CDC tests follow the region's population at England's rate
    people = db5k.execute("SELECT sum(population) FROM population WHERE year = "
                          "(SELECT max(year) FROM population)").fetchone()[0]  # fmt: skip
    n_cdc, tests = db5k.execute(
        "SELECT count(DISTINCT site_code), avg(activity) FROM hub_performance_month "
        "WHERE NOT peer AND site_type = 'diagnostic_centre'"
    ).fetchone()
    assert tests * n_cdc == pytest.approx(people * CDC_TESTS_PER_HEAD_MONTH, rel=0.25)
    util = db5k.execute(
        "SELECT sum(sessions_used) / sum(sessions_planned) FROM hub_performance_month "
        "WHERE NOT peer"
    ).fetchone()[0]
    assert 0.6 < util <= 1

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

"""Hub and CDC benchmarking on synthetic returns: detection of the planted outliers."""

import datetime as dt

import pyarrow as pa
import pytest

from caremap.core import schema
from caremap.performance import PerformanceConfig, run_performance
from caremap.performance.evaluation import detection
from caremap.synth.ext_performance import hub_performance
from caremap.synth.extensions import SynthContext

pytestmark = pytest.mark.integration


def _ctx(seed=11) -> SynthContext:
    ics = pa.table(
        {
            "ics_code": ["I1", "I2"],
            "ics_name": ["one", "two"],
            "region_code": ["R", "R"],
            "speed_kph": [40.0, 40.0],
        }
    )
    provider = pa.table(
        {
            "provider_code": ["RA", "RB"],
            "provider_type": ["acute_trust"] * 2,
            "ics_code": ["I1", "I2"],
        }
    )
    site = pa.table(
        {
            "site_code": ["RA01", "RAH1", "RBD1"],
            "provider_code": ["RA", "RA", "RB"],
            "site_type": ["acute_hospital", "surgical_hub", "diagnostic_centre"],
        }
    )
    return SynthContext(
        seed=seed,
        population=1_000_000,
        start_date=dt.date(2022, 4, 1),
        end_date=dt.date(2025, 3, 31),
        tables={"ics": ics, "provider": provider, "site": site},
    )


@pytest.fixture(scope="module")
def tables():
    return hub_performance(_ctx())


def test_returns_match_the_data_model(tables):
    perf = tables["hub_performance_month"]
    assert perf.column_names == schema.get("hub_performance_month").column_names
    df = perf.to_pandas()
    assert df.groupby("ics_code")["site_code"].nunique().size == 42
    assert {"RAH1", "RBD1"} <= set(df["site_code"]) and not df.loc[
        df.site_code == "RAH1", "peer"
    ].any()
    assert (df["sessions_used"] <= df["sessions_planned"]).all()
    assert (df["cancelled_on_day"] <= df["booked"]).all()
    assert (df["waiting_over_target"] <= df["waiting"]).all()
    assert len(df) == df["site_code"].nunique() * 36
    truth = tables["truth.performance_outlier"].to_pandas()
    assert set(truth["direction"]) == {"better", "worse"}


def test_detection_of_planted_outliers(ws, tables):
    ws.write_table("hub_performance_month", tables["hub_performance_month"])
    ws.write_table("truth.performance_outlier", tables["truth.performance_outlier"])
    out = run_performance(ws, PerformanceConfig(rank_simulations=200)).frames
    d = detection(ws)
    planted, found = d["planted"].sum(), d["detected"].sum()
    # measured: 21 planted, all found, no false positives (seed 11); allow some slack
    assert found / planted >= 0.8
    assert d["false_positives"].sum() <= 3
    best = out["performance_best_practice"]
    assert len(best) > 0 and best["evidence"].str.contains("FDR q").all()
    assert ws.row_count("spc_summary") == 3 * ws.scalar(
        "SELECT count(DISTINCT site_code) FROM hub_performance_month"
    )

"""`run_waiting` on the workspace and on a CSV, with pathways from the synth extension."""

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from caremap.core.errors import InputError, WorkspaceError
from caremap.synth.ext_waiting import waiting_pathways
from caremap.synth.extensions import SynthContext
from caremap.waiting.step import WaitingConfig, run_waiting, waiting_csv

pytestmark = pytest.mark.integration


def _ctx() -> SynthContext:
    provider = pa.table(
        {
            "provider_code": ["RAA", "RBB", "XC01"],
            "provider_type": ["acute_trust", "acute_trust", "community_trust"],
            "ics_code": ["I1", "I1", "I1"],
        }
    )
    site = pa.table(
        {
            "site_code": ["RAA01", "RBB01"],
            "provider_code": ["RAA", "RBB"],
            "site_type": ["acute_hospital", "acute_hospital"],
            "beds": [800, 400],
        }
    )
    return SynthContext(
        seed=3,
        population=20_000,
        start_date=dt.date(2022, 4, 1),
        end_date=dt.date(2024, 3, 31),
        tables={"provider": provider, "site": site},
    )


@pytest.fixture
def pathways():
    return waiting_pathways(_ctx())["waiting_pathway"]


def test_synthetic_pathways_are_canonical(pathways):
    from caremap.core import schema

    spec = schema.get("waiting_pathway")
    assert set(pathways.column_names) <= set(spec.column_names)
    df = pathways.to_pandas()
    assert df["pathway_id"].is_unique
    assert set(df["provider_code"]) == {"RAA", "RBB"}
    assert (
        df["clock_stop_date"].dropna() >= df.loc[df["clock_stop_date"].notna(), "referral_date"]
    ).all()
    assert df["clock_stop_date"].dropna().max() <= dt.date(2024, 3, 31)
    assert df["referral_date"].max() <= dt.date(2024, 3, 31)
    # bigger trust, more referrals; some still waiting, some removed
    n = df.groupby("provider_code").size()
    assert n["RAA"] > n["RBB"]
    assert df["clock_stop_date"].isna().any() and (df["stop_reason"] == "removed").any()


def test_deterministic_for_a_seed():
    a = waiting_pathways(_ctx())["waiting_pathway"]
    b = waiting_pathways(_ctx())["waiting_pathway"]
    assert a.equals(b)


def test_run_waiting_writes_tables(ws, pathways):
    ws.write_table("waiting_pathway", pathways)
    out = run_waiting(ws, WaitingConfig(sims=30, weeks=26))
    s = ws.df("SELECT * FROM waiting_summary")
    assert len(s) == 20  # 2 trusts x 10 specialties
    direct = pathways.to_pandas()
    census = s["census_date"].iloc[0]
    open_ = direct[
        (direct.referral_date <= census)
        & (direct.clock_stop_date.isna() | (direct.clock_stop_date > census))
    ]
    assert s["queue_size"].sum() == len(open_)
    assert (s["target_queue_size"] == s["demand"] * 18 / 4).all()
    f = ws.df("SELECT * FROM waiting_forecast")
    assert len(f) == 20 * 3 * 26
    assert set(out.tables) == {"waiting_summary", "waiting_forecast", "waiting_clearance"}


def test_missing_table_names_the_command(ws):
    with pytest.raises(WorkspaceError, match="waiting_pathway"):
        run_waiting(ws, WaitingConfig())


def test_csv_bad_rows_are_named(ws, tmp_path):
    p = tmp_path / "wl.csv"
    pd.DataFrame(
        {
            "provider_code": ["A", "A"],
            "specialty": ["100", "100"],
            "referral_date": ["2024-01-01", "2024-02-01"],
            "clock_stop_date": ["2023-12-01", None],
            "stop_reason": ["treated", None],
            "priority": ["routine", "routine"],
        }
    ).to_csv(p, index=False)
    with pytest.raises(InputError, match="clock stop before referral in rows 2"):
        waiting_csv(str(p), WaitingConfig(), ws)


def test_clearance_starts_from_the_census(ws, pathways):
    ws.write_table("waiting_pathway", pathways)
    out = run_waiting(ws, WaitingConfig(sims=40, weeks=52))
    s = out.frames["waiting_summary"].set_index("list")
    c = out.frames["waiting_clearance"]
    # week 0 of the forecast is today's list: the same size and the same long waits
    for _, r in c.iterrows():
        assert r["queue_size"] == s.loc[r["list"], "queue_size"]
        assert r["breaches_now"] == s.loc[r["list"], "over_target"]
    # nobody can have cleared at week 0 where somebody waits beyond the target today
    assert not ((c["breaches_now"] > 0) & (c["week_median"] == 0)).any()
    grow = c[c["growing"]]
    assert len(grow) and (grow["p_cleared"] == 0).all()
    assert grow["verdict"].str.startswith("does not clear within 52 weeks").all()
    assert (grow["net_growth_per_week"] > 0).all()
    assert c["verdict"].notna().all()

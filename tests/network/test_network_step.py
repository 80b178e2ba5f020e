"""`run_network` on the small synthetic economy."""

from __future__ import annotations

import pytest

from caremap.core.errors import ConfigError
from caremap.network.step import TABLES, NetworkConfig, run_network

pytestmark = pytest.mark.integration


def test_scenarios_written(economy_ws):
    sites = economy_ws.df("SELECT site_code FROM site WHERE site_type = 'acute_hospital'").site_code
    df = run_network(economy_ws, NetworkConfig(max_p=2, proposal=[sites.iloc[-1]])).scenarios
    for t in TABLES:
        assert economy_ws.has_table(t), t
    names = df.scenario.tolist()
    assert "optimised_p1" in names and "proposal" in names
    opt = df.set_index("scenario")
    assert (opt.loc[["optimised_p1", "optimised_p2"], "status"] == "optimal").all()
    # more centres never lengthen the population-weighted journey
    assert (
        opt.loc["optimised_p2", "mean_minutes_population"]
        <= opt.loc["optimised_p1", "mean_minutes_population"] + 1e-9
    )
    pol = economy_ws.df("SELECT * FROM network_policy")
    assert set(pol.policy) == {"nearest", "right_place"}
    nearest = pol[pol.policy == "nearest"]
    assert (nearest.bypasses == 0).all()
    # expected deaths follow access: under "nearest" everyone reaches the same first
    # hospital in every scenario, so the scenarios differ by who is transferred on
    assert nearest.secondary_transfers.nunique() > 1
    fewest = nearest.secondary_transfers.min()
    base = nearest[nearest.secondary_transfers == fewest].expected_deaths.min()
    assert (nearest[nearest.secondary_transfers > fewest].expected_deaths > base).all()
    areas = economy_ws.df("SELECT count(*) AS n FROM network_map_area").n[0]
    assert areas == economy_ws.row_count("small_area") * len(df)


def test_unknown_proposal_site(economy_ws):
    with pytest.raises(ConfigError, match="NOPE"):
        run_network(economy_ws, NetworkConfig(max_p=1, proposal=["NOPE"]))

"""`run_needs` through a workspace on a small hand-made economy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from caremap.core.config import load_config
from caremap.core.errors import InputError, WorkspaceError
from caremap.core.stats import byars, wilson
from caremap.needs import NeedsConfig, run_needs
from caremap.needs.indicators import COLUMNS

pytestmark = pytest.mark.integration

# In the fixture, each area's 40th GP record has an unknown postcode; records with an even
# (area + record) index have one activity of each kind, so 12 of those 24 records do.
UNRESOLVED = {"ae_attendances": 12, "emergency_admissions": 12, "elective_demand": 24}


def _ind(ws, where: str) -> pd.DataFrame:
    return ws.df(f"SELECT * FROM needs_indicator WHERE {where}")


def test_writes_the_long_table_and_localities(tiny_ws):
    res = run_needs(tiny_ws, NeedsConfig(target_population=5_000))
    t = tiny_ws.df("SELECT * FROM needs_indicator")
    assert list(t.columns) == COLUMNS
    assert set(t.area_type) == {"small_area", "locality", "ics", "region"}
    assert set(t.confidence) == {0.95, 0.998}
    assert {"emergency_admissions", "ae_attendances", "elective_demand", "trauma_incidence"} <= set(
        t.indicator
    )
    assert {"prevalence_diabetes", "prevalence_copd"} <= set(t.indicator)
    summary = tiny_ws.df("SELECT * FROM needs_locality_summary")
    assert res.localities == len(summary) == 7  # round(23.8k / 5k) + round(11.8k / 5k)
    m = tiny_ws.df("SELECT * FROM needs_locality_map")
    assert len(m) == 24 and m.groupby("locality_code").ics_code.nunique().max() == 1
    # Working tables are cleaned up.
    assert not any(
        n.startswith("needs_")
        and n
        not in {
            "needs_indicator",
            "needs_locality_map",
            "needs_locality_summary",
            "needs_unresolved",
        }
        for n in tiny_ws.list_tables()
    )


def test_unplaced_events_are_counted_not_dropped(tiny_ws):
    res = run_needs(tiny_ws, NeedsConfig(target_population=5_000))
    u = tiny_ws.df("SELECT * FROM needs_unresolved")
    got = u.groupby("indicator").events.sum().to_dict()
    assert got == {**UNRESOLVED, "trauma_incidence": 1, "prevalence": 24}
    assert res.unresolved_events == sum(UNRESOLVED.values()) + 1
    assert res.unplaced_people == 24  # one GP record per area has an unknown postcode
    # Placed + unplaced = every activity row of the kind.
    act = tiny_ws.df("SELECT setting, count(*) AS n FROM activity GROUP BY setting")
    n_ae = int(act.loc[act.setting == "ae", "n"].iloc[0])
    region = _ind(
        tiny_ws, "indicator = 'ae_attendances' AND area_type = 'region' AND method = 'count'"
    )
    assert region.numerator.iloc[0] + UNRESOLVED["ae_attendances"] == n_ae


def test_geographies_add_up(tiny_ws):
    run_needs(tiny_ws, NeedsConfig(target_population=5_000))
    c = _ind(tiny_ws, "method = 'count' AND confidence = 0.95")
    tot = c.groupby(["indicator", "area_type"]).numerator.sum().unstack()
    for level in ("small_area", "locality", "ics"):
        assert (tot[level] == tot["region"]).all()
    pops = c[c.indicator == "ae_attendances"].groupby("area_type").denominator.sum()
    assert pops.nunique() == 1


def test_statistics_match_core_methods(tiny_ws):
    run_needs(tiny_ws, NeedsConfig(target_population=5_000))
    cnt = _ind(tiny_ws, "method = 'count' AND area_type = 'small_area' AND confidence = 0.998")
    lo, hi = byars(cnt.numerator.to_numpy(), 0.998, exact_below=10)
    assert np.allclose(cnt.lower, lo) and np.allclose(cnt.upper, hi)
    prev = _ind(tiny_ws, "indicator = 'prevalence_diabetes' AND confidence = 0.95")
    lo, hi = wilson(prev.numerator.to_numpy(), prev.denominator.to_numpy())
    assert np.allclose(prev.lower, np.asarray(lo) * 100)
    assert np.allclose(prev.value, prev.numerator / prev.denominator * 100)
    # ISR of the whole region against itself is exactly 100.
    reg = _ind(tiny_ws, "area_type = 'region' AND method LIKE 'isr%'")
    assert np.allclose(reg.value, 100.0)


def test_dsrs_on_fewer_than_ten_events_are_suppressed_with_a_note(tiny_ws):
    run_needs(tiny_ws, NeedsConfig(target_population=5_000))
    d = _ind(tiny_ws, "method LIKE 'dsr%' AND area_type = 'small_area'")
    small = d[d.numerator < 10]
    assert len(small) > 0
    assert small.value.isna().all() and small.lower.isna().all()
    assert small.note.str.contains("fewer than 10").all()
    big = d[d.numerator >= 10]
    assert big.value.notna().all() and (big.lower < big.value).all()


def test_linked_people_give_the_residence(tiny_ws):
    """With linkage tables, the person's area wins over the record's postcode."""
    recs = tiny_ws.df("SELECT source_system, record_id FROM source_record")
    first = tiny_ws.scalar("SELECT min(area_code) FROM small_area")
    link = recs.assign(person_id=np.arange(len(recs)))
    person = pd.DataFrame(
        {
            "person_id": link.person_id,
            "area_code": first,
            "date_of_birth": pd.Timestamp("1970-01-01"),
            "date_of_death": pd.NaT,
            "sex": "F",
        }
    )
    tiny_ws.write_table("person_link", link)
    tiny_ws.write_table("person", person)
    res = run_needs(tiny_ws, NeedsConfig(target_population=5_000, indicators=["ae_attendances"]))
    assert res.linked
    c = _ind(tiny_ws, "method = 'count' AND area_type = 'small_area' AND confidence = 0.95")
    n_ae = tiny_ws.scalar("SELECT count(*) FROM activity WHERE setting = 'ae'")
    assert c.set_index("area_code").numerator[first] == n_ae
    assert tiny_ws.row_count("needs_unresolved") == 0


def test_supplied_locality_file(tiny_ws, tmp_path):
    areas = tiny_ws.df("SELECT area_code FROM small_area ORDER BY area_code")
    f = tmp_path / "loc.csv"
    areas.assign(locality_code=["N", "S"] * 12).to_csv(f, index=False)
    res = run_needs(tiny_ws, NeedsConfig(locality_file=f, indicators=["ae_attendances"]))
    assert res.localities == 2 and res.locality_method.startswith("supplied")
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"area_code": ["nope"], "locality_code": ["X"]}).to_csv(bad, index=False)
    with pytest.raises(InputError, match=r"row 2.*area_code"):
        run_needs(tiny_ws, NeedsConfig(locality_file=bad))


def test_missing_tables_name_what_makes_them(ws):
    with pytest.raises(WorkspaceError, match="small_area"):
        run_needs(ws, NeedsConfig())


def test_config_lists_every_problem(tmp_path):
    from caremap.core.errors import ConfigError

    f = tmp_path / "needs.yaml"
    f.write_text("target_population: -5\nindicators: [nonsense]\ncolour: red\n")
    with pytest.raises(ConfigError) as e:
        load_config(NeedsConfig, f)
    msg = str(e.value)
    assert "target_population" in msg and "indicators" in msg and "colour" in msg


def test_financial_and_calendar_periods_are_labelled_and_partial_ones_flagged(tiny_ws):
    run_needs(tiny_ws, NeedsConfig(target_population=5_000, indicators=["ae_attendances"]))
    fy = _ind(tiny_ws, "area_type = 'region'")
    assert set(fy.period) == {"2023/24"}  # every event is on 1 March 2024
    assert fy.note.str.contains("partial period: events from 2024-03-01 to 2024-03-01").all()
    assert fy.note.str.contains("population of 2024").all()
    run_needs(
        tiny_ws,
        NeedsConfig(target_population=5_000, indicators=["ae_attendances"], period_type="calendar"),
    )
    cy = _ind(tiny_ws, "area_type = 'region'")
    assert set(cy.period) == {"2024"}
    assert not cy.note.fillna("").str.contains("population of").any()

"""Allocation, ledger, forecast and scenarios on a small hand-made economy."""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest

from caremap.budget import BudgetConfig, run_budget
from caremap.budget.allocate import AllocationConfig
from caremap.budget.ledger import LedgerConfig
from caremap.budget.scenario import Scenario, Shift
from caremap.core.config import load_config
from caremap.core.errors import ConfigError

from .budget_helpers import activity_table, contracts, line_table, specialised

pytestmark = pytest.mark.integration

SETTINGS = [("gp", None, "CONS", 40.0), ("inpatient", "emergency", "NEL", 2500.0),
            ("inpatient", "elective", "EL", 4000.0), ("outpatient", None, "OPFU", 110.0),
            ("community", None, "CONTACT", 65.0)]  # fmt: skip


def build(ws, seed=1):
    rng = np.random.default_rng(seed)
    ws.write_table("small_area", pa.table({
        "area_code": ["A1", "A2"], "locality_code": ["L1", "L2"], "ics_code": ["I", "I"],
        "imd_score": [40.0, 10.0]}))  # fmt: skip
    ws.write_table("site", pa.table({
        "site_code": ["P1", "P2", "P3"], "provider_code": ["P1", "P2", "P3"],
        "site_type": ["gp_practice"] * 3, "area_code": ["A1", "A1", "A2"]}))  # fmt: skip
    ws.write_table("provider", pa.table({
        "provider_code": ["P1", "P2", "P3", "H", "LA"],
        "provider_type": ["gp_practice"] * 3 + ["acute_trust", "local_authority"]}))  # fmt: skip
    ws.write_table("gp_federation", pa.table({
        "practice_code": ["P1", "P2", "P3"], "federation_code": ["F1", "F2", "F3"],
        "federation_name": ["a", "b", "c"], "locality_code": ["L1", "L1", "L2"]}))  # fmt: skip
    n = 300
    dob = [date(1930, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 33000, n)]
    ws.write_table("source_record", pa.table({
        "source_system": ["gp"] * n, "record_id": [f"G{i}" for i in range(n)],
        "date_of_birth": pa.array(dob, pa.date32()),
        "sex": rng.choice(["M", "F"], n).tolist(),
        "practice_code": rng.choice(["P1", "P2", "P3"], n, p=[0.3, 0.3, 0.4]).tolist(),
        "postcode": [None] * n, "date_of_death": pa.array([None] * n, pa.date32())}))  # fmt: skip
    acts = []
    for k in range(3000):
        setting, method, pod, cost = SETTINGS[int(rng.integers(len(SETTINGS)))]
        acts.append(dict(activity_id=f"X{k}", source_system="gp",
                         record_id=f"G{int(rng.integers(n))}", setting=setting,
                         admission_method=method, point_of_delivery=pod, provider_code="H",
                         start_date=date(2023, 4, 1) + timedelta(days=int(rng.integers(730))),
                         primary_diagnosis="J44.1" if rng.random() < 0.3 else "K35.8",
                         cost=round(cost * float(rng.uniform(0.5, 1.5)), 2)))  # fmt: skip
    ws.write_table("activity", activity_table(acts))
    ws.write_table("standards_specialised_activity", specialised([]))
    c = contracts(["CB23", "CB24"], contract_type="block", provider="LA").to_pylist()
    c[0]["start_date"], c[1]["start_date"] = date(2023, 4, 1), date(2024, 4, 1)
    ws.write_table("contract", pa.Table.from_pylist(c, schema=contracts([]).schema))
    ws.write_table("contract_line", line_table([
        {"contract_id": "CB23", "line_id": "1", "service": "sexual_health", "value": 12000.0},
        {"contract_id": "CB24", "line_id": "1", "service": "sexual_health", "value": 12345.67},
    ]))  # fmt: skip


CFG = BudgetConfig(allocation=AllocationConfig(year_start=date(2024, 4, 1)))


def _sum(ws, q):
    return int(ws.scalar(q) or 0)


def test_allocations_sum_exactly_at_every_level(ws):
    build(ws)
    res = run_budget(ws, CFG)
    a = res.allocation
    assert sum(a.pots.values()) == a.total_pence
    assert _sum(ws, "SELECT sum(allocation_pence) FROM budget_allocation WHERE level='pot'") == (
        a.total_pence
    )
    for level in ("locality", "federation"):
        rows = ws.sql(
            f"SELECT pot, sum(allocation_pence) AS s FROM budget_allocation WHERE level='{level}' "
            "GROUP BY pot"
        ).to_pylist()
        assert {r["pot"]: r["s"] for r in rows} == a.pots
    per_loc = ws.sql(
        "SELECT f.pot, f.locality_code, sum(f.allocation_pence) AS fed, "
        "min(l.allocation_pence) AS loc FROM budget_allocation f JOIN budget_allocation l "
        "ON l.level='locality' AND l.pot=f.pot AND l.locality_code=f.locality_code "
        "WHERE f.level='federation' GROUP BY 1, 2"
    ).to_pylist()
    assert all(r["fed"] == r["loc"] for r in per_loc) and len(per_loc) == 8
    # the total is the base year's spend plus 3%
    base = _sum(ws, "SELECT sum(pence) FROM budget_activity_pot WHERE month >= DATE '2023-04-01' "
                    "AND month < DATE '2024-04-01'") + 1_200_000  # fmt: skip
    assert a.total_pence == int((Decimal(base) * Decimal("1.03")).to_integral_value())


def test_ledger_reconciles_budget_and_spend(ws):
    build(ws)
    res = run_budget(ws, CFG)
    assert _sum(ws, "SELECT sum(budget_pence) FROM budget_ledger") == res.allocation.total_pence
    act = _sum(ws, "SELECT sum(pence) FROM budget_activity_pot WHERE month >= DATE '2024-04-01' "
                   "AND month < DATE '2025-04-01'")  # fmt: skip
    assert _sum(ws, "SELECT sum(spend_pence) FROM budget_ledger") == act + 1_234_567
    assert res.ledger.months_actual == 12
    assert res.ledger.forecast_outturn_pence == act + 1_234_567
    ph = ws.sql("SELECT * FROM budget_pot_summary WHERE pot = 'public_health'").to_pylist()[0]
    assert ph["actual_ytd_pence"] == 1_234_567 and ph["contracted_pence"] == 1_234_567


def test_forecast_outturn_by_run_rate(ws):
    build(ws)
    cfg = CFG.model_copy(update={"ledger": LedgerConfig(as_of=date(2024, 12, 15))})
    res = run_budget(ws, cfg)
    assert res.ledger.months_actual == 9
    led = ws.sql("SELECT * FROM budget_ledger WHERE pot = 'primary_care' AND locality_code = 'L2' "
                 "ORDER BY month").to_pylist()  # fmt: skip
    spend = [r["spend_pence"] for r in led]
    assert spend[9:] == [None, None, None]
    fc = ws.sql("SELECT * FROM budget_forecast WHERE pot = 'primary_care' "
                "AND locality_code = 'L2'").to_pylist()[0]  # fmt: skip
    assert fc["actual_ytd_pence"] == sum(spend[:9])
    assert fc["forecast_remaining_pence"] == round(sum(spend[6:9]) / 3 * 3)
    assert fc["forecast_outturn_pence"] == fc["actual_ytd_pence"] + fc["forecast_remaining_pence"]


def test_need_index_moves_money_to_deprived_locality(ws):
    build(ws)
    shares = {}
    for e in (0.0, 1.0):
        cfg = CFG.model_copy(update={"allocation": AllocationConfig(
            year_start=date(2024, 4, 1), need_elasticity=e)})  # fmt: skip
        run_budget(ws, cfg)
        shares[e] = ws.scalar("SELECT target_share FROM budget_allocation WHERE level='locality' "
                              "AND pot='primary_care' AND locality_code='L1'")  # fmt: skip
    assert shares[1.0] > shares[0.0]


def test_fixed_total_and_pot_shares(ws):
    build(ws)
    cfg = BudgetConfig(allocation=AllocationConfig(
        year_start=date(2024, 4, 1), total_pounds=Decimal("1000000.01"),
        pot_shares={"primary_care": 1, "continuing_care": 1, "planned_specialist": 1,
                    "public_health": 0}))  # fmt: skip
    res = run_budget(ws, cfg)
    assert res.allocation.total_pence == 100_000_001
    assert res.allocation.pots == {"primary_care": 33_333_334, "continuing_care": 33_333_334,
                                   "planned_specialist": 33_333_333, "public_health": 0}  # fmt: skip


def test_scenario_shifts_spend_between_pots(ws):
    build(ws)
    sc = Scenario(name="shift", shifts=[Shift(rules=["outpatients"], share=0.5,
                                              to_pot="primary_care", cost_ratio=0.2)])  # fmt: skip
    res = run_budget(ws, CFG.model_copy(update={"scenarios": [sc]}))
    s = res.scenarios[0]
    moved = _sum(ws, "SELECT sum(pence) FROM budget_activity_pot WHERE rule_id = 'outpatients' "
                     "AND month >= DATE '2024-04-01' AND month < DATE '2025-04-01'")  # fmt: skip
    half = int((Decimal(moved) * Decimal("0.5")).to_integral_value(rounding="ROUND_HALF_UP"))
    assert s.by_pot["planned_specialist"] == -half
    assert s.by_pot["primary_care"] == int(
        (Decimal(half) * Decimal("0.2")).to_integral_value(rounding="ROUND_HALF_UP")
    )
    assert s.scenario_pence - s.baseline_pence == sum(s.by_pot.values())
    with pytest.raises(ConfigError, match="unknown rule 'nope'"):
        run_budget(ws, CFG.model_copy(update={"scenarios": [
            Scenario(name="x", shifts=[Shift(rules=["nope"], share=0.1, to_pot="primary_care",
                                             cost_ratio=1)])]}))  # fmt: skip


def test_config_file_errors_name_line_and_field(tmp_path):
    p = tmp_path / "budget.yaml"
    p.write_text("allocation:\n  growth: 0.03\n  pot_shares: {primary_care: 1}\n"
                 "ledger:\n  run_rate_months: 40\n")  # fmt: skip
    with pytest.raises(ConfigError) as e:
        load_config(BudgetConfig, p)
    msg = str(e.value)
    assert "line 3, field allocation.pot_shares" in msg
    assert "line 5, field ledger.run_rate_months" in msg


def test_localities_from_needs_map_when_present(ws):
    build(ws)
    ws.write_table("needs_locality_map", pa.table({"area_code": ["A1", "A2"],
                                                   "locality_code": ["N1", "N2"]}))  # fmt: skip
    run_budget(ws, CFG)
    locs = ws.sql("SELECT DISTINCT locality_code, locality_source FROM budget_allocation "
                  "WHERE level = 'locality'").to_pylist()  # fmt: skip
    assert {(r["locality_code"], r["locality_source"]) for r in locs} == {
        ("N1", "needs"),
        ("N2", "needs"),
    }
    spend = set(ws.sql("SELECT DISTINCT locality_code FROM budget_ledger").column(0).to_pylist())
    assert spend == {"N1", "N2"}
    cfg = CFG.model_copy(update={"allocation": AllocationConfig(
        year_start=date(2024, 4, 1), localities="supplied")})  # fmt: skip
    run_budget(ws, cfg)
    locs = set(ws.sql("SELECT DISTINCT locality_code FROM budget_allocation "
                      "WHERE level = 'locality'").column(0).to_pylist())  # fmt: skip
    assert locs == {"L1", "L2"}


def test_allocations_sum_to_any_total(ws):
    """Property: whatever the total, shares and need, every level sums to its parent."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from caremap.budget.allocate import allocate
    from caremap.budget.classify import ClassifyConfig, classify

    build(ws)
    classify(ws, ClassifyConfig())

    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        total=st.decimals(min_value=0, max_value=10**9, places=2),
        shares=st.lists(st.integers(0, 100), min_size=4, max_size=4).filter(lambda s: sum(s)),
        need=st.floats(0, 3),
    )
    def check(total, shares, need):
        pots = dict(zip(["primary_care", "continuing_care", "planned_specialist",
                         "public_health"], shares, strict=True))  # fmt: skip
        a = allocate(ws, AllocationConfig(year_start=date(2024, 4, 1), total_pounds=total,
                                          pot_shares=pots, need_elasticity=need))  # fmt: skip
        assert a.total_pence == int(total * 100) == sum(a.pots.values())
        for level in ("locality", "federation"):
            got = {r["pot"]: r["s"] for r in ws.sql(
                f"SELECT pot, sum(allocation_pence) AS s FROM budget_allocation "
                f"WHERE level = '{level}' GROUP BY pot").to_pylist()}  # fmt: skip
            assert got == a.pots

    check()


def test_care_packages_are_phased_over_their_days_of_service(ws):
    """A year-long package is spent month by month, not all in its start month (the April
    spike in continuing care came from booking each package-year on 1 April)."""
    build(ws)
    acts = ws.sql("SELECT * FROM activity").to_pylist()
    acts.append(dict(activity_id="PKG", source_system="gp", record_id="G1",
                     setting="social_care", point_of_delivery="RES_CARE", provider_code="LA",
                     start_date=date(2024, 4, 1), end_date=date(2025, 3, 31),
                     cost=36_500.00))  # fmt: skip
    acts.append(dict(activity_id="PKG2", source_system="gp", record_id="G1",
                     setting="social_care", point_of_delivery="HOME_CARE", provider_code="LA",
                     start_date=date(2024, 2, 1), end_date=date(2024, 5, 10),
                     cost=1000.00))  # fmt: skip
    ws.write_table("activity", activity_table(acts))
    run_budget(ws, CFG)
    loc = ws.scalar(
        "SELECT g.locality_code FROM gp_federation g JOIN source_record r "
        "ON r.practice_code = g.practice_code WHERE r.record_id = 'G1'"
    )
    led = ws.sql(
        "SELECT month, spend_pence FROM budget_ledger WHERE pot = 'continuing_care' "
        f"AND locality_code = '{loc}' ORDER BY month"
    ).to_pylist()
    both = {r["month"]: r["spend_pence"] for r in led}
    ws.write_table("activity", activity_table([a for a in acts if a["activity_id"] != "PKG"]))
    run_budget(ws, CFG)
    base = {
        r["month"]: r["spend_pence"]
        for r in ws.sql(
            "SELECT month, spend_pence FROM budget_ledger WHERE pot = 'continuing_care' "
            f"AND locality_code = '{loc}'"
        ).to_pylist()
    }
    # £100 a day: each month gets its days x 10,000 pence, exactly
    days = {m: ((m.replace(day=28) + timedelta(days=4)).replace(day=1) - m).days for m in base}
    assert {m: both[m] - base[m] for m in base} == {m: d * 10_000 for m, d in days.items()}
    # the package from 1 February to 10 May 2024 (100 days) adds only its April and May
    # days to this budget year: 30 and 10 of them
    ws.write_table("activity", activity_table([a for a in acts if a["activity_id"] != "PKG2"]))
    run_budget(ws, CFG)
    april = ws.scalar(
        "SELECT spend_pence FROM budget_ledger WHERE pot = 'continuing_care' "
        f"AND locality_code = '{loc}' AND month = DATE '2024-04-01'"
    )
    may = ws.scalar(
        "SELECT spend_pence FROM budget_ledger WHERE pot = 'continuing_care' "
        f"AND locality_code = '{loc}' AND month = DATE '2024-05-01'"
    )
    assert both[date(2024, 4, 1)] - april == 30_000
    assert both[date(2024, 5, 1)] - may == 10_000

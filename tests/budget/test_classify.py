"""Classification into pots: exactly one pot or review, reconciled to the penny."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caremap.budget.classify import ClassifyConfig, classify
from caremap.core.errors import WorkspaceError
from caremap.core.workspace import open_workspace

from .budget_helpers import activity_table, contracts, line_table, specialised

pytestmark = pytest.mark.integration

SETTINGS = ["gp", "ae", "inpatient", "outpatient", "ambulance", "community", "social_care", None]
METHODS = ["elective", "emergency", "maternity", "transfer", "other", None]
DX = ["J44.1", "S72.0", "K35.8", "I50.0", "E84.0", "R10.4", None, "c50.9"]
MONEY = st.one_of(
    st.none(),
    st.decimals(min_value=-50, max_value=10**7, places=2, allow_nan=False).map(float),
)

act_row = st.fixed_dictionaries(
    {
        "setting": st.sampled_from(SETTINGS),
        "admission_method": st.sampled_from(METHODS),
        "primary_diagnosis": st.sampled_from(DX),
        "secondary_diagnoses": st.sampled_from([None, "I10", "F03;E11.9", "S06.0"]),
        "cost": MONEY,
        "specialised": st.booleans(),
    }
)
line_row = st.fixed_dictionaries(
    {
        "service": st.sampled_from(["sexual_health", "nhs_111", "acute", None, "hospice"]),
        "setting": st.sampled_from(SETTINGS),
        "point_of_delivery": st.sampled_from(["EL", "NEL", "OPFA", None]),
        "value": MONEY,
    }
)


def _load(ws, acts, lines):
    ws.write_table(
        "activity",
        activity_table(
            [
                {**{k: v for k, v in a.items() if k != "specialised"}, "activity_id": f"A{i}"}
                for i, a in enumerate(acts)
            ]
        ),
    )
    ws.write_table(
        "standards_specialised_activity",
        specialised([f"A{i}" for i, a in enumerate(acts) if a["specialised"]]),
    )
    ws.write_table(
        "contract_line",
        line_table([{**ln, "contract_id": "C1", "line_id": str(i)} for i, ln in enumerate(lines)]),
    )
    ws.write_table("contract", contracts(["C1"]))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(acts=st.lists(act_row, max_size=40), lines=st.lists(line_row, max_size=20))
def test_classified_plus_review_is_everything(acts, lines):
    with open_workspace(":memory:", memory_limit="256MB") as ws:
        _load(ws, acts, lines)
        recs = {r.source: r for r in classify(ws, ClassifyConfig())}
        assert all(r.reconciles for r in recs.values())
        # every record exactly once
        ids = (
            ws.sql(
                "SELECT activity_id AS id FROM budget_activity_pot UNION ALL "
                "SELECT record_id FROM budget_review WHERE source = 'activity'"
            )
            .column("id")
            .to_pylist()
        )
        assert sorted(ids) == sorted(f"A{i}" for i in range(len(acts)))
        lids = (
            ws.sql(
                "SELECT contract_id || '/' || line_id AS id FROM budget_line_pot UNION ALL "
                "SELECT record_id FROM budget_review WHERE source = 'contract_line'"
            )
            .column("id")
            .to_pylist()
        )
        assert sorted(lids) == sorted(f"C1/{i}" for i in range(len(lines)))
        # pence totals agree with exact decimal arithmetic on the inputs
        exact = sum(
            (Decimal(str(a["cost"])) * 100).to_integral_value()
            for a in acts
            if a["cost"] is not None
        )
        assert recs["activity"].pence_total == int(exact)
        assert recs["activity"].records == len(acts)
        pots = set(ws.sql("SELECT DISTINCT pot FROM budget_activity_pot").column(0).to_pylist())
        assert pots <= {"primary_care", "continuing_care", "planned_specialist", "public_health"}


def test_known_records(ws):
    acts = [
        {
            "setting": "inpatient",
            "admission_method": "emergency",
            "primary_diagnosis": "J44.1",
            "cost": 2000.10,
            "specialised": False,
        },
        {
            "setting": "inpatient",
            "admission_method": "emergency",
            "primary_diagnosis": "K35.8",
            "cost": 3000.0,
            "specialised": False,
        },
        {
            "setting": "outpatient",
            "admission_method": None,
            "primary_diagnosis": "E84.0",
            "cost": 150.0,
            "specialised": True,
        },
        {
            "setting": "inpatient",
            "admission_method": "transfer",
            "primary_diagnosis": "K35.8",
            "cost": 999.99,
            "specialised": False,
        },
        {
            "setting": "gp",
            "admission_method": None,
            "primary_diagnosis": None,
            "cost": None,
            "specialised": False,
        },
    ]
    lines = [
        {"service": "sexual_health", "setting": "community", "value": 120000.0},
        {"service": "nhs_111", "setting": None, "value": 50000.0},
        {"service": "mystery", "setting": None, "value": 10.0},
        {"service": "acute", "setting": "inpatient", "value": -5.0},
    ]
    _load(ws, acts, lines)
    classify(ws, ClassifyConfig())
    pot = {
        r["activity_id"]: r["pot"]
        for r in ws.sql("SELECT activity_id, pot FROM budget_activity_pot").to_pylist()
    }
    assert pot == {"A0": "continuing_care", "A1": "planned_specialist", "A2": "planned_specialist"}
    review = {
        r["record_id"]: r["reason"] for r in ws.sql("SELECT * FROM budget_review").to_pylist()
    }
    assert review["A3"].startswith("no classification rule matches (setting=inpatient")
    assert review["A4"] == "no cost recorded"
    assert review["C1/3"] == "negative value"
    assert "service=mystery" in review["C1/2"]
    lp = {
        r["line_id"]: (r["pot"], r["pence"])
        for r in ws.sql("SELECT * FROM budget_line_pot").to_pylist()
    }
    assert lp == {"0": ("public_health", 12_000_000), "1": ("primary_care", 5_000_000)}
    rec = ws.sql("SELECT * FROM budget_reconciliation WHERE source = 'activity'").to_pylist()[0]
    assert rec["pence_total"] == 200010 + 300000 + 15000 + 99999
    assert rec["pence_review"] == 99999 and rec["reconciles"]


def test_needs_specialised_flags_or_says_so(ws):
    _load(ws, [], [])
    ws.drop_table("standards_specialised_activity")
    with pytest.raises(WorkspaceError, match="caremap standards"):
        classify(ws, ClassifyConfig())
    recs = classify(ws, ClassifyConfig(use_specialised_flags=False))
    assert all(r.records == 0 and r.reconciles for r in recs)

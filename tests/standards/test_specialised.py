"""Specialised activity rules: every shipped rule's own examples, run through the engine."""

import pyarrow as pa
import pytest

from caremap.core.errors import ConfigError
from caremap.standards.specialised import (
    SpecialisedConfig,
    flag_specialised,
    load_rules,
    rule_condition,
)

pytestmark = pytest.mark.spec

RULES = load_rules()
COLS = (
    "setting",
    "point_of_delivery",
    "specialty",
    "admission_method",
    "primary_diagnosis",
    "secondary_diagnoses",
    "procedure_code",
)


def _activity(examples):
    rows = []
    for i, ex in enumerate(examples):
        unknown = set(ex) - set(COLS) - {"capability", "provider_type"}
        assert not unknown, f"example uses unknown fields {unknown}"
        row = {c: ex.get(c) for c in COLS}
        row.update(
            activity_id=f"X{i}",
            site_code=f"S_{ex.get('capability', 'none')}",
            provider_code="P1",
            cost=100.0,
            start_date=None,
        )
        rows.append(row)
    return pa.Table.from_pylist(rows)


def _sites(ws):
    caps = sorted(
        {
            ex.get("capability", "none")
            for r in RULES.rules
            for ex in r.examples.match + r.examples.no_match
        }
    )
    ws.write_table(
        "site_capability", pa.table({"site_code": [f"S_{c}" for c in caps], "capability": caps})
    )
    ws.write_table(
        "provider", pa.table({"provider_code": ["P1"], "provider_type": ["acute_trust"]})
    )


@pytest.mark.parametrize("rule", RULES.rules, ids=[r.id for r in RULES.rules])
def test_rule_examples(ws, rule):
    _sites(ws)
    ex = rule.examples.match + rule.examples.no_match
    ws.write_table("activity", _activity(ex))
    got = (
        ws.sql(
            f"SELECT activity_id, ({rule_condition(rule.match)}) AS hit FROM activity a "
            "ORDER BY CAST(substr(activity_id, 2) AS INTEGER)"
        )
        .column("hit")
        .to_pylist()
    )
    expected = [True] * len(rule.examples.match) + [False] * len(rule.examples.no_match)
    assert [bool(h) for h in got] == expected


def test_first_matching_rule_wins_and_step_writes_tables(ws):
    _sites(ws)
    ex = [
        # cardiac surgery procedure on a neurosurgery specialty line: cardiac comes first
        {"setting": "inpatient", "procedure_code": "K40.1", "specialty": "150"},
        {"setting": "inpatient", "specialty": "150"},
        {"setting": "gp", "primary_diagnosis": "I10"},
    ]
    ws.write_table("activity", _activity(ex))
    res = flag_specialised(ws, SpecialisedConfig())
    got = dict(
        (r["activity_id"], r["rule_id"])
        for r in ws.sql("SELECT * FROM standards_specialised_activity").to_pylist()
    )
    assert got == {"X0": "cardiac_surgery", "X1": "neurosurgery"}
    assert res.flagged == 2 and res.activity == 3 and res.flagged_cost == 200.0
    summ = ws.sql("SELECT sum(records) AS n FROM standards_specialised_summary").column(0)
    assert summ[0].as_py() == 2


def test_bad_rules_file(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text(
        "version: '1'\nsource: x\nrules:\n  - id: a\n    service_line: A\n    source: abc\n"
        "    match: {procedure: ['K4.0!']}\n    examples: {match: [{}], no_match: [{}]}\n"
    )
    with pytest.raises(ConfigError, match=r"line 7, field rules\.0\.match\.procedure"):
        load_rules(p)

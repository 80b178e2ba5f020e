"""Every shipped pot rule, run on its own examples through the engine."""

import pytest

from caremap.budget.classify import _activity_view, _line_view
from caremap.budget.rules import FIELDS, condition, load_pot_rules
from caremap.core.errors import ConfigError

from .budget_helpers import activity_table, contracts, line_table, specialised

pytestmark = pytest.mark.spec

RULES = load_pot_rules()


def _rows(ws, rule, examples):
    """Load examples as the sources the rule applies to; return the view SQL per source."""
    out = {}
    for src in rule.sources:
        if src == "activity":
            rows = [
                {
                    **{k: v for k, v in e.items() if k != "specialised"},
                    "activity_id": f"A{i}",
                    "cost": 1.0,
                }
                for i, e in enumerate(examples)
            ]
            ws.write_table("activity", activity_table(rows))
            ws.write_table(
                "standards_specialised_activity",
                specialised(
                    [f"A{i}" for i, e in enumerate(examples) if e.get("specialised") is True]
                ),
            )
            out[src] = _activity_view(ws, True)
        else:
            rows = [
                {**e, "contract_id": "C", "line_id": f"{i:03d}", "value": 1.0}
                for i, e in enumerate(examples)
            ]
            ws.write_table("contract_line", line_table(rows))
            ws.write_table("contract", contracts(["C"]))
            out[src] = _line_view(ws)
    return out


@pytest.mark.parametrize("rule", RULES.rules, ids=[r.id for r in RULES.rules])
def test_rule_examples(ws, rule):
    ex = rule.examples.match + rule.examples.no_match
    expected = [True] * len(rule.examples.match) + [False] * len(rule.examples.no_match)
    checked = 0
    for src in rule.sources:
        if not rule.match.used() <= FIELDS[src]:
            continue
        usable = [e for e in ex if set(e) <= FIELDS[src] | {"secondary_diagnoses"}]
        if len(usable) != len(ex):
            continue
        view = _rows(ws, rule, ex)[src]
        got = (
            ws.sql(f"SELECT ({condition(rule.match)}) AS hit FROM ({view}) r ORDER BY record_id")
            .column("hit")
            .to_pylist()
        )
        assert [bool(g) for g in got] == expected, src
        checked += 1
    assert checked, f"rule {rule.id}: no source could run its examples"


def test_rules_file_problems(tmp_path):
    p = tmp_path / "pots.yaml"
    p.write_text(
        "version: '1'\npots: {primary_care: a, continuing_care: b, planned_specialist: c}\n"
        "rules:\n  - id: x\n    pot: secondary_care\n    match: {setting: [gp]}\n"
        "    description: abc\n    examples: {match: [{}], no_match: [{}]}\n"
    )
    with pytest.raises(ConfigError) as e:
        load_pot_rules(p)
    msg = str(e.value)
    assert "line 2, field pots" in msg and "line 5, field rules.0.pot" in msg


def test_rule_with_fields_its_sources_lack(tmp_path):
    p = tmp_path / "pots.yaml"
    p.write_text(
        "version: '1'\npots: {primary_care: a, continuing_care: b, planned_specialist: c, "
        "public_health: d}\nrules:\n  - id: x\n    pot: public_health\n    sources: [activity]\n"
        "    match: {service: [screening]}\n    description: abc\n"
        "    examples: {match: [{}], no_match: [{}]}\n"
    )
    with pytest.raises(ConfigError, match="not all available"):
        load_pot_rules(p)

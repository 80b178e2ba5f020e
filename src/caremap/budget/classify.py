"""Every contract line and activity record into exactly one pot, or into review with a reason.

Money is summed in integer pence (``round(pounds * 100)`` per record), so the totals of the
pots and of the review table reconcile to the penny with the source tables.

Writes ``budget_activity_pot``, ``budget_line_pot``, ``budget_review`` and
``budget_reconciliation`` (records and pence: total = classified + review, per source).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from caremap.budget.rules import PotRules, load_pot_rules, rule_case
from caremap.core.errors import InputError
from caremap.core.sql import quote_str
from caremap.core.workspace import Workspace

TABLES = ("budget_activity_pot", "budget_line_pot", "budget_review", "budget_reconciliation")
SPECIALISED = "standards_specialised_activity"


class ClassifyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: Path | None = Field(default=None, description="pot rules file; default: shipped")
    use_specialised_flags: bool = Field(
        default=True,
        description="read standards_specialised_activity (from `caremap standards`); "
        "without it nothing is flagged as specialised",
    )


@dataclass(frozen=True)
class Reconciliation:
    source: str
    records: int
    classified: int
    review: int
    pence_total: int
    pence_classified: int
    pence_review: int

    @property
    def reconciles(self) -> bool:
        return (
            self.records == self.classified + self.review
            and self.pence_total == self.pence_classified + self.pence_review
        )


def _activity_view(ws: Workspace, use_flags: bool) -> str:
    have = set(ws.list_tables())
    if use_flags:
        ws.require(SPECIALISED)
    spec = (
        f"EXISTS (SELECT 1 FROM {SPECIALISED} s WHERE s.activity_id = a.activity_id)"
        if use_flags
        else "false"
    )
    ptype = "p.provider_type" if "provider" in have else "CAST(NULL AS VARCHAR)"
    join = (
        " LEFT JOIN provider p ON p.provider_code = a.provider_code" if "provider" in have else ""
    )
    return (
        "SELECT a.activity_id AS record_id, a.setting, a.point_of_delivery, a.specialty, "
        "a.admission_method, a.primary_diagnosis, a.secondary_diagnoses, "
        f"{ptype} AS provider_type, {spec} AS specialised, a.cost, "
        "CAST(date_trunc('month', a.start_date) AS DATE) AS month, a.provider_code "
        f"FROM activity a{join}"
    )


def _line_view(ws: Workspace) -> str:
    have = set(ws.list_tables())
    ptype = "p.provider_type" if "provider" in have else "CAST(NULL AS VARCHAR)"
    join = (
        " LEFT JOIN provider p ON p.provider_code = c.provider_code" if "provider" in have else ""
    )
    return (
        "SELECT l.contract_id || '/' || l.line_id AS record_id, l.contract_id, l.line_id, "
        "l.service, l.setting, l.point_of_delivery, l.specialty, c.contract_type, "
        f"{ptype} AS provider_type, l.value AS cost, c.provider_code, c.commissioner_code, "
        "c.start_date, c.end_date "
        f"FROM contract_line l LEFT JOIN contract c ON c.contract_id = l.contract_id{join}"
    )


def _classified_sql(view: str, rules: PotRules, source: str) -> str:
    chosen = rules.for_source(source)
    meta = " UNION ALL ".join(
        f"SELECT {quote_str(r.id)} AS rule_id, {quote_str(r.pot)} AS pot, "
        f"{quote_str(r.description)} AS rule_description"
        for r in chosen
    )
    hint = (
        "'setting=' || coalesce(k.setting, '?') || ', point_of_delivery=' || "
        "coalesce(k.point_of_delivery, '?')"
    )
    if source == "activity":
        hint += " || ', admission_method=' || coalesce(k.admission_method, '?')"
    else:
        hint += " || ', service=' || coalesce(k.service, '?')"
    return f"""
WITH r AS ({view}),
k AS (SELECT r.*, CAST(round(r.cost * 100) AS BIGINT) AS pence, {rule_case(chosen)} AS rule_id
      FROM r),
m AS ({meta})
SELECT k.*, CASE WHEN k.cost IS NULL OR k.cost < 0 OR m.pot IS NULL OR m.pot = 'review'
                 THEN 'review' ELSE m.pot END AS pot,
  CASE WHEN k.cost IS NULL THEN 'no cost recorded'
       WHEN k.cost < 0 THEN 'negative value'
       WHEN k.rule_id IS NULL THEN 'no classification rule matches (' || {hint} || ')'
       WHEN m.pot = 'review' THEN 'rule ' || k.rule_id || ': ' || m.rule_description
  END AS review_reason
FROM k LEFT JOIN m ON m.rule_id = k.rule_id
"""


def _reconcile(ws: Workspace, source: str, temp: str) -> Reconciliation:
    row = ws.sql(
        "SELECT count(*) AS records, "
        "sum(CASE WHEN pot <> 'review' THEN 1 ELSE 0 END) AS classified, "
        "sum(CASE WHEN pot = 'review' THEN 1 ELSE 0 END) AS review, "
        "coalesce(sum(coalesce(pence, 0)), 0) AS pence_total, "
        "coalesce(sum(CASE WHEN pot <> 'review' THEN pence ELSE 0 END), 0) AS pence_classified, "
        "coalesce(sum(CASE WHEN pot = 'review' THEN coalesce(pence, 0) ELSE 0 END), 0) "
        f"AS pence_review FROM {temp}"
    ).to_pylist()[0]
    return Reconciliation(source=source, **{k: int(v or 0) for k, v in row.items()})


def classify(ws: Workspace, config: ClassifyConfig) -> list[Reconciliation]:
    """Classify activity and contract lines into pots; returns one reconciliation per source."""
    rules = load_pot_rules(config.rules)
    ws.require("activity", "contract", "contract_line")
    for table, col in (("activity", "cost"), ("contract_line", "value")):
        if col not in ws.columns(table):
            raise InputError(f"{table} has no {col} column", file=table, field=col)
    with ws.transaction():
        ws.create_table_as(
            "_budget_cls_activity",
            _classified_sql(_activity_view(ws, config.use_specialised_flags), rules, "activity"),
        )
        ws.create_table_as(
            "_budget_cls_line", _classified_sql(_line_view(ws), rules, "contract_line")
        )
        ws.create_table_as(
            "budget_activity_pot",
            "SELECT record_id AS activity_id, pot, rule_id, pence, month, provider_code "
            "FROM _budget_cls_activity WHERE pot <> 'review'",
        )
        ws.create_table_as(
            "budget_line_pot",
            "SELECT contract_id, line_id, pot, rule_id, pence, service, contract_type, "
            "provider_code, commissioner_code, start_date, end_date "
            "FROM _budget_cls_line WHERE pot <> 'review'",
        )
        ws.create_table_as(
            "budget_review",
            "SELECT 'activity' AS source, record_id, rule_id, review_reason AS reason, "
            "coalesce(pence, 0) AS pence FROM _budget_cls_activity WHERE pot = 'review' "
            "UNION ALL SELECT 'contract_line' AS source, record_id, rule_id, "
            "review_reason AS reason, coalesce(pence, 0) AS pence "
            "FROM _budget_cls_line WHERE pot = 'review'",
        )
        recs = [
            _reconcile(ws, "activity", "_budget_cls_activity"),
            _reconcile(ws, "contract_line", "_budget_cls_line"),
        ]
        ws.write_table(
            "budget_reconciliation",
            pa.Table.from_pylist([{**r.__dict__, "reconciles": r.reconciles} for r in recs]),
        )
        ws.drop_table("_budget_cls_activity")
        ws.drop_table("_budget_cls_line")
    return recs

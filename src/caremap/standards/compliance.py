"""Compliance: every site against every criterion of every specification that applies to it.

Each (site, criterion) gets ``met``, ``not met`` or ``no evidence``, with the numerator,
denominator and value behind it, and any derogation (with its expiry) that covers it. The
national comparison pools every region in the workspace on the one standard.

Tables written: ``standards_criterion`` (the catalogue, with effective thresholds),
``standards_compliance``, ``standards_site_summary`` and ``standards_national``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from caremap.core.errors import ConfigError
from caremap.core.sql import in_list, quote_str
from caremap.core.workspace import Workspace
from caremap.standards.metrics import METRICS, Period
from caremap.standards.spec import Specification, check_spec, load_specs

TABLES = (
    "standards_criterion",
    "standards_compliance",
    "standards_site_summary",
    "standards_national",
)


class CriterionOverride(BaseModel):
    """Local settings for one criterion: a different threshold, parameters or period."""

    model_config = ConfigDict(extra="forbid")

    threshold: float | None = None
    params: dict[str, float] = Field(default_factory=dict)
    evidence_months: int | None = Field(default=None, ge=1, le=60)
    critical: bool | None = None


class ComplianceConfig(BaseModel):
    """Which specifications to check, the end of the evidence period and local overrides."""

    model_config = ConfigDict(extra="forbid")

    specs: list[Path] | None = Field(
        default=None, description="specification files; default: the shipped ones"
    )
    as_of: date | None = Field(
        default=None,
        description="end of the evidence period (exclusive); default: the month after the "
        "latest process data",
    )
    overrides: dict[str, CriterionOverride] = Field(
        default_factory=dict, description="keyed 'service.criterion_id'"
    )


@dataclass(frozen=True)
class ComplianceResult:
    as_of: date
    sites: int
    assessments: int
    met: int
    not_met: int
    no_evidence: int


def apply_overrides(
    specs: list[Specification], overrides: dict[str, CriterionOverride]
) -> list[Specification]:
    """Specifications with local overrides applied; unknown keys are a ConfigError."""
    known = {f"{s.service}.{c.id}" for s in specs for c in s.criteria}
    bad = sorted(set(overrides) - known)
    if bad:
        raise ConfigError(
            "overrides name criteria that no specification has: "
            + ", ".join(bad)
            + f"; known: {', '.join(sorted(known))}"
        )
    out = []
    for s in specs:
        crits = []
        for c in s.criteria:
            o = overrides.get(f"{s.service}.{c.id}")
            if o is not None:
                upd = {k: v for k, v in o.model_dump().items() if v is not None and k != "params"}
                upd["params"] = {**c.params, **o.params}
                c = c.model_copy(update=upd)
            crits.append(c)
        out.append(check_spec(s.model_copy(update={"criteria": crits})))
    return out


def _month_start(d: date, back: int = 0) -> date:
    m = d.year * 12 + d.month - 1 - back
    return date(m // 12, m % 12 + 1, 1)


def default_as_of(ws: Workspace) -> date:
    """The first day of the month after the latest process data in the workspace."""
    latest: list[date] = []
    if ws.has_table("trauma_process"):
        v = ws.scalar("SELECT CAST(max(arrival_time) AS DATE) FROM trauma_process")
        if v:
            latest.append(v)
    if ws.has_table("site_process_month"):
        v = ws.scalar("SELECT max(month) FROM site_process_month")
        if v:
            latest.append(v)
    if not latest:
        return _month_start(date.today())
    return _month_start(max(latest), back=-1)


def _criteria_table(specs: list[Specification], as_of: date) -> pa.Table:
    rows = []
    for s in specs:
        for c in s.criteria:
            m = METRICS[c.metric]
            start = _month_start(as_of, back=c.evidence_months)
            rows.append(
                {
                    "service": s.service,
                    "service_name": s.name,
                    "spec_version": s.version,
                    "criterion_id": c.id,
                    "title": c.title,
                    "metric": c.metric,
                    "unit": m.unit,
                    "params": ", ".join(f"{k}={v:g}" for k, v in {**m.defaults, **c.params}.items())
                    if m.defaults or c.params
                    else "",
                    "operator": c.operator,
                    "threshold": float(c.threshold),
                    "critical": c.critical,
                    "min_denominator": c.min_denominator if m.unit == "proportion" else 0,
                    "period_start": start,
                    "period_end": as_of,
                    "source": c.source,
                }
            )
    return pa.Table.from_pylist(rows)


def _applicable_sites_sql(specs: list[Specification]) -> str:
    parts = []
    for s in specs:
        conds = []
        if s.applies_to.site_types:
            conds.append(f"s.site_type IN {in_list(s.applies_to.site_types)}")
        if s.applies_to.capabilities:
            conds.append(
                "s.site_code IN (SELECT site_code FROM site_capability WHERE capability IN "
                f"{in_list(s.applies_to.capabilities)})"
            )
        parts.append(
            f"SELECT {quote_str(s.service)} AS service, s.site_code FROM site s "
            f"WHERE {' OR '.join(conds)}"
        )
    return " UNION ".join(parts)


def _metric_values_sql(ws: Workspace, specs: list[Specification], as_of: date) -> str:
    have = set(ws.list_tables())
    parts = []
    for s in specs:
        for c in s.criteria:
            m = METRICS[c.metric]
            if m.table not in have:
                continue  # no data submitted: every site is 'no evidence'
            period = Period(_month_start(as_of, back=c.evidence_months), as_of)
            parts.append(
                f"SELECT {quote_str(s.service)} AS service, {quote_str(c.id)} AS criterion_id, "
                "site_code, CAST(numerator AS DOUBLE) AS numerator, "
                "CAST(denominator AS DOUBLE) AS denominator, CAST(value AS DOUBLE) AS value "
                f"FROM ({m.sql(c.params, period)}) m"
            )
    if not parts:
        return (
            "SELECT CAST(NULL AS VARCHAR) AS service, CAST(NULL AS VARCHAR) AS criterion_id, "
            "CAST(NULL AS VARCHAR) AS site_code, CAST(NULL AS DOUBLE) AS numerator, "
            "CAST(NULL AS DOUBLE) AS denominator, CAST(NULL AS DOUBLE) AS value WHERE false"
        )
    return " UNION ALL ".join(parts)


def _region_sql(ws: Workspace) -> str:
    """site_code -> provider, ics and region (through the provider, else the site's area)."""
    have = set(ws.list_tables())
    prov = "provider" in have
    ics = "ics" in have
    area = "small_area" in have
    ics_expr = "p.ics_code" if prov else "CAST(NULL AS VARCHAR)"
    if area:
        ics_expr = f"coalesce({ics_expr}, a.ics_code)"
    region_expr = "i.region_code" if ics else "CAST(NULL AS VARCHAR)"
    if area:
        region_expr = f"coalesce({region_expr}, a.region_code)"
    joins = ""
    if prov:
        joins += " LEFT JOIN provider p ON p.provider_code = s.provider_code"
    if area:
        joins += " LEFT JOIN small_area a ON a.area_code = s.area_code"
    if ics:
        joins += f" LEFT JOIN ics i ON i.ics_code = {ics_expr}"
    return (
        "SELECT s.site_code, s.site_name, s.site_type, s.provider_code, "
        f"{ics_expr} AS ics_code, coalesce({region_expr}, 'unknown') AS region_code "
        f"FROM site s{joins}"
    )


_EPS = "1e-9 * greatest(1.0, abs(c.threshold))"  # float noise in sums is not a failure
_STATUS = f"""CASE
  WHEN v.value IS NULL OR coalesce(v.denominator, 0) < c.min_denominator
       OR (c.unit = 'proportion' AND coalesce(v.denominator, 0) = 0) THEN 'no evidence'
  WHEN (c.operator = '>=' AND v.value >= c.threshold - {_EPS})
    OR (c.operator = '<=' AND v.value <= c.threshold + {_EPS})
    OR (c.operator = '>' AND v.value > c.threshold + {_EPS})
    OR (c.operator = '<' AND v.value < c.threshold - {_EPS})
    OR (c.operator = '==' AND abs(v.value - c.threshold) <= {_EPS}) THEN 'met'
  ELSE 'not met' END"""


def _derogation_sql(ws: Workspace) -> str:
    if not ws.has_table("derogation"):
        return (
            "SELECT CAST(NULL AS VARCHAR) AS site_code, CAST(NULL AS VARCHAR) AS service, "
            "CAST(NULL AS VARCHAR) AS criterion_id, CAST(NULL AS VARCHAR) AS derogation_id, "
            "CAST(NULL AS DATE) AS expiry_date, CAST(NULL AS DATE) AS granted_date WHERE false"
        )
    return (
        "SELECT site_code, service, criterion_id, derogation_id, expiry_date, granted_date "
        "FROM (SELECT *, row_number() OVER (PARTITION BY site_code, service, criterion_id "
        "ORDER BY expiry_date DESC, derogation_id) AS rn FROM derogation) d WHERE rn = 1"
    )


def evaluate_compliance(ws: Workspace, config: ComplianceConfig) -> ComplianceResult:
    """Check every applicable site against every criterion and write the standards tables."""
    specs = apply_overrides(load_specs(config.specs), config.overrides)
    ws.require("site", "site_capability")
    as_of = config.as_of or default_as_of(ws)
    criteria = _criteria_table(specs, as_of)
    ws.register_temp("_std_criterion", criteria)
    try:
        compliance = f"""
WITH app AS ({_applicable_sites_sql(specs)}),
     val AS ({_metric_values_sql(ws, specs, as_of)}),
     geo AS ({_region_sql(ws)}),
     der AS ({_derogation_sql(ws)})
SELECT g.region_code, g.ics_code, g.provider_code, app.site_code, g.site_name, g.site_type,
       c.service, c.spec_version, c.criterion_id, c.title, c.metric, c.operator, c.threshold,
       c.critical, c.period_start, c.period_end, v.numerator, v.denominator, v.value,
       {_STATUS} AS status,
       d.derogation_id, d.expiry_date AS derogation_expiry,
       (d.derogation_id IS NOT NULL AND d.expiry_date >= c.period_end
        AND (d.granted_date IS NULL OR d.granted_date <= c.period_end)) AS derogation_active
FROM app
JOIN _std_criterion c ON c.service = app.service
JOIN geo g ON g.site_code = app.site_code
LEFT JOIN val v ON v.service = c.service AND v.criterion_id = c.criterion_id
               AND v.site_code = app.site_code
LEFT JOIN der d ON d.service = c.service AND d.criterion_id = c.criterion_id
               AND d.site_code = app.site_code
"""
        summary = """
SELECT region_code, ics_code, provider_code, site_code, site_name, service,
  count(*) AS criteria,
  sum(CASE WHEN status = 'met' THEN 1 ELSE 0 END) AS met,
  sum(CASE WHEN status = 'not met' THEN 1 ELSE 0 END) AS not_met,
  sum(CASE WHEN status = 'no evidence' THEN 1 ELSE 0 END) AS no_evidence,
  sum(CASE WHEN status = 'not met' AND critical AND NOT derogation_active THEN 1 ELSE 0 END)
    AS critical_not_met,
  sum(CASE WHEN status = 'not met' AND derogation_active THEN 1 ELSE 0 END) AS derogated,
  CASE
    WHEN sum(CASE WHEN status = 'not met' AND critical AND NOT derogation_active
                  THEN 1 ELSE 0 END) > 0 THEN 'not compliant'
    WHEN sum(CASE WHEN status = 'no evidence' AND critical THEN 1 ELSE 0 END) > 0
      THEN 'insufficient evidence'
    WHEN sum(CASE WHEN status = 'not met' AND NOT derogation_active THEN 1 ELSE 0 END) > 0
      THEN 'partially compliant'
    WHEN sum(CASE WHEN status = 'not met' THEN 1 ELSE 0 END) > 0
      THEN 'compliant under derogation'
    ELSE 'compliant' END AS assessment
FROM standards_compliance
GROUP BY region_code, ics_code, provider_code, site_code, site_name, service
"""
        agg = """
  count(*) AS sites,
  sum(CASE WHEN status = 'met' THEN 1 ELSE 0 END) AS met,
  sum(CASE WHEN status = 'not met' THEN 1 ELSE 0 END) AS not_met,
  sum(CASE WHEN status = 'no evidence' THEN 1 ELSE 0 END) AS no_evidence,
  sum(CASE WHEN status = 'met' THEN 1 ELSE 0 END)
    / CAST(nullif(sum(CASE WHEN status <> 'no evidence' THEN 1 ELSE 0 END), 0) AS DOUBLE)
    AS share_met,
  sum(CASE WHEN status <> 'no evidence' THEN numerator END) AS numerator,
  sum(CASE WHEN status <> 'no evidence' THEN denominator END) AS denominator"""
        national = f"""
SELECT region_code, service, criterion_id, {agg} FROM standards_compliance
GROUP BY region_code, service, criterion_id
UNION ALL
SELECT 'national' AS region_code, service, criterion_id, {agg} FROM standards_compliance
GROUP BY service, criterion_id
"""
        with ws.transaction():
            ws.write_table("standards_criterion", criteria)
            ws.create_table_as("standards_compliance", compliance)
            ws.create_table_as("standards_site_summary", summary)
            ws.create_table_as("standards_national", national)
    finally:
        ws.unregister_temp("_std_criterion")
    counts = {
        r["status"]: int(r["n"])
        for r in ws.sql(
            "SELECT status, count(*) AS n FROM standards_compliance GROUP BY status"
        ).to_pylist()
    }
    return ComplianceResult(
        as_of=as_of,
        sites=int(ws.scalar("SELECT count(DISTINCT site_code) FROM standards_compliance") or 0),
        assessments=sum(counts.values()),
        met=counts.get("met", 0),
        not_met=counts.get("not met", 0),
        no_evidence=counts.get("no evidence", 0),
    )

"""Features for risk stratification, built from the linked record at an index date.

Everything here is one portable SELECT (DuckDB dialect; sqlglot transpiles it for Spark),
run on the engine with ``ws.create_table_as``; no person-level rows pass through Python.
Window boundaries are computed here and written into the query as date literals, so the
SQL is the same on every engine.

The population at an index date is every person in ``person`` who is alive and born by that
date, whether or not they have any activity: a person with no contacts is still scored, from
demographics, deprivation and conditions. The features follow the variables of the PARR and
Combined Predictive Model (Billings et al. 2006, "Case finding for patients at risk of
readmission to hospital", BMJ 333:327; Wennberg et al. 2006, "Combined Predictive Model",
King's Fund): age, sex, deprivation, long-term conditions and their count, prior emergency
admissions over 12 and 24 months, A&E, outpatient, community, GP, ambulance and social-care
contacts, and recent discharges.

A long-term condition counts when it is on the GP problem list by the index date, or when
an inpatient spell in the 12 months before it (``lookback_months``) had a primary diagnosis in the condition's
ICD-10 group (`ICD10_GROUPS`), as the Combined Predictive Model uses both sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from caremap.core.schema import CONDITIONS
from caremap.core.sql import quote_str
from caremap.risk.config import FeatureConfig

# (column, label shown to clinicians)
DEMOGRAPHIC = [
    ("age", "age"),
    ("female", "female"),
    ("sex_unknown", "sex not recorded"),
    ("imd_score", "deprivation score"),
    ("imd_decile", "deprivation decile"),
]
CONDITION_FEATURES = [(f"ltc_{c}", c.replace("_", " ")) for c in CONDITIONS]
ACTIVITY = [
    ("ltc_count", "number of long-term conditions"),
    ("emergency_admissions_12m", "emergency admissions, last 12 months"),
    ("emergency_admissions_13_24m", "emergency admissions, 13-24 months ago"),
    ("days_since_emergency", "recent emergency admission"),
    ("elective_admissions_12m", "planned admissions, last 12 months"),
    ("bed_days_12m", "bed days, last 12 months"),
    ("ae_attendances_12m", "A&E attendances, last 12 months"),
    ("ambulance_12m", "ambulance incidents, last 12 months"),
    ("outpatient_12m", "outpatient appointments, last 12 months"),
    ("community_12m", "community contacts, last 12 months"),
    ("gp_12m", "GP contacts, last 12 months"),
    ("social_care_12m", "social-care contacts, last 12 months"),
    ("discharges_30d", "discharged from hospital, last 30 days"),
    ("discharges_90d", "discharged from hospital, last 90 days"),
]
FEATURES: list[tuple[str, str]] = [*DEMOGRAPHIC, *CONDITION_FEATURES, *ACTIVITY]
FEATURE_NAMES = [f for f, _ in FEATURES]
LABELS = dict(FEATURES)

# ICD-10 three-character groups of each condition, after the QOF business rules' condition
# definitions (NHS England, "Quality and Outcomes Framework business rules v49", 2024) and the
# Charlson/Elixhauser ICD-10 coding algorithms (Quan et al. 2005, Med Care 43:1130).
ICD10_GROUPS: dict[str, tuple[str, ...]] = {
    "hypertension": ("I10", "I11", "I12", "I13", "I15"),
    "diabetes": ("E10", "E11", "E12", "E13", "E14"),
    "copd": ("J40", "J41", "J42", "J43", "J44"),
    "asthma": ("J45", "J46"),
    "chd": ("I20", "I21", "I22", "I23", "I24", "I25"),
    "heart_failure": ("I50", "I11", "I13", "I42"),
    "ckd": ("N18", "N19"),
    "dementia": ("F00", "F01", "F02", "F03", "G30", "G31"),
    "cancer": (*(f"C{i:02d}" for i in range(0, 98)), "D05"),
    "depression": ("F32", "F33", "F34", "F38", "F39"),
    "frailty": ("R54", "R26", "R29", "Z74", "Z91"),
}


# Classification of activity rows. Anything an inpatient row carries outside these lists is
# an unknown code: counted in risk_unknown_codes, never silently dropped.
EMERGENCY_METHODS = ("emergency",)
PLANNED_METHODS = ("elective", "maternity", "transfer", "other")
EMERGENCY_POD = ("NEL", "NELST", "NELNE")
PLANNED_POD = ("EL", "DC", "RDA", "RNA")


def add_months(d: date, months: int) -> date:
    """``d`` moved by whole calendar months (day clipped to the month's length)."""
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    import calendar

    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def date_literal(d: date) -> str:
    """A SQL date literal."""
    return f"DATE '{d.isoformat()}'"


def _in(col: str, values: tuple[str, ...]) -> str:
    return f"{col} IN (" + ", ".join(quote_str(v) for v in values) + ")"


# Null-safe (never NULL), so that NOT(...) finds the rows that are neither.
_METHOD = "coalesce(a.admission_method, '')"
_POD = "upper(coalesce(a.point_of_delivery, ''))"
EMERGENCY_SQL = (
    f"(a.setting = 'inpatient' AND ({_in(_METHOD, EMERGENCY_METHODS)} OR "
    f"(a.admission_method IS NULL AND {_in(_POD, EMERGENCY_POD)})))"
)
PLANNED_SQL = (
    f"(a.setting = 'inpatient' AND ({_in(_METHOD, PLANNED_METHODS)} OR "
    f"(a.admission_method IS NULL AND {_in(_POD, PLANNED_POD)})))"
)


@dataclass(frozen=True)
class Windows:
    index: date
    start_12: date
    start_24: date
    d_short: date
    d_long: date

    @classmethod
    def at(cls, index: date, fc: FeatureConfig) -> Windows:
        from datetime import timedelta

        a, b = fc.recent_discharge_days
        return cls(
            index=index,
            start_12=add_months(index, -fc.lookback_months),
            start_24=add_months(index, -fc.long_lookback_months),
            d_short=index - timedelta(days=a),
            d_long=index - timedelta(days=b),
        )


def locality_source(tables: set[str]) -> str:
    """The area -> locality mapping: `needs_locality_map` when present, else small_area."""
    if "needs_locality_map" in tables:
        return "SELECT area_code, locality_code FROM needs_locality_map"
    return "SELECT area_code, locality_code FROM small_area"


def feature_sql(index: date, fc: FeatureConfig) -> str:
    """The SELECT that builds one row of features per person alive at ``index``."""
    w = Windows.at(index, fc)
    idx, s12, s24 = date_literal(w.index), date_literal(w.start_12), date_literal(w.start_24)
    in12 = f"a.start_date >= {s12}"
    cond_cols = ",\n    ".join(
        f"max(CASE WHEN c.condition = {quote_str(c)} THEN 1 ELSE 0 END) AS ltc_{c}"
        for c in CONDITIONS
    )
    diag = "substr(upper(replace(a.primary_diagnosis, '.', '')), 1, 3)"
    hx_cols = ",\n    ".join(
        f"max(CASE WHEN {diag} IN ({', '.join(quote_str(x) for x in ICD10_GROUPS[c])}) "
        f"THEN 1 ELSE 0 END) AS hx_{c}"
        for c in CONDITIONS
    )
    has = {c: f"greatest(coalesce(k.ltc_{c}, 0), coalesce(hx.hx_{c}, 0))" for c in CONDITIONS}
    cond_sum = " + ".join(has.values())
    cond_out = ",\n  ".join(f"CAST({has[c]} AS INTEGER) AS ltc_{c}" for c in CONDITIONS)
    never = (w.index - w.start_12).days + 1

    def count(setting: str) -> str:
        return f"sum(CASE WHEN a.setting = {quote_str(setting)} AND {in12} THEN 1 ELSE 0 END)"

    return f"""
WITH pop AS (
  SELECT person_id, sex, date_of_birth, area_code
  FROM person
  WHERE (date_of_death IS NULL OR date_of_death >= {idx})
    AND (date_of_birth IS NULL OR date_of_birth < {idx})
),
act AS (
  SELECT l.person_id,
    sum(CASE WHEN {EMERGENCY_SQL} AND {in12} THEN 1 ELSE 0 END) AS em12,
    sum(CASE WHEN {EMERGENCY_SQL} AND a.start_date < {s12} THEN 1 ELSE 0 END) AS em24,
    max(CASE WHEN {EMERGENCY_SQL} AND {in12} THEN a.start_date END) AS last_em,
    sum(CASE WHEN {PLANNED_SQL} AND {in12} THEN 1 ELSE 0 END) AS el12,
    sum(CASE WHEN a.setting = 'inpatient' AND {in12}
        THEN greatest(date_diff('day', a.start_date,
                                least(coalesce(a.end_date, a.start_date), {idx})), 0)
        ELSE 0 END) AS bed12,
    {count("ae")} AS ae12,
    {count("ambulance")} AS amb12,
    {count("outpatient")} AS op12,
    {count("community")} AS com12,
    {count("gp")} AS gp12,
    {count("social_care")} AS sc12,
    sum(CASE WHEN a.setting = 'inpatient' AND a.end_date >= {date_literal(w.d_short)}
        AND a.end_date < {idx} THEN 1 ELSE 0 END) AS dis_s,
    sum(CASE WHEN a.setting = 'inpatient' AND a.end_date >= {date_literal(w.d_long)}
        AND a.end_date < {idx} THEN 1 ELSE 0 END) AS dis_l
  FROM activity a
  JOIN person_link l ON a.source_system = l.source_system AND a.record_id = l.record_id
  WHERE a.start_date < {idx} AND a.start_date >= {s24}
  GROUP BY l.person_id
),
k AS (
  SELECT l.person_id,
    {cond_cols}
  FROM condition c
  JOIN person_link l ON c.source_system = l.source_system AND c.record_id = l.record_id
  WHERE c.diagnosed_date IS NULL OR c.diagnosed_date < {idx}
  GROUP BY l.person_id
),
hx AS (
  SELECT l.person_id,
    {hx_cols}
  FROM activity a
  JOIN person_link l ON a.source_system = l.source_system AND a.record_id = l.record_id
  WHERE a.setting = 'inpatient' AND a.primary_diagnosis IS NOT NULL
    AND a.start_date < {idx} AND {in12}
  GROUP BY l.person_id
)
SELECT
  pop.person_id,
  {idx} AS index_date,
  CAST(floor(date_diff('day', pop.date_of_birth, {idx}) / 365.25) AS DOUBLE) AS age,
  CASE WHEN pop.sex = 'F' THEN 1 ELSE 0 END AS female,
  CASE WHEN pop.sex = 'F' OR pop.sex = 'M' THEN 0 ELSE 1 END AS sex_unknown,
  CAST(sa.imd_score AS DOUBLE) AS imd_score,
  CAST(sa.imd_decile AS DOUBLE) AS imd_decile,
  {cond_out},
  CAST({cond_sum} AS BIGINT) AS ltc_count,
  CAST(coalesce(act.em12, 0) AS BIGINT) AS emergency_admissions_12m,
  CAST(coalesce(act.em24, 0) AS BIGINT) AS emergency_admissions_13_24m,
  CAST(coalesce(date_diff('day', act.last_em, {idx}), {never}) AS BIGINT) AS days_since_emergency,
  CAST(coalesce(act.el12, 0) AS BIGINT) AS elective_admissions_12m,
  CAST(coalesce(act.bed12, 0) AS BIGINT) AS bed_days_12m,
  CAST(coalesce(act.ae12, 0) AS BIGINT) AS ae_attendances_12m,
  CAST(coalesce(act.amb12, 0) AS BIGINT) AS ambulance_12m,
  CAST(coalesce(act.op12, 0) AS BIGINT) AS outpatient_12m,
  CAST(coalesce(act.com12, 0) AS BIGINT) AS community_12m,
  CAST(coalesce(act.gp12, 0) AS BIGINT) AS gp_12m,
  CAST(coalesce(act.sc12, 0) AS BIGINT) AS social_care_12m,
  CAST(coalesce(act.dis_s, 0) AS BIGINT) AS discharges_30d,
  CAST(coalesce(act.dis_l, 0) AS BIGINT) AS discharges_90d
FROM pop
LEFT JOIN act ON act.person_id = pop.person_id
LEFT JOIN k ON k.person_id = pop.person_id
LEFT JOIN hx ON hx.person_id = pop.person_id
LEFT JOIN small_area sa ON sa.area_code = pop.area_code
"""


def outcome_sql(index: date, months: int) -> str:
    """Emergency admissions of each person in the ``months`` from ``index`` (the label)."""
    end = add_months(index, months)
    return f"""
SELECT l.person_id, count(*) AS emergency_admissions
FROM activity a
JOIN person_link l ON a.source_system = l.source_system AND a.record_id = l.record_id
WHERE {EMERGENCY_SQL} AND a.start_date >= {date_literal(index)} AND a.start_date < {date_literal(end)}
GROUP BY l.person_id
"""


def labelled_sql(features_table: str, index: date, months: int) -> str:
    """Features joined to the outcome: ``outcome`` is 1 for at least one emergency admission."""
    return f"""
SELECT f.*, CASE WHEN o.emergency_admissions > 0 THEN 1 ELSE 0 END AS outcome
FROM {features_table} f
LEFT JOIN ({outcome_sql(index, months)}) o ON o.person_id = f.person_id
"""

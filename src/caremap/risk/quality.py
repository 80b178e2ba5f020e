"""What the features could not use: unknown codes and data gaps, counted and reported.

Nothing is dropped silently. For an index date this reports (as small aggregate tables):

* ``risk_feature_quality``: people in the population, people with no activity, people with
  no sex, age or deprivation recorded, activity and condition rows that no person links to;
* ``risk_unknown_codes``: inpatient rows whose admission method and point of delivery say
  neither emergency nor planned (so they count in no admission feature), and condition rows
  whose ICD-10 code is not one of the condition's codes (the condition still counts).

The ICD-10 code groups of each condition are `caremap.risk.features.ICD10_GROUPS`.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from caremap.core.sql import quote_str
from caremap.core.workspace import Workspace
from caremap.risk.config import FeatureConfig
from caremap.risk.features import EMERGENCY_SQL, ICD10_GROUPS, PLANNED_SQL, Windows, date_literal


def _code_ok_sql() -> str:
    parts = []
    for cond, prefixes in ICD10_GROUPS.items():
        lst = ", ".join(quote_str(p) for p in prefixes)
        parts.append(
            f"WHEN {quote_str(cond)} THEN substr(replace(upper(c.code), '.', ''), 1, 3) IN ({lst})"
        )
    return "CASE c.condition " + " ".join(parts) + " ELSE false END"


def quality_report(
    ws: Workspace, index: date, fc: FeatureConfig, features: str
) -> tuple[pa.Table, pa.Table]:
    """(quality, unknown_codes) for the features in table ``features`` built at ``index``."""
    w = Windows.at(index, fc)
    idx, s24 = date_literal(w.index), date_literal(w.start_24)
    window = f"a.start_date < {idx} AND a.start_date >= {s24}"
    people = ws.sql(
        f"""
SELECT count(*) AS population,
  sum(CASE WHEN emergency_admissions_12m + emergency_admissions_13_24m + elective_admissions_12m
      + ae_attendances_12m + ambulance_12m + outpatient_12m + community_12m + gp_12m
      + social_care_12m = 0 THEN 1 ELSE 0 END) AS without_activity,
  sum(sex_unknown) AS sex_unknown,
  sum(CASE WHEN age IS NULL THEN 1 ELSE 0 END) AS age_unknown,
  sum(CASE WHEN imd_score IS NULL THEN 1 ELSE 0 END) AS deprivation_unknown
FROM {features}"""
    ).to_pylist()[0]
    rows = ws.sql(
        f"""
SELECT count(*) AS activity_rows,
  sum(CASE WHEN l.person_id IS NULL THEN 1 ELSE 0 END) AS activity_unlinked
FROM activity a
LEFT JOIN person_link l ON a.source_system = l.source_system AND a.record_id = l.record_id
WHERE {window}"""
    ).to_pylist()[0]
    cond = ws.sql(
        """
SELECT count(*) AS condition_rows,
  sum(CASE WHEN l.person_id IS NULL THEN 1 ELSE 0 END) AS condition_unlinked
FROM condition c
LEFT JOIN person_link l ON c.source_system = l.source_system AND c.record_id = l.record_id"""
    ).to_pylist()[0]
    unknown = ws.sql(
        f"""
SELECT 'activity.admission_method/point_of_delivery' AS field,
  coalesce(a.admission_method, '(blank)') || ' / ' || coalesce(a.point_of_delivery, '(blank)')
    AS value,
  count(*) AS rows
FROM activity a
WHERE a.setting = 'inpatient' AND {window} AND NOT ({EMERGENCY_SQL}) AND NOT ({PLANNED_SQL})
GROUP BY 1, 2
UNION ALL
SELECT 'condition.code (' || c.condition || ')' AS field,
  coalesce(c.code, '(blank)') AS value, count(*) AS rows
FROM condition c
WHERE c.code IS NOT NULL AND NOT ({_code_ok_sql()})
GROUP BY 1, 2
ORDER BY rows DESC, field, value"""
    )
    measures = {**people, **rows, **cond}
    measures["unknown_code_rows"] = int(pc.sum(unknown["rows"]).as_py() or 0)
    quality = pa.table(
        {
            "index_date": pa.array([index] * len(measures), pa.date32()),
            "measure": list(measures),
            "value": pa.array([int(v or 0) for v in measures.values()], pa.int64()),
        }
    )
    unknown = pa.table(
        {
            "index_date": pa.array([index] * unknown.num_rows, pa.date32()),
            "field": unknown["field"],
            "value": unknown["value"],
            "rows": unknown["rows"].cast(pa.int64()),
        }
    )
    return quality, unknown

"""Evaluation against the synthetic economy's planted failures (reads ground truth).

Each planted failure is ``detected`` (the criterion is not met, or the outcome is above the
funnel), ``no evidence`` (too few cases to judge) or ``missed``.
"""

from __future__ import annotations

from caremap.core.workspace import Workspace

TRUTH_TABLE = "truth.standards_failure"


def planted_failures(ws: Workspace) -> list[dict]:
    """One row per planted failure with how the pipeline judged it."""
    ws.require(TRUTH_TABLE, "standards_compliance")
    outcome = (
        "LEFT JOIN standards_outcome o ON o.site_code = f.site_code "
        "AND f.criterion_id = o.indicator"
        if ws.has_table("standards_outcome")
        else ""
    )
    pos = "o.position" if outcome else "CAST(NULL AS VARCHAR)"
    return ws.sql(
        f"""
SELECT f.site_code, f.service, f.criterion_id, c.status, {pos} AS position,
  CASE WHEN c.status = 'not met' OR {pos} LIKE 'high%' THEN 'detected'
       WHEN c.status = 'no evidence' OR {pos} = 'too few cases' OR {pos} IS NULL
            AND c.status IS NULL THEN 'no evidence'
       ELSE 'missed' END AS result
FROM {TRUTH_TABLE} f
LEFT JOIN standards_compliance c ON c.site_code = f.site_code AND c.service = f.service
  AND c.criterion_id = f.criterion_id
{outcome}
ORDER BY f.service, f.site_code, f.criterion_id"""
    ).to_pylist()

"""Linkage quality tables, written after every run (counts only, no identifiers).

* ``link_quality(metric, source_system, value)`` - by source: records, share linked to a
  record of another source, share in a multi-record person, share linked deterministically,
  share unlinkable; overall (source_system 'all'): records, persons, the run's pair counts
  and the model's own estimates of pairwise precision and recall.
* ``link_cluster_sizes(cluster_size, persons, records)`` - the distribution of records per
  person.
* ``link_unlinked(source_system, reason, records)`` - records left alone, and why.
"""

from __future__ import annotations

import pyarrow as pa

from caremap.core.workspace import Workspace

BY_SOURCE_SQL = """
WITH p AS (
  SELECT person_id, count(*) AS n, count(DISTINCT source_system) AS n_sources
  FROM person_link GROUP BY person_id
), r AS (
  SELECT pl.source_system, p.n, p.n_sources, pl.match_rule
  FROM person_link pl JOIN p USING (person_id)
), s AS (
  SELECT source_system,
    CAST(count(*) AS DOUBLE) AS records,
    avg(CASE WHEN n_sources > 1 THEN 1.0 ELSE 0.0 END) AS share_linked_to_other_source,
    avg(CASE WHEN n > 1 THEN 1.0 ELSE 0.0 END) AS share_in_multi_record_person,
    avg(CASE WHEN match_rule LIKE 'deterministic%' THEN 1.0 ELSE 0.0 END)
      AS share_linked_deterministically,
    avg(CASE WHEN match_rule LIKE 'unlinkable%' THEN 1.0 ELSE 0.0 END) AS share_unlinkable
  FROM r GROUP BY source_system
)
SELECT source_system, 'records' AS metric, records AS value FROM s
UNION ALL SELECT source_system, 'share_linked_to_other_source', share_linked_to_other_source
  FROM s
UNION ALL SELECT source_system, 'share_in_multi_record_person', share_in_multi_record_person
  FROM s
UNION ALL SELECT source_system, 'share_linked_deterministically',
  share_linked_deterministically FROM s
UNION ALL SELECT source_system, 'share_unlinkable', share_unlinkable FROM s
"""

CLUSTER_SIZES_SQL = """
SELECT CAST(n AS INTEGER) AS cluster_size, CAST(count(*) AS BIGINT) AS persons,
  CAST(sum(n) AS BIGINT) AS records
FROM (SELECT person_id, count(*) AS n FROM person_link GROUP BY person_id) c
GROUP BY n ORDER BY n
"""

UNLINKED_SQL = """
SELECT pl.source_system, pl.match_rule AS reason, CAST(count(*) AS BIGINT) AS records
FROM person_link pl
JOIN (SELECT person_id FROM person_link GROUP BY person_id HAVING count(*) = 1) s
  USING (person_id)
GROUP BY pl.source_system, pl.match_rule
ORDER BY pl.source_system, records DESC
"""


def write_quality(ws: Workspace, stats: dict[str, float]) -> None:
    """Write the three quality tables (see the module docstring)."""
    ws.create_table_as("link_cluster_sizes", CLUSTER_SIZES_SQL)
    ws.create_table_as("link_unlinked", UNLINKED_SQL)
    overall = {
        "records": float(ws.scalar("SELECT count(*) FROM person_link")),
        "persons": float(ws.scalar("SELECT count(DISTINCT person_id) FROM person_link")),
        **stats,
    }
    by_source = ws.sql(BY_SOURCE_SQL)
    table = pa.concat_tables(
        [
            pa.table(
                {
                    "metric": by_source.column("metric").cast(pa.string()),
                    "source_system": by_source.column("source_system").cast(pa.string()),
                    "value": by_source.column("value").cast(pa.float64()),
                }
            ),
            pa.table(
                {
                    "metric": pa.array(list(overall), pa.string()),
                    "source_system": pa.array(["all"] * len(overall), pa.string()),
                    "value": pa.array([float(v) for v in overall.values()], pa.float64()),
                }
            ),
        ]
    )
    ws.write_table("link_quality", table)


REVIEW_TABLE = "link_review"


def write_review(ws: Workspace, review: pa.Table | None) -> None:
    """``link_review(source_system_l, record_id_l, source_system_r, record_id_r,
    match_probability, reason)``: record pairs for an analyst to look at, by record id only
    (no demographics): NHS numbers that agree on records that disagree on name, date of birth
    and sex (refused: another person's number), and records linked despite two different
    valid NHS numbers (one person, one number mis-keyed)."""
    if review is None:
        review = pa.table(
            {
                "uid_l": pa.array([], pa.int64()),
                "uid_r": pa.array([], pa.int64()),
                "match_probability": pa.array([], pa.float64()),
                "reason": pa.array([], pa.string()),
            }
        )
    ws.register_temp("_link_review_pairs", review)
    try:
        ws.create_table_as(
            REVIEW_TABLE,
            """
            SELECT l.source AS source_system_l, l.record_id AS record_id_l,
              r.source AS source_system_r, r.record_id AS record_id_r,
              p.match_probability, p.reason
            FROM _link_review_pairs p
            JOIN link_input l ON l.uid = p.uid_l JOIN link_input r ON r.uid = p.uid_r
            ORDER BY p.reason, l.source, l.record_id
            """,
        )
    finally:
        ws.unregister_temp("_link_review_pairs")

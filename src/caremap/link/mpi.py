"""The master person index: ``person_link`` (record -> person) and ``person`` (golden record).

Golden demographics: for each field, the value from the best-ranked source that holds a
usable value (junk and placeholders excluded), most recent record first
(`LinkConfig.source_rank`); the NHS number is the valid one; ``area_code`` comes from the
golden postcode through the ``postcode`` table (old postcodes included).
"""

from __future__ import annotations

from caremap.core.sql import quote_str
from caremap.core.workspace import Workspace
from caremap.link.config import LinkConfig
from caremap.link.linkage import RULE_TEXT

ASSIGNMENT_VIEW = "_link_assignment"


def _rule_case() -> str:
    cases = " ".join(f"WHEN {k} THEN {quote_str(v)}" for k, v in RULE_TEXT.items())
    return (
        "coalesce('unlinkable: ' || i.unusable_reason, "
        f"CASE WHEN a.rule = 0 AND i.unusable_reason IS NULL THEN {quote_str(RULE_TEXT[0])} "
        f"ELSE CASE a.rule {cases} END END)"
    )


def person_link_full_sql(previous: bool = False) -> str:
    """person_link for a full run: person ids 1..K in order of each cluster's first record;
    with a ``previous`` person_link, ids are kept stable across reruns (see
    `person_link_rerun_sql`)."""
    if previous:
        return person_link_rerun_sql()
    return f"""
SELECT i.source AS source_system, i.record_id,
  CAST(dense_rank() OVER (ORDER BY a.cluster) AS BIGINT) AS person_id,
  CAST(a.match_probability AS DOUBLE) AS match_probability,
  {_rule_case()} AS match_rule
FROM link_input i JOIN {ASSIGNMENT_VIEW} a USING (uid)
"""


def person_link_rerun_sql() -> str:
    """A full rerun over an existing index: each new cluster keeps the previous person id
    held by most of its records, when it is also the cluster holding most of that id's
    records (so an id never splits across two persons); other clusters get new ids after the
    largest previous one."""
    return f"""
WITH a AS (
  SELECT a.uid, a.cluster, a.match_probability, a.rule, i.source, i.record_id,
         i.unusable_reason
  FROM {ASSIGNMENT_VIEW} a JOIN link_input i USING (uid)
), votes AS (
  SELECT a.cluster, o.person_id AS old_id, count(*) AS n
  FROM a JOIN person_link o ON o.source_system = a.source AND o.record_id = a.record_id
  GROUP BY a.cluster, o.person_id
), ranked AS (
  SELECT cluster, old_id,
    row_number() OVER (PARTITION BY old_id ORDER BY n DESC, cluster) AS r_old,
    row_number() OVER (PARTITION BY cluster ORDER BY n DESC, old_id) AS r_cluster
  FROM votes
), keep AS (
  SELECT cluster, old_id FROM ranked WHERE r_old = 1 AND r_cluster = 1
), fresh AS (
  SELECT cluster,
    (SELECT coalesce(max(person_id), 0) FROM person_link)
      + dense_rank() OVER (ORDER BY cluster) AS new_id
  FROM (SELECT DISTINCT cluster FROM a) c
  WHERE cluster NOT IN (SELECT cluster FROM keep)
)
SELECT a.source AS source_system, a.record_id,
  CAST(coalesce(keep.old_id, fresh.new_id) AS BIGINT) AS person_id,
  CAST(a.match_probability AS DOUBLE) AS match_probability,
  {_rule_case().replace("i.unusable_reason", "a.unusable_reason")} AS match_rule
FROM a LEFT JOIN keep USING (cluster) LEFT JOIN fresh USING (cluster)
"""


def person_link_incremental_sql(first_new_uid: int) -> str:
    """person_link rows for the new records of an incremental run: the existing person of
    their cluster, else new ids after the largest existing one."""
    return f"""
WITH a AS (
  SELECT a.uid, a.cluster, a.match_probability, a.rule, i.source, i.record_id,
         i.unusable_reason
  FROM {ASSIGNMENT_VIEW} a JOIN link_input i USING (uid)
), old AS (
  SELECT a.cluster, min(pl.person_id) AS person_id
  FROM a JOIN person_link pl ON pl.source_system = a.source AND pl.record_id = a.record_id
  WHERE a.uid < {int(first_new_uid)}
  GROUP BY a.cluster
), fresh AS (
  SELECT cluster,
    (SELECT coalesce(max(person_id), 0) FROM person_link)
      + dense_rank() OVER (ORDER BY cluster) AS person_id
  FROM (SELECT DISTINCT cluster FROM a WHERE uid >= {int(first_new_uid)}) c
  WHERE cluster NOT IN (SELECT cluster FROM old)
)
SELECT a.source AS source_system, a.record_id,
  CAST(coalesce(old.person_id, fresh.person_id) AS BIGINT) AS person_id,
  CAST(a.match_probability AS DOUBLE) AS match_probability,
  {_rule_case().replace("i.unusable_reason", "a.unusable_reason")} AS match_rule
FROM a LEFT JOIN old USING (cluster) LEFT JOIN fresh USING (cluster)
WHERE a.uid >= {int(first_new_uid)}
"""


def person_sql(config: LinkConfig, has_postcode_table: bool) -> str:
    """The golden record per person (see the module docstring)."""
    ranks = " ".join(f"WHEN {quote_str(s)} THEN {i}" for i, s in enumerate(config.source_rank))
    key = (
        f"(CASE pl.source_system {ranks} ELSE {len(config.source_rank)} END) * 100000 "
        "- coalesce(date_diff('day', DATE '1900-01-01', s.record_date), 0)"
    )

    def best(value: str, usable: str, name: str) -> str:
        return f"min_by({value}, k) FILTER (WHERE {usable} IS NOT NULL) AS {name}"

    area = (
        "LEFT JOIN postcode pcd ON pcd.postcode = g.postcode"
        if has_postcode_table
        else "LEFT JOIN (SELECT CAST(NULL AS VARCHAR) AS postcode, "
        "CAST(NULL AS VARCHAR) AS area_code) pcd ON pcd.postcode = g.postcode"
    )
    return f"""
WITH r AS (
  SELECT pl.person_id, pl.source_system, i.nhs, i.given, i.family, i.dob, i.sex,
    i.postcode, s.given_name, s.family_name, s.practice_code, s.date_of_death, {key} AS k
  FROM person_link pl
  JOIN link_input i ON i.source = pl.source_system AND i.record_id = pl.record_id
  JOIN source_record s ON s.source_system = pl.source_system
    AND CAST(s.record_id AS VARCHAR) = pl.record_id
), g AS (
  SELECT person_id,
    {best("nhs", "nhs", "nhs_number")},
    {best("given_name", "given", "given_name")},
    {best("family_name", "family", "family_name")},
    {best("dob", "dob", "date_of_birth")},
    {best("sex", "sex", "sex")},
    {best("postcode", "postcode", "postcode")},
    {best("practice_code", "practice_code", "practice_code")},
    max(date_of_death) AS date_of_death,
    CAST(count(*) AS INTEGER) AS n_records,
    string_agg(DISTINCT source_system, ',' ORDER BY source_system) AS sources
  FROM r GROUP BY person_id
)
SELECT g.person_id, g.nhs_number, g.given_name, g.family_name, g.date_of_birth,
  coalesce(g.sex, 'U') AS sex, g.postcode, pcd.area_code, g.practice_code, g.date_of_death,
  g.n_records, g.sources
FROM g {area}
"""


def write_person(ws: Workspace, config: LinkConfig) -> None:
    ws.create_table_as("person", person_sql(config, ws.has_table("postcode")))

"""TEST/BENCHMARK SHORTCUT: a perfectly linked record made from the synthetic ground truth.

`caremap link` builds ``person`` and ``person_link`` from the source records; risk tests that
need a linked economy without depending on linkage use this instead. Never used by caremap.
"""

from __future__ import annotations


def link_from_truth(ws) -> None:
    """``person`` and ``person_link`` as a perfect linkage would make them."""
    ws.create_table_as(
        "person_link",
        "SELECT source_system, record_id, person_key AS person_id, 1.0 AS match_probability, "
        "'truth shortcut (tests only)' AS match_rule FROM truth.record_person",
    )
    ws.create_table_as(
        "person",
        """
SELECT p.person_key AS person_id, p.nhs_number, p.given_name, p.family_name, p.date_of_birth,
  p.sex, p.postcode, p.area_code, p.practice_code, p.date_of_death,
  CAST(coalesce(n.n, 0) AS INTEGER) AS n_records, n.sources
FROM truth.person p
LEFT JOIN (SELECT person_key, count(*) AS n, string_agg(DISTINCT source_system, ',') AS sources
           FROM truth.record_person GROUP BY person_key) n ON n.person_key = p.person_key
""",
    )

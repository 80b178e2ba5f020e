"""The two peers caremap's linkage is measured against, on the same workspace.

* plain Splink: Splink's documented comparisons (NameComparison, DateOfBirthComparison,
  PostcodeComparison, exact NHS number and sex), u by random sampling, m by EM, connected
  components at match probability 0.95 - what an analyst gets following Splink's tutorial,
  on the same cleaned inputs as ours (placeholder NHS numbers, junk names and default dates
  of birth removed by `caremap.link.prepare`).
  With ``large=True`` (the 1M-record scale run) it is sized the way Splink's documentation
  advises for large inputs: the name blocking rule narrowed by year of birth and EM capped at
  1M blocked pairs (the tutorial rules generate about 280M pairs on 1M synthetic records);
* deterministic: two rules, same NHS number, or same given name + family name + date of
  birth, joined by connected components.

Each writes a record -> cluster table (source_system, record_id, cluster_id) for
`caremap.link.evaluate.evaluate_assignment`.
"""

from __future__ import annotations

import logging

import duckdb

from caremap.core.workspace import Workspace
from caremap.link.cluster import connected_components

RAW = """
SELECT CAST(row_number() OVER (ORDER BY source_system, record_id) - 1 AS BIGINT) AS unique_id,
  source_system, record_id, nullif(replace(nhs_number, ' ', ''), '') AS nhs_number,
  upper(given_name) AS given_name, upper(family_name) AS family_name, date_of_birth,
  postcode, sex
FROM source_record
"""

# The same records after caremap's cleaning (placeholders and junk as missing values).
CLEAN = """
SELECT uid AS unique_id, source AS source_system, record_id, nhs AS nhs_number,
  given AS given_name, family AS family_name, dob AS date_of_birth, postcode, sex
FROM _bench_clean ORDER BY uid
"""


def _clean(ws: Workspace):
    from caremap.link.config import LinkConfig
    from caremap.link.prepare import prepare_sql, register_names, source_record_relation

    rel = source_record_relation()
    register_names(ws, rel)
    ws.create_table_as("_bench_clean", prepare_sql(rel, LinkConfig()))
    return ws.sql(CLEAN)


def deterministic_baseline(ws: Workspace, table: str = "bench_deterministic") -> None:
    raw = ws.sql(RAW)
    ws.register_temp("_bench_raw", raw)
    edges = ws.sql(
        """
        SELECT unique_id AS l, min(unique_id) OVER (PARTITION BY nhs_number) AS r
        FROM _bench_raw WHERE nhs_number IS NOT NULL
        UNION ALL
        SELECT unique_id, min(unique_id) OVER (PARTITION BY given_name, family_name,
          date_of_birth) FROM _bench_raw
        WHERE given_name IS NOT NULL AND family_name IS NOT NULL AND date_of_birth IS NOT NULL
        """
    )
    labels = connected_components(
        raw.num_rows, edges.column("l").to_numpy(), edges.column("r").to_numpy()
    )
    _write(ws, table, raw, labels)


def plain_splink(
    ws: Workspace, table: str = "bench_splink", memory_limit: str = "2GB", large: bool = False
) -> None:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    raw = _clean(ws)
    con = duckdb.connect(":memory:", config={"memory_limit": memory_limit})
    api = DuckDBAPI(con)
    sdf = api.register(raw.drop_columns(["source_system", "record_id"]), table_name="raw")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("family_name"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=False),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("nhs_number"),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("nhs_number"),
            block_on("date_of_birth"),
            block_on("given_name", "family_name", "year(date_of_birth)")
            if large
            else block_on("given_name", "family_name"),
            block_on("postcode", "family_name"),
        ],
    )
    linker = Linker(sdf, settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nhs_number"), block_on("given_name", "family_name", "date_of_birth")],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e5, seed=1)
    for rule in (block_on("date_of_birth"), block_on("given_name", "family_name")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, **({"max_pairs": 1e6, "record_sample_proportion": 0.05} if large else {})
        )
    pred = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.95)
    got = con.sql(
        f"SELECT unique_id, cluster_id FROM {clusters.physical_name} ORDER BY unique_id"
    ).to_arrow_table()
    labels = got.column("cluster_id").to_numpy(zero_copy_only=False)
    con.close()
    _write(ws, table, raw, labels)


def _write(ws: Workspace, table: str, raw, labels) -> None:
    import pyarrow as pa

    ws.write_table(
        table,
        pa.table(
            {
                "source_system": raw.column("source_system"),
                "record_id": raw.column("record_id"),
                "cluster_id": pa.array(labels).cast(pa.string()),
            }
        ),
    )

"""caremap.core: what every capability stands on (see docs/architecture.md).

* `workspace` (`open_workspace`, `Workspace`; DuckDB in `duckdb_workspace`, Spark in
  `spark_workspace`), portable SQL (`sql`);
* the data model (`schema`, `schema_ext/`), ingestion with quarantine (`ingest`,
  `extract_reader`), NHS codes (`codes`), `status`;
* configs (`config`: `Config`, `load_config`; `yamldoc`), step results (`result`), the
  capability manifest (`manifest`), errors (`errors`), shared statistics (`stats/`).

Core imports no capability.
"""

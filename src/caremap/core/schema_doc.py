"""Render the data model as Markdown (``python -m caremap.core.schema_doc > docs/data-model.md``)."""

from __future__ import annotations

from caremap.core import schema

INTRO = """# The caremap data model

Generated from `src/caremap/core/schema.py` (and `core/schema_ext/`) by
`python -m caremap.core.schema_doc > docs/data-model.md`; a test keeps it current.

These are the tables caremap reads. Source systems deliver extracts of them (CSV or Parquet,
one table per file, named after the table: `activity.csv`, `activity__2024-03.parquet`), which
`caremap ingest` validates and loads. Pipeline steps write their own result tables (prefixed
with the capability: `needs_indicator`, `risk_score`, ...; linkage writes `person` and
`person_link`), described in each capability's page under `docs/`.

* **key**: the primary key; a row whose key is already loaded replaces the old row.
* **check**: the code validator applied on ingest (`nhs_number`: Modulus 11; `postcode`: UK
  format; `icd10`, `opcs4`: code formats; `sex`: M/F/U or NHS codes 1/2/0/9; a `_soft` check
  keeps the value and records validity in a derived column instead of quarantining the row).
* **PID**: person-identifiable; never leaves the workspace except through a role that may see it.
* Ground truth of the synthetic economy is in the `truth` schema; no pipeline step reads it.
* Dates are `YYYY-MM-DD` or `DD/MM/YYYY`; coordinates are metres (easting/northing).
"""


def render() -> str:
    out = [INTRO]
    for spec in schema.all_tables():
        out.append(f"\n## `{spec.qualified}`\n\n{spec.description}\n")
        out.append(f"key: {', '.join(spec.key)}\n")
        out.append("| column | type | required | check / allowed | PID | notes |")
        out.append("|---|---|---|---|---|---|")
        for c in spec.columns:
            rule = c.check or (", ".join(c.allowed) if c.allowed else "")
            out.append(
                f"| {c.name} | {c.type} | {'yes' if c.required else ''} | {rule} | "
                f"{'PID' if c.pid else ''} | {c.description} |"
            )
        for c in spec.derived:
            out.append(f"| {c.name} | {c.type} | derived on ingest |  |  | {c.description} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")

"""Render the data model as Markdown (``python -m caremap.core.schema_doc > docs/data-model.md``)."""

from __future__ import annotations

from caremap.core import plausibility, schema

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

## Ingest

`caremap ingest PATH` loads a file, or every extract in a folder, all or nothing: any error
leaves the workspace as it was. What it reads:

* **Files**: `.csv`, `.parquet`, gzip (`.csv.gz`, `.gz`) and zip holding one file (`.zip`,
  `.csv.zip`); compression and Parquet are recognised by their content whatever the name.
  Nothing is unpacked to disk. In a folder, links are not followed: one to a file inside the
  folder is that file, one to anywhere else is refused, so nothing outside what was named is
  read.
* **Text**: UTF-8 by default, or `--encoding` (`cp1252` for most Windows files, `utf-16`,
  `latin-1`, ...). A byte-order mark, or the zero bytes of UTF-16/UTF-32 text, decide over
  `--encoding`. Text that does not decode is refused with its row and field and a hint;
  text read as `latin-1` that holds the control characters cp1252 uses for ’ “ – € is refused
  with a hint to pass `--encoding cp1252`.
* **Rows**: CR, LF and CRLF line ends; a quoted value may hold a line end. Row numbers are
  those a spreadsheet shows (the header is row 1; for Parquet the first row is 1). Blank lines,
  and lines of separators only, are not rows.
* **Values**, each whole (no trailing characters): numbers in decimal or exponent notation
  and finite (`inf`, `NaN`, `1e400` are refused); whole numbers for integer columns (`42` or
  `42.0`); dates `YYYY-MM-DD` (a time after it is dropped) or `DD/MM/YYYY`; date-times
  `YYYY-MM-DD HH:MM[:SS]` without a time-zone offset.
* **Plausibility**: rules per table (`caremap.core.plausibility`) bound a column by a number,
  a date, `today` (the day of the load) or another column of the row; `--rules FILE` (YAML or
  JSON) replaces the rules of each table it names. The defaults are below.

A row that fails any check goes to the `quarantine` table with file, row, field and reason;
`load_log` records, for every file, read = loaded + quarantined.

| table | column | not before / below | not after / above |
|---|---|---|---|
"""


def _rules() -> str:
    rows = []
    for table, rules in plausibility.DEFAULT_RULES.items():
        for r in rules:
            lo, hi = (
                "" if b is None else f"{b:g}" if isinstance(b, float) else b for b in (r.min, r.max)
            )
            rows.append(f"| {table} | {r.column} | {lo} | {hi} |")
    return "\n".join(rows) + "\n"


def render() -> str:
    out = [INTRO + _rules()]
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

"""Standalone linkage of CSV/Parquet files that are not in a workspace (`caremap link-files`).

One file is de-duplicated; two or more are linked (and de-duplicated unless ``one_to_one``).
Output: one row per input record with

* ``source_file`` - the input file's name, ``source_row`` - 1-based data row in that file,
* ``record_id`` - the mapped record id column (else ``source_row`` as text),
* ``cluster_id`` - the same number for records of the same person (1, 2, ...),
* ``match_probability`` - the strongest accepted pair linking the record into its cluster
  (1.0 for the deterministic NHS number + date of birth pass, empty when alone),
* ``match_rule`` - which pass linked it, or why it could not be linked.

Input values are never copied to the output, so it holds no person-identifiable data beyond
the record id.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from caremap.core.errors import InputError
from caremap.core.workspace import open_workspace
from caremap.link.config import FileLinkConfig
from caremap.link.evidence import check_evidence
from caremap.link.linkage import RULE_TEXT, run_linkage
from caremap.link.prepare import RAW_COLUMNS, prepare_sql, register_names

DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d")


def read_table(path: Path) -> pa.Table:
    """Read a CSV (all columns as text) or Parquet file; clear errors for bad files."""
    if not path.exists():
        raise InputError("no such file", file=str(path))
    try:
        if path.name.lower().endswith(".parquet"):
            table = pq.read_table(path)
        else:
            head = pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 16))
            opts = pacsv.ConvertOptions(
                column_types=dict.fromkeys(head.column_names, pa.string()),
                strings_can_be_null=True,
            )
            table = pacsv.read_csv(path, convert_options=opts)
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "Empty CSV file" in msg:
            raise InputError("file is empty (no header row)", file=str(path)) from None
        raise InputError(f"cannot read file: {msg.splitlines()[0]}", file=str(path)) from None
    if table.num_rows == 0:
        raise InputError("file has a header but no rows", file=str(path))
    return table


def _text(col: pa.ChunkedArray) -> pa.ChunkedArray:
    col = col.cast(pa.string()) if not pa.types.is_string(col.type) else col
    return pc.utf8_trim_whitespace(col)


def _dates(col: pa.ChunkedArray, fmt: str | None) -> pa.ChunkedArray:
    if pa.types.is_date(col.type):
        return col.cast(pa.date32())
    if pa.types.is_timestamp(col.type):
        return col.cast(pa.date32())
    text = _text(col)
    formats = (fmt,) if fmt else DATE_FORMATS
    best, best_n = None, -1
    for f in formats:
        parsed = pc.strptime(text, format=f, unit="s", error_is_null=True)
        n = len(parsed) - parsed.null_count
        if n > best_n:
            best, best_n = parsed, n
    return best.cast(pa.date32())  # type: ignore[union-attr]


def map_file(table: pa.Table, path: Path, config: FileLinkConfig) -> pa.Table:
    """The file's rows under the standard raw column names (see `caremap.link.prepare`)."""
    missing = []
    for role, spec in config.columns.items():
        for c in [spec] if isinstance(spec, str) else spec:
            if c not in table.column_names:
                missing.append(f"{role}={c}")
    if missing:
        raise InputError(
            f"column map names columns the file does not have: {', '.join(missing)}; "
            f"the file has: {', '.join(table.column_names)}",
            file=str(path),
            field=missing[0].split("=", 1)[1],
        )
    n = table.num_rows

    def col(role: str):
        spec = config.columns.get(role)
        if spec is None:
            return None
        names = [spec] if isinstance(spec, str) else spec
        parts = [pc.fill_null(_text(table.column(c)), "") for c in names]
        joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, " ")
        return pc.if_else(pc.equal(pc.utf8_trim_whitespace(joined), ""), None, joined)

    def date_col(role: str):
        spec = config.columns.get(role)
        if spec is None:
            return pa.nulls(n, pa.date32())
        return _dates(table.column(spec if isinstance(spec, str) else spec[0]), config.date_format)

    def dob_text():
        """The date of birth's digits as YYYY-MM-DD where they do not make a date (kept for
        character comparison), in the order of the date format (year first unless the
        format starts with the day)."""
        spec = config.columns.get("date_of_birth")
        col_ = table.column(spec if isinstance(spec, str) else spec[0]) if spec else None
        if col_ is None or pa.types.is_date(col_.type) or pa.types.is_timestamp(col_.type):
            return pa.nulls(n, pa.string())
        digits = pc.replace_substring_regex(_text(col_), r"[^0-9]", "")
        ok = pc.fill_null(pc.match_substring_regex(digits, r"^[0-9]{8}$"), False)
        day_first = (config.date_format or "%Y").startswith("%d")
        y, m, d = (4, 2, 0) if day_first else (0, 4, 6)
        parts = [pc.utf8_slice_codeunits(digits, k, k + w) for k, w in ((y, 4), (m, 2), (d, 2))]
        iso = pc.binary_join_element_wise(*parts, "-")
        return pc.if_else(ok, iso, pa.scalar(None, pa.string()))

    rows = pa.array(range(1, n + 1), pa.int64())
    rid = col("record_id")
    if rid is not None:
        if rid.null_count:
            raise InputError("record id is empty on some rows", file=str(path), field="record_id")
        if len(pc.unique(rid)) != n:
            raise InputError("record ids are not unique", file=str(path), field="record_id")
    out = {
        "source": pa.array([path.name] * n, pa.string()),
        "record_id": rid if rid is not None else pc.cast(rows, pa.string()),
        "nhs_raw": col("nhs_number"),
        "token_raw": col("nhs_token"),
        "ident_raw": col("identifier"),
        "given_raw": col("given_name"),
        "family_raw": col("family_name"),
        "dob": date_col("date_of_birth"),
        "dob_text_raw": dob_text(),
        "sex_raw": col("sex"),
        "postcode_raw": col("postcode"),
        "address_raw": col("address"),
        "area_raw": col("area"),
        "record_date": date_col("record_date"),
    }
    arrays = {k: (v if v is not None else pa.nulls(n, pa.string())) for k, v in out.items()}
    arrays["source_row"] = rows
    return pa.table(arrays).select([*RAW_COLUMNS, "source_row"])


def link_files(
    paths: list[str | os.PathLike], config: FileLinkConfig, out: str | os.PathLike | None = None
) -> pa.Table:
    """Link or de-duplicate ``paths``; returns (and writes to ``out``, CSV or Parquet) one row
    per input record with its cluster id (columns in the module docstring)."""
    if not paths:
        raise InputError("give at least one file to link")
    files = [Path(p) for p in paths]
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise InputError("input files must have different names", file=str(files[0]))
    mapped = [map_file(read_table(f), f, config) for f in files]
    check_evidence(set(config.columns), str(files[0]))
    raw = pa.concat_tables(mapped)
    link_cfg = config.link
    if config.one_to_one and len(files) > 1:
        link_cfg = link_cfg.model_copy(update={"duplicate_free_sources": names})
    with open_workspace(":memory:", memory_limit=link_cfg.memory_limit) as ws:
        ws.register_temp("link_raw", raw)
        relation = "SELECT * FROM link_raw"
        register_names(ws, relation)
        ws.create_table_as("link_input", prepare_sql(relation, link_cfg))
        result = run_linkage(ws, link_cfg, "link_input")
        ws.register_temp("link_assignment", result.assignment)
        cases = " ".join(f"WHEN {k} THEN '{v}'" for k, v in RULE_TEXT.items())
        table = ws.sql(
            f"""
            SELECT i.source AS source_file, r.source_row, i.record_id,
              CAST(dense_rank() OVER (ORDER BY a.cluster) AS BIGINT) AS cluster_id,
              a.match_probability,
              coalesce('unlinkable: ' || i.unusable_reason, CASE a.rule {cases} END)
                AS match_rule
            FROM link_input i JOIN link_assignment a USING (uid)
            JOIN link_raw r ON r.source = i.source AND r.record_id = i.record_id
            ORDER BY i.source, r.source_row
            """
        )
    if out is not None:
        write_output(table, Path(out))
    return table


def write_output(table: pa.Table, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.name.lower().endswith(".parquet"):
        pq.write_table(table, out)
    else:
        pacsv.write_csv(table, out)

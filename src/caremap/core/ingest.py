"""Ingestion: validate CSV/Parquet extracts against the data model and load them.

Which table a file is for: ``--table`` if given, else the file name up to the first ``__`` or
``.`` (``activity.csv``, ``activity__ae_2024-03.parquet`` -> ``activity``); files in a folder
named ``truth`` load into the ``truth`` schema. Row numbers are lines of the file as a
spreadsheet shows them (the header is row 1), or for Parquet the 1-based row.

Every value is checked in the engine (`caremap.core.codes` builds the SQL): types, required
fields, closed lists, NHS numbers (Modulus 11), postcodes, sex codes, ICD-10 and OPCS-4
formats, duplicate keys. A failing row goes to the ``quarantine`` table with file, row, field
and reason; ``load_log`` records read = loaded + quarantined for every file. Rows whose key
is already in the table replace it, so loading an extract twice adds nothing. A call loads
all its files in one transaction: any error, or a kill part-way, leaves the workspace as it
was.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

from caremap.core import codes, schema
from caremap.core.errors import InputError
from caremap.core.extract_reader import read_extract
from caremap.core.extract_source import canonical_encoding
from caremap.core.plausibility import PlausibilityConfig, Rule, sql_whens
from caremap.core.sql import quote_ident, quote_str
from caremap.core.workspace import Workspace

LOAD_LOG = "load_log"
QUARANTINE = "quarantine"
SUFFIXES = (".csv.gz", ".csv.zip", ".parquet.gz", ".csv", ".parquet", ".gz", ".zip")

_LOG_DDL = (
    f"CREATE TABLE IF NOT EXISTS {LOAD_LOG} (load_id BIGINT, table_name VARCHAR, "
    "file VARCHAR, file_sha256 VARCHAR, rows_read BIGINT, rows_loaded BIGINT, "
    "rows_quarantined BIGINT, rows_replaced BIGINT, started_at TIMESTAMP, finished_at TIMESTAMP)"
)
_QUARANTINE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {QUARANTINE} (load_id BIGINT, table_name VARCHAR, "
    "file VARCHAR, row_number BIGINT, field VARCHAR, reason VARCHAR)"
)


@dataclass(frozen=True)
class LoadReport:
    """The reconciliation of one file: read = loaded + quarantined, always."""

    load_id: int
    table: str
    file: str
    read: int
    loaded: int
    quarantined: int
    replaced: int
    reasons: dict[str, int]

    def __post_init__(self) -> None:
        if self.read != self.loaded + self.quarantined:
            raise AssertionError(f"{self.file}: reconciliation failed ({self})")


def table_for_file(path: Path, table: str | None = None) -> str:
    """The canonical table a file loads into (see the module docstring)."""
    if table:
        schema.get(table)
        return table
    name = path.name
    for suf in SUFFIXES:
        if name.lower().endswith(suf):
            name = name[: -len(suf)]
            break
    base = name.split("__")[0].split(".")[0].lower()
    qualified = f"truth.{base}" if path.parent.name == "truth" else base
    try:
        schema.get(qualified)
    except KeyError:
        raise InputError(
            f"cannot tell which table this file is for: {qualified!r} is not a caremap table. "
            "Name the file after its table (e.g. activity.csv or activity__2024.csv) "
            "or pass --table",
            file=str(path),
        ) from None
    return qualified


def discover(path: Path) -> list[Path]:
    """The extract files under ``path`` (a file, or a folder searched recursively).

    Links inside a folder are not followed: one to a file in the folder is that file (found
    once, under its own name); one to anywhere else is refused, so nothing outside what the
    user named is read.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or folder", file=str(path))
    if path.is_file():
        return [path]
    root = path.resolve()
    files = []
    for here, dirs, names in os.walk(path, followlinks=False):
        for name in sorted(dirs) + sorted(names):
            p = Path(here) / name
            if p.is_symlink():
                target = p.resolve()
                if target != root and root not in target.parents:
                    raise InputError(
                        "is a link to a file or folder outside the folder named; "
                        "ingest that file itself, or copy it into the folder",
                        file=str(p),
                    )
                continue
            if name in names and name.lower().endswith(SUFFIXES):
                files.append(p)
    if not files:
        raise InputError(
            "folder holds no extract files (.csv, .parquet, .csv.gz or .zip)", file=str(path)
        )
    return sorted(files)


def ingest_path(
    ws: Workspace,
    path: str | os.PathLike,
    table: str | None = None,
    *,
    encoding: str = "utf-8",
    plausibility: PlausibilityConfig | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[LoadReport]:
    """Validate and load a file or a folder of extracts, all or nothing.

    ``plausibility`` replaces the default rules of the tables it names
    (`caremap.core.plausibility`); "today" in a rule is the day of the load.
    """
    rules = plausibility or PlausibilityConfig()
    rules.check()
    canonical_encoding(encoding)
    files = discover(Path(path))
    plan = [(f, table_for_file(f, table)) for f in files]
    today = date.today()
    reports: list[LoadReport] = []
    with ws.transaction():
        _ensure_meta(ws)
        next_id = int(ws.scalar(f"SELECT coalesce(max(load_id), 0) FROM {LOAD_LOG}")) + 1
        for i, (file, tname) in enumerate(plan):
            if progress:
                progress(str(file), i, len(plan))
            reports.append(
                _load_file(ws, file, tname, next_id + i, encoding, rules.rules_for(tname), today)
            )
            if os.environ.get("CAREMAP_FAULT_INJECT") == "after_first_file":
                os._exit(99)  # simulates a kill part-way through, for the atomicity test
    if progress:
        progress("done", len(plan), len(plan))
    return reports


def _ensure_meta(ws: Workspace) -> None:
    for ddl_name, ddl in ((LOAD_LOG, _LOG_DDL), (QUARANTINE, _QUARANTINE_DDL)):
        if not ws.has_table(ddl_name):
            _create_empty(ws, ddl_name, ddl)


def _create_empty(ws: Workspace, name: str, ddl: str) -> None:
    cols = ddl[ddl.index("(") + 1 : ddl.rindex(")")]
    select = ", ".join(
        f"CAST(NULL AS {c.strip().split(' ', 1)[1]}) AS {c.strip().split(' ', 1)[0]}"
        for c in cols.split(",")
    )
    ws.create_table_as(name, f"SELECT {select} WHERE 1 = 0")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _load_file(
    ws: Workspace,
    file: Path,
    tname: str,
    load_id: int,
    encoding: str,
    rules: list[Rule],
    today: date,
) -> LoadReport:
    spec = schema.get(tname)
    started = datetime.now(UTC).replace(tzinfo=None)
    data = read_extract(file, spec, encoding=encoding)
    stage = f"_stage_{load_id}"
    ws.register_temp(stage, data.table)
    try:
        checked = f"_checked_{load_id}"
        ws.create_table_as(checked, _validation_sql(spec, stage, data.typed, rules, today))
        reasons_sql = _reasons_union(spec, checked)
        q_rows = ws.sql(
            f"SELECT field, reason, count(*) AS n FROM ({reasons_sql}) GROUP BY field, reason"
        )
        reasons = {
            f"{f}: {r}": n
            for f, r, n in zip(
                *(q_rows.column(c).to_pylist() for c in ("field", "reason", "n")), strict=True
            )
        }
        ok = f"NOT ({' OR '.join(_failure_flags(spec))})" if _failure_flags(spec) else "TRUE"
        loaded_select = (
            "SELECT "
            + ", ".join(quote_ident(c.name) for c in (*spec.columns, *spec.derived))
            + f" FROM {checked} WHERE {ok}"
        )
        if not ws.has_table(spec.qualified):
            _create_empty(ws, spec.qualified, spec.ddl())
        loaded = int(ws.scalar(f"SELECT count(*) FROM {checked} WHERE {ok}"))
        replaced = ws.upsert(spec.qualified, loaded_select, spec.key) if loaded else 0
        quarantined_rows = (
            int(ws.scalar(f"SELECT count(*) FROM {checked} WHERE NOT ({ok})"))
            if _failure_flags(spec)
            else 0
        )
        # A re-sent file supersedes what an earlier load of it quarantined.
        ws.delete_where(
            QUARANTINE,
            f"table_name = {quote_str(tname)} AND file = {quote_str(str(file))}",
        )
        if quarantined_rows:
            ws.insert_select(
                QUARANTINE,
                f"SELECT CAST({load_id} AS BIGINT) AS load_id, {quote_str(tname)} AS table_name, "
                f"{quote_str(str(file))} AS file, CAST(_row AS BIGINT) AS row_number, field, "
                f"reason FROM ({reasons_sql}) r",
            )
        finished = datetime.now(UTC).replace(tzinfo=None)
        ws.write_table(
            LOAD_LOG,
            pa.table(
                {
                    "load_id": pa.array([load_id], pa.int64()),
                    "table_name": [tname],
                    "file": [str(file)],
                    "file_sha256": [_sha256(file)],
                    "rows_read": pa.array([data.table.num_rows], pa.int64()),
                    "rows_loaded": pa.array([loaded], pa.int64()),
                    "rows_quarantined": pa.array([quarantined_rows], pa.int64()),
                    "rows_replaced": pa.array([replaced], pa.int64()),
                    "started_at": pa.array([started], pa.timestamp("us")),
                    "finished_at": pa.array([finished], pa.timestamp("us")),
                }
            ),
            mode="append",
        )
        ws.drop_table(checked)
    finally:
        ws.unregister_temp(stage)
    return LoadReport(
        load_id=load_id,
        table=tname,
        file=str(file),
        read=data.table.num_rows,
        loaded=loaded,
        quarantined=quarantined_rows,
        replaced=replaced,
        reasons=reasons,
    )


# ---- the validation SQL -------------------------------------------------------------------

_NORMALISERS = {
    "nhs_number": codes.sql_nhs_normalised,
    "nhs_number_soft": codes.sql_nhs_normalised,
    "postcode": codes.sql_postcode_normalised,
    "postcode_soft": codes.sql_postcode_normalised,
    "icd10": codes.sql_icd10_normalised,
    "opcs4": codes.sql_opcs4_normalised,
    "sex": codes.sql_sex_normalised,
}
_VALIDATORS = {
    "nhs_number": (codes.sql_nhs_valid, "fails the NHS number Modulus 11 check"),
    "postcode": (codes.sql_postcode_valid, "is not a UK postcode (e.g. LS1 4AP)"),
    "icd10": (codes.sql_icd10_valid, "is not an ICD-10 code (e.g. J44.1 or J441)"),
    "opcs4": (codes.sql_opcs4_valid, "is not an OPCS-4 code (e.g. W37.1 or W371)"),
}
_ICD10_LIST_RE = "^[A-Z][0-9]{2}([0-9A-Z]{1,2})?(;[A-Z][0-9]{2}([0-9A-Z]{1,2})?)*$"


_MAX_DOUBLE = "1.7976931348623157e308"
_NUMBER_RE = {
    "DOUBLE": "^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$",
    "INTEGER": "^[+-]?[0-9]+([.]0*)?$",
    "BIGINT": "^[+-]?[0-9]+([.]0*)?$",
}
# The whole value, anchored: a date, optionally with a time (which a date column drops).
_ISO_RE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)?$"
_UK_DATE_RE = "^[0-9]{2}/[0-9]{2}/[0-9]{4}$"
_EXPECT = {
    "DATE": "a date (YYYY-MM-DD or DD/MM/YYYY)",
    "TIMESTAMP": "a date-time (YYYY-MM-DD HH:MM:SS)",
    "BOOLEAN": "true or false",
    "DOUBLE": "a finite number (e.g. 12.5 or 1.2e3; not inf or NaN)",
}


def _typed(col: str, type_: str) -> str:
    """SQL for the value of text ``col`` as ``type_``; NULL unless the whole text is one."""
    if type_ == "VARCHAR":
        return col
    if type_ == "DATE":
        return (
            f"(CASE WHEN regexp_matches({col}, '{_ISO_RE}') "
            f"THEN TRY_CAST(substr({col}, 1, 10) AS DATE) "
            f"WHEN regexp_matches({col}, '{_UK_DATE_RE}') "
            f"THEN TRY_CAST(substr({col}, 7, 4) || '-' || substr({col}, 4, 2) || '-' || "
            f"substr({col}, 1, 2) AS DATE) ELSE NULL END)"
        )
    if type_ == "TIMESTAMP":
        return (
            f"(CASE WHEN regexp_matches({col}, '{_ISO_RE}') THEN TRY_CAST({col} AS TIMESTAMP) END)"
        )
    if type_ == "DOUBLE":
        cast = f"TRY_CAST({col} AS DOUBLE)"
        return (
            f"(CASE WHEN regexp_matches({col}, '{_NUMBER_RE['DOUBLE']}') "
            f"AND abs({cast}) <= {_MAX_DOUBLE} THEN {cast} END)"
        )
    if type_ in _NUMBER_RE:
        return (
            f"(CASE WHEN regexp_matches({col}, '{_NUMBER_RE[type_]}') "
            f"THEN TRY_CAST({col} AS {type_}) END)"
        )
    return f"TRY_CAST({col} AS {type_})"


def _validation_sql(
    spec: schema.TableSpec, stage: str, typed: set[str], rules: list[Rule], today: date
) -> str:
    """One row per input row: normalised, typed values and a reason column per check.

    Three steps: ``n`` normalises the text (trim, codes), ``t`` types it (``v_`` columns),
    and the outer select gives each column's first failing check, plausibility last.
    """
    norm_cols, typed_cols, out_cols = [], [], []
    for c in spec.columns:
        raw = quote_ident(c.name)
        if c.name in typed:
            norm = raw
        elif c.check in _NORMALISERS:
            norm = _NORMALISERS[c.check](f"NULLIF(trim({raw}), '')")
        elif c.check == "icd10_list":
            norm = f"NULLIF(replace(replace(upper({raw}), '.', ''), ' ', ''), '')"
        else:
            norm = f"NULLIF(trim({raw}), '')"
        norm_cols.append(
            f"{norm} AS {quote_ident('n_' + c.name)}, {raw} AS {quote_ident('r_' + c.name)}"
        )
        nv = quote_ident("n_" + c.name)
        typed_cols.append(
            f"{nv if c.name in typed else _typed(nv, c.type)} AS {quote_ident('v_' + c.name)}"
        )

    def value_of(name: str) -> str:
        return quote_ident("v_" + name)

    for c in spec.columns:
        nv = quote_ident("n_" + c.name)
        rv = quote_ident("r_" + c.name)
        value = value_of(c.name)
        out_cols.append(f"{value} AS {quote_ident(c.name)}")
        reason = _reason_expr(
            c, nv, rv, value, c.name in typed, sql_whens(spec, rules, c.name, value_of, today)
        )
        out_cols.append(f"{reason} AS {quote_ident('why_' + c.name)}")
    keys = ", ".join(quote_ident("n_" + k) for k in spec.key)
    out_cols.append(
        f"CASE WHEN row_number() OVER (PARTITION BY {keys} ORDER BY _row) > 1 "
        f"THEN 'duplicate key: the same {'/'.join(spec.key)} appears on an earlier row' "
        f"END AS _why_key"
    )
    for d in spec.derived:
        out_cols.append(f"{_derived_expr(spec, d.name)} AS {quote_ident(d.name)}")
    return (
        f"WITH n AS (SELECT _row, {', '.join(norm_cols)} FROM {stage}), "
        f"t AS (SELECT *, {', '.join(typed_cols)} FROM n) "
        f"SELECT _row, {', '.join(out_cols)} FROM t"
    )


def _reason_expr(
    c: schema.Column, nv: str, rv: str, value: str, typed: bool, plausible: list[str]
) -> str:
    whens = []
    if c.required:
        whens.append(f"WHEN {nv} IS NULL THEN 'required value is missing'")
    if not typed and c.type != "VARCHAR":
        expect = _EXPECT.get(c.type, f"a number ({c.type.lower()})")
        whens.append(f"WHEN {nv} IS NOT NULL AND {value} IS NULL THEN 'is not {expect}'")
    if typed and c.type == "DOUBLE":
        whens.append(
            f"WHEN {value} IS NOT NULL AND NOT abs({value}) <= {_MAX_DOUBLE} "
            "THEN 'is not a finite number (inf or NaN)'"
        )
    if c.check == "sex":
        whens.append(
            f"WHEN {rv} IS NOT NULL AND trim({rv}) <> '' AND {nv} IS NULL "
            "THEN 'is not a sex code (M, F, U, 1, 2, 0 or 9)'"
        )
    elif c.check in _VALIDATORS:
        fn, msg = _VALIDATORS[c.check]
        whens.append(f"WHEN {nv} IS NOT NULL AND NOT {fn(nv)} THEN {quote_str(msg)}")
    elif c.check == "icd10_list":
        whens.append(
            f"WHEN {nv} IS NOT NULL AND NOT regexp_matches({nv}, '{_ICD10_LIST_RE}') "
            "THEN 'is not a list of ICD-10 codes separated by ;'"
        )
    if c.allowed:
        listed = ", ".join(quote_str(a) for a in c.allowed)
        whens.append(
            f"WHEN {nv} IS NOT NULL AND {nv} NOT IN ({listed}) "
            f"THEN {quote_str('is not one of: ' + ', '.join(c.allowed))}"
        )
    whens += plausible
    return f"(CASE {' '.join(whens)} ELSE NULL END)" if whens else "CAST(NULL AS VARCHAR)"


def _derived_expr(spec: schema.TableSpec, name: str) -> str:
    if name == "nhs_number_valid":
        nv = quote_ident("n_nhs_number")
        return f"coalesce({codes.sql_nhs_valid(nv)}, FALSE)"
    if name == "postcode_valid":
        nv = quote_ident("n_postcode")
        return f"coalesce({codes.sql_postcode_valid(nv)}, FALSE)"
    raise KeyError(f"{spec.qualified}: no rule computes derived column {name}")


def _failure_flags(spec: schema.TableSpec) -> list[str]:
    return [f"{quote_ident('why_' + c.name)} IS NOT NULL" for c in spec.columns] + [
        "_why_key IS NOT NULL"
    ]


def _reasons_union(spec: schema.TableSpec, checked: str) -> str:
    parts = [
        f"SELECT _row, {quote_str(c.name)} AS field, {quote_ident('why_' + c.name)} AS reason "
        f"FROM {checked} WHERE {quote_ident('why_' + c.name)} IS NOT NULL"
        for c in spec.columns
    ]
    parts.append(
        f"SELECT _row, {quote_str(', '.join(spec.key))} AS field, _why_key AS reason "
        f"FROM {checked} WHERE _why_key IS NOT NULL"
    )
    return " UNION ALL ".join(parts)

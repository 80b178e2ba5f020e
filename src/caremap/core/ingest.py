"""Ingestion: validate CSV/Parquet extracts against the data model and load them.

Which table a file is for: ``--table`` if given, else the file name up to the first ``__`` or
``.`` (``activity.csv``, ``activity__ae_2024-03.parquet``, ``activity.csv.gz`` -> ``activity``);
files in a folder named ``truth`` load into the ``truth`` schema. How a file is opened
(compression, encoding, line ends) is `caremap.core.extract_source`'s; row numbers are those a
spreadsheet shows (the header is row 1), or for Parquet the 1-based row.

Every value is checked in the engine (`caremap.core.codes` builds the SQL): types (the whole
value, so ``2020-01-01garbage`` is not a date and ``inf`` not a number), required fields,
closed lists, NHS numbers (Modulus 11), postcodes, sex codes, ICD-10 and OPCS-4 formats,
plausibility (`caremap.core.plausibility`), duplicate keys. A failing row goes to the
``quarantine`` table with file, row, field and reason; ``load_log`` records read = loaded +
quarantined for every file. Rows whose key is already in the table replace it, so loading an
extract twice adds nothing. A call loads all its files in one transaction: any error, or a
kill part-way, leaves the workspace as it was.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

from caremap.core import schema
from caremap.core.errors import InputError
from caremap.core.extract_reader import read_extract
from caremap.core.extract_source import canonical_encoding
from caremap.core.plausibility import PlausibilityConfig, Rule
from caremap.core.sql import quote_ident, quote_str
from caremap.core.validation_sql import failure_flags, reasons_union, validation_sql
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
        ws.create_table_as(checked, validation_sql(spec, stage, data.typed, rules, today))
        reasons_sql = reasons_union(spec, checked)
        q_rows = ws.sql(
            f"SELECT field, reason, count(*) AS n FROM ({reasons_sql}) GROUP BY field, reason"
        )
        reasons = {
            f"{f}: {r}": n
            for f, r, n in zip(
                *(q_rows.column(c).to_pylist() for c in ("field", "reason", "n")), strict=True
            )
        }
        ok = f"NOT ({' OR '.join(failure_flags(spec))})" if failure_flags(spec) else "TRUE"
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
            if failure_flags(spec)
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

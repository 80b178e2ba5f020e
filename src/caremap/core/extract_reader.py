"""Reading one extract file into Arrow, with clear errors for malformed files.

CSV values are read as text (validation and typing happen in the engine); Parquet columns
that already have the canonical type are kept typed. Problems with the file as a whole
(encoding, ragged rows, missing or unknown columns, no rows) raise `InputError` naming the
file and, where it can be found, the row. Messages never quote row contents, which may hold
person-identifiable data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from caremap.core.errors import InputError
from caremap.core.schema import TableSpec

ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
}


@dataclass(frozen=True)
class ExtractData:
    table: pa.Table  # `_row` then the spec's columns
    typed: set[str]  # columns already of their canonical type (not text)


def read_extract(path: Path, spec: TableSpec, *, encoding: str = "utf-8") -> ExtractData:
    name = path.name.lower()
    if name.endswith(".parquet"):
        raw, first_row = _read_parquet(path), 1
    else:
        raw, first_row = _read_csv(path, encoding), 2
    _check_columns(path, spec, raw.column_names)
    n = raw.num_rows
    cols: dict[str, pa.Array] = {"_row": pa.array(range(first_row, first_row + n), pa.int64())}
    typed: set[str] = set()
    for c in spec.columns:
        if c.name not in raw.column_names:
            cols[c.name] = pa.nulls(n, pa.string())
            continue
        arr = raw.column(c.name)
        target = ARROW_TYPES[c.type]
        if c.type != "VARCHAR" and _same_type(arr.type, target) and c.check is None:
            cols[c.name] = arr.cast(target)
            typed.add(c.name)
        elif pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            cols[c.name] = arr.cast(pa.string())
        else:
            cols[c.name] = _as_text(arr)
    return ExtractData(pa.table(cols), typed)


def _same_type(have: pa.DataType, want: pa.DataType) -> bool:
    if have == want:
        return True
    if pa.types.is_integer(have) and pa.types.is_integer(want):
        return True
    if pa.types.is_timestamp(have) and pa.types.is_timestamp(want):
        return True
    return pa.types.is_floating(have) and pa.types.is_floating(want)


def _as_text(arr) -> pa.ChunkedArray:
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    return arr.cast(pa.string())


def _check_columns(path: Path, spec: TableSpec, have: list[str]) -> None:
    seen, dupes = set(), []
    for c in have:
        if c in seen:
            dupes.append(c)
        seen.add(c)
    if dupes:
        raise InputError(
            f"column(s) appear more than once in the header: {', '.join(dupes)}", file=str(path)
        )
    names = spec.column_names
    missing = [c.name for c in spec.columns if c.required and c.name not in have]
    unknown = [c for c in have if c not in names]
    problems = []
    if missing:
        problems.append(f"missing required column(s): {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s): {', '.join(unknown)}")
    if problems:
        raise InputError(
            "; ".join(problems) + f". Table {spec.qualified} has columns: {', '.join(names)} "
            "(see docs/data-model.md)",
            file=str(path),
        )


def _read_parquet(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(
            f"not a readable Parquet file ({type(exc).__name__})", file=str(path)
        ) from None


def _read_csv(path: Path, encoding: str) -> pa.Table:
    if path.stat().st_size == 0:
        raise InputError("file is empty (no header row)", file=str(path))
    header = _header(path, encoding)
    ragged: list[int] = []

    def on_bad_row(row) -> str:
        ragged.append(row.number if row.number is not None else -1)
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=encoding, use_threads=False),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=on_bad_row, newlines_in_values=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "UTF8" in msg or "utf8" in msg or "UTF-8" in msg:
            line = _first_bad_line(path, encoding)
            raise InputError(
                f"is not valid {encoding} text (first bad bytes on line {line}); "
                "re-save it as UTF-8 or pass --encoding (e.g. latin-1)",
                file=str(path),
                row=line,
            ) from None
        if "Empty CSV file" in msg:
            raise InputError("file is empty (no header row)", file=str(path)) from None
        raise InputError(
            f"cannot be read as CSV ({msg.splitlines()[0][:120]})", file=str(path)
        ) from None
    except UnicodeDecodeError:
        line = _first_bad_line(path, encoding)
        raise InputError(
            f"is not valid {encoding} text (line {line}); re-save as UTF-8 or pass --encoding",
            file=str(path),
            row=line,
        ) from None
    if ragged:
        rows = ", ".join(str(r) for r in ragged[:5]) + (" ..." if len(ragged) > 5 else "")
        raise InputError(
            f"{len(ragged)} row(s) do not have the {len(header)} fields of the header "
            f"(rows {rows}); check for unquoted commas or missing separators",
            file=str(path),
            row=ragged[0] if ragged[0] > 0 else None,
        )
    return table.rename_columns([c.strip() for c in table.column_names])


def _header(path: Path, encoding: str) -> list[str]:
    import csv
    import io

    with open(path, "rb") as fh:
        first = fh.readline()
    try:
        text = first.decode(
            "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        )
    except UnicodeDecodeError:
        raise InputError(
            f"header is not valid {encoding} text; re-save as UTF-8 or pass --encoding",
            file=str(path),
            row=1,
        ) from None
    cols = next(csv.reader(io.StringIO(text.rstrip("\r\n"))), [])
    if not cols or all(c.strip() == "" for c in cols):
        raise InputError("the first row should be a header of column names", file=str(path), row=1)
    return cols


def _first_bad_line(path: Path, encoding: str) -> int:
    with open(path, "rb") as fh:
        for i, line in enumerate(fh, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                return i
    return 1

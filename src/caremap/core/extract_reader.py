"""Reading one extract file into Arrow, with clear errors for malformed files.

`caremap.core.extract_source` says what the file is (compression, Parquet or CSV, encoding);
this module reads it. CSV values are read as text (validation and typing happen in the
engine); Parquet columns that already have the canonical type are kept typed. Each row keeps
its number in the file. Problems with the file as a whole (encoding, ragged rows, missing or
unknown columns, damaged compression) raise `InputError` naming the file and, where it can
be found, the row and field. Messages never quote row contents, which may hold
person-identifiable data.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from caremap.core.errors import InputError
from caremap.core.extract_source import (
    Source,
    arrow_stream,
    encoding_hint,
    locate_undecodable,
    open_source,
    read_bytes,
    read_header,
)
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
    """The file's rows as text (or canonical types), each with its row number in the file."""
    source = open_source(path, encoding)
    if source.parquet:
        raw = _read_parquet(source)
        rows = pa.array(range(1, raw.num_rows + 1), pa.int64())
    else:
        raw, rows = _read_csv(source)
    _check_columns(path, spec, raw.column_names)
    n = raw.num_rows
    cols: dict[str, pa.Array] = {"_row": rows}
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


def _read_parquet(source: Source) -> pa.Table:
    try:
        if source.compression:
            return pq.read_table(pa.BufferReader(read_bytes(source)))
        return pq.read_table(source.path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(
            f"not a readable Parquet file ({type(exc).__name__})", file=str(source.path)
        ) from None


def _read_csv(source: Source) -> tuple[pa.Table, pa.Array]:
    """The rows of a CSV file as text, and each row's number (the header is row 1).

    Blank lines (and lines of separators only) are not rows: they are dropped after the row
    numbers are given, so a quarantined row's number is the one a spreadsheet shows.
    """
    path = source.path
    header = read_header(source)
    ragged: list[int] = []

    def on_bad_row(row) -> str:
        ragged.append(row.number if row.number is not None else -1)
        return "skip"

    try:
        with arrow_stream(source) as stream:
            table = pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(encoding=source.arrow_encoding, use_threads=False),
                parse_options=pacsv.ParseOptions(
                    invalid_row_handler=on_bad_row,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
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
            at = re.search(r"column #(\d+): Row #(\d+)", msg)
            row, field = (int(at[2]), _name(header, int(at[1]))) if at else (None, None)
            if row is None:
                row, field = locate_undecodable(source, header)
            raise InputError(
                f"is not valid {source.encoding} text; {encoding_hint(source)}",
                file=str(path),
                row=row,
                field=field,
            ) from None
        if "Empty CSV file" in msg:
            raise InputError("file is empty (no header row)", file=str(path)) from None
        # Arrow's message ends with the row's text after a colon: never echo it (PID).
        words = ": ".join(msg.splitlines()[0].split(": ")[:2])[:120]
        raise InputError(f"cannot be read as CSV ({words})", file=str(path)) from None
    except UnicodeDecodeError:
        row, field = locate_undecodable(source, header)
        raise InputError(
            f"is not valid {source.encoding} text; {encoding_hint(source)}",
            file=str(path),
            row=row,
            field=field,
        ) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(
            f"cannot be read: compressed data is damaged or cut short ({type(exc).__name__}); "
            "fetch the extract again",
            file=str(path),
        ) from None
    if ragged:
        rows = ", ".join(str(r) for r in ragged[:5]) + (" ..." if len(ragged) > 5 else "")
        raise InputError(
            f"{len(ragged)} row(s) do not have the {len(header)} fields of the header "
            f"(rows {rows}); check for unquoted commas or missing separators",
            file=str(path),
            row=ragged[0] if ragged[0] > 0 else None,
        )
    table = table.rename_columns([c.strip() for c in table.column_names])
    rows = pa.array(range(2, table.num_rows + 2), pa.int64())
    if table.num_rows and table.num_columns:
        blank = pc.is_null(table.column(0))
        for col in table.columns[1:]:
            blank = pc.and_(blank, pc.is_null(col))
        if pc.any(blank).as_py():
            keep = pc.invert(blank)
            table, rows = table.filter(keep), rows.filter(keep)
    if source.encoding == "iso8859-1":
        _refuse_c1_controls(path, table, rows)
    return table, rows


def _name(header: list[str], i: int) -> str | None:
    return header[i].strip() if 0 <= i < len(header) else None


def _refuse_c1_controls(path: Path, table: pa.Table, rows: pa.Array) -> None:
    """Text read as latin-1 that holds U+0080-U+009F was written as cp1252 (Windows).

    Those code points are control characters that no name or address holds; in cp1252 the
    same bytes are ’ “ ” – — € and friends (WHATWG Encoding Standard, windows-1252 index).
    """
    first: tuple[int, str] | None = None
    for name in table.column_names:
        hit = pc.match_substring_regex(table.column(name), "[\\x{80}-\\x{9f}]")
        idx = pc.index(hit, True).as_py()
        if idx >= 0 and (first is None or idx < first[0]):
            first = (idx, name)
    if first is not None:
        raise InputError(
            "holds a control character (U+0080 to U+009F) where Windows text has a character "
            "such as ’ or –: the file is cp1252, not latin-1; pass --encoding cp1252",
            file=str(path),
            row=rows[first[0]].as_py(),
            field=first[1],
        )

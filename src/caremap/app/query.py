"""Safe, parameterised reads of published tables: filters, ordering, paging, suppression.

Identifiers come only from the catalog (`caremap.app.catalog`) and are quoted; every value
from a request is converted to the column's type in Python and bound as a parameter. Viewers
and clinicians read aggregate tables through a suppressed copy (`caremap.app.suppression`)
kept as a table of an in-memory database attached to the workspace's DuckDB instance, so
filters and ordering can never see a hidden value.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from caremap.app.catalog import IDENT, TableInfo
from caremap.app.publication import publish
from caremap.app.suppression import INTEGER_TYPES
from caremap.core.errors import InputError

OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "in": "IN"}
OPS_ALL = (*OPS, "like")
FILTER_PATTERN = r"^[a-z_][a-z0-9_]{0,62}:(eq|ne|lt|le|gt|ge|in|like):.{0,200}$"
_FILTER = re.compile(FILTER_PATTERN, re.S)
MAX_FILTERS = 20
MAX_IN = 100
PUBLISHED_DB = "caremap_published"  # in-memory: suppressed copies, never written to disk
STAGING_VIEW = "__caremap_staging"
MAX_PUBLISHED_ROWS = 5_000_000  # larger aggregate tables are not offered to viewers


class BadRequest(InputError):
    """A request the client can fix (answered with 400 and the message)."""


class NotFound(InputError):
    """An unknown table, area or page (answered with 404)."""


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    values: tuple[Any, ...]


INTEGER_RANGES = {
    "TINYINT": (-(2**7), 2**7 - 1),
    "SMALLINT": (-(2**15), 2**15 - 1),
    "INTEGER": (-(2**31), 2**31 - 1),
    "BIGINT": (-(2**63), 2**63 - 1),
    "HUGEINT": (-(2**127), 2**127 - 1),
    "UTINYINT": (0, 2**8 - 1),
    "USMALLINT": (0, 2**16 - 1),
    "UINTEGER": (0, 2**32 - 1),
    "UBIGINT": (0, 2**64 - 1),
    "UHUGEINT": (0, 2**128 - 1),
}
MAX_DIGITS = 40  # no integer column holds more: longer text is refused before int()


def _convert(info: TableInfo, column: str, raw: str) -> Any:
    """A filter value as the column's type, range-checked before it is bound (an integer past
    the column's range, or a non-finite number, is the client's mistake: 400, never 500)."""
    t = info.columns[column].upper()
    try:
        if t in INTEGER_TYPES:
            lo, hi = INTEGER_RANGES[t]
            text = raw.strip()
            if len(text.lstrip("+-")) > MAX_DIGITS:
                raise ValueError
            v = int(text)
            if not lo <= v <= hi:
                raise BadRequest(
                    f"filter on {column!r}: {raw[:40]!r} is outside the range of "
                    f"{t.lower()} ({lo} to {hi})",
                    field="filter",
                )
            return v
        if t.startswith(("DOUBLE", "FLOAT", "REAL", "DECIMAL")):
            v = float(raw)
            if not math.isfinite(v):
                raise ValueError
            return v
        if t == "DATE":
            return date.fromisoformat(raw)
        if t.startswith("TIMESTAMP"):
            return datetime.fromisoformat(raw)
        if t == "BOOLEAN":
            if raw.lower() in ("true", "1", "yes"):
                return True
            if raw.lower() in ("false", "0", "no"):
                return False
            raise ValueError
        if t.startswith("VARCHAR"):
            return raw
    except ValueError:
        raise BadRequest(
            f"filter on {column!r}: {raw[:40]!r} is not a valid {t.lower()}", field="filter"
        ) from None
    raise BadRequest(f"column {column!r} ({t.lower()}) cannot be filtered", field="filter")


def parse_filters(info: TableInfo, raw_filters: list[str] | None) -> list[Filter]:
    """Parse ``column:op:value`` strings against the table's columns; all problems at once."""
    raw_filters = raw_filters or []
    if len(raw_filters) > MAX_FILTERS:
        raise BadRequest(f"at most {MAX_FILTERS} filters", field="filter")
    out, problems = [], []
    for raw in raw_filters:
        if not _FILTER.match(raw):
            problems.append(f"{raw[:60]!r} is not column:op:value with op one of {OPS_ALL}")
            continue
        column, op, value = raw.split(":", 2)
        if column not in info.columns:
            problems.append(f"{info.name} has no column {column!r}")
            continue
        if op == "like" and not info.columns[column].upper().startswith("VARCHAR"):
            problems.append(f"'like' needs a text column; {column!r} is not")
            continue
        parts = value.split(",") if op == "in" else [value]
        if len(parts) > MAX_IN:
            problems.append(f"'in' takes at most {MAX_IN} values")
            continue
        try:
            values = tuple(value if op == "like" else _convert(info, column, p) for p in parts)
        except BadRequest as exc:
            problems.append(exc.detail)
            continue
        out.append(Filter(column, op, values))
    if problems:
        raise BadRequest("; ".join(problems), field="filter")
    return out


def _q(name: str) -> str:
    if not IDENT.match(name):  # never reached for catalog names; a last line of defence
        raise BadRequest(f"bad identifier {name[:40]!r}")
    return f'"{name}"'


def _where(filters: list[Filter]) -> tuple[str, list[Any]]:
    parts, params = [], []
    for f in filters:
        if f.op == "like":
            esc = f.values[0].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            parts.append(f"{_q(f.column)} ILIKE ? ESCAPE '\\'")
            params.append(f"%{esc}%")
        elif f.op == "in":
            parts.append(f"{_q(f.column)} IN ({', '.join('?' for _ in f.values)})")
            params.extend(f.values)
        else:
            parts.append(f"{_q(f.column)} {OPS[f.op]} ?")
            params.append(f.values[0])
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def jsonable(v: Any) -> Any:
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v


PARENT = "__caremap_parent_area"
HIERARCHY = (
    ("needs_locality_map", "area_code", "locality_code"),
    ("small_area", "area_code", "locality_code"),
    ("needs_locality_map", "locality_code", "ics_code"),
    ("locality", "locality_code", "ics_code"),
    ("ics", "ics_code", "region_code"),
)


def area_parents(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each area code's parent (small area -> locality -> ICS -> region), where known."""
    parents: dict[str, str] = {}
    for table, child, parent in HIERARCHY:
        try:
            rows = con.execute(
                f'SELECT DISTINCT "{child}", "{parent}" FROM "{table}" '
                f'WHERE "{child}" IS NOT NULL AND "{parent}" IS NOT NULL'
            ).fetchall()
        except duckdb.Error:
            continue
        for c, p in rows:
            parents.setdefault(str(c), str(p))
    return parents


class PublishedCache:
    """Suppressed copies of the aggregate tables, computed together for the whole publication
    (`caremap.app.publication.publish`: a figure derived from a hidden count is hidden in
    every table) and kept as tables of the in-memory database ``caremap_published``.

    The publication's version is every aggregate table's row count and columns as the catalog
    last read them; it is rebuilt (by one thread; the others wait) when any of them changes.
    While the app runs it holds the workspace open for writing, so nothing else can change a
    result table; suppression is therefore not repeated per request, even with the page and
    answer caches switched off (``cache_seconds: 0``).
    """

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._version: tuple | None = None
        self._names: dict[str, str] = {}
        self._attached = False

    @staticmethod
    def version(tables: dict[str, TableInfo]) -> tuple:
        return tuple(
            sorted(
                (t.name, t.rows, tuple(t.columns.items()))
                for t in tables.values()
                if t.kind == "aggregate" and t.rows <= MAX_PUBLISHED_ROWS
            )
        )

    def get(
        self, con: duckdb.DuckDBPyConnection, info: TableInfo, tables: dict[str, TableInfo]
    ) -> str:
        """The suppressed copy of ``info``'s table, as a quoted name to read from."""
        version = self.version(tables)
        with self._lock:
            if self._version == version and info.name in self._names:
                return self._names[info.name]
        with self._build_lock:  # one thread builds the publication; the others wait
            with self._lock:
                if self._version == version and info.name in self._names:
                    return self._names[info.name]
            self._build(con, tables, version)
            with self._lock:
                if info.name not in self._names:
                    raise BadRequest(f"{info.name} is not published with suppression")
                return self._names[info.name]

    def _build(self, con: duckdb.DuckDBPyConnection, tables, version: tuple) -> None:
        if not self._attached:  # shared by every cursor of the workspace's database
            con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {PUBLISHED_DB}")
            self._attached = True
        parents = area_parents(con)
        frames, roles = {}, {}
        for name, _, _ in version:
            info = tables[name]
            df = con.execute(f"SELECT * FROM {_q(name)}").df()
            r = info.roles
            if parents and "area_code" in df.columns and "area_code" in r.dims:
                # totals are published per parent area too: protect each parent's line
                df[PARENT] = df["area_code"].map(parents)
                r = replace(r, dims=(*r.dims, PARENT))
            frames[name], roles[name] = df, r
        pub = publish(frames, roles, self.threshold)
        names = {}
        for name, published in pub.frames.items():
            published = published.drop(columns=[PARENT], errors="ignore")
            table = pa.Table.from_pandas(published, preserve_index=False)
            like = con.sql(f"SELECT * FROM {_q(name)} LIMIT 0").to_arrow_table()
            source = f"{PUBLISHED_DB}.main.{_q(name)}"
            con.register(STAGING_VIEW, _cast_like(table, like))
            try:
                con.execute(f"CREATE OR REPLACE TABLE {source} AS SELECT * FROM {STAGING_VIEW}")
            finally:
                con.unregister(STAGING_VIEW)
            names[name] = source
        with self._lock:
            self._names, self._version = names, version


def _cast_like(table: pa.Table, like: pa.Table | pa.RecordBatchReader) -> pa.Table:
    """Give suppressed columns (object dtype after blanking) their original Arrow types."""
    schema = like.schema
    cols = []
    for field in schema:
        col = table.column(field.name)
        try:
            cols.append(col.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            cols.append(col)
    return pa.table(cols, names=schema.names)


@dataclass
class Page:
    columns: list[str]
    rows: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    suppressed: bool
    person: bool = False  # person-level rows: never cached, always audited


def read_page(
    con: duckdb.DuckDBPyConnection,
    info: TableInfo,
    *,
    filters: list[Filter],
    columns: list[str] | None,
    order_by: str | None,
    descending: bool,
    limit: int | None,
    offset: int,
    published: str | None = None,
    extra_where: tuple[str, Any] | None = None,
) -> Page:
    """One page of a table; ``published`` is the suppressed copy to read instead, if any
    (as `PublishedCache.get` names it).

    ``extra_where`` is a (catalog column, value) equality the caller imposes (a clinician's
    locality), bound like any other value.
    """
    cols = columns or list(info.columns)
    bad = [c for c in cols if c not in info.columns]
    if bad:
        raise BadRequest(f"{info.name} has no column {', '.join(map(repr, bad))}", field="columns")
    if order_by is not None and order_by not in info.columns:
        raise BadRequest(f"cannot order by {order_by!r}: no such column", field="order_by")
    if extra_where is not None:
        filters = [*filters, Filter(extra_where[0], "eq", (extra_where[1],))]
    where, params = _where(filters)
    source = _q(info.name)
    if published is not None:
        source = published
    try:
        total = con.execute(f"SELECT count(*) FROM {source}{where}", params).fetchall()[0][0]
        order = (
            f" ORDER BY {_q(order_by)} {'DESC' if descending else 'ASC'} NULLS LAST"
            if order_by
            else ""
        )
        order += ", " if order else " ORDER BY "
        order += ", ".join(_q(c) for c in list(info.columns)[:3])
        sql = f"SELECT {', '.join(_q(c) for c in cols)} FROM {source}{where}{order}"
        page_params = list(params)
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            page_params += [limit, offset]
        result = con.execute(sql, page_params).fetchall()
    except (duckdb.ConversionException, duckdb.InvalidInputException, OverflowError) as exc:
        raise BadRequest(
            f"a filter value does not fit its column: {str(exc)[:200]}", field="filter"
        ) from None
    rows = [{c: jsonable(v) for c, v in zip(cols, r, strict=True)} for r in result]
    return Page(cols, rows, int(total), limit or len(rows), offset, published is not None)

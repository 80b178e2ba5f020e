"""Which workspace tables the app publishes, to whom, and with which columns.

Every identifier the API accepts (table, column) is checked against this catalog, which is
read from DuckDB's own catalog; nothing from a request is ever spliced into SQL otherwise.

Kinds of table:

* ``aggregate``: result tables of the capabilities (``needs_indicator``, ``spc_*`` ...):
  viewers and clinicians see them with small counts suppressed, analysts and admins in full;
* ``reference``: geography and sites (``small_area``, ``site`` ...): everyone;
* ``person``: any table with a person-level or event-level key or a person-identifiable
  column (``person``, ``risk_score``, ``activity``, ``budget_activity_pot`` ...): admins only, every read audited; clinicians reach their
  own locality's caseload through the caseload page only;
* hidden: ``truth.*`` (ground truth), ``app_*`` (users, audit), and the ingestion quarantine
  (raw rejected values).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

import duckdb

from caremap.app.suppression import ColumnRoles, classify_columns
from caremap.core import schema

Kind = Literal["aggregate", "reference", "person"]

IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
REFERENCE = frozenset(
    {
        "region",
        "ics",
        "locality",
        "small_area",
        "provider",
        "site",
        "site_capability",
        "road_node",
        "road_link",
        "population",
        "postcode_area",
    }
)
HIDDEN = frozenset({"quarantine", "postcode"})
# Person keys, and keys of single events (an admission, an incident, a pathway), which are
# person-level too: a row is one person's contact.
PERSON_KEYS = frozenset(
    {
        "person_id",
        "person_key",
        "record_id",
        "household_id",
        "uid",
        "activity_id",
        "incident_id",
        "pathway_id",
        "process_id",
        "episode_id",
        "spell_id",
    }
)


@dataclass(frozen=True)
class TableInfo:
    name: str
    kind: Kind
    columns: dict[str, str]  # name -> SQL type, in table order
    rows: int
    roles: ColumnRoles
    pid_columns: tuple[str, ...] = field(default=())

    def has(self, column: str) -> bool:
        return column in self.columns


def pid_columns_of(name: str, columns: dict[str, str]) -> tuple[str, ...]:
    """Person-identifiable columns, as the data model marks them (`caremap.core.schema.is_pid`:
    canonical specs, marked result tables, else by name; so a site's postcode is not
    personal, a person's is)."""
    return tuple(c for c in columns if schema.is_pid(name, c))


def classify_table(name: str, columns: dict[str, str]) -> Kind | None:
    """The kind of a main-schema table, or None when the app never publishes it."""
    if name.startswith("app_") or name in HIDDEN:
        return None
    if name == "person" or set(columns) & PERSON_KEYS or pid_columns_of(name, columns):
        return "person"
    if name in REFERENCE:
        return "reference"
    return "aggregate"


class Catalog:
    """A cached snapshot of the publishable tables (refreshed every few seconds)."""

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._at = 0.0
        self._tables: dict[str, TableInfo] = {}
        self._version = 0

    def tables(self, con: duckdb.DuckDBPyConnection) -> dict[str, TableInfo]:
        return self.snapshot(con)[1]

    def snapshot(self, con: duckdb.DuckDBPyConnection) -> tuple[int, dict[str, TableInfo]]:
        """The tables and a number that changes whenever they are read again."""
        with self._lock:
            if time.monotonic() - self._at > self.ttl:
                self._tables = self._read(con)
                self._at = time.monotonic()
                self._version += 1
            return self._version, self._tables

    def fresh_version(self) -> int | None:
        """The current snapshot's number if it needs no re-reading, else None (no database
        access: for answers cached per snapshot on the event loop)."""
        with self._lock:
            return self._version if time.monotonic() - self._at <= self.ttl else None

    def invalidate(self) -> None:
        with self._lock:
            self._at = 0.0

    def get(self, con: duckdb.DuckDBPyConnection, name: str) -> TableInfo | None:
        if not IDENT.match(name or ""):
            return None
        return self.tables(con).get(name)

    @staticmethod
    def _read(con: duckdb.DuckDBPyConnection) -> dict[str, TableInfo]:
        cols = con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main' "
            "ORDER BY table_name, column_index"
        ).fetchall()
        sizes = dict(
            con.execute(
                "SELECT table_name, estimated_size FROM duckdb_tables() "
                "WHERE database_name = current_database() AND schema_name = 'main'"
            ).fetchall()
        )
        by_table: dict[str, dict[str, str]] = {}
        for t, c, ty in cols:
            if t in sizes:
                by_table.setdefault(t, {})[c] = ty
        out: dict[str, TableInfo] = {}
        for t, columns in by_table.items():
            if not IDENT.match(t) or not all(IDENT.match(c) for c in columns):
                continue  # odd names are never published rather than quoted
            kind = classify_table(t, columns)
            if kind is None:
                continue
            out[t] = TableInfo(
                name=t,
                kind=kind,
                columns=columns,
                rows=int(sizes.get(t) or 0),
                roles=classify_columns(columns, t),
                pid_columns=pid_columns_of(t, columns),
            )
        return out


def visible_kinds(role: str) -> set[str]:
    """Which kinds of table a role may read through the generic API."""
    if role == "admin":
        return {"aggregate", "reference", "person"}
    return {"aggregate", "reference"}

"""The default workspace: one DuckDB file."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from caremap.core.errors import WorkspaceError
from caremap.core.workspace import Workspace


def _split(name: str) -> tuple[str, str]:
    schema, _, table = name.rpartition(".")
    return (schema or "main"), table


def _to_arrow(data) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatchReader):
        return data.read_all()
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    raise TypeError(f"cannot store {type(data).__name__} as a table")


def _open_error(path: Path, message: str) -> str:
    """What to tell the user when DuckDB cannot open ``path`` (DuckDB's words otherwise)."""
    if "lock" not in message.lower():
        return f"cannot open workspace {path}: {message}"
    pid = re.search(r"PID (\d+)", message)
    who = f"process {pid.group(1)}" if pid else "another process"
    return (
        f"the workspace {path} is in use by {who} (the dashboard?); stop it or wait for it "
        "to finish, or work on a copy of the workspace (-w), then try again"
    )


class DuckDBWorkspace(Workspace):
    """A workspace in one DuckDB file. DuckDB's memory limit is always set."""

    engine = "duckdb"

    def __init__(
        self,
        path: Path,
        *,
        memory_limit: str,
        threads: int | None = None,
        read_only: bool = False,
    ) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise WorkspaceError(
                f"no workspace at {self.path}; run `caremap demo` or `caremap ingest`"
            )
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        config = {"memory_limit": memory_limit}
        if threads:
            config["threads"] = threads
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only, config=config)
        except duckdb.IOException as exc:
            raise WorkspaceError(_open_error(self.path, str(exc))) from None
        # DuckDB's own progress bar would interleave with ours and clutter logs.
        self.con.execute("SET enable_progress_bar = false")
        self._depth = 0
        self._lock = threading.RLock()
        if not read_only:
            self.con.execute("CREATE SCHEMA IF NOT EXISTS truth")

    # A DuckDB connection is not safe across threads; the app opens a cursor per request.
    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    def sql(self, query: str) -> pa.Table:
        with self._lock:
            rel = self.con.sql(query)
            if rel is None:
                raise WorkspaceError("ws.sql() takes a SELECT; use execute() for statements")
            return rel.to_arrow_table()

    def execute(self, statement: str, params: list | None = None) -> None:
        """Run a DuckDB statement (DDL/DML). Engine-specific: steps use the portable calls."""
        with self._lock:
            self.con.execute(statement, params or [])

    def create_table_as(self, name: str, query: str) -> None:
        with self._lock:
            self._ensure_schema(name)
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {query}")

    def write_table(
        self,
        name: str,
        data,
        mode: Literal["replace", "append"] = "replace",
    ) -> None:
        table = _to_arrow(data)
        with self._lock:
            self._ensure_schema(name)
            self.con.register("_caremap_incoming", table)
            try:
                if mode == "append" and self.has_table(name):
                    cols = ", ".join(f'"{c}"' for c in table.column_names)
                    self.con.execute(
                        f"INSERT INTO {name} ({cols}) SELECT {cols} FROM _caremap_incoming"
                    )
                else:
                    self.con.execute(
                        f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _caremap_incoming"
                    )
            finally:
                self.con.unregister("_caremap_incoming")

    def register_temp(self, name: str, data: pa.Table) -> None:
        with self._lock:
            self.con.register(name, _to_arrow(data))

    def unregister_temp(self, name: str) -> None:
        with self._lock:
            self.con.unregister(name)

    def upsert(self, name: str, query: str, key: tuple[str, ...]) -> int:
        keys = ", ".join(f'"{k}"' for k in key)
        with self._lock:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE _caremap_upsert AS {query}")
            try:
                (replaced,) = self.con.execute(
                    f"SELECT count(*) FROM {name} WHERE ({keys}) IN "
                    f"(SELECT ({keys}) FROM _caremap_upsert)"
                    if len(key) > 1
                    else f"SELECT count(*) FROM {name} WHERE {keys} IN "
                    f"(SELECT {keys} FROM _caremap_upsert)"
                ).fetchone()
                if replaced:
                    self.con.execute(
                        f"DELETE FROM {name} t USING _caremap_upsert u WHERE "
                        + " AND ".join(f't."{k}" = u."{k}"' for k in key)
                    )
                self.con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _caremap_upsert")
            finally:
                self.con.execute("DROP TABLE IF EXISTS _caremap_upsert")
            return int(replaced)

    def insert_select(self, name: str, query: str) -> None:
        with self._lock:
            self.con.execute(f"INSERT INTO {name} BY NAME {query}")

    def delete_where(self, name: str, condition: str) -> None:
        with self._lock:
            self.con.execute(f"DELETE FROM {name} WHERE {condition}")

    def drop_table(self, name: str) -> None:
        with self._lock:
            self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def list_tables(self) -> list[str]:
        rows = self.con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = current_database() ORDER BY schema_name, table_name"
        ).fetchall()
        return [t if s == "main" else f"{s}.{t}" for s, t in rows]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.con.execute("BEGIN TRANSACTION")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self.con.execute("ROLLBACK")
                raise
            self._depth = 0
            self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.close()

    def _ensure_schema(self, name: str) -> None:
        schema, _ = _split(name)
        if schema != "main":
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")

"""The workspace: where every step reads its input tables and writes its results.

A workspace is one DuckDB file by default (``caremap.duckdb``), or a Spark session over a
folder of Parquet tables for national data. Steps talk to it only through this interface,
so the same step runs on both engines:

* ``ws.sql(query)`` runs a SELECT written in DuckDB's SQL dialect and returns an Arrow table;
  on Spark the query is transpiled with sqlglot first (`caremap.core.sql`).
* ``ws.create_table_as(name, query)`` materialises a SELECT as a table on the engine, without
  pulling rows into Python: this is how table-shaped work is written once.
* ``ws.write_table(name, data)`` stores a small Arrow/pandas result computed in process.
* ``with ws.transaction():`` makes a group of writes all-or-nothing.

Ground truth of the synthetic economy lives in the ``truth`` schema (``truth.person``).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import pyarrow as pa

from caremap.core.errors import WorkspaceError
from caremap.core.manifest import producer_of

DEFAULT_PATH = "caremap.duckdb"
ENGINES = ("duckdb", "spark")


def default_memory_limit() -> str:
    return os.environ.get("CAREMAP_MEMORY_LIMIT", "4GB")


class Workspace(ABC):
    """A place where caremap tables live; see the module docstring."""

    engine: str
    path: Path

    @abstractmethod
    def sql(self, query: str) -> pa.Table:
        """Run a SELECT (DuckDB dialect) and return the rows as an Arrow table."""

    @abstractmethod
    def create_table_as(self, name: str, query: str) -> None:
        """Create or replace table ``name`` from a SELECT, computed on the engine."""

    @abstractmethod
    def write_table(
        self,
        name: str,
        data: pa.Table | object,
        mode: Literal["replace", "append"] = "replace",
    ) -> None:
        """Store an Arrow table or pandas DataFrame as table ``name``."""

    @abstractmethod
    def register_temp(self, name: str, data: pa.Table) -> None:
        """Expose an Arrow table to queries as a temporary view ``name``."""

    @abstractmethod
    def unregister_temp(self, name: str) -> None: ...

    @abstractmethod
    def upsert(self, name: str, query: str, key: tuple[str, ...]) -> int:
        """Insert the rows of ``query`` into ``name``, replacing rows with the same key.

        Returns how many existing rows were replaced. ``name`` must exist.
        """

    @abstractmethod
    def insert_select(self, name: str, query: str) -> None:
        """Append the rows of ``query`` (matched by column name) to existing table ``name``."""

    @abstractmethod
    def delete_where(self, name: str, condition: str) -> None:
        """Delete the rows of ``name`` for which the SQL ``condition`` holds."""

    @abstractmethod
    def drop_table(self, name: str) -> None:
        """Remove a table if it exists."""

    @abstractmethod
    def list_tables(self) -> list[str]:
        """Qualified names of all tables (``activity``, ``truth.person``, ...)."""

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside the block land together, or none do."""

    @abstractmethod
    def close(self) -> None: ...

    # Shared conveniences, written once over the primitives above.

    def df(self, query: str):
        """Run a SELECT and return a pandas DataFrame (for small results only)."""
        return self.sql(query).to_pandas()

    def scalar(self, query: str):
        t = self.sql(query)
        return t.column(0)[0].as_py() if t.num_rows else None

    def has_table(self, name: str) -> bool:
        return name in self.list_tables()

    def columns(self, name: str) -> list[str]:
        self.require(name)
        return self.sql(f"SELECT * FROM {name} LIMIT 0").column_names

    def row_count(self, name: str) -> int:
        self.require(name)
        return int(self.scalar(f"SELECT count(*) FROM {name}"))

    def require(self, *names: str) -> None:
        """Fail with a clear message naming each missing table and the command that produces it
        (from `caremap.core.manifest`)."""
        have = set(self.list_tables())
        missing = [n for n in names if n not in have]
        if missing:
            parts = []
            for n in missing:
                hint = producer_of(n)
                parts.append(f"{n} (run `{hint}`)" if hint else n)
            raise WorkspaceError(f"workspace {self.path} has no table {', '.join(parts)}")

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_workspace(
    path: str | os.PathLike | None = None,
    engine: str = "duckdb",
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    read_only: bool = False,
) -> Workspace:
    """Open (creating if needed) a workspace.

    ``path`` defaults to ``$CAREMAP_WORKSPACE`` or ``caremap.duckdb``; for Spark it is a folder.
    """
    if engine not in ENGINES:
        raise WorkspaceError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if path is None:
        path = os.environ.get("CAREMAP_WORKSPACE") or (
            DEFAULT_PATH if engine == "duckdb" else "caremap-spark"
        )
    if engine == "duckdb":
        from caremap.core.duckdb_workspace import DuckDBWorkspace

        return DuckDBWorkspace(
            Path(path),
            memory_limit=memory_limit or default_memory_limit(),
            threads=threads,
            read_only=read_only,
        )
    from caremap.core.spark_workspace import SparkWorkspace

    return SparkWorkspace(Path(path))

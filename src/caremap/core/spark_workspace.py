"""A workspace on Apache Spark: a folder of Parquet tables and a manifest.

Each write goes to a new version folder; the manifest (``manifest.json``) names the current
version of every table and is swapped atomically (``os.replace``) when a write or a
transaction commits, so a failure part-way leaves the previous state intact.
Queries are written in DuckDB's dialect and transpiled by `caremap.core.sql`.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import pyarrow as pa

from caremap.core.errors import WorkspaceError
from caremap.core.sql import spark_view_name, to_spark
from caremap.core.workspace import Workspace

_SESSION = None


def java_available() -> bool:
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))


def spark_session():
    """A local Spark session sized for this machine (created once per process)."""
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    if not java_available():
        raise WorkspaceError(
            "the Spark engine needs Java 17+; install a JDK or use --engine duckdb"
        )
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise WorkspaceError(
            "the Spark engine needs pyspark: pip install 'caremap[spark]'"
        ) from None
    _SESSION = (
        SparkSession.builder.master(os.environ.get("CAREMAP_SPARK_MASTER", "local[2]"))
        .appName("caremap")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", os.environ.get("CAREMAP_SPARK_PARTITIONS", "4"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", os.environ.get("CAREMAP_SPARK_MEMORY", "2g"))
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


class SparkWorkspace(Workspace):
    """A workspace of Parquet tables under ``path``, queried with Spark SQL."""

    engine = "spark"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.spark = spark_session()
        self._manifest_path = self.path / "manifest.json"
        self._manifest: dict[str, str] = self._read_manifest()
        self._pending: dict[str, str | None] | None = None
        for name, rel in self._manifest.items():
            self._register(name, rel)

    def _read_manifest(self) -> dict[str, str]:
        if self._manifest_path.exists():
            return json.loads(self._manifest_path.read_text())
        return {}

    def _commit_manifest(self, manifest: dict[str, str]) -> None:
        tmp = self._manifest_path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
        os.replace(tmp, self._manifest_path)
        self._manifest = manifest

    def _register(self, name: str, rel: str) -> None:
        self.spark.read.parquet(str(self.path / rel)).createOrReplaceTempView(spark_view_name(name))

    def _current(self) -> dict[str, str | None]:
        state: dict[str, str | None] = dict(self._manifest)
        if self._pending is not None:
            state.update(self._pending)
        return state

    def _stage(self, name: str, sdf) -> None:
        rel = f"tables/{name}/v-{uuid.uuid4().hex}"
        sdf.write.mode("error").parquet(str(self.path / rel))
        self._set(name, rel)

    def _set(self, name: str, rel: str | None) -> None:
        if self._pending is not None:
            self._pending[name] = rel
        else:
            manifest = dict(self._manifest)
            if rel is None:
                manifest.pop(name, None)
            else:
                manifest[name] = rel
            self._commit_manifest(manifest)
        if rel is None:
            self.spark.catalog.dropTempView(spark_view_name(name))
        else:
            self._register(name, rel)

    def spark_sql(self, query: str):
        """A Spark DataFrame for a DuckDB-dialect SELECT."""
        return self.spark.sql(to_spark(query))

    def sql(self, query: str) -> pa.Table:
        return self.spark_sql(query).toArrow()

    def create_table_as(self, name: str, query: str) -> None:
        self._stage(name, self.spark_sql(query))

    def write_table(
        self,
        name: str,
        data,
        mode: Literal["replace", "append"] = "replace",
    ) -> None:
        import pandas as pd

        if isinstance(data, pa.Table):
            data = data.to_pandas()
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"cannot store {type(data).__name__} as a table")
        sdf = self.spark.createDataFrame(data) if len(data.columns) else None
        if sdf is None:
            raise WorkspaceError(f"cannot write table {name} with no columns")
        if mode == "append" and self.has_table(name):
            existing = self.spark.table(spark_view_name(name))
            sdf = existing.unionByName(sdf.select(*existing.columns))
            # Materialise before the view it reads is swapped.
            sdf = self.spark.createDataFrame(sdf.toPandas(), schema=existing.schema)
        self._stage(name, sdf)

    def register_temp(self, name: str, data: pa.Table) -> None:
        self.spark.createDataFrame(data).createOrReplaceTempView(spark_view_name(name))

    def unregister_temp(self, name: str) -> None:
        self.spark.catalog.dropTempView(spark_view_name(name))

    def upsert(self, name: str, query: str, key: tuple[str, ...]) -> int:
        new = self.spark_sql(query).cache()
        new.createOrReplaceTempView("_caremap_upsert")
        existing = self.spark.table(spark_view_name(name))
        replaced = existing.join(new.select(*key).distinct(), list(key), "left_semi").count()
        kept = existing.join(new.select(*key).distinct(), list(key), "left_anti")
        self._stage(name, kept.unionByName(new.select(*existing.columns)))
        new.unpersist()
        return int(replaced)

    def insert_select(self, name: str, query: str) -> None:
        existing = self.spark.table(spark_view_name(name))
        new = self.spark_sql(query)
        self._stage(name, existing.unionByName(new.select(*existing.columns)))

    def delete_where(self, name: str, condition: str) -> None:
        self.create_table_as(name, f"SELECT * FROM {name} WHERE NOT coalesce({condition}, FALSE)")

    def drop_table(self, name: str) -> None:
        if self.has_table(name):
            self._set(name, None)

    def list_tables(self) -> list[str]:
        return sorted(k for k, v in self._current().items() if v is not None)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._pending is not None:
            yield
            return
        self._pending = {}
        try:
            yield
        except BaseException:
            pending, self._pending = self._pending, None
            for name in pending:
                if name in self._manifest:
                    self._register(name, self._manifest[name])
                else:
                    self.spark.catalog.dropTempView(spark_view_name(name))
            raise
        pending, self._pending = self._pending, None
        manifest = dict(self._manifest)
        for name, rel in pending.items():
            if rel is None:
                manifest.pop(name, None)
            else:
                manifest[name] = rel
        self._commit_manifest(manifest)

    def close(self) -> None:
        # The Spark session is shared by the process; it stops at exit.
        pass

"""Portable SQL: steps write DuckDB SQL once; sqlglot transpiles it for Spark.

We chose sqlglot over Ibis because Splink (our linkage engine) already generates SQL through
sqlglot, so one dialect and one transpiler serve the whole product; steps stay plain SQL that
an analyst can read and run in the DuckDB shell. Helpers here build the few expressions
whose spelling differs between engines in ways sqlglot does not cover.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp


def spark_view_name(name: str) -> str:
    """Spark temp views have no schema: ``truth.person`` is stored as ``truth__person``."""
    return name.replace(".", "__")


def to_spark(query: str) -> str:
    """Transpile a DuckDB-dialect query to Spark SQL, mapping schema-qualified tables."""
    tree = sqlglot.parse_one(query, read="duckdb")
    for table in tree.find_all(exp.Table):
        db = table.args.get("db")
        if db is not None and db.name:
            table.set("this", exp.to_identifier(f"{db.name}__{table.name}"))
            table.set("db", None)
    return tree.sql(dialect="spark")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def in_list(values) -> str:
    return "(" + ", ".join(quote_str(str(v)) for v in values) + ")"

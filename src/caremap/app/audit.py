"""The audit trail: every view of person-level data, who, what and when (``app_audit``).

Entries name the user, their role, the action (``view``, ``download``, ``login``...), the
table or page, a description of the request (filter columns and operators; values only for
columns that are not person-identifiable) and how many person rows were shown. They hold no
person-identifiable values themselves.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import duckdb

from caremap.app.users import User

AUDIT_TABLE = "app_audit"
_lock = threading.Lock()


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {AUDIT_TABLE} (logged_at TIMESTAMP NOT NULL, username VARCHAR, "
        "role VARCHAR, action VARCHAR NOT NULL, target VARCHAR, detail VARCHAR, "
        "person_rows BIGINT, client VARCHAR)"
    )


def record(
    con: duckdb.DuckDBPyConnection,
    user: User | None,
    action: str,
    target: str,
    detail: str = "",
    person_rows: int | None = None,
    client: str | None = None,
) -> None:
    """Append one entry; raises if it cannot be written, so no unaudited view is served."""
    with _lock:
        con.execute(
            f"INSERT INTO {AUDIT_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                datetime.now(UTC).replace(tzinfo=None),
                user.username if user else None,
                user.role if user else None,
                action,
                target,
                detail[:2000],
                person_rows,
                client,
            ],
        )


def describe_request(filters: list, pid_columns: tuple[str, ...], **extra) -> str:
    """Filters as ``col op value`` with person-identifiable values masked."""
    parts = []
    for f in filters:
        shown = "<masked>" if f.column in pid_columns else ",".join(str(v) for v in f.values)
        parts.append(f"{f.column} {f.op} {shown}")
    parts += [f"{k}={v}" for k, v in extra.items() if v is not None]
    return "; ".join(parts)

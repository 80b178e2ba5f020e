"""The audit trail: every view of person-level data, who, what and when.

Entries live in the user store's ``audit`` table (`caremap.app.users.UserStore`, beside the
workspace), so the trail is written while the workspace is open elsewhere and survives a
replaced workspace. They name the user, their role, the action (``view``, ``download``,
``login``...), the table or page, a description of the request (filter columns and operators;
values only for columns that are not person-identifiable) and how many person rows were shown.
They hold no person-identifiable values themselves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from caremap.app.users import User, store_for

AUDIT_TABLE = "app_audit"  # the name the API and pages show for the trail
COLUMNS = ("logged_at", "username", "role", "action", "target", "detail", "person_rows", "client")


def record(
    target: Any,
    user: User | None,
    action: str,
    what: str,
    detail: str = "",
    person_rows: int | None = None,
    client: str | None = None,
) -> None:
    """Append one entry (``target``: the store, or a workspace connection beside it); raises
    if it cannot be written, so no unaudited view is served."""
    store_for(target).execute(
        "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="microseconds"),
            user.username if user else None,
            user.role if user else None,
            action,
            what,
            detail[:2000],
            person_rows,
            client,
        ),
    )


def read(target: Any, limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    """The number of entries and one page of them, newest first."""
    store = store_for(target)
    total = store.execute("SELECT count(*) FROM audit")[0][0]
    rows = store.execute(
        "SELECT * FROM audit ORDER BY logged_at DESC, rowid DESC LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return int(total), [dict(zip(COLUMNS, r, strict=True)) for r in rows]


def describe_request(filters: list, pid_columns: tuple[str, ...], **extra) -> str:
    """Filters as ``col op value`` with person-identifiable values masked."""
    parts = []
    for f in filters:
        shown = "<masked>" if f.column in pid_columns else ",".join(str(v) for v in f.values)
        parts.append(f"{f.column} {f.op} {shown}")
    parts += [f"{k}={v}" for k, v in extra.items() if v is not None]
    return "; ".join(parts)

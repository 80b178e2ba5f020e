"""The caseload as a locality team's worklist: who, why, and what the team has done.

Rows come from ``risk_caseload`` joined to ``person`` (identity, age) and to the team's own
records, kept in two app tables made the way ``app_user`` and ``app_audit`` are:

* ``app_caseload_status``: the latest contact/review status of each person on a caseload
  (status from a fixed list, who set it and when; no free text, so nothing identifying is
  typed into it);
* ``app_caseload_seen``: the date the dashboard first listed each person, which is what
  "new since" filters on (the caseload table itself carries no date).

Role rules are those of :func:`caremap.app.data.read_caseload`: clinicians their own
locality only, admins any; every view, download and status change is audited.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
from fastapi import HTTPException

from caremap.app import audit
from caremap.app.data import caseload_table
from caremap.app.query import BadRequest, NotFound
from caremap.app.state import AppState
from caremap.app.users import User

STATUS_TABLE = "app_caseload_status"
SEEN_TABLE = "app_caseload_seen"
STATUSES = ("to contact", "contacted", "reviewed", "declined", "not appropriate")
_ready: set[int] = set()
_lock = threading.Lock()


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {STATUS_TABLE} (person_id BIGINT NOT NULL, "
        "locality_code VARCHAR, status VARCHAR NOT NULL, updated_by VARCHAR NOT NULL, "
        "updated_at TIMESTAMP NOT NULL)"
    )
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {SEEN_TABLE} (person_id BIGINT NOT NULL, "
        "locality_code VARCHAR, first_listed DATE NOT NULL)"
    )


def _prepare(st: AppState) -> duckdb.DuckDBPyConnection:
    con = st.cursor()
    if id(st) not in _ready:
        with _lock:
            ensure_tables(con)
            _ready.add(id(st))
    return con


@dataclass(frozen=True)
class Worklist:
    rows: list[dict]
    total: int
    practices: list[str]
    tiers: list[str]
    locality: str | None


def locality_for(st: AppState, user: User, locality: str | None, client: str | None) -> str | None:
    """The locality this user may see (the caseload rules, audited when refused)."""
    if user.role not in ("clinician", "admin"):
        raise HTTPException(403, "caseload lists are for locality clinicians and admins")
    if user.role == "clinician":
        if locality is not None and locality != user.locality_code:
            audit.record(
                st.cursor(), user, "caseload_denied", "caseload", f"locality={locality}", 0, client
            )
            raise HTTPException(403, "you can see only your own locality's caseload")
        return user.locality_code
    return locality


def _where(locality, practice, tier, since, status) -> tuple[str, list]:
    conds, params = [], []
    for col, v in (("c.locality_code", locality), ("c.practice_code", practice), ("c.tier", tier)):
        if v is not None:
            conds.append(f"{col} = ?")
            params.append(v)
    if since is not None:
        conds.append("s.first_listed >= ?")
        params.append(since)
    if status is not None:
        if status == "not yet set":
            conds.append("st.status IS NULL")
        else:
            conds.append("st.status = ?")
            params.append(status)
    return ("WHERE " + " AND ".join(conds)) if conds else "", params


def read(
    st: AppState,
    user: User,
    client: str | None,
    *,
    locality: str | None = None,
    practice: str | None = None,
    tier: str | None = None,
    since: date | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
    action: str = "view",
) -> Worklist:
    """One page of the worklist (``limit=None``: all rows, for the CSV), audited."""
    locality = locality_for(st, user, locality, client)
    info = caseload_table(st)
    if info is None:
        raise NotFound("no caseload yet: run `caremap risk` to produce risk_caseload")
    if status is not None and status not in (*STATUSES, "not yet set"):
        raise BadRequest(f"status must be one of: {', '.join(STATUSES)}", field="status")
    con = _prepare(st)
    with _lock:
        con.execute(
            f"INSERT INTO {SEEN_TABLE} SELECT DISTINCT c.person_id, c.locality_code, current_date "
            f'FROM "{info.name}" c WHERE NOT EXISTS (SELECT 1 FROM {SEEN_TABLE} s '
            "WHERE s.person_id = c.person_id)"
        )
    person = st.catalog.tables(con).get("person")
    has = lambda c: person is not None and person.has(c)  # noqa: E731
    ident = [c for c in ("nhs_number", "given_name", "family_name") if has(c)]
    age = (
        "date_diff('year', p.date_of_birth, current_date) - CASE WHEN "
        "strftime(current_date, '%m%d') < strftime(p.date_of_birth, '%m%d') THEN 1 ELSE 0 END"
        if has("date_of_birth")
        else "NULL"
    )
    join_p = 'LEFT JOIN "person" p ON p.person_id = c.person_id' if ident else ""
    cols = ["person_id", "locality_code", "practice_code", "tier", "score", "top_factors"]
    cols = [c for c in cols if info.has(c)]
    select = ", ".join(
        [f"c.{c}" for c in cols]
        + [f"p.{c}" for c in ident]
        + [f"{age} AS age" if ident else "NULL AS age"]
        + ["s.first_listed", "st.status", "st.updated_at"]
    )
    src = (
        f'"{info.name}" c {join_p} LEFT JOIN {SEEN_TABLE} s ON s.person_id = c.person_id '
        f"LEFT JOIN {STATUS_TABLE} st ON st.person_id = c.person_id"
    )
    where, params = _where(
        locality, practice if info.has("practice_code") else None, tier, since, status
    )
    order = "c.rank" if info.has("rank") else "c.score DESC"
    total = con.execute(f"SELECT count(*) FROM {src} {where}", params).fetchone()[0]
    sql = f"SELECT {select} FROM {src} {where} ORDER BY {order}"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params = [*params, limit, offset]
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    lw, lp = ("WHERE locality_code = ?", [locality]) if locality else ("", [])
    practices = (
        [
            r[0]
            for r in con.execute(
                f'SELECT DISTINCT practice_code FROM "{info.name}" {lw} ORDER BY 1', lp
            ).fetchall()
            if r[0] is not None
        ]
        if info.has("practice_code")
        else []
    )
    tiers = [
        r[0]
        for r in con.execute(
            f'SELECT DISTINCT tier FROM "{info.name}" {lw} ORDER BY 1', lp
        ).fetchall()
        if r[0] is not None
    ]
    detail = (
        f"locality={locality or 'all'}; practice={practice}; tier={tier}; since={since}; "
        f"status={status}; offset={offset}"
    )
    audit.record(con, user, action, info.name, detail, len(rows), client)
    return Worklist(rows, int(total), practices, tiers, locality)


def set_status(st: AppState, user: User, client: str | None, person_id: int, status: str) -> None:
    """Record a contact/review status for a person on the user's own caseload; audited."""
    if status not in STATUSES:
        raise BadRequest(f"status must be one of: {', '.join(STATUSES)}", field="status")
    if user.role not in ("clinician", "admin"):
        raise HTTPException(403, "only the locality team can set a caseload status")
    info = caseload_table(st)
    if info is None:
        raise NotFound("no caseload yet: run `caremap risk` to produce risk_caseload")
    con = _prepare(st)
    found = con.execute(
        f'SELECT locality_code FROM "{info.name}" WHERE person_id = ? LIMIT 1', [person_id]
    ).fetchone()
    if found is None:
        raise NotFound("that person is not on a caseload", field="person_id")
    if user.role == "clinician" and found[0] != user.locality_code:
        audit.record(con, user, "status_denied", STATUS_TABLE, f"locality={found[0]}", 0, client)
        raise HTTPException(403, "you can update only your own locality's caseload")
    now = datetime.now(UTC).replace(tzinfo=None)
    with _lock:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"DELETE FROM {STATUS_TABLE} WHERE person_id = ?", [person_id])
            con.execute(
                f"INSERT INTO {STATUS_TABLE} VALUES (?, ?, ?, ?, ?)",
                [person_id, found[0], status, user.username, now],
            )
            audit.record(
                con,
                user,
                "status",
                STATUS_TABLE,
                f"person_id={person_id}; status={status}",
                1,
                client,
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise

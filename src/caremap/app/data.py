"""Reading workspace data for a user: role checks, suppression and the audit trail in one place.

The API and the pages both come through here, so a chart and a download of the same table
show the same suppressed numbers.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request

from caremap.app import audit
from caremap.app.catalog import TableInfo, visible_kinds
from caremap.app.query import (
    MAX_PUBLISHED_ROWS,
    BadRequest,
    NotFound,
    Page,
    jsonable,
    parse_filters,
    read_page,
)
from caremap.app.state import AppState
from caremap.app.users import User
from caremap.core.manifest import run_hint

CASELOAD_TABLES = ("risk_caseload",)
AREA_TABLES = (("small_area", "area_code"), ("locality", "locality_code"), ("ics", "ics_code"))


def table_info(st: AppState, user: User, table: str) -> TableInfo:
    info = st.catalog.get(st.cursor(), table)
    if info is None:
        raise NotFound(f"no published table {table!r}; GET /api/tables lists them", field="table")
    if info.kind not in visible_kinds(user.role):
        raise HTTPException(403, f"{table} holds person-level data, which your role cannot read")
    return info


def published_for(st: AppState, user: User, info: TableInfo):
    """The suppressed copy a user must read instead of the table, or None for the table."""
    if info.kind == "aggregate" and not user.sees_unsuppressed:
        if info.rows > MAX_PUBLISHED_ROWS:
            raise BadRequest(f"{info.name} is too large to publish with suppression")
        con = st.cursor()
        return st.published.get(con, info, st.catalog.tables(con))
    return None


def read_table(
    st: AppState,
    request: Request,
    user: User,
    table: str,
    raw_filters: list[str] | None,
    columns: str | None,
    order_by: str | None,
    desc: bool,
    limit: int | None,
    offset: int,
    *,
    download: bool = False,
) -> Page:
    info = table_info(st, user, table)
    filters = parse_filters(info, raw_filters)
    pid_filters = sorted({f.column for f in filters if f.column in info.pid_columns})
    if pid_filters:
        raise BadRequest(
            f"filtering on person-identifiable columns ({', '.join(pid_filters)}) is not offered: "
            "it would put identifiers in addresses and logs; filter on person_id instead",
            field="filter",
        )
    cols = columns.split(",") if columns else None
    cap = st.config.max_download_rows if limit is None else limit
    published = published_for(st, user, info)

    def fetch() -> Page:
        return read_page(
            st.cursor(),
            info,
            filters=filters,
            columns=cols,
            order_by=order_by,
            descending=desc,
            limit=cap,
            offset=offset,
            published=published,
        )

    if info.kind == "person":
        page = fetch()  # never cached: every view is audited below
        page.person = True
    elif download:
        page = fetch()  # downloads are never cached: one can be as large as the table
    else:
        key = (
            published is not None,
            table,
            tuple(raw_filters or ()),
            columns,
            order_by,
            desc,
            cap,
            offset,
        )
        page = st.api_cache.get_or_compute(key, fetch)
    if limit is None and page.total > cap:
        raise BadRequest(
            f"{page.total:,} rows match; downloads stop at {cap:,}: add filters", field="filter"
        )
    if info.kind == "person":
        audit.record(
            st.store,
            user,
            "download" if download else "view",
            info.name,
            audit.describe_request(filters, info.pid_columns, offset=offset, order_by=order_by),
            len(page.rows),
            request.client.host if request.client else None,
        )
    return page


def caseload_table(st: AppState) -> TableInfo | None:
    tables = st.catalog.tables(st.cursor())
    for name in CASELOAD_TABLES:
        info = tables.get(name)
        if info is not None and info.has("locality_code"):
            return info
    return None


def read_caseload(
    st: AppState, request: Request, user: User, locality: str | None, limit: int, offset: int
) -> tuple[Page, str]:
    """A locality's caseload: clinicians their own locality only, admins any; audited."""
    client = request.client.host if request.client else None
    if user.role not in ("clinician", "admin"):
        raise HTTPException(403, "caseload lists are for locality clinicians and admins")
    if user.role == "clinician":
        if locality is not None and locality != user.locality_code:
            audit.record(
                st.store, user, "caseload_denied", "caseload", f"locality={locality}", 0, client
            )
            raise HTTPException(403, "you can see only your own locality's caseload")
        locality = user.locality_code
    info = caseload_table(st)
    if info is None:
        raise NotFound(f"no caseload yet: run `{run_hint('risk-score')}` to produce risk_caseload")
    page = _caseload_page(st, info, locality, limit, offset)
    audit.record(
        st.store,
        user,
        "view",
        info.name,
        f"locality={locality or 'all'}; offset={offset}",
        len(page.rows),
        client,
    )
    return page, info.name


IDENTITY = ("nhs_number", "given_name", "family_name", "date_of_birth")


def _caseload_page(
    st: AppState, info: TableInfo, locality: str | None, limit: int, offset: int
) -> Page:
    """Caseload rows, best first, with each person's identity from ``person`` when linked
    (a clinical team needs to know whom to contact). All identifiers are fixed here; the
    locality and paging are bound parameters."""
    con = st.cursor()
    person = st.catalog.tables(con).get("person")
    ident = [c for c in IDENTITY if person is not None and person.has(c)]
    join = bool(ident) and info.has("person_id") and person is not None and person.has("person_id")
    cols = list(info.columns) + (ident if join else [])
    order = next((c for c in ("rank", "risk_rank") if info.has(c)), None)
    order_sql = f'c."{order}"' if order else ('c."score" DESC' if info.has("score") else "1")
    select = ", ".join([f'c."{c}"' for c in info.columns] + [f'p."{c}"' for c in ident if join])
    src = f'"{info.name}" c' + (
        ' LEFT JOIN "person" p ON p."person_id" = c."person_id"' if join else ""
    )
    where, params = ('WHERE c."locality_code" = ?', [locality]) if locality else ("", [])
    total = con.execute(f'SELECT count(*) FROM "{info.name}" c {where}', params).fetchall()[0][0]
    rows = con.execute(
        f"SELECT {select} FROM {src} {where} ORDER BY {order_sql} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    out = [{c: jsonable(v) for c, v in zip(cols, r, strict=True)} for r in rows]
    return Page(cols, out, int(total), limit, offset, False)


def area_profile(st: AppState, user: User, code: str) -> dict[str, Any] | None:
    """What the workspace knows about an area code, with its needs indicators (suppressed).

    Aggregate data only, so the answer is cached per code and per suppression level.
    """
    key = ("area_profile", code, user.sees_unsuppressed)
    return st.api_cache.get_or_compute(key, lambda: _area_profile(st, user, code))


def _area_profile(st: AppState, user: User, code: str) -> dict[str, Any] | None:
    con = st.cursor()
    tables = st.catalog.tables(con)
    for table, key in AREA_TABLES:
        info = tables.get(table)
        if info is None or not info.has(key):
            continue
        page = read_page(
            con,
            info,
            filters=[],
            columns=None,
            order_by=None,
            descending=False,
            limit=1,
            offset=0,
            extra_where=(key, code),
        )
        if page.rows:
            out: dict[str, Any] = {"area_type": table, "area": page.rows[0], "indicators": []}
            ind = tables.get("needs_indicator")
            if ind is not None and ind.has("area_code"):
                ipage = read_page(
                    con,
                    ind,
                    filters=[],
                    columns=None,
                    order_by=None,
                    descending=False,
                    limit=1000,
                    offset=0,
                    extra_where=("area_code", code),
                    published=published_for(st, user, ind),
                )
                out["indicators"] = ipage.rows
            return out
    return None


def read_audit(st: AppState, limit: int, offset: int) -> Page:
    total, rows = audit.read(st.store, limit, offset)
    return Page(list(audit.COLUMNS), rows, total, limit, offset, False)

"""The JSON API: every published table, with filtering and paging, and the caseload.

Authentication is the same signed session cookie as the pages (``POST /api/session`` with a
JSON body logs in). Every endpoint except that one answers 401 without a session.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, TypeAdapter

from caremap.app import audit, data
from caremap.app.catalog import visible_kinds
from caremap.app.query import FILTER_PATTERN, NotFound
from caremap.app.security import api_user, end_session, new_session, set_cookie, state
from caremap.app.users import User, authenticate

router = APIRouter(prefix="/api", tags=["api"])
TABLE_PATTERN = r"^[a-z_][a-z0-9_]{0,62}$"
CODE_PATTERN = r"^[A-Za-z0-9_.-]{1,40}$"

TableName = Annotated[str, Path(pattern=TABLE_PATTERN, description="a published table")]
Filters = Annotated[
    list[str] | None,
    Query(
        max_length=20,
        description="`column:op:value`, op one of eq ne lt le gt ge in like "
        "(in: comma-separated values; like: case-insensitive substring). Repeat to AND.",
        json_schema_extra={"items": {"type": "string", "pattern": FILTER_PATTERN}},
    ),
]
Columns = Annotated[
    str | None,
    Query(
        max_length=2000,
        pattern=r"^[a-z_][a-z0-9_]{0,62}(,[a-z_][a-z0-9_]{0,62}){0,199}$",
        description="comma-separated columns to return (default: all)",
    ),
]
OrderBy = Annotated[str | None, Query(pattern=TABLE_PATTERN, description="column to sort by")]
Limit = Annotated[int, Query(ge=1, le=1000, description="rows per page (at most 1000)")]
Offset = Annotated[int, Query(ge=0, le=100_000_000, description="rows to skip")]


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Me(BaseModel):
    username: str
    role: str
    locality_code: str | None = None


class TableSummary(BaseModel):
    name: str
    kind: str
    rows: int
    columns: dict[str, str]
    suppressed: bool = Field(description="small counts are hidden for your role")


TABLE_LIST = TypeAdapter(list[TableSummary])


class RowsPage(BaseModel):
    table: str
    columns: list[str]
    rows: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    suppressed: bool
    suppress_below: int | None = None


@router.post("/session", response_model=Me, summary="Log in (sets the session cookie)")
def login(creds: Credentials, request: Request, response: Response) -> Me:
    st = state(request)
    client = request.client.host if request.client else None
    user = authenticate(st.store, creds.username, creds.password, client=client)
    if user is None:
        audit.record(st.store, None, "login_failed", "api", "", None, client)
        raise HTTPException(401, "wrong user name or password")
    audit.record(st.store, user, "login", "api", "", None, client)
    value, _ = new_session(request, user.username)
    set_cookie(request, response, value)
    return Me(username=user.username, role=user.role, locality_code=user.locality_code)


@router.delete("/session", status_code=204, summary="Log out")
def logout(request: Request, _: User = Depends(api_user)) -> Response:
    end_session(request)  # revoked in the store: the cookie stops working at once
    response = Response(status_code=204)
    response.delete_cookie("caremap_session", path="/")
    return response


@router.get("/me", response_model=Me, summary="Who you are logged in as")
async def me(user: User = Depends(api_user)) -> Me:
    return Me(username=user.username, role=user.role, locality_code=user.locality_code)


@router.get("/tables", response_model=list[TableSummary], summary="Tables you can read")
async def tables(request: Request, user: User = Depends(api_user)) -> Response:
    st = state(request)
    version = st.catalog.fresh_version()  # answers are cached per catalog snapshot
    body = st.api_cache.get(("tables", user.role, version)) if version is not None else None
    if body is None:
        body = await run_in_threadpool(_tables_body, st, user)
    return Response(body, media_type="application/json")


def _tables_body(st, user: User) -> bytes:
    version, snapshot = st.catalog.snapshot(st.cursor())
    kinds = visible_kinds(user.role)
    summaries = [
        TableSummary(
            name=t.name,
            kind=t.kind,
            rows=t.rows,
            columns=t.columns,
            suppressed=t.kind == "aggregate" and not user.sees_unsuppressed,
        )
        for t in sorted(snapshot.values(), key=lambda t: t.name)
        if t.kind in kinds
    ]
    body = TABLE_LIST.dump_json(summaries)
    st.api_cache.put(("tables", user.role, version), body)
    return body


@router.get(
    "/tables/{table}", response_model=RowsPage, summary="Rows of a table, filtered and paged"
)
async def table_rows(
    request: Request,
    table: TableName,
    filter: Filters = None,
    columns: Columns = None,
    order_by: OrderBy = None,
    desc: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
    user: User = Depends(api_user),
) -> Response:
    st = state(request)
    # Aggregate answers depend only on the request and the suppression level (viewers and
    # clinicians see the same tables); person-level answers are never cached. A cached
    # answer is served on the event loop; anything else is read in a worker thread.
    key = (
        "rows",
        user.sees_unsuppressed,
        table,
        tuple(filter or ()),
        columns,
        order_by,
        desc,
        limit,
        offset,
    )
    body = st.api_cache.get(key)
    if body is None:
        body = await run_in_threadpool(
            _rows_body,
            st,
            request,
            user,
            key,
            table,
            filter,
            columns,
            order_by,
            desc,
            limit,
            offset,
        )
    return Response(body, media_type="application/json")


def _rows_page(table: str, page, suppress_below: int | None = None) -> RowsPage:
    return RowsPage(
        table=table,
        columns=page.columns,
        rows=page.rows,
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        suppressed=suppress_below is not None,
        suppress_below=suppress_below,
    )


def _rows_body(
    st, request: Request, user: User, key: tuple, table: str, filter, columns, order_by, desc,
    limit, offset,
) -> bytes:  # fmt: skip
    page = data.read_table(st, request, user, table, filter, columns, order_by, desc, limit, offset)
    below = st.config.suppress_below if page.suppressed else None
    body = _rows_page(table, page, below).model_dump_json().encode()
    if not page.person:
        st.api_cache.put(key, body)
    return body


@router.get(
    "/tables/{table}/csv",
    summary="Download a table (filtered) as CSV, with the same suppression",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def table_csv(
    request: Request,
    table: TableName,
    filter: Filters = None,
    columns: Columns = None,
    order_by: OrderBy = None,
    desc: bool = False,
    user: User = Depends(api_user),
) -> StreamingResponse:
    st = state(request)
    page = data.read_table(
        st, request, user, table, filter, columns, order_by, desc, None, 0, download=True
    )
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(page.columns)
    for r in page.rows:
        w.writerow([safe_cell(r[c]) for c in page.columns])
    if page.suppressed:
        w.writerow([])
        w.writerow(
            [
                f"# counts from 1 to {st.config.suppress_below - 1} and cells that would "
                "reveal them are blank (disclosure control)"
            ]
        )
    return StreamingResponse(
        iter([buf.getvalue()]),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{table}.csv"'},
    )


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run as a formula: text beginning with ``=``,
    ``+``, ``-``, ``@``, tab or carriage return gets a leading apostrophe (OWASP, "CSV
    Injection"). Numbers are written as they are (a negative number is not text)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@router.get("/caseload", response_model=RowsPage, summary="Person-level caseload (audited)")
def caseload(
    request: Request,
    locality: Annotated[
        str | None,
        Query(pattern=CODE_PATTERN, description="locality code (admins; clinicians: their own)"),
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    user: User = Depends(api_user),
) -> RowsPage:
    st = state(request)
    page, table = data.read_caseload(st, request, user, locality, limit, offset)
    return _rows_page(table, page)


@router.get(
    "/areas/{area_code}",
    response_model=dict[str, Any],
    summary="An area (small area, locality, ICS) and its needs",
)
async def area(
    request: Request,
    area_code: Annotated[str, Path(pattern=CODE_PATTERN)],
    user: User = Depends(api_user),
) -> Response:
    st = state(request)
    key = ("area_json", area_code, user.sees_unsuppressed)
    body = st.api_cache.get(key)
    if body is None:
        body = await run_in_threadpool(_area_body, st, user, key, area_code)
    return Response(body, media_type="application/json")


def _area_body(st, user: User, key: tuple, area_code: str) -> bytes:
    found = data.area_profile(st, user, area_code)
    if found is None:
        raise NotFound(f"unknown area {area_code!r}", field="area_code")
    body = json.dumps(jsonable_encoder(found), separators=(",", ":"), allow_nan=False).encode()
    st.api_cache.put(key, body)  # aggregates only
    return body


@router.get("/audit", response_model=RowsPage, summary="The audit trail (admins)")
def audit_log(
    request: Request,
    limit: Limit = 100,
    offset: Offset = 0,
    user: User = Depends(api_user),
) -> RowsPage:
    st = state(request)
    if user.role != "admin":
        raise HTTPException(403, "only admins can read the audit trail")
    page = data.read_audit(st, limit, offset)
    return _rows_page(audit.AUDIT_TABLE, page)


__all__ = ["router", "visible_kinds"]

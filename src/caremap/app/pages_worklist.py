"""The caseload worklist's pages: the list with its filters, the CSV export and the status
form (person-level: never cached, every view audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from caremap.app import worklist, worklist_view
from caremap.app.api import Offset
from caremap.app.capabilities import PageContext
from caremap.app.security import check_csrf, csrf_token, page_user, read_session, state
from caremap.app.users import User

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _worklist_args(
    request: Request,
    locality: str | None,
    practice: str | None,
    tier: str | None,
    since: str | None,
    status: str | None,
) -> dict:
    from datetime import date

    try:
        day = date.fromisoformat(since) if since else None
    except ValueError:
        raise HTTPException(400, "since must be a date such as 2025-01-31") from None
    return {
        "locality": locality or None,
        "practice": practice or None,
        "tier": tier or None,
        "since": day,
        "status": status or None,
    }


Code = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.-]{0,40}$")]
Word = Annotated[str | None, Query(pattern=r"^[a-z ]{0,30}$")]


@router.get("/risk/caseload")
def caseload_page(
    request: Request,
    locality: Code = None,
    practice: Code = None,
    tier: Word = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    status: Word = None,
    offset: Offset = 0,
    user: User = Depends(page_user),
):
    st = state(request)
    args = _worklist_args(request, locality, practice, tier, since, status)
    client = request.client.host if request.client else None
    wl = worklist.read(st, user, client, **args, limit=PAGE_SIZE, offset=offset)
    ctx = PageContext(st, user, request)
    secs = worklist_view.page_sections(
        ctx, wl, args, offset, PAGE_SIZE, csrf_token(request, read_session(request))
    )
    from caremap.app.pages import render  # pages includes this router: import at call time

    return render(
        request,
        "page.html",
        title="Caseload worklist",
        lede="People at highest risk of an emergency admission, for the locality team.",
        sections=secs,
        suppressed_note=None,
    )


@router.get("/risk/caseload.csv")
def caseload_csv(
    request: Request,
    locality: Code = None,
    practice: Code = None,
    tier: Word = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    status: Word = None,
    user: User = Depends(page_user),
):
    st = state(request)
    args = _worklist_args(request, locality, practice, tier, since, status)
    client = request.client.host if request.client else None
    wl = worklist.read(st, user, client, **args, limit=None, action="download")
    body = worklist_view.csv_text(PageContext(st, user, request), wl)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="caseload.csv"'},
    )


@router.post("/risk/caseload/status")
def caseload_status(
    request: Request,
    person_id: Annotated[int, Form(ge=0)],
    status: Annotated[str, Form(max_length=30)],
    csrf_token_: Annotated[str, Form(alias="csrf_token", max_length=128)] = "",
    next: Annotated[str, Form(max_length=400)] = "/risk/caseload",
    user: User = Depends(page_user),
):
    check_csrf(request, read_session(request), csrf_token_)
    st = state(request)
    client = request.client.host if request.client else None
    worklist.set_status(st, user, client, person_id, status)
    back = next if next.startswith("/risk/caseload") and "//" not in next else "/risk/caseload"
    return RedirectResponse(back, status_code=303)

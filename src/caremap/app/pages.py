"""Server-rendered pages in the NHS.UK design system (nhsuk-frontend-jinja templates)."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader

from caremap.app import (
    audit,
    data,
    glossary,
    pages_worklist,
    profiles,
    views,
    views_budget,
    views_operations,
    views_population,
    views_services,
)
from caremap.app.api import CODE_PATTERN, TABLE_PATTERN, Filters, Limit, Offset, OrderBy
from caremap.app.capabilities import BY_SLUG, CAPABILITIES, PageContext, build_page
from caremap.app.security import (
    check_csrf,
    csrf_token,
    current_user,
    end_session,
    new_session,
    page_user,
    read_session,
    set_cookie,
    state,
)
from caremap.app.users import User, authenticate

router = APIRouter(include_in_schema=False)
BUILDER_MODULES = (
    views,
    views_population,
    views_services,
    views_budget,
    views_operations,
)  # importing registers builders
_env = Environment(
    loader=ChoiceLoader(
        [
            FileSystemLoader(str(Path(str(files("caremap.app") / "templates")))),
            PackageLoader("nhsuk_frontend_jinja"),
        ]
    ),
    undefined=ChainableUndefined,
    autoescape=True,
)
_env.globals.update(label=glossary.label, helptext=glossary.helptext, fmt=glossary.fmt)
templates = Jinja2Templates(env=_env)
PAGE_SIZE = 50


def _nav(request: Request, user: User | None) -> list[dict]:
    if user is None:
        return []
    path = request.url.path
    items = [{"href": "/", "text": "Overview", "current": path == "/"}]
    items += [
        {
            "href": f"/{c.slug}",
            "text": c.slug.capitalize(),
            "current": path.startswith(f"/{c.slug}"),
        }
        for c in CAPABILITIES
    ]
    items.append({"href": "/tables", "text": "Tables", "current": path.startswith("/tables")})
    if user.role == "admin":
        items.append(
            {"href": "/admin/audit", "text": "Audit", "current": path.startswith("/admin")}
        )
    return items


NONCE_SLOT = "__caremap_csp_nonce__"


def render_html(request: Request, template: str, **ctx) -> str:
    """The page as text, with a placeholder where the per-response CSP nonce goes."""
    user = ctx.pop("user", None) or current_user(request)
    st = state(request)
    suppressed = user is not None and not user.sees_unsuppressed
    ctx.setdefault(
        "suppressed_note",
        (
            f"Counts from 1 to {st.config.suppress_below - 1}, and cells that would let you work "
            "them out from a total, are not shown (–)."
            if suppressed
            else None
        ),
    )
    sections = ctx.get("sections") or []
    for i, s in enumerate(sections):  # one id per chart on the page, whoever built it
        if s.get("kind") == "chart":
            s["id"] = i + 1
    ctx.setdefault("charts", any(s.get("kind") == "chart" for s in sections))
    return _env.get_template(template).render(
        request=request,
        csp_nonce=NONCE_SLOT,
        user=user,
        nav=_nav(request, user),
        suppress_below=st.config.suppress_below,
        **ctx,
    )


def prepared(html: str) -> tuple[bytes, ...]:
    """A rendered page as UTF-8 pieces around its nonce slots, ready to be cached."""
    return tuple(html.encode().split(NONCE_SLOT.encode()))


def respond(request: Request, html: str | tuple[bytes, ...], status: int = 200) -> HTMLResponse:
    """The page with this response's CSP nonce in its slots."""
    parts = prepared(html) if isinstance(html, str) else html
    return HTMLResponse(request.state.nonce.encode().join(parts), status_code=status)


def render(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
    return respond(request, render_html(request, template, **ctx), status)


async def cached_page(request: Request, user: User, build, template: str = "page.html", **ctx):
    """An aggregate page: its sections are cached per role (and locality), its HTML per user.

    A cached page is answered on the event loop; building one runs in a worker thread.
    Never used for person-level pages, which must be audited on every view.
    """
    st = state(request)
    where = (request.url.path, tuple(sorted(request.query_params.multi_items())))
    html_key = (user.username, user.role, *where)
    html = st.html_cache.get(html_key)
    if html is None:

        def make() -> tuple[bytes, ...]:
            key = (user.role, user.locality_code, *where)
            sections = st.section_cache.get_or_compute(key, build)
            return prepared(render_html(request, template, user=user, sections=sections, **ctx))

        html = await run_in_threadpool(st.html_cache.get_or_compute, html_key, make)
    return respond(request, html)


def error_page(request: Request, status: int, message: str) -> Response:
    titles = {
        400: "Bad request",
        401: "Log in",
        403: "Not allowed",
        404: "Not found",
        413: "Request too large",
        414: "Address too long",
        422: "Bad request",
    }
    try:
        back = request.url.path if request.url.query and status in (400, 404, 422) else "/"
        if back.startswith(("/api", "/static", "/assets", "/vendor")):
            back = "/"
        return render(
            request,
            "error.html",
            status=status,
            title=titles.get(status, "Something went wrong"),
            message=message,
            back=back,
        )
    except Exception:  # never fail while reporting a failure
        return HTMLResponse(f"<h1>{status}</h1>", status_code=status)


router.include_router(pages_worklist.router)


# Login and logout ------------------------------------------------------------------------


def _safe_next(raw: str | None) -> str:
    """Only local paths (no scheme, no host, no query) are followed after login."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw.split("?", 1)[0]
    return "/"


@router.get("/login")
def login_form(request: Request, next: Annotated[str | None, Query(max_length=200)] = None):
    session = read_session(request)
    cookie = None
    if not session.get("sid"):
        cookie, session = new_session(request, None)
    resp = render(
        request,
        "login.html",
        title="Log in to caremap",
        csrf=csrf_token(request, session),
        next=_safe_next(next),
        user=None,
    )
    if cookie:
        set_cookie(request, resp, cookie)
    return resp


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token_: Annotated[str, Form(alias="csrf_token", max_length=128)] = "",
    next: Annotated[str, Form(max_length=200)] = "/",
):
    session = read_session(request)
    check_csrf(request, session, csrf_token_)
    st = state(request)
    user = authenticate(st.cursor(), username, password)
    client = request.client.host if request.client else None
    if user is None:
        audit.record(st.cursor(), None, "login_failed", "page", "", None, client)
        return render(
            request,
            "login.html",
            status=401,
            title="Log in to caremap",
            csrf=csrf_token(request, session),
            next=_safe_next(next),
            error="Wrong user name or password.",
            user=None,
        )
    audit.record(st.cursor(), user, "login", "page", "", None, client)
    value, _ = new_session(request, user.username)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(request, resp, value)
    return resp


@router.get("/logout")
def logout_form(request: Request, user: User = Depends(page_user)):
    return render(
        request, "logout.html", title="Log out", csrf=csrf_token(request, read_session(request))
    )


@router.post("/logout")
def logout(
    request: Request, csrf_token_: Annotated[str, Form(alias="csrf_token", max_length=128)] = ""
):
    check_csrf(request, read_session(request), csrf_token_)
    end_session(request)  # revoked in the user store: a replayed cookie no longer works
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie("caremap_session", path="/")
    return resp


# Pages -------------------------------------------------------------------------------------


@router.get("/")
async def overview(request: Request, user: User = Depends(page_user)):
    return await cached_page(
        request,
        user,
        lambda: views.overview(PageContext(state(request), user, request)),
        title="Overview",
        lede="A synthetic or local health economy as caremap sees it.",
    )


def _capability_route(slug: str):
    cap = BY_SLUG[slug]

    async def page(request: Request, user: User = Depends(page_user)):
        return await cached_page(
            request,
            user,
            lambda: build_page(PageContext(state(request), user, request), cap),
            title=cap.title,
            lede=cap.lede,
        )

    page.__name__ = f"page_{slug}"
    return page


for _cap in CAPABILITIES:
    router.add_api_route(f"/{_cap.slug}", _capability_route(_cap.slug), methods=["GET"])


def _code(code: str, what: str) -> str:
    if not re.match(CODE_PATTERN, code):
        raise HTTPException(400, f"a {what} code has letters, digits, '.', '_' or '-' only")
    return code


async def _profile(request: Request, user: User, build, code: str, lede: str):
    """A cached profile page; its title is computed with its sections."""
    st = state(request)
    key = (user.role, user.locality_code, request.url.path, request.url.query)

    def make():
        ctx = PageContext(st, user, request)
        title, secs = build(ctx, code)
        return prepared(
            render_html(request, "page.html", user=user, title=title, lede=lede, sections=secs)
        )

    html = await run_in_threadpool(st.html_cache.get_or_compute, (user.username, *key), make)
    return respond(request, html)


@router.get("/needs/area/{area_code}")
async def area_page(request: Request, area_code: str, user: User = Depends(page_user)):
    code = _code(area_code, "area")
    return await _profile(request, user, profiles.area_profile, code, "Small area profile.")


@router.get("/areas/{area_code}")
async def area_profile_page(request: Request, area_code: str, user: User = Depends(page_user)):
    code = _code(area_code, "area")
    return await _profile(
        request,
        user,
        profiles.area_profile,
        code,
        "Area profile: needs compared with the ICS and the region.",
    )


@router.get("/sites/{site_code}")
async def site_page(request: Request, site_code: str, user: User = Depends(page_user)):
    code = _code(site_code, "site")
    return await _profile(request, user, profiles.site_profile, code, "Site profile.")


@router.get("/help")
async def help_page(request: Request, user: User = Depends(page_user)):
    return await cached_page(
        request,
        user,
        lambda: views.help_sections(),
        title="Help and glossary",
        lede="What each figure means and how areas are compared.",
    )


@router.get("/tables")
async def tables_page(request: Request, user: User = Depends(page_user)):
    return await cached_page(
        request,
        user,
        lambda: views.table_list(PageContext(state(request), user, request)),
        title="Tables",
    )


@router.get("/tables/{table}")
async def table_page(
    request: Request,
    table: str,
    filter: Filters = None,
    order_by: OrderBy = None,
    desc: bool = False,
    offset: Offset = 0,
    limit: Limit = PAGE_SIZE,
    user: User = Depends(page_user),
):
    if not re.match(TABLE_PATTERN, table):
        raise HTTPException(404, "no such table")
    st = state(request)
    # aggregate and reference tables only: person-level pages are read (and audited) each time
    key = ("table", user.username, user.role, request.url.path, request.url.query)
    html = st.html_cache.get(key)
    if html is None:
        html = await run_in_threadpool(
            _table_html, request, user, table, filter, order_by, desc, offset, limit, key
        )
    return respond(request, html)


def _table_html(
    request: Request,
    user: User,
    table: str,
    filter: list[str] | None,
    order_by: str | None,
    desc: bool,
    offset: int,
    limit: int,
    key: tuple,
) -> tuple[bytes, ...]:
    st = state(request)
    page = data.read_table(st, request, user, table, filter, None, order_by, desc, limit, offset)
    base = [("filter", f) for f in filter or []]
    if order_by:
        base += [("order_by", order_by), ("desc", str(desc).lower())]
    query = ("?" + urlencode(base)) if base else ""

    def href(off: int) -> str:
        return f"/tables/{table}?" + urlencode([*base, ("offset", off), ("limit", limit)])

    html = prepared(
        render_html(
            request,
            "table.html",
            user=user,
            title=table,
            table=table,
            page=page,
            query=query,
            prev_href=href(max(0, offset - limit)) if offset > 0 else None,
            next_href=href(offset + limit) if offset + limit < page.total else None,
            suppressed_note=None
            if not page.suppressed
            else f"Counts from 1 to {st.config.suppress_below - 1}, and cells that would reveal them, are blank.",
        )
    )
    if not page.person:
        st.html_cache.put(key, html)
    return html


@router.get("/admin/audit")
def audit_page(request: Request, offset: Offset = 0, user: User = Depends(page_user)):
    if user.role != "admin":
        raise HTTPException(403, "only admins can read the audit trail")
    st = state(request)
    import pandas as pd

    page = data.read_audit(st, 200, offset)
    ctx = PageContext(st, user, request)
    return render(
        request,
        "page.html",
        title="Audit trail",
        sections=[
            ctx.table(
                f"{page.total:,} entries, newest first",
                pd.DataFrame(page.rows, columns=page.columns),
                rows=200,
            )
        ],
    )

"""The FastAPI application: middleware, error handling, static files and `serve`.

Security headers on every response: a Content-Security-Policy allowing scripts and styles
from this server only (plus a per-request nonce for the NHS.UK template's one inline
script), no framing, no referrer. The access log records method, path (never the query
string, which could carry a search term), status, time and role.
"""

from __future__ import annotations

import logging
import secrets
import time
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from caremap.app import api, pages, users
from caremap.app.config import AppConfig
from caremap.app.query import NotFound
from caremap.app.security import LoginRequired, current_user
from caremap.app.state import AppState
from caremap.core.errors import CaremapError, WorkspaceError

log = logging.getLogger("caremap.app.access")
STATIC = Path(str(files("caremap.app") / "static"))


def plotly_js_path() -> Path:
    """plotly.min.js as shipped inside the plotly Python package (served, not copied)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


def create_app(config: AppConfig | None = None, *, warm: bool = True) -> FastAPI:
    """The app over ``config.workspace`` (a DuckDB file); ``warm`` precomputes suppressed
    tables in the background."""
    config = config or AppConfig()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.caremap.close()  # checkpoint and release the workspace on shutdown

    app = FastAPI(
        lifespan=lifespan,
        title="caremap",
        description="Commissioning intelligence: result tables of a caremap workspace.",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.caremap = AppState(config)
    if config.cache_seconds > 0 and warm:
        app.state.caremap.start_warming()
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/assets", StaticFiles(directory=STATIC / "nhsuk" / "assets"), name="assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js(request: Request) -> FileResponse:
        if current_user(request) is None:
            raise HTTPException(401, "log in first")
        return FileResponse(
            plotly_js_path(),
            media_type="text/javascript",
            headers={"Cache-Control": "private, max-age=86400"},
        )

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(request: Request) -> JSONResponse:
        if current_user(request) is None:
            raise HTTPException(401, "log in first")
        return JSONResponse(openapi_document(app))

    _middleware(app, config)
    _handlers(app)
    return app


def openapi_document(app: FastAPI) -> dict:
    """The OpenAPI description, with the currently published tables as an enum."""
    doc = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    st: AppState = app.state.caremap
    names = sorted(st.catalog.tables(st.cursor()))
    for path_item in doc.get("paths", {}).values():
        for op in path_item.values():
            for p in op.get("parameters", []):
                if p.get("name") == "table" and p.get("in") == "path" and names:
                    p["schema"]["enum"] = names
    return doc


CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


class BodyTooLarge(Exception):
    """A request body grew past ``max_body_bytes`` while it was being received."""


async def bounded_body(receive, limit: int) -> list[dict]:
    """The request body's messages, read until it ends or passes ``limit`` bytes (then
    `BodyTooLarge`, having held at most ``limit`` bytes: a chunked body without
    Content-Length is refused as soon as it is too large, never read whole)."""
    messages, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            messages.append(message)  # a disconnect: pass it on
            return messages
        size += len(message.get("body", b""))
        if size > limit:
            raise BodyTooLarge()
        messages.append(message)
        if not message.get("more_body", False):
            return messages


def _replay(buffered: list[dict], receive):
    """A receive callable giving the buffered body first, then the connection's own."""

    async def replay():
        if buffered:
            return buffered.pop(0)
        return await receive()

    return replay


class Guard:
    """Pure ASGI middleware: size limits (query string, and the body as it streams in, with or
    without Content-Length), security headers, a CSP nonce and the access log."""

    def __init__(self, app, config: AppConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["nonce"] = nonce
        request = Request(scope)
        cfg = self.config
        length = request.headers.get("content-length")
        early = None
        if len(scope.get("query_string", b"")) > cfg.max_query_chars:
            early = _error(request, 414, f"query string longer than {cfg.max_query_chars}")
        elif length is not None and (not length.isdigit() or int(length) > cfg.max_body_bytes):
            early = _error(request, 413, f"request body larger than {cfg.max_body_bytes} bytes")
        status = 0
        path = scope.get("path", "")
        users.CLIENT.set(scope["client"][0] if scope.get("client") else None)
        if early is None:  # every method: a GET may carry a body too
            try:
                buffered = await bounded_body(receive, cfg.max_body_bytes)
            except BodyTooLarge:
                early = _error(request, 413, f"request body larger than {cfg.max_body_bytes} bytes")
            else:
                receive = _replay(buffered, receive)

        async def send_with_headers(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CSP.format(nonce=nonce)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                if not path.startswith(("/assets", "/static", "/vendor")):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        if early is not None:
            await early(scope, receive, send_with_headers)
        else:
            await self.app(scope, receive, send_with_headers)
        if log.isEnabledFor(logging.INFO):
            user = scope["state"].get("user")
            log.info(
                "%s %s %s %.0fms %s",
                scope.get("method"),
                path,  # never the query string
                status,
                1000 * (time.perf_counter() - t0),
                user.role if user else "-",
            )


def _middleware(app: FastAPI, config: AppConfig) -> None:
    app.add_middleware(Guard, config=config)


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request) or request.url.path.startswith(("/static", "/assets", "/vendor")):
        return JSONResponse({"detail": message}, status_code=status)
    return pages.error_page(request, status, message)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(users.LoginThrottled)
    async def throttled(request: Request, exc: users.LoginThrottled):
        response = _error(request, 429, str(exc.detail))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(users.LoginBusy)
    async def busy(request: Request, exc: users.LoginBusy):
        response = _error(request, 503, str(exc.detail))
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return _error(request, 404, str(exc.detail))

    @app.exception_handler(WorkspaceError)
    async def missing(request: Request, exc: WorkspaceError):
        return _error(request, 404, str(exc))

    @app.exception_handler(CaremapError)
    async def bad(request: Request, exc: CaremapError):
        return _error(request, 400, getattr(exc, "detail", None) or str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        problems = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            problems.append(f"{where}: {e.get('msg')}")  # the offending value is not echoed
        return _error(request, 422, "; ".join(problems) or "invalid request")

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        logging.getLogger("caremap.app").error(
            "internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__
        )
        return _error(request, 500, "internal error: please report it (no details are shown)")


def serve(
    config: AppConfig, host: str = "127.0.0.1", port: int = 8000, workers_log: bool = True
) -> None:
    """Run the app with uvicorn; the access log is ours (no query strings)."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not workers_log:
        log.setLevel(logging.WARNING)
    app = create_app(config)
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=False,
        log_level="info",
        server_header=False,
        date_header=False,
    )

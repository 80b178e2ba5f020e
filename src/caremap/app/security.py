"""Sessions, CSRF tokens and role checks.

A session is a cookie signed with itsdangerous (HMAC-SHA1 over the payload and a timestamp,
expiring after ``session_hours``) holding a random session id and, once logged in, the user
name. A logged-in session id must also be live in the user store (`caremap.app.users`), read on
every request: logging out, disabling the user or changing their password (in the server or
with `caremap user ...` while it runs) ends it at once. The signing key is kept outside the
workspace (`caremap.app.signing`). Forms carry a CSRF token, an HMAC of the session id (the synchroniser
token pattern of the OWASP CSRF cheat sheet); JSON endpoints that change state accept only
``application/json`` bodies, which a cross-site form cannot send.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from itsdangerous import BadSignature, URLSafeTimedSerializer

from caremap.app import users
from caremap.app.state import AppState
from caremap.app.users import User

COOKIE = "caremap_session"


class LoginRequired(Exception):
    """A page was asked for without a session: the handler redirects to the login form."""


def state(request: Request) -> AppState:
    return request.app.state.caremap


def _serializer(st: AppState) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(st.secret_key, salt="caremap-session")


def read_session(request: Request) -> dict[str, Any]:
    """The session in the request's cookie, or {} when absent, forged or expired.

    A cookie that verified is remembered (by its exact signed value, until the earlier of
    a minute and its own expiry), so the signature is not recomputed on every request.
    """
    st = state(request)
    raw = request.cookies.get(COOKIE)
    if not raw:
        return {}
    hit = st.session_cache.get(raw)
    if hit is not None and time.time() < hit[0]:
        return dict(hit[1])
    max_age = int(st.config.session_hours * 3600)
    try:
        data, signed_at = _serializer(st).loads(raw, max_age=max_age, return_timestamp=True)
    except BadSignature:
        return {}
    if not isinstance(data, dict):
        return {}
    st.session_cache.put(raw, (signed_at.timestamp() + max_age, data))
    return dict(data)


def new_session(request: Request, username: str | None) -> tuple[str, dict[str, Any]]:
    """A fresh signed cookie value (new id on every login: no session fixation); a login's
    session is recorded in the user store, where logging out revokes it."""
    st = state(request)
    if username is None:
        sid = secrets.token_urlsafe(24)
    else:
        sid = users.create_session(st.store, username, st.config.session_hours)
        end_session(request)  # the pre-login session, if it was a login
    data = {"sid": sid, "u": username}
    return _serializer(st).dumps(data), data


def end_session(request: Request) -> None:
    """Revoke the request's session in the store (logout): the cookie stops working at once,
    in every worker, even if a copy of it is replayed."""
    session = read_session(request)
    if session.get("u") and session.get("sid"):
        users.revoke_session(state(request).store, session["sid"])


def set_cookie(request: Request, response, value: str) -> None:
    st = state(request)
    response.set_cookie(
        COOKIE,
        value,
        max_age=int(st.config.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=st.config.secure_cookies,
        path="/",
    )


def csrf_token(request: Request, session: dict[str, Any]) -> str:
    sid = session.get("sid", "")
    key = state(request).secret_key.encode()
    return hmac.new(key, f"csrf:{sid}".encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, session: dict[str, Any], token: str | None) -> None:
    if not session.get("sid") or not token:
        raise HTTPException(403, "missing CSRF token: reload the form and try again")
    if not hmac.compare_digest(csrf_token(request, session), token):
        raise HTTPException(403, "invalid CSRF token: reload the form and try again")


_MISS = object()


def _known_user(request: Request) -> User | object | None:
    """The user already found for this request, None without a login, else ``_MISS``."""
    cached = getattr(request.state, "user", _MISS)
    if cached is not _MISS:
        return cached
    if not read_session(request).get("u"):
        request.state.user = None
        return None
    return _MISS


def current_user(request: Request) -> User | None:
    """The user of the request's live session (read from the store: no caching, so a
    revoked session or disabled user stops at once)."""
    user = _known_user(request)
    if user is not _MISS:
        return user  # type: ignore[return-value]
    session = read_session(request)
    user = users.session_user(state(request).store, session.get("sid") or "")
    if user is not None and user.username != session.get("u"):
        user = None
    request.state.user = user
    return user


async def current_user_async(request: Request) -> User | None:
    """`current_user` for the event loop: the store is read in a worker thread."""
    user = _known_user(request)
    if user is _MISS:
        return await run_in_threadpool(current_user, request)
    return user  # type: ignore[return-value]


async def api_user(request: Request) -> User:
    """Dependency for the JSON API: 401 without a valid session."""
    user = await current_user_async(request)
    if user is None:
        raise HTTPException(401, "log in first: POST /api/session or use the login page")
    return user


async def page_user(request: Request) -> User:
    """Dependency for pages: redirect to the login form without a valid session."""
    user = await current_user_async(request)
    if user is None:
        raise LoginRequired()
    return user


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise HTTPException(403, f"your role ({user.role}) cannot see this; ask an admin")

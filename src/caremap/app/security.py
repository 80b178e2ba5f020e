"""Sessions, CSRF tokens and role checks.

A session is a cookie signed with itsdangerous (HMAC-SHA1 over the payload and a timestamp,
expiring after ``session_hours``) holding a random session id and, once logged in, the user
name; the user's role is read from ``app_user`` on every request, so disabling an account
takes effect at once. Forms carry a CSRF token, an HMAC of the session id (the synchroniser
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

from caremap.app.state import AppState
from caremap.app.users import User, get_user

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
    """A fresh signed cookie value (new id on every login: no session fixation)."""
    data = {"sid": secrets.token_urlsafe(24), "u": username}
    return _serializer(state(request)).dumps(data), data


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
    """The session's user without touching the database: ``_MISS`` when it must be read."""
    cached = getattr(request.state, "user", _MISS)
    if cached is not _MISS:
        return cached
    name = read_session(request).get("u")
    if not name:
        request.state.user = None
        return None
    user = state(request).user_cache.get(name)  # re-read from app_user every few seconds
    if user is not None:
        request.state.user = user
        return user
    return _MISS


def current_user(request: Request) -> User | None:
    user = _known_user(request)
    if user is not _MISS:
        return user  # type: ignore[return-value]
    name = read_session(request).get("u")
    st = state(request)
    user = get_user(st.cursor(), name)
    if user is not None:
        st.user_cache.put(name, user)
    request.state.user = user
    return user


async def current_user_async(request: Request) -> User | None:
    """`current_user` for the event loop: the database is read in a worker thread, and only
    when the user is not in the few-second user cache."""
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

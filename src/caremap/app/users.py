"""Users, roles, sessions and login throttling, kept in a small SQLite store beside the workspace.

The store (``caremap.auth.sqlite`` beside ``caremap.duckdb``; `store_path`) is a separate file so
that `caremap user ...` works while the dashboard serves (DuckDB allows one writing process; a
SQLite database in WAL mode takes readers and a writer from several processes at once), and so
that every worker process of the server sees a logout, a disabled account or a new password on
its next request. It also holds the audit trail (`caremap.app.audit`).

Passwords are hashed with Argon2id (RFC 9106, via argon2-cffi); the hash is never shown.
Roles, from least to most trusted:

* ``viewer``: aggregate pages and API, counts under the threshold suppressed;
* ``clinician``: a locality clinical team: as viewer, plus the person-level caseload of its own
  locality (every view audited);
* ``analyst``: every aggregate table unsuppressed; no person-level rows;
* ``admin``: everything, including person-level tables and the audit trail (views audited).

Sessions are rows of ``session`` (a random id, the user, an expiry, revoked or not): the cookie
carries only the signed id, so logging out, disabling the user or changing their password
revokes it at once (OWASP Session Management Cheat Sheet, "server-side session store").

Login throttling (OWASP Authentication Cheat Sheet, "account lockout" and per-address limits):
failed logins are counted per account and per client address over a window
(`THROTTLE_WINDOW`); past the limit further attempts are refused without checking the password
until the window has moved on. Argon2 verifications run at most `MAX_VERIFICATIONS` at a time
per process (each takes 64 MiB), so a burst of logins cannot exhaust memory.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from caremap.core.errors import InputError, WorkspaceError

ROLES = ("viewer", "clinician", "analyst", "admin")
Role = Literal["viewer", "clinician", "analyst", "admin"]
USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
LEGACY_USER_TABLE = "app_user"  # where users lived inside the workspace before the store

THROTTLE_WINDOW = 15 * 60.0  # seconds
MAX_FAILURES_PER_ACCOUNT = 10
MAX_FAILURES_PER_CLIENT = 30
MAX_VERIFICATIONS = 2  # concurrent Argon2 verifications per process
VERIFY_WAIT = 10.0  # seconds a login waits for a verification slot before "busy"
_verify_slots = threading.BoundedSemaphore(MAX_VERIFICATIONS)

# The client address of the request being served (set by the server's middleware), so that
# every login path is throttled per address without passing it through each caller.
CLIENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("caremap_client", default=None)

# Argon2id parameters: RFC 9106's second recommended option (64 MiB, t=3) by default.
# ``CAREMAP_ARGON2_PROFILE=cheapest`` exists for test suites only: never use it for real users.
ARGON2_PROFILES = {
    "rfc9106_low_memory": profiles.RFC_9106_LOW_MEMORY,
    "cheapest": profiles.CHEAPEST,
}


class LoginThrottled(InputError):
    """Too many failed logins for this account or address: answered 429 with Retry-After."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, field="username")
        self.retry_after = retry_after


class LoginBusy(InputError):
    """Every password-verification slot stayed busy: answered 503 (try again shortly)."""


@cache
def _hasher_for(profile: str) -> tuple[PasswordHasher, str]:
    try:
        params = ARGON2_PROFILES[profile]
    except KeyError:
        raise InputError(
            f"unknown CAREMAP_ARGON2_PROFILE {profile!r}; use one of {', '.join(ARGON2_PROFILES)}"
        ) from None
    hasher = PasswordHasher.from_parameters(params)
    # Verifying against this keeps a login for an unknown user as slow as for a known one.
    return hasher, hasher.hash("caremap-no-such-user")


def _hasher() -> tuple[PasswordHasher, str]:
    return _hasher_for(os.environ.get("CAREMAP_ARGON2_PROFILE", "rfc9106_low_memory"))


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    locality_code: str | None = None

    @property
    def sees_unsuppressed(self) -> bool:
        return self.role in ("analyst", "admin")


SCHEMA = """
CREATE TABLE IF NOT EXISTS user (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL,
  role TEXT NOT NULL, locality_code TEXT, active INTEGER NOT NULL DEFAULT 1,
  created_at REAL NOT NULL, changed_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS session (sid TEXT PRIMARY KEY, username TEXT NOT NULL,
  created_at REAL NOT NULL, expires_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS session_user ON session (username);
CREATE TABLE IF NOT EXISTS login_failure (kind TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS login_failure_key ON login_failure (kind, key, at);
CREATE TABLE IF NOT EXISTS audit (logged_at TEXT NOT NULL, username TEXT, role TEXT,
  action TEXT NOT NULL, target TEXT, detail TEXT, person_rows INTEGER, client TEXT);
"""


def store_path(workspace: str | os.PathLike) -> Path:
    """Where a workspace's user store lives: ``NAME.auth.sqlite`` beside ``NAME.duckdb``."""
    p = Path(workspace)
    return p.with_name(p.stem + ".auth.sqlite")


class UserStore:
    """The SQLite store of users, sessions, failed logins and the audit trail.

    One connection per thread (sqlite3 connections are not shared across threads); WAL mode and
    a busy timeout let the server's workers and the command line use it at the same time.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._local = threading.local()
        try:
            con = self.connect()
            con.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise WorkspaceError(f"cannot open the user store {self.path}: {exc}") from None
        with contextlib.suppress(OSError):  # password hashes and the audit trail: owner only
            os.chmod(self.path, 0o600)

    def connect(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            self._local.con = con
        return con

    def execute(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        try:
            return self.connect().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise WorkspaceError(f"user store {self.path}: {exc}") from None

    def import_legacy(self, con: Any) -> int:
        """Copy users from a workspace's old ``app_user`` table when the store has none."""
        if self.execute("SELECT count(*) FROM user")[0][0]:
            return 0
        try:
            rows = con.execute(
                f"SELECT username, password_hash, role, locality_code, active "
                f"FROM {LEGACY_USER_TABLE}"
            ).fetchall()
        except Exception:  # no legacy table
            return 0
        now = time.time()
        for u, h, r, loc, active in rows:
            self.execute(
                "INSERT OR IGNORE INTO user VALUES (?, ?, ?, ?, ?, ?, ?)",
                (u, h, r, loc, int(bool(active)), now, now),
            )
        return len(rows)


_stores: dict[Path, UserStore] = {}
_stores_lock = threading.Lock()


def open_store(path: str | os.PathLike) -> UserStore:
    """The store at ``path`` (one object per file per process)."""
    key = Path(path).resolve()
    with _stores_lock:
        store = _stores.get(key)
        if store is None or not key.exists():
            store = _stores[key] = UserStore(key)
        return store


def store_for(target: Any) -> UserStore:
    """A store from a `UserStore`, a workspace path, or an open DuckDB connection of a
    workspace file (its store is the file beside it; legacy users are imported once)."""
    if isinstance(target, UserStore):
        return target
    if isinstance(target, str | os.PathLike):
        return open_store(store_path(target))
    rows = target.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    if not rows or not rows[0][0]:
        raise WorkspaceError("users need a workspace file (an in-memory workspace has none)")
    store = open_store(store_path(rows[0][0]))
    store.import_legacy(target)
    return store


def _validate(username: str, password: str, role: str, locality_code: str | None) -> None:
    problems = []
    if not USERNAME.match(username or ""):
        problems.append(
            "username must be 2-64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter"
        )
    if len(password or "") < MIN_PASSWORD:
        problems.append(f"password must have at least {MIN_PASSWORD} characters")
    if role not in ROLES:
        problems.append(f"role must be one of {', '.join(ROLES)} (got {role!r})")
    if role == "clinician" and not locality_code:
        problems.append("a clinician needs --locality: the locality whose caseload they see")
    if problems:
        raise InputError("; ".join(problems), field="user")


def add_user(
    target: Any,
    username: str,
    password: str,
    role: str,
    locality_code: str | None = None,
    *,
    replace: bool = False,
    known_localities: set[str] | None = None,
) -> User:
    """Create (or with ``replace`` update) a user; the password is stored only as a hash.

    Replacing a user (a new password or role) revokes their sessions at once. Localities are
    checked against the workspace when ``target`` is a workspace connection, or against
    ``known_localities`` when given.
    """
    _validate(username, password, role, locality_code)
    if locality_code is not None:
        known = known_localities if known_localities is not None else locality_codes(target)
        if known and locality_code not in known:
            sample = ", ".join(sorted(known)[:8])
            raise InputError(
                f"unknown locality {locality_code!r}; known: {sample}...", field="locality"
            )
    store = store_for(target)
    exists = store.execute("SELECT 1 FROM user WHERE username = ?", (username,))
    if exists and not replace:
        raise InputError(f"user {username!r} already exists (use --replace)", field="username")
    pw_hash = _hasher()[0].hash(password)
    now = time.time()
    if exists:
        store.execute(
            "UPDATE user SET password_hash = ?, role = ?, locality_code = ?, active = 1, "
            "changed_at = ? WHERE username = ?",
            (pw_hash, role, locality_code, now, username),
        )
        revoke_sessions(store, username)
    else:
        store.execute(
            "INSERT INTO user VALUES (?, ?, ?, ?, 1, ?, ?)",
            (username, pw_hash, role, locality_code, now, now),
        )
    return User(username, role, locality_code)  # type: ignore[arg-type]


def locality_codes(target: Any) -> set[str]:
    """A workspace's locality codes (empty when it has none or ``target`` is not a workspace)."""
    if isinstance(target, UserStore | str | os.PathLike):
        return set()
    known: set[str] = set()
    for table in ("locality", "needs_locality_map"):
        try:
            rows = target.execute(f"SELECT DISTINCT locality_code FROM {table}").fetchall()
        except Exception:
            continue
        known.update(str(r[0]) for r in rows if r[0] is not None)
    return known


def throttle_check(store: UserStore, username: str, client: str | None) -> None:
    """Refuse (`LoginThrottled`) when the account or the address has too many recent failures."""
    since = time.time() - THROTTLE_WINDOW
    for kind, key, limit in (
        ("account", username, MAX_FAILURES_PER_ACCOUNT),
        ("client", client, MAX_FAILURES_PER_CLIENT),
    ):
        if key is None:
            continue
        rows = store.execute(
            "SELECT count(*), min(at) FROM login_failure WHERE kind = ? AND key = ? AND at > ?",
            (kind, key, since),
        )
        n, oldest = rows[0]
        if n >= limit:
            wait = max(1, int(oldest + THROTTLE_WINDOW - time.time()) + 1)
            what = "this account" if kind == "account" else "your address"
            raise LoginThrottled(
                f"too many failed logins for {what}: try again in {wait} seconds", wait
            )


def _record_failure(store: UserStore, username: str, client: str | None) -> None:
    now = time.time()
    store.execute("INSERT INTO login_failure VALUES ('account', ?, ?)", (username[:64], now))
    if client:
        store.execute("INSERT INTO login_failure VALUES ('client', ?, ?)", (client, now))
    store.execute("DELETE FROM login_failure WHERE at < ?", (now - THROTTLE_WINDOW,))


def authenticate(
    target: Any, username: str, password: str, client: str | None = None
) -> User | None:
    """The user if the password matches an active account, else None (same cost either way).

    Throttled per account and per client address (``client``, else the address of the request
    being served); raises `LoginThrottled` or `LoginBusy` instead of checking the password.
    """
    store = store_for(target)
    client = client if client is not None else CLIENT.get()
    throttle_check(store, username, client)
    rows = store.execute(
        "SELECT password_hash, role, locality_code FROM user WHERE username = ? AND active",
        (username,),
    )
    row = rows[0] if rows else None
    hasher, dummy = _hasher()
    if not _verify_slots.acquire(timeout=VERIFY_WAIT):
        raise LoginBusy("the server is busy checking other logins: try again in a few seconds")
    try:
        hasher.verify(row[0] if row else dummy, password)
        ok = row is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    finally:
        _verify_slots.release()
    if not ok:
        _record_failure(store, username, client)
        return None
    store.execute("DELETE FROM login_failure WHERE kind = 'account' AND key = ?", (username,))
    return User(username, row[1], row[2])


def get_user(target: Any, username: str) -> User | None:
    """An active user by name (read on every request, so a disabled account stops at once)."""
    rows = store_for(target).execute(
        "SELECT role, locality_code FROM user WHERE username = ? AND active", (username,)
    )
    return User(username, rows[0][0], rows[0][1]) if rows else None


def list_users(target: Any) -> list[User]:
    rows = store_for(target).execute(
        "SELECT username, role, locality_code FROM user WHERE active ORDER BY username"
    )
    return [User(*r) for r in rows]


def disable_user(target: Any, username: str) -> bool:
    """Disable a user and revoke every session of theirs (effective on the next request)."""
    store = store_for(target)
    n = store.execute(
        "UPDATE user SET active = 0, changed_at = ? WHERE username = ? RETURNING username",
        (time.time(), username),
    )
    revoke_sessions(store, username)
    return bool(n)


# Sessions --------------------------------------------------------------------------------


def create_session(store: UserStore, username: str, hours: float) -> str:
    """A new session id for a user who has just logged in."""
    sid = secrets.token_urlsafe(32)
    now = time.time()
    store.execute(
        "INSERT INTO session VALUES (?, ?, ?, ?, 0)", (sid, username, now, now + hours * 3600)
    )
    store.execute("DELETE FROM session WHERE expires_at < ?", (now - 86400,))
    return sid


def session_user(store: UserStore, sid: str) -> User | None:
    """The active user of a live (not revoked, not expired) session, else None."""
    rows = store.execute(
        "SELECT u.username, u.role, u.locality_code FROM session s JOIN user u "
        "ON u.username = s.username WHERE s.sid = ? AND NOT s.revoked AND s.expires_at > ? "
        "AND u.active",
        (sid, time.time()),
    )
    return User(*rows[0]) if rows else None


def revoke_session(store: UserStore, sid: str) -> None:
    store.execute("UPDATE session SET revoked = 1 WHERE sid = ?", (sid,))


def revoke_sessions(store: UserStore, username: str | None = None) -> int:
    """Revoke every session of a user (or of everyone): effective on the next request."""
    if username is None:
        return len(store.execute("UPDATE session SET revoked = 1 RETURNING sid"))
    return len(
        store.execute(
            "UPDATE session SET revoked = 1 WHERE username = ? RETURNING sid", (username,)
        )
    )


def copy_store(source_workspace: str | os.PathLike, dest_workspace: str | os.PathLike) -> None:
    """Copy a workspace's user store to another workspace's place (SQLite's online backup,
    so writes still in the write-ahead log are included)."""
    src = sqlite3.connect(store_path(source_workspace))
    dst = sqlite3.connect(store_path(dest_workspace))
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    with _stores_lock:
        _stores.pop(store_path(dest_workspace).resolve(), None)

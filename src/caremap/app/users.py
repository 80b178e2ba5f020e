"""Users and roles of the web app, kept in the workspace table ``app_user``.

Passwords are hashed with Argon2id (RFC 9106, via argon2-cffi); the hash is never shown.
Roles, from least to most trusted:

* ``viewer``: aggregate pages and API, counts under the threshold suppressed;
* ``clinician``: a locality clinical team: as viewer, plus the person-level caseload of its own
  locality (every view audited);
* ``analyst``: every aggregate table unsuppressed; no person-level rows;
* ``admin``: everything, including person-level tables and the audit trail (views audited).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

import duckdb
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from caremap.core.errors import InputError

USER_TABLE = "app_user"
ROLES = ("viewer", "clinician", "analyst", "admin")
Role = Literal["viewer", "clinician", "analyst", "admin"]
USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10

# Argon2id parameters: RFC 9106's second recommended option (64 MiB, t=3) by default.
# ``CAREMAP_ARGON2_PROFILE=cheapest`` exists for test suites only: never use it for real users.
ARGON2_PROFILES = {
    "rfc9106_low_memory": profiles.RFC_9106_LOW_MEMORY,
    "cheapest": profiles.CHEAPEST,
}


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


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {USER_TABLE} (username VARCHAR PRIMARY KEY, "
        "password_hash VARCHAR NOT NULL, role VARCHAR NOT NULL, locality_code VARCHAR, "
        "active BOOLEAN NOT NULL DEFAULT true, created_at TIMESTAMP DEFAULT current_timestamp)"
    )


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
    con: duckdb.DuckDBPyConnection,
    username: str,
    password: str,
    role: str,
    locality_code: str | None = None,
    *,
    replace: bool = False,
) -> User:
    """Create (or with ``replace`` update) a user; the password is stored only as a hash."""
    _validate(username, password, role, locality_code)
    ensure_table(con)
    if locality_code is not None:
        _check_locality(con, locality_code)
    exists = con.execute(f"SELECT 1 FROM {USER_TABLE} WHERE username = ?", [username]).fetchall()
    if exists and not replace:
        raise InputError(f"user {username!r} already exists (use --replace)", field="username")
    pw_hash = _hasher()[0].hash(password)
    if exists:
        con.execute(
            f"UPDATE {USER_TABLE} SET password_hash = ?, role = ?, locality_code = ?, "
            "active = true WHERE username = ?",
            [pw_hash, role, locality_code, username],
        )
    else:
        con.execute(
            f"INSERT INTO {USER_TABLE} (username, password_hash, role, locality_code) "
            "VALUES (?, ?, ?, ?)",
            [username, pw_hash, role, locality_code],
        )
    return User(username, role, locality_code)  # type: ignore[arg-type]


def _check_locality(con: duckdb.DuckDBPyConnection, code: str) -> None:
    """A clinician's locality must exist when the workspace knows its localities."""
    known: set[str] = set()
    for table in ("locality", "needs_locality_map"):
        try:
            rows = con.execute(f"SELECT DISTINCT locality_code FROM {table}").fetchall()
        except duckdb.Error:
            continue
        known.update(str(r[0]) for r in rows if r[0] is not None)
    if known and code not in known:
        sample = ", ".join(sorted(known)[:8])
        raise InputError(f"unknown locality {code!r}; known: {sample}...", field="locality")


def authenticate(con: duckdb.DuckDBPyConnection, username: str, password: str) -> User | None:
    """The user if the password matches an active account, else None (same cost either way)."""
    ensure_table(con)
    row = con.execute(
        f"SELECT password_hash, role, locality_code FROM {USER_TABLE} "
        "WHERE username = ? AND active",
        [username],
    ).fetchall()
    row = row[0] if row else None
    hasher, dummy = _hasher()
    try:
        hasher.verify(row[0] if row else dummy, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    return User(username, row[1], row[2])


def get_user(con: duckdb.DuckDBPyConnection, username: str) -> User | None:
    """An active user by name (sessions are re-checked so a disabled account stops at once)."""
    try:
        rows = con.execute(
            f"SELECT role, locality_code FROM {USER_TABLE} WHERE username = ? AND active",
            [username],
        ).fetchall()
    except duckdb.CatalogException:
        return None
    return User(username, rows[0][0], rows[0][1]) if rows else None


def list_users(con: duckdb.DuckDBPyConnection) -> list[User]:
    ensure_table(con)
    rows = con.execute(
        f"SELECT username, role, locality_code FROM {USER_TABLE} WHERE active ORDER BY username"
    ).fetchall()
    return [User(*r) for r in rows]


def disable_user(con: duckdb.DuckDBPyConnection, username: str) -> bool:
    ensure_table(con)
    n = con.execute(
        f"UPDATE {USER_TABLE} SET active = false WHERE username = ? RETURNING username",
        [username],
    ).fetchall()
    return bool(n)

"""The cookie-signing key, kept outside the data.

Precedence: ``secret_key`` in the app config, then ``$CAREMAP_SECRET_KEY``, then a key file:
``secret_key_file`` in the config, ``$CAREMAP_SECRET_KEY_FILE``, or ``NAME.secret`` beside the
workspace ``NAME.duckdb``. The file is created on first use with owner-only permissions (0600)
and written atomically; `rotate` replaces it, and a running server picks up the new key within
a few seconds (its file is re-checked by modification time). Nothing of the key is stored in
the workspace, so a copy of the workspace file gives no way to sign a session (and sessions
must also exist in the user store: `caremap.app.users`).
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from pathlib import Path

from caremap.core.errors import ConfigError

RECHECK_SECONDS = 2.0
MIN_KEY_CHARS = 32


def key_path(workspace: str | os.PathLike, configured: str | os.PathLike | None = None) -> Path:
    """Where a workspace's signing key file is (``NAME.secret`` beside ``NAME.duckdb``)."""
    chosen = configured or os.environ.get("CAREMAP_SECRET_KEY_FILE")
    if chosen:
        return Path(chosen)
    p = Path(workspace)
    return p.with_name(p.stem + ".secret")


def _write_key(path: Path) -> str:
    key = secrets.token_urlsafe(48)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, key.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return key


def read_or_create(path: Path) -> str:
    """The key in ``path``, creating the file (0600) when it does not exist."""
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            return read_or_create(path)
        key = secrets.token_urlsafe(48)
        try:
            os.write(fd, key.encode())
        finally:
            os.close(fd)
        return key
    if len(key) < MIN_KEY_CHARS:
        raise ConfigError(f"{path}: the signing key is shorter than {MIN_KEY_CHARS} characters")
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise ConfigError(
            f"{path}: the signing key file is readable by others; run `chmod 600 {path}`"
        )
    return key


def rotate(path: Path) -> None:
    """A new key in ``path`` (every cookie signed with the old one stops verifying)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_key(path)


class SigningKey:
    """The key a server signs with: fixed (config or environment) or read from its file."""

    def __init__(self, fixed: str | None = None, path: Path | None = None) -> None:
        if fixed is None and path is None:
            raise ConfigError("a signing key needs a value or a file")
        self.fixed = fixed
        self.path = path
        self._lock = threading.Lock()
        self._key = fixed or read_or_create(path)  # type: ignore[arg-type]
        self._mtime = self._stat()
        self._checked = time.monotonic()

    @classmethod
    def for_app(cls, config) -> SigningKey:
        fixed = config.secret_key or os.environ.get("CAREMAP_SECRET_KEY")
        if fixed:
            if len(fixed) < MIN_KEY_CHARS:
                raise ConfigError(f"CAREMAP_SECRET_KEY must have at least {MIN_KEY_CHARS} chars")
            return cls(fixed=fixed)
        return cls(path=key_path(config.workspace, config.secret_key_file))

    def _stat(self) -> float | None:
        if self.path is None:
            return None
        try:
            return self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def value(self) -> str:
        if self.fixed is not None:
            return self.fixed
        now = time.monotonic()
        if now - self._checked > RECHECK_SECONDS:
            with self._lock:
                self._checked = now
                mtime = self._stat()
                if mtime != self._mtime:
                    self._key = read_or_create(self.path)  # type: ignore[arg-type]
                    self._mtime = self._stat()
        return self._key

"""What the running app holds: the workspace, per-thread cursors, the catalog and caches."""

from __future__ import annotations

import contextlib
import os
import threading

import duckdb

from caremap.app import users
from caremap.app.cache import TTLCache
from caremap.app.catalog import Catalog
from caremap.app.config import AppConfig
from caremap.app.query import PublishedCache
from caremap.app.signing import SigningKey
from caremap.core.errors import WorkspaceError
from caremap.core.workspace import open_workspace

LEGACY_SETTING_TABLE = "app_setting"  # held the signing key inside the workspace: removed


class AppState:
    """One per app. DuckDB connections are not thread-safe, so each worker thread of the
    server gets its own cursor on the one database (`cursor`)."""

    def __init__(self, config: AppConfig) -> None:
        self.config = config
        ws = open_workspace(config.workspace, memory_limit=os.environ.get("CAREMAP_MEMORY_LIMIT"))
        if ws.engine != "duckdb":  # pragma: no cover - open_workspace defaults to duckdb
            raise WorkspaceError("the web app serves DuckDB workspaces")
        self.ws = ws
        self._local = threading.local()
        self._cursor_lock = threading.Lock()
        self._stop = threading.Event()
        self._warmer: threading.Thread | None = None
        self.catalog = Catalog()
        self.published = PublishedCache(config.suppress_below)
        # aggregate pages: the workspace cannot change while the app holds it, so an expired
        # page is still right and is served while one request rebuilds it
        self.section_cache = TTLCache(
            config.cache_seconds, max_entries=512, max_bytes=64 * 2**20, serve_stale=True
        )
        self.html_cache = TTLCache(
            config.cache_seconds, max_entries=2048, max_bytes=128 * 2**20, serve_stale=True
        )
        # JSON answers: bounded in bytes as well as entries; downloads are never kept
        self.api_cache = TTLCache(
            config.cache_seconds, max_entries=2048, max_bytes=config.answer_cache_bytes
        )
        # verified session cookies (immutable signed values; each one's expiry is kept too);
        # whether the session is still live is read from the user store on every request
        self.session_cache = TTLCache(60.0, max_entries=4096, max_bytes=8 * 2**20)
        con = self.cursor()
        self.store = users.store_for(con)  # beside the workspace: users, sessions, audit
        self._drop_legacy_secret(con)
        self.signing_key = SigningKey.for_app(config)

    @property
    def secret_key(self) -> str:
        """The current cookie-signing key (re-read when its file is rotated)."""
        return self.signing_key.value()

    def start_warming(self) -> None:
        """Compute the publication (the suppressed copy of every aggregate table) in a
        background thread, so that the first viewer of a page does not wait for it."""
        self._warmer = threading.Thread(target=self.warm, daemon=True, name="caremap-warm")
        self._warmer.start()

    def warm(self) -> None:
        con = self.cursor()
        tables = self.catalog.tables(con)
        first = next((t for t in tables.values() if t.kind == "aggregate"), None)
        if first is None or self._stop.is_set():
            return
        with contextlib.suppress(Exception):  # a publication that fails is reported on use
            self.published.get(con, first, tables)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        con = getattr(self._local, "con", None)
        if con is None:
            with self._cursor_lock:  # the parent connection takes one call at a time
                con = self.ws.cursor()  # type: ignore[attr-defined]
            self._local.con = con
        return con

    @staticmethod
    def _drop_legacy_secret(con) -> None:
        """Older versions kept the signing key in the workspace, where any copy of the file
        could sign sessions: it is deleted (the key now lives outside the data)."""
        with contextlib.suppress(duckdb.CatalogException):  # no such table
            con.execute(f"DELETE FROM {LEGACY_SETTING_TABLE} WHERE key = 'secret_key'")

    def close(self) -> None:
        """Stop background work and close the workspace (safe to call twice)."""
        self._stop.set()
        if self._warmer is not None:
            self._warmer.join(timeout=60)
        with self._cursor_lock:
            self.ws.close()

"""What the running app holds: the workspace, per-thread cursors, the catalog and caches."""

from __future__ import annotations

import os
import secrets
import threading

import duckdb

from caremap.app import audit, users
from caremap.app.cache import TTLCache
from caremap.app.catalog import Catalog
from caremap.app.config import AppConfig
from caremap.app.query import PublishedCache
from caremap.core.errors import WorkspaceError
from caremap.core.workspace import open_workspace

SETTING_TABLE = "app_setting"


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
        self.section_cache = TTLCache(config.cache_seconds, max_entries=512, serve_stale=True)
        self.html_cache = TTLCache(config.cache_seconds, max_entries=2048, serve_stale=True)
        self.api_cache = TTLCache(config.cache_seconds, max_entries=2048)
        self.user_cache = TTLCache(min(5.0, config.cache_seconds), max_entries=4096)
        # verified session cookies (immutable signed values; each one's expiry is kept too)
        self.session_cache = TTLCache(60.0, max_entries=4096)
        con = self.cursor()
        users.ensure_table(con)
        audit.ensure_table(con)
        self.secret_key = (
            config.secret_key or os.environ.get("CAREMAP_SECRET_KEY") or self._secret(con)
        )

    def start_warming(self) -> None:
        """Compute the suppressed copy of every aggregate table in a background thread, so
        that the first viewer of a page does not wait for it."""
        self._warmer = threading.Thread(target=self.warm, daemon=True, name="caremap-warm")
        self._warmer.start()

    def warm(self) -> None:
        con = self.cursor()
        for info in list(self.catalog.tables(con).values()):
            if self._stop.is_set():
                return
            if info.kind == "aggregate" and info.rows <= 5_000_000:
                try:
                    self.published.get(con, info)
                except Exception:  # a table that cannot be published is reported on use
                    continue

    def cursor(self) -> duckdb.DuckDBPyConnection:
        con = getattr(self._local, "con", None)
        if con is None:
            with self._cursor_lock:  # the parent connection takes one call at a time
                con = self.ws.cursor()  # type: ignore[attr-defined]
            self._local.con = con
        return con

    @staticmethod
    def _secret(con: duckdb.DuckDBPyConnection) -> str:
        """A signing key generated once per workspace, so sessions survive a restart."""
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {SETTING_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR)"
        )
        row = con.execute(f"SELECT value FROM {SETTING_TABLE} WHERE key = 'secret_key'").fetchall()
        if row:
            return row[0][0]
        key = secrets.token_urlsafe(48)
        con.execute(f"INSERT INTO {SETTING_TABLE} VALUES ('secret_key', ?)", [key])
        return key

    def close(self) -> None:
        """Stop background work and close the workspace (safe to call twice)."""
        self._stop.set()
        if self._warmer is not None:
            self._warmer.join(timeout=60)
        with self._cursor_lock:
            self.ws.close()

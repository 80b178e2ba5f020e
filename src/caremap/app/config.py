"""Settings of the web app (load with `caremap.core.config.load_config`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from caremap.core.config import Config


class AppConfig(Config):
    """How `caremap serve` publishes a workspace.

    ``suppress_below``: counts from 1 to ``suppress_below - 1`` are hidden from viewers (NHS
    small-number rule, 5 by default); zero is shown. ``secret_key`` signs session
    cookies; when absent it is taken from ``$CAREMAP_SECRET_KEY`` or from a key file outside the
    workspace (``secret_key_file``, default ``NAME.secret`` beside ``NAME.duckdb``, created on
    first use with permissions 0600: `caremap.app.signing`). ``answer_cache_bytes`` bounds the
    memory of cached JSON answers.
    """

    workspace: Path = Path("caremap.duckdb")
    suppress_below: int = Field(5, ge=1, le=1000)
    secret_key: str | None = Field(None, min_length=32)
    secret_key_file: Path | None = None
    session_hours: float = Field(8.0, gt=0, le=24 * 7)
    secure_cookies: bool = Field(False, description="send cookies over HTTPS only")
    max_page_size: int = Field(1000, ge=1, le=100_000)
    max_download_rows: int = Field(1_000_000, ge=1)
    max_query_chars: int = Field(4096, ge=256)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    cache_seconds: float = Field(300.0, ge=0)
    answer_cache_bytes: int = Field(64 * 2**20, ge=0)

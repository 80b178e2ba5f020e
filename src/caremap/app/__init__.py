"""caremap.app: the web dashboard and JSON API over a workspace (`caremap serve`).

`create_app(AppConfig(workspace=...))` builds the FastAPI application; `serve` runs it.
Users and roles live in the workspace (`caremap.app.users`), every view of person-level data
is audited (`caremap.app.audit`) and small counts are suppressed for viewers
(`caremap.app.suppression`).
"""

from caremap.app.config import AppConfig

__all__ = ["AppConfig", "create_app", "serve"]


def create_app(config: AppConfig | None = None):
    from caremap.app.server import create_app as _create

    return _create(config)


def serve(config: AppConfig, host: str = "127.0.0.1", port: int = 8000) -> None:
    from caremap.app.server import serve as _serve

    _serve(config, host=host, port=port)

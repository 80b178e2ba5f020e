"""`caremap serve` and `caremap user add|list|disable`: the web dashboard and its users."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from caremap.cli.common import WorkspaceOpt, command, console, workspace
from caremap.core.config import load_config
from caremap.core.errors import InputError


def _config(ws_path: Path | None, config_path: Path | None, **overrides):
    """The app's settings: the file's, then the options; the workspace is -w, else the
    file's, else $CAREMAP_WORKSPACE, else ./caremap.duckdb."""
    from caremap.app.config import AppConfig

    cfg = load_config(AppConfig, config_path, workspace=ws_path, **overrides)
    if ws_path is None and "workspace" not in cfg.model_fields_set:
        env = os.environ.get("CAREMAP_WORKSPACE")
        if env:
            cfg = cfg.model_copy(update={"workspace": Path(env)})
    return cfg


def _serve(config, host: str, port: int) -> None:
    from caremap.app import serve

    if not Path(config.workspace).exists():
        raise InputError(
            f"no workspace at {config.workspace}; run `caremap demo` or `caremap ingest` first",
            field="workspace",
        )
    console.print(f"caremap dashboard: [bold]http://{host}:{port}/[/]  (Ctrl+C to stop)")
    console.print("add users with `caremap user add NAME --role viewer|clinician|analyst|admin`")
    serve(config, host=host, port=port)


def serve_demo(ws_path: Path, port: int) -> None:
    """`caremap demo` ends here: a demo admin on the synthetic workspace if it has no users."""
    import secrets

    from caremap.app.users import add_user, list_users

    with workspace(ws_path) as ws:
        con = ws.cursor()
        if not list_users(con):
            password = secrets.token_urlsafe(12)
            add_user(con, "demo", password, "admin")
            console.print(
                f"demo dashboard user: [bold]demo[/] / [bold]{password}[/] (admin, synthetic "
                "data only; add others with `caremap user add`)"
            )
    _serve(_config(ws_path, None), "127.0.0.1", port)


@command(
    epilog="Examples:\n\n  caremap serve\n\n"
    "  caremap serve -w demo-output/caremap.duckdb --port 8080\n\n"
    "  caremap serve --config app.yaml --host 0.0.0.0"
)
def serve(
    ws_path: WorkspaceOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    config: Annotated[
        Path | None, typer.Option(help="App settings (YAML or JSON): see docs/app.md.")
    ] = None,
    suppress_below: Annotated[
        int | None, typer.Option(help="Hide counts from 1 to N-1 from viewers (default 5).")
    ] = None,
) -> None:
    """Start the web dashboard and JSON API over a workspace and print its address.

    Users log in with accounts made by `caremap user add`. The API is described at
    /api/openapi.json (after logging in).
    """
    _serve(_config(ws_path, config, suppress_below=suppress_below), host, port)


@command(
    epilog="Examples:\n\n  caremap user add alice --role analyst\n\n"
    "  caremap user add gp-north --role clinician --locality LOC001\n\n"
    "  CAREMAP_PASSWORD=... caremap user add bot --role viewer --replace",
)
def user_add(
    username: Annotated[str, typer.Argument(help="Login name (lower case).")],
    role: Annotated[str, typer.Option(help="viewer, clinician, analyst or admin.")],
    locality: Annotated[
        str | None, typer.Option(help="Clinicians: the locality whose caseload they see.")
    ] = None,
    replace: Annotated[bool, typer.Option(help="Update the user if it exists.")] = False,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Add a user (the password is asked for, or read from $CAREMAP_PASSWORD).

    Passwords are stored only as Argon2 hashes in the workspace table app_user.
    """
    from caremap.app.users import add_user

    password = os.environ.get("CAREMAP_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    with workspace(ws_path) as ws:
        user = add_user(ws.cursor(), username, password, role, locality, replace=replace)
    where = f" for locality {user.locality_code}" if user.locality_code else ""
    console.print(f"user {user.username} ({user.role}{where}) saved")


@command(epilog="Example:\n\n  caremap user list -w region.duckdb")
def user_list(ws_path: WorkspaceOpt = None) -> None:
    """List active users and their roles."""
    from caremap.app.users import list_users

    with workspace(ws_path, must_exist=True) as ws:
        for u in list_users(ws.cursor()):
            console.print(f"{u.username}\t{u.role}\t{u.locality_code or ''}")


@command(epilog="Example:\n\n  caremap user disable alice")
def user_disable(
    username: Annotated[str, typer.Argument(help="Login name.")], ws_path: WorkspaceOpt = None
) -> None:
    """Disable a user: their sessions stop working at once."""
    from caremap.app.users import disable_user

    with workspace(ws_path, must_exist=True) as ws:
        if not disable_user(ws.cursor(), username):
            raise InputError(f"no user {username!r}", field="username")
    console.print(f"user {username} disabled")

"""`caremap serve` and `caremap user add|list|disable`: the web dashboard and its users."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from caremap.cli.common import WorkspaceOpt, command, console, workspace
from caremap.core.config import load_config
from caremap.core.errors import InputError, WorkspaceError


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


def _ws_file(ws_path: Path | None, must_exist: bool = False) -> Path:
    """The workspace file whose user store `caremap user` edits (the workspace itself is not
    opened, so this works while `caremap serve` holds it); ``must_exist`` for commands that
    only read or change existing users, which create nothing where there is no workspace."""
    path = Path(ws_path or os.environ.get("CAREMAP_WORKSPACE") or "caremap.duckdb")
    from caremap.app.users import store_path

    if must_exist and not path.exists() and not store_path(path).exists():
        raise WorkspaceError(
            f"no workspace at {path}; make one with `caremap demo`, `caremap synth` or "
            "`caremap ingest`, or give its path with -w"
        )
    if not path.parent.is_dir():
        raise InputError(
            f"no folder {path.parent} for the workspace {path.name}", field="workspace"
        )
    return path


def _localities(path: Path) -> set[str] | None:
    """The workspace's locality codes, or None when it is open in a server (not checked)."""
    import duckdb

    from caremap.app.users import locality_codes as read

    if not path.exists():
        return set()
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        console.print("[yellow]workspace in use: the locality code is not checked[/]")
        return None
    try:
        return read(con)
    finally:
        con.close()


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

    Passwords are stored only as Argon2 hashes in the user store beside the workspace
    (NAME.auth.sqlite), which works while the dashboard serves; replacing a user ends
    their sessions at once.
    """
    from caremap.app.users import add_user

    password = os.environ.get("CAREMAP_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    path = _ws_file(ws_path)
    known = _localities(path) if locality else None
    user = add_user(
        path, username, password, role, locality, replace=replace, known_localities=known
    )
    where = f" for locality {user.locality_code}" if user.locality_code else ""
    console.print(f"user {user.username} ({user.role}{where}) saved")


@command(epilog="Example:\n\n  caremap user list -w region.duckdb")
def user_list(ws_path: WorkspaceOpt = None) -> None:
    """List active users and their roles."""
    from caremap.app.users import list_users

    for u in list_users(_ws_file(ws_path, must_exist=True)):
        console.print(f"{u.username}\t{u.role}\t{u.locality_code or ''}")


@command(epilog="Example:\n\n  caremap user disable alice")
def user_disable(
    username: Annotated[str, typer.Argument(help="Login name.")], ws_path: WorkspaceOpt = None
) -> None:
    """Disable a user: their sessions stop working at once."""
    from caremap.app.users import disable_user

    if not disable_user(_ws_file(ws_path, must_exist=True), username):
        raise InputError(f"no user {username!r}", field="username")
    console.print(f"user {username} disabled; their sessions have ended")


@command(epilog="Example:\n\n  caremap user rotate-key")
def user_rotate_key(ws_path: WorkspaceOpt = None) -> None:
    """Replace the cookie-signing key and end every session (a running server picks the
    new key up within seconds; everyone logs in again)."""
    from caremap.app.signing import key_path, rotate
    from caremap.app.users import revoke_sessions, store_for

    path = _ws_file(ws_path, must_exist=True)
    rotate(key_path(path))
    n = revoke_sessions(store_for(path))
    console.print(f"signing key {key_path(path)} replaced; {n} sessions ended")

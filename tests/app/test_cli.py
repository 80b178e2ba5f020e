"""`caremap user add|list|disable` and `caremap serve` from the command line."""

from __future__ import annotations

import pytest

from caremap.cli.main import main

pytestmark = pytest.mark.acceptance


def test_user_add_list_disable(tmp_path, monkeypatch, capsys):
    ws = tmp_path / "ws.duckdb"
    monkeypatch.setenv("CAREMAP_PASSWORD", "a-long-password")
    assert main(["user", "add", "alice", "--role", "analyst", "-w", str(ws)]) == 0
    assert main(["user", "add", "alice", "--role", "viewer", "-w", str(ws)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["user", "add", "gp", "--role", "clinician", "-w", str(ws)]) == 2
    assert "--locality" in capsys.readouterr().err
    assert main(["user", "list", "-w", str(ws)]) == 0
    out = capsys.readouterr().out
    assert "alice" in out and "analyst" in out and "a-long-password" not in out
    assert main(["user", "disable", "alice", "-w", str(ws)]) == 0
    assert main(["user", "disable", "nobody", "-w", str(ws)]) == 2


def test_serve_explains_a_missing_workspace_and_has_help(tmp_path, capsys):
    assert main(["serve", "-w", str(tmp_path / "none.duckdb")]) == 2
    assert "no workspace" in capsys.readouterr().err
    assert main(["serve", "--help"]) == 0
    text = capsys.readouterr().out
    assert "--port" in text and "--host" in text


def test_serve_rejects_a_bad_config_listing_every_problem(tmp_path, capsys):
    cfg = tmp_path / "app.yaml"
    cfg.write_text("suppress_below: 0\nsession_hours: -1\ncolour: blue\n")
    ws = tmp_path / "ws.duckdb"
    ws.touch()
    assert main(["serve", "-w", str(ws), "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "suppress_below" in err and "session_hours" in err and "colour" in err


def test_demo_hook_creates_a_demo_admin_and_prints_the_address(tmp_path, monkeypatch, capsys):
    import caremap.app
    from caremap.app.users import list_users
    from caremap.cli import cmd_app
    from caremap.core.workspace import open_workspace

    ws = tmp_path / "demo.duckdb"
    open_workspace(ws).close()
    served = []
    monkeypatch.setattr(caremap.app, "serve", lambda config, host, port: served.append(port))
    cmd_app.serve_demo(ws, 8123)
    out = capsys.readouterr().out
    assert served == [8123] and "http://127.0.0.1:8123/" in out and "demo" in out
    with open_workspace(ws) as w:
        assert [(u.username, u.role) for u in list_users(w.cursor())] == [("demo", "admin")]
    cmd_app.serve_demo(ws, 8124)  # users exist now: none added, no password printed
    assert "demo dashboard user" not in capsys.readouterr().out

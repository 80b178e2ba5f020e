"""Issue 15: a server that cannot be knocked over, sessions that can be revoked, secrets outside
the data, PID recognised everywhere, safe exports. Each test failed before the fix."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from caremap.app import users
from caremap.app.users import copy_store

pytestmark = pytest.mark.acceptance

NINES = "9" * 40


@pytest.fixture
def own_app(app_ws_path, tmp_path):
    """An app on a private copy of the test workspace (throttling state of its own), with a
    site whose name is a spreadsheet formula."""
    from caremap.app import AppConfig, create_app
    from caremap.core.workspace import open_workspace

    path = tmp_path / "sec.duckdb"
    shutil.copy(app_ws_path, path)
    copy_store(app_ws_path, path)
    with open_workspace(path, memory_limit="256MB") as w:
        w.cursor().execute(
            "INSERT INTO site VALUES ('S9', '=HYPERLINK(\"http://x\",\"ok\")', 'P1', "
            "'acute_hospital', 420000.0, 330000.0)"
        )
    made = []

    def make(**settings):
        app = create_app(AppConfig(workspace=path, **settings))
        made.append(app)
        return app

    make.path = path
    yield make
    for app in made:
        app.state.caremap.close()


def _client(app, name=None, pw=None):
    from fastapi.testclient import TestClient

    c = TestClient(app)
    if name:
        r = c.post("/api/session", json={"username": name, "password": pw(name)})
        assert r.status_code == 200, r.text
    return c


# Body limits -------------------------------------------------------------------------------


def test_a_chunked_body_without_length_is_refused_without_being_read_whole(own_app):
    """A 512 MiB chunked POST: refused with 413 after at most the limit has been received."""
    app = own_app()
    limit = app.state.caremap.config.max_body_bytes
    chunk = b"x" * 65536
    total_chunks = 512 * 16  # 512 MiB in 64 KiB chunks
    sent = 0
    responses = []

    async def receive():
        nonlocal sent
        if sent >= total_chunks:
            return {"type": "http.disconnect"}
        sent += 1
        return {"type": "http.request", "body": chunk, "more_body": sent < total_chunks}

    async def send(message):
        responses.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/session",
        "raw_path": b"/api/session",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8104),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in responses if m["type"] == "http.response.start")
    assert start["status"] == 413
    assert sent * len(chunk) <= limit + len(chunk)  # never read past the limit


def test_every_route_has_the_body_limit(own_app, pw):
    c = _client(own_app(), "vic", pw)
    big = b"{" + b" " * (70 * 1024) + b"}"
    for method, url in (("POST", "/api/session"), ("POST", "/login"), ("GET", "/api/me")):
        r = c.request(method, url, content=iter([big]))  # chunked: no Content-Length
        assert r.status_code == 413, (method, url, r.status_code)


# Answer cache --------------------------------------------------------------------------------


def test_the_answer_cache_is_bounded_in_bytes_and_never_keeps_downloads(own_app, pw):
    app = own_app(cache_seconds=300, answer_cache_bytes=256 * 1024)
    st = app.state.caremap
    ann = _client(app, "ann", pw)
    for i in range(40):
        r = ann.get("/api/tables/needs_indicator", params={"limit": 1000, "offset": i})
        assert r.status_code == 200
    assert 0 < st.api_cache.bytes <= 256 * 1024
    before = st.api_cache.bytes
    for i in range(5):
        r = ann.get("/api/tables/spc_series/csv", params={"filter": f"patients:ge:{i}"})
        assert r.status_code == 200
    assert st.api_cache.bytes <= before
    assert not any("spc_series" in k for k in st.api_cache._data if isinstance(k, tuple))


def test_cache_evicts_by_bytes():
    from caremap.app.cache import TTLCache

    c = TTLCache(60, max_entries=1000, max_bytes=10_000)
    for i in range(100):
        c.put(i, b"x" * 1000)
    assert c.bytes <= 10_000 and len(c._data) < 11
    c.put("huge", b"x" * 5000)  # more than a quarter of the bound: not kept
    assert c.get("huge") is None


# Value ranges --------------------------------------------------------------------------------


def test_integers_beyond_the_column_range_are_4xx_on_every_endpoint(own_app, pw):
    app = own_app(cache_seconds=0)
    st = app.state.caremap
    tables = st.catalog.tables(st.cursor())
    checked = 0
    for role in ("vic", "ada"):
        c = _client(app, role, pw)
        for info in tables.values():
            ints = [n for n, t in info.columns.items() if t.upper() in ("INTEGER", "BIGINT")]
            for col in ints[:2]:
                for value in (NINES, "-" + NINES, str(2**63), "1e3"):
                    for url in (f"/api/tables/{info.name}", f"/api/tables/{info.name}/csv"):
                        r = c.get(url, params={"filter": f"{col}:eq:{value}"})
                        assert 400 <= r.status_code < 500, (url, col, value, r.status_code)
                        checked += 1
                    r = c.get(f"/tables/{info.name}", params={"filter": f"{col}:in:1,{NINES}"})
                    assert 400 <= r.status_code < 500 or r.status_code == 200, r.status_code
                    assert r.status_code != 500
    assert checked > 40


# Login throttling ----------------------------------------------------------------------------


def test_wrong_passwords_lock_the_account_even_against_the_right_one(own_app, pw):
    app = own_app()
    c = _client(app)
    for _ in range(users.MAX_FAILURES_PER_ACCOUNT):
        r = c.post("/api/session", json={"username": "vic", "password": "wrong-password"})
        assert r.status_code == 401
    r = c.post("/api/session", json={"username": "vic", "password": pw("vic")})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # the login page is throttled the same way
    page = c.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = c.post(
        "/login",
        data={"username": "vic", "password": pw("vic"), "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 429
    # another account is unaffected
    assert _client(app, "ann", pw).get("/api/me").status_code == 200


def test_one_address_is_throttled_across_accounts(own_app, pw):
    app = own_app()
    store = app.state.caremap.store
    for i in range(users.MAX_FAILURES_PER_CLIENT):
        assert users.authenticate(store, f"nobody{i}", "wrong-password", client="10.9.9.9") is None
    with pytest.raises(users.LoginThrottled):
        users.authenticate(store, "vic", pw("vic"), client="10.9.9.9")
    assert users.authenticate(store, "vic", pw("vic"), client="10.9.9.8") is not None


def test_password_verifications_run_a_bounded_number_at_a_time(own_app, pw, monkeypatch):
    app = own_app()
    store = app.state.caremap.store
    hasher, _ = users._hasher()
    running = peak = 0
    lock = threading.Lock()
    real = type(hasher).verify

    def slow_verify(self, h, p):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return real(self, h, p)

    monkeypatch.setattr(type(hasher), "verify", slow_verify)
    threads = [
        threading.Thread(target=users.authenticate, args=(store, "vic", pw("vic"), f"c{i}"))
        for i in range(12)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= peak <= users.MAX_VERIFICATIONS


# Revocable sessions --------------------------------------------------------------------------


def test_logout_revokes_the_cookie_even_when_replayed(own_app, pw):
    app = own_app()
    c = _client(app, "vic", pw)
    cookie = c.cookies.get("caremap_session")
    assert c.delete("/api/session").status_code == 204
    replay = _client(app)
    replay.cookies.set("caremap_session", cookie)
    assert replay.get("/api/me").status_code == 401
    # the logout form too
    c2 = _client(app, "ann", pw)
    cookie2 = c2.cookies.get("caremap_session")
    form = c2.get("/logout").text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    c2.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    replay.cookies.set("caremap_session", cookie2)
    assert replay.get("/api/me").status_code == 401


def test_disable_and_password_change_end_sessions_at_once(own_app, pw):
    app = own_app(cache_seconds=300)
    store = app.state.caremap.store
    vic, ann = _client(app, "vic", pw), _client(app, "ann", pw)
    assert vic.get("/api/tables/needs_indicator").status_code == 200
    users.disable_user(store, "vic")
    assert vic.get("/api/tables/needs_indicator").status_code == 401
    assert vic.get("/", follow_redirects=False).status_code == 303
    users.add_user(store, "ann", "a-new-long-password", "analyst", replace=True)
    assert ann.get("/api/me").status_code == 401


def test_user_administration_works_while_the_server_holds_the_workspace(own_app, pw):
    app = own_app()  # holds the DuckDB workspace open for writing
    vic = _client(app, "vic", pw)
    env = {**os.environ, "CAREMAP_PASSWORD": "a-long-enough-password"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    cmd = [sys.executable, "-c", "from caremap.cli.main import main; main()", "user"]
    ws = str(own_app.path)
    r = subprocess.run(
        [*cmd, "add", "zed", "--role", "viewer", "-w", ws], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([*cmd, "disable", "vic", "-w", ws], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert vic.get("/api/me").status_code == 401  # at once, while the server runs
    zed = _client(app)
    r = zed.post("/api/session", json={"username": "zed", "password": "a-long-enough-password"})
    assert r.status_code == 200


# Secrets outside the data --------------------------------------------------------------------


def test_the_signing_key_is_outside_the_workspace_and_rotatable(own_app, pw, tmp_path):
    from caremap.app.signing import key_path, rotate

    app = own_app()
    vic = _client(app, "vic", pw)
    key = app.state.caremap.secret_key
    kp = key_path(own_app.path)
    assert kp.read_text() == key and stat.S_IMODE(kp.stat().st_mode) == 0o600
    con = app.state.caremap.cursor()
    for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall():
        text = con.execute(f'SELECT * FROM "{t}"').df().to_csv()
        assert key not in text, t
    # a copied workspace (the data file alone) gets a new key: the old cookie is worthless
    from caremap.app import AppConfig, create_app

    copy = tmp_path / "copy" / "sec.duckdb"
    copy.parent.mkdir()
    app.state.caremap.cursor().execute("CHECKPOINT")
    shutil.copy(own_app.path, copy)
    other = create_app(AppConfig(workspace=copy))
    try:
        assert other.state.caremap.secret_key != key
        thief = _client(other)
        thief.cookies.set("caremap_session", vic.cookies.get("caremap_session"))
        assert thief.get("/api/me").status_code == 401
    finally:
        other.state.caremap.close()
    # rotation: the running server takes the new key; old cookies stop verifying
    rotate(kp)
    os.utime(kp, ns=(time.time_ns(), time.time_ns() + 10**9))
    app.state.caremap.signing_key._checked = 0.0
    assert app.state.caremap.secret_key != key
    assert vic.get("/api/me").status_code == 401


def test_a_key_file_readable_by_others_is_refused(tmp_path):
    from caremap.app.signing import read_or_create
    from caremap.core.errors import ConfigError

    p = tmp_path / "k.secret"
    read_or_create(p)
    os.chmod(p, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        read_or_create(p)


# PID -----------------------------------------------------------------------------------------


def test_linkage_internals_are_person_identifiable_and_never_filterable(own_app, pw):
    from caremap.app.catalog import pid_columns_of
    from caremap.core import schema
    from caremap.core.workspace import open_workspace

    cols = dict.fromkeys(schema.RESULT_PID["link_input"], "VARCHAR") | {"uid": "BIGINT"}
    assert set(pid_columns_of("link_input", cols)) == set(schema.RESULT_PID["link_input"])
    assert schema.is_pid("source_record", "date_of_death")
    assert not schema.is_pid("site", "postcode")
    app = own_app(cache_seconds=0)
    app.state.caremap.close()
    with open_workspace(own_app.path, memory_limit="256MB") as w:
        w.write_table(
            "link_input",
            pd.DataFrame(
                {"uid": [1], "nhs": ["9434765919"], "given": ["ADA"], "family": ["LOVELACE"],
                 "dob": [pd.Timestamp("1815-12-10").date()]}
            ),
        )  # fmt: skip
    app = own_app(cache_seconds=0)
    ada = _client(app, "ada", pw)
    for col, value in (("nhs", "9434765919"), ("given", "ADA"), ("family", "LOVE"),
                       ("dob", "1815-12-10")):  # fmt: skip
        for op in ("eq", "like") if col != "dob" else ("eq",):
            r = ada.get("/api/tables/link_input", params={"filter": f"{col}:{op}:{value}"})
            assert r.status_code == 400 and "person-identifiable" in r.text
    assert _client(app, "ann", pw).get("/api/tables/link_input").status_code == 403
    ok = ada.get("/api/tables/link_input", params={"filter": "uid:eq:1"})
    assert ok.status_code == 200
    trail = ada.get("/api/audit", params={"limit": 100}).text
    for secret in ("9434765919", "LOVELACE", "1815"):
        assert secret not in trail


# Exports -------------------------------------------------------------------------------------


def test_csv_cells_that_would_be_formulas_are_neutralised(own_app, pw):
    from caremap.app.api import safe_cell

    for bad in ("=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(bad) == "'" + bad
    assert safe_cell(-3) == -3 and safe_cell("North") == "North" and safe_cell(None) == ""
    vic = _client(own_app(), "vic", pw)
    text = vic.get("/api/tables/site/csv").text
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text

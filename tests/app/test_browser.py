"""Browser tests: Playwright driving Debian's Chromium, headless, against a live server.

Needs /usr/bin/chromium (Debian package ``chromium``); Playwright never downloads a browser.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.acceptance

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PAGES = [
    "/",
    "/quality",
    "/needs",
    "/risk",
    "/network",
    "/standards",
    "/budget",
    "/performance",
    "/waiting",
    "/tables",
    "/tables/needs_indicator",
]


@pytest.fixture(scope="module")
def server(app):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            "browser tests need Debian's Chromium at /usr/bin/chromium "
            "(apt-get install -y chromium)"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def _login(browser, server, name, password):
    ctx = browser.new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(server) else None)
    page.goto(server + "/risk")
    assert "/login" in page.url
    page.fill("#username", name)
    page.fill("#password", password(name))
    page.click("button[type=submit]")
    page.wait_for_url(server + "/risk")
    return ctx, page, errors, external


def test_login_open_every_page_and_charts_render(browser, server, pw):
    ctx, page, errors, external = _login(browser, server, "vic", pw)
    charts_seen = 0
    for path in PAGES:
        resp = page.goto(server + path)
        assert resp.status == 200, path
        charts = page.locator(".cm-chart")
        n = charts.count()
        if n:
            page.wait_for_selector(".cm-chart[data-rendered=true]", timeout=15_000)
            page.wait_for_function(
                "n => document.querySelectorAll('.cm-chart[data-rendered=true]').length === n",
                arg=n,
                timeout=15_000,
            )
            assert page.locator(".cm-chart .main-svg").count() >= n
            charts_seen += n
    assert charts_seen >= 12
    page.goto(server + "/quality")  # no linkage tables in this workspace
    assert page.locator(".cm-missing").count() >= 1
    assert not external, f"requests left the server: {external[:3]}"
    assert not errors, errors
    ctx.close()


def test_clinician_cannot_reach_another_localitys_caseload(browser, server, pw):
    ctx, page, _errors, _ = _login(browser, server, "cal", pw)
    own = page.goto(server + "/risk/caseload")
    assert own.status == 200
    body = page.inner_text("main")
    assert "L1" in body and "L2" not in body and "L0" not in body
    for url in [
        "/risk/caseload?locality=L2",
        "/risk/caseload?locality=L0",
        "/api/caseload?locality=L2",
        "/api/tables/risk_caseload",
        "/tables/risk_caseload",
        "/api/tables/person",
        "/tables/person",
        "/api/tables/risk_caseload/csv",
        "/admin/audit",
        "/api/audit",
        "/risk/caseload?locality=L1&locality=L2",
    ]:
        resp = page.goto(server + url)
        text = page.content()
        assert resp.status in (403, 404, 422), (url, resp.status)
        assert "L2" not in text.replace("locality=L2", "") or resp.status == 422, url
    ctx.close()


def test_anonymous_browser_is_sent_to_login(browser, server):
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(server + "/needs")
    assert page.url.startswith(server + "/login")
    assert page.locator("#username").count() == 1
    ctx.close()

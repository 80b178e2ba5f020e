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
    yield from _serve(app)


def _serve(app):
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
    assert charts_seen >= 8  # automatic "sum over the other columns" charts are gone (issue 14)
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


# Values on the page against the workspace tables they come from --------------------------


@pytest.fixture(scope="module")
def pages_app(tmp_path_factory):
    from caremap.app import AppConfig, create_app

    from .pages_workspace import build_pages_workspace

    path = tmp_path_factory.mktemp("browserpages") / "pages.duckdb"
    build_pages_workspace(path)
    application = create_app(AppConfig(workspace=path, cache_seconds=60))
    yield application
    application.state.caremap.close()


@pytest.fixture(scope="module")
def pages_server(pages_app):
    yield from _serve(pages_app)


def _sql(app, sql: str, params=()):
    return app.state.caremap.cursor().execute(sql, list(params)).fetchall()


def _figure(page, n: int = 0) -> dict:
    import json

    src = page.locator("script[type='application/json']").nth(n).text_content()
    return json.loads(src)


def _figures(page) -> list[dict]:
    import json

    loc = page.locator("script[type='application/json']")
    return [json.loads(loc.nth(i).text_content()) for i in range(loc.count())]


def _wait_charts(page) -> None:
    n = page.locator(".cm-chart").count()
    if n:
        page.wait_for_function(
            "n => document.querySelectorAll('.cm-chart[data-rendered=true]').length === n",
            arg=n,
            timeout=15_000,
        )


def test_headline_and_chart_values_equal_the_workspace(browser, pages_server, pages_app, pw):
    ctx, page, errors, _ = _login(browser, pages_server, "ann", pw)
    app = pages_app
    # needs: the headline is the ICS's 95% value; each bar is that locality's 95% value, once
    page.goto(pages_server + "/needs?indicator=prevalence_diabetes")
    _wait_charts(page)
    ics = _sql(
        app,
        "SELECT value FROM needs_indicator WHERE indicator = 'prevalence_diabetes' "
        "AND area_code = 'ICS1' AND confidence = 0.95",
    )[0][0]
    assert float(page.locator(".cm-question").get_attribute("data-value")) == ics
    bars = next(f for f in _figures(page) if f["data"][0]["type"] == "bar")["data"][0]
    loc = dict(
        _sql(
            app,
            "SELECT l.locality_name, n.value FROM needs_indicator n JOIN locality l "
            "ON l.locality_code = n.area_code WHERE indicator = 'prevalence_diabetes' "
            "AND confidence = 0.95",
        )
    )
    assert dict(zip(bars["x"], bars["y"], strict=True)) == loc
    drawn = page.evaluate("() => document.querySelector('.cm-chart').data[0].y")
    assert sorted(drawn) == sorted(loc.values())  # what plotly drew, not only the JSON
    # risk: the headline's top tier and the pyramid are risk_tier_summary's people
    page.goto(pages_server + "/risk")
    people = _sql(app, "SELECT people FROM risk_tier_summary ORDER BY tier_order")
    assert f"{people[0][0]:,} people are in the very high tier" in page.inner_text("main")
    funnel = next(f for f in _figures(page) if f["data"][0]["type"] == "funnel")
    assert funnel["data"][0]["x"] == [p[0] for p in people]
    # budget: the headline total and the bars are budget_pot_summary's, in pounds
    page.goto(pages_server + "/budget")
    total = _sql(app, "SELECT sum(budget_pence) FROM budget_pot_summary")[0][0]
    assert f"Budget £{total / 100 / 1e6:,.1f}m" in page.inner_text("main")
    bars = _figure(page, 0)["data"][0]
    pots = _sql(app, "SELECT budget_pence FROM budget_pot_summary")
    assert sorted(bars["y"]) == sorted(p[0] / 100 for p in pots)
    # network: the side-by-side bars are the within-30-minute shares
    page.goto(pages_server + "/network")
    within = next(f for f in _figures(page) if f["data"][0].get("name") == "30 min")["data"][0]
    assert dict(zip(within["x"], within["y"], strict=True)) == dict(
        _sql(app, "SELECT scenario, population_within_30 FROM network_scenario")
    )
    # waiting: the headline total and the bars of the most pressed lists
    page.goto(pages_server + "/waiting")
    waiting = _sql(app, "SELECT sum(queue_size) FROM waiting_summary")[0][0]
    assert f"{waiting:,.0f} pathways waiting" in page.inner_text("main")
    bars = _figure(page, 0)["data"][0]
    assert sorted(bars["y"]) == sorted(
        r[0] for r in _sql(app, "SELECT queue_size FROM waiting_summary")
    )
    # performance: the SPC chart is spc_point's series
    page.goto(pages_server + "/performance")
    spc = next(f for f in _figures(page) if f["data"][0].get("name") == "value")
    assert spc["data"][0]["y"] == [
        r[0] for r in _sql(app, "SELECT value FROM spc_point ORDER BY date")
    ]
    assert page.locator("svg.cm-mdc-icon[data-icon=variation]").count() >= 1
    # standards: the counts in the answer are standards_compliance's
    page.goto(pages_server + "/standards")
    met = _sql(app, "SELECT count(*) FROM standards_compliance WHERE status = 'met'")[0][0]
    n = _sql(app, "SELECT count(*) FROM standards_compliance")[0][0]
    assert f"Of {n} criteria checked, {met} met" in page.inner_text("main")
    assert not errors, errors
    ctx.close()


def test_filters_change_the_content_and_the_address(browser, pages_server, pw):
    ctx, page, errors, _ = _login(browser, pages_server, "vic", pw)
    page.goto(pages_server + "/needs?indicator=prevalence_diabetes")
    before = page.inner_text(".cm-question")
    page.select_option("#f-indicator", "emergency_admissions")
    page.click(".cm-filter__go")
    page.wait_for_url("**indicator=emergency_admissions**")
    after = page.inner_text(".cm-question")
    assert before != after and "emergency admissions" in after
    page.select_option("#f-area", "L1")
    page.click(".cm-filter__go")
    page.wait_for_url("**area=L1**")
    assert "S: emergency admissions" in page.inner_text(".cm-question")
    shared = page.url
    other = ctx.new_page()
    other.goto(shared)  # the address alone gives the same view
    assert other.inner_text(".cm-question") == page.inner_text(".cm-question")
    assert not errors, errors
    ctx.close()


CRAWL = [
    "/",
    "/quality",
    "/needs",
    "/risk",
    "/network",
    "/standards",
    "/budget",
    "/performance",
    "/waiting",
    "/help",
    "/areas/L1",
    "/areas/ICS1",
]


@pytest.mark.parametrize("user", ["vic", "cal", "ada"])
def test_every_link_answers_200_or_a_deliberate_403(browser, pages_server, pw, user):
    ctx, page, _errors, _ = _login(browser, pages_server, user, pw)
    seen: dict[str, int] = {}
    todo = list(CRAWL) + (["/risk/caseload"] if user != "vic" else [])
    for path in todo:
        resp = page.goto(pages_server + path)
        assert resp.status == 200, path
        hrefs = page.eval_on_selector_all(
            "main a[href^='/']", "els => els.map(e => e.getAttribute('href'))"
        )
        for h in hrefs:
            if h in seen or h.startswith("/logout"):
                continue
            r = page.request.get(pages_server + h, max_redirects=0)
            seen[h] = r.status
    bad = {h: s for h, s in seen.items() if s not in (200, 403)}
    assert not bad, bad
    assert len(seen) > 20
    ctx.close()


def test_no_page_shows_a_raw_site_or_provider_code_where_a_name_exists(
    browser, pages_server, pages_app, pw
):
    import re

    ctx, page, _errors, _ = _login(browser, pages_server, "ada", pw)
    named = [
        r[0] for r in _sql(pages_app, "SELECT site_code FROM site WHERE site_name IS NOT NULL")
    ]
    named += [r[0] for r in _sql(pages_app, "SELECT provider_code FROM provider")]
    for path in CRAWL:
        page.goto(pages_server + path)
        text = page.inner_text("main")
        for code in named:
            assert not re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text), (path, code)
    ctx.close()


def test_truth_tables_are_for_admins_only(browser, pages_server, pw):
    for user, shown in (("vic", False), ("ann", False), ("ada", True)):
        ctx, page, _errors, _ = _login(browser, pages_server, user, pw)
        page.goto(pages_server + "/quality")
        assert ("truth." in page.inner_text("main")) is shown, user
        ctx.close()


def test_pages_print_to_a4_without_the_navigation(browser, pages_server, pw):
    ctx, page, _errors, _ = _login(browser, pages_server, "vic", pw)
    for path in ("/needs", "/performance", "/budget"):
        page.goto(pages_server + path)
        _wait_charts(page)
        page.emulate_media(media="print")
        assert page.locator(".nhsuk-header__navigation").is_hidden()
        assert (
            page.locator(".cm-filters").count() == 0
            or page.locator(".cm-filters").first.is_hidden()
        )
        pdf = page.pdf(format="A4")
        assert pdf[:4] == b"%PDF"
        page.emulate_media(media="screen")
    ctx.close()

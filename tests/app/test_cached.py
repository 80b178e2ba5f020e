"""Cached answers (served on the event loop) keep roles, suppression, audit and sessions."""

from __future__ import annotations

import shutil
import time

import pytest

from caremap.app.users import copy_store

pytestmark = pytest.mark.acceptance


@pytest.fixture
def cached_app(app_ws_path, tmp_path):
    from caremap.app import AppConfig, create_app

    path = tmp_path / "cached.duckdb"
    shutil.copy(app_ws_path, path)
    # users live in the store beside the workspace: copy it too
    copy_store(app_ws_path, path)
    made = []

    def make(**settings):
        app = create_app(AppConfig(workspace=path, cache_seconds=300, **settings))
        made.append(app)
        return app

    yield make
    for app in made:
        app.state.caremap.close()


def _client(app, name, pw):
    from fastapi.testclient import TestClient

    c = TestClient(app)
    r = c.post("/api/session", json={"username": name, "password": pw(name)})
    assert r.status_code == 200, r.text
    return c


def test_an_unsuppressed_answer_in_the_cache_never_reaches_a_viewer(cached_app, pw):
    app = cached_app()
    ann, vic = _client(app, "ann", pw), _client(app, "vic", pw)
    params = {"filter": "area_code:eq:E0100001"}
    for _ in range(2):  # the second round is answered from the caches
        a = ann.get("/api/tables/needs_indicator", params=params).json()["rows"][0]
        v = vic.get("/api/tables/needs_indicator", params=params).json()["rows"][0]
        assert a["numerator"] == 2 and v["numerator"] is None and v["value"] is None
        a = ann.get("/api/areas/E0100001").json()["indicators"][0]
        v = vic.get("/api/areas/E0100001").json()["indicators"][0]
        assert a["numerator"] == 2 and v["numerator"] is None
        a = ann.get("/tables/needs_indicator", params=params).text
        v = vic.get("/tables/needs_indicator", params=params).text
        assert "are blank" in v and "are blank" not in a
        assert ">2<" in a.replace(" ", "") and ">2<" not in v.replace(" ", "")
        listed = {t["name"]: t for t in vic.get("/api/tables").json()}
        assert listed["needs_indicator"]["suppressed"] and "person" not in listed


def test_person_table_pages_are_audited_on_every_view_and_never_cached(cached_app, pw):
    app = cached_app()
    ada, vic = _client(app, "ada", pw), _client(app, "vic", pw)

    def person_views() -> int:
        rows = ada.get("/api/audit", params={"limit": 1000}).json()["rows"]
        return sum(r["target"] == "person" and r["action"] == "view" for r in rows)

    before = person_views()
    for _ in range(3):
        r = ada.get("/tables/person", params={"limit": 5})
        assert r.status_code == 200 and "Person1" in r.text
    assert person_views() == before + 3
    assert vic.get("/tables/person", params={"limit": 5}).status_code == 403
    assert vic.get("/api/tables/person", params={"limit": 5}).status_code == 403


def test_a_remembered_session_still_expires_and_a_forged_one_is_refused(cached_app, pw):
    app = cached_app(session_hours=1.5 / 3600)  # sessions last one second
    vic = _client(app, "vic", pw)
    assert vic.get("/api/me").status_code == 200
    assert vic.get("/api/me").status_code == 200  # from the session cache
    cookie = vic.cookies["caremap_session"]
    vic.cookies.clear()
    vic.cookies.set("caremap_session", cookie)  # kept by this client past its max-age
    forged = _client(app, "ann", pw)
    forged.cookies.set("caremap_session", cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB"))
    assert forged.get("/api/me").status_code == 401
    time.sleep(2.1)
    assert vic.get("/api/me").status_code == 401
    assert vic.get("/needs", follow_redirects=False).status_code == 303

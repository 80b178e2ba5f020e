"""The app over the synthetic economy's ingested workspace (before any capability has run)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def economy_app(economy_ws):
    from caremap.app import AppConfig, create_app
    from caremap.app.users import add_user

    con = economy_ws.cursor()
    add_user(con, "vic", "vic-correct-horse", "viewer")
    add_user(con, "ada", "ada-correct-horse", "admin")
    path = economy_ws.path
    economy_ws.close()
    app = create_app(AppConfig(workspace=path, cache_seconds=0))
    yield app
    app.state.caremap.close()


def test_ingested_extracts_are_classified_and_pages_say_what_is_missing(economy_app):
    from fastapi.testclient import TestClient

    c = TestClient(economy_app)
    c.post("/api/session", json={"username": "ada", "password": "ada-correct-horse"})
    kinds = {t["name"]: t["kind"] for t in c.get("/api/tables").json()}
    for person_level in ("source_record", "activity", "condition", "waiting_pathway"):
        assert kinds[person_level] == "person"
    assert kinds["small_area"] == "reference" and kinds["site"] == "reference"
    assert "postcode" not in kinds and "quarantine" not in kinds
    assert not any(k.startswith("truth") for k in kinds)

    v = TestClient(economy_app)
    v.post("/api/session", json={"username": "vic", "password": "vic-correct-horse"})
    home = v.get("/").text
    assert 'class="cm-chart"' in home  # the map of small areas and hospitals
    assert "Reconciliation" in v.get("/quality").text
    for page, command in (("/needs", "caremap needs"), ("/risk", "caremap risk")):
        text = v.get(page).text
        assert "Not yet produced" in text and command in text
    assert v.get("/api/tables/activity").status_code == 403

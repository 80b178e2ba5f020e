"""The caseload worklist: identity and reasons first, filters, paging, CSV export (audited),
and a contact status the team can set (stored and audited); role rules unchanged."""

from __future__ import annotations

import csv
import io
import re

import pytest

pytestmark = pytest.mark.acceptance


def _audit(app, action: str) -> list[tuple]:
    """The audit trail's entries for ``action``, oldest first (the trail lives in the user
    store beside the workspace)."""
    from caremap.app.audit import read

    _, rows = read(app.state.caremap.cursor(), 1_000_000, 0)
    keep = [r for r in reversed(rows) if r["action"] == action]
    return [(r["username"], r["action"], r["target"], r["detail"], r["person_rows"]) for r in keep]


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def test_clinician_sees_own_locality_worklist_with_names_first(login, app):
    c = login("cal")
    r = c.get("/risk/caseload")
    assert r.status_code == 200
    total = (
        app.state.caremap.cursor()
        .execute("SELECT count(*) FROM risk_caseload WHERE locality_code = 'L1'")
        .fetchone()[0]
    )
    assert f'data-total="{total}"' in r.text
    heads = re.findall(r'<th scope="col"[^>]*>(?:<span class="cm-term">)?([^<]+)', r.text)
    assert heads[:2] == ["Name", "NHS number"]
    assert re.search(r"Test Person1\b", r.text) and not re.search(r"Test Person2\b", r.text)
    assert c.get("/risk/caseload", params={"locality": "L2"}).status_code == 403
    assert login("vic").get("/risk/caseload").status_code == 403
    assert login("ann").get("/risk/caseload.csv").status_code == 403


def test_filters_and_paging_and_bad_dates(login):
    c = login("ada")
    all_ = c.get("/risk/caseload").text
    assert "of the caseloads of all localities" not in all_
    one = c.get("/risk/caseload", params={"locality": "L3", "tier": "very high"})
    assert one.status_code == 200 and "Test Person3" in one.text and "Test Person1<" not in one.text
    none = c.get("/risk/caseload", params={"tier": "low"})
    assert "0 people" in none.text
    later = c.get("/risk/caseload", params={"since": "2999-01-01"})
    assert "0 people" in later.text
    assert c.get("/risk/caseload", params={"since": "yesterday"}).status_code == 400
    assert c.get("/risk/caseload", params={"status": "<b>"}).status_code == 422
    assert c.get("/risk/caseload", params={"status": "maybe"}).status_code == 400


def test_csv_export_is_audited_and_matches_the_page(login, app):
    c = login("cal")
    before = len(_audit(app, "download"))
    r = c.get("/risk/caseload.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    total = (
        app.state.caremap.cursor()
        .execute("SELECT count(*) FROM risk_caseload WHERE locality_code = 'L1'")
        .fetchone()[0]
    )
    assert len(rows) == total
    assert {r["family_name"] for r in rows} == {f"Person{i}" for i in range(1, 40, 4)}
    log = _audit(app, "download")
    assert len(log) == before + 1
    assert log[-1][0] == "cal" and log[-1][4] == total and "locality=L1" in log[-1][3]


def test_status_is_stored_audited_and_limited_to_own_locality(login, app):
    c = login("cal")
    page = c.get("/risk/caseload").text
    token = _csrf(page)
    r = c.post(
        "/risk/caseload/status",
        data={"csrf_token": token, "person_id": 1, "status": "contacted"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    con = app.state.caremap.cursor()
    assert con.execute(
        "SELECT status, updated_by FROM app_caseload_status WHERE person_id = 1"
    ).fetchall() == [("contacted", "cal")]
    assert _audit(app, "status")[-1][:4] == (
        "cal",
        "status",
        "app_caseload_status",
        "person_id=1; status=contacted",
    )
    shown = c.get("/risk/caseload", params={"status": "contacted"}).text
    assert "Test Person1" in shown and "1 people" in shown
    # another locality's person, a made-up status, no token
    assert (
        c.post(
            "/risk/caseload/status",
            data={"csrf_token": token, "person_id": 2, "status": "contacted"},
        ).status_code
        == 403
    )
    assert (
        c.post(
            "/risk/caseload/status", data={"csrf_token": token, "person_id": 1, "status": "gone"}
        ).status_code
        == 400
    )
    assert (
        c.post("/risk/caseload/status", data={"person_id": 1, "status": "reviewed"}).status_code
        == 403
    )
    assert (
        login("vic")
        .post(
            "/risk/caseload/status",
            data={"csrf_token": token, "person_id": 1, "status": "reviewed"},
        )
        .status_code
        == 403
    )

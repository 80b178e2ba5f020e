"""The needs page and area profiles: the numbers on the page equal the 95% rows of
``needs_indicator`` (one per area, never the 95% and 99.8% rows added), the answer in words,
the comparisons, the trend, filters in the URL, and 404/400 for unknown or malformed ones."""

from __future__ import annotations

import html
import json
import re

import pytest

from .conftest import password
from .pages_workspace import ADMISSIONS, DIABETES, build_pages_workspace

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fastapi.testclient import TestClient

    from caremap.app import AppConfig, create_app

    path = tmp_path_factory.mktemp("pagesws") / "pages.duckdb"
    build_pages_workspace(path)
    app = create_app(AppConfig(workspace=path, cache_seconds=0))

    def make(name):
        c = TestClient(app)
        r = c.post("/api/session", json={"username": name, "password": password(name)})
        assert r.status_code == 200
        return c

    yield make
    app.state.caremap.close()


def charts_of(text: str) -> list[dict]:
    return [
        json.loads(html.unescape(m))
        for m in re.findall(
            r'<script type="application/json" id="chart-[^"]+">(.*?)</script>', text, re.S
        )
    ]


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_bars_are_the_95_rows_one_per_locality_never_added(client):
    r = client("ann").get("/needs", params={"indicator": "prevalence_diabetes"})
    assert r.status_code == 200
    bars = next(c for c in charts_of(r.text) if c["data"][0]["type"] == "bar")
    assert len(bars["data"][0]["x"]) == 4  # each locality once
    got = dict(zip(bars["data"][0]["x"], bars["data"][0]["y"], strict=True))
    names = {"L0": "N", "L1": "S", "L2": "E", "L3": "W"}
    assert got == {
        names[c]: v for (lv, c), v0 in DIABETES.items() if lv == "locality" for v in [v0[0]]
    }
    # error bars are the 95% interval
    i = bars["data"][0]["x"].index("S")
    assert bars["data"][0]["error_y"]["array"][i] == pytest.approx(6.3 - 6.1)
    # each locality appears once in the table, with both intervals beside each other
    table = r.text[r.text.index("cm-grid") :]
    assert table.count('href="/areas/L1"') == 1
    assert "5.9 to 6.3" in text_of(table) and "5.7 to 6.5" in text_of(table)


def test_the_answer_names_the_area_its_interval_and_the_comparison(client):
    r = client("ann").get("/needs", params={"indicator": "prevalence_diabetes", "area": "L1"})
    body = text_of(r.text)
    assert "S: diabetes prevalence 6.1% (5.9 to 6.3), significantly above the ICS (5.8%)" in body
    assert re.search(r'data-value="6\.1"', r.text)
    top = client("ann").get("/needs", params={"indicator": "prevalence_diabetes"})
    t = text_of(top.text)
    assert "Test ICS: diabetes prevalence 5.8% (5.7 to 5.9), similar to the region (5.7%)" in t
    assert "Of 4 localities in Test ICS, 1 is significantly above Test ICS (5.8%) and 1 below." in t
    assert "E: diabetes prevalence 5.0% (4.6 to 5.4), significantly below the ICS (5.8%)" in t
    assert "Fingertips" in t


def test_trend_over_the_years_present(client):
    r = client("ann").get("/needs", params={"indicator": "emergency_admissions", "area": "L1"})
    body = text_of(r.text)
    assert "S rose 9% from 11,000 per 100,000 in 2022/23 to 12,000 per 100,000 in 2024/25" in body
    trend = next(c for c in charts_of(r.text) if c["data"][0]["type"] == "scatter")
    series = {d["name"]: d["y"] for d in trend["data"]}
    assert series["S"] == [ADMISSIONS[p]["L1"] for p in sorted(ADMISSIONS)]


def test_filters_change_the_content_and_stay_in_the_url(client):
    c = client("vic")
    a = c.get("/needs", params={"indicator": "prevalence_diabetes"}).text
    b = c.get("/needs", params={"indicator": "emergency_admissions"}).text
    assert "Diabetes prevalence" in a and "Emergency admissions by locality" in b
    assert '<option value="emergency_admissions" selected>' in b
    small = c.get("/needs", params={"indicator": "prevalence_diabetes", "area": "L1"}).text
    assert 'href="/needs/area/E0100001?indicator=prevalence_diabetes"' in small


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"area": "X99"}, 404, "no area 'X99'"),
        ({"indicator": "nope"}, 404, "no indicator 'nope'"),
        ({"indicator": "prevalence_diabetes", "period": "1999"}, 404, "no period '1999'"),
        ({"area": "<script>"}, 400, "area must be"),
        ({"area": "x" * 81}, 400, "area must be"),
        ([("area", "L1"), ("area", "L2")], 400, "give area once"),
    ],
)
def test_unknown_is_404_malformed_is_400_with_a_way_back(client, params, status, says):
    r = client("vic").get("/needs", params=params)
    assert r.status_code == status
    assert says in html.unescape(r.text)
    assert (
        'href="/needs"' in r.text and "<script>" not in r.text.split("<body")[1].split("</main>")[0]
    )


def test_locality_profile_compares_every_indicator(client):
    r = client("vic").get("/areas/L1")
    assert r.status_code == 200
    body = text_of(r.text)
    assert "S (locality)" in body
    assert "significantly higher on 2 of 2 indicators" in body
    assert "6.1%" in body and "5.8%" in body and "5.7%" in body
    assert 'href="/areas/ICS1"' in r.text and 'href="/areas/R1"' in r.text
    assert client("vic").get("/areas/ICS1").status_code == 200
    assert client("vic").get("/needs/area/E0100001").status_code == 200
    missing = client("vic").get("/areas/NOPE")
    assert missing.status_code == 404 and "no area 'NOPE'" in html.unescape(missing.text)
    assert client("vic").get("/areas/bad%20code").status_code == 400

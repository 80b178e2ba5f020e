"""Fixtures for the app tests: a small hand-made workspace with users of every role."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

PASSWORDS = {
    "ada": ("admin", None),
    "ann": ("analyst", None),
    "vic": ("viewer", None),
    "cal": ("clinician", "L1"),
    "cat": ("clinician", "L2"),
}


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Argon2's test profile for these fixtures' users (real users get RFC 9106 parameters,
    checked in test_users.py), so that logging in many times stays fast."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CAREMAP_ARGON2_PROFILE", "cheapest")
        yield


def password(name: str) -> str:
    return f"{name}-correct-horse"


def build_workspace(path) -> None:
    """Geography, sites, a person table with PID, a caseload and a few aggregate results."""
    from caremap.app.users import add_user
    from caremap.core.workspace import open_workspace

    rng = np.random.default_rng(42)
    ws = open_workspace(path, memory_limit="512MB")
    n = 48
    sa = pd.DataFrame(
        {
            "area_code": [f"E01{i:05d}" for i in range(n)],
            "area_name": [f"Area {i}" for i in range(n)],
            "locality_code": [f"L{i % 4}" for i in range(n)],
            "ics_code": "ICS1",
            "easting": rng.uniform(400_000, 450_000, n),
            "northing": rng.uniform(300_000, 350_000, n),
        }
    )
    ws.write_table("small_area", sa)
    ws.write_table(
        "locality",
        pd.DataFrame(
            {
                "locality_code": [f"L{i}" for i in range(4)],
                "locality_name": list("NSEW"),
                "ics_code": "ICS1",
            }
        ),
    )
    ws.write_table(
        "site",
        pd.DataFrame(
            {
                "site_code": ["S1", "S2", "S3"],
                "site_name": ["North General", "South", "Hub"],
                "provider_code": "P1",
                "site_type": ["acute_hospital", "acute_hospital", "surgical_hub"],
                "easting": [410_000.0, 440_000.0, 425_000.0],
                "northing": [340_000.0, 310_000.0, 325_000.0],
            }
        ),
    )
    ind = pd.DataFrame(
        {
            "indicator": "copd_prevalence",
            "area_type": "small_area",
            "area_code": sa["area_code"],
            "period": "2024",
            "numerator": rng.integers(0, 40, n),
            "denominator": rng.integers(900, 2000, n),
        }
    )
    ind.loc[:5, "numerator"] = [1, 2, 3, 4, 0, 6]
    ind["value"] = ind["numerator"] / ind["denominator"] * 1000
    ws.write_table("needs_indicator", ind)
    people = 40
    ws.write_table(
        "person",
        pd.DataFrame(
            {
                "person_id": np.arange(people),
                "nhs_number": [f"94{i:08d}" for i in range(people)],
                "given_name": "Test",
                "family_name": [f"Person{i}" for i in range(people)],
                "locality_code": [f"L{i % 4}" for i in range(people)],
            }
        ),
    )
    ws.write_table(
        "risk_caseload",
        pd.DataFrame(
            {
                "person_id": np.arange(people),
                "locality_code": [f"L{i % 4}" for i in range(people)],
                "score": rng.uniform(0, 1, people),
                "tier": "very high",
            }
        ),
    )
    ws.write_table(
        "spc_series",
        pd.DataFrame(
            {
                "provider_code": "P1",
                "measure": "ae_4h",
                "month": pd.date_range("2023-01-01", periods=24, freq="MS").date,
                "patients": rng.integers(2, 400, 24),
            }
        ),
    )
    con = ws.cursor()
    for name, (role, loc) in PASSWORDS.items():
        add_user(con, name, password(name), role, loc)
    ws.close()


@pytest.fixture(scope="module")
def app_ws_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("appws") / "app.duckdb"
    build_workspace(path)
    return path


@pytest.fixture(scope="module")
def app(app_ws_path):
    from caremap.app import AppConfig, create_app

    application = create_app(AppConfig(workspace=app_ws_path, cache_seconds=0))
    yield application
    application.state.caremap.close()


@pytest.fixture(scope="module")
def login(app):
    """``login(name)`` -> a TestClient with that user's session (None: anonymous)."""
    from fastapi.testclient import TestClient

    def make(name: str | None):
        client = TestClient(app)
        if name is not None:
            r = client.post("/api/session", json={"username": name, "password": password(name)})
            assert r.status_code == 200, r.text
        return client

    return make


@pytest.fixture(scope="session")
def pw():
    """``pw(name)``: the test password of a user."""
    return password

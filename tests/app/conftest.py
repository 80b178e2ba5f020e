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
    _capability_tables(ws, rng)
    con = ws.cursor()
    for name, (role, loc) in PASSWORDS.items():
        add_user(con, name, password(name), role, loc)
    ws.close()


@pytest.fixture(scope="module")
def app_ws_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("appws") / "app.duckdb"
    build_workspace(path)
    return path


@pytest.fixture(scope="module", params=[0, 300], ids=["uncached", "cached"])
def app(app_ws_path, request):
    """The app without caches (every answer computed) and with them (cached answers served
    on the event loop): every security and suppression check must hold both ways."""
    from caremap.app import AppConfig, create_app

    application = create_app(AppConfig(workspace=app_ws_path, cache_seconds=request.param))
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


def _capability_tables(ws, rng) -> None:
    """Result tables shaped like the capabilities' own (column names as they write them)."""
    months = pd.date_range("2023-01-01", periods=24, freq="MS").date
    ws.write_table(
        "risk_tier_summary",
        pd.DataFrame(
            {
                "tier": ["very high", "high", "moderate", "low"],
                "tier_order": [1, 2, 3, 4],
                "people": [3, 40, 200, 900],
                "share": [0.003, 0.035, 0.175, 0.787],
                "mean_score": [0.7, 0.3, 0.1, 0.03],
            }
        ),
    )
    ws.write_table(
        "risk_model_card",
        pd.DataFrame(
            {
                "model_id": "m1",
                "section": ["model", "model", "metrics"],
                "item": ["type", "scores people", "auroc"],
                "value": ["logistic", "yes", "0.80"],
            }
        ),
    )
    ws.write_table(
        "network_scenario",
        pd.DataFrame(
            {
                "scenario": ["today", "optimised_p2"],
                "centres": ["S1", "S1,S2"],
                "n_centres": [1, 2],
                "mean_minutes_population": [31.0, 22.5],
                "population_within_30": [0.55, 0.8],
                "population_within_45": [0.8, 0.95],
                "population_within_60": [0.95, 1.0],
            }
        ),
    )
    areas = [f"E01{i:05d}" for i in range(48)]
    ws.write_table(
        "network_map_area",
        pd.DataFrame(
            {
                "area_code": areas * 2,
                "easting": rng.uniform(400_000, 450_000, 96),
                "northing": rng.uniform(300_000, 350_000, 96),
                "population": 1500.0,
                "minutes_to_centre": rng.uniform(5, 70, 96),
                "centre": "S1",
                "scenario": ["today"] * 48 + ["optimised_p2"] * 48,
            }
        ),
    )
    ws.write_table(
        "network_map_site",
        pd.DataFrame(
            {
                "site_code": ["S1", "S1", "S2"],
                "site_name": ["North General"] * 2 + ["South"],
                "easting": [410_000.0, 410_000.0, 440_000.0],
                "northing": [340_000.0] * 2 + [310_000.0],
                "scenario": ["today", "optimised_p2", "optimised_p2"],
                "role": ["mtc", "mtc", "trauma_unit"],
                "arrivals": [300, 200, 100],
            }
        ),
    )
    ws.write_table(
        "standards_compliance",
        pd.DataFrame(
            {
                "site_code": ["S1", "S1", "S2", "S2"],
                "site_name": ["North General"] * 2 + ["South"] * 2,
                "service": "trauma",
                "criterion_id": ["T1", "T2", "T1", "T2"],
                "title": ["consultant in 30 min", "CT in 60 min"] * 2,
                "value": [0.9, 0.5, 0.7, None],
                "threshold": [0.8, 0.9, 0.8, 0.9],
                "critical": [True, False, True, False],
                "numerator": [90.0, 50, 70, None],
                "denominator": [100.0, 100, 100, None],
                "status": ["met", "not met", "not met", "no evidence"],
            }
        ),
    )
    pots = ["primary", "continuing", "planned", "public_health"]
    ws.write_table(
        "budget_pot_summary",
        pd.DataFrame(
            {
                "pot": pots,
                "budget_pence": [10**9, 5 * 10**8, 2 * 10**9, 10**8],
                "actual_ytd_pence": [6 * 10**8, 3 * 10**8, 10**9, 5 * 10**7],
                "forecast_outturn_pence": [10**9, 6 * 10**8, 19 * 10**8, 10**8],
            }
        ),
    )
    ws.write_table(
        "budget_ledger",
        pd.DataFrame(
            [
                {
                    "pot": p,
                    "locality_code": "L1",
                    "month": m,
                    "budget_pence": 10**7,
                    "spend_pence": 9 * 10**6,
                    "cumulative_budget_pence": 10**7 * (i + 1),
                    "cumulative_spend_pence": 9 * 10**6 * (i + 1),
                    "actual": i < 8,
                }
                for p in pots
                for i, m in enumerate(months[:12])
            ]
        ),
    )
    values = rng.normal(0.8, 0.03, 24)
    ws.write_table(
        "spc_point",
        pd.DataFrame(
            {
                "source": "hubs",
                "series": "theatre_utilisation",
                "date": months,
                "value": values,
                "mean": values.mean(),
                "lpl": values.mean() - 0.09,
                "upl": values.mean() + 0.09,
                "special_cause_flag": [False] * 22 + [True, True],
                "point_type": ["common_cause"] * 22 + ["special_cause_improvement"] * 2,
            }
        ),
    )
    ws.write_table(
        "spc_summary",
        pd.DataFrame(
            {
                "source": ["hubs"],
                "series": ["theatre_utilisation"],
                "n": [24],
                "variation_icon": ["improvement_high"],
                "assurance_icon": ["inconsistent"],
            }
        ),
    )
    den = rng.integers(50, 2000, 12)
    ws.write_table(
        "funnel_unit",
        pd.DataFrame(
            {
                "source": "hubs",
                "funnel": "cancelled_on_day",
                "unit": [f"H{i}" for i in range(12)],
                "numerator": (den * 0.05).astype(int),
                "denominator": den,
                "value": 0.05,
                "lower95": 0.05 - 2 / np.sqrt(den),
                "upper95": 0.05 + 2 / np.sqrt(den),
                "position": "within",
                "rank": np.arange(1, 13),
                "label": "",
            }
        ),
    )
    lists = ["P1 trauma_orthopaedics", "P1 ophthalmology"]
    ws.write_table(
        "waiting_summary",
        pd.DataFrame(
            {
                "source": "waiting_pathway",
                "list": lists,
                "demand": [40.0, 30.0],
                "capacity": [38.0, 31.0],
                "queue_size": [900.0, 400.0],
                "target_queue_size": [700.0, 450.0],
                "over_target": [3.0, 120.0],
            }
        ),
    )
    weeks = np.arange(1, 27)
    ws.write_table(
        "waiting_forecast",
        pd.DataFrame(
            [
                {
                    "source": "waiting_pathway",
                    "list": li,
                    "scenario": sc,
                    "week": int(w),
                    "capacity": 40.0,
                    "list_low": 800.0 - k * w,
                    "list_median": 900.0 - k * w,
                    "list_high": 1000.0 - k * w,
                    "breaches_median": 3.0,
                }
                for li in lists
                for sc, k in (("baseline", 1.0), ("plus_10pct", 8.0))
                for w in weeks
            ]
        ),
    )

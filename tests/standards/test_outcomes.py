"""Risk-adjusted trauma mortality: the model, the intervals, the funnel and the step."""

from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from scipy.stats import chi2
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from caremap.core.errors import InputError, WorkspaceError
from caremap.standards.outcomes import (
    OutcomeConfig,
    c_statistic,
    fit_logistic,
    funnel_limits,
    funnel_position,
    trauma_mortality,
)

from .std_helpers import TRAUMA_SCHEMA, seed_sites, trauma_row

pytestmark = pytest.mark.unit


def test_grouped_logistic_matches_unpenalised_sklearn():
    rng = np.random.default_rng(1)
    x = np.column_stack([np.ones(400), rng.normal(size=400), rng.integers(0, 2, 400)])
    trials = rng.integers(1, 6, 400).astype(float)
    p = 1 / (1 + np.exp(-(x @ np.array([-1.0, 0.8, 0.5]))))
    events = rng.binomial(trials.astype(int), p).astype(float)
    beta = fit_logistic(x, events, trials)
    # the same data expanded to one row per trial, fitted by scikit-learn without penalty
    xs = np.repeat(np.vstack([x, x]), np.concatenate([events, trials - events]).astype(int), 0)
    ys = np.repeat([1] * 400 + [0] * 400, np.concatenate([events, trials - events]).astype(int))
    sk = LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-12, max_iter=10_000)
    sk.fit(xs, ys)
    np.testing.assert_allclose(beta, sk.coef_[0], atol=1e-5)


def test_grouped_c_statistic_matches_roc_auc():
    p = np.array([0.1, 0.2, 0.2, 0.5, 0.9])
    events = np.array([0, 1, 1, 2, 3.0])
    trials = np.array([4, 2, 3, 3, 3.0])
    y = np.concatenate([np.ones(int(events.sum())), np.zeros(int((trials - events).sum()))])
    s = np.concatenate(
        [np.repeat(p, events.astype(int)), np.repeat(p, (trials - events).astype(int))]
    )
    assert c_statistic(p, events, trials) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_funnel_limits_are_exact_poisson_limits_of_e():
    e = np.array([2.0, 10.0, 50.0, 400.0])
    # exact Poisson limits of a count equal to E (chi-square form), divided by E
    np.testing.assert_allclose(funnel_limits(e, 0.975), chi2.ppf(0.975, 2 * (e + 1)) / 2 / e)
    np.testing.assert_allclose(funnel_limits(e, 0.025), chi2.ppf(0.025, 2 * e) / 2 / e)
    np.testing.assert_allclose(funnel_limits(e, 0.999), chi2.ppf(0.999, 2 * (e + 1)) / 2 / e)
    # with many expected events the limits approach 1 +/- 1.96 / sqrt(E)
    big = np.array([1e6])
    assert funnel_limits(big, 0.975)[0] == pytest.approx(1 + 1.959964 / 1e3, rel=1e-4)


def test_funnel_position():
    o = np.array([10, 30, 4, 2])
    e = np.array([10.0, 10.0, 10.0, 10.0])
    assert funnel_position(o, e).tolist() == ["within", "high 99.8%", "low 95%", "low 99.8%"]


def _trauma(ws, n_per_site=600, bad_site="B", seed=3, signal=1.0):
    seed_sites(ws)
    rng = np.random.default_rng(seed)
    rows = []
    t0 = datetime(2023, 1, 1)
    for site in ("A", "B", "H"):
        for i in range(n_per_site):
            age = int(rng.integers(16, 95))
            iss = int(rng.integers(9, 60))
            gcs = int(rng.integers(3, 16))
            lp = -6 + 0.04 * age + 0.06 * iss - 0.15 * (gcs - 15)
            lp = -2.3 + signal * (lp + 2.3) + (1.0 if site == bad_site else 0)
            died = bool(rng.random() < 1 / (1 + np.exp(-lp)))
            rows.append(
                trauma_row(
                    f"{site}{i}",
                    site,
                    t0 + timedelta(hours=37 * i),
                    age=age,
                    iss=iss,
                    gcs=gcs,
                    died_30d=died,
                    sex="F" if i % 2 else "M",
                )
            )
    ws.write_table("trauma_process", pa.Table.from_pylist(rows, schema=TRAUMA_SCHEMA))


def test_step_flags_the_site_with_excess_mortality(ws):
    _trauma(ws)
    res = trauma_mortality(ws, OutcomeConfig())
    out = {r["site_code"]: r for r in ws.sql("SELECT * FROM standards_outcome").to_pylist()}
    assert set(out) == {"A", "B", "H"}
    assert out["B"]["position"].startswith("high")
    assert out["A"]["position"] in ("within", "low 95%", "low 99.8%")
    total_o = sum(r["observed"] for r in out.values())
    total_e = sum(r["expected"] for r in out.values())
    assert total_e == pytest.approx(total_o, rel=1e-6)  # ML logistic: calibration in the large
    assert res.c_statistic > 0.6 and res.patients == sum(r["patients"] for r in out.values())
    for r in out.values():
        assert r["lower95"] < r["ratio"] < r["upper95"]
        assert r["lower998"] < r["lower95"] and r["upper998"] > r["upper95"]
        assert r["region_code"] in ("R1", "R2")


def test_small_sites_and_few_deaths(ws):
    _trauma(ws, n_per_site=40)
    trauma_mortality(ws, OutcomeConfig(min_expected=1e6))
    pos = set(ws.sql("SELECT position FROM standards_outcome").column(0).to_pylist())
    assert pos == {"too few cases"}
    terms = ws.sql("SELECT term FROM standards_outcome_model").column(0).to_pylist()
    # 120 patients cannot support nine slopes at ten deaths each: a smaller model is used
    assert "age10_sq" not in terms and "intercept" in terms


def test_missing_table_and_empty_cohort(ws):
    with pytest.raises(WorkspaceError, match="trauma_process"):
        trauma_mortality(ws, OutcomeConfig())
    _trauma(ws, n_per_site=5)
    with pytest.raises(InputError, match="no trauma patients"):
        trauma_mortality(ws, OutcomeConfig(iss_above=74))


def _model(ws) -> dict:
    rows = ws.sql("SELECT * FROM standards_outcome_model").to_pylist()
    assert len({(r["quality"], r["warning"]) for r in rows}) == 1  # the same on every row
    return rows[0]


def test_a_good_case_mix_model_carries_no_warning(ws):
    _trauma(ws)
    res = trauma_mortality(ws, OutcomeConfig())
    m = _model(ws)
    assert res.c_statistic >= 0.7 and res.quality in ("acceptable", "excellent", "outstanding")
    assert m["quality"] == res.quality and m["warning"] is None and res.warning is None


def test_a_model_no_better_than_chance_is_flagged(ws):
    # deaths unrelated to age, ISS or GCS: the fitted model cannot rank patients
    _trauma(ws, signal=0.0, bad_site=None)
    res = trauma_mortality(ws, OutcomeConfig())
    m = _model(ws)
    assert res.c_statistic < 0.6
    assert m["quality"] == res.quality == "no better than chance"
    assert "no better than chance" in m["warning"] and "0.6" in m["warning"]


def test_an_intercept_only_model_says_it_is_crude(ws):
    # 120 patients and a handful of deaths: no slope can be fitted, c is 0.5 by construction
    _trauma(ws, n_per_site=40)
    res = trauma_mortality(ws, OutcomeConfig(events_per_parameter=1000))
    m = _model(ws)
    assert res.c_statistic == pytest.approx(0.5, abs=1e-12)
    assert m["quality"] == "no case-mix adjustment"
    assert "crude" in m["warning"] and res.warning == m["warning"]

"""Outcomes framework: risk-adjusted 30-day mortality after major trauma, per hospital.

A case-mix logistic model (age, age squared, ISS, ISS squared, GCS band and sex, after the
TARN probability-of-survival model: Bouamra O et al., *Prediction modelling for trauma using
comorbidity and 'true' 30-day outcome*, Emerg Med J 2015;32:933-938) is fitted on every
eligible patient in the workspace. Each site's expected deaths are the sum of its patients'
predicted risks; observed over expected gets Byar's limits (exact Poisson below 10 deaths,
as PHE computes them, through `caremap.core.stats.intervals.isr`) and a position on a
funnel plot with exact Poisson control limits (Spiegelhalter DJ, *Funnel plots for comparing
institutional performance*, Stat Med 2005;24:1185-1202), computed by
`caremap.core.stats.funnel` as the performance capability's funnels are.

The data are aggregated to covariate patterns in the engine, so the model is fitted on
counts, never on person-level rows pulled into Python.

The model's quality is written with it (``quality`` and ``warning`` in
``standards_outcome_model``, graded by `caremap.core.stats.discrimination`): a c-statistic
below 0.6 is flagged as no better than chance, and a model left with no case-mix terms
(too few deaths for any slope) says that its expected deaths are the crude rate, so the
ratios compare crude mortality.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field
from scipy.special import ndtri

from caremap.core.errors import InputError
from caremap.core.stats import funnel
from caremap.core.stats.discrimination import grade
from caremap.core.stats.intervals import isr
from caremap.core.workspace import Workspace

INDICATOR = "trauma_30d_mortality"
FEATURES = (
    "intercept",
    "age10",
    "age10_sq",
    "iss10",
    "iss10_sq",
    "gcs_3_8",
    "gcs_9_12",
    "gcs_missing",
    "female",
)
# Nested case-mix models, richest first; the richest with enough deaths per slope is used
# (ten events per variable: Peduzzi P et al., J Clin Epidemiol 1996;49:1373-1379).
MODELS = (
    FEATURES,
    ("intercept", "age10", "iss10", "gcs_3_8", "gcs_9_12"),
    ("intercept", "age10", "iss10"),
    ("intercept",),
)


class OutcomeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    iss_above: int = Field(default=8, ge=0, description="cohort: ISS above this (TARN: 8)")
    months: int = Field(default=36, ge=1, le=120, description="period before as_of")
    as_of: date | None = None
    exact_below: float = Field(default=10, ge=0, description="exact Poisson below this count")
    min_expected: float = Field(
        default=1.0, ge=0, description="sites expecting fewer deaths get no funnel position"
    )
    events_per_parameter: float = Field(
        default=10.0, ge=1, description="least deaths per slope of the case-mix model"
    )


@dataclass(frozen=True)
class OutcomeResult:
    sites: int
    patients: int
    deaths: int
    c_statistic: float
    outliers_high: int
    outliers_low: int
    quality: str = "unknown"
    warning: str | None = None


def fit_logistic(x: np.ndarray, events: np.ndarray, trials: np.ndarray, max_iter: int = 50):
    """Maximum-likelihood binomial logistic regression on grouped data (Newton-Raphson/IRLS).

    ``x`` is (patterns x features) with an intercept column; ``events`` of ``trials`` in each
    pattern. Returns the coefficients. (McCullagh & Nelder, *Generalized Linear Models*, 1989,
    section 4.4: iteratively reweighted least squares.)
    """
    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        eta = np.clip(x @ beta, -30, 30)
        p = 1.0 / (1.0 + np.exp(-eta))
        w = trials * p * (1.0 - p)
        grad = x.T @ (events - trials * p)
        hess = x.T @ (x * w[:, None]) + 1e-10 * np.eye(x.shape[1])
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def predict(x: np.ndarray, beta: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -30, 30)))


def c_statistic(p: np.ndarray, events: np.ndarray, trials: np.ndarray) -> float:
    """Area under the ROC curve on grouped data (Mann-Whitney, ties counted half)."""
    order = np.argsort(p)
    p, ev, ne = p[order], events[order], trials[order] - events[order]
    uniq, inv = np.unique(p, return_inverse=True)
    ev_u = np.bincount(inv, weights=ev, minlength=len(uniq))
    ne_u = np.bincount(inv, weights=ne, minlength=len(uniq))
    below_ne = np.cumsum(ne_u) - ne_u
    pairs = ev_u.sum() * ne_u.sum()
    if pairs == 0:
        return float("nan")
    return float((ev_u * (below_ne + 0.5 * ne_u)).sum() / pairs)


def funnel_limits(expected: np.ndarray, prob: float) -> np.ndarray:
    """Funnel control limit for O/E at one-sided probability ``prob`` (0.975 is the upper
    95% limit, 0.025 the lower) around a target of 1, given expected counts: the exact
    Poisson limits of a count equal to E, as `caremap.core.stats.funnel.limits` computes
    them (FunnelPlotR's unadjusted ratio limits; Spiegelhalter 2005)."""
    e = np.asarray(expected, dtype=float)
    z = float(abs(ndtri(prob)))
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, hi = funnel.limits(e, data_type="SR", target=1.0, adjustment="none", z=z)
    return np.asarray(hi if prob > 0.5 else lo, dtype=float)


def funnel_position(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """'high 99.8%', 'high 95%', 'within', 'low 95%' or 'low 99.8%' against the funnel."""
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    ratio = o / e
    out = np.full(o.shape, "within", dtype=object)
    out[ratio > funnel_limits(e, 0.975)] = "high 95%"
    out[ratio > funnel_limits(e, 0.999)] = "high 99.8%"
    out[ratio < funnel_limits(e, 0.025)] = "low 95%"
    out[ratio < funnel_limits(e, 0.001)] = "low 99.8%"
    return out


def _design(cols: dict[str, np.ndarray]) -> np.ndarray:
    age = cols["age"].astype(float) / 10.0
    iss = cols["iss"].astype(float) / 10.0
    gcs = cols["gcs"]
    gcs_missing = np.isnan(gcs)
    g = np.where(gcs_missing, 15.0, gcs)
    return np.column_stack(
        [
            np.ones_like(age),
            age,
            age**2,
            iss,
            iss**2,
            (g <= 8) & ~gcs_missing,
            (g >= 9) & (g <= 12) & ~gcs_missing,
            gcs_missing,
            cols["female"],
        ]
    ).astype(float)


def _months_before(d: date, months: int) -> date:
    m = d.year * 12 + d.month - 1 - months
    return date(m // 12, m % 12 + 1, 1)


def _cohort_sql(config: OutcomeConfig, as_of: date) -> str:
    """The eligible patients, with the covariate pattern key (GCS missing as -1)."""
    start = _months_before(as_of, config.months)
    return (
        "SELECT site_code, CAST(age AS DOUBLE) AS age, CAST(iss AS DOUBLE) AS iss, "
        "CAST(coalesce(gcs, -1) AS DOUBLE) AS gcs_key, "
        "CAST(CASE WHEN sex = 'F' THEN 1 ELSE 0 END AS DOUBLE) AS female, "
        "CASE WHEN died_30d THEN 1 ELSE 0 END AS died "
        f"FROM trauma_process WHERE iss > {int(config.iss_above)} AND age IS NOT NULL "
        f"AND iss IS NOT NULL AND died_30d IS NOT NULL "
        f"AND arrival_time >= DATE '{start.isoformat()}' "
        f"AND arrival_time < DATE '{as_of.isoformat()}'"
    )


KEYS = ("age", "iss", "gcs_key", "female")


def _patterns_sql(config: OutcomeConfig, as_of: date) -> str:
    """Covariate patterns over every site: the model is fitted on these counts."""
    keys = ", ".join(KEYS)
    return (
        f"SELECT {keys}, count(*) AS trials, sum(died) AS events "
        f"FROM ({_cohort_sql(config, as_of)}) c GROUP BY {keys}"
    )


def _site_sums_sql(config: OutcomeConfig, as_of: date) -> str:
    """Patients, deaths and expected deaths per site, joining each patient's pattern risk."""
    on = " AND ".join(f"q.{k} = c.{k}" for k in KEYS)
    return (
        "SELECT c.site_code, count(*) AS patients, sum(c.died) AS observed, "
        f"sum(q.p) AS expected FROM ({_cohort_sql(config, as_of)}) c "
        f"JOIN _std_pattern_risk q ON {on} GROUP BY c.site_code ORDER BY c.site_code"
    )


def trauma_mortality(ws: Workspace, config: OutcomeConfig) -> OutcomeResult:
    """Risk-adjusted 30-day mortality after major trauma per site; writes
    ``standards_outcome`` (one row per site) and ``standards_outcome_model``."""
    ws.require("trauma_process")
    as_of = config.as_of
    if as_of is None:
        last = ws.scalar("SELECT CAST(max(arrival_time) AS DATE) FROM trauma_process")
        if last is None:
            raise InputError("trauma_process is empty", file="trauma_process")
        m = last.year * 12 + last.month
        as_of = date(m // 12, m % 12 + 1, 1)
    pat = ws.sql(_patterns_sql(config, as_of))
    if pat.num_rows == 0:
        raise InputError(
            f"no trauma patients with ISS above {config.iss_above} in the {config.months} "
            f"months before {as_of}",
            file="trauma_process",
        )
    cols = {
        c: np.asarray(pat.column(c).to_numpy(zero_copy_only=False), dtype=float)
        for c in (*KEYS, "trials", "events")
    }
    cols["gcs"] = np.where(cols["gcs_key"] < 0, np.nan, cols["gcs_key"])
    full = _design(cols)
    deaths = float(cols["events"].sum())
    features = next(
        (m for m in MODELS if deaths >= config.events_per_parameter * (len(m) - 1)), MODELS[-1]
    )
    x = full[:, [FEATURES.index(f) for f in features]]
    beta = fit_logistic(x, cols["events"], cols["trials"])
    p = predict(x, beta)
    auc = c_statistic(p, cols["events"], cols["trials"])

    risk = pa.table({**{k: pa.array(cols[k]) for k in KEYS}, "p": pa.array(p)})
    ws.register_temp("_std_pattern_risk", risk)
    try:
        sums = ws.sql(_site_sums_sql(config, as_of))
    finally:
        ws.unregister_temp("_std_pattern_risk")
    uniq = np.asarray(sums.column("site_code").to_pylist(), dtype=object)
    n = np.asarray(sums.column("patients").to_numpy(), dtype=float)
    o = np.asarray(sums.column("observed").to_numpy(), dtype=float)
    e = np.asarray(sums.column("expected").to_numpy(), dtype=float)
    r95 = isr(o, e, 0.95, exact_below=config.exact_below)
    r998 = isr(o, e, 0.998, exact_below=config.exact_below)
    rows = pa.table(
        {
            "indicator": [INDICATOR] * len(uniq),
            "site_code": uniq.tolist(),
            "period_start": [_months_before(as_of, config.months)] * len(uniq),
            "period_end": [as_of] * len(uniq),
            "patients": n.astype(np.int64),
            "observed": o.astype(np.int64),
            "expected": e,
            "ratio": np.asarray(r95.value, dtype=float),
            "lower95": np.asarray(r95.lower, dtype=float),
            "upper95": np.asarray(r95.upper, dtype=float),
            "lower998": np.asarray(r998.lower, dtype=float),
            "upper998": np.asarray(r998.upper, dtype=float),
            "funnel_lower95": funnel_limits(e, 0.025),
            "funnel_upper95": funnel_limits(e, 0.975),
            "funnel_lower998": funnel_limits(e, 0.001),
            "funnel_upper998": funnel_limits(e, 0.999),
            "position": np.where(
                e >= config.min_expected, funnel_position(o, e), "too few cases"
            ).tolist(),
        }
    )
    quality, warning = model_quality(auc, features, deaths, config.events_per_parameter)
    n_rows = len(features) + 4
    model = pa.table(
        {
            "indicator": [INDICATOR] * n_rows,
            "term": [*features, "c_statistic", "patients", "observed", "expected"],
            "value": [*beta.tolist(), auc, float(n.sum()), float(o.sum()), float(e.sum())],
            "quality": [quality] * n_rows,
            "warning": pa.array([warning] * n_rows, pa.string()),
        }
    )
    with ws.transaction():
        ws.write_table("_std_outcome_raw", rows)
        geo = (
            "LEFT JOIN site s ON s.site_code = r.site_code "
            "LEFT JOIN provider p ON p.provider_code = s.provider_code "
            "LEFT JOIN ics i ON i.ics_code = p.ics_code"
            if {"site", "provider", "ics"} <= set(ws.list_tables())
            else ""
        )
        cols_geo = (
            "s.provider_code, i.region_code"
            if geo
            else "CAST(NULL AS VARCHAR) AS provider_code, CAST(NULL AS VARCHAR) AS region_code"
        )
        ws.create_table_as(
            "standards_outcome", f"SELECT r.*, {cols_geo} FROM _std_outcome_raw r {geo}"
        )
        ws.drop_table("_std_outcome_raw")
        ws.write_table("standards_outcome_model", model)
    pos = rows.column("position").to_pylist()
    return OutcomeResult(
        sites=len(uniq),
        patients=int(n.sum()),
        deaths=int(o.sum()),
        c_statistic=auc,
        outliers_high=sum(1 for v in pos if v.startswith("high")),
        outliers_low=sum(1 for v in pos if v.startswith("low")),
        quality=quality,
        warning=warning,
    )


def model_quality(
    c: float, features: tuple[str, ...], deaths: float, per_parameter: float
) -> tuple[str, str | None]:
    """The case-mix model's grade (Hosmer & Lemeshow) and a warning for the reader, if any."""
    if features == ("intercept",):
        return "no case-mix adjustment", (
            f"too few deaths ({deaths:.0f}) to adjust for case mix (at least "
            f"{per_parameter:.0f} per term are needed): expected deaths are the crude rate, "
            "so each ratio compares crude mortality"
        )
    d = grade(c, "case-mix model")
    return d.quality, d.warning

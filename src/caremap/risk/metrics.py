"""How good a risk model is: discrimination, case-finding yield and calibration.

* AUROC as the Mann-Whitney statistic with tied scores counted one half (Hanley and McNeil
  1982, "The meaning and use of the area under a receiver operating characteristic (ROC)
  curve", Radiology 143:29-36).
* PPV and sensitivity among the top 0.5%, 1% and 5% by predicted risk: the yield of case
  finding, as reported for PARR (Billings et al. 2006, BMJ 333:327).
* Calibration slope: the coefficient ``b`` of the logistic regression ``logit P(y=1) = a +
  b * logit(p)`` (Cox 1958, "Two further applications of a model for binary regression",
  Biometrika 45:562-565). Calibration intercept ("calibration-in-the-large"): ``a`` in
  ``logit P(y=1) = a + offset(logit(p))`` with the slope fixed at one (Van Calster et al.
  2016, "A calibration hierarchy for risk models was defined", J Clin Epidemiol 74:167-176).
  Perfect calibration is slope 1 and intercept 0.
* Reliability curve: observed rate against mean predicted risk in equal-sized groups of
  predicted risk (Van Calster 2016, "moderate calibration").
* Brier score: mean squared difference between predicted risk and outcome (Brier 1950,
  "Verification of forecasts expressed in terms of probability", Monthly Weather Review 78:1-3).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.stats import rankdata

from caremap.core.errors import InputError

TOP_SHARES = (0.005, 0.01, 0.05)
EPS = 1e-12


def _check(y, p) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if y.shape != p.shape or y.ndim != 1:
        raise InputError(
            f"outcomes ({y.shape}) and predictions ({p.shape}) must be equal-length vectors"
        )
    if y.size == 0:
        raise InputError("no people to evaluate")
    if not np.isin(y, (0.0, 1.0)).all():
        raise InputError("outcomes must be 0 or 1")
    if np.isnan(p).any():
        raise InputError(f"{int(np.isnan(p).sum())} predictions are missing (NaN)")
    return y, p


def auroc(y, score) -> float:
    """Area under the ROC curve: P(score of a random case > score of a random non-case),
    ties counting one half (Hanley and McNeil 1982, eq. 1, via ranks)."""
    y, s = _check(y, score)
    n1 = y.sum()
    n0 = y.size - n1
    if n1 == 0 or n0 == 0:
        raise InputError("AUROC needs both people with and without the outcome")
    ranks = rankdata(s)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def top_share(y, score, share: float) -> tuple[float, float, int]:
    """(PPV, sensitivity, n) among the ``ceil(share * N)`` people with the highest score.

    Ties at the cut are broken by position, after a stable sort on score."""
    y, s = _check(y, score)
    n = max(1, math.ceil(share * y.size))
    order = np.argsort(-s, kind="stable")[:n]
    hits = y[order].sum()
    total = y.sum()
    return float(hits / n), float(hits / total) if total else float("nan"), n


def logistic_fit(
    x: np.ndarray,
    y: np.ndarray,
    offset: np.ndarray | None = None,
    tol: float = 1e-12,
    max_iter: int = 100,
    l2: float = 0.0,
) -> np.ndarray:
    """Maximum-likelihood logistic regression by Newton-Raphson (IRLS).

    ``x`` is the design matrix (include a column of ones for an intercept). ``l2`` adds a
    ridge penalty ``l2/2 * |beta|^2`` on every column except the first (the intercept).
    Returns the coefficients. Used for the calibration regressions and the logistic model.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    off = np.zeros(len(y)) if offset is None else np.asarray(offset, dtype=float)
    k = x.shape[1]
    pen = np.full(k, float(l2))
    pen[0] = 0.0
    beta = np.zeros(k)
    for _ in range(max_iter):
        eta = off + x @ beta
        mu = 1.0 / (1.0 + np.exp(-eta))
        wgt = mu * (1.0 - mu)
        grad = x.T @ (y - mu) - pen * beta
        hess = (x * wgt[:, None]).T @ x + np.diag(pen)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            raise InputError(
                "logistic regression is singular (predictions or a feature are constant?)"
            ) from None
        beta = beta + step
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
            break
    return beta


def logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return np.log(p / (1 - p))


def calibration(y, p) -> tuple[float, float]:
    """(slope, intercept): Cox (1958) slope and Van Calster (2016) calibration-in-the-large."""
    y, p = _check(y, p)
    lp = logit(p)
    ones = np.ones((len(y), 1))
    slope = logistic_fit(np.column_stack([ones, lp]), y)[1]
    intercept = logistic_fit(ones, y, offset=lp)[0]
    return float(slope), float(intercept)


def brier(y, p) -> float:
    y, p = _check(y, p)
    return float(np.mean((p - y) ** 2))


def reliability(y, p, bins: int = 10) -> list[dict]:
    """Observed rate against mean predicted risk in ``bins`` equal-sized groups of risk."""
    y, p = _check(y, p)
    order = np.argsort(p, kind="stable")
    out = []
    for i, idx in enumerate(np.array_split(order, bins)):
        if idx.size == 0:
            continue
        out.append(
            {
                "bin": i + 1,
                "people": int(idx.size),
                "mean_predicted": float(p[idx].mean()),
                "observed": float(y[idx].mean()),
                "min_predicted": float(p[idx].min()),
                "max_predicted": float(p[idx].max()),
            }
        )
    return out


@dataclass
class Evaluation:
    """The metrics of one set of predictions against outcomes."""

    people: int
    events: int
    prevalence: float
    mean_predicted: float
    auroc: float
    brier: float
    calibration_slope: float
    calibration_intercept: float
    top: dict[str, dict[str, float]] = field(default_factory=dict)
    reliability: list[dict] = field(default_factory=list)

    def flat(self) -> dict[str, float]:
        """One name -> number mapping (``ppv_top_1pct``, ``sensitivity_top_5pct``, ...)."""
        d = {k: v for k, v in asdict(self).items() if k not in ("top", "reliability")}
        for label, m in self.top.items():
            d[f"ppv_top_{label}"] = m["ppv"]
            d[f"sensitivity_top_{label}"] = m["sensitivity"]
        return d


def share_label(share: float) -> str:
    return f"{share * 100:g}pct"


def evaluate(y, p, shares=TOP_SHARES, bins: int = 10) -> Evaluation:
    """All the metrics above for predicted risks ``p`` of outcomes ``y``."""
    y, p = _check(y, p)
    slope, intercept = calibration(y, p)
    top = {}
    for s in shares:
        ppv, sens, n = top_share(y, p, s)
        top[share_label(s)] = {"share": s, "people": n, "ppv": ppv, "sensitivity": sens}
    return Evaluation(
        people=int(y.size),
        events=int(y.sum()),
        prevalence=float(y.mean()),
        mean_predicted=float(p.mean()),
        auroc=auroc(y, p),
        brier=brier(y, p),
        calibration_slope=slope,
        calibration_intercept=intercept,
        top=top,
        reliability=reliability(y, p, bins),
    )

"""Funnel plots: control limits, overdispersion, z-scores, outlier flags with FDR control.

Sources:

* Spiegelhalter D.J. (2005) "Funnel plots for comparing institutional performance",
  *Statistics in Medicine* 24:1185-1202 (exact binomial/Poisson limits with interpolation,
  appendix A.1; multiplicative overdispersion phi from Winsorised z-scores, section 3.4;
  additive random effects tau^2 by DerSimonian & Laird, section 3.5).
* Spiegelhalter D.J. et al. (2012) "Statistical methods for healthcare regulation: rating,
  screening and surveillance", *JRSS A* 175:1-47 (z-scores on a transformed scale; 10%
  Winsorisation; tau^2 = (n phi - (n - 1)) / (sum w - sum w^2 / sum w), w = 1/s^2).
* FunnelPlotR (NHS-R community): indirectly standardised ratios by the "SHMI" method (log
  scale, z = sqrt(E) log(O/E), truncation of the top and bottom 10% of z-scores by rank) or
  the "CQC" method (square-root scale, Winsorisation); proportions on the arcsine square-root
  scale; unadjusted ratio limits from the exact Poisson interval of a count equal to E.
  Their published test: six units give phi = 2.948033 by the SHMI method. Ratios of counts
  (``data_type = "RC"``, e.g. bed-days per admission): target sum(O)/sum(D), unit values
  log((O + 0.5)/(D + 0.5)) with s^2 = O/(O + 0.5)^2 + D/(D + 0.5)^2, Winsorised, and limits
  exp(log(target) -/+ z sqrt(1/(4 D) + tau^2)) at each denominator D, as FunnelPlotR's
  ``transformed_zscore`` and ``calculate_limits`` compute them.
* Benjamini Y. & Hochberg Y. (1995) "Controlling the false discovery rate", *JRSS B*
  57:289-300 (q-values for flagging across many units).
* Goldstein H. & Spiegelhalter D.J. (1996) "League tables and their limitations", *JRSS A*
  159:385-443 (intervals for ranks, here by simulation from each unit's sampling distribution).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from caremap.core.errors import InputError

DataType = Literal["SR", "PR", "RC", "rate"]
SrMethod = Literal["SHMI", "CQC"]
Adjustment = Literal["none", "phi", "tau2"]
Z95 = float(stats.norm.ppf(0.975))
Z998 = float(stats.norm.ppf(0.999))


def check_inputs(numerator, denominator, data_type: DataType, labels=None) -> tuple:
    """Validate counts; raise `InputError` naming the offending rows (1-based)."""
    o = np.asarray(numerator, dtype=float)
    d = np.asarray(denominator, dtype=float)
    if o.shape != d.shape:
        raise InputError("numerator and denominator have different lengths")
    names = np.arange(1, len(o) + 1) if labels is None else np.asarray(labels)

    def rows(mask) -> str:
        shown = [str(x) for x in names[mask][:10]]
        more = f" and {int(mask.sum()) - 10} more" if mask.sum() > 10 else ""
        return ", ".join(shown) + more

    bad = np.isnan(o)
    if bad.any():
        raise InputError(f"missing numerator in rows {rows(bad)}", field="numerator")
    bad = np.isnan(d) | (d <= 0)
    if bad.any():
        raise InputError(f"zero or missing denominator in rows {rows(bad)}", field="denominator")
    bad = o < 0
    if bad.any():
        raise InputError(f"negative count in rows {rows(bad)}", field="numerator")
    if data_type == "PR":
        bad = o > d
        if bad.any():
            raise InputError(
                f"numerator exceeds denominator for a proportion in rows {rows(bad)}",
                field="numerator",
            )
    return o, d


# --- z-scores and overdispersion -----------------------------------------------------------


@dataclass(frozen=True)
class Transformed:
    y: np.ndarray  # unit value on the transformed scale
    s: np.ndarray  # its standard error under the null
    target: float  # target on the transformed scale
    z: np.ndarray  # unadjusted z-score


def transform(
    o: np.ndarray, d: np.ndarray, data_type: DataType, sr_method: SrMethod, target: float
) -> Transformed:
    """z-scores on the variance-stabilising scale (log or sqrt for ratios, arcsine for PR).

    For ratios ``d`` is the expected count; for rates it is the population, and the expected
    count is ``target * d``. A zero count on the log scale uses 0.5 events (else z = -inf).
    """
    if data_type == "PR":
        t = float(np.arcsin(np.sqrt(target)))
        y = np.arcsin(np.sqrt(o / d))
        s = 1 / (2 * np.sqrt(d))
        return Transformed(y, s, t, (y - t) / s)
    if data_type == "RC":
        t = float(np.log(target))
        y = np.log((o + 0.5) / (d + 0.5))
        s = np.sqrt(o / (o + 0.5) ** 2 + d / (d + 0.5) ** 2)
        return Transformed(y, s, t, (y - t) / s)
    e = d * target if data_type == "rate" else d
    ratio = o / e
    if sr_method == "SHMI":
        y = np.log(np.where(o > 0, o, 0.5) / e)
        s = 1 / np.sqrt(e)
        return Transformed(y, s, 0.0, np.sqrt(e) * y)
    y = np.sqrt(ratio)
    s = 1 / (2 * np.sqrt(e))
    return Transformed(y, s, 1.0, (y - 1.0) / s)


def winsorise(z: np.ndarray, trim: float) -> np.ndarray:
    """Replace z-scores beyond the ``trim`` and ``1 - trim`` quantiles (R type 7) by them."""
    lo, hi = np.quantile(z, [trim, 1 - trim])
    return np.clip(z, lo, hi)


def truncate(z: np.ndarray, trim: float) -> np.ndarray:
    """NHS Digital SHMI truncation: drop (NaN) the lowest and highest ``trim`` by rank."""
    k = 1 / trim
    rk = stats.rankdata(z, method="average")
    sp = np.floor(rk * k / (len(z) + 1))
    keep = (sp > 0) & (sp < k - 1)
    return np.where(keep, z, np.nan)


def phi_tau2(z_trimmed: np.ndarray, s: np.ndarray) -> tuple[float, float, int]:
    """Overdispersion phi (mean squared trimmed z) and DerSimonian-Laird tau^2; units used."""
    ok = ~np.isnan(z_trimmed)
    n = int(ok.sum())
    if n == 0:
        return float("nan"), 0.0, 0
    phi = float(np.sum(z_trimmed[ok] ** 2) / n)
    w = 1 / s[ok] ** 2
    if n * phi < n - 1:
        return phi, 0.0, n
    tau2 = max(0.0, (n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return phi, float(tau2), n


# --- limits --------------------------------------------------------------------------------


def _interpolated_quantile(dist, p: float) -> np.ndarray:
    """Spiegelhalter (2005) A.1: continuous quantile of a discrete distribution."""
    r = dist.ppf(p)
    f_r, f_r1 = dist.cdf(r), dist.cdf(r - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(f_r > f_r1, (f_r - p) / (f_r - f_r1), 0.0)
    return r - alpha


def limits(
    d: np.ndarray,
    *,
    data_type: DataType,
    target: float,
    sr_method: SrMethod = "SHMI",
    adjustment: Adjustment = "tau2",
    phi: float = 1.0,
    tau2: float = 0.0,
    z: float = Z95,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper funnel limits at two-sided normal quantile ``z`` for each size ``d``.

    Unadjusted: exact (Poisson interval of a count equal to E for ratios, as FunnelPlotR;
    interpolated binomial for proportions, Spiegelhalter 2005). ``phi``: the transformed-scale
    standard error times sqrt(phi) (only when phi > 1). ``tau2``: sqrt(s^2 + tau^2).
    """
    d = np.asarray(d, dtype=float)
    p = float(stats.norm.cdf(z))
    if adjustment == "phi" and phi <= 1:
        adjustment = "none"
    if adjustment == "tau2" and tau2 <= 0:
        adjustment = "none"
    if data_type == "PR":
        if adjustment == "none":
            lo = _interpolated_quantile(stats.binom(np.round(d).astype(int), target), 1 - p)
            hi = _interpolated_quantile(stats.binom(np.round(d).astype(int), target), p)
            return np.clip(lo / d, 0, 1), np.clip(hi / d, 0, 1)
        t = np.arcsin(np.sqrt(target))
        s2 = 1 / (4 * d)
        half = z * (np.sqrt(phi * s2) if adjustment == "phi" else np.sqrt(s2 + tau2))
        lo = np.sin(np.clip(t - half, 0, np.pi / 2)) ** 2
        hi = np.sin(np.clip(t + half, 0, np.pi / 2)) ** 2
        return lo, hi
    if data_type == "RC":
        s2 = 1 / (4 * d)
        if adjustment == "tau2":
            half = z * np.sqrt(s2 + tau2)
        else:
            half = z * np.sqrt((phi if adjustment == "phi" else 1.0) * s2)
        return target * np.exp(-half), target * np.exp(half)
    scale = target if data_type == "rate" else 1.0
    e = d * target if data_type == "rate" else d
    if adjustment == "none":
        lo = stats.chi2.ppf(1 - p, 2 * e) / 2 / e
        hi = stats.chi2.ppf(p, 2 * (e + 1)) / 2 / e
        return scale * lo, scale * hi
    if sr_method == "SHMI":
        s2 = 1 / e
        half = z * (np.sqrt(phi * s2) if adjustment == "phi" else np.sqrt(s2 + tau2))
        return scale * np.exp(-half), scale * np.exp(half)
    s2 = 1 / (4 * e)
    half = z * (np.sqrt(phi * s2) if adjustment == "phi" else np.sqrt(s2 + tau2))
    return scale * np.clip(1 - half, 0, None) ** 2, scale * (1 + half) ** 2


# --- the whole funnel ----------------------------------------------------------------------


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), as R's ``p.adjust(method = "BH")``."""
    p = np.asarray(p, dtype=float)
    n = len(p)
    if n == 0:
        return p
    order = np.argsort(p)[::-1]
    ranked = p[order] * n / np.arange(n, 0, -1)
    q = np.minimum.accumulate(ranked)
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


@dataclass(frozen=True)
class FunnelResult:
    """Per-unit arrays and the fitted overdispersion of one funnel."""

    value: np.ndarray
    target: float
    z: np.ndarray
    z_adjusted: np.ndarray
    p_value: np.ndarray
    q_value: np.ndarray
    lower95: np.ndarray
    upper95: np.ndarray
    lower998: np.ndarray
    upper998: np.ndarray
    phi: float
    tau2: float
    n_used: int
    adjustment: str


def funnel(
    numerator,
    denominator,
    *,
    data_type: DataType = "SR",
    sr_method: SrMethod = "SHMI",
    adjustment: Adjustment = "tau2",
    trim: float = 0.1,
    target: float | None = None,
    labels=None,
) -> FunnelResult:
    """Fit a funnel over all units at once (see the module docstring for the methods).

    ``target`` defaults to 1 for ratios and to the pooled value sum(O)/sum(d) otherwise.
    Truncation is used for SR by the SHMI method, Winsorisation otherwise.
    """
    o, d = check_inputs(numerator, denominator, data_type, labels)
    if data_type == "SR" and sr_method == "SHMI":
        d = np.round(d, 2)  # FunnelPlotR rounds SHMI expected values to 2 dp
    if target is None:
        target = 1.0 if data_type == "SR" else float(o.sum() / d.sum())
    tr = transform(o, d, data_type, sr_method, target)
    trimmed = (
        truncate(tr.z, trim)
        if data_type in ("SR", "rate") and sr_method == "SHMI"
        else winsorise(tr.z, trim)
    )
    phi, tau2, n_used = phi_tau2(trimmed, tr.s)
    if adjustment == "phi" and phi > 1:
        z_adj = tr.z / np.sqrt(phi)
    elif adjustment == "tau2" and tau2 > 0:
        z_adj = (tr.y - tr.target) / np.sqrt(tr.s**2 + tau2)
    else:
        z_adj = tr.z
    p = 2 * stats.norm.sf(np.abs(z_adj))
    kw = dict(
        data_type=data_type,
        target=target,
        sr_method=sr_method,
        adjustment=adjustment,
        phi=phi,
        tau2=tau2,
    )
    lo95, hi95 = limits(d, z=Z95, **kw)
    lo998, hi998 = limits(d, z=Z998, **kw)
    value = o / d
    used = adjustment
    if (adjustment == "phi" and not phi > 1) or (adjustment == "tau2" and tau2 <= 0):
        used = "none"
    return FunnelResult(
        value,
        target,
        tr.z,
        z_adj,
        p,
        bh_qvalues(p),
        lo95,
        hi95,
        lo998,
        hi998,
        phi,
        tau2,
        n_used,
        used,
    )


def rank_intervals(
    tr_y: np.ndarray,
    s: np.ndarray,
    *,
    higher_is_better: bool,
    sims: int = 1000,
    seed: int = 0,
    conf: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank (1 = best) and its interval by simulating each unit's estimate (Goldstein &
    Spiegelhalter 1996): draws from Normal(y, s) on the transformed scale, ranked per draw."""
    rng = np.random.default_rng(seed)
    n = len(tr_y)
    sign = -1.0 if higher_is_better else 1.0
    draws = rng.normal(tr_y, s, size=(sims, n)) * sign
    ranks = draws.argsort(axis=1).argsort(axis=1) + 1
    a = (1 - conf) / 2
    lo, hi = np.quantile(ranks, [a, 1 - a], axis=0)
    rank = stats.rankdata(sign * tr_y, method="min")
    return rank.astype(int), lo, hi

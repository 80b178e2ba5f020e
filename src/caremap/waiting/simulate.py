"""Monte Carlo forecast of a waiting list, all simulations at once.

The list is held as counts by priority and week waited up to the target, plus one pooled
count of those beyond it, for every simulation together (an array sims x priorities x
(target + 2)); a thousand runs of two years take a fraction of a second. Each week: everyone ages a week; referrals arrive (Poisson, split by priority);
patients on the list withdraw at a weekly rate (the expected number from each week's
cohort, randomly rounded: the binomial draw would be ten times slower); capacity (Poisson
around the planned figure) treats the most urgent priority first and, within a priority,
the longest waiters first. This is the queue that NHSRwaitinglist's ``wl_simulator``
simulates patient by patient; counting by week instead of by patient makes it vectorised.

Outputs are quantiles across simulations of list size and of waiters beyond the target,
week by week, and the distribution of the clearance week: the week from which nobody is
beyond the target until the end of the horizon (0 if nobody ever is).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from caremap.core.errors import ConfigError


class Priority(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    share: float = Field(gt=0, le=1, description="share of referrals")


class SimulationConfig(BaseModel):
    """One list's forecast under one or more capacity scenarios."""

    model_config = ConfigDict(extra="forbid")

    weeks: int = Field(104, ge=1, le=520)
    demand: float = Field(ge=0, description="referrals per week")
    capacity: float = Field(ge=0, description="treatments per week under the plan")
    scenarios: dict[str, float] = Field(
        default_factory=lambda: {"plan": 1.0},
        description="capacity multipliers by scenario name, e.g. {'plan': 1, 'plus10': 1.1}",
    )
    withdrawal_rate: float = Field(0.0, ge=0, lt=1, description="weekly chance of removal")
    target_weeks: int = Field(18, ge=1, description="waits beyond this count as breaches")
    priorities: list[Priority] = Field(default_factory=lambda: [Priority(name="routine", share=1)])
    sims: int = Field(500, ge=10, le=20000)
    max_weeks: int = Field(260, ge=20, description="ages beyond this are pooled")
    quantiles: tuple[float, float, float] = (0.05, 0.5, 0.95)
    seed: int = 0

    @model_validator(mode="after")
    def _shares(self):
        total = sum(p.share for p in self.priorities)
        if abs(total - 1) > 1e-6:
            raise ValueError(f"priority shares add up to {total:g}, not 1")
        return self


@dataclass(frozen=True)
class Forecast:
    weekly: pd.DataFrame  # scenario, week, list_p05/p50/p95, breaches_p05/p50/p95
    clearance: pd.DataFrame  # scenario, p_cleared, week_p50, week_p90


def initial_histogram(
    ages_weeks: np.ndarray, priority: np.ndarray | None, cfg: SimulationConfig
) -> np.ndarray:
    """Counts (priorities x weeks) from the ages of today's waiters."""
    names = [p.name for p in cfg.priorities]
    hist = np.zeros((len(names), cfg.max_weeks), dtype=np.int64)
    ages = np.clip(np.asarray(ages_weeks, dtype=int), 0, cfg.max_weeks - 1)
    if priority is None:
        pi = np.zeros(len(ages), dtype=int)
    else:
        lookup = {n: i for i, n in enumerate(names)}
        unknown = sorted({str(p) for p in priority} - set(lookup))
        if unknown:
            raise ConfigError(
                f"waiters have priorities {', '.join(unknown)} that the configuration lacks "
                f"(it has {', '.join(names)})"
            )
        pi = np.array([lookup[str(p)] for p in priority], dtype=int)
    np.add.at(hist, (pi, ages), 1)
    return hist


def _take_oldest(h: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Remove up to ``cap`` (per sim) from cohorts ``h`` (sims x cohorts, oldest first)."""
    before = np.cumsum(h, axis=1) - h
    return np.clip(cap[:, None] - before, 0, h)


def simulate(cfg: SimulationConfig, initial: np.ndarray | None = None) -> Forecast:
    """Run every scenario; ``initial`` is a priorities x weeks histogram of today's list."""
    npri, nw = len(cfg.priorities), cfg.max_weeks
    if initial is None:
        initial = np.zeros((npri, nw), dtype=np.int64)
    if initial.shape != (npri, nw):
        raise ConfigError(f"initial list must have shape {(npri, nw)}, got {initial.shape}")
    f = simulate_lists(
        demand=np.array([cfg.demand]),
        capacity=np.array([cfg.capacity]),
        withdrawal=np.array([cfg.withdrawal_rate]),
        shares=np.array([[p.share for p in cfg.priorities]]),
        initial=initial[None],
        cfg=cfg,
    )
    return Forecast(f.weekly.drop(columns="list_index"), f.clearance.drop(columns="list_index"))


def simulate_lists(
    *,
    demand: np.ndarray,
    capacity: np.ndarray,
    withdrawal: np.ndarray,
    shares: np.ndarray,
    initial: np.ndarray,
    cfg: SimulationConfig,
) -> Forecast:
    """Many lists at once (L lists: demand, capacity, withdrawal (L,), shares (L, P),
    initial (L, P, weeks)); ``cfg`` gives weeks, scenarios, target, sims and seed. Rows
    carry ``list_index``. Priorities are served in the order of the P columns."""
    nl, npri = shares.shape
    qs = np.asarray(cfg.quantiles)
    t = cfg.target_weeks
    # one pooled bin for everyone beyond the target T (who among them is older changes
    # neither the list size nor the breaches), then ages T..0 weeks: oldest first, and each
    # priority's block contiguous, so "treat the longest waiters" is one cumulative sum
    start = np.zeros((npri, nl, t + 2), dtype=np.int64)
    init = np.transpose(initial, (1, 0, 2))
    start[:, :, 0] = init[:, :, t + 1 :].sum(axis=2)
    start[:, :, 1:] = init[:, :, t::-1]
    # batch = lists x sims, flattened
    b = nl * cfg.sims
    lam = np.repeat(demand[:, None] * shares, cfg.sims, axis=0).T.copy()  # P x B
    wd = np.repeat(withdrawal, cfg.sims)[None, :, None]
    weekly, clear = [], []
    for name, mult in cfg.scenarios.items():
        rng = np.random.default_rng([cfg.seed, sum(map(ord, name))])
        h = np.repeat(start, cfg.sims, axis=1)
        cap_mean = np.repeat(capacity * mult, cfg.sims)
        sizes = np.empty((cfg.weeks, b))
        breaches = np.empty((cfg.weeks, b))
        for w in range(cfg.weeks):
            h[:, :, 0] += h[:, :, 1]
            h[:, :, 1:-1] = h[:, :, 2:].copy()
            h[:, :, -1] = rng.poisson(lam)
            if withdrawal.any():
                # expected withdrawals per bin, randomly rounded (binomial is 10x slower)
                gone = h * wd + rng.random(h.shape, dtype=np.float32)
                h -= gone.astype(np.int64)
            cap = rng.poisson(cap_mean).astype(np.int64)
            for p in range(npri):
                took = _take_oldest(h[p], cap)
                h[p] -= took
                cap = cap - took.sum(axis=1)
            sizes[w] = h.sum(axis=(0, 2))
            breaches[w] = h[:, :, 0].sum(axis=0)
        sz = sizes.reshape(cfg.weeks, nl, cfg.sims)
        br = breaches.reshape(cfg.weeks, nl, cfg.sims)
        sq = np.quantile(sz, qs, axis=2)  # q x weeks x lists
        bq = np.quantile(br, qs, axis=2)
        weeks = np.arange(1, cfg.weeks + 1)
        weekly.append(
            pd.DataFrame(
                {
                    "list_index": np.tile(np.arange(nl), cfg.weeks),
                    "scenario": name,
                    "week": np.repeat(weeks, nl),
                    "capacity": np.tile(capacity * mult, cfg.weeks),
                    "list_low": sq[0].ravel(),
                    "list_median": sq[1].ravel(),
                    "list_high": sq[2].ravel(),
                    "breaches_low": bq[0].ravel(),
                    "breaches_median": bq[1].ravel(),
                    "breaches_high": bq[2].ravel(),
                }
            )
        )
        # cleared: nobody beyond the target from that week to the end of the horizon
        rev = br[::-1] > 0  # weeks x lists x sims, latest first
        last_breach = cfg.weeks - 1 - rev.argmax(axis=0)  # 0-based week of the last breach
        first = np.where(rev.any(axis=0), last_breach + 2, 0).astype(float)
        ok = br[-1] == 0
        first[~ok] = np.nan
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                med = np.nanquantile(first, 0.5, axis=1)
                p90 = np.nanquantile(first, 0.9, axis=1)
        clear.append(
            pd.DataFrame(
                {
                    "list_index": np.arange(nl),
                    "scenario": name,
                    "capacity": capacity * mult,
                    "p_cleared": ok.mean(axis=1),
                    "week_median": med,
                    "week_p90": p90,
                    "final_list_median": np.median(sz[-1], axis=1),
                    "final_breaches_median": np.median(br[-1], axis=1),
                }
            )
        )
    weekly_df = pd.concat(weekly, ignore_index=True).sort_values(
        ["list_index", "scenario", "week"], kind="stable", ignore_index=True
    )
    clear_df = pd.concat(clear, ignore_index=True).sort_values(
        ["list_index", "scenario"], kind="stable", ignore_index=True
    )
    return Forecast(weekly_df, clear_df)

"""Monte Carlo forecast of a waiting list, all simulations at once.

The list is held as counts by priority and week waited up to the target, plus one pooled
count of those beyond it, for every simulation together (an array sims x priorities x
(target + 2)); a thousand runs of two years take a fraction of a second. Each week: everyone ages a week; referrals arrive (Poisson, split by priority);
patients on the list withdraw at a weekly rate (the expected number from each week's
cohort, randomly rounded: the binomial draw would be ten times slower); capacity (Poisson
around the planned figure) treats the most urgent priority first and, within a priority,
the longest waiters first. This is the queue that NHSRwaitinglist's ``wl_simulator``
simulates patient by patient; counting by week instead of by patient makes it vectorised.

Ages are whole weeks with a waiter of age a having waited more than a and at most a + 1
weeks, so "beyond a target of T weeks" is exactly "age T or more"; week 0 is the census.

Outputs are quantiles across simulations of list size and of waiters beyond the target,
week by week, and the clearance of each list (`clearance`): whether it is growing, the
probability that nobody waits beyond the target from some week to the end of the horizon,
and the week by which that has happened with 50% and 90% probability.
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
    weekly: pd.DataFrame  # scenario, week, capacity, list_low/median/high, breaches_...
    clearance: pd.DataFrame  # scenario, growing, p_cleared, week_median, week_p90, verdict


def initial_histogram(
    ages_weeks: np.ndarray, priority: np.ndarray | None, cfg: SimulationConfig
) -> np.ndarray:
    """Counts (priorities x weeks) from the ages of today's waiters, in weeks (a waiter who
    has waited more than a and at most a + 1 weeks is in bin a)."""
    names = [p.name for p in cfg.priorities]
    hist = np.zeros((len(names), cfg.max_weeks), dtype=np.int64)
    bins = np.ceil(np.asarray(ages_weeks, dtype=float)) - 1
    ages = np.clip(bins, 0, cfg.max_weeks - 1).astype(int)
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
    # one pooled bin for everyone aged beyond T (who among them is older changes neither
    # the list size nor the breaches), then ages T..0 weeks: oldest first, and each
    # priority's block contiguous, so "treat the longest waiters" is one cumulative sum.
    # Breaches (waited more than T weeks) are the pool and the age-T bin.
    start = np.zeros((npri, nl, t + 2), dtype=np.int64)
    init = np.transpose(initial, (1, 0, 2))
    start[:, :, 0] = init[:, :, t + 1 :].sum(axis=2)
    start[:, :, 1:] = init[:, :, t::-1]
    queue0 = initial.sum(axis=(1, 2)).astype(float)
    breaches0 = initial[:, :, t:].sum(axis=(1, 2)).astype(float)
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
            breaches[w] = h[:, :, :2].sum(axis=(0, 2))
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
        c = clearance(
            sz,
            br,
            breaches0=breaches0,
            queue0=queue0,
            net_growth=demand - capacity * mult - withdrawal * queue0,
            target_weeks=t,
        )
        c.insert(0, "list_index", np.arange(nl))
        c.insert(1, "scenario", name)
        c.insert(2, "capacity", capacity * mult)
        clear.append(c)
    weekly_df = pd.concat(weekly, ignore_index=True).sort_values(
        ["list_index", "scenario", "week"], kind="stable", ignore_index=True
    )
    clear_df = pd.concat(clear, ignore_index=True).sort_values(
        ["list_index", "scenario"], kind="stable", ignore_index=True
    )
    return Forecast(weekly_df, clear_df)


def clearance_weeks(breaches0: np.ndarray, breaches: np.ndarray) -> np.ndarray:
    """Per list and simulation, the first week (0 = the census) from which nobody waits
    beyond the target until the end of the horizon; ``inf`` when someone still does at the
    end. ``breaches0`` is (lists,), ``breaches`` (weeks x lists x sims)."""
    weeks = breaches.shape[0]
    b = np.concatenate(
        [np.broadcast_to(breaches0[None, :, None], (1, *breaches.shape[1:])), breaches]
    )
    rev = b[::-1] > 0  # week 0..weeks, latest first
    last = weeks - rev.argmax(axis=0)  # the last week anyone waited beyond the target
    out = np.where(rev.any(axis=0), last + 1, 0).astype(float)
    out[b[-1] > 0] = np.inf
    return out


def clearance(
    sizes: np.ndarray,
    breaches: np.ndarray,
    *,
    breaches0: np.ndarray,
    queue0: np.ndarray,
    net_growth: np.ndarray,
    target_weeks: int,
) -> pd.DataFrame:
    """Clearance of long waits per list, honest about lists that grow.

    A list grows when, at today's rates, referrals exceed treatments plus removals
    (``net_growth`` > 0: the drift dQ/dt = demand - capacity - withdrawal x Q of the fluid
    approximation of a queue with abandonment, Whitt 2006, "Fluid models for multiserver
    queues with abandonments", Operations Research 54(1):37-54; with no withdrawals this
    is NHSRwaitinglist's queue load above 1) and the simulated median list at the horizon
    is larger than today's. A growing list does not clear: its long waits come back however
    many simulations happen to have none at the horizon, so ``p_cleared`` is 0.

    Otherwise ``p_cleared`` is the share of simulations in which nobody waits beyond the
    target from some week to the end of the horizon, and ``week_median``/``week_p90`` are
    the weeks by which that has happened in 50%/90% of simulations (unconditional
    quantiles; NaN when beyond the horizon). A list with waits beyond the target at the
    census cannot have cleared at week 0.
    """
    weeks = sizes.shape[0]
    first = clearance_weeks(breaches0, breaches)
    final_list = np.median(sizes[-1], axis=1)
    growing = (net_growth > 0) & (final_list > queue0)
    done = np.isfinite(first)
    p = np.where(growing, 0.0, done.mean(axis=1))

    def quantile(q: float) -> np.ndarray:
        v = np.quantile(first, q, axis=1, method="inverted_cdf")
        return np.where(np.isfinite(v) & ~growing, v, np.nan)

    med, p90 = quantile(0.5), quantile(0.9)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(queue0 > 0, final_list / queue0 - 1, np.nan)
    verdict = [
        _verdict(*row, weeks, target_weeks)
        for row in zip(growing, p, med, p90, breaches0, queue0, final_list, net_growth, strict=True)
    ]
    return pd.DataFrame(
        {
            "queue_size": queue0,
            "breaches_now": breaches0,
            "net_growth_per_week": net_growth,
            "growing": growing,
            "p_cleared": p,
            "week_median": med,
            "week_p90": p90,
            "final_list_median": final_list,
            "list_change": change,
            "final_breaches_median": np.median(breaches[-1], axis=1),
            "verdict": verdict,
        }
    )


def _verdict(growing, p, med, p90, now, q0, q1, net, weeks: int, target: int) -> str:
    """One sentence a commissioner can read: does the list clear, when, and its size."""
    size = f"list {q0:,.0f} now, {q1:,.0f} at week {weeks} (median)"
    if growing:
        return (
            f"does not clear within {weeks} weeks: the list grows ({size}); referrals exceed "
            f"treatments and removals by {net:.1f} a week"
        )
    if p < 0.5:
        return f"unlikely to clear within {weeks} weeks ({p:.0%} chance; {size})"
    by90 = f"90% by week {p90:.0f}" if np.isfinite(p90) else f"90% not within {weeks} weeks"
    if now == 0 and med == 0:
        return (
            f"nobody beyond {target} weeks now, and still nobody at week {weeks} in {p:.0%} "
            f"of runs ({size})"
        )
    return f"clears by week {med:.0f} (50% chance; {by90}; {size})"

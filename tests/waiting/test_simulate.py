"""The vectorised waiting-list simulation: conservation, ordering and scenario behaviour."""

import numpy as np
import pytest
from pydantic import ValidationError

from caremap.waiting.simulate import (
    Priority,
    SimulationConfig,
    _take_oldest,
    initial_histogram,
    simulate,
)

pytestmark = pytest.mark.unit


def test_take_oldest_serves_from_the_left():
    h = np.array([[3, 0, 2, 5]])
    took = _take_oldest(h, np.array([4]))
    assert took.tolist() == [[3, 0, 1, 0]]


def test_no_capacity_means_everyone_waits():
    cfg = SimulationConfig(demand=10, capacity=0, weeks=30, sims=20, target_weeks=18)
    f = simulate(cfg)
    # list grows by ~10 a week; nobody treated
    assert f.weekly["list_median"].iloc[-1] == pytest.approx(300, rel=0.15)
    # after 30 weeks, referrals from weeks 1-11 are beyond 18 weeks
    assert f.weekly["breaches_median"].iloc[-1] == pytest.approx(110, rel=0.25)
    assert f.clearance["p_cleared"].iloc[0] == 0


def test_more_capacity_clears_faster():
    cfg = SimulationConfig(
        demand=30,
        capacity=29,
        weeks=104,
        sims=100,
        scenarios={"plan": 1.0, "plus20": 1.2},
    )
    ages = np.random.default_rng(0).exponential(20, 1200)
    f = simulate(cfg, initial_histogram(ages, None, cfg))
    c = f.clearance.set_index("scenario")
    assert c.loc["plus20", "p_cleared"] > c.loc["plan", "p_cleared"]
    w = f.weekly.groupby("scenario")["list_median"].last()
    assert w["plus20"] < w["plan"]
    lo, hi = f.weekly["list_low"], f.weekly["list_high"]
    assert (lo <= f.weekly["list_median"]).all() and (f.weekly["list_median"] <= hi).all()


def test_urgent_served_first():
    cfg = SimulationConfig(
        demand=20,
        capacity=12,
        weeks=52,
        sims=50,
        priorities=[Priority(name="urgent", share=0.5), Priority(name="routine", share=0.5)],
    )
    init = initial_histogram(np.zeros(0), np.array([], dtype=object), cfg)
    f = simulate(cfg, init)
    # capacity 12 > urgent demand 10: urgent never breaches, routine does
    assert f.weekly["breaches_median"].iloc[-1] > 0


def test_priority_shares_must_add_up():
    with pytest.raises(ValidationError, match="add up"):
        SimulationConfig(demand=1, capacity=1, priorities=[Priority(name="a", share=0.5)])

"""Queue relationships for a waiting list (the approach of NHSRwaitinglist).

Sources: Fong N. et al., "Waiting list management: relationships between waiting time,
queue size, demand and capacity" (NHS-R community / NHSRwaitinglist, 2023), built on
Little's law (Little 1961) and Kingman's approximation for a G/G/1 queue (Kingman 1961).
Units must agree: if demand is per week, waits are in weeks and capacity per week.

With the waiting time exponential (a stable FIFO list), the probability of waiting longer
than t is exp(-t / mean wait); a mean wait of a quarter of the target (factor 4) misses
the target for about 1.8% of patients, a sixth (factor 6) for about 0.25%.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from caremap.core.errors import InputError


def _positive(**values) -> None:
    bad = [k for k, v in values.items() if np.any(np.asarray(v, dtype=float) <= 0)]
    if bad:
        raise InputError(f"{', '.join(bad)} must be greater than zero")


def target_mean_wait(target_wait: ArrayLike, factor: float = 4) -> np.ndarray | float:
    """Mean wait that meets ``target_wait`` for all but exp(-factor) of patients:
    target_wait / factor (NHSRwaitinglist ``calc_target_mean_wait``)."""
    _positive(target_wait=target_wait, factor=factor)
    return np.asarray(target_wait, dtype=float) / factor


def target_queue_size(
    demand: ArrayLike, target_wait: ArrayLike, factor: float = 4
) -> np.ndarray | float:
    """Little's law: queue size = demand x target mean wait (``calc_target_queue_size``)."""
    _positive(demand=demand)
    return np.asarray(demand, dtype=float) * target_mean_wait(target_wait, factor)


def target_capacity(
    demand: ArrayLike,
    target_wait: ArrayLike,
    factor: float = 4,
    cv_demand: float = 1,
    cv_capacity: float = 1,
) -> np.ndarray | float:
    """Capacity that keeps the mean wait at target_wait / factor, by Kingman's formula:
    demand + (cv_demand^2 + cv_capacity^2) / 2 x factor / target_wait
    (``calc_target_capacity``)."""
    _positive(demand=demand, target_wait=target_wait)
    d = np.asarray(demand, dtype=float)
    return d + ((cv_demand**2 + cv_capacity**2) / 2) * (factor / np.asarray(target_wait, float))


def relief_capacity(
    demand: ArrayLike,
    queue_size: ArrayLike,
    target_queue_size: ArrayLike,
    time_to_target: ArrayLike = 26,
    num_referrals: float = 0,
    cv_demand: float = 0,
) -> np.ndarray | float:
    """Capacity needed to bring the queue to its target size within ``time_to_target``:
    demand + (queue_size - target_queue_size) / time_to_target (``calc_relief_capacity``).

    With ``num_referrals`` and ``cv_demand``, demand is first inflated by two standard
    errors of its estimate, as NHSRwaitinglist does.
    """
    _positive(time_to_target=time_to_target)
    d = np.asarray(demand, dtype=float)
    if num_referrals > 0:
        inflate = 2 * d * cv_demand / np.sqrt(num_referrals)
        d = np.where(inflate < 1, d / (1 - inflate), d)
    q, t = np.asarray(queue_size, float), np.asarray(target_queue_size, float)
    return d + (q - t) / np.asarray(time_to_target, float)


def queue_load(demand: ArrayLike, capacity: ArrayLike) -> np.ndarray | float:
    """Arrivals per removal: demand / capacity (``calc_queue_load``); above 1 the list grows."""
    _positive(capacity=capacity)
    return np.asarray(demand, dtype=float) / np.asarray(capacity, dtype=float)


def waiting_list_pressure(mean_wait: ArrayLike, target_wait: ArrayLike) -> np.ndarray | float:
    """2 x mean wait / target wait (``calc_waiting_list_pressure``); above 1 the list will
    most likely miss its target."""
    _positive(target_wait=target_wait)
    return 2 * np.asarray(mean_wait, dtype=float) / np.asarray(target_wait, dtype=float)


def share_over(wait: ArrayLike, mean_wait: ArrayLike) -> np.ndarray | float:
    """Share of patients waiting longer than ``wait`` when waits are exponential."""
    return np.exp(-np.asarray(wait, float) / np.asarray(mean_wait, float))

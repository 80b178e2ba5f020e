"""A location problem (demand x candidate sites travel times) and the result of solving it.

The problem checks its input once, so every model gets clean arrays and the user gets a
clear message: unreachable demand points, sites with no travel times, p larger than the
number of sites, sites both forced open and forced closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from caremap.core.errors import ConfigError, InputError


def _preview(ids, k: int = 5) -> str:
    ids = list(ids)
    more = f" and {len(ids) - k} more" if len(ids) > k else ""
    return ", ".join(str(i) for i in ids[:k]) + more


@dataclass(frozen=True)
class LocationProblem:
    """Travel times ``times[i, j]`` (minutes; inf = unreachable) from demand point i to site
    j, demand weights, and the ids of both. Build with `LocationProblem.build`."""

    times: np.ndarray
    weights: np.ndarray
    demand_ids: tuple
    site_ids: tuple
    forced_open: tuple[int, ...] = ()
    forced_closed: tuple[int, ...] = ()

    @classmethod
    def build(
        cls,
        times,
        weights=None,
        demand_ids=None,
        site_ids=None,
        forced_open=(),
        forced_closed=(),
        source: str = "travel times",
    ) -> LocationProblem:
        D = np.asarray(times, dtype=np.float64)
        if D.ndim != 2 or D.shape[0] == 0 or D.shape[1] == 0:
            raise InputError(f"expected a demand x site matrix, got shape {D.shape}", file=source)
        n, m = D.shape
        dids = tuple(demand_ids) if demand_ids is not None else tuple(range(n))
        sids = tuple(site_ids) if site_ids is not None else tuple(range(m))
        if len(dids) != n or len(sids) != m:
            raise InputError("demand or site ids do not match the matrix shape", file=source)
        D = np.where(np.isnan(D), np.inf, D)
        if (D < 0).any():
            i, j = np.argwhere(D < 0)[0]
            raise InputError(
                f"negative travel time from {dids[i]} to {sids[j]}", file=source, field="time"
            )
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != (n,):
            raise InputError(f"{len(w)} demand weights for {n} demand points", file=source)
        if (~np.isfinite(w)).any() or (w < 0).any():
            bad = [dids[i] for i in np.flatnonzero(~np.isfinite(w) | (w < 0))]
            raise InputError(
                f"demand must be finite and non-negative; bad for {_preview(bad)}",
                file=source,
                field="demand",
            )
        index = {s: k for k, s in enumerate(sids)}
        problems = []

        def to_idx(items, what):
            out = []
            for s in items:
                if s in index:
                    out.append(index[s])
                elif isinstance(s, (int, np.integer)) and 0 <= s < m and s not in index:
                    out.append(int(s))
                else:
                    problems.append(f"{what} site {s!r} is not a candidate site")
            return tuple(dict.fromkeys(out))

        fo = to_idx(forced_open, "forced-open")
        fc = to_idx(forced_closed, "forced-closed")
        both = set(fo) & set(fc)
        if both:
            problems.append(f"sites forced both open and closed: {_preview(sids[j] for j in both)}")
        dead = np.flatnonzero(~np.isfinite(D).any(axis=0))
        dead_open = [sids[j] for j in dead if j in set(fo)]
        if dead_open:
            problems.append(f"forced-open sites with no travel times: {_preview(dead_open)}")
        if problems:
            raise ConfigError("; ".join(problems))
        return cls(D, w, dids, sids, fo, tuple(sorted(set(fc) | set(dead.tolist()) - set(fo))))

    @property
    def n(self) -> int:
        return self.times.shape[0]

    @property
    def m(self) -> int:
        return self.times.shape[1]

    @property
    def sites_without_times(self) -> list:
        return [self.site_ids[j] for j in np.flatnonzero(~np.isfinite(self.times).any(axis=0))]

    def candidates(self) -> np.ndarray:
        ok = np.ones(self.m, dtype=bool)
        ok[list(self.forced_closed)] = False
        return np.flatnonzero(ok)

    def check_reachable(self, radius: float | None = None) -> None:
        """Every demand point with demand must reach some candidate (within ``radius``)."""
        cand = self.candidates()
        sub = self.times[:, cand]
        ok = (sub <= radius).any(axis=1) if radius is not None else np.isfinite(sub).any(axis=1)
        bad = np.flatnonzero(~ok & (self.weights > 0))
        if len(bad):
            within = f" within {radius:g} minutes" if radius is not None else ""
            raise InputError(
                f"{len(bad)} demand point(s) cannot reach any candidate site{within}: "
                f"{_preview(self.demand_ids[i] for i in bad)}",
                field="time",
            )

    def check_p(self, p: int) -> None:
        cand = self.candidates()
        if p < 1:
            raise ConfigError(f"p must be at least 1, got {p}")
        if p > len(cand):
            closed = f" ({len(self.forced_closed)} closed or without times)"
            raise ConfigError(
                f"p = {p} is larger than the {len(cand)} candidate sites{closed if self.forced_closed else ''}"
            )
        if len(self.forced_open) > p:
            raise ConfigError(f"{len(self.forced_open)} sites are forced open but p = {p}")


@dataclass(frozen=True)
class LocationResult:
    """An immutable solution: open sites, each demand point's site, objective, the proven
    bound and relative gap, the solver status and time. ``details`` holds model extras."""

    model: str
    open_sites: tuple
    assignment: tuple
    objective: float
    bound: float
    gap: float
    status: str
    seconds: float
    details: dict = field(default_factory=dict)

    @property
    def proven_optimal(self) -> bool:
        return self.status == "optimal"

    def summary(self) -> str:
        return (
            f"{self.model}: {len(self.open_sites)} sites, objective {self.objective:,.6g}, "
            f"bound {self.bound:,.6g}, gap {self.gap:.3%}, {self.status}, {self.seconds:.2f}s"
        )

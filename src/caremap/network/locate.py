"""Standalone location-allocation on any data: demand, sites and times from files
(`caremap locate`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from caremap.core.errors import ConfigError, InputError
from caremap.network.models import MODELS
from caremap.network.problem import LocationProblem, LocationResult
from caremap.network.travel import read_matrix


def _read(path: Path) -> pd.DataFrame:
    if not Path(path).exists():
        raise InputError("file not found", file=str(path))
    try:
        return (
            pd.read_parquet(path)
            if str(path).endswith(".parquet")
            else pd.read_csv(path, dtype=str)
        )
    except Exception as exc:
        raise InputError(f"cannot read: {exc}", file=str(path)) from None


def read_demand(path: Path, column: str | None = None) -> tuple[list[str], np.ndarray]:
    """Ids in the first column, demand in ``column`` (default: 'demand' or the second)."""
    df = _read(path)
    ids = df.iloc[:, 0].astype(str).tolist()
    col = column or (
        "demand" if "demand" in df.columns else (df.columns[1] if df.shape[1] > 1 else None)
    )
    if col is None:
        return ids, np.ones(len(ids))
    if col not in df.columns:
        raise InputError(f"no column {col!r}", file=str(path), field=col)
    w = pd.to_numeric(df[col], errors="coerce")
    if w.isna().any():
        row = int(np.flatnonzero(w.isna().to_numpy())[0]) + 2
        raise InputError("demand is not a number", file=str(path), row=row, field=col)
    return ids, w.to_numpy(dtype=float)


def read_sites(path: Path) -> tuple[list[str], list[str], list[str]]:
    """Site ids (first column) and, from an optional ``status`` column, which are forced
    ``open`` or ``closed``."""
    df = _read(path)
    ids = df.iloc[:, 0].astype(str).tolist()
    if "status" not in df.columns:
        return ids, [], []
    st = df["status"].fillna("").str.lower().str.strip()
    bad = ~st.isin(["", "open", "closed", "candidate"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise InputError(
            "status must be open, closed or candidate", file=str(path), row=row, field="status"
        )
    return (
        ids,
        [i for i, s in zip(ids, st, strict=True) if s == "open"],
        [i for i, s in zip(ids, st, strict=True) if s == "closed"],
    )


def locate(
    demand: Path,
    sites: Path,
    times: Path,
    model: str,
    p: int | None = None,
    radius: float | None = None,
    demand_column: str | None = None,
    time_limit: float = 600.0,
    min_volume: float = 0.0,
    capacity: float = float("inf"),
) -> tuple[LocationResult, LocationProblem]:
    """Read the three files, align them by id, and solve ``model``."""
    if model not in MODELS:
        raise ConfigError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    problems = []
    if model in ("pmedian", "mclp", "pcenter", "capacitated") and p is None:
        problems.append(f"--p is required for {model}")
    if model in ("mclp", "lscp") and radius is None:
        problems.append(f"--radius (minutes) is required for {model}")
    if problems:
        raise ConfigError("; ".join(problems))
    d_ids, w = read_demand(demand, demand_column)
    s_ids, s_open, s_closed = read_sites(sites)
    o_ids, t_ids, T = read_matrix(times)
    oi = {o: k for k, o in enumerate(o_ids)}
    ti = {t: k for k, t in enumerate(t_ids)}
    no_row = [d for d in d_ids if d not in oi]
    if no_row:
        raise InputError(
            f"{len(no_row)} demand point(s) have no travel times: {', '.join(no_row[:5])}",
            file=str(times),
        )
    cols = np.array([ti.get(s, -1) for s in s_ids])
    M = T[np.array([oi[d] for d in d_ids])][:, np.maximum(cols, 0)]
    M[:, cols < 0] = np.inf  # sites missing from the matrix: no travel times
    problem = LocationProblem.build(M, w, d_ids, s_ids, s_open, s_closed, source=str(times))
    params: dict = {"time_limit": time_limit}
    if p is not None and model != "lscp":
        params["p"] = p
    if radius is not None and model in ("mclp", "lscp"):
        params["radius"] = radius
    if model == "capacitated":
        params.update(min_volume=min_volume, capacity=capacity)
    return MODELS[model](problem=problem, **params).solve(), problem

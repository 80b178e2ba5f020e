"""Waiting lists from referral-to-treatment pathways: the state of each list today, what
capacity it needs (queue relationships), and a forecast of backlog clearance.

`run_waiting` reads pathways (canonical ``waiting_pathway`` or any table/CSV with the same
meaning) and writes ``waiting_summary`` (one row per list), and with ``forecast`` on,
``waiting_forecast`` (week by week bands per scenario) and ``waiting_clearance``. The
per-list aggregation is SQL run on the engine; only the small aggregates come into Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from caremap.core.errors import ConfigError, InputError
from caremap.core.result import StepResult
from caremap.core.workspace import Workspace
from caremap.waiting import queue as Q
from caremap.waiting.config import WaitingConfig
from caremap.waiting.simulate import SimulationConfig, simulate_lists

PRIORITY_ORDER = ["P1", "urgent", "P2", "P3", "P4", "routine"]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def summary_sql(cfg: WaitingConfig, census: dt.date) -> str:
    g = ", ".join(_q(c) for c in cfg.group) or "'all' AS list_all"
    gb = ", ".join(_q(c) for c in cfg.group) or "1"
    r, s, why = _q(cfg.referral), _q(cfg.clock_stop), _q(cfg.stop_reason)
    c = f"DATE '{census.isoformat()}'"
    lb = cfg.lookback_weeks
    start = f"({c} - INTERVAL {lb * 7} DAY)"
    open_ = f"{r} <= {c} AND ({s} IS NULL OR {s} > {c})"
    age = f"CAST(date_diff('day', {r}, {c}) AS DOUBLE) / 7"
    return f"""
        SELECT {g},
          CAST(SUM(CASE WHEN {r} > {start} AND {r} <= {c} THEN 1 ELSE 0 END) AS DOUBLE)
            / {lb} AS demand,
          CAST(SUM(CASE WHEN {s} > {start} AND {s} <= {c} AND {why} = 'treated' THEN 1 ELSE 0
            END) AS DOUBLE) / {lb} AS capacity,
          CAST(SUM(CASE WHEN {s} > {start} AND {s} <= {c} AND {why} <> 'treated' THEN 1 ELSE 0
            END) AS DOUBLE) / {lb} AS removals,
          SUM(CASE WHEN {open_} THEN 1 ELSE 0 END) AS queue_size,
          AVG(CASE WHEN {open_} THEN CAST({age} AS DOUBLE) END) AS mean_wait,
          SUM(CASE WHEN {open_} AND {age} > {cfg.target_weeks} THEN 1 ELSE 0 END) AS over_target
        FROM {cfg.table} GROUP BY {gb}"""


def _p92(ws: Workspace, cfg: WaitingConfig, census: dt.date, summary: pd.DataFrame):
    """92nd centile of the current waits (weeks), exact and the same on every engine: the
    engine counts waiters by list and days waited; NumPy takes the quantile (type 7)."""
    g = ", ".join(_q(c) for c in cfg.group)
    r, s = _q(cfg.referral), _q(cfg.clock_stop)
    c = f"DATE '{census.isoformat()}'"
    days = ws.df(
        f"SELECT {g + ', ' if g else ''}date_diff('day', {r}, {c}) AS days, count(*) AS n "
        f"FROM {cfg.table} WHERE {r} <= {c} AND ({s} IS NULL OR {s} > {c}) "
        f"GROUP BY {ordinals(len(cfg.group) + 1)}"
    )
    days["list"] = _list_name(days, cfg.group)
    out = {}
    for name, d in days.groupby("list"):
        out[name] = float(np.quantile(np.repeat(d["days"].to_numpy(float), d["n"]), 0.92)) / 7
    return _list_name(summary, cfg.group).map(out).to_numpy(float)


def ordinals(n: int) -> str:
    return ", ".join(str(i) for i in range(1, n + 1))


def _list_name(df: pd.DataFrame, group: list[str]) -> pd.Series:
    if not group:
        return pd.Series("all", index=df.index)
    out = df[group[0]].astype(str)
    for g in group[1:]:
        out = out + " / " + df[g].astype(str)
    return out


def relationships(summary: pd.DataFrame, cfg: WaitingConfig) -> pd.DataFrame:
    """Add NHSRwaitinglist queue relationships to a per-list summary."""
    s = summary.copy()
    d = s["demand"].to_numpy(float)
    cap = s["capacity"].to_numpy(float)
    s["target_mean_wait"] = float(Q.target_mean_wait(cfg.target_weeks, cfg.factor))
    s["target_queue_size"] = d * s["target_mean_wait"]
    s["target_capacity"] = np.where(
        d > 0, Q.target_capacity(np.maximum(d, 1e-12), cfg.target_weeks, cfg.factor), np.nan
    )
    s["relief_capacity"] = Q.relief_capacity(
        d, s["queue_size"], s["target_queue_size"], cfg.time_to_target_weeks
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        s["queue_load"] = np.where(cap > 0, d / np.where(cap > 0, cap, 1), np.nan)
    s["pressure"] = Q.waiting_list_pressure(s["mean_wait"].fillna(0), cfg.target_weeks)
    s["share_over_target"] = s["over_target"] / s["queue_size"].where(s["queue_size"] > 0)
    s["needs_relief"] = s["queue_size"] > 2 * s["target_queue_size"]
    return s


def _check(df: pd.DataFrame, cfg: WaitingConfig, file: str | None) -> None:
    missing = [c for c in cfg.columns() if c not in df.columns]
    if missing:
        raise ConfigError(f"no column {', '.join(missing)} (have: {', '.join(df.columns)})")
    ref = pd.to_datetime(df[cfg.referral], errors="coerce")
    stop = pd.to_datetime(df[cfg.clock_stop], errors="coerce")
    bad = ref.isna()
    if bad.any():
        rows = ", ".join(map(str, (np.flatnonzero(bad.to_numpy()) + 2)[:10]))
        raise InputError(
            f"missing or unreadable referral date in rows {rows}", file=file, field=cfg.referral
        )
    bad = stop.notna() & (stop < ref)
    if bad.any():
        rows = ", ".join(map(str, (np.flatnonzero(bad.to_numpy()) + 2)[:10]))
        raise InputError(
            f"clock stop before referral in rows {rows}", file=file, field=cfg.clock_stop
        )


@dataclass(frozen=True)
class WaitingResult(StepResult):
    """The frames written (``waiting_summary`` and, with a forecast, ``waiting_forecast`` and
    ``waiting_clearance``), by table name."""

    frames: dict[str, pd.DataFrame]


def run_waiting(ws: Workspace, config: WaitingConfig) -> WaitingResult:
    """Summarise every list, add queue relationships, forecast; write the result tables."""
    out = waiting_frames(ws, config)
    with ws.transaction():
        for name, frame in out.items():
            ws.write_table(name, frame)
    return WaitingResult(frames=out, tables=tuple(out))


def waiting_frames(
    ws: Workspace, cfg: WaitingConfig, *, temporary: bool = False
) -> dict[str, pd.DataFrame]:
    """Summarise every list, add queue relationships, forecast; write nothing
    (``temporary``: ``cfg.table`` is a registered view, already checked)."""
    if not temporary:
        ws.require(cfg.table)
        have = ws.columns(cfg.table)
        missing = [c for c in cfg.columns() if c not in have]
        if missing:
            raise ConfigError(f"{cfg.table} has no column {', '.join(missing)}")
    census = cfg.census_date or ws.scalar(
        f"SELECT CAST(greatest(max({_q(cfg.referral)}), "
        f"coalesce(max({_q(cfg.clock_stop)}), max({_q(cfg.referral)}))) AS DATE) "
        f"FROM {cfg.table}"
    )
    if census is None:
        raise InputError(f"{cfg.table} has no pathways")
    summary = ws.df(summary_sql(cfg, census))
    summary["p92_wait"] = _p92(ws, cfg, census, summary)
    for col in (
        "demand",
        "capacity",
        "removals",
        "queue_size",
        "mean_wait",
        "p92_wait",
        "over_target",
    ):
        summary[col] = pd.to_numeric(summary[col]).astype(float)
    summary.insert(0, "list", _list_name(summary, cfg.group))
    summary = relationships(summary, cfg)
    summary.insert(0, "census_date", census)
    summary.insert(0, "source", cfg.source)
    out = {"waiting_summary": summary[SUMMARY_COLUMNS]}
    if cfg.forecast:
        out.update(_forecast(ws, cfg, census, summary))
    return out


SUMMARY_COLUMNS = [
    "source",
    "census_date",
    "list",
    "demand",
    "capacity",
    "removals",
    "queue_size",
    "mean_wait",
    "p92_wait",
    "over_target",
    "share_over_target",
    "target_mean_wait",
    "target_queue_size",
    "target_capacity",
    "relief_capacity",
    "queue_load",
    "pressure",
    "needs_relief",
]


def _forecast(ws: Workspace, cfg: WaitingConfig, census: dt.date, summary: pd.DataFrame):
    g = ", ".join(_q(c) for c in cfg.group)
    r, s = _q(cfg.referral), _q(cfg.clock_stop)
    c = f"DATE '{census.isoformat()}'"
    pri = _q(cfg.priority) if cfg.priority else "'routine'"
    sel = f"{g + ', ' if g else ''}coalesce(CAST({pri} AS VARCHAR), 'routine') AS priority"
    hist = ws.df(
        f"SELECT {sel}, CAST(greatest(ceil(date_diff('day', {r}, {c}) / 7) - 1, 0) AS INTEGER) "
        "AS age, "
        f"count(*) AS n FROM {cfg.table} WHERE {r} <= {c} AND ({s} IS NULL OR {s} > {c}) "
        f"GROUP BY {ordinals(len(cfg.group) + 2)}"
    )
    mix = ws.df(
        f"SELECT {sel}, count(*) AS n FROM {cfg.table} "
        f"WHERE {r} > ({c} - INTERVAL {cfg.lookback_weeks * 7} DAY) "
        f"GROUP BY {ordinals(len(cfg.group) + 1)}"
    )
    hist["list"] = _list_name(hist, cfg.group)
    mix["list"] = _list_name(mix, cfg.group)
    present = set(hist["priority"]) | set(mix["priority"]) | {"routine"}
    names = sorted(
        present, key=lambda p: (PRIORITY_ORDER.index(p) if p in PRIORITY_ORDER else 99, p)
    )
    lists = summary["list"].tolist()
    shares = (
        mix.pivot_table(index="list", columns="priority", values="n", aggfunc="sum")
        .reindex(index=lists, columns=names)
        .fillna(0)
        .to_numpy(float)
    )
    shares[shares.sum(axis=1) == 0, names.index("routine")] = 1
    shares /= shares.sum(axis=1, keepdims=True)
    sim = SimulationConfig(
        weeks=cfg.weeks,
        demand=1,
        capacity=1,
        scenarios=cfg.scenarios,
        target_weeks=int(cfg.target_weeks),
        sims=cfg.sims,
        seed=cfg.seed,
    )
    initial = np.zeros((len(lists), len(names), sim.max_weeks), dtype=np.int64)
    li = pd.Index(lists).get_indexer(hist["list"])
    pi = pd.Index(names).get_indexer(hist["priority"])
    ok = li >= 0
    np.add.at(
        initial,
        (li[ok], pi[ok], np.clip(hist["age"].to_numpy()[ok], 0, sim.max_weeks - 1)),
        hist["n"].to_numpy()[ok],
    )
    queue = np.maximum(summary["queue_size"].to_numpy(float), 1.0)
    f = simulate_lists(
        demand=summary["demand"].to_numpy(float),
        capacity=summary["capacity"].to_numpy(float),
        withdrawal=np.minimum(summary["removals"].to_numpy(float) / queue, 0.5),
        shares=shares,
        initial=initial,
        cfg=sim,
    )
    out = {}
    for name, frame in (("waiting_forecast", f.weekly), ("waiting_clearance", f.clearance)):
        frame.insert(0, "list", np.asarray(lists, dtype=object)[frame.pop("list_index")])
        frame.insert(0, "source", cfg.source)
        out[name] = frame
    return out


def waiting_csv(path: str, cfg: WaitingConfig, ws: Workspace) -> dict[str, pd.DataFrame]:
    """The same on a CSV of pathways: loaded into a temporary view of ``ws``, nothing kept."""
    df = pd.read_csv(path)
    _check(df, cfg, path)
    for col in (cfg.referral, cfg.clock_stop):
        df[col] = pd.to_datetime(df[col], errors="coerce").dt.date
    import pyarrow as pa

    ws.register_temp("waiting_input", pa.Table.from_pandas(df, preserve_index=False))
    try:
        local = cfg.model_copy(update={"table": "waiting_input", "source": path})
        return waiting_frames(ws, local, temporary=True)
    finally:
        ws.unregister_temp("waiting_input")

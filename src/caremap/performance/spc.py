"""SPC over many series at once: a table in, one row per point and one per series out.

`spc_frame` works on any pandas frame (a CSV); `spc_table` reads a workspace table and writes
``spc_point`` and ``spc_summary``. The statistics live in `caremap.core.stats.spc`; this
module validates input, orders the series, and shapes the result tables.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from caremap.core.config import Config
from caremap.core.errors import ConfigError, InputError
from caremap.core.stats import spc as S
from caremap.core.workspace import Workspace


class SpcConfig(Config):
    """What to chart and how (loadable from YAML/JSON)."""

    date: str = Field(description="column holding the date of each point")
    value: str | None = Field(None, description="column to chart (XmR)")
    numerator: str | None = Field(None, description="count column (p- and u-charts)")
    denominator: str | None = Field(None, description="size column (p- and u-charts)")
    group: list[str] = Field(default_factory=list, description="columns that identify a series")
    chart: Literal["xmr", "p", "u"] = "xmr"
    laney: bool = Field(True, description="Laney's adjustment for p- and u-charts")
    improvement: S.Direction = "increase"
    target: float | None = None
    fix_after_n: int | None = Field(None, ge=2)
    screen_outliers: bool = True
    rules: S.RuleSetName = "ptd"
    shift_length: int = Field(7, ge=2)
    trend_length: int = Field(7, ge=3)
    rebase: list[dt.date] = Field(default_factory=list, description="dates that start new limits")
    min_points: int = Field(S.MIN_POINTS, ge=2)
    source: str = Field("input", description="name recorded in the result tables")

    def needed_columns(self) -> list[str]:
        if self.chart == "xmr":
            cols = [self.date, self.value]
        else:
            cols = [self.date, self.numerator, self.denominator]
        return [c for c in cols if c] + list(self.group)

    def check(self, columns) -> None:
        problems = []
        if self.chart == "xmr" and not self.value:
            problems.append("an XmR chart needs `value`")
        if self.chart != "xmr" and not (self.numerator and self.denominator):
            problems.append(f"a {self.chart}-chart needs `numerator` and `denominator`")
        missing = [c for c in self.needed_columns() if c not in set(columns)]
        if missing:
            problems.append(
                f"no column {', '.join(missing)} (have: {', '.join(map(str, columns))})"
            )
        if problems:
            raise ConfigError("; ".join(problems))


def _validate(df: pd.DataFrame, cfg: SpcConfig, file: str | None) -> None:
    def rows(mask) -> str:
        idx = (np.flatnonzero(np.asarray(mask)) + 2)[:10]  # +2: header line, 1-based
        return ", ".join(map(str, idx)) + (" ..." if np.sum(mask) > 10 else "")

    if df[cfg.date].isna().any():
        m = df[cfg.date].isna()
        raise InputError(f"missing date in rows {rows(m)}", file=file, field=cfg.date)
    vals = [cfg.value] if cfg.chart == "xmr" else [cfg.numerator, cfg.denominator]
    for col in vals:
        v = pd.to_numeric(df[col], errors="coerce")
        if v.isna().any():
            raise InputError(
                f"missing or non-numeric value in rows {rows(v.isna())}", file=file, field=col
            )
    if cfg.chart != "xmr":
        n = pd.to_numeric(df[cfg.denominator])
        x = pd.to_numeric(df[cfg.numerator])
        if (n <= 0).any():
            raise InputError(
                f"zero or negative denominator in rows {rows(n <= 0)}",
                file=file,
                field=cfg.denominator,
            )
        if (x < 0).any():
            raise InputError(
                f"negative count in rows {rows(x < 0)}", file=file, field=cfg.numerator
            )
        if cfg.chart == "p" and (x > n).any():
            raise InputError(
                f"numerator exceeds denominator in rows {rows(x > n)}",
                file=file,
                field=cfg.numerator,
            )


def spc_frame(
    df: pd.DataFrame, cfg: SpcConfig, *, file: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Chart every series in ``df``: returns (points, summary, warnings).

    Series shorter than ``min_points`` keep *trial* limits (flagged, with a warning);
    series of one point get no limits.
    """
    cfg.check(df.columns)
    _validate(df, cfg, file)
    dates = _dates(df[cfg.date], cfg.date, file)
    if cfg.group:
        grouped = df.groupby(cfg.group, sort=True, dropna=False)
        key = grouped.ngroup().to_numpy()
        names = _series_names(grouped.size().reset_index(), cfg.group)
    else:
        key = np.zeros(len(df), dtype=np.int64)
        names = np.array(["all"], dtype=object)
    order = np.lexsort((dates, key))
    series, dates = key[order], dates[order]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = (series[1:] == series[:-1]) & (dates[1:] == dates[:-1])
    if same.any():
        dup = np.zeros(len(order), dtype=bool)
        dup[order[same]] = True
        dup[order[np.flatnonzero(same) - 1]] = True
        rows = ", ".join(map(str, (np.flatnonzero(dup) + 2)[:10]))
        raise InputError(
            f"duplicate dates within a series in rows {rows}", file=file, field=cfg.date
        )
    rebase = np.isin(dates, np.array(cfg.rebase, dtype="datetime64[D]"))
    starts = S.segment_starts(series)
    seg = np.cumsum(starts | (rebase & ~starts)) - 1
    rules = S.Rules(cfg.rules, cfg.shift_length, cfg.trend_length)

    def col(c: str) -> np.ndarray:
        return pd.to_numeric(df[c]).to_numpy(float)[order]

    if cfg.chart == "xmr":
        y = col(cfg.value)
        lim = S.xmr_limits(y, seg, fix_after_n=cfg.fix_after_n, screen_outliers=cfg.screen_outliers)
        sigma_z = np.full(len(y), np.nan)
    else:
        y, lim, sigma_z = S.attribute_limits(
            col(cfg.numerator), col(cfg.denominator), seg, chart=cfg.chart, laney=cfg.laney
        )
    f = S.special_cause_rules(
        y, seg, lim.mean, lim.lpl, lim.upl, lim.lower_2sigma, lim.upper_2sigma, rules
    )
    code = S.special_cause_code(f)
    labels = S.label_names(rules)[code]
    ptype = S.point_type_from_direction(S.code_direction(code), S.IMPROVEMENT[cfg.improvement])
    points = pd.DataFrame(
        {
            "source": cfg.source,
            "series": names[series],
            "date": dates,
            "value": y,
            "rebase_group": _rebase_index(series, seg),
            "mean": lim.mean,
            "lpl": lim.lpl,
            "upl": lim.upl,
            "lower_2sigma": lim.lower_2sigma,
            "upper_2sigma": lim.upper_2sigma,
            "sigma_z": sigma_z,
            "outside_limits": f.outside,
            "relative_to_mean": f.relative_to_mean.astype(int),
            "close_to_limits": f.close,
            "rule_shift": f.shift,
            "rule_trend": f.trend,
            "rule_two_in_three": f.two_in_three,
            "special_cause_type": labels,
            "special_cause_flag": code != 0,
            "point_type": ptype,
            "trial_limits": lim.n_in_segment < cfg.min_points,
            "chart": cfg.chart,
            "rules": cfg.rules,
        }
    )
    for c in cfg.group:
        points[c] = df[c].to_numpy()[order]
    summary, notes = _summarise(points, series, seg, code, cfg)
    for n in notes:
        warnings.warn(n, stacklevel=2)
    return points, summary, notes


def _dates(col: pd.Series, name: str, file: str | None) -> np.ndarray:
    """Dates as datetime64[D]; ISO text is parsed by NumPy, anything else by pandas."""
    try:
        return col.to_numpy().astype("datetime64[D]")
    except (ValueError, TypeError):
        pass
    parsed = pd.to_datetime(col, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        rows = ", ".join(map(str, (np.flatnonzero(bad) + 2)[:10]))
        raise InputError(f"unreadable date in rows {rows}", file=file, field=name)
    return parsed.to_numpy().astype("datetime64[D]")


def _series_names(d: pd.DataFrame, group: list[str]) -> np.ndarray:
    if not group:
        return np.full(len(d), "all", dtype=object)
    out = d[group[0]].astype(str)
    for g in group[1:]:
        out = out + " / " + d[g].astype(str)
    return out.to_numpy(dtype=object)


def _rebase_index(series: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """0, 1, ... for the rebase periods within each series (``series`` sorted)."""
    first = np.flatnonzero(S.segment_starts(series))
    return seg - seg[first][np.cumsum(S.segment_starts(series)) - 1]


def _summarise(
    points: pd.DataFrame, series: np.ndarray, seg: np.ndarray, code: np.ndarray, cfg: SpcConfig
) -> tuple[pd.DataFrame, list[str]]:
    """One row per series, from its latest rebase period (vectorised over series)."""
    last = np.flatnonzero(np.r_[series[1:] != series[:-1], True])
    cur = seg == seg[last][series]
    nser = len(last)
    n = np.bincount(series[cur], minlength=nser)
    ptype = points["point_type"].to_numpy()
    count = {
        k: np.bincount(series[cur & (ptype == k)], minlength=nser)
        for k in ("common_cause", "special_cause_improvement", "special_cause_concern")
    }
    direction = S.code_direction(code[last])
    icons = [S.variation_icon(t, d) for t, d in zip(ptype[last], direction, strict=False)]
    lpl, upl = points["lpl"].to_numpy()[last], points["upl"].to_numpy()[last]
    names = points["series"].to_numpy()[last]
    notes = []
    for i in np.flatnonzero(n < cfg.min_points):
        if n[i] < 2:
            notes.append(f"series {names[i]}: one point in its latest period; no limits drawn")
        else:
            notes.append(
                f"series {names[i]}: {n[i]} points in its latest period, fewer than "
                f"{cfg.min_points}; limits are trial limits"
            )
    summary = pd.DataFrame(
        {
            "source": cfg.source,
            "series": names,
            "last_date": points["date"].to_numpy()[last],
            "n": n,
            "rebase_group": points["rebase_group"].to_numpy()[last],
            "mean": points["mean"].to_numpy()[last],
            "lpl": lpl,
            "upl": upl,
            "latest_value": points["value"].to_numpy()[last],
            "latest_point_type": ptype[last],
            "variation_icon": icons,
            "target": np.nan if cfg.target is None else cfg.target,
            "assurance_icon": [
                S.assurance(cfg.target, lo, hi, cfg.improvement)
                for lo, hi in zip(lpl, upl, strict=False)
            ],
            **count,
            "trial_limits": n < cfg.min_points,
            "improvement": cfg.improvement,
            "chart": cfg.chart,
        }
    )
    return summary, notes


class SpcStepConfig(SpcConfig):
    """`spc_table` on a workspace table (or a SELECT)."""

    table: str = Field(description="workspace table or view to read")
    replace: bool = Field(False, description="replace earlier results of every source")


def spc_table(ws: Workspace, cfg: SpcStepConfig) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Read ``cfg.table``, chart it, and write ``spc_point`` / ``spc_summary`` (rows of
    earlier runs with the same ``source`` are replaced)."""
    ws.require(cfg.table)
    cols = ", ".join(f'"{c}"' for c in dict.fromkeys(cfg.needed_columns()))
    df = ws.df(f"SELECT {cols} FROM {cfg.table}")
    points, summary, notes = spc_frame(df, cfg, file=cfg.table)
    write_results(
        ws,
        {"spc_point": points[POINT_COLUMNS], "spc_summary": summary},
        cfg.source,
        cfg.replace,
    )
    return points, summary, notes


POINT_COLUMNS = [
    "source",
    "series",
    "date",
    "value",
    "rebase_group",
    "mean",
    "lpl",
    "upl",
    "lower_2sigma",
    "upper_2sigma",
    "sigma_z",
    "outside_limits",
    "relative_to_mean",
    "close_to_limits",
    "rule_shift",
    "rule_trend",
    "rule_two_in_three",
    "special_cause_type",
    "special_cause_flag",
    "point_type",
    "trial_limits",
    "chart",
    "rules",
]


def write_results(
    ws: Workspace, tables: dict[str, pd.DataFrame], source: str, replace: bool = False
) -> None:
    """Write result frames with fixed columns, replacing earlier rows of the same ``source``
    (or everything with ``replace``); all or nothing."""
    with ws.transaction():
        for name, frame in tables.items():
            if replace or not ws.has_table(name) or ws.columns(name) != list(frame.columns):
                keep = None
                if (
                    not replace
                    and ws.has_table(name)
                    and set(frame.columns) <= set(ws.columns(name))
                ):
                    keep = ws.df(f"SELECT * FROM {name} WHERE source <> '{_q(source)}'")
                ws.write_table(name, frame if keep is None else pd.concat([keep, frame]))
                continue
            ws.delete_where(name, f"source = '{_q(source)}'")
            ws.write_table(name, frame, mode="append")


def _q(s: str) -> str:
    return s.replace("'", "''")

"""Funnel plots and league tables for any table of units: limits, overdispersion, outliers
flagged with false-discovery-rate control, rank intervals, and candidate best practice.

`funnel_frame` works on a pandas frame (a CSV); `funnel_table` reads a workspace table and
writes ``funnel_unit`` (one row per unit) and ``funnel_summary`` (one row per funnel). The
statistics live in `caremap.core.stats.funnel`; unit confidence intervals come from
`caremap.core.stats.intervals` (Wilson for proportions, Byar's for counts).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from caremap.core.config import Config
from caremap.core.errors import ConfigError, InputError
from caremap.core.stats import funnel as F
from caremap.core.stats.intervals import byars, wilson
from caremap.core.workspace import Workspace


class FunnelConfig(Config):
    """One funnel (or one per ``by`` value): columns, method and flagging rules."""

    unit: str = Field(description="column naming each unit (trust, hub, ICS...)")
    numerator: str = Field(description="observed events")
    denominator: str = Field(description="expected events (SR), cases (PR) or population (rate)")
    by: list[str] = Field(default_factory=list, description="one funnel per value of these")
    data_type: F.DataType = "PR"
    sr_method: F.SrMethod = "SHMI"
    adjustment: F.Adjustment = "tau2"
    trim: float = Field(0.1, ge=0, lt=0.5)
    target: float | None = None
    higher_is_better: bool | None = Field(
        None, description="True/False labels outliers as better or worse; None: neutral"
    )
    flag_limit: Literal["95", "99.8"] = "99.8"
    fdr: float = Field(0.05, gt=0, lt=1, description="false discovery rate for flags")
    multiplier: float = Field(1.0, gt=0, description="e.g. 100 for percentages")
    rank_simulations: int = Field(1000, ge=0)
    seed: int = 0
    source: str = "input"

    def columns(self) -> list[str]:
        return list(dict.fromkeys([self.unit, self.numerator, self.denominator, *self.by]))

    def check(self, columns) -> None:
        missing = [c for c in self.columns() if c not in set(columns)]
        if missing:
            raise ConfigError(
                f"no column {', '.join(missing)} (have: {', '.join(map(str, columns))})"
            )


UNIT_COLUMNS = [
    "source",
    "funnel",
    "unit",
    "numerator",
    "denominator",
    "value",
    "ci_lower",
    "ci_upper",
    "target",
    "z",
    "z_adjusted",
    "p_value",
    "q_value",
    "lower95",
    "upper95",
    "lower998",
    "upper998",
    "position",
    "flag",
    "rank",
    "rank_lower",
    "rank_upper",
    "label",
    "evidence",
]


def _one(df: pd.DataFrame, cfg: FunnelConfig, file: str | None) -> tuple[pd.DataFrame, dict]:
    o = pd.to_numeric(df[cfg.numerator], errors="coerce").to_numpy(float)
    d = pd.to_numeric(df[cfg.denominator], errors="coerce").to_numpy(float)
    rows = df.index.to_numpy() + 2  # 1-based data rows after the header line
    try:
        r = F.funnel(
            o,
            d,
            data_type=cfg.data_type,
            sr_method=cfg.sr_method,
            adjustment=cfg.adjustment,
            trim=cfg.trim,
            target=cfg.target,
            labels=rows,
        )
    except InputError as exc:
        if exc.file or not file:
            raise
        raise InputError(exc.detail, file=file, field=exc.field) from None
    m = cfg.multiplier
    if cfg.data_type == "PR":
        lo, hi = wilson(o, d)
    else:
        lo, hi = byars(o)
        lo, hi = lo / d, hi / d
    lo_f, hi_f = (r.lower998, r.upper998) if cfg.flag_limit == "99.8" else (r.lower95, r.upper95)
    position = np.where(r.value > hi_f, "high", np.where(r.value < lo_f, "low", "within"))
    flag = (position != "within") & (r.q_value < cfg.fdr)
    if cfg.rank_simulations and len(o) > 1:
        tr = F.transform(o, d, cfg.data_type, cfg.sr_method, r.target)
        s = np.sqrt(tr.s**2 + (r.tau2 if r.adjustment == "tau2" else 0.0))
        rank, rlo, rhi = F.rank_intervals(
            tr.y,
            s,
            higher_is_better=cfg.higher_is_better is not False,
            sims=cfg.rank_simulations,
            seed=cfg.seed,
        )
    else:
        rank = rlo = rhi = np.full(len(o), np.nan)
    label = np.full(len(o), "", dtype=object)
    if cfg.higher_is_better is not None:
        good = "high" if cfg.higher_is_better else "low"
        bad = "low" if cfg.higher_is_better else "high"
        label[flag & (position == good)] = "candidate_best_practice"
        label[flag & (position == bad)] = "concern"
    else:
        label[flag] = "outlier_" + position[flag].astype(object)
    evidence = [
        (
            f"{v * m:.4g} vs target {r.target * m:.4g} (95% CI {a * m:.4g}-{b * m:.4g}); "
            f"beyond the {cfg.flag_limit}% {'upper' if pos == 'high' else 'lower'} limit "
            f"{(hu if pos == 'high' else lu) * m:.4g}; z = {z:.2f}; FDR q = {q:.2g}; "
            f"rank {int(rk) if rk == rk else '-'} of {len(o)} (95% interval {rl:.0f}-{rh:.0f})"
        )
        if fl
        else ""
        for v, a, b, pos, hu, lu, z, q, fl, rk, rl, rh in zip(
            r.value,
            lo,
            hi,
            position,
            hi_f,
            lo_f,
            r.z_adjusted,
            r.q_value,
            flag,
            rank,
            rlo,
            rhi,
            strict=False,
        )
    ]
    out = pd.DataFrame(
        {
            "unit": df[cfg.unit].astype(str).to_numpy(),
            "numerator": o,
            "denominator": d,
            "value": r.value * m,
            "ci_lower": np.asarray(lo) * m,
            "ci_upper": np.asarray(hi) * m,
            "target": r.target * m,
            "z": r.z,
            "z_adjusted": r.z_adjusted,
            "p_value": r.p_value,
            "q_value": r.q_value,
            "lower95": r.lower95 * m,
            "upper95": r.upper95 * m,
            "lower998": r.lower998 * m,
            "upper998": r.upper998 * m,
            "position": position,
            "flag": flag,
            "rank": rank,
            "rank_lower": rlo,
            "rank_upper": rhi,
            "label": label,
            "evidence": evidence,
        }
    )
    summary = {
        "units": len(o),
        "target": r.target * m,
        "phi": r.phi,
        "tau2": r.tau2,
        "units_used_for_dispersion": r.n_used,
        "adjustment": r.adjustment,
        "flagged_high": int((flag & (position == "high")).sum()),
        "flagged_low": int((flag & (position == "low")).sum()),
        "outside_limit_unflagged": int(((position != "within") & ~flag).sum()),
    }
    return out, summary


def funnel_frame(
    df: pd.DataFrame, cfg: FunnelConfig, *, file: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit one funnel per ``by`` group; returns (units, summary)."""
    cfg.check(df.columns)
    df = df.reset_index(drop=True)
    dup = df.duplicated([*cfg.by, cfg.unit], keep=False)
    if dup.any():
        rows = ", ".join(map(str, (np.flatnonzero(dup.to_numpy()) + 2)[:10]))
        raise InputError(
            f"the same unit appears twice in rows {rows}; aggregate first",
            file=file,
            field=cfg.unit,
        )
    parts, summaries = [], []
    groups = [((), df)] if not cfg.by else df.groupby(cfg.by, sort=True)
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        name = " / ".join(map(str, key)) or "all"
        units, summ = _one(g, cfg, file)
        units.insert(0, "funnel", name)
        parts.append(units)
        summaries.append({"funnel": name, **summ})
    units = pd.concat(parts, ignore_index=True)
    units.insert(0, "source", cfg.source)
    summary = pd.DataFrame(summaries)
    summary.insert(0, "source", cfg.source)
    summary["data_type"] = cfg.data_type
    summary["method"] = cfg.sr_method if cfg.data_type != "PR" else "arcsine"
    return units[UNIT_COLUMNS], summary


class FunnelStepConfig(FunnelConfig):
    table: str = Field(description="workspace table or view to read")
    replace: bool = False


def funnel_table(ws: Workspace, cfg: FunnelStepConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read ``cfg.table``, fit the funnels, write ``funnel_unit`` and ``funnel_summary``."""
    from caremap.performance.spc import write_results

    ws.require(cfg.table)
    cols = ", ".join(f'"{c}"' for c in cfg.columns())
    df = ws.df(f"SELECT {cols} FROM {cfg.table}")
    units, summary = funnel_frame(df, cfg, file=cfg.table)
    write_results(ws, {"funnel_unit": units, "funnel_summary": summary}, cfg.source, cfg.replace)
    return units, summary

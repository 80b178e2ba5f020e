"""`caremap rates`: PHE indicator statistics on any CSV of counts and populations.

A Python replacement for the PHEindicatormethods R functions an analyst uses most: crude
rates (``phe_rate``), proportions (``phe_proportion``), directly standardised rates
(``calculate_dsr``, ESP 2013, Dobson limits) and indirectly standardised ratios
(``calculate_ISRatio``, reference = all rows of the file), at one or two confidence levels.
The statistics are those of `caremap.core.stats.intervals`; this module only reads, checks
and groups the table, raising `InputError` with the file, row and field of a bad value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from caremap.core.errors import InputError
from caremap.core.stats import crude_rate, dobson_dsr, isr, wilson
from caremap.core.stats.standard_population import ESP2013, ESP2013_AGE_FROM, parse_band

Method = Literal["crude", "proportion", "dsr", "isr"]
DEFAULT_MULTIPLIER = {"crude": 100_000, "proportion": 100, "dsr": 100_000, "isr": 100}


class RatesConfig(BaseModel):
    """Which columns hold what, and which statistic to compute."""

    model_config = ConfigDict(extra="forbid")

    area: str
    count: str
    population: str
    age_band: str | None = None
    by: list[str] = Field(default_factory=list, description="extra grouping columns (period)")
    method: Method = "crude"
    confidence: list[float] = Field(default_factory=lambda: [0.95])
    multiplier: float | None = Field(None, gt=0)
    standard: str | None = Field(None, description="column of standard populations (dsr)")


def _label(conf: float) -> str:
    pct = f"{conf * 100:.1f}".rstrip("0").rstrip(".")
    return pct.replace(".", "_")


def _numeric(df: pd.DataFrame, col: str, file: str | None, *, allow_zero: bool = True) -> pd.Series:
    raw = df[col]
    values = pd.to_numeric(raw, errors="coerce")
    missing = raw.isna() | (raw.astype(str).str.strip() == "")
    if missing.any():
        i = int(np.flatnonzero(missing.to_numpy())[0])
        raise InputError("value is missing", file=file, row=i + 2, field=col)
    bad = values.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{raw.iloc[i]!r} is not a number", file=file, row=i + 2, field=col)
    neg = values < 0 if allow_zero else values <= 0
    if neg.any():
        i = int(np.flatnonzero(neg.to_numpy())[0])
        what = "negative" if allow_zero else "not greater than zero"
        raise InputError(f"{values.iloc[i]:g} is {what}", file=file, row=i + 2, field=col)
    return values.astype(float)


def compute_rates(df: pd.DataFrame, cfg: RatesConfig, file: str | None = None) -> pd.DataFrame:
    """The statistic of ``cfg.method`` for each area (and ``by`` group) of ``df``."""
    cols = [cfg.area, cfg.count, cfg.population, *cfg.by]
    if cfg.age_band:
        cols.append(cfg.age_band)
    if cfg.standard:
        cols.append(cfg.standard)
    for c in cols:
        if c not in df.columns:
            raise InputError(
                f"no column {c!r}; the file has {', '.join(map(str, df.columns))}",
                file=file,
                field=c,
            )
    if cfg.method in ("dsr", "isr") and not cfg.age_band:
        raise InputError(f"--method {cfg.method} needs --age-band", file=file, field="age_band")
    if df.empty:
        raise InputError("the file has no rows", file=file)
    work = pd.DataFrame({"area": df[cfg.area].astype(str)})
    for b in cfg.by:
        work[b] = df[b].astype(str)
    work["x"] = _numeric(df, cfg.count, file)
    work["n"] = _numeric(df, cfg.population, file, allow_zero=cfg.method in ("dsr", "isr"))
    keys = ["area", *cfg.by]
    mult = cfg.multiplier or DEFAULT_MULTIPLIER[cfg.method]
    if cfg.age_band:
        work["band"] = [
            parse_band(v, file=file, row=i + 2) for i, v in enumerate(df[cfg.age_band].tolist())
        ]
    if cfg.method == "proportion":
        over = work["x"] > work["n"]
        if over.any():
            i = int(np.flatnonzero(over.to_numpy())[0])
            raise InputError("count exceeds population", file=file, row=i + 2, field=cfg.count)
    groups = work.groupby(keys, sort=True)
    total = groups[["x", "n"]].sum()
    out = total.reset_index().rename(columns={"x": "numerator", "n": "denominator"})
    out = out.rename(columns={"area": cfg.area})
    note = pd.Series([None] * len(out), dtype=object)
    if cfg.method in ("dsr", "isr"):
        xm = work.pivot_table(index=keys, columns="band", values="x", aggfunc="sum", fill_value=0)
        nm = work.pivot_table(index=keys, columns="band", values="n", aggfunc="sum", fill_value=0)
        xm = xm.reindex(index=total.index, columns=list(ESP2013_AGE_FROM), fill_value=0)
        nm = nm.reindex(index=total.index, columns=list(ESP2013_AGE_FROM), fill_value=0)
        x, n = xm.to_numpy(float), nm.to_numpy(float)
        # As PHE: each area is standardised over the age bands it has rows for.
        present = (
            work.assign(one=1.0)
            .pivot_table(index=keys, columns="band", values="one", aggfunc="max", fill_value=0)
            .reindex(index=total.index, columns=list(ESP2013_AGE_FROM), fill_value=0)
            .to_numpy(bool)
        )
        empty = (n == 0) & (x > 0)
        if empty.any():
            r, c = np.argwhere(empty)[0]
            raise InputError(
                f"events but no population for area {xm.index[r]!r}, age band {xm.columns[c]}",
                file=file,
                field=cfg.population,
            )
    for conf in cfg.confidence:
        lab = _label(conf)
        if cfg.method == "crude":
            v, lo, hi = crude_rate(total["x"].to_numpy(), total["n"].to_numpy(), conf, mult)
        elif cfg.method == "proportion":
            xx, nn = total["x"].to_numpy(), total["n"].to_numpy()
            lo, hi = wilson(xx, nn, conf)
            v, lo, hi = xx / nn * mult, np.asarray(lo) * mult, np.asarray(hi) * mult
        elif cfg.method == "dsr":
            std = _standard(work, df, cfg, file) if cfg.standard else np.asarray(ESP2013, float)
            v, lo, hi = dobson_dsr(x, n, np.where(present, std, 0.0), conf, mult)
            small = total["x"].to_numpy() < 10
            note = pd.Series(np.where(small, "dsr suppressed: fewer than 10 events", None))
        else:
            ref = x.sum(axis=0) / np.where(n.sum(axis=0) > 0, n.sum(axis=0), 1)
            expected = (n * ref).sum(axis=1)
            out["expected"] = expected
            v, lo, hi = isr(
                total["x"].to_numpy(),
                np.where(expected > 0, expected, np.nan),
                conf,
                reference=mult,
            )
        out["value"] = np.asarray(v, float)
        out[f"lower{lab}cl"] = np.asarray(lo, float)
        out[f"upper{lab}cl"] = np.asarray(hi, float)
    out["method"] = {
        "crude": f"crude rate per {mult:g}, Byar's (exact below 10)",
        "proportion": f"proportion x{mult:g}, Wilson score",
        "dsr": f"DSR per {mult:g}, ESP 2013, Dobson",
        "isr": f"ISR x{mult:g} (reference: all rows), Byar's (exact below 10)",
    }[cfg.method]
    out["confidence"] = ", ".join(f"{c * 100:g}%" for c in cfg.confidence)
    out["note"] = note.to_numpy()
    return out


def _standard(work: pd.DataFrame, df: pd.DataFrame, cfg: RatesConfig, file: str | None):
    s = _numeric(df, cfg.standard, file)
    per_band = pd.Series(s.to_numpy(), index=work["band"]).groupby(level=0).first()
    return per_band.reindex(list(ESP2013_AGE_FROM), fill_value=0).to_numpy(float)


def rates_file(path: str | Path, cfg: RatesConfig, out: str | Path | None = None) -> pd.DataFrame:
    """Read ``path`` (CSV), compute the statistics and write them to ``out`` (CSV) if given."""
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", file=str(p))
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read as CSV: {e}", file=str(p)) from None
    result = compute_rates(df, cfg, file=str(p))
    if out is not None:
        result.to_csv(out, index=False)
    return result

"""`caremap rates`: PHE indicator statistics on any CSV of counts and populations.

A Python replacement for the PHEindicatormethods R functions an analyst uses most: crude
rates (``phe_rate``), proportions (``phe_proportion``), directly standardised rates
(``calculate_dsr``: ESP 2013 by default, ESP 1976, a column or a file of the user's own
standard, bands matched by label or by order; Dobson limits), indirectly standardised rates
(``calculate_ISRate``) and ratios (``calculate_ISRatio``) against reference counts and
populations per band (columns of the file, a reference file, or by default all rows of the
file), at one or two confidence levels. The statistics are those of `caremap.core.stats`;
this module only reads, checks and groups the table, raising `InputError` with the file,
row, area, band and field of a bad value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from caremap.core.errors import InputError
from caremap.core.stats import crude_rate, dobson_dsr, wilson
from caremap.core.stats.dsr import (
    ESP1976_STANDARD,
    ESP2013_STANDARD,
    StandardPopulation,
    band_key,
    dsr_nonindependent,
)
from caremap.core.stats.indirect import indirect
from caremap.core.stats.intervals import normalise_confidence
from caremap.core.stats.standard_population import band_label, parse_band

Method = Literal["crude", "proportion", "dsr", "isr", "isratio"]
DEFAULT_MULTIPLIER = {
    "crude": 100_000,
    "proportion": 100,
    "dsr": 100_000,
    "isr": 100_000,
    "isratio": 100,
}
STANDARDISED = ("dsr", "isr", "isratio")


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
    standard_file: str | None = Field(
        None, description="CSV of the standard: band label, population (dsr)"
    )
    esp: Literal["2013", "1976"] = Field("2013", description="built-in standard (dsr)")
    match: Literal["label", "order"] = Field(
        "label", description="match bands to the standard/reference by label or by order"
    )
    ref_count: str | None = Field(None, description="column of reference counts (isr)")
    ref_population: str | None = Field(None, description="column of reference populations")
    frequency: str | None = Field(
        None,
        description="dsr for non-independent events: column of event frequencies f; the "
        "count column is then the number of people with exactly f events",
    )
    reference_file: str | None = Field(
        None, description="CSV of the reference per band: band, count, population (isr)"
    )

    @field_validator("confidence")
    @classmethod
    def _fractions(cls, v: list[float]) -> list[float]:
        """95 and 0.95 both mean 95% (as PHE accepts)."""
        return [normalise_confidence(c) for c in v]


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
    for c in (cfg.age_band, cfg.standard, cfg.frequency):
        if c:
            cols.append(c)
    if cfg.frequency and cfg.method != "dsr":
        raise InputError("--frequency is for --method dsr", field=cfg.frequency)
    if not cfg.reference_file:
        cols += [c for c in (cfg.ref_count, cfg.ref_population) if c]
    for c in cols:
        if c not in df.columns:
            raise InputError(
                f"no column {c!r}; the file has {', '.join(map(str, df.columns))}",
                file=file,
                field=c,
            )
    if cfg.method in STANDARDISED and not cfg.age_band:
        raise InputError(f"--method {cfg.method} needs --age-band", file=file, field="age_band")
    if bool(cfg.ref_count) != bool(cfg.ref_population) and not cfg.reference_file:
        raise InputError("give both --ref-count and --ref-population", field="ref_count")
    if df.empty:
        raise InputError("the file has no rows", file=file)
    df = df.reset_index(drop=True)
    work = pd.DataFrame({"area": df[cfg.area].astype(str)})
    for b in cfg.by:
        work[b] = df[b].astype(str)
    work["x"] = _numeric(df, cfg.count, file)
    work["n"] = _numeric(df, cfg.population, file, allow_zero=cfg.method in STANDARDISED)
    keys = ["area", *cfg.by]
    if cfg.frequency:
        work["f"] = _numeric(df, cfg.frequency, file, allow_zero=False)
        work["persons"] = work["x"]
        work["x"] = work["x"] * work["f"]  # events
    mult = cfg.multiplier or DEFAULT_MULTIPLIER[cfg.method]
    if cfg.method == "proportion":
        over = work["x"] > work["n"]
        if over.any():
            i = int(np.flatnonzero(over.to_numpy())[0])
            raise InputError("count exceeds population", file=file, row=i + 2, field=cfg.count)
    total = work.groupby(keys, sort=True)[["x", "n"]].sum()
    out = total.reset_index().rename(columns={"x": "numerator", "n": "denominator"})
    out = out.rename(columns={"area": cfg.area})
    note = pd.Series([None] * len(out), dtype=object)
    if cfg.method in STANDARDISED:
        align = [*keys, "f"] if cfg.frequency else keys
        bands, per_band = _assign_bands(work, df, cfg, file, align)
        x, n, present = _band_matrices(work, keys, total.index, bands)
        if cfg.frequency:
            n = _once_per_band(work, keys, total.index, bands, cfg.population, file)
            out["denominator"] = n.sum(axis=1)
        # A DSR needs a population in every band it standardises over (PHE: n > 0);
        # an ISR may have empty bands (they expect nothing).
        empty = present & (n == 0)
        if cfg.method == "dsr" and empty.any():
            r, c = np.argwhere(empty)[0]
            what = "events but no population" if x[r, c] > 0 else "no population"
            raise InputError(
                f"{what} for area {_name(total.index[r])!r}, age band {bands[c]}",
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
            # As PHE: each area is standardised over the age bands it has rows for.
            std = np.where(present, per_band["std"], 0.0)
            if cfg.frequency:
                freqs = sorted(work["f"].unique())
                persons = np.array([
                    _band_matrices(work[work["f"] == f].assign(x=lambda t: t["persons"]),
                                   keys, total.index, bands)[0]
                    for f in freqs
                ])  # fmt: skip
                v, lo, hi = dsr_nonindependent(persons, freqs, np.where(present, n, 1.0), std,
                                               conf, mult)  # fmt: skip
            else:
                v, lo, hi = dobson_dsr(x, n, std, conf, mult)
            small = total["x"].to_numpy() < 10
            note = pd.Series(np.where(small, "dsr suppressed: fewer than 10 events", None))
        else:
            _require_all_bands(present, total.index, bands, file)
            res = indirect(
                total["x"].to_numpy(),
                n,
                per_band["ref_count"],
                per_band["ref_pop"],
                conf=conf,
                rate=cfg.method == "isr",
                refvalue=mult,
                multiplier=mult,
                bands=bands,
            )
            out["expected"] = res.expected
            if res.ref_rate is not None:
                out["ref_rate"] = res.ref_rate
            v, lo, hi = res.interval
            small = total["x"].to_numpy() < 10
            note = pd.Series(np.where(small, "exact Poisson limits (fewer than 10 events)", None))
        out["value"] = np.asarray(v, float)
        out[f"lower{lab}cl"] = np.asarray(lo, float)
        out[f"upper{lab}cl"] = np.asarray(hi, float)
    ref = per_band.get("source", "") if cfg.method in STANDARDISED else ""
    out["method"] = {
        "crude": f"crude rate per {mult:g}, Byar's (exact below 10)",
        "proportion": f"proportion x{mult:g}, Wilson score",
        "dsr": f"DSR per {mult:g}, {ref}, Dobson"
        + (", adjusted for non-independent events" if cfg.frequency else ""),
        "isr": f"ISR per {mult:g} (reference: {ref}), Byar's (exact below 10)",
        "isratio": f"ISRatio x{mult:g} (reference: {ref}), Byar's (exact below 10)",
    }[cfg.method]
    out["confidence"] = ", ".join(f"{c * 100:g}%" for c in cfg.confidence)
    out["note"] = note.to_numpy()
    return out


def _name(key) -> str:
    return " / ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _band_matrices(work: pd.DataFrame, keys: list[str], index, bands: list[str]):
    def pivot(col: str) -> np.ndarray:
        m = work.pivot_table(index=keys, columns="band", values=col, aggfunc="sum", fill_value=0)
        return m.reindex(index=index, columns=bands, fill_value=0).to_numpy(float)

    present = pivot("one") > 0
    return pivot("x"), pivot("n"), present


def _once_per_band(work, keys, index, bands, col: str, file: str | None) -> np.ndarray:
    """Populations when each band has one row per event frequency: the same on each."""
    g = work.groupby([*keys, "band"])["n"]
    spread = g.nunique()
    if (spread > 1).any():
        k = spread[spread > 1].index[0]
        raise InputError(
            f"area {_name(k[:-1] if len(k) > 2 else k[0])!r}, age band {k[-1]!r}: different "
            "populations on the rows of different event frequencies",
            file=file,
            field=col,
        )
    m = g.first().unstack("band")
    return m.reindex(index=index, columns=bands, fill_value=0).fillna(0).to_numpy(float)


def _require_all_bands(present: np.ndarray, index, bands: list[str], file: str | None) -> None:
    if present.all():
        return
    r, c = np.argwhere(~present)[0]
    raise InputError(
        f"area {_name(index[r])!r} has no row for reference age band {bands[c]!r}",
        file=file,
        field="age_band",
    )


def _read_side_file(path: str, what: str) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} file not found", file=str(p))
    try:
        t = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read as CSV: {e}", file=str(p)) from None
    if t.empty or t.shape[1] < 2:
        raise InputError(f"the {what} file needs a band column and values", file=str(p))
    return t


def _per_band_column(
    work: pd.DataFrame, df: pd.DataFrame, col: str, file: str | None, **kw
) -> pd.Series:
    """A value given on every row but belonging to the band (a standard or reference
    population): it must be the same on every row of a band."""
    s = pd.Series(_numeric(df, col, file, **kw).to_numpy(), index=work.index)
    spread = s.groupby(work["band"]).agg(["min", "max"])
    bad = spread[spread["min"] != spread["max"]]
    if len(bad):
        b = bad.index[0]
        rows = work.index[(work["band"] == b)]
        areas = work.loc[rows, "area"].unique()
        raise InputError(
            f"age band {b!r} has different values in different rows (areas "
            f"{', '.join(map(repr, areas[:3]))}); it must be one value per band",
            file=file,
            field=col,
        )
    return s.groupby(work["band"], sort=False).first()


def _assign_bands(work, df, cfg: RatesConfig, file, keys) -> tuple[list[str], dict]:
    """Set ``work.band`` (a label), and return the bands in order with the per-band
    standard populations (dsr) or reference counts and populations (isr, isratio)."""
    raw = df[cfg.age_band].tolist()
    work["one"] = 1.0
    side: StandardPopulation | None = None
    side_counts = None
    if cfg.method == "dsr" and not cfg.standard:
        if cfg.standard_file:
            t = _read_side_file(cfg.standard_file, "standard population")
            pops = _numeric(t, t.columns[1], cfg.standard_file)
            side = StandardPopulation(cfg.standard_file, tuple(t.iloc[:, 0]), tuple(pops))
        elif cfg.esp == "1976":
            side = ESP1976_STANDARD
        elif cfg.match == "label":
            # ESP 2013: single years of age and the split infant bands fold into its bands.
            work["band"] = [
                band_label(parse_band(v, file=file, row=i + 2)) for i, v in enumerate(raw)
            ]
            side = ESP2013_STANDARD
        else:
            side = ESP2013_STANDARD
    elif cfg.method != "dsr" and cfg.reference_file:
        t = _read_side_file(cfg.reference_file, "reference")
        cc, pc = cfg.ref_count or "count", cfg.ref_population or "population"
        for c in (cc, pc):
            if c not in t.columns:
                raise InputError(
                    f"no column {c!r} in the reference file; it has {', '.join(t.columns)}",
                    file=cfg.reference_file,
                    field=c,
                )
        pops = _numeric(t, pc, cfg.reference_file)
        side = StandardPopulation(cfg.reference_file, tuple(t.iloc[:, 0]), tuple(pops))
        side_counts = _numeric(t, cc, cfg.reference_file).to_numpy()
    if side is not None and "band" not in work:
        labels = [str(v) for v in raw]
        band = [""] * len(work)
        for key, rows in work.groupby(keys, sort=False).groups.items():
            pos = side.align([labels[i] for i in rows], match=cfg.match, area=_name(key))
            for i, p in zip(rows, pos, strict=True):
                band[i] = side.labels[p]
        work["band"] = band
    elif side is None:
        work["band"] = [band_key(v) for v in raw]
    if side is not None:
        bands = list(side.labels)
        if cfg.method == "dsr":
            return bands, {"std": side.weights, "source": side.name}
        return bands, {"ref_count": side_counts, "ref_pop": side.weights, "source": side.name}
    bands = list(dict.fromkeys(work["band"]))
    if cfg.method == "dsr":
        std = _per_band_column(work, df, cfg.standard, file).reindex(bands).to_numpy(float)
        return bands, {"std": std, "source": f"standard population {cfg.standard!r}"}
    if cfg.ref_count:
        rc = _per_band_column(work, df, cfg.ref_count, file).reindex(bands).to_numpy(float)
        rp = _per_band_column(work, df, cfg.ref_population, file, allow_zero=False)
        return bands, {
            "ref_count": rc,
            "ref_pop": rp.reindex(bands).to_numpy(float),
            "source": f"columns {cfg.ref_count!r} / {cfg.ref_population!r}",
        }
    by_band = work.groupby("band", sort=False)[["x", "n"]].sum().reindex(bands)
    return bands, {
        "ref_count": by_band["x"].to_numpy(float),
        "ref_pop": by_band["n"].to_numpy(float),
        "source": "all rows of the file",
    }


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

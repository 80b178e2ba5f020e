"""Life expectancy and inequality (SII) for the needs step, from `caremap.core.stats`.

Input is aggregated by `caremap.needs.counts.build_mortality`. Life expectancy (Chiang II,
Silcocks limits; `caremap.core.stats.life_expectancy`) pools the latest three periods of
deaths over the populations of those years, as Fingertips pools three years. The slope
index of inequality (`caremap.core.stats.sii`, PHE's method, 10,000 seeded simulations)
runs across the IMD deciles of each locality's, ICS's and region's small areas (decile 1 =
most deprived, so a positive SII means the indicator rises from most to least deprived):
of life expectancy at birth, and of the emergency admission DSR (log scale). An area whose
figure cannot be computed gets a row with no value and a note saying why, never silence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from caremap.core.errors import InputError
from caremap.core.stats import dobson_dsr
from caremap.core.stats.life_expectancy import LE_AGE_FROM, life_expectancy
from caremap.core.stats.sii import sii
from caremap.core.stats.standard_population import ESP2013, ESP2013_AGE_FROM
from caremap.needs.indicators import COLUMNS, nearest_year, period_label

DECILE_COLUMNS = ["indicator", "area_type", "area_code", "period", "decile", "numerator",
                  "denominator", "value", "lower", "upper", "se", "note"]  # fmt: skip
SII_SIMULATIONS = 10_000


def _pooled(deaths: pd.DataFrame, pop: pd.DataFrame, period_type: str):
    """Deaths of the latest (up to) three periods and the populations of their years."""
    periods = sorted(deaths["period"].dropna().astype(int).unique().tolist())[-3:]
    years = nearest_year(periods, sorted(pop["year"].unique().tolist()))
    d = deaths[deaths["period"].isin(periods)]
    p = pd.concat([pop[pop["year"] == years[q]] for q in periods], ignore_index=True)
    first, last = period_label(periods[0], period_type), period_label(periods[-1], period_type)
    label = first if first == last else f"{first} to {last}"
    return d, p, label


def _le_one(d: pd.DataFrame, p: pd.DataFrame, confidence: list[float], area: str):
    dd = d.groupby("age_from")["deaths"].sum().reindex(LE_AGE_FROM, fill_value=0)
    pp = p.groupby("age_from")["population"].sum().reindex(LE_AGE_FROM, fill_value=0)
    try:
        return life_expectancy(dd.to_numpy(float), pp.to_numpy(float), LE_AGE_FROM,
                               confidence=confidence, area=area), None  # fmt: skip
    except InputError as e:
        return None, f"not calculated: {e.detail}"


def life_expectancy_indicators(
    deaths: pd.DataFrame, pop: pd.DataFrame, confidence: list[float], period_type: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Life expectancy at birth and at 65 by geography (rows of ``needs_indicator``), and
    at birth by IMD decile within each locality, ICS and region (``needs_decile``)."""
    if deaths.empty:
        return pd.DataFrame(columns=COLUMNS), pd.DataFrame(columns=DECILE_COLUMNS)
    d, p, label = _pooled(deaths, pop, period_type)
    rows, by_decile = [], []
    keys = ["area_type", "area_code", "decile"]
    p = p.assign(decile=pd.to_numeric(p["decile"]).fillna(0).astype(int))
    d = d.assign(decile=pd.to_numeric(d["decile"]).fillna(0).astype(int))
    groups = dict(list(d.groupby(keys)))
    for (atype, code, dec), pg in p.groupby(keys):
        dg = groups.get((atype, code, dec), d.iloc[:0])
        r, why = _le_one(dg, pg, confidence, f"{code}" + (f" decile {dec}" if dec else ""))
        for conf in confidence:
            for age, ind in ((0, "life_expectancy_birth"), (65, "life_expectancy_65")):
                if dec and age:
                    continue
                i = LE_AGE_FROM.index(age)
                row = dict(indicator=ind, area_type=atype, area_code=code, period=label,
                           numerator=float(dg[dg["age_from"] >= age]["deaths"].sum()),
                           denominator=float(pg[pg["age_from"] >= age]["population"].sum()),
                           value=np.nan, lower=np.nan, upper=np.nan, note=why)  # fmt: skip
                if r is not None:
                    row.update(value=r.value[i], lower=r.lower[conf][i], upper=r.upper[conf][i],
                               note=r.note, se=r.se[i])  # fmt: skip
                if dec:
                    if conf == confidence[0]:
                        by_decile.append({**row, "decile": dec})
                    continue
                rows.append({**row, "method": "Chiang II, Silcocks limits (years)",
                             "confidence": conf})  # fmt: skip
    le = pd.DataFrame(rows).reindex(columns=COLUMNS)
    return le, pd.DataFrame(by_decile).reindex(columns=DECILE_COLUMNS)


def mortality_tables(
    ws, confidence: list[float], multiplier: float, period_type: str, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Life expectancy and SII rows for needs_indicator, and the needs_decile table, from
    the working tables of `caremap.needs.counts.build_mortality`."""
    le, dec = life_expectancy_indicators(
        ws.df("SELECT * FROM needs_deaths"), ws.df("SELECT * FROM needs_pop_le"), confidence,
        period_type,
    )  # fmt: skip
    parts = [dec[dec["area_type"] != "small_area"]]
    if ws.has_table("needs_events_decile"):
        parts.append(
            rate_by_decile(
                ws.df("SELECT * FROM needs_events_decile"),
                ws.df("SELECT * FROM needs_pop_decile"),
                "emergency_admissions",
                multiplier,
                period_type,
            )
        )
    decile = pd.concat([x for x in parts if len(x)], ignore_index=True)
    decile = decile.reindex(columns=DECILE_COLUMNS) if len(decile) else dec.iloc[:0]
    rows = pd.concat([le, sii_indicators(decile, confidence, seed)], ignore_index=True)
    return rows, decile


def rate_by_decile(
    events: pd.DataFrame, pop: pd.DataFrame, indicator: str, multiplier: float, period_type: str
) -> pd.DataFrame:
    """DSRs (ESP 2013, Dobson 95% limits) by IMD decile within each area, latest period."""
    e = events[events["indicator"] == indicator]
    if e.empty:
        return pd.DataFrame(columns=DECILE_COLUMNS)
    period = int(e["period"].max())
    year = nearest_year([period], sorted(pop["year"].unique().tolist()))[period]
    e = e[e["period"] == period]
    p = pop[pop["year"] == year]
    keys = ["area_type", "area_code", "decile"]
    xm = e.pivot_table(index=keys, columns="age_from", values="events", aggfunc="sum",
                       fill_value=0)  # fmt: skip
    nm = p.pivot_table(index=keys, columns="age_from", values="population", aggfunc="sum",
                       fill_value=0)  # fmt: skip
    xm = xm.reindex(index=nm.index, columns=list(ESP2013_AGE_FROM), fill_value=0)
    nm = nm.reindex(columns=list(ESP2013_AGE_FROM), fill_value=0)
    x, n = xm.to_numpy(float), nm.to_numpy(float)
    bad = ((n == 0) & (x > 0)).any(axis=1)
    r = dobson_dsr(np.where(bad[:, None], 0, x), np.maximum(n, np.where(bad[:, None], 1, 0)),
                   ESP2013, 0.95, multiplier)  # fmt: skip
    v, lo, hi = (np.where(bad, np.nan, np.asarray(a, float)) for a in r)
    note = np.where(bad, "events in an age band with no population",
                    np.where(np.isnan(v), "suppressed: fewer than 10 events", None))  # fmt: skip
    idx = nm.index
    return pd.DataFrame({
        "indicator": f"dsr_{indicator}", "area_type": idx.get_level_values(0),
        "area_code": idx.get_level_values(1), "period": period_label(period, period_type),
        "decile": idx.get_level_values(2).astype(int), "numerator": x.sum(axis=1),
        "denominator": n.sum(axis=1), "value": v, "lower": lo, "upper": hi, "note": note,
    })  # fmt: skip


def sii_indicators(decile: pd.DataFrame, confidence: list[float], seed: int) -> pd.DataFrame:
    """The SII across deciles of each area and decile indicator (rows of needs_indicator)."""
    out = []
    for (ind, atype, code, period), g in decile.groupby(
        ["indicator", "area_type", "area_code", "period"]
    ):
        g = g.sort_values("decile")
        base = dict(indicator=f"sii_{ind}", area_type=atype, area_code=code, period=period,
                    numerator=float(len(g)), denominator=float(g["denominator"].sum()))  # fmt: skip
        why = None
        if len(g) < 5:
            why = f"not calculated: {len(g)} deprivation deciles present (5 needed)"
        elif g["value"].isna().any():
            first = int(g.loc[g["value"].isna(), "decile"].iloc[0])
            why = f"not calculated: no value for decile {first}"
        rate = not ind.startswith("life_expectancy")
        res = None
        if why is None:
            kw = dict(value=g["value"], confidence=tuple(confidence),
                      repetitions=SII_SIMULATIONS, seed=seed, area=str(code))  # fmt: skip
            if rate:
                kw.update(lower=g["lower"], upper=g["upper"], value_type=1)
            else:
                kw.update(se=g["se"], value_type=0)
            try:
                res = sii(g["decile"], g["denominator"], **kw)
            except InputError as e:
                why = f"not calculated: {e.detail}"
        unit = "per 100,000 (DSR, log scale)" if rate else "years"
        for conf in confidence:
            row = dict(base, value=np.nan, lower=np.nan, upper=np.nan, note=why,
                       method=f"SII across IMD deciles, {unit}; PHE simulation "
                       f"({SII_SIMULATIONS:,} draws, seed {seed})", confidence=conf)  # fmt: skip
            if res is not None:
                lo, hi = res.sii_limits[conf]
                row.update(value=res.sii, lower=lo, upper=hi, note=f"RII {res.rii:.3f}")
            out.append(row)
    return pd.DataFrame(out).reindex(columns=COLUMNS) if out else pd.DataFrame(columns=COLUMNS)

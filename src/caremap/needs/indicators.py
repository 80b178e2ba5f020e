"""The statistical half of needs assessment: rates, DSRs, ISRs and proportions on aggregates.

Input is already aggregated (area x period x age band); the interval maths is vectorised
NumPy from `caremap.core.stats`: crude rates with Byar's limits (exact Poisson below 10
events), DSRs on the European Standard Population 2013 with Dobson limits (suppressed below
10 events, as PHE does), ISRs against the age-specific rates of all areas together (Byar's,
exact below 10), and proportions with Wilson score limits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from caremap.core.stats import byars, crude_rate, dobson_dsr, isr, wilson
from caremap.core.stats.standard_population import ESP2013, ESP2013_AGE_FROM

COLUMNS = [
    "indicator",
    "area_type",
    "area_code",
    "period",
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
    "method",
    "confidence",
    "note",
]
KEY = ["area_type", "area_code"]


def _band_matrix(df: pd.DataFrame, index: list[str], value: str) -> pd.DataFrame:
    m = df.pivot_table(index=index, columns="age_from", values=value, aggfunc="sum", fill_value=0)
    return m.reindex(columns=list(ESP2013_AGE_FROM), fill_value=0)


def nearest_year(periods: list[int], years: list[int]) -> dict[int, int]:
    """For each period, the population year to use: the same year, else the nearest one."""
    ys = sorted(years)
    return {p: min(ys, key=lambda y: (abs(y - p), -y)) for p in periods}


def event_indicators(
    counts: pd.DataFrame,
    pop: pd.DataFrame,
    confidence: list[float],
    multiplier: float,
    suppress_below: int,
    coverage: dict[str, tuple] | None = None,
    period_type: str = "financial",
    reference: np.ndarray | None = None,
) -> pd.DataFrame:
    """Counts, crude rates, DSRs and ISRs for event indicators at every geography.

    ``counts``: indicator, area_type, area_code, period, age_from (NaN = age unknown), events.
    ``pop``: area_type, area_code, year, age_from, population. ``coverage`` gives each
    indicator's first and last event date, so rows for a partly covered year say so.
    ``reference``: age-specific reference rates per ESP 2013 band (e.g. England's, from
    `read_reference`) for the ISRs; default the rates of the widest geography present.
    """
    if counts.empty:
        return pd.DataFrame(columns=COLUMNS)
    years = sorted(pop["year"].unique().tolist())
    periods = sorted(counts["period"].dropna().unique().astype(int).tolist())
    year_of = nearest_year(periods, years)
    out = []
    for (indicator, period), c in counts.groupby(["indicator", "period"], sort=True):
        year = year_of[int(period)]
        p = pop[pop["year"] == year]
        pm = _band_matrix(p, KEY, "population")
        total_events = c.groupby(KEY)["events"].sum()
        unknown_age = c[c["age_from"].isna()].groupby(KEY)["events"].sum()
        cm = _band_matrix(c.dropna(subset=["age_from"]), KEY, "events")
        # Every area with a population gets a row, including areas with no events.
        idx = pm.index.union(cm.index)
        pm = pm.reindex(idx, fill_value=0)
        cm = cm.reindex(idx, fill_value=0)
        obs = total_events.reindex(idx, fill_value=0).to_numpy(float)
        unk = unknown_age.reindex(idx, fill_value=0).to_numpy(float)
        denom = pm.sum(axis=1).to_numpy(float)
        x, n = cm.to_numpy(float), pm.to_numpy(float)
        bad_band = ((n == 0) & (x > 0)).any(axis=1)
        # Reference age-specific rates: all areas of the widest geography together.
        top = [
            t for t in ("region", "ics", "locality", "small_area") if t in idx.get_level_values(0)
        ]
        ref_mask = idx.get_level_values(0) == top[0]
        ref_rate = x[ref_mask].sum(axis=0) / np.where(
            n[ref_mask].sum(axis=0) > 0, n[ref_mask].sum(axis=0), 1
        )
        ref_name = f"all {top[0]}s"
        if reference is not None:
            ref_rate, ref_name = reference, "supplied reference"
        expected = (n * ref_rate).sum(axis=1)
        obs_known = x.sum(axis=1)
        base = pd.DataFrame(
            {
                "indicator": indicator,
                "area_type": idx.get_level_values(0),
                "area_code": idx.get_level_values(1),
                "period": period_label(int(period), period_type),
            }
        )
        age_note = np.where(unk > 0, [f"{int(u)} events of unknown age excluded" for u in unk], "")
        no_pop = denom <= 0
        period_note = _period_note(int(period), year, (coverage or {}).get(indicator), period_type)
        start = len(out)
        for conf in confidence:
            lo, hi = byars(obs, conf, exact_below=10)
            out.append(_frame(base, obs, denom, obs, lo, hi, "count", conf, ""))
            safe = np.where(no_pop, 1.0, denom)
            r = crude_rate(obs, safe, conf, multiplier)
            note = np.where(no_pop, "no population", "")
            out.append(
                _frame(
                    base,
                    obs,
                    denom,
                    *_mask(r, no_pop),
                    f"crude_rate per {multiplier:g}",
                    conf,
                    note,
                )
            )
            ok = ~bad_band & ~no_pop
            safe_n = np.where(ok[:, None], n, np.maximum(n, 1))
            d = dobson_dsr(
                np.where(ok[:, None], x, 0), safe_n, ESP2013, conf, multiplier, suppress_below
            )
            dnote = np.where(
                ~ok,
                "not calculated: events in an age band with no population",
                np.where(
                    obs_known < suppress_below,
                    f"suppressed: fewer than {suppress_below} events",
                    "",
                ),
            )
            dnote = _join(dnote, age_note)
            out.append(
                _frame(
                    base,
                    obs_known,
                    denom,
                    *_mask(d, ~ok),
                    f"dsr per {multiplier:g} (ESP 2013)",
                    conf,
                    dnote,
                )
            )
            has_e = expected > 0
            i = isr(obs_known, np.where(has_e, expected, 1.0), conf, reference=100)
            inote = _join(np.where(has_e, "", "no expected events"), age_note)
            ival = _mask(i, ~has_e)
            out.append(
                _frame(
                    base,
                    obs_known,
                    expected,
                    *ival,
                    f"isr x100 (reference: {ref_name})",
                    conf,
                    inote,
                )
            )
        if period_note:
            for f in out[start:]:
                f["note"] = [period_note if n is None else f"{n}; {period_note}" for n in f["note"]]
    return pd.concat(out, ignore_index=True)[COLUMNS]


def read_reference(path) -> np.ndarray:
    """Reference rates per ESP 2013 band from a CSV: band label (first column; ESP 2013
    labels, caremap's 0 and 1-4, or single years), ``count``, ``population``. Every band must
    be present, with a population above zero; errors name the file, row, band and field."""
    from caremap.core.errors import InputError
    from caremap.core.stats.standard_population import ESP2013_LABELS, parse_band

    f = str(path)
    try:
        t = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read the ISR reference: {e}", file=f) from None
    for c in ("count", "population"):
        if c not in t.columns:
            raise InputError(f"no column {c!r} in the ISR reference", file=f, field=c)
    counts = np.zeros(len(ESP2013_AGE_FROM))
    pops = np.zeros(len(ESP2013_AGE_FROM))
    for i, row in enumerate(t.itertuples(index=False), start=2):
        b = ESP2013_AGE_FROM.index(parse_band(row[0], file=f, row=i))
        for c, arr in (("count", counts), ("population", pops)):
            try:
                v = float(getattr(row, c))
            except ValueError:
                raise InputError(f"{getattr(row, c)!r} is not a number", file=f, row=i,
                                 field=c) from None  # fmt: skip
            if v < 0:
                raise InputError(f"{v:g} is negative", file=f, row=i, field=c)
            arr[b] += v
    for b, lab in enumerate(ESP2013_LABELS):
        if pops[b] <= 0:
            raise InputError(f"age band {lab}: no reference population", file=f,
                             field="population")  # fmt: skip
    return counts / pops


def period_label(period: int, period_type: str) -> str:
    """'2024' for a calendar year, '2024/25' for an NHS financial year."""
    return f"{period}/{(period + 1) % 100:02d}" if period_type == "financial" else str(period)


def _period_note(period: int, pop_year: int, span: tuple | None, period_type: str) -> str:
    notes = []
    if period_type == "financial":
        start, end = pd.Timestamp(period, 4, 1), pd.Timestamp(period + 1, 3, 31)
    else:
        start, end = pd.Timestamp(period, 1, 1), pd.Timestamp(period, 12, 31)
    if span is not None and span[0] is not None:
        first, last = pd.Timestamp(span[0]), pd.Timestamp(span[1])
        if first > start or last < end:
            lo = max(first, start).date()
            hi = min(last, end).date()
            notes.append(f"partial period: events from {lo} to {hi}")
    if pop_year != period:
        notes.append(f"population of {pop_year} (nearest year available)")
    return "; ".join(notes)


def prevalence_indicators(
    prev: pd.DataFrame, confidence: list[float], multiplier: float, period: str
) -> pd.DataFrame:
    """Prevalence (%) of each long-term condition with Wilson limits at every geography.

    ``prev``: area_type, area_code, condition, people ('*' = registered population).
    """
    if prev.empty:
        return pd.DataFrame(columns=COLUMNS)
    reg = prev[prev["condition"] == "*"].set_index(KEY)["people"]
    cond = prev[prev["condition"] != "*"]
    conditions = sorted(cond["condition"].unique().tolist())
    out = []
    for c in conditions:
        num = cond[cond["condition"] == c].set_index(KEY)["people"].reindex(reg.index, fill_value=0)
        x, n = num.to_numpy(float), reg.to_numpy(float)
        base = pd.DataFrame(
            {
                "indicator": f"prevalence_{c}",
                "area_type": reg.index.get_level_values(0),
                "area_code": reg.index.get_level_values(1),
                "period": period,
            }
        )
        for conf in confidence:
            lo, hi = wilson(x, n, conf)
            out.append(
                _frame(
                    base,
                    x,
                    n,
                    x / n * multiplier,
                    np.asarray(lo) * multiplier,
                    np.asarray(hi) * multiplier,
                    "proportion % (Wilson)",
                    conf,
                    "denominator: GP-registered people",
                )
            )
    return pd.concat(out, ignore_index=True)[COLUMNS] if out else pd.DataFrame(columns=COLUMNS)


def _mask(r, mask: np.ndarray):
    v, lo, hi = (np.asarray(a, dtype=float) for a in r)
    return np.where(mask, np.nan, v), np.where(mask, np.nan, lo), np.where(mask, np.nan, hi)


def _join(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    both = (a != "") & (b != "")
    return np.where(both, a + "; " + b, np.where(a != "", a, b))


def _frame(base, num, den, value, lower, upper, method, conf, note) -> pd.DataFrame:
    f = base.copy()
    f["numerator"] = np.asarray(num, dtype=float)
    f["denominator"] = np.asarray(den, dtype=float)
    f["value"] = np.asarray(value, dtype=float)
    f["lower"] = np.asarray(lower, dtype=float)
    f["upper"] = np.asarray(upper, dtype=float)
    f["method"] = method
    f["confidence"] = float(conf)
    note = np.broadcast_to(np.asarray(note, dtype=object), (len(f),))
    f["note"] = np.where(note == "", None, note)
    return f

"""Benchmark: funnels over all trusts of the real A&E data (4-hour breaches, 2016-19).

Target (issue 6): funnels over all trusts in well under a second. FunnelPlotR (R) cannot
run here (no R, CRAN unreachable), so the peer measured in the same run is a plain Python
implementation that handles one trust at a time (a loop calling SciPy per unit for the
exact binomial limits), as an analyst porting FunnelPlotR line by line would write it.
Both compute the same target, overdispersion and limits; the script checks they agree.

    .venv/bin/python benchmarks/funnel.py [--repeat 5] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from caremap.performance.funnel import FunnelConfig, funnel_frame


def peer(df: pd.DataFrame) -> pd.DataFrame:
    o, n = df["breaches"].to_numpy(float), df["attendances"].to_numpy(float)
    target = o.sum() / n.sum()
    t = np.arcsin(np.sqrt(target))
    z = []
    for oi, ni in zip(o, n, strict=True):
        z.append((np.arcsin(np.sqrt(oi / ni)) - t) * 2 * np.sqrt(ni))
    z = np.array(z)
    lo_q, hi_q = np.quantile(z, [0.1, 0.9])
    zw = np.clip(z, lo_q, hi_q)
    phi = (zw**2).mean()
    w = 4 * n
    k = len(n)
    tau2 = max(0.0, (k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    rows = []
    for ni in n:
        half95 = 1.959964 * np.sqrt(1 / (4 * ni) + tau2)
        half998 = 3.090232 * np.sqrt(1 / (4 * ni) + tau2)
        r = stats.binom.ppf(0.975, int(ni), target)
        rows.append(
            {
                "lower95": np.sin(max(t - half95, 0)) ** 2,
                "upper95": np.sin(t + half95) ** 2,
                "lower998": np.sin(max(t - half998, 0)) ** 2,
                "upper998": np.sin(t + half998) ** 2,
                "binomial_upper95": r / ni,
            }
        )
    return pd.DataFrame(rows)


def best(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
    a = ap.parse_args()
    ae = pd.read_csv(a.data / "nhs-open" / "ae_attendances.csv")
    df = ae.groupby("org_code", as_index=False)[["attendances", "breaches"]].sum()
    df = df[df.attendances > 0].reset_index(drop=True)
    base = dict(
        unit="org_code", numerator="breaches", denominator="attendances", higher_is_better=False
    )
    t_fast, (_u0, _) = best(
        lambda: funnel_frame(df, FunnelConfig(**base, rank_simulations=0)), a.repeat
    )
    t_full, (u1, s1) = best(lambda: funnel_frame(df, FunnelConfig(**base)), a.repeat)
    t_peer, p = best(lambda: peer(df), a.repeat)
    agree = np.allclose(u1["upper998"], p["upper998"], rtol=1e-5)
    print(f"Funnel over {len(df)} trusts (4-hour breaches as a proportion, 2016-19)")
    print(f"  caremap: limits, phi, tau2, z, FDR                 {t_fast * 1000:8.1f} ms")
    print(f"  caremap: + 1,000-draw rank intervals, evidence     {t_full * 1000:8.1f} ms")
    print(f"  peer: per-trust loop (SciPy per unit), no ranks    {t_peer * 1000:8.1f} ms")
    print(
        f"  phi {s1['phi'].iloc[0]:.1f}, tau2 {s1['tau2'].iloc[0]:.5f}; "
        f"99.8% limits agree with the peer: {agree}"
    )


if __name__ == "__main__":
    main()

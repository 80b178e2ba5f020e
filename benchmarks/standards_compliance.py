"""Benchmark: national compliance and risk-adjusted outcomes, beside a pandas reference.

No open tool checks providers against service specifications (issue 7), so the peer is what
an analyst would otherwise write: pandas group-bys for the same trauma criteria and a
scikit-learn logistic regression on person-level rows for expected deaths, on the same data
held in memory. The script checks that both give the same criterion values and expected
deaths. Data: a national-scale trauma audit (default 600,000 patient arrivals at 180
hospitals over three years, about England's TARN volume) generated here.

    .venv/bin/python benchmarks/standards_compliance.py [--patients 600000] [--sites 180]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa


def make(n: int, sites: int, seed: int) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    codes = [f"S{k:03d}" for k in range(sites)]
    site = rng.integers(0, sites, n)
    iss = rng.choice([4, 9, 10, 13, 17, 25, 34, 50], n)
    gcs = np.where(rng.random(n) < 0.15, rng.integers(3, 13, n), rng.integers(13, 16, n))
    age = rng.integers(1, 99, n)
    t = np.datetime64("2022-04-01T00:00") + rng.integers(0, 1095 * 24 * 60, n).astype(
        "timedelta64[m]"
    )
    ct = np.where(rng.random(n) < 0.9, np.round(rng.gamma(2, 18, n), 1), np.nan)
    lp = -7.5 + 0.045 * age + 0.07 * iss + 0.25 * (15 - gcs)
    trauma = pa.table({
        "process_id": pa.array(np.char.add("P", np.arange(n).astype(str))),
        "site_code": pa.array(np.array(codes)[site]), "arrival_time": pa.array(t.astype("datetime64[us]")),
        "age": pa.array(age.astype(np.int32)), "sex": pa.array(rng.choice(["M", "F"], n)),
        "iss": pa.array(iss.astype(np.int32)), "gcs": pa.array(gcs.astype(np.int32)),
        "trauma_team_consultant": pa.array(rng.random(n) < 0.85),
        "ct_minutes": pa.array(ct, from_pandas=True),
        "airway_needed": pa.array(gcs <= 8), "airway_minutes": pa.array(
            np.where(gcs <= 8, np.round(rng.gamma(2, 8, n), 1), np.nan), from_pandas=True),
        "txa_needed": pa.array(iss > 15), "txa_minutes": pa.array(
            np.where(iss > 15, np.round(rng.gamma(3, 25, n), 1), np.nan), from_pandas=True),
        "rehab_prescription": pa.array(rng.random(n) < 0.9),
        "transferred_to_mtc": pa.array(np.zeros(n, bool)),
        "transfer_minutes": pa.array(np.full(n, np.nan), from_pandas=True),
        "died_30d": pa.array(rng.random(n) < 1 / (1 + np.exp(-lp))),
    })  # fmt: skip
    site_t = pa.table({
        "site_code": codes, "site_name": codes, "provider_code": codes,
        "site_type": ["acute_hospital"] * sites, "area_code": [None] * sites,
    })  # fmt: skip
    cap = pa.table({"site_code": codes, "capability": ["major_trauma_centre"] * sites})
    return {"trauma_process": trauma, "site": site_t, "site_capability": cap}


def peer(df: pd.DataFrame, start: datetime, end: datetime) -> tuple[float, pd.DataFrame, float]:
    from sklearn.linear_model import LogisticRegression

    t0 = time.perf_counter()
    p = df[(df.arrival_time >= start) & (df.arrival_time < end)]
    out = {}
    major = p[p.iss > 15]
    out["consultant_trauma_team"] = major.groupby("site_code").trauma_team_consultant.mean()
    g = p[p.gcs < 13]
    out["ct_reduced_consciousness"] = (g.ct_minutes <= 60).groupby(g.site_code).mean()
    a = p[p.airway_needed]
    out["definitive_airway"] = (a.airway_minutes <= 30).groupby(a.site_code).mean()
    x = p[p.txa_needed]
    out["tranexamic_acid"] = (x.txa_minutes <= 180).groupby(x.site_code).mean()
    r = p[p.iss > 8]
    out["rehabilitation_prescription"] = r.groupby("site_code").rehab_prescription.mean()
    out["annual_volume"] = major.groupby("site_code").size() / 1.0
    values = pd.DataFrame(out)
    # expected deaths: person-level logistic model, 36 months
    c = df[(df.iss > 8) & (df.arrival_time < end)]
    age, iss = c.age / 10, c.iss / 10
    X = np.c_[age, age**2, iss, iss**2, c.gcs <= 8, (c.gcs >= 9) & (c.gcs <= 12), c.sex == "F"]
    m = LogisticRegression(C=np.inf, max_iter=1000).fit(X, c.died_30d)
    expected = m.predict_proba(X)[:, 1].sum()
    return time.perf_counter() - t0, values, expected


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=600_000)
    ap.add_argument("--sites", type=int, default=180)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    from caremap.core.workspace import open_workspace
    from caremap.standards.compliance import ComplianceConfig, evaluate_compliance
    from caremap.standards.outcomes import OutcomeConfig, trauma_mortality

    tables = make(a.patients, a.sites, a.seed)
    as_of = date(2025, 4, 1)
    with tempfile.TemporaryDirectory() as d, open_workspace(Path(d) / "s.duckdb") as ws:
        for k, v in tables.items():
            ws.write_table(k, v)
        t0 = time.perf_counter()
        comp = evaluate_compliance(ws, ComplianceConfig(as_of=as_of))
        t1 = time.perf_counter()
        out = trauma_mortality(ws, OutcomeConfig(as_of=as_of))
        t2 = time.perf_counter()
        ours = ws.df("SELECT site_code, criterion_id, value FROM standards_compliance").pivot(
            index="site_code", columns="criterion_id", values="value"
        )
        ours_e = ws.scalar("SELECT sum(expected) FROM standards_outcome")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    df = tables["trauma_process"].to_pandas()
    peer_s, theirs, peer_e = peer(df, datetime(2024, 4, 1), datetime(2025, 4, 1))
    cols = list(theirs.columns)
    diff = (ours[cols].sort_index() - theirs.sort_index()).abs().max().max()
    print(f"patients: {a.patients:,}, sites: {a.sites}")
    print(f"ours: compliance {t1 - t0:.2f} s ({comp.assessments:,} assessments), outcomes "
          f"{t2 - t1:.2f} s ({out.patients:,} patients), total {t2 - t0:.2f} s; "
          f"peak RSS so far {rss:,.0f} MB")  # fmt: skip
    print(f"peer (pandas group-bys + sklearn person-level logistic): {peer_s:.2f} s")
    print(f"largest difference in criterion values: {diff:.2e}; expected deaths ours "
          f"{ours_e:,.2f} vs peer {peer_e:,.2f}")  # fmt: skip


if __name__ == "__main__":
    main()

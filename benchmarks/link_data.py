"""Synthetic economies for the linkage benchmarks: generate once, ingest only what linkage
reads (source_record, postcode, truth.record_person) into a DuckDB workspace.

Usage: python benchmarks/link_data.py POPULATION SEED [SEED ...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

CACHE = Path("/tmp/caremap-link-bench-v2")


def economy_workspace(population: int, seed: int, nhs_other: float | None = None) -> Path:
    """Path of a DuckDB workspace holding the economy's linkage inputs (built if missing),
    with the default identity noise, or ``nhs_other`` as the share of records holding
    another person's valid NHS number."""
    from caremap.core.ingest import ingest_path
    from caremap.core.workspace import open_workspace
    from caremap.synth import NoiseConfig, SynthConfig, generate

    tag = "" if nhs_other is None else f"_other{nhs_other:g}"
    out = CACHE / f"economy_{population}_{seed}{tag}"
    ws_path = CACHE / f"ws_{population}_{seed}{tag}.duckdb"
    if ws_path.exists():
        return ws_path
    if not (out / "truth" / "record_person.parquet").exists():
        cfg = SynthConfig()
        if nhs_other is not None:
            cfg = SynthConfig(noise=NoiseConfig(nhs_other_person=nhs_other))
        generate(population=population, seed=seed, out_dir=out, run_extensions=False, config=cfg)
    tmp = ws_path.with_suffix(".partial")
    tmp.unlink(missing_ok=True)
    with open_workspace(tmp, memory_limit="2GB") as ws:
        for f in sorted(out.glob("source_record*.parquet")):
            ingest_path(ws, f)
        ingest_path(ws, out / "postcode.parquet")
        ingest_path(ws, out / "truth" / "record_person.parquet")
    tmp.rename(ws_path)
    return ws_path


if __name__ == "__main__":
    pop = int(sys.argv[1])
    for s in sys.argv[2:]:
        t = time.perf_counter()
        p = economy_workspace(pop, int(s))
        print(f"{p} ready in {time.perf_counter() - t:.0f} s", flush=True)

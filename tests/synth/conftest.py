"""Fixtures for the synthetic economy's tests: a 20,000-person economy and SQL over extracts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest


def extracts_db(folder: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per extract table (``truth.x`` as ``truth_x``)."""
    con = duckdb.connect()
    names: dict[str, list[str]] = {}
    for f in sorted(folder.rglob("*.parquet")):
        base = f.name.split("__")[0].split(".")[0]
        view = f"truth_{base}" if f.parent.name == "truth" else base
        names.setdefault(view, []).append(str(f))
    for view, files in names.items():
        con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet({files!r})")
    return con


@pytest.fixture(scope="session")
def economy20k(tmp_path_factory) -> Path:
    """A 20,000-person base economy (seed 11, no extensions): big enough for rates."""
    from caremap.synth import generate

    out = tmp_path_factory.mktemp("economy20k")
    generate(population=20_000, seed=11, out_dir=out, run_extensions=False)
    return out


@pytest.fixture(scope="session")
def db20k(economy20k) -> duckdb.DuckDBPyConnection:
    return extracts_db(economy20k)


@pytest.fixture(scope="session")
def db5k(economy_dir) -> duckdb.DuckDBPyConnection:
    return extracts_db(economy_dir)

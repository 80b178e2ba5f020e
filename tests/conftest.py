"""Test taxonomy and shared fixtures.

Every test module declares exactly one kind with ``pytestmark = pytest.mark.<kind>``:

* unit: a function or class on small in-memory input;
* spec: a published worked example, or a table of input and expected output;
* engine: the same step on DuckDB and Spark, compared (skips without Java);
* integration: several steps through a workspace;
* acceptance: the command line or the app, end to end.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

KINDS = ("unit", "spec", "engine", "integration", "acceptance")
REPO = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config, items):
    bad = []
    for item in items:
        kinds = [m.name for m in item.iter_markers() if m.name in KINDS]
        if len(set(kinds)) != 1:
            bad.append(f"{item.nodeid}: {sorted(set(kinds)) or 'no kind'}")
        if "engine" in kinds and not _java():
            item.add_marker(
                pytest.mark.skip(reason="Spark engine tests need Java 17+ (no `java` found)")
            )
    if bad:
        raise pytest.UsageError(
            "each test needs exactly one kind marker (" + ", ".join(KINDS) + "):\n" + "\n".join(bad)
        )


def _java() -> bool:
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real open data beside the checkout (``../shared/data``); skips when absent."""
    path = Path(os.environ.get("CAREMAP_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path


@pytest.fixture
def ws(tmp_path):
    """An empty DuckDB workspace."""
    from caremap.core.workspace import open_workspace

    w = open_workspace(tmp_path / "ws.duckdb", memory_limit="1GB")
    yield w
    w.close()


@pytest.fixture(scope="session")
def economy_dir(tmp_path_factory) -> Path:
    """Extracts of a small synthetic economy (5,000 people, seed 7), made once per run."""
    from caremap.synth import generate

    out = tmp_path_factory.mktemp("economy")
    generate(population=5_000, seed=7, out_dir=out)
    return out


@pytest.fixture(scope="session")
def economy_ws_path(economy_dir, tmp_path_factory) -> Path:
    """A DuckDB workspace with the small economy ingested. Copy it before writing to it."""
    from caremap.core.ingest import ingest_path
    from caremap.core.workspace import open_workspace

    path = tmp_path_factory.mktemp("economy_ws") / "economy.duckdb"
    with open_workspace(path, memory_limit="1GB") as w:
        ingest_path(w, economy_dir)
    return path


@pytest.fixture
def economy_ws(economy_ws_path, tmp_path):
    """A private, writable copy of the small-economy workspace."""
    from caremap.core.workspace import open_workspace

    path = tmp_path / "economy.duckdb"
    shutil.copy(economy_ws_path, path)
    w = open_workspace(path, memory_limit="1GB")
    yield w
    w.close()

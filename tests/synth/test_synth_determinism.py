"""The same seed gives the same economy, row for row; another seed gives another."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from caremap.synth import generate

pytestmark = pytest.mark.integration


def _tables(folder):
    return {p.relative_to(folder): pq.read_table(p) for p in sorted(folder.rglob("*.parquet"))}


def test_same_seed_same_rows_other_seed_other_rows(tmp_path):
    a = _tables(generate(1000, 42, tmp_path / "a").out_dir)
    b = _tables(generate(1000, 42, tmp_path / "b").out_dir)
    c = _tables(generate(1000, 43, tmp_path / "c", run_extensions=False).out_dir)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].equals(b[name]), name
    person = a[next(k for k in a if k.as_posix() == "truth/person.parquet")]
    other = c[next(k for k in c if k.as_posix() == "truth/person.parquet")]
    assert not person.equals(other)


def test_the_start_date_and_years_shape_the_activity(tmp_path):
    from datetime import date

    s = generate(800, 1, tmp_path / "d", start_date=date(2020, 1, 1), years=2,
                 run_extensions=False)  # fmt: skip
    act = pq.read_table(sorted(s.out_dir.glob("activity__*.parquet")), columns=["start_date"])
    dates = act["start_date"].to_pylist()
    assert min(dates) >= date(2020, 1, 1) and max(dates) <= date(2021, 12, 31)
    assert s.end_date == date(2021, 12, 31)
    risk = pq.read_table(s.out_dir / "truth" / "risk.parquet")
    assert sorted(set(risk["year"].to_pylist())) == [2020, 2021]


def test_a_second_run_replaces_the_first_and_leaves_other_files(tmp_path):
    out = tmp_path / "x"
    generate(600, 1, out, years=2, run_extensions=False)
    (out / "notes.txt").write_text("mine")
    (out / "other.parquet").write_bytes(b"not a caremap table")
    generate(600, 1, out, years=1, run_extensions=False)
    parts = sorted(p.name for p in out.glob("activity__*.parquet"))
    assert parts and all(p.endswith("_2022.parquet") for p in parts)
    assert (out / "notes.txt").exists() and (out / "other.parquet").exists()

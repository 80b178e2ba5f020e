"""Building localities: contiguous, inside one ICS, balanced and reproducible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from caremap.core.errors import InputError
from caremap.needs.localities import build_localities, compactness, contiguity_edges, summarise

pytestmark = pytest.mark.unit


def _areas(n=300, seed=5):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "area_code": [f"A{i:04d}" for i in range(n)],
            "ics_code": np.where(np.arange(n) < n * 2 // 3, "I1", "I2"),
            "easting": rng.uniform(0, 40_000, n),
            "northing": rng.uniform(0, 40_000, n),
            "population": rng.integers(1_200, 1_800, n),
        }
    )
    df.loc[df.ics_code == "I2", "easting"] += 50_000
    return df


def _connected(members: list[int], nbrs: list[set[int]]) -> bool:
    inside, seen, stack = set(members), {members[0]}, [members[0]]
    while stack:
        u = stack.pop()
        for v in nbrs[u] & inside:
            if v not in seen:
                seen.add(v)
                stack.append(v)
    return seen == inside


def test_localities_are_contiguous_within_one_ics_and_balanced():
    areas = _areas()
    m = build_localities(areas, target=50_000)
    assert list(m.columns) == ["area_code", "locality_code", "locality_name", "ics_code"]
    assert len(m) == len(areas) and m.area_code.is_unique
    merged = m.merge(areas, on=["area_code", "ics_code"])
    # Never crosses an ICS boundary.
    assert (merged.groupby("locality_code").ics_code.nunique() == 1).all()
    # As many localities as population / target, rounded, per ICS.
    for ics, g in areas.groupby("ics_code"):
        k = max(1, round(g.population.sum() / 50_000))
        assert merged[merged.ics_code == ics].locality_code.nunique() == k
    pops = merged.groupby("locality_code").population.sum()
    assert pops.max() / pops.min() < 1.5
    # Each locality is connected in the contiguity graph of its ICS.
    for _ics, g in merged.groupby("ics_code"):
        g = g.reset_index(drop=True)
        nbrs = contiguity_edges(g[["easting", "northing"]].to_numpy())
        for _code, members in g.groupby("locality_code").groups.items():
            assert _connected(list(members), nbrs)


def test_localities_are_reproducible_and_summarised():
    areas = _areas(120)
    a = build_localities(areas, target=40_000, seed=1)
    b = build_localities(areas, target=40_000, seed=1)
    pd.testing.assert_frame_equal(a, b)
    s = summarise(a, areas, "built")
    assert s.population.sum() == areas.population.sum()
    assert s.areas.sum() == len(areas)
    assert ((s.compactness > 0) & (s.compactness <= 1)).all()


def test_tiny_and_degenerate_inputs():
    one = _areas(1)
    assert build_localities(one).locality_code.tolist() == [f"{one.ics_code[0]}-L01"]
    line = pd.DataFrame(
        {
            "area_code": ["a", "b", "c", "d"],
            "ics_code": "X",
            "easting": [0.0, 1000, 2000, 3000],
            "northing": [0.0, 0, 0, 0],
            "population": [30_000] * 4,
        }
    )
    m = build_localities(line, target=60_000)
    assert m.locality_code.nunique() == 2
    # collinear areas split into two runs, not interleaved
    assert m.locality_code.tolist()[0] == m.locality_code.tolist()[1]


def test_compactness_of_a_disc_is_near_one():
    t = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    disc = np.c_[np.cos(t), np.sin(t)] * 5000
    c, r = compactness(disc)
    assert c == pytest.approx(1.0, abs=0.01) and r == pytest.approx(5.0, rel=1e-6)
    line = np.c_[np.linspace(0, 10_000, 50), np.linspace(0, 10, 50)]
    assert compactness(line)[0] < 0.05


def test_missing_centroid_is_an_input_error():
    areas = _areas(10)
    areas.loc[3, "easting"] = np.nan
    with pytest.raises(InputError, match="no centroid"):
        build_localities(areas)

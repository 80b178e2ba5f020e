"""Travel times: road graph shortest paths, user matrices, banded speeds."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from caremap.core.errors import InputError
from caremap.network.bands import BandedSpeeds
from caremap.network.travel import read_matrix, road_graph, road_times

pytestmark = pytest.mark.unit


def test_road_times_shortest_path_and_parallel_links():
    nodes = pa.table(
        {"node_id": [10, 11, 12, 13], "easting": [0.0, 1e3, 2e3, 9e3], "northing": [0.0] * 4}
    )
    links = pa.table(
        {
            "from_node": [10, 11, 10, 10],
            "to_node": [11, 12, 12, 11],
            "length_km": [1.0, 1.0, 10.0, 1.0],
            "speed_kph": [60.0, 60.0, 60.0, 30.0],
        }
    )
    g, index, _ = road_graph(nodes, links)
    T = road_times(g, np.array([index[10], index[13]]), np.array([index[12]]))
    assert T[0, 0] == pytest.approx(2.0)  # 10 -> 11 -> 12 at 1 min/km; parallel slow link ignored
    assert np.isinf(T[1, 0])  # node 13 is not connected


def test_road_link_to_unknown_node():
    nodes = pa.table({"node_id": [1], "easting": [0.0], "northing": [0.0]})
    links = pa.table({"from_node": [1], "to_node": [2], "length_km": [1.0], "speed_kph": [50.0]})
    with pytest.raises(InputError, match="unknown node 2"):
        road_graph(nodes, links)


def test_read_matrix_long_and_wide(tmp_path):
    long = tmp_path / "long.csv"
    long.write_text("origin,destination,time\na,x,1\na,y,2\nb,x,3\n")
    o, d, T = read_matrix(long)
    assert o == ["a", "b"] and d == ["x", "y"]
    assert T[0, 1] == 2 and np.isinf(T[1, 1])
    wide = tmp_path / "wide.csv"
    wide.write_text("area,x,y\na,1,2\nb,3,\n")
    o, d, T = read_matrix(wide)
    assert d == ["x", "y"] and np.isinf(T[1, 1])
    bad = tmp_path / "bad.csv"
    bad.write_text("area,x\na,fast\n")
    with pytest.raises(InputError, match="row 2"):
        read_matrix(bad)


def test_bands_recover_a_known_model():
    true = BandedSpeeds(breaks_km=(0, 10, 50, 500), intercept=5.0, minutes_per_km=(1.5, 1.0, 0.7))
    km = np.linspace(0.5, 300, 2000)
    fitted = BandedSpeeds.calibrate(km, true.minutes(km), breaks_km=(0, 10, 50, 500))
    assert fitted.intercept == pytest.approx(5.0, abs=1e-6)
    assert fitted.minutes_per_km == pytest.approx((1.5, 1.0, 0.7), abs=1e-6)
    assert fitted.r2 == pytest.approx(1.0)


def test_default_bands_are_monotone():
    m = BandedSpeeds.default().minutes(np.array([0, 5, 20, 100, 300]))
    assert (np.diff(m) > 0).all()

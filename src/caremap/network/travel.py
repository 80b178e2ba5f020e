"""Travel times: on the workspace road network, from a user's matrix, or from straight-line
distance with distance-banded speeds.

* Road network: Dijkstra (1959) shortest paths with `scipy.sparse.csgraph.dijkstra`, from
  each site's road node to every node; link time = length / speed. Small areas and sites
  without a road node are snapped to the nearest node, plus the straight-line access at
  the slowest band's speed.
* User matrix: CSV or Parquet, long (origin, destination, minutes) or wide (one row per
  origin, one column per destination).
* Banded speeds: see `caremap.network.bands`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from caremap.core.errors import InputError
from caremap.network.bands import BandedSpeeds

ACCESS_KPH = 20.0  # speed for the straight-line hop from a centroid to its road node


def road_graph(nodes: pa.Table, links: pa.Table):
    """(csr graph of minutes, node_id -> index, node coordinates) from road_node/road_link."""
    ids = np.asarray(nodes.column("node_id").to_numpy(), dtype=np.int64)
    index = {int(v): k for k, v in enumerate(ids)}
    xy = np.column_stack(
        [nodes.column("easting").to_numpy(), nodes.column("northing").to_numpy()]
    ).astype(float)
    a = links.column("from_node").to_numpy()
    b = links.column("to_node").to_numpy()
    length = np.asarray(links.column("length_km").to_numpy(), dtype=float)
    speed = np.asarray(links.column("speed_kph").to_numpy(), dtype=float)
    try:
        ia = np.array([index[int(v)] for v in a], dtype=np.int64)
        ib = np.array([index[int(v)] for v in b], dtype=np.int64)
    except KeyError as exc:
        raise InputError(
            f"road link refers to unknown node {exc.args[0]}", file="road_link"
        ) from None
    bad = np.flatnonzero(~(speed > 0) | ~(length >= 0))
    if len(bad):
        raise InputError(
            "road link needs length >= 0 and speed > 0",
            file="road_link",
            row=int(bad[0]),
            field="speed_kph",
        )
    minutes = length / speed * 60.0
    n = len(ids)
    # undirected: keep the quickest of parallel links, both ways
    g = _min_duplicates(ia, ib, minutes, n)
    return g, index, xy


def _min_duplicates(ia, ib, minutes, n):
    r = np.concatenate([ia, ib])
    c = np.concatenate([ib, ia])
    t = np.concatenate([minutes, minutes])
    key = r * n + c
    order = np.lexsort((t, key))
    key, r, c, t = key[order], r[order], c[order], t[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    t = np.maximum(t[first], 1e-9)  # csgraph treats explicit zeros as missing edges
    return sp.csr_matrix((t, (r[first], c[first])), shape=(n, n))


def snap(xy_points: np.ndarray, node_xy: np.ndarray):
    """Nearest road node index and the access time (minutes) for each point."""
    dist, idx = cKDTree(node_xy).query(xy_points)
    return idx, dist / 1000.0 / ACCESS_KPH * 60.0


def road_times(
    graph,
    origin_nodes: np.ndarray,
    site_nodes: np.ndarray,
    origin_access: np.ndarray | None = None,
    site_access: np.ndarray | None = None,
) -> np.ndarray:
    """Minutes from each origin node to each site node (inf if unreachable)."""
    uniq, inv = np.unique(site_nodes, return_inverse=True)
    dist = dijkstra(graph, directed=False, indices=uniq)  # sites x nodes
    T = dist[inv][:, origin_nodes].T
    if origin_access is not None:
        T = T + origin_access[:, None]
    if site_access is not None:
        T = T + site_access[None, :]
    return T


def _xy(table: pa.Table) -> np.ndarray:
    return np.column_stack(
        [
            np.asarray(table.column("easting").to_numpy(zero_copy_only=False), dtype=float),
            np.asarray(table.column("northing").to_numpy(zero_copy_only=False), dtype=float),
        ]
    )


def times_between(
    ws, origins: pa.Table, sites: pa.Table, bands: BandedSpeeds | None = None
) -> tuple[np.ndarray, str]:
    """Travel minutes from ``origins`` to ``sites`` (each with easting, northing and maybe
    road_node): on the road network when the workspace has one, else banded speeds."""
    if ws.has_table("road_node") and ws.has_table("road_link") and ws.row_count("road_link"):
        nodes = ws.sql("SELECT node_id, easting, northing FROM road_node ORDER BY node_id")
        links = ws.sql("SELECT from_node, to_node, length_km, speed_kph FROM road_link")
        g, index, node_xy = road_graph(nodes, links)
        o_idx, o_acc = _nodes_for(origins, index, node_xy)
        s_idx, s_acc = _nodes_for(sites, index, node_xy)
        return road_times(g, o_idx, s_idx, o_acc, s_acc), "road network"
    model = bands or BandedSpeeds.default()
    return model.times(_xy(origins), _xy(sites)), "banded straight-line speeds"


def _nodes_for(table: pa.Table, index: dict, node_xy: np.ndarray):
    xy = _xy(table)
    idx, access = snap(xy, node_xy)
    if "road_node" in table.column_names:
        given = table.column("road_node").to_pylist()
        for k, v in enumerate(given):
            if v is not None and int(v) in index:
                idx[k] = index[int(v)]
                access[k] = float(np.hypot(*(xy[k] - node_xy[idx[k]]))) / 1000 / ACCESS_KPH * 60
    return idx, access


def read_matrix(
    path: str | Path,
    origin: str | None = None,
    destination: str = "destination",
    value: str = "time",
):
    """A travel-time matrix from CSV/Parquet: returns (origin ids, destination ids, minutes).

    Long format has columns origin, destination, time (names configurable); anything else is
    read as wide: the first column (or ``origin``) holds origin ids, every other column is a
    destination. Missing pairs and empty cells are unreachable (inf)."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path))
    try:
        if path.suffix == ".parquet":
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, dtype={0: str})
    except Exception as exc:
        raise InputError(f"cannot read the matrix: {exc}", file=str(path)) from None
    cols = list(df.columns)
    o = origin or ("origin" if "origin" in cols else cols[0])
    if {o, destination, value} <= set(cols) and len(cols) <= 4:
        times = pd.to_numeric(df[value], errors="coerce")
        if times.isna().any():
            row = int(np.flatnonzero(times.isna().to_numpy())[0]) + 2
            raise InputError("travel time is not a number", file=str(path), row=row, field=value)
        wide = df.assign(**{value: times}).pivot_table(
            index=o, columns=destination, values=value, aggfunc="min"
        )
        return (
            [str(v) for v in wide.index],
            [str(v) for v in wide.columns],
            wide.to_numpy(dtype=float, na_value=np.inf),
        )
    wide = df.set_index(o)
    try:
        mat = wide.apply(pd.to_numeric, errors="raise").to_numpy(dtype=float)
    except (ValueError, TypeError):
        bad = wide.apply(pd.to_numeric, errors="coerce").isna() & wide.notna()
        r, c = np.argwhere(bad.to_numpy())[0]
        raise InputError(
            "travel time is not a number",
            file=str(path),
            row=int(r) + 2,
            field=str(wide.columns[c]),
        ) from None
    return (
        [str(v) for v in wide.index],
        [str(c) for c in wide.columns],
        np.where(np.isnan(mat), np.inf, mat),
    )

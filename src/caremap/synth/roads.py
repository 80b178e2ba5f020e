"""A road network for travel times: a jittered grid of minor and B roads, A roads between
neighbouring settlements, a motorway through the largest city, slower in built-up areas.

Speeds are typical average speeds by road class in England (DfT, "Average speed on local
'A' roads", and free-flow motorway speeds): motorway 100 km/h, A road 70 (40 in towns),
B road 55 (32 in towns), minor 45 (25 in towns). Lengths carry a circuity factor of 1.2
over the straight line. Every small area and site gets its own node joined to the grid by
a minor-road link.
"""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
from scipy.spatial import cKDTree

from caremap.synth.config import rng_for
from caremap.synth.geography import Geography

CLASSES = ("motorway", "a_road", "b_road", "minor")
SPEED_RURAL = np.array([100.0, 70.0, 55.0, 45.0])
SPEED_URBAN = np.array([80.0, 40.0, 32.0, 25.0])
CIRCUITY = 1.2


class RoadNetwork:
    """Grid nodes and links; `attach` adds access nodes for areas and sites."""

    def __init__(self, geo: Geography, seed: int) -> None:
        rng = rng_for(seed, "roads")
        self.geo = geo
        side = geo.side_m
        spacing = float(np.clip(side / 40, 500.0, 2500.0))
        n = int(np.ceil(side / spacing)) + 1
        gx, gy = np.meshgrid(np.arange(n) * spacing, np.arange(n) * spacing, indexing="ij")
        jitter = rng.uniform(-0.25, 0.25, size=(2, n, n)) * spacing
        self.x = (gx + jitter[0]).ravel()
        self.y = (gy + jitter[1]).ravel()
        self.n = n
        ids = np.arange(n * n).reshape(n, n)
        a = np.concatenate([ids[:-1, :].ravel(), ids[:, :-1].ravel()])
        b = np.concatenate([ids[1:, :].ravel(), ids[:, 1:].ravel()])
        cls = np.full(len(a), 3, dtype=np.int8)
        # every fourth grid line is a B road
        ia, ja = np.divmod(a, n)
        ib, jb = np.divmod(b, n)
        on_b = ((ia == ib) & (ia % 4 == 0)) | ((ja == jb) & (ja % 4 == 0))
        cls[on_b] = 2
        self.tree = cKDTree(np.c_[self.x, self.y])
        self.link_a, self.link_b, self.cls = a, b, cls
        self._upgrade_a_roads(ids)
        self._upgrade_motorway(ids)
        self.extra_x: list[np.ndarray] = []
        self.extra_y: list[np.ndarray] = []
        self.extra_links: list[tuple[np.ndarray, np.ndarray]] = []
        self.next_id = n * n

    def _path_links(self, ids: np.ndarray, p: tuple[int, int], q: tuple[int, int]) -> list:
        """Grid links along an L-shaped path from grid cell p to q."""
        (i0, j0), (i1, j1) = p, q
        nodes = [ids[i, j0] for i in range(i0, i1, 1 if i1 >= i0 else -1)]
        nodes += [ids[i1, j] for j in range(j0, j1, 1 if j1 >= j0 else -1)]
        nodes.append(ids[i1, j1])
        return list(itertools.pairwise(nodes))

    def _upgrade(self, pairs: list, cls: int) -> None:
        if not pairs:
            return
        key = {(min(u, v), max(u, v)) for u, v in pairs}
        lo = np.minimum(self.link_a, self.link_b)
        hi = np.maximum(self.link_a, self.link_b)
        mask = np.array([(u, v) in key for u, v in zip(lo.tolist(), hi.tolist(), strict=True)])
        self.cls[mask] = np.minimum(self.cls[mask], cls)

    def _cell(self, xy: np.ndarray) -> tuple[int, int]:
        node = int(self.tree.query(xy)[1])
        return divmod(node, self.n)

    def _upgrade_a_roads(self, ids: np.ndarray) -> None:
        c = self.geo.settlement_xy
        pairs = []
        for i in range(len(c)):
            d = np.hypot(*(c - c[i]).T)
            for j in np.argsort(d)[1:3]:
                pairs += self._path_links(ids, self._cell(c[i]), self._cell(c[j]))
        self._upgrade(pairs, 1)

    def _upgrade_motorway(self, ids: np.ndarray) -> None:
        if self.geo.side_m < 60_000:
            return
        i, j = self._cell(self.geo.settlement_xy[0])
        pairs = self._path_links(ids, (0, j), (self.n - 1, j))
        pairs += self._path_links(ids, (i, 0), (i, self.n - 1))
        self._upgrade(pairs, 0)

    def attach(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """New nodes at (x, y), each linked to its nearest grid node; returns their ids."""
        ids = np.arange(self.next_id, self.next_id + len(x), dtype=np.int64)
        self.next_id += len(x)
        near = self.tree.query(np.c_[x, y])[1].astype(np.int64)
        self.extra_x.append(np.asarray(x, float))
        self.extra_y.append(np.asarray(y, float))
        self.extra_links.append((ids, near))
        return ids + 1  # node ids are 1-based

    def _urban(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        c, r = self.geo.settlement_xy, self.geo.settlement_radius
        out = np.zeros(len(x), dtype=bool)
        for i in range(len(c)):
            out |= np.hypot(x - c[i, 0], y - c[i, 1]) < r[i]
        return out

    def tables(self) -> dict[str, pa.Table]:
        ex = np.concatenate([self.x, *self.extra_x])
        ey = np.concatenate([self.y, *self.extra_y])
        a = np.concatenate([self.link_a, *(e[0] for e in self.extra_links)])
        b = np.concatenate([self.link_b, *(e[1] for e in self.extra_links)])
        n_extra = len(a) - len(self.link_a)
        cls = np.concatenate([self.cls, np.full(n_extra, 3, dtype=np.int8)])
        length = np.hypot(ex[a] - ex[b], ey[a] - ey[b]) / 1000.0 * CIRCUITY
        length = np.maximum(length, 0.05)
        urban = self._urban((ex[a] + ex[b]) / 2, (ey[a] + ey[b]) / 2)
        speed = np.where(urban, SPEED_URBAN[cls], SPEED_RURAL[cls])
        nodes = pa.table(
            {
                "node_id": pa.array(np.arange(1, len(ex) + 1), pa.int64()),
                "easting": ex.round(1),
                "northing": ey.round(1),
            }
        )
        links = pa.table(
            {
                "link_id": pa.array(np.arange(1, len(a) + 1), pa.int64()),
                "from_node": pa.array(a + 1, pa.int64()),
                "to_node": pa.array(b + 1, pa.int64()),
                "road_class": pa.array(np.array(CLASSES, dtype=object)[cls], pa.string()),
                "length_km": length.round(4),
                "speed_kph": speed,
            }
        )
        return {"road_node": nodes, "road_link": links}

"""Latency of the dashboard's filtered pages under 50 concurrent httpx clients (issue 14).

Target: p95 under 300 ms on a 200,000-person workspace, cached or not. The URLs are the
pages a commissioner opens with filters in the address (indicator, area, period, series,
funnel, list, scenario) and the profiles they link to, read from the workspace so that each
is a real view. Clients are plain ``httpx.AsyncClient`` sessions (keep-alive), each making
``--rounds`` passes over the URL list. The reference printed beside our figures is the
server's static stylesheet under the same load.

    caremap demo --population 200000 --no-serve --out /tmp/demo200k
    flock /tmp/caremap-bench.lock python benchmarks/app_pages_filtered.py \\
        --workspace /tmp/demo200k/caremap.duckdb
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import numpy as np

PASSWORD = "bench-password-not-secret"
USER = "bench-pages-viewer"


def urls(ws_path: Path) -> list[str]:
    """Filtered page addresses drawn from the workspace's own values."""
    import duckdb

    con = duckdb.connect(str(ws_path), read_only=True)

    def col(sql: str) -> list:
        return [r[0] for r in con.execute(sql).fetchall()]

    out = []
    inds = col("SELECT DISTINCT indicator FROM needs_indicator ORDER BY 1")
    locs = col("SELECT locality_code FROM needs_locality_summary ORDER BY 1")
    ics = col("SELECT DISTINCT area_code FROM needs_indicator WHERE area_type = 'ics'")
    for i in inds[:6]:
        out.append("/needs?" + urlencode({"indicator": i}))
        for a in locs[:2]:
            out.append("/needs?" + urlencode({"indicator": i, "area": a}))
    periods = col(
        "SELECT DISTINCT period FROM needs_indicator WHERE indicator = 'emergency_admissions'"
    )
    for p in periods:
        out.append("/needs?" + urlencode({"indicator": "emergency_admissions", "period": p}))
    out += [f"/areas/{a}" for a in locs + ics]
    small = col("SELECT area_code FROM small_area ORDER BY 1 LIMIT 3")
    out += [f"/needs/area/{a}" for a in small]
    for src, series in con.execute(
        "SELECT source, min(series) FROM spc_summary GROUP BY 1 ORDER BY 1"
    ).fetchall():
        out.append("/performance?" + urlencode({"source": src, "series": series}))
    for src, funnel in con.execute(
        "SELECT DISTINCT source, funnel FROM funnel_unit ORDER BY 1, 2 LIMIT 4"
    ).fetchall():
        out.append("/performance?" + urlencode({"fsource": src, "funnel": funnel}))
    out += [
        "/waiting?" + urlencode({"list": x})
        for x in col("SELECT list FROM waiting_summary ORDER BY queue_size DESC LIMIT 4")
    ]
    out += [
        "/network?" + urlencode({"scenario": s})
        for s in col("SELECT scenario FROM network_scenario")
    ]
    out += [
        f"/sites/{s}"
        for s in col("SELECT site_code FROM site WHERE site_type = 'acute_hospital' ORDER BY 1")
    ]
    con.close()
    return out


def start(ws_path: Path, port: int, cache_seconds: float) -> subprocess.Popen:
    cfg = Path(tempfile.mkdtemp(prefix="caremap-bench-")) / "app.json"
    cfg.write_text(json.dumps({"cache_seconds": cache_seconds}))
    cmd = [
        sys.executable,
        "-m",
        "caremap.cli.main",
        "serve",
        "-w",
        str(ws_path),
        "--port",
        str(port),
        "--config",
        str(cfg),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the server did not start")


async def client(base: str, paths: list[str], rounds: int, out: list, statuses: list) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        r = await c.post("/api/session", json={"username": USER, "password": PASSWORD})
        r.raise_for_status()
        for _ in range(rounds):
            for p in paths:
                t0 = time.perf_counter()
                r = await c.get(p)
                out.append(time.perf_counter() - t0)
                statuses.append(r.status_code)


async def load(base: str, paths: list[str], clients: int, rounds: int):
    times: list[float] = []
    statuses: list[int] = []
    t0 = time.perf_counter()
    await asyncio.gather(
        *(
            client(base, paths[i % len(paths) :] + paths[: i % len(paths)], rounds, times, statuses)
            for i in range(clients)
        )
    )
    return np.array(times) * 1000, statuses, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path, required=True)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--port", type=int, default=8106)
    ap.add_argument("--cached-only", action="store_true", help="skip the uncached scenario")
    args = ap.parse_args()
    print("load average:", os.getloadavg(), flush=True)
    from caremap.app.users import add_user
    from caremap.core.workspace import open_workspace

    with open_workspace(args.workspace) as ws:
        add_user(ws.cursor(), USER, PASSWORD, "viewer", None, replace=True)
    paths = urls(args.workspace)
    print(f"{len(paths)} filtered URLs, {args.clients} clients x {args.rounds} rounds")
    scenarios = [("cached (300 s)", 300.0, args.rounds), ("uncached", 0.0, 1)]
    for label, secs, rounds in scenarios[:1] if args.cached_only else scenarios:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = start(args.workspace, port, secs)
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(load(base, paths, 1, 1))  # each page once: a server in steady state
            ms, statuses, wall = asyncio.run(load(base, paths, args.clients, rounds))
            ref, _, _ = asyncio.run(
                load(base, ["/static/caremap.css"] * len(paths), args.clients, 1)
            )
            bad = sorted({s for s in statuses if s != 200})
            print(
                f"{label:15s} n={len(ms):5d} p50={np.percentile(ms, 50):6.1f} ms "
                f"p95={np.percentile(ms, 95):6.1f} ms max={ms.max():7.1f} ms "
                f"{len(ms) / wall:6.1f} req/s; non-200: {bad or 'none'}; target p95 < 300 ms; "
                f"static file p95={np.percentile(ref, 95):.1f} ms"
            )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print("load average:", os.getloadavg(), flush=True)


if __name__ == "__main__":
    main()

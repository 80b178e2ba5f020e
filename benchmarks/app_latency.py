"""Dashboard and API latency under 50 concurrent clients on loopback (issue 8).

Target: p95 under 200 ms for aggregate pages and API calls on a 200,000-person workspace.
There is no peer product to run beside ours, so each run prints our figures beside the
target and beside a floor measured in the same run on the same server: a static file
(the app's small stylesheet) served under the same load, which is what the server, the client
and the machine cost before any caremap work.

    python benchmarks/app_latency.py --workspace demo-output/caremap.duckdb
    # make the workspace first, e.g.
    caremap demo --population 200000 --no-serve --out /tmp/demo200k

The script adds two users (``bench-viewer``, ``bench-analyst``) to the workspace, starts
`caremap serve` in a subprocess (once with the default page cache and once with
``cache_seconds: 0``, where only the analyst scenarios run, one round: uncached viewer pages
recompute suppression on every request), and drives it with ``--clients`` concurrent httpx clients, each
making ``--rounds`` passes over the page and API lists (bounded: no open-ended loops).
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

import httpx
import numpy as np

PASSWORD = "bench-password-not-secret"
PAGES = [
    "/",
    "/quality",
    "/needs",
    "/risk",
    "/network",
    "/standards",
    "/budget",
    "/performance",
    "/waiting",
    "/tables",
    "/tables/needs_indicator",
]
STATIC = ["/static/caremap.css"] * len(PAGES)


def add_users(ws_path: Path) -> tuple[str, set[str]]:
    """Bench users (viewer, analyst); returns an area code for the area API call and the
    workspace's tables (API calls for tables it lacks are left out)."""
    from caremap.app.users import add_user
    from caremap.core.workspace import open_workspace

    with open_workspace(ws_path) as ws:
        con = ws.cursor()
        add_user(con, "bench-viewer", PASSWORD, "viewer", replace=True)
        add_user(con, "bench-analyst", PASSWORD, "analyst", replace=True)
        rows = con.execute("SELECT area_code FROM small_area ORDER BY 1 LIMIT 1").fetchall()
        tables = set(ws.list_tables())
        people = (
            con.execute("SELECT count(*) FROM truth.person").fetchall()
            if "truth.person" in tables
            else [[None]]
        )
    print(f"workspace {ws_path}: {people[0][0] or 'unknown'} people in the synthetic economy")
    return (rows[0][0] if rows else "E00000000"), tables


def api_calls(area: str, tables: set[str]) -> list[str]:
    calls = [
        "/api/tables",
        "/api/tables/needs_indicator?filter=area_type:eq:locality&limit=100",
        "/api/tables/needs_indicator?filter=indicator:eq:emergency_admissions"
        "&filter=area_type:eq:small_area&limit=500",
        "/api/tables/risk_tier_locality",
        "/api/tables/network_scenario",
        "/api/tables/budget_ledger?limit=200",
        "/api/tables/standards_compliance?limit=100",
        f"/api/areas/{area}",
    ]
    return [
        c
        for c in calls
        if not c.startswith("/api/tables/") or c.split("/")[3].split("?")[0] in tables
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(ws_path: Path, port: int, config: Path | None) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "caremap.cli.main",
        "serve",
        "-w",
        str(ws_path),
        "--port",
        str(port),
    ]
    if config:
        cmd += ["--config", str(config)]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "CAREMAP_NO_PROGRESS": "1"},
    )
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


async def run_load(base: str, user: str, urls: list[str], clients: int, rounds: int):
    """``clients`` concurrent sessions, each ``rounds`` passes over ``urls``; latencies in ms.

    All clients log in first (Argon2 is deliberately slow); only the page and API requests
    that follow, issued back to back by every client at once, are timed.
    """
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    errors: dict[int, int] = {}
    sessions = [httpx.AsyncClient(base_url=base, limits=limits, timeout=60) for _ in range(clients)]
    try:
        cookie = None
        for c in sessions:  # one login, its cookie shared: sessions are per cookie
            if cookie is None:
                r = await c.post("/api/session", json={"username": user, "password": PASSWORD})
                r.raise_for_status()
                cookie = dict(r.cookies)
            c.cookies.update(cookie)

        async def one(i: int, c: httpx.AsyncClient) -> None:
            order = urls[i % len(urls) :] + urls[: i % len(urls)]  # spread the load
            for _ in range(rounds):
                for u in order:
                    t0 = time.perf_counter()
                    resp = await c.get(u)
                    latencies.append(1000 * (time.perf_counter() - t0))
                    if resp.status_code != 200:
                        errors[resp.status_code] = errors.get(resp.status_code, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i, c) for i, c in enumerate(sessions)))
        wall = time.perf_counter() - t0
    finally:
        for c in sessions:
            await c.aclose()
    return np.array(latencies), errors, wall


def report(name: str, lat: np.ndarray, errors: dict, wall: float) -> dict:
    row = {
        "scenario": name,
        "requests": len(lat),
        "p50_ms": float(np.percentile(lat, 50)),
        "p95_ms": float(np.percentile(lat, 95)),
        "p99_ms": float(np.percentile(lat, 99)),
        "req_per_s": len(lat) / wall,
        "non_200": sum(errors.values()),
    }
    print(
        f"{name:<44} {row['requests']:>6} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
        f"{row['p99_ms']:>8.1f} {row['req_per_s']:>8.1f} {row['non_200']:>6}"
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", type=Path, required=True)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2, help="passes over the URL list per client")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    area, tables = add_users(args.workspace)
    rows = []
    print(f"{args.clients} concurrent clients on loopback; target p95 < 200 ms")
    print(f"{'scenario':<44} {'reqs':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'req/s':>8} {'!200':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        uncached = Path(tmp) / "uncached.json"
        uncached.write_text(json.dumps({"cache_seconds": 0}))
        for label, config in (("cached (default)", None), ("uncached", uncached)):
            port = free_port()
            proc = start_server(args.workspace, port, config)
            base = f"http://127.0.0.1:{port}"
            try:
                for who in ("bench-viewer", "bench-analyst"):  # warm the caches
                    asyncio.run(run_load(base, who, PAGES + api_calls(area, tables), 1, 1))
                for name, user, urls in (
                    ("floor: static file", "bench-viewer", STATIC),
                    ("aggregate pages, viewer (suppressed)", "bench-viewer", PAGES),
                    ("aggregate pages, analyst", "bench-analyst", PAGES),
                    ("API calls, viewer (suppressed)", "bench-viewer", api_calls(area, tables)),
                    ("API calls, analyst", "bench-analyst", api_calls(area, tables)),
                ):
                    if label == "uncached" and not name.endswith("analyst"):
                        continue  # uncached suppression per request: minutes per run
                    rounds = args.rounds if label != "uncached" else 1
                    lat, errors, wall = asyncio.run(
                        run_load(base, user, urls, args.clients, rounds)
                    )
                    rows.append(report(f"{label}: {name}", lat, errors, wall))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

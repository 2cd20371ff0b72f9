"""Query benchmark: the hub's read API over a harvested simulated network, under load.

    python -m bench.query --nodes 200 [--requests 400] [--concurrency 1 16 64] [--cold-only]
                          [--processes 2]

Harvests `--nodes` simulated nodes into a SQLite hub (kept in bench/out/ for the next run),
serves it with uvicorn on 127.0.0.1 (one process, or `--processes` API processes on ports of their
own, the clients spread over them as the deploy guide's proxy spreads its clients over
`hub-api@PORT` instances), and drives it with aiohttp clients: the
calendar with realistic filters (region and dates, theme, text, distance), the skills
directory, the figures, the iCalendar feed of a region. The ceiling, in the same run and on
the same server, before the mixes and after them: a fixed 2 KB JSON response. Prints p50, p99
and requests per second.

Those mixes repeat a few requests, so past the first round they measure the hub's read cache.
The cold mix asks calendar questions no client asked before in the run (regions, departments,
themes, words, dates and range lengths drawn at random, and half the time the next page of an
answer through its cursor): it measures the reads themselves, and prints its slowest requests.
Before it, the API processes answer `WARM_UP` other cold questions, drawn apart: a process just
started compiles each shape of statement once and finds SQLite's pages cold, which no reader of
a hub running for days meets (`--no-warm-up` measures that start).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import orjson
import uvicorn
from fastapi import Response

from bench.harvest import checkpoint, free_port, hub_settings, start_network
from hub.activitypub.delivery import queue_new_changes
from hub.api.app import create_app, freeze_heap
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.registry import SourceIn, add_source
from hub.horizon import roll_if_due
from hub.kit import geo
from hub.setup import upgrade
from hub.store.db import make_engine, session_scope
from hub.store.migrate import head_revision

OUT = Path(__file__).resolve().parent / "out"
FIXED = orjson.dumps(
    {"items": [{"id": f"https://example.org/{i:04d}", "title": "x" * 40} for i in range(28)]}
)


def store_path(nodes: int) -> Path:
    """Where the store of `nodes` harvested simulated nodes is kept: for this schema and this day
    (the simulated events are dated from today)."""
    OUT.mkdir(exist_ok=True)
    return OUT / f"hub-{nodes}-{head_revision()}-{date.today():%Y%m%d}.db"


def build(nodes: int) -> Path:
    """A hub database holding `nodes` harvested simulated nodes, built once and reused."""
    database = store_path(nodes)
    if database.exists():
        return database
    network, base = start_network(nodes)
    try:
        partial = database.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        settings = hub_settings(f"sqlite:///{partial}", None)
        engine = make_engine(settings.database_url)
        upgrade(engine)
        with session_scope(engine) as session:
            for i in range(nodes):
                add_source(session, SourceIn(url=f"{base}/n{i}", kind="node"), default_interval=3600)
        started = time.perf_counter()
        asyncio.run(harvest_many(engine, settings, all_sources(engine)))
        print(f"harvested {nodes} nodes in {time.perf_counter() - started:.1f} s")
        engine.dispose()
        checkpoint(partial)
        partial.rename(database)
    finally:
        network.terminate()
    return database


def settle(database: Path) -> None:
    """Roll the occurrence horizon once, as a running hub does every 12 hours, and read the change
    log into the fediverse's outbox, as its deliveries worker does after a harvest: a hub just
    started on this store would otherwise do both while the load is measured."""
    engine = make_engine(f"sqlite:///{database}")
    settings = hub_settings(f"sqlite:///{database}", None)
    started = time.perf_counter()
    if roll_if_due(engine, settings) is not None:
        print(f"rolled the occurrence horizon in {time.perf_counter() - started:.1f} s")
    started, read = time.perf_counter(), 0
    while changes := queue_new_changes(engine, settings):
        read += changes
    if read:
        print(f"read {read} changes for the fediverse (no follower) in {time.perf_counter() - started:.1f} s")
    engine.dispose()


def _serve(database: Path, port: int) -> None:
    # Every client of the load comes from 127.0.0.1: no anonymous budget (text searches), or the
    # clients standing for many readers would be refused as one.
    app = create_app(
        hub_settings(f"sqlite:///{database}", None).model_copy(
            update={"harvest_in_process": False, "rate_limit_per_minute": 0}
        )
    )

    @app.get("/bench/fixed", include_in_schema=False)
    def fixed() -> Response:
        return Response(FIXED, media_type="application/json")

    freeze_heap()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def mixes(today: date) -> dict[str, list[str]]:
    start, end = today.isoformat(), (today + timedelta(days=30)).isoformat()
    regions = ["84", "75", "11", "76", "53", "44", "52", "93"]
    return {
        "calendar: region and dates": [
            f"/api/v1/occurrences?region={r}&start={start}&end={end}&limit=50" for r in regions
        ],
        "calendar: theme": [
            f"/api/v1/occurrences?theme={t}&start={start}&limit=50"
            for t in ("digital", "fabrication", "culture", "food")
        ],
        "calendar: text": [
            f"/api/v1/occurrences?q={q}&start={start}&limit=50"
            for q in ("cafe", "atelier", "repair", "pitch")
        ],
        "calendar: near": [
            f"/api/v1/occurrences?near={p}&radius_km=30&start={start}&limit=50"
            for p in ("48.8566,2.3522", "45.764,4.8357", "43.6047,1.4442", "47.2184,-1.5536")
        ],
        "people by skill": [
            f"/api/v1/people?skill={s}&limit=50" for s in ("3d-printing", "accounting", "python", "welding")
        ],
        "stats": [f"/api/v1/stats?by={b}" for b in ("month", "department", "theme")],
        "ICS feed of a region": [
            f"/feeds/events.ics?region={r}&start={start}&end={end}" for r in regions[:4]
        ],
    }


CEILING = "ceiling: fixed 2 KB JSON"
COLD = "calendar: cold, varied, cursors"
# Cold questions the API processes answer before the cold mix is measured, drawn apart from it.
WARM_UP = 300
WARM_UP_SEED = 1_000_003
THEMES = (
    "digital",
    "fabrication",
    "culture",
    "food",
    "repair",
    "gardening",
    "health",
    "music",
    "coworking",
    "education",
)
WORDS = ("cafe", "atelier", "repair", "pitch", "numerique", "jardin", "soiree", "formation")


def cold_queries(today: date, rng: random.Random, seen: set[str]) -> Iterator[str]:
    """Calendar queries, each one asked once, none of those `seen` (which it adds to): a filter or
    none, a start within two months, a range of a day to three months or open."""
    regions, departments = sorted(geo.REGIONS), sorted(d for d in geo.DEPARTMENTS if len(d) == 2)
    while True:
        first = today + timedelta(days=rng.randrange(60))
        params: dict[str, object] = {"start": first.isoformat()}
        if rng.random() < 0.7:
            params["end"] = (first + timedelta(days=rng.choice((1, 7, 30, 90)))).isoformat()
        pick = rng.random()
        if pick < 0.3:
            params["region"] = rng.choice(regions)
        elif pick < 0.55:
            params["department"] = rng.choice(departments)
        elif pick < 0.75:
            params["theme"] = rng.choice(THEMES)
        elif pick < 0.9:
            params["q"] = rng.choice(WORDS)
        params["limit"] = rng.choice((20, 50))
        path = "/api/v1/occurrences?" + urlencode(params)
        if path not in seen:
            seen.add(path)
            yield path


async def cold_load(
    bases: list[str], today: date, requests: int, concurrency: int, seen: set[str], seed: int | None = None
) -> tuple[list[float], float, list[tuple[float, str]]]:
    """`requests` cold calendar reads by `concurrency` clients, none of the queries `seen`; each
    client follows the cursor of an answer half the time (three pages at most), as a reader
    scrolling the agenda does."""
    rng = random.Random(concurrency if seed is None else seed)
    queries = cold_queries(today, rng, seen)
    latencies: list[float] = []
    timed: list[tuple[float, str]] = []
    left = [requests]

    async def client(session: aiohttp.ClientSession, base: str) -> None:
        following: tuple[str, int, str] | None = None
        while left[0] > 0:
            left[0] -= 1
            if following is not None:
                asked, depth, cursor = following
                path = f"{asked}&cursor={cursor}"
            else:
                asked, depth = next(queries), 0
                path = asked
            started = time.perf_counter()
            async with session.get(base + path) as response:
                body = await response.read()
                assert response.status == 200, (path, response.status, body[:300])
            elapsed = time.perf_counter() - started
            latencies.append(elapsed)
            timed.append((elapsed, path))
            cursor = orjson.loads(body)["next_cursor"]
            follow = cursor is not None and depth < 2 and rng.random() < 0.5
            following = (asked, depth + 1, cursor) if follow else None

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session, bases[i % len(bases)]) for i in range(concurrency)))
        return latencies, time.perf_counter() - started, sorted(timed, reverse=True)


async def load(
    bases: list[str], paths: list[str], requests: int, concurrency: int, shuffle: bool = True
) -> tuple[list[float], float]:
    """`requests` reads of `paths` drawn at random, or each path once in order (`shuffle=False`)."""
    latencies: list[float] = []
    queue = [random.choice(paths) for _ in range(requests)] if shuffle else paths[::-1]

    async def client(session: aiohttp.ClientSession, base: str) -> None:
        while queue:
            path = queue.pop()
            started = time.perf_counter()
            async with session.get(base + path) as response:
                await response.read()
                assert response.status == 200, (path, response.status)
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session, bases[i % len(bases)]) for i in range(concurrency)))
        return latencies, time.perf_counter() - started


@dataclass
class Load:
    mix: str
    concurrency: int
    p50_ms: float
    p99_ms: float
    rate: float
    # CPU the API processes spent a request: what latencies become on a loaded machine aside.
    server_cpu_ms: float

    @classmethod
    def of(cls, mix: str, concurrency: int, latencies: list[float], elapsed: float, cpu: float) -> Load:
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return cls(
            mix,
            concurrency,
            statistics.median(ordered) * 1000,
            p99 * 1000,
            len(ordered) / elapsed,
            cpu * 1000 / len(ordered),
        )

    def line(self) -> str:
        return (
            f"  {self.mix:<32} c={self.concurrency:<3} p50 {self.p50_ms:7.1f} ms  "
            f"p99 {self.p99_ms:7.1f} ms  {self.rate:7.0f} req/s  server CPU {self.server_cpu_ms:5.2f} ms/req"
        )


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user and system) the processes `pids` spent so far (Linux: /proc/PID/stat)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def run(
    nodes: int,
    requests: int,
    concurrencies: list[int],
    cold_only: bool = False,
    processes: int = 1,
    warm_up: bool = True,
) -> list[Load]:
    """Every mix at every concurrency, printed as it ends, then each calendar mix against the ceiling.

    The ceiling is measured before the mixes and after them, and the higher of the two counts:
    a short run of a fixed response is easily disturbed by what else the machine does."""
    database = build(nodes)
    settle(database)
    ports = [free_port() for _ in range(processes)]
    servers = [multiprocessing.Process(target=_serve, args=(database, port), daemon=True) for port in ports]
    for server in servers:
        server.start()
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    time.sleep(2.0 * processes)
    # The clients' process imports the hub too: a full pass of its collector over that heap would
    # stall every client at once for 150 ms, and count as the servers' latency.
    freeze_heap()
    results = []

    pids = [server.pid for server in servers]

    def measure(name: str, paths: list[str]) -> None:
        for concurrency in concurrencies:
            cpu = cpu_seconds(pids)
            latencies, elapsed = asyncio.run(load(bases, paths, requests, concurrency))
            result = Load.of(name, concurrency, latencies, elapsed, cpu_seconds(pids) - cpu)
            print(result.line())
            results.append(result)

    def measure_cold() -> None:
        for concurrency in concurrencies:
            seen: set[str] = set()
            if warm_up:
                warming = WARM_UP_SEED + concurrency
                asyncio.run(cold_load(bases, date.today(), WARM_UP, concurrency, seen, seed=warming))
            cpu = cpu_seconds(pids)
            latencies, elapsed, slowest = asyncio.run(
                cold_load(bases, date.today(), requests, concurrency, seen)
            )
            result = Load.of(COLD, concurrency, latencies, elapsed, cpu_seconds(pids) - cpu)
            print(result.line())
            results.append(result)
            for seconds, path in slowest[:5]:
                print(f"      {seconds * 1000:7.1f} ms  {path}")

    try:
        print(f"hub on SQLite holding {nodes} harvested nodes; {processes} uvicorn process(es)")
        measure(f"{CEILING}, before", ["/bench/fixed"])
        if not cold_only:
            for name, paths in mixes(date.today()).items():
                measure(name, paths)
        measure_cold()
        measure(f"{CEILING}, after", ["/bench/fixed"])
    finally:
        for server in servers:
            server.terminate()
    ceiling: dict[int, float] = {}
    for result in results:
        if result.mix.startswith(CEILING):
            ceiling[result.concurrency] = max(ceiling.get(result.concurrency, 0.0), result.rate)
    for result in results:
        if result.mix.startswith("calendar"):
            print(
                f"  {result.mix:<32} c={result.concurrency:<3} "
                f"{result.rate / ceiling[result.concurrency]:6.1%} of the ceiling's throughput"
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--cold-only", action="store_true", help="only the cold mix (and the ceiling)")
    parser.add_argument("--processes", type=int, default=1, help="API processes serving the store")
    parser.add_argument(
        "--no-warm-up", action="store_true", help="measure the cold mix on processes just started"
    )
    args = parser.parse_args()
    run(args.nodes, args.requests, args.concurrency, args.cold_only, args.processes, not args.no_warm_up)


if __name__ == "__main__":
    main()

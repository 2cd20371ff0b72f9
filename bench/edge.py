"""What the security headers and the rate limit cost a cheap cached read.

    python -m bench.edge [--requests 3000] [--concurrency 16] [--rounds 3]

The demo fablab in SQLite, served by the app as built (security headers, rate limit on) and by
the same app without those two middlewares, for two reads: a cached list
(`/api/v1/events?department=23`, which the limit lets through after one look at its query
string) and a text search (`q=`, which takes a token from its client's bucket; the budget is
set high enough that none is refused).

Two measures, the variants in turns, the best round of each counting:
- over HTTP: two uvicorn processes on 127.0.0.1 driven by aiohttp clients, requests per second;
- in process: the ASGI app called directly in a loop, CPU time per request (the process's own,
  so less disturbed by what else the machine runs).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import time
from datetime import date
from pathlib import Path

import uvicorn

from bench.harvest import free_port
from bench.query import load
from hub.api.app import create_app
from hub.api.headers import SecurityHeaders
from hub.api.ratelimit import RateLimit
from hub.demo.data import seed_fabrique
from hub.settings import Settings
from hub.setup import upgrade
from hub.store.db import make_engine, session_scope

PATHS = {
    "cached list": ["/api/v1/events?department=23"],
    "text search": ["/api/v1/events?q=atelier"],
}


def _settings(database: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{database}",
        rate_limit_per_minute=10_000_000,
        rate_limit_burst=10_000_000,
    )


def _seeded(database: Path) -> Path:
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    with session_scope(engine) as session:
        seed_fabrique(session, _settings(database), date.today())
    engine.dispose()
    return database


def _serve(database: Path, port: int, bare: bool) -> None:
    app = create_app(_settings(database))
    if bare:
        app.user_middleware = [m for m in app.user_middleware if m.cls not in (SecurityHeaders, RateLimit)]
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def run(requests: int, concurrency: int, rounds: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as directory:
        database = _seeded(Path(directory) / "edge.db")
        servers = {}
        for variant, bare in (("with", False), ("without", True)):
            port = free_port()
            servers[variant] = (
                multiprocessing.Process(target=_serve, args=(database, port, bare), daemon=True),
                f"http://127.0.0.1:{port}",
            )
            servers[variant][0].start()
        time.sleep(2.0)
        best: dict[str, dict[str, float]] = {name: {} for name in PATHS}
        try:
            for name, paths in PATHS.items():
                for _, base in servers.values():
                    asyncio.run(load([base], paths, 200, concurrency))  # warm the cache and the pool
                for round_ in range(rounds):
                    for variant, (_, base) in servers.items():
                        latencies, elapsed = asyncio.run(load([base], paths, requests, concurrency))
                        rate = len(latencies) / elapsed
                        print(f"  {name:<12} {variant:<8} middlewares, round {round_ + 1}: {rate:7.0f} req/s")
                        best[name][variant] = max(best[name].get(variant, 0.0), rate)
        finally:
            for process, _ in servers.values():
                process.terminate()
    for name, rates in best.items():
        print(
            f"{name:<12} best of {rounds}: with {rates['with']:.0f} req/s, without {rates['without']:.0f} "
            f"req/s: {rates['with'] / rates['without']:.1%}"
        )
    return best


async def _cpu_per_request(app, path: str, requests: int) -> float:
    """Microseconds of this process's CPU per request, calling the ASGI app directly."""
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message

    started = time.process_time()
    for _ in range(requests):
        await app(dict(scope), receive, send)
    return (time.process_time() - started) / requests * 1e6


def run_in_process(requests: int, rounds: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as directory:
        database = _seeded(Path(directory) / "edge.db")
        apps = {"with": create_app(_settings(database)), "without": create_app(_settings(database))}
        apps["without"].user_middleware = [
            m for m in apps["without"].user_middleware if m.cls not in (SecurityHeaders, RateLimit)
        ]
        best: dict[str, dict[str, float]] = {name: {} for name in PATHS}
        for name, (path,) in PATHS.items():
            for app in apps.values():
                asyncio.run(_cpu_per_request(app, path, 200))
            for round_ in range(rounds):
                for variant, app in apps.items():
                    cpu = asyncio.run(_cpu_per_request(app, path, requests))
                    print(f"  {name:<12} {variant:<8} middlewares, round {round_ + 1}: {cpu:6.0f} µs CPU")
                    best[name][variant] = min(best[name].get(variant, float("inf")), cpu)
        for app in apps.values():
            app.state.version_probe.close()
    for name, cpu in best.items():
        print(
            f"{name:<12} best of {rounds}: with {cpu['with']:.0f} µs, without {cpu['without']:.0f} µs: "
            f"+{cpu['with'] - cpu['without']:.0f} µs ({cpu['with'] / cpu['without'] - 1:+.1%})"
        )
    return best


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.edge")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("over HTTP")
    run(args.requests, args.concurrency, args.rounds)
    print("in process")
    run_in_process(args.requests, args.rounds * 2)


if __name__ == "__main__":
    main()

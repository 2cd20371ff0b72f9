"""The agenda page against the JSON answer to the same calendar query, on one server in one run.

    python -m bench.pages --nodes 200 [--requests 400] [--concurrency 1 16 64]

Serves the hub of `--nodes` harvested simulated nodes (built and kept by bench.query) and asks
the same questions two ways: the HTML agenda (`/?region=…`) and the network API
(`/api/v1/occurrences?region=…`). Two mixes each: a few queries asked over and over (what
partner sites and readers of a region's agenda do), and varied queries each asked once (the
reads themselves, no cache). Prints p50, p99, requests per second, and the page's throughput as
a fraction of the API's for the same mix.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import time
from datetime import date, timedelta

from bench.harvest import free_port
from bench.query import Load, _serve, build, cold_queries, cpu_seconds, load, settle

API = "/api/v1/occurrences?"


def repeated(today: date) -> list[str]:
    start, end = today.isoformat(), (today + timedelta(days=30)).isoformat()
    regions = ["84", "75", "11", "76", "53", "44", "52", "93"]
    return [f"{API}region={r}&start={start}&end={end}&limit=50" for r in regions]


def varied(today: date, count: int) -> list[str]:
    queries = cold_queries(today, random.Random(7), set())
    return [next(queries) for _ in range(count)]


def as_page(path: str) -> str:
    return "/?" + path.removeprefix(API)


async def once_each(base: str, paths: list[str], concurrency: int) -> tuple[list[float], float]:
    """Every path asked once, by `concurrency` clients."""
    return await load([base], paths, len(paths), concurrency, shuffle=False)


def run(nodes: int, requests: int, concurrencies: list[int]) -> list[tuple[Load, Load]]:
    database = build(nodes)
    settle(database)
    port = free_port()
    server = multiprocessing.Process(target=_serve, args=(database, port), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port}"
    time.sleep(2.0)
    today = date.today()
    pairs = []
    print(f"hub on SQLite holding {nodes} harvested nodes; one uvicorn process")
    try:
        for concurrency in concurrencies:
            api_paths = repeated(today)
            mixes = {
                "same region queries": (api_paths, False),
                # Each concurrency draws other queries: none was asked before in the run.
                "varied, asked once": (varied(today + timedelta(days=concurrency), requests), True),
            }
            for mix, (paths, once) in mixes.items():
                measured = []
                for kind, asked in (("JSON", paths), ("HTML", [as_page(p) for p in paths])):
                    cpu = cpu_seconds([server.pid])
                    if once:
                        latencies, elapsed = asyncio.run(once_each(base, asked, concurrency))
                    else:
                        latencies, elapsed = asyncio.run(load([base], asked, requests, concurrency))
                    result = Load.of(
                        f"{mix}: {kind}", concurrency, latencies, elapsed, cpu_seconds([server.pid]) - cpu
                    )
                    print(result.line())
                    measured.append(result)
                json_load, html_load = measured
                print(
                    f"  {'':<32} HTML serves {html_load.rate / json_load.rate:.0%} of JSON's rate, "
                    f"p99 {html_load.p99_ms / json_load.p99_ms:.1f}x"
                )
                pairs.append((json_load, html_load))
    finally:
        server.terminate()
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    args = parser.parse_args()
    run(args.nodes, args.requests, args.concurrency)


if __name__ == "__main__":
    main()

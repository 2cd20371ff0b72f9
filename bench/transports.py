"""Client CPU cost of conditional requests answered `304`, per HTTP transport, against one local server.

    python -m bench.transports [--requests 3500] [--concurrency 50]

The server runs in a child process, so the figures are the client's own CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import time

import aiohttp
import httpx
from aiohttp import web

ETAG = '"v1"'


def _serve(port: int) -> None:
    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers={"ETag": ETAG})
        return web.json_response({"items": []}, headers={"ETag": ETAG})

    app = web.Application()
    app.router.add_get("/{node}/api/v1/changes", handler)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _run(fetch_one, urls: list[str], concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str) -> None:
        async with gate:
            status = await fetch_one(url)
            assert status == 304, status

    await asyncio.gather(*(one(u) for u in urls))


async def with_httpx(
    urls: list[str], concurrency: int, transport: httpx.AsyncBaseTransport | None = None
) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, transport=transport) as client:

        async def fetch(url: str) -> int:
            return (await client.get(url, headers={"If-None-Match": ETAG})).status_code

        await _run(fetch, urls, concurrency)


async def with_httpx_aiohttp(urls: list[str], concurrency: int) -> None:
    from httpx_aiohttp import AiohttpTransport

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        await with_httpx(urls, concurrency, transport=AiohttpTransport(client=session))


async def with_aiohttp(urls: list[str], concurrency: int) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def fetch(url: str) -> int:
            async with session.get(url, headers={"If-None-Match": ETAG}) as response:
                await response.read()
                return response.status

        await _run(fetch, urls, concurrency)


CLIENTS = {"httpx": with_httpx, "httpx+aiohttp transport": with_httpx_aiohttp, "aiohttp": with_aiohttp}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3500)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    port = _free_port()
    server = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    server.start()
    time.sleep(1.0)
    urls = [f"http://127.0.0.1:{port}/n{i}/api/v1/changes?since=x" for i in range(args.requests)]
    try:
        print(f"{args.requests} conditional requests answered 304, concurrency {args.concurrency}")
        for name, client in CLIENTS.items():
            cpu, wall = time.process_time(), time.perf_counter()
            asyncio.run(client(urls, args.concurrency))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            print(
                f"  {name:<26} client CPU {cpu:6.2f} s  wall {wall:6.2f} s  {args.requests / wall:8.0f} req/s"
            )
    finally:
        server.terminate()


if __name__ == "__main__":
    main()

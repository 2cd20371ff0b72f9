"""Client CPU cost of conditional requests answered `304`, per HTTP transport, against one local server.

    python -m bench.transports [--requests 3500] [--concurrency 50]

The server runs in a child process, so the figures are the client's own CPU time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import time

from aiohttp import web

from bench.ceiling import CLIENTS, Ask, measure

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3500)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    run(args.requests, args.concurrency)


def run(requests: int, concurrency: int) -> None:
    port = _free_port()
    server = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    server.start()
    time.sleep(1.0)
    asks = [Ask(f"http://127.0.0.1:{port}/n{i}/api/v1/changes?since=x", ETAG) for i in range(requests)]
    try:
        print(f"{requests} conditional requests answered 304, concurrency {concurrency}")
        for name in CLIENTS:
            result = measure(name, asks, concurrency)
            assert result.statuses == {304: requests}, result.statuses
            print(
                f"  {name:<26} client CPU {result.cpu:6.2f} s  wall {result.seconds:6.2f} s  "
                f"{requests / result.seconds:8.0f} req/s"
            )
    finally:
        server.terminate()


if __name__ == "__main__":
    main()

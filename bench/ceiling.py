"""The ceiling of a harvest: bare HTTP clients fetching and decoding what the hub fetches, and nothing else.

Each client sends the same requests as the hub (same URLs, same conditional headers, same
concurrency) and decodes what comes back (JSON with orjson, iCalendar with icalendar), so the
ratio of the hub's time to the fastest client's is what the hub's own work costs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import httpx
import orjson
from icalendar import Calendar


@dataclass(frozen=True)
class Ask:
    """One request of the ceiling: a URL and, for a conditional request, the ETag held."""

    url: str
    etag: str | None = None


@dataclass
class Ceiling:
    client: str
    seconds: float
    cpu: float
    statuses: dict[int, int]

    def line(self) -> str:
        answered = ", ".join(
            f"{count} x {status or 'failed'}" for status, count in sorted(self.statuses.items())
        )
        return f"  {self.client:<34} {self.seconds:7.2f} s  client CPU {self.cpu:6.2f} s  ({answered})"


def decode(body: bytes, content_type: str) -> None:
    if not body:
        return
    if "calendar" in content_type:
        Calendar.from_ical(body)
    else:
        orjson.loads(body)


Fetch = Callable[[Ask], Awaitable[int]]
TIMEOUT = 120  # seconds for one request, as generous as the hub's total timeout
FAILED = 0  # the status counted for a request that got no answer


async def _run(fetch: Fetch, asks: list[Ask], concurrency: int) -> dict[int, int]:
    gate = asyncio.Semaphore(concurrency)
    statuses: dict[int, int] = {}

    async def one(ask: Ask) -> None:
        async with gate:
            try:
                status = await fetch(ask)
            except (httpx.TransportError, aiohttp.ClientError, OSError, TimeoutError):
                status = FAILED  # counted, not raised: one reset connection must not end the run
            statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(one(a) for a in asks))
    return statuses


def _headers(ask: Ask) -> dict[str, str]:
    return {"If-None-Match": ask.etag} if ask.etag else {}


async def with_httpx(
    asks: list[Ask], concurrency: int, transport: httpx.AsyncBaseTransport | None = None
) -> dict[int, int]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, transport=transport, timeout=TIMEOUT) as client:

        async def fetch(ask: Ask) -> int:
            response = await client.get(ask.url, headers=_headers(ask))
            decode(response.content, response.headers.get("content-type", ""))
            return response.status_code

        return await _run(fetch, asks, concurrency)


async def with_httpx_aiohttp(asks: list[Ask], concurrency: int) -> dict[int, int]:
    from httpx_aiohttp import AiohttpTransport

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(TIMEOUT)) as session:
        return await with_httpx(asks, concurrency, transport=AiohttpTransport(client=session))


async def with_aiohttp(asks: list[Ask], concurrency: int) -> dict[int, int]:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(TIMEOUT)) as session:

        async def fetch(ask: Ask) -> int:
            async with session.get(ask.url, headers=_headers(ask)) as response:
                decode(await response.read(), response.headers.get("content-type", ""))
                return response.status

        return await _run(fetch, asks, concurrency)


CLIENTS = {"httpx": with_httpx, "httpx+aiohttp transport": with_httpx_aiohttp, "aiohttp": with_aiohttp}


def measure(client: str, asks: list[Ask], concurrency: int) -> Ceiling:
    cpu, wall = time.process_time(), time.perf_counter()
    statuses = asyncio.run(CLIENTS[client](asks, concurrency))
    return Ceiling(client, time.perf_counter() - wall, time.process_time() - cpu, statuses)


def fastest(asks: list[Ask], concurrency: int, clients: tuple[str, ...] = tuple(CLIENTS)) -> list[Ceiling]:
    """Every client on the same requests; the fastest first, a client that missed answers last."""
    runs = (measure(name, asks, concurrency) for name in clients)
    return sorted(runs, key=lambda c: (FAILED in c.statuses, c.seconds))

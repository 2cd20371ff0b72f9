"""Hostile sources: a calendar and a change feed that misbehave in the way a test asks, and slow nodes."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import socket
import threading
from functools import cache

from aiohttp.abc import AbstractResolver
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from hub.settings import Settings
from tests.factories import YEAR


def calendar(*uids: str) -> bytes:
    events = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}@hostile.example\r\n"
        f"DTSTAMP:{YEAR}0101T000000Z\r\n"
        f"DTSTART;TZID=Europe/Paris:{YEAR}0{3 + i}10T180000\r\n"
        f"DTEND;TZID=Europe/Paris:{YEAR}0{3 + i}10T200000\r\n"
        f"SUMMARY:Atelier {uid}\r\n"
        "END:VEVENT\r\n"
        for i, uid in enumerate(uids)
    )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hostile//Test//FR\r\n" + events + "END:VCALENDAR\r\n"
    ).encode()


GOOD = calendar("a", "b", "c")


def harvesting_hub(db, **overrides) -> Settings:
    """Settings of the hub under test harvesting these servers on 127.0.0.1, by hand."""
    return db.settings(
        role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_in_process=False, **overrides
    )


BROKEN_ZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Fuseau cassé\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
    "TZOFFSETFROM:+5744\r\nTZOFFSETTO:+5744\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
)


def many_events(count: int, *, title: str = "Atelier", broken_from: int | None = None) -> bytes:
    """A calendar of `count` events: the first a weekly series whose moved occurrence is written
    last, far from it. From `broken_from` on, events name a time zone icalendar cannot read."""

    def event(n: int) -> str:
        zone = "Fuseau cassé" if broken_from is not None and n >= broken_from else "Europe/Paris"
        day = f"{YEAR}{1 + n // 28 % 12:02d}{1 + n % 28:02d}"
        weekly = "RRULE:FREQ=WEEKLY;COUNT=10\r\n" if n == 0 else ""
        return (
            f"BEGIN:VEVENT\r\nUID:n{n}@hostile.example\r\nDTSTART;TZID={zone}:{day}T180000\r\n"
            f"DTEND;TZID={zone}:{day}T200000\r\nSUMMARY:{title} {n}\r\n{weekly}END:VEVENT\r\n"
        )

    moved = (
        f"BEGIN:VEVENT\r\nUID:n0@hostile.example\r\nRECURRENCE-ID;TZID=Europe/Paris:{YEAR}0108T180000\r\n"
        f"DTSTART;TZID=Europe/Paris:{YEAR}0109T190000\r\nDTEND;TZID=Europe/Paris:{YEAR}0109T210000\r\n"
        "SUMMARY:Atelier déplacé\r\nEND:VEVENT\r\n"
    )
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hostile//Test//FR\r\n"
    zones = BROKEN_ZONE if broken_from is not None else ""
    return (head + zones + "".join(map(event, range(count))) + moved + "END:VCALENDAR\r\n").encode()


@cache
def _bomb() -> bytes:
    """50 MB of calendar in 50 KB of gzip, compressed once: on a busy machine, compressing it for
    each request took longer than the hub waits for an answer."""
    return gzip.compress(b"BEGIN:VCALENDAR\r\n" + b"X" * 50_000_000)


class Hostile:
    """State of the hostile server: its mode and what it received."""

    def __init__(self) -> None:
        self.mode = "good"
        self.requests = 0
        self.counter = itertools.count()
        self.served = GOOD  # what the "given" mode serves

    def app(self, base_url: str) -> Starlette:
        self.base_url = base_url
        return Starlette(routes=[Route("/{path:path}", self.handle)])

    async def handle(self, request: Request) -> Response:
        self.requests += 1
        mode = self.mode
        ics = {"Content-Type": "text/calendar; charset=utf-8"}
        if mode == "good":
            return Response(GOOD, headers=ics | {"ETag": '"good"'})
        if mode == "given":
            return Response(self.served, headers=ics)
        if mode == "slow":
            await asyncio.sleep(5)
            return Response(GOOD, headers=ics)
        if mode == "endless":

            async def drip():
                yield b"BEGIN:VCALENDAR\r\n"
                while True:
                    await asyncio.sleep(0.2)
                    yield b"X-PADDING:" + b"x" * 10 + b"\r\n"

            return StreamingResponse(drip(), headers=ics)
        if mode == "trickle":

            async def trickle():
                for byte in GOOD:  # a minute for the whole calendar
                    await asyncio.sleep(0.1)
                    yield bytes([byte])

            return StreamingResponse(trickle(), headers=ics)
        if mode == "huge":
            return Response(
                b"BEGIN:VCALENDAR\r\n" + b"X-PADDING:" + b"x" * 300_000 + b"\r\nEND:VCALENDAR\r\n",
                headers=ics,
            )
        if mode == "invalid-json":
            return Response(b"{not json", media_type="application/json")
        if mode == "invalid-calendar":
            return Response(b"BEGIN:VCALENDAR\r\nthis is not\r\n a calendar", headers=ics)
        if mode == "truncated":
            return Response(GOOD[: len(GOOD) // 2], headers=ics)
        if mode == "wrong-type":
            return Response(b"<html><body>Agenda</body></html>", media_type="text/html")
        if mode == "server-error":
            return PlainTextResponse("boom", status_code=500)
        if mode == "rate-limited-once":
            if next(self.counter) == 0:
                return PlainTextResponse("slow down", status_code=429, headers={"Retry-After": "1"})
            return Response(GOOD, headers=ics)
        if mode == "rate-limited-long":
            return PlainTextResponse("come back tomorrow", status_code=503, headers={"Retry-After": "86400"})
        if mode == "redirect-loop":
            return RedirectResponse(f"{self.base_url}/loop/{next(self.counter)}", status_code=302)
        if mode == "redirect-private":
            return RedirectResponse("http://10.20.30.40/agenda.ics", status_code=302)
        if mode == "changing-etag":
            return Response(GOOD, headers=ics | {"ETag": f'"v{next(self.counter)}"'})
        if mode == "gzip":
            return Response(gzip.compress(GOOD), headers=ics | {"Content-Encoding": "gzip"})
        if mode == "gzip-bomb":
            return Response(_bomb(), headers=ics | {"Content-Encoding": "gzip"})
        if mode == "mass-deletion":
            return Response(calendar("a"), headers=ics)
        if mode == "one-removed":
            return Response(calendar("a", "b"), headers=ics)
        raise AssertionError(mode)


class ChangeFeed:
    """A node whose change feed misbehaves as a test asks: its cursor stops moving (`stuck`), its
    pages never end (`pages=None`), or each page takes `delay` seconds. Page n is asked with the
    cursor `p<n>` and holds `per_page` events; `asked` lists the cursors asked for, in order."""

    def __init__(
        self, *, pages: int | None = None, stuck: bool = False, delay: float = 0.0, per_page: int = 2
    ) -> None:
        self.pages, self.stuck, self.delay, self.per_page = pages, stuck, delay, per_page
        self.asked: list[str | None] = []

    def app(self, base_url: str) -> Starlette:
        self.base_url = base_url
        return Starlette(
            routes=[
                Route("/.well-known/tiers-lieux", self.descriptor),
                Route("/api/v1/changes", self.changes),
            ]
        )

    async def descriptor(self, request: Request) -> Response:
        return JSONResponse(
            {
                "id": f"{self.base_url}/",
                "type": "NodeDescriptor",
                "name": "Flux capricieux",
                "role": "node",
                "feeds": {"changes": f"{self.base_url}/api/v1/changes"},
            },
            media_type="application/ld+json",
        )

    def event_iri(self, n: int) -> str:
        return f"{self.base_url}/events/{n}"

    async def changes(self, request: Request) -> Response:
        since = request.query_params.get("since")
        self.asked.append(since)
        if self.delay:
            await asyncio.sleep(self.delay)
        page = int(since.removeprefix("p")) if since else 0
        following = 1 if self.stuck else page + 1
        items = [
            {
                "type": "Event",
                "id": self.event_iri(n),
                "title": f"Atelier du flux n°{n}",
                "start": f"{YEAR}-05-{1 + n % 28:02d}T18:00:00+02:00",
                "end": f"{YEAR}-05-{1 + n % 28:02d}T20:00:00+02:00",
            }
            for n in range(page * self.per_page, (page + 1) * self.per_page)
        ]
        return JSONResponse(
            {
                "type": "ChangePage",
                "items": items,
                "next_cursor": f"p{following}",
                "has_more": self.pages is None or following < self.pages,
            },
            media_type="application/ld+json",
        )


class SlowNodes:
    """Many minimal nodes under one server, each answering in `delay` seconds and counting overlaps."""

    def __init__(self, delay: float = 0.4) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = {}
        self.overlap: dict[str, int] = {}
        self.harvests: dict[str, int] = {}

    def app(self, base_url: str) -> Starlette:
        self.base_url = base_url

        async def descriptor(request: Request) -> JSONResponse:
            node = request.path_params["node"]
            base = f"{self.base_url}/{node}"
            return JSONResponse(
                {
                    "id": base + "/",
                    "type": "NodeDescriptor",
                    "name": node,
                    "role": "node",
                    "feeds": {"changes": f"{base}/api/v1/changes"},
                }
            )

        async def changes(request: Request) -> JSONResponse:
            node = request.path_params["node"]
            with self.lock:
                self.in_flight[node] = self.in_flight.get(node, 0) + 1
                self.overlap[node] = max(self.overlap.get(node, 0), self.in_flight[node])
                self.harvests[node] = self.harvests.get(node, 0) + 1
            await asyncio.sleep(self.delay)
            with self.lock:
                self.in_flight[node] -= 1
            place = {
                "id": f"{self.base_url}/{node}/places/1",
                "type": "Place",
                "name": f"Lieu {node}",
                "updated": "2026-01-01T00:00:00Z",
            }
            return JSONResponse(
                {"type": "ChangePage", "items": [place], "next_cursor": "end", "has_more": False}
            )

        return Starlette(
            routes=[
                Route("/{node}/.well-known/tiers-lieux", descriptor),
                Route("/{node}/api/v1/changes", changes),
            ]
        )


class FixedResolver(AbstractResolver):
    """Answers every name with the given address, as a hostile DNS would."""

    def __init__(self, address: str) -> None:
        self.address = address

    async def resolve(self, host, port=0, family=socket.AF_INET):
        return [
            {"hostname": host, "host": self.address, "port": port, "family": family, "proto": 0, "flags": 0}
        ]

    async def close(self) -> None:
        return None

"""A budget of expensive reads for anonymous clients, so that one client cannot hold the
database for everyone: text searches (`q=`), the figures (`/api/v1/stats`) and the pages.

Each client address has a token bucket of `HUB_RATE_LIMIT_BURST` reads, refilled at
`HUB_RATE_LIMIT_PER_MINUTE`; past it, a `429` problem document with `Retry-After` (a page saying
so in the reader's language, for a browser asking for a page). The client
address is the one uvicorn resolved: behind a reverse proxy, that of `X-Forwarded-For` when the
proxy is in `FORWARDED_ALLOW_IPS` (deploy/README.md). A client presenting a valid bearer token
is not limited. Buckets live in the process's memory: each API process keeps its own, so N
processes behind a proxy allow a client up to N times the rate. Every other read (cached lists,
feeds, the change feed) passes with one look at its path and query string.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.api.problems import problem_response
from hub.errors import PROBLEM_BASE, HubError
from hub.web.page_problems import reads_pages, too_many_page

PAGES = frozenset(
    {
        "/",
        "/places",
        "/people",
        "/needs",
        "/stats",
        "/sources",
        "/embed",
        "/embed/agenda",
        "/wall",
        "/wall/fragment",
    }
)
# The pages of a place, an event, a need (and its form to be put in touch), a programme, a report.
PAGE_PREFIXES = ("/places/", "/events/", "/needs/", "/programmes/", "/stats/")
FIGURES = "/api/v1/stats"
# Clients remembered at most; the least recently seen is forgotten first (it gets a full bucket).
MOST_CLIENTS = 10_000


def expensive(path: str, query: bytes) -> bool:
    """A text search, the figures or a page: the reads the budget is for."""
    if path == FIGURES or path in PAGES or path.startswith(PAGE_PREFIXES):
        return True
    return b"q=" in query and any(n == "q" and v.strip() for n, v in parse_qsl(query.decode("latin-1")))


class Buckets:
    """Token buckets by client, in memory, bounded in number."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60
        self.burst = burst
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Take one read from the client's bucket: 0 if it had one, else the seconds until it has."""
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
            if len(self._buckets) > MOST_CLIENTS:
                self._buckets.popitem(last=False)
        return wait


class RateLimit:
    """ASGI middleware applying the budget; `known(token)` says whether a bearer token is valid."""

    def __init__(self, app: ASGIApp, *, buckets: Buckets, known: Callable[[str], bool]) -> None:
        self.app = app
        self.buckets = buckets
        self.known = known

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not expensive(scope["path"], scope.get("query_string", b"")):
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take((scope.get("client") or ("unknown",))[0])
        if wait and not await self._authenticated(scope):
            seconds = math.ceil(wait)
            request = Request(scope)
            if reads_pages(request):
                response = too_many_page(request, request.app.state.settings, seconds)
            else:
                response = problem_response(
                    429,
                    PROBLEM_BASE + "too-many-requests",
                    "Too many requests",
                    "this client made more text searches, figure or page reads than an anonymous client "
                    f"may: retry in {seconds} s, or present a bearer token",
                    scope["path"],
                )
            response.headers["Retry-After"] = str(seconds)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _authenticated(self, scope: Scope) -> bool:
        """Asked only of a client past its budget: checking a token reads the database."""
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        try:
            return await run_in_threadpool(self.known, token.strip())
        except HubError:
            return False


def limited_in_openapi(schema: dict) -> dict:
    """Declare the `429` of the reads the budget is for: the figures, and every read taking `q`."""
    too_many = {
        "description": "Problem document (RFC 9457): too many expensive reads, retry later",
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "required": True, "schema": {"type": "integer"}}
        },
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for path, operations in schema.get("paths", {}).items():
        read = operations.get("get")
        if read is None:
            continue
        names = {p.get("name") for p in read.get("parameters", []) if p.get("in") == "query"}
        if path == FIGURES or "q" in names:
            read.setdefault("responses", {})["429"] = too_many
    return schema

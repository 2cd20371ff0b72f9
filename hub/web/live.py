"""Live pages: one look at the data version every `HUB_WALL_POLL_SECONDS` for all the walls open on
this process, and a server-sent event stream telling each wall the version it should show.

The look is the query every kept answer already makes (hub.http.cache): one indexed read, on the
event loop on SQLite. It runs only while a stream is open. A stream is bounded three ways: in
number (`HUB_WALL_STREAMS_MAX`, then `503`), in time (it ends after STREAM_SECONDS, the browser
opens a new one after `retry`), and by its client (a closed tab ends it at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from hub.errors import Busy

log = logging.getLogger(__name__)

# A comment line every HEARTBEAT seconds keeps proxies from closing a quiet stream.
HEARTBEAT = 15.0
STREAM_SECONDS = 30 * 60
RETRY_MS = 3000
# Open streams would hold a server's shutdown until their browsers leave: servers close them after
# this many seconds (uvicorn's `timeout_graceful_shutdown`), and the browsers reconnect elsewhere.
SHUTDOWN_GRACE_SECONDS = 10


def version_tag(version: tuple) -> str:
    """A data version as a short opaque word, as pages and streams carry it."""
    return hashlib.sha256(repr(version).encode()).hexdigest()[:16]


class VersionWatch:
    """The data version as last seen, and a wake-up for whoever waits for it to change."""

    def __init__(self, read: Callable[[], Awaitable[tuple]], every: float, most: int) -> None:
        self.read, self.every, self.most = read, every, most
        self.tag: str | None = None
        self.streams = 0
        self._changed: asyncio.Event | None = None
        self._task: asyncio.Task | None = None

    def join(self) -> None:
        """Count one more stream, the look started with the first; `Busy` past the bound."""
        if self.streams >= self.most:
            raise Busy(f"this instance serves {self.most} live walls at once: the wall refreshes by itself")
        self.streams += 1
        if self._task is None:
            self._changed = asyncio.Event()
            self._task = asyncio.create_task(self._look())

    def leave(self) -> None:
        self.streams -= 1
        if self.streams == 0 and self._task is not None:
            self._task.cancel()
            self._task, self.tag = None, None

    async def changed(self, seen: str | None, timeout: float) -> str | None:
        """The version once it is not `seen` (the current one at once), or None after `timeout`."""
        assert self._changed is not None, "join first"
        if self.tag is not None and self.tag != seen:
            return self.tag
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)
        return self.tag if self.tag is not None and self.tag != seen else None

    async def _look(self) -> None:
        failing = False
        while True:
            try:
                tag = version_tag(await self.read())
            except Exception:
                # Said once per outage, not once a second.
                if not failing:
                    log.exception("reading the data version for the live walls failed; will retry")
                failing = True
            else:
                failing = False
                if tag != self.tag:
                    self.tag, woken = tag, self._changed
                    self._changed = asyncio.Event()
                    assert woken is not None
                    woken.set()
            await asyncio.sleep(self.every)


async def _events(watch: VersionWatch) -> AsyncIterator[bytes]:
    """`retry`, then an event with the version whenever it changes, comments in between."""
    yield f"retry: {RETRY_MS}\n\n".encode()
    seen, ends = None, time.monotonic() + STREAM_SECONDS
    while (left := ends - time.monotonic()) > 0:
        tag = await watch.changed(seen, min(HEARTBEAT, left))
        if tag is None:
            yield b": still here\n\n"
        else:
            seen = tag
            yield f"event: version\ndata: {tag}\n\n".encode()


class VersionStream(StreamingResponse):
    """The stream of one wall: it holds its place in the watch while it is served, and only then."""

    def __init__(self, watch: VersionWatch) -> None:
        watch.join()
        self.watch = watch
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        super().__init__(_events(watch), media_type="text/event-stream", headers=headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.watch.leave()

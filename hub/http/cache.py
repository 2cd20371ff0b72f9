"""Answers to identical reads, reused while the data they come from has not changed.

Partner sites ask the same few questions over and over (the agenda of a region, its feed).
An answer is kept with the data version it was computed at: the last change of the change
log, and the end of the occurrence horizon, stored when a roll is complete (a roll commits
batch by batch: an answer read half-way through one is not reused after it). Any write, any
harvested change, moves the version on, so a cached answer is never stale; checking the
version is one indexed query.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from fastapi import FastAPI, Request
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.events.occurrences import HORIZON_END
from hub.http.common_deps import in_read_session, read_session
from hub.http.readers import on_readers
from hub.kit.bounded import BoundedMap

VERSION_SQL = (
    f"SELECT (SELECT max(seq) FROM change), (SELECT value FROM feedstate WHERE key = '{HORIZON_END}')"
)
VERSION_QUERY = text(VERSION_SQL)

T = TypeVar("T")


def data_version(session: Session) -> tuple:
    return tuple(session.execute(VERSION_QUERY).one())


class PerVersion:
    """Values read from the database, each computed once per data version: what every page
    shows besides its answer (the choices of its filters) would cost a query and hundreds of
    rows otherwise. The values are read-only for whoever gets them."""

    def __init__(self) -> None:
        self._held: dict[tuple, tuple[tuple, object]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, key: tuple, compute: Callable[[], T]) -> T:
        version = data_version(session)
        with self._lock:
            kept = self._held.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._held[key] = (version, value)
        return value


class VersionProbe:
    """The data version read on the event loop itself, over one SQLite connection of its own: a
    cached answer then costs neither a hop to the thread pool nor a pooled session, which were
    most of a cached read's time. In WAL mode each query sees the last commit of any process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection = None

    def version(self) -> tuple:
        if self._connection is None:
            self._connection = self.engine.raw_connection()
        cursor = self._connection.cursor()
        try:
            # Read to the end: an unfinished statement would keep its snapshot open.
            return tuple(cursor.execute(VERSION_SQL).fetchall()[0])
        finally:
            cursor.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def read_key(request: Request, audience: str) -> tuple:
    """What an answer depends on besides the data: the path, the query, who reads, and the day.
    "From today" answers, and the days of the horizon, change at midnight in the instance's zone,
    hence that date."""
    today = datetime.now(request.app.state.settings.zone).date()
    query = tuple(sorted(request.query_params.multi_items()))
    return (request.url.path, query, audience, today.isoformat())


async def request_version(request: Request) -> tuple:
    """The data version, read on the event loop on SQLite, with a read session elsewhere."""
    return await current_version(request.app)


async def current_version(app: FastAPI) -> tuple:
    """The data version `app` serves, read as `request_version` reads it, outside any request."""
    probe: VersionProbe | None = app.state.version_probe
    if probe is not None:
        return probe.version()

    def read() -> tuple:
        with read_session(app.state.read_engine) as session:
            return data_version(session)

    return await on_readers(app.state.settings, read)


async def cached_read(request: Request, audience: str, work: Callable[[Session], bytes]) -> bytes:
    """The answer to this read: from the cache when the data has not changed, else computed."""
    cache: BoundedMap[bytes] = request.app.state.read_cache
    base = read_key(request, audience)
    probe: VersionProbe | None = request.app.state.version_probe
    if probe is not None and (body := cache.get((*base, probe.version()))) is not None:
        return body

    def read(session: Session) -> bytes:
        key = (*base, data_version(session))
        body = cache.get(key)
        if body is None:
            body = work(session)
            cache.put(key, body)
        return body

    return await in_read_session(request, read)

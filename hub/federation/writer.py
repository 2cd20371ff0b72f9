"""One writer on SQLite: the pages of every source harvested at once, applied by one thread in
shared transactions (group commit).

SQLite takes one writer at a time. Pages applied each in a thread and a transaction of its own
queue for its lock (the busy handler sleeping), commit one by one, and contend for the GIL while
they wait. Here one thread takes the pages as they come and applies those waiting together in one
transaction, each in a SAVEPOINT of its own with its source's row (a change feed's cursor): a page
that fails rolls back alone and the pages beside it land. A page's caller hears how it went only
once the transaction committed, so that nothing reports a page the store does not hold. Should the
transaction itself fail (its commit, or an error that ended it), each of its pages is applied again
in a transaction of its own, as without a writer.

A transaction takes pages for at most `GROUP_SECONDS` and `GROUP_PAGES`: other writers (the
sources' outcomes, the API) wait at most that long for SQLite's lock.

PostgreSQL keeps its writers side by side (row locks, the change log's lock): no writer there.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from hub.federation.models import Source
from hub.store.db import session_scope

log = logging.getLogger(__name__)
T = TypeVar("T")
Work = Callable[[Session, Source], Any]
CONFLICT_RETRIES = 3
GROUP_PAGES = 32
GROUP_SECONDS = 1.0


def in_transaction(engine: Engine, source_id: int, work: Work) -> Any:
    """Run `work` with the source's row locked in one transaction; retried when it collides with
    another harvest writing the same records at the same time (two hubs bringing one node's records)."""
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            with session_scope(engine) as session:
                source = session.get(Source, source_id, with_for_update=True)
                result = work(session, source)
                session.add(source)
                return result
        except (IntegrityError, OperationalError):
            if attempt == CONFLICT_RETRIES:
                raise
            time.sleep(0.05 * (attempt + 1) * random.uniform(1, 2))
    raise AssertionError("unreachable")


async def whole(future: Awaitable[T], landed: Callable[[T], object] | None = None) -> T:
    """Wait for work under way in a thread. A cancellation (a deadline) meanwhile lets it end first:
    a page commits whole, and before the outcome is written; `landed` hears what it gave either way."""
    future = asyncio.ensure_future(future)
    try:
        result = await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        if landed is not None and not future.cancelled() and future.exception() is None:
            landed(future.result())
        raise
    if landed is not None:
        landed(result)
    return result


@dataclass
class _Job:
    source_id: int
    work: Work
    done: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)
    outcome: tuple[Any, BaseException | None] = (None, None)


class Writer:
    """The thread applying every page of a harvest round on SQLite (see the module's docstring)."""

    def __init__(self, engine: Engine, *, pages: int = GROUP_PAGES, seconds: float = GROUP_SECONDS) -> None:
        self.engine, self.pages, self.seconds = engine, pages, seconds
        self.transactions = 0  # committed, for the tests and benchmarks
        self._closed = False
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="hub-writer", daemon=True)
        self._thread.start()

    async def write(self, source_id: int, work: Work, landed: Callable[[Any], object] | None = None) -> Any:
        """Apply `work` with the source's row, in a transaction shared with other pages; returns
        what it returned once committed, or raises what it raised (its SAVEPOINT rolled back)."""
        job = _Job(source_id, work)
        self._jobs.put(job)
        return await whole(asyncio.wrap_future(job.done), landed)

    async def close(self) -> None:
        """Apply what was given, then end the thread."""
        self._jobs.put(None)
        await asyncio.to_thread(self._thread.join)

    def _run(self) -> None:
        while not self._closed and (first := self._jobs.get()) is not None:
            group: list[_Job] = [first]
            try:
                self._apply_group(group)
            except Exception:
                log.warning("a shared transaction of %d pages failed; each is applied alone", len(group))
                for job in group:
                    job.outcome = self._alone(job)
            for job in group:
                value, error = job.outcome
                if error is None:
                    job.done.set_result(value)
                else:
                    job.done.set_exception(error)

    def _apply_group(self, group: list[_Job]) -> None:
        """Apply the first job of `group` and those that come meanwhile, in one transaction."""
        started = time.monotonic()
        with session_scope(self.engine) as session:
            job = group[0]
            while True:
                job.outcome = self._attempt(session, job)
                if job.outcome[1] is not None and not _still_open(session):
                    raise RuntimeError("the shared transaction ended with a page's failure")
                if len(group) >= self.pages or time.monotonic() - started >= self.seconds:
                    break
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._closed = True
                    break
                group.append(job)
        self.transactions += 1

    @staticmethod
    def _attempt(session: Session, job: _Job) -> tuple[Any, BaseException | None]:
        try:
            with session.begin_nested():
                source = session.get(Source, job.source_id, with_for_update=True)
                value = job.work(session, source)
                session.add(source)
            return value, None
        except Exception as exc:
            return None, exc

    def _alone(self, job: _Job) -> tuple[Any, BaseException | None]:
        try:
            return in_transaction(self.engine, job.source_id, job.work), None
        except Exception as exc:
            return None, exc


def _still_open(session: Session) -> bool:
    """Whether SQLite still holds the shared transaction (some errors end it on their own)."""
    return bool(session.connection().connection.dbapi_connection.in_transaction)

"""Harvesting sources: fetch (safely), read (the adapter of the source's kind, looked up in
hub/federation/adapters/kinds.py), apply (each page whole or not at all).

Sources are harvested concurrently on one event loop with one shared HTTP client; parsing and
database work run in threads, each page (of a change feed, or of a snapshot read a page at a
time) in a transaction of its own, or on SQLite in a SAVEPOINT of its own within a transaction
the round's writer shares among pages (hub/federation/writer.py), so a failure leaves what the
hub held intact. Whatever goes wrong is recorded
on the source, in words a coordinator understands, and the other sources carry on.

Every harvest is bounded: a change feed must move its cursor and gives at most a number of
pages per harvest (the rest comes at the next, soon after), each source has a deadline and
so has a round of harvests, and a source's outcome is written within a second of its end
whatever the others do (hub/federation/outcomes.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TypeVar
from urllib.parse import urlencode

from sqlalchemy.engine import Engine
from sqlalchemy.orm import load_only
from sqlmodel import Session, col, select

from hub.federation.adapters import node
from hub.federation.adapters.kinds import ADAPTERS, Adapter, detect
from hub.federation.apply import ApplyStats, apply_batch, remove_missing
from hub.federation.errors import DeadlinePassed, HarvestError, HttpStatus, InternalFailure, StuckFeed
from hub.federation.fetch import Fetcher, FetchResult
from hub.federation.harvested import Batch
from hub.federation.models import FLAG_INCOMPLETE, FLAG_RESYNC_CUT, Source
from hub.federation.outcomes import Outcomes, SourceReport, record_outcomes
from hub.federation.writer import Writer, in_transaction, whole
from hub.observability import HARVEST_DURATION, HARVESTS, RECORDS
from hub.settings import Settings
from hub.store.db import reader_of
from hub.store.records import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")
RESYNC_KINDS = ("place", "event", "person", "need", "offer", "programme")
LOAD_BATCH = 200  # sources of a harvest round read at once


class _Run:
    """The harvest of one source."""

    def __init__(
        self, engine: Engine, settings: Settings, fetcher: Fetcher, source: Source, writer: Writer | None
    ) -> None:
        self.engine, self.settings, self.fetcher, self.writer = engine, settings, fetcher, writer
        self.source = source
        self.report = SourceReport(source_id=source.id, url=source.url)

    async def fetch(
        self, url: str, accept: str, *, etag: str | None = None, modified: str | None = None
    ) -> FetchResult:
        result = await self.fetcher.get(
            url, accept=accept, etag=etag, last_modified=modified, token=self.source.token
        )
        self.report.requests += result.requests
        return result

    async def run(self) -> SourceReport:
        if self.source.kind == "auto":
            adapter = await detect(self.source.url, self.fetch)
            await self._save_kind(adapter.kind)
        else:
            adapter = ADAPTERS[self.source.kind]
        if adapter.feed:
            await self.harvest_feed(adapter)
        else:
            await self.harvest_snapshot(adapter)
        return self.report

    async def _save_kind(self, kind: str) -> None:
        self.source.kind = kind
        await self._write(lambda session, source: setattr(source, "kind", kind))

    async def _off_loop(self, work: Callable[..., T], *args: object) -> T:
        """Run blocking work (parsing) in a thread, to its end whatever deadline passes meanwhile."""
        return await whole(asyncio.to_thread(work, *args))

    async def _write(
        self, work: Callable[[Session, Source], T], landed: Callable[[T], object] | None = None
    ) -> T:
        """Run `work` with the source's row in one transaction: the round's writer's on SQLite
        (hub/federation/writer.py), else one of its own in a thread. A deadline that passes meanwhile
        lets it end first (a page commits whole, and before the outcome is written); `landed` hears
        what it returned once committed."""
        if self.writer is not None:
            return await self.writer.write(self.source.id, work, landed)
        return await whole(asyncio.to_thread(in_transaction, self.engine, self.source.id, work), landed)

    def _read(self, adapter: Adapter, result: FetchResult, url: str) -> Iterator[Batch]:
        """The pages of an answer, each read when asked for (off the event loop: `_next_page`)."""
        return adapter.read(
            result.body,
            result.content_type,
            url=url,
            place_iri=self.source.place_iri,
            page_size=self.settings.harvest_page_size,
        )

    async def harvest_feed(self, adapter: Adapter) -> None:
        """Follow a node's change feed from the cursor saved, a page per transaction."""
        source = self.source
        if not source.feed_url:
            result = await self.fetch(node.descriptor_url(source.url), adapter.accept)
            descriptor = node.parse_descriptor(result.body, result.content_type, url=source.url)

            def remember(session: Session, row: Source) -> None:
                row.base_url, row.feed_url = descriptor.base_url, descriptor.changes_url
                row.is_hub, row.name = descriptor.role == "hub", row.name or descriptor.name

            await self._write(remember)
            source.base_url, source.feed_url = descriptor.base_url, descriptor.changes_url
            source.is_hub, source.name = descriptor.role == "hub", source.name or descriptor.name
        cursor, etag = source.cursor, source.etag
        resync = False
        seen: set[str] = set()
        asked: set[str | None] = set()  # at most harvest_max_pages + 1 cursors
        while True:
            params = {"limit": self.settings.harvest_page_size} | ({"since": cursor} if cursor else {})
            asked.add(cursor)
            try:
                result = await self.fetch(f"{source.feed_url}?{urlencode(params)}", adapter.accept, etag=etag)
            except HttpStatus as exc:
                if exc.status != 410 or resync:
                    raise
                log.info("source %s: cursor expired, resyncing from scratch", source.id)
                cursor, etag, resync = None, None, True
                continue
            if result.not_modified:
                self.report.not_modified = True
                break
            page = await self._off_loop(_next_page, self._read(adapter, result, source.feed_url))
            if page.has_more and page.next_cursor in asked:
                raise StuckFeed(
                    f"{source.feed_url} answered the cursor {page.next_cursor!r} again, with more to come: "
                    "its cursor does not move, so the rest of the feed cannot be read"
                )
            saved = {"cursor": page.next_cursor, "etag": None if page.has_more else result.etag}
            stats = await self._apply_page(page, utcnow(), saved)
            seen |= stats.seen
            cursor, etag = page.next_cursor, None
            if not page.has_more:
                break
            if self.report.pages >= self.settings.harvest_max_pages:
                # The rest comes at the next harvest, from the cursor just saved.
                self.report.has_more = True
                break
        if resync and self.report.has_more:
            self.report.flagged = FLAG_RESYNC_CUT
            flag = self.report.flagged
            await self._write(lambda _, row: setattr(row, "flagged", flag))
        elif resync:
            await self._remove_missing(seen, RESYNC_KINDS)

    async def _apply_page(
        self, batch: Batch, fetched_at: datetime, saved: dict[str, object] | None = None
    ) -> ApplyStats:
        """Apply one page in its own transaction (or SAVEPOINT), with what to save on the source
        along with it (a change feed's cursor); counted in the report once committed."""

        def work(session: Session, source: Source) -> ApplyStats:
            stats = apply_batch(session, self.settings, source, batch, fetched_at=fetched_at)
            for name, value in (saved or {}).items():
                setattr(source, name, value)
            return stats

        def landed(stats: ApplyStats) -> None:
            self.report.stats.add(stats)
            self.report.pages += 1

        return await self._write(work, landed)

    async def _remove_missing(self, seen: set[str], kinds: tuple[str, ...]) -> None:
        def work(session: Session, source: Source) -> tuple[int, str | None]:
            removed, source.flagged = remove_missing(session, source, seen, kinds)
            return removed, source.flagged

        await self._write(work, self._removed)

    def _removed(self, outcome: tuple[int, str | None]) -> None:
        """Count what a removal removed and how it flagged the source, once committed."""
        removed, self.report.flagged = outcome
        self.report.stats.deleted += removed

    async def harvest_snapshot(self, adapter: Adapter) -> None:
        """Read a snapshot (a calendar, a page of events, an outbox) a page at a time off the event
        loop and apply each page in its own transaction; remove what the source no longer has only
        once the whole snapshot was read and complete. A failure half-way keeps the pages applied.

        An answer may link to the rest (`Batch.next_url`): the link is fetched and read in turn,
        at most `harvest_max_pages` of them, each once. A collection lists the newest first, so a
        record already read in this harvest is not read again from a later answer. The validators
        of a first answer that links on are not kept: a Mobilizon group's own document does not
        change when its outbox does."""
        source = self.source
        url = adapter.probe(source.url) or source.url
        result = await self.fetch(url, adapter.accept, etag=source.etag, modified=source.last_modified)
        if result.not_modified:
            self.report.not_modified = True
            return
        first, fetched_at = result, utcnow()
        seen: set[str] = set()
        complete = True
        fetched = {url}
        while True:
            read_before, link = set(seen), None
            pages = self._read(adapter, result, url)
            while (batch := await self._off_loop(_next_page, pages)) is not None:
                complete, link = batch.complete, batch.next_url
                batch.records = [record for record in batch.records if record.iri not in read_before]
                seen |= (await self._apply_page(batch, fetched_at)).seen
            if link is None:
                break
            if link in fetched:
                raise StuckFeed(f"{url} links back to {link}, already read in this harvest")
            if len(fetched) >= self.settings.harvest_max_pages:
                self.report.has_more, complete = True, False
                break
            fetched.add(link)
            url = link
            result = await self.fetch(url, adapter.accept)
        validators = (first.etag, first.last_modified) if len(fetched) == 1 else (None, None)
        await self._write(self._end_snapshot(adapter, validators, seen, complete), self._removed)

    @staticmethod
    def _end_snapshot(
        adapter: Adapter, validators: tuple[str | None, str | None], seen: set[str], complete: bool
    ) -> Callable[[Session, Source], tuple[int, str | None]]:
        """The last step of a snapshot: removals, the flag, and the validators (ETag, Last-Modified)
        of a complete read (a cut download is fetched whole again next time)."""

        def work(session: Session, row: Source) -> tuple[int, str | None]:
            removed, flag = 0, None
            if complete and adapter.removes_missing:
                removed, flag = remove_missing(session, row, seen, ("event",))
            elif adapter.removes_missing:
                flag = FLAG_INCOMPLETE
            if complete:
                row.etag, row.last_modified = validators
            row.flagged = flag
            return removed, flag

        return work


def _next_page(pages: Iterator[Batch]) -> Batch | None:
    """The next page of an answer, read in the calling thread; None after the last."""
    return next(pages, None)


async def harvest_source(
    engine: Engine,
    settings: Settings,
    fetcher: Fetcher,
    source_id: int,
    *,
    outcomes: Outcomes | None = None,
    source: Source | None = None,
    round_ends: float | None = None,
    writer: Writer | None = None,
) -> SourceReport:
    """Harvest one source (read now unless given) and record how it went (now, or with `outcomes`
    soon); never raises for a source's fault. Its pages go to `writer` when given (on SQLite).

    The harvest stops at its deadline, or at `round_ends` (event-loop time) when that comes
    first; what it applied until then stays."""
    source = source or await asyncio.to_thread(_load, engine, source_id)
    run = _Run(engine, settings, fetcher, source, writer)
    started = time.perf_counter()
    own_end = asyncio.get_running_loop().time() + settings.harvest_source_timeout
    error: HarvestError | None = None
    extra = {"source_id": source.id}
    try:
        async with asyncio.timeout_at(own_end if round_ends is None else min(own_end, round_ends)):
            await run.run()
    except TimeoutError:
        error = _out_of_time(settings, round_over=round_ends is not None and round_ends < own_end)
    except HarvestError as exc:
        error = exc
    except Exception as exc:
        # Our fault, not the source's: say so, keep the trace, go on with the other sources.
        error = InternalFailure(f"the hub failed on this source ({type(exc).__name__}); see the logs")
        log.exception("source %s (%s): harvest failed", source.id, source.url, extra=extra)
    if error is not None:
        if not isinstance(error, InternalFailure):
            log.warning("source %s (%s): %s", source.id, source.url, error.message, extra=extra)
        run.report.error, run.report.error_kind = error.message, error.kind
    _observe(run.report, source.kind, time.perf_counter() - started)
    if outcomes is None:
        await asyncio.to_thread(record_outcomes, engine, [(run.report, error)])
    else:
        await outcomes.add(run.report, error)
    return run.report


def _out_of_time(settings: Settings, *, round_over: bool, reached: bool = True) -> DeadlinePassed:
    """Why a harvest stopped at a deadline: its own, or its round's."""
    if not round_over:
        return DeadlinePassed(
            f"the harvest of this source took more than {settings.harvest_source_timeout:g} s; "
            "what was applied stays, the rest comes next time"
        )
    round_deadline = f"the harvest round ran past its deadline ({settings.harvest_round_timeout:g} s)"
    if not reached:
        return DeadlinePassed(f"{round_deadline} before this source was reached")
    return DeadlinePassed(
        f"{round_deadline} while this source was harvested; what was applied stays, the rest comes next time"
    )


def _observe(report: SourceReport, kind: str, seconds: float) -> None:
    label = str(report.source_id)
    outcome = report.error_kind or ("not-modified" if report.not_modified else "ok")
    HARVESTS.labels(label, outcome).inc()
    HARVEST_DURATION.labels(kind).observe(seconds)
    for action in ("new", "updated", "deleted", "quarantined"):
        count = getattr(report.stats, action)
        if count:
            RECORDS.labels(label, action).inc(count)


# What a harvest reads of a source before it writes: its health and schedule are read again,
# locked, when the outcome is written. The other columns (dates, error texts) cost more to load
# than a `304` costs to fetch.
_HARVEST_COLUMNS = load_only(
    Source.id,
    Source.url,
    Source.kind,
    Source.name,
    Source.base_url,
    Source.feed_url,
    Source.is_hub,
    Source.place_iri,
    Source.token,
    Source.cursor,
    Source.etag,
    Source.last_modified,
)


def _load_many(engine: Engine, source_ids: list[int]) -> list[Source]:
    query = select(Source).options(_HARVEST_COLUMNS).where(col(Source.id).in_(source_ids))
    with Session(reader_of(engine), expire_on_commit=False) as session:
        found = {s.id: s for s in session.exec(query)}
        session.expunge_all()
    return [found[i] for i in source_ids if i in found]


def _load(engine: Engine, source_id: int) -> Source:
    found = _load_many(engine, [source_id])
    if not found:
        raise LookupError(f"no source {source_id}")
    return found[0]


def due_sources(engine: Engine, now: datetime | None = None) -> list[int]:
    with Session(reader_of(engine)) as session:
        query = (
            select(Source.id)
            .where(col(Source.next_harvest_at) <= (now or utcnow()))
            .order_by(Source.next_harvest_at)
        )
        return list(session.exec(query).all())


def all_sources(engine: Engine) -> list[int]:
    with Session(reader_of(engine)) as session:
        return list(session.exec(select(Source.id).order_by(col(Source.id))).all())


async def harvest_many(
    engine: Engine,
    settings: Settings,
    source_ids: list[int],
    *,
    on_done: Callable[[SourceReport], None] | None = None,
    fetcher: Fetcher | None = None,
) -> list[SourceReport]:
    """Harvest sources concurrently, bounded by the settings; one report per source, in the order
    of `source_ids` (a source deleted meanwhile has none).

    A fixed set of tasks takes the sources from a bounded queue, filled by reading the sources a
    batch at a time: what is in memory does not grow with the number of sources. Once the
    round's deadline passes, the harvests under way stop and the sources not reached yet are
    recorded as timed out, without a request. On SQLite, one thread applies the pages of them
    all (hub/federation/writer.py)."""
    outcomes = Outcomes(engine)
    queue: asyncio.Queue[Source | None] = asyncio.Queue(maxsize=LOAD_BATCH)
    reports: dict[int, SourceReport] = {}
    workers = min(settings.harvest_concurrency, max(len(source_ids), 1))
    loop = asyncio.get_running_loop()
    ends = loop.time() + settings.harvest_round_timeout
    writer = Writer(engine) if engine.dialect.name == "sqlite" else None

    async def read() -> None:
        for start in range(0, len(source_ids), LOAD_BATCH):
            for source in await asyncio.to_thread(_load_many, engine, source_ids[start : start + LOAD_BATCH]):
                await queue.put(source)
        for _ in range(workers):
            await queue.put(None)

    async def work(shared: Fetcher) -> None:
        while (source := await queue.get()) is not None:
            if loop.time() < ends:
                report = await harvest_source(
                    engine,
                    settings,
                    shared,
                    source.id,
                    outcomes=outcomes,
                    source=source,
                    round_ends=ends,
                    writer=writer,
                )
            else:
                report = SourceReport(source_id=source.id, url=source.url)
                error = _out_of_time(settings, round_over=True, reached=False)
                report.error, report.error_kind = error.message, error.kind
                await outcomes.add(report, error)
            reports[source.id] = report
            if on_done is not None:
                on_done(report)

    async def every(shared: Fetcher) -> list[SourceReport]:
        try:
            await asyncio.gather(read(), *(work(shared) for _ in range(workers)))
        finally:
            await outcomes.close()
        return [reports[i] for i in source_ids if i in reports]

    try:
        if fetcher is not None:
            return await every(fetcher)
        async with Fetcher(settings) as shared:
            return await every(shared)
    finally:
        if writer is not None:
            await writer.close()

"""How harvests went: each source's health and next harvest, written in batches.

A round of thousands of sources mostly answering `304` would otherwise write one transaction per
source, each queueing for SQLite's single writer lock; a batch is written when it is full, a
second after its first outcome at the latest (a source that takes long holds back no one's
health), and when the round ends.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from hub.federation.apply import ApplyStats
from hub.federation.errors import HarvestError, RateLimited
from hub.federation.models import Source
from hub.store.db import session_scope
from hub.store.records import utcnow

OUTCOME_BATCH = 100  # outcomes of a harvest round written per transaction
OUTCOME_DELAY = 1.0  # seconds an outcome may wait for others to share its transaction
SOON_SECONDS = 60  # a source that has more to give is harvested again this soon


@dataclass
class SourceReport:
    """What one harvest of a source did, and why it failed if it did."""

    source_id: int
    url: str
    stats: ApplyStats = field(default_factory=ApplyStats)
    requests: int = 0
    not_modified: bool = False
    pages: int = 0
    has_more: bool = False
    error: str | None = None
    error_kind: str | None = None
    flagged: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _next_harvest(interval: int, failures: int, now: datetime, *, more: bool = False) -> datetime:
    """The next harvest: the interval with jitter, a backoff while the source fails, or soon
    when the source has more to give than one harvest takes."""
    delay = min(interval, 300 * 2 ** min(failures - 1, 8)) if failures else interval
    if more:
        delay = min(delay, SOON_SECONDS)
    return now + timedelta(seconds=delay * random.uniform(0.9, 1.1))


Outcome = tuple[SourceReport, HarvestError | None]
_SOURCE = Source.__table__
# The sources that succeeded, one statement for all of them: most of a round answers `304`, and
# loading and flushing each source as an object costs more than fetching it.
_SUCCEEDED = (
    update(_SOURCE)
    .where(_SOURCE.c.id == bindparam("source_id"))
    .values(
        last_attempt_at=bindparam("now"),
        last_success_at=bindparam("now"),
        consecutive_failures=0,
        failing_since=None,
        next_harvest_at=bindparam("next_at"),
    )
)


def record_outcomes(engine: Engine, outcomes: list[Outcome]) -> None:
    """Write how harvests went (health, next harvest) in one transaction."""
    now = utcnow()
    failed = {report.source_id: error for report, error in outcomes if error is not None}
    succeeded = {report.source_id: report.has_more for report, error in outcomes if error is None}
    with session_scope(engine) as session:
        if succeeded:
            intervals = session.execute(
                select(_SOURCE.c.id, _SOURCE.c.interval_seconds)
                .where(_SOURCE.c.id.in_(succeeded))
                .with_for_update()
            ).all()
            if intervals:
                session.execute(
                    _SUCCEEDED,
                    [
                        {
                            "source_id": source_id,
                            "now": now,
                            "next_at": _next_harvest(interval, 0, now, more=succeeded[source_id]),
                        }
                        for source_id, interval in intervals
                    ],
                )
        if failed:
            for source in session.exec(select(Source).where(col(Source.id).in_(failed)).with_for_update()):
                _note_failure(source, failed[source.id], now)


def _note_failure(source: Source, error: HarvestError, now: datetime) -> None:
    source.last_attempt_at = now
    source.last_error, source.last_error_kind, source.last_error_at = error.message[:2000], error.kind, now
    source.consecutive_failures += 1
    source.failing_since = source.failing_since or now
    source.next_harvest_at = _next_harvest(source.interval_seconds, source.consecutive_failures, now)
    if isinstance(error, RateLimited):
        source.next_harvest_at = max(source.next_harvest_at, error.retry_at)


class Outcomes:
    """The outcomes of a round of harvests, written by batches (see the module's docstring): when
    `size` are pending, `delay` seconds after the first of them, and at `close`."""

    def __init__(self, engine: Engine, size: int = OUTCOME_BATCH, delay: float = OUTCOME_DELAY) -> None:
        self.engine, self.size, self.delay = engine, size, delay
        self.pending: list[Outcome] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writes: set[asyncio.Task] = set()

    async def add(self, report: SourceReport, error: HarvestError | None) -> None:
        self.pending.append((report, error))
        if len(self.pending) >= self.size:
            await self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self._flush_later)

    def _flush_later(self) -> None:
        self._timer = None
        write = asyncio.ensure_future(self.flush())
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)

    async def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self.pending = self.pending, []
        if batch:
            await asyncio.to_thread(record_outcomes, self.engine, batch)

    async def close(self) -> None:
        """Write what is pending and wait for the writes under way."""
        await self.flush()
        await asyncio.gather(*self._writes)

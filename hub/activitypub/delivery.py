"""Delivery: each change of an event becomes one signed activity per followers' inbox (a shared
inbox once for all the followers behind it), queued in a table and sent by a worker.

The write path never waits on it: publishing an event only logs the change, as for the change
feed; `deliver_pending` (run every few seconds in each API process, or by a test) turns the new
changes into queued deliveries, then sends the ones due, a bounded batch at a time. Each is
claimed before it is sent (so two processes never send it twice) with its next attempt already
set further off: a follower that fails waits longer each time, and is dropped after
`HUB_ACTIVITYPUB_DELIVERY_ATTEMPTS`, without holding up the others.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta

import orjson
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from hub.activitypub.documents import ACTIVITY_JSON, Names, delete_activity, event_object, write_activity
from hub.activitypub.keys import actor_key, private_key
from hub.activitypub.models import Announced, Delivery, Follower
from hub.activitypub.outbox import published_events
from hub.activitypub.signatures import signed_headers
from hub.federation.errors import FetchError
from hub.federation.fetch import Fetcher
from hub.settings import Settings
from hub.store.changes import Change, FeedState
from hub.store.db import reader_of, session_scope
from hub.store.records import insert_rows, utcnow

log = logging.getLogger(__name__)
CURSOR = "activitypub_seq"
MAX_BATCHES = 20  # change-log batches read per pass: a long backlog is caught up over passes
FIRST_WAIT = 30.0
LONGEST_WAIT = 6 * 3600.0
GONE = {404, 410}  # the inbox will not come back: the delivery is dropped at once


class _Raced(Exception):
    """Another process moved the cursor first: it queued these changes."""


@dataclass
class DeliveryReport:
    changes: int = 0  # changes of events read from the change log
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """How long after its `attempts`-th attempt a delivery is tried again."""
    return timedelta(seconds=min(LONGEST_WAIT, FIRST_WAIT * 4 ** (attempts - 1)))


def queue(session: Session, inboxes: set[str], activity: dict) -> int:
    """Queue one activity to each inbox; returns how many deliveries."""
    body = orjson.dumps(activity).decode()
    now = utcnow()
    rows = [
        {
            "inbox": inbox,
            "activity": body,
            "attempts": 0,
            "due_at": now,
            "last_error": None,
            "created_at": now,
        }
        for inbox in sorted(inboxes)
    ]
    insert_rows(session, {Delivery: rows})
    return len(rows)


def followers_inboxes(session: Session) -> set[str]:
    """Where to deliver what followers are sent: one shared inbox for all those behind it."""
    return {
        shared or own for own, shared in session.exec(select(Follower.inbox, Follower.shared_inbox)).all()
    }


def queue_changes(session: Session, settings: Settings, limit: int) -> int:
    """Turn up to `limit` new changes of events into deliveries; returns how many changes were read."""
    state = session.get(FeedState, CURSOR)
    after = state.value if state is not None else 0
    changes = list(
        session.exec(
            select(Change)
            .where(Change.kind == "event", col(Change.seq) > after)
            .order_by(col(Change.seq))
            .limit(limit)
        ).all()
    )
    if not changes:
        return 0
    inboxes = followers_inboxes(session)
    live = published_events(session, [c.iri for c in changes if not c.deleted], whole=bool(inboxes))
    announced = {
        a.iri: a
        for a in session.exec(select(Announced).where(col(Announced.iri).in_([c.iri for c in changes]))).all()
    }
    for change in changes:
        activity = _activity(session, settings, change, live, announced, told=bool(inboxes))
        if activity is not None:
            queue(session, inboxes, activity)
    last = changes[-1].seq
    if state is None:
        session.add(FeedState(key=CURSOR, value=last))
        session.flush()
    else:
        moved = session.execute(
            update(FeedState).where(FeedState.key == CURSOR, FeedState.value == after).values(value=last)
        )
        if moved.rowcount != 1:
            raise _Raced
    return len(changes)


def _activity(
    session: Session,
    settings: Settings,
    change: Change,
    live: dict,
    announced: dict[str, Announced],
    *,
    told: bool,
) -> dict | None:
    """Create the first time an event is published, Update after, Delete once it is gone (of what
    was published: an event deleted before it ever was has nothing to say). Without followers to
    be `told`, only what was published is kept (the outbox names it): building each activity cost
    a hub with no follower a sanitized document for every change it harvested."""
    held = announced.get(change.iri)
    if change.deleted:
        if held is None or not told:
            return None
        return delete_activity(settings, held.object_id, change.changed_at)
    found = live.get(change.iri)
    if found is None:
        return None
    event, place = found
    if held is None:
        session.add(Announced(iri=change.iri, object_id=Names(settings).event(event.id)))
    if not told:
        return None
    document = event_object(settings, event, place)
    return write_activity(settings, "Update" if held else "Create", document, change.changed_at)


def queue_new_changes(engine: Engine, settings: Settings) -> int:
    """Queue the deliveries of every change not read yet, a batch a transaction, within bounds;
    returns how many changes were read."""
    total = 0
    for _ in range(MAX_BATCHES):
        try:
            with session_scope(engine) as session:
                read = queue_changes(session, settings, settings.activitypub_delivery_batch)
        except (_Raced, IntegrityError):
            return total
        total += read
        if read < settings.activitypub_delivery_batch:
            break
    return total


@dataclass(frozen=True)
class _Claimed:
    id: int
    inbox: str
    activity: bytes
    attempts: int
    headers: dict[str, str]


def _claim(engine: Engine, settings: Settings) -> list[_Claimed]:
    """The due deliveries this process takes (each pushed to its next attempt as it is taken),
    signed (here, in a thread: a signature costs a millisecond or two the event loop would lose)."""
    now = utcnow()
    taken: list[_Claimed] = []
    with session_scope(engine) as session:
        key = private_key(actor_key(session).private_pem)
        due = session.exec(
            select(Delivery.id, Delivery.inbox, Delivery.activity, Delivery.attempts)
            .where(col(Delivery.due_at) <= now)
            .order_by(col(Delivery.due_at), col(Delivery.id))
            .limit(settings.activitypub_delivery_batch)
        ).all()
        for delivery_id, inbox, activity, attempts in due:
            claimed = session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.attempts == attempts)
                .values(attempts=attempts + 1, due_at=now + backoff(attempts + 1))
            )
            if claimed.rowcount == 1:
                body = activity.encode()
                headers = signed_headers(inbox, body, key_id=Names(settings).key_id, private_key=key)
                headers["Content-Type"] = ACTIVITY_JSON
                taken.append(_Claimed(delivery_id, inbox, body, attempts + 1, headers))
    return taken


async def _send(fetcher: Fetcher, claimed: _Claimed) -> int | str:
    """POST one signed activity: the status answered, or why none was."""
    try:
        return await fetcher.post(claimed.inbox, claimed.activity, claimed.headers)
    except FetchError as exc:
        return exc.message


def _record(engine: Engine, settings: Settings, outcomes: list[tuple[_Claimed, int | str]]) -> DeliveryReport:
    report = DeliveryReport()
    done: list[int] = []
    with session_scope(engine) as session:
        for claimed, outcome in outcomes:
            if isinstance(outcome, int) and 200 <= outcome < 300:
                report.sent += 1
                done.append(claimed.id)
                continue
            why = f"{claimed.inbox} answered {outcome}" if isinstance(outcome, int) else outcome
            report.errors.append(why)
            if outcome in GONE or claimed.attempts >= settings.activitypub_delivery_attempts:
                report.dropped += 1
                done.append(claimed.id)
                log.warning("an activity is dropped after %s attempts: %s", claimed.attempts, why)
            else:
                report.failed += 1
                session.execute(
                    update(Delivery).where(Delivery.id == claimed.id).values(last_error=why[:300])
                )
        if done:
            session.execute(delete(Delivery).where(col(Delivery.id).in_(done)))
    return report


def _idle(engine: Engine) -> bool:
    """Whether there is nothing to do: no change of an event unread, no delivery due (read without
    taking SQLite's write lock, which a pass every few seconds would otherwise take for nothing)."""
    with Session(reader_of(engine)) as session:
        state = session.get(FeedState, CURSOR)
        unread = select(Change.seq).where(
            Change.kind == "event", col(Change.seq) > (state.value if state is not None else 0)
        )
        due = select(Delivery.id).where(col(Delivery.due_at) <= utcnow())
        return session.exec(unread.limit(1)).first() is None and session.exec(due.limit(1)).first() is None


async def deliver_pending(
    engine: Engine, settings: Settings, *, fetcher: Fetcher | None = None
) -> DeliveryReport:
    """One pass: queue the deliveries of new changes, then send a batch of the due ones at once."""
    if await asyncio.to_thread(_idle, engine):
        return DeliveryReport()
    changes = await asyncio.to_thread(queue_new_changes, engine, settings)
    claimed = await asyncio.to_thread(_claim, engine, settings)
    outcomes: list[tuple[_Claimed, int | str]] = []
    if claimed:
        async with nullcontext(fetcher) if fetcher is not None else Fetcher(settings) as client:
            results = await asyncio.gather(*(_send(client, c) for c in claimed))
        outcomes = list(zip(claimed, results, strict=True))
    report = await asyncio.to_thread(_record, engine, settings, outcomes)
    report.changes = changes
    return report


async def run_deliveries(engine: Engine, settings: Settings) -> None:
    """The in-process worker of every API process: a pass, then a pause; forever."""
    while True:
        await asyncio.sleep(settings.activitypub_delivery_interval_seconds)
        try:
            await deliver_pending(engine, settings)
        except Exception:
            log.exception("an ActivityPub delivery pass failed; the next one goes on")

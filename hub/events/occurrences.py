"""Occurrences: each event expanded over the rolling horizon, kept as rows for range queries."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlalchemy.orm import load_only
from sqlmodel import Session, col, delete, func, select

from hub.calendar.dates import start_of_day
from hub.calendar.recurrence import Instance, Override, RecurrenceError, expand
from hub.events.models import Event, EventOverride, Occurrence
from hub.places.models import Place
from hub.settings import Settings
from hub.store.changes import FeedState
from hub.store.db import session_scope
from hub.store.records import insert_rows

log = logging.getLogger(__name__)

HORIZON_END = "horizon_end"
DAY = timedelta(days=1)
# Events per batch of the roll: its DELETE binds up to twice as many parameters, under the 999
# of older SQLite builds.
ROLL_BATCH = 400
# What expanding an event reads: the roll loads no more (an event's document is kilobytes).
EXPANDED_FIELDS = (
    Event.id,
    Event.place_id,
    Event.start_utc,
    Event.end_utc,
    Event.timezone,
    Event.title,
    Event.status,
    Event.rrule,
    Event.rdates,
    Event.exdates,
    Event.concept_bits,
)


def horizon(settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    """The window kept expanded at `now`: occurrences starting in [start, end)."""
    return now - settings.horizon_back, now + settings.horizon_ahead


@dataclass(frozen=True)
class Covered:
    """What the store holds in full: every occurrence starting in [start, end), `end` at midnight.
    A range reaching past it would be answered from a part of the calendar only."""

    start: datetime
    end: datetime
    zone: ZoneInfo

    @property
    def first_day(self) -> date:
        """The first whole day covered, in the instance's zone."""
        first = self.start.astimezone(self.zone)
        return first.date() if first == start_of_day(first.date(), self.zone) else first.date() + DAY

    @property
    def last_day(self) -> date:
        """The last whole day covered."""
        return self.end.astimezone(self.zone).date() - DAY

    def as_json(self) -> dict[str, str]:
        return {"first_day": self.first_day.isoformat(), "last_day": self.last_day.isoformat()}


def covered(session: Session, settings: Settings, now: datetime) -> Covered:
    """What the store holds in full at `now`. At the back, what a roll dropped and what a save
    did not expand is older than the horizon; ahead, every event is expanded up to the last
    roll's end (events saved since, further), or to the horizon's end if that is nearer (the
    horizon was shortened since)."""
    start, end = horizon(settings, now)
    reached = _expanded_until(session, settings)
    end = (end if reached is None else min(reached, end)).astimezone(settings.zone)
    # Ahead, whole days only: a range ending within a day the horizon reaches into would look whole.
    return Covered(start, start_of_day(end.date(), settings.zone).astimezone(UTC), settings.zone)


def _expanded_until(session: Session, settings: Settings) -> datetime | None:
    """Up to where every event is expanded: the last roll's end; before the first roll, each
    event was expanded when it was saved, and the oldest creation bounds them all. None while
    there is no event."""
    state = session.get(FeedState, HORIZON_END)
    if state is not None:
        return datetime.fromtimestamp(state.value, UTC)
    oldest = session.exec(select(func.min(Event.created_at))).one()
    return oldest + settings.horizon_ahead if oldest is not None else None


def occurrences_of(
    event: Event, overrides: list[EventOverride], start: datetime, end: datetime
) -> list[Instance]:
    """The occurrences of one event starting in [start, end), computed without touching the store."""
    return expand(
        start_utc=event.start_utc,
        end_utc=event.end_utc or event.start_utc,
        zone=ZoneInfo(event.timezone),
        title=event.title,
        status=event.status,
        rule=event.rrule,
        rdates=[datetime.fromisoformat(v) for v in event.rdates],
        exdates=[datetime.fromisoformat(v) for v in event.exdates],
        overrides=[Override(o.recurrence_id, o.start_utc, o.end_utc, o.title, o.status) for o in overrides],
        window_start=start,
        window_end=end,
    )


def occurrence_row(event: Event, instance: Instance, place: Place | None) -> dict:
    """The stored row of one occurrence of `event`, held at `place`."""
    return {
        "event_id": event.id,
        "place_id": event.place_id,
        "region": place.region if place else None,
        "department": place.department if place else None,
        "concept_bits": event.concept_bits,
        "start_utc": instance.start_utc,
        "end_utc": instance.end_utc,
        "recurrence_id": instance.recurrence_id,
        "status": instance.status,
        "title": instance.title,
    }


def roll_horizon(engine: Engine, settings: Settings, *, now: datetime) -> int:
    """Move the expanded window to `now`: expand what entered it since the last roll, drop what
    left it. Returns the occurrences written.

    Each batch of events is a transaction of its own: a writer (a harvest, an edit) waits for a
    batch, not for the whole roll (at 3,500 nodes, longer than SQLite's 30 s busy timeout). The
    window's new end is stored last: a roll cut short is done again from the last one's end,
    and recomputing a batch twice gives the same rows."""
    start, end = horizon(settings, now)
    with session_scope(engine) as session:
        low = _recompute_from(session, settings, start, end)
    written, after = 0, ""
    while True:
        with session_scope(engine) as session:
            events = _batch_from(session, low, after)
            if not events:
                break
            written += _roll(session, events, low, (start, end))
        after = events[-1].id
    with session_scope(engine) as session:
        session.exec(delete(Occurrence).where(col(Occurrence.end_utc) < start))
        state = session.get(FeedState, HORIZON_END) or FeedState(key=HORIZON_END)
        state.value = int(end.timestamp())
        session.add(state)
    return written


def _recompute_from(session: Session, settings: Settings, start: datetime, end: datetime) -> datetime:
    """Where the roll recomputes occurrences from: where every event is expanded to (one edited
    since, further); `end` if the horizon was shortened since.

    A hub that just harvested a country thus rolls in seconds instead of re-expanding 175,000
    events it expanded minutes ago."""
    reached = _expanded_until(session, settings)
    return max(start, min(reached or start, end))


def _batch_from(session: Session, low: datetime, after: str) -> list[Event]:
    """The next batch of events, by id after `after`, that can have occurrences starting at
    `low` or later.

    Row locks (PostgreSQL): an edit of an event of the batch waits for the batch, then replaces
    what the roll wrote; one committed before is what the roll reads. An event created meanwhile
    is expanded by its creator.
    """
    can_start_later = or_(
        col(Event.recurring),
        col(Event.start_utc) >= low,
        col(Event.id).in_(select(EventOverride.event_id)),
    )
    return list(
        session.exec(
            select(Event)
            .options(load_only(*EXPANDED_FIELDS))
            .where(can_start_later, col(Event.id) > after)
            .order_by(col(Event.id))
            .limit(ROLL_BATCH)
            .with_for_update()
        ).all()
    )


def _places_of(session: Session, events: list[Event]) -> dict[str, Place]:
    """The places `events` are held at, by id."""
    ids = {e.place_id for e in events if e.place_id}
    query = select(Place).options(load_only(Place.region, Place.department)).where(col(Place.id).in_(ids))
    return {place.id: place for place in session.exec(query)}


def _roll(session: Session, events: list[Event], low: datetime, window: tuple[datetime, datetime]) -> int:
    """Recompute the occurrences of `events` in `window` from `low` on. Returns how many."""
    overrides = _overrides_of(session, [e.id for e in events])
    # An override can move an occurrence from anywhere into the window, or out of it: an event with
    # one is recomputed over the whole window. The others from `low` on: the rest is stored already.
    # Deleted batch by batch under the batch's row locks, not all from `low` on in one statement
    # first: on PostgreSQL, an edit committed between that statement and the lock would keep the
    # rows it wrote and get the roll's as well.
    session.exec(
        delete(Occurrence).where(
            col(Occurrence.event_id).in_([e.id for e in events]),
            or_(col(Occurrence.start_utc) >= low, col(Occurrence.event_id).in_(list(overrides))),
        )
    )
    start, end = window
    places = _places_of(session, events)
    rows = [
        occurrence_row(e, i, places.get(e.place_id))
        for e in events
        for i in _rolled(e, overrides.get(e.id, []), start if e.id in overrides else low, end)
    ]
    # A recurring event has dozens of occurrences, a batch of the roll thousands.
    insert_rows(session, {Occurrence: rows})
    return len(rows)


def _rolled(event: Event, overrides: list[EventOverride], start: datetime, end: datetime) -> list[Instance]:
    """The occurrences of a stored event in the window; none, logged, when its recurrence can no
    longer be expanded within bounds (a series counted by COUNT, or yearly, walked past MAX_STEPS
    occurrences years after it was written; a rule stored before rules were bounded): one event
    must not stop the whole roll."""
    try:
        return occurrences_of(event, overrides, start, end)
    except RecurrenceError as exc:
        log.warning("event %s keeps no occurrence from %s: %s", event.id, start.isoformat(), exc)
        return []


def _overrides_of(session: Session, event_ids: list[str]) -> dict[str, list[EventOverride]]:
    """The overrides of these events, by event; an event without any is absent."""
    by_event: dict[str, list[EventOverride]] = defaultdict(list)
    for override in session.exec(select(EventOverride).where(col(EventOverride.event_id).in_(event_ids))):
        by_event[override.event_id].append(override)
    return dict(by_event)

"""Occurrences: each event expanded over the rolling horizon, kept as rows for range queries."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import Session, col, delete, select

from hub.calendar.recurrence import Instance, Override, expand
from hub.events.models import Event, EventOverride, Occurrence
from hub.settings import Settings


def expand_event(
    session: Session,
    settings: Settings,
    event: Event,
    overrides: list[EventOverride],
    *,
    now: datetime,
) -> int:
    """Recompute the occurrences of one event inside the horizon. Returns how many."""
    instances = occurrences_of(settings, event, overrides, now=now)
    store_occurrences(session, event, instances)
    return len(instances)


def occurrences_of(
    settings: Settings, event: Event, overrides: list[EventOverride], *, now: datetime
) -> list[Instance]:
    """The occurrences of one event inside the horizon, computed without touching the store."""
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
        window_start=now - settings.horizon_back,
        window_end=now + settings.horizon_ahead,
    )


def store_occurrences(
    session: Session, event: Event, instances: list[Instance], *, fresh: bool = False
) -> None:
    """Replace the stored occurrences of `event`; a `fresh` event (just created) has none yet."""
    if not fresh:
        session.exec(delete(Occurrence).where(Occurrence.event_id == event.id))
    if instances:
        # A core bulk insert on the table (not the ORM entity, whose bulk path costs more than the
        # statement): a recurring event has dozens of occurrences.
        session.execute(
            insert(Occurrence.__table__),
            [
                {
                    "event_id": event.id,
                    "place_id": event.place_id,
                    "start_utc": i.start_utc,
                    "end_utc": i.end_utc,
                    "recurrence_id": i.recurrence_id,
                    "status": i.status,
                    "title": i.title,
                }
                for i in instances
            ],
        )


def roll_horizon(session: Session, settings: Settings, *, now: datetime) -> int:
    """Re-expand every recurring event so the horizon follows the calendar. Returns occurrences kept."""
    total = 0
    # Row locks (PostgreSQL) keep a concurrent edit from interleaving with the re-expansion.
    recurring = session.exec(select(Event).where(col(Event.recurring)).with_for_update()).all()
    for event in recurring:
        overrides = session.exec(select(EventOverride).where(EventOverride.event_id == event.id)).all()
        total += expand_event(session, settings, event, list(overrides), now=now)
    session.exec(delete(Occurrence).where(Occurrence.end_utc < now - settings.horizon_back))
    return total

"""Occurrences: each event expanded over the rolling horizon, kept as rows for range queries."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import Session, col, delete, select

from hub.calendar.recurrence import Override, expand
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
    session.exec(delete(Occurrence).where(Occurrence.event_id == event.id))
    instances = expand(
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
    if instances:
        # A core bulk insert: a recurring event has dozens of occurrences, ORM objects cost more.
        session.execute(
            insert(Occurrence),
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
    return len(instances)


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

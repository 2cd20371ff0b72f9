"""The records that have a page of their own, as a sitemap lists them: every place, every
programme, and every event still to come (a duplicate is shown under its canonical record, so it
is left out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, func
from sqlmodel import Session, col, select

from hub.events.models import Event, Occurrence
from hub.places.models import Place
from hub.programmes.models import Programme

# The pages every instance has, before those of its records.
FIXED_PAGES = ("/", "/places")


@dataclass(frozen=True)
class Published:
    """A page: its path, and when its record last changed (None for a list)."""

    path: str
    updated: datetime | None = None


def _places() -> Select:
    return select(Place.id, Place.updated_at).order_by(col(Place.id))


def _programmes() -> Select:
    return select(Programme.id, Programme.updated_at).order_by(col(Programme.id))


def _upcoming_events(now: datetime) -> Select:
    to_come = exists().where(Occurrence.event_id == Event.id, col(Occurrence.end_utc) >= now)
    return (
        select(Event.id, Event.updated_at)
        .where(col(Event.canonical_id).is_(None), to_come)
        .order_by(col(Event.id))
    )


def _kinds(now: datetime) -> list[tuple[str, Select]]:
    return [("/places/", _places()), ("/programmes/", _programmes()), ("/events/", _upcoming_events(now))]


def _count(session: Session, query: Select) -> int:
    return session.exec(select(func.count()).select_from(query.subquery())).one()


def count_pages(session: Session, now: datetime) -> int:
    """How many pages there are: the fixed ones, the places', the programmes', the upcoming events'."""
    return len(FIXED_PAGES) + sum(_count(session, query) for _, query in _kinds(now))


def pages(session: Session, now: datetime, offset: int, limit: int) -> list[Published]:
    """The pages from `offset` on, at most `limit`, always in the same order."""
    found = [Published(path) for path in FIXED_PAGES[offset : offset + limit]]
    offset = max(0, offset - len(FIXED_PAGES))
    for prefix, query in _kinds(now):
        if len(found) >= limit:
            break
        size = _count(session, query)
        if offset >= size:
            offset -= size
            continue
        rows = session.exec(query.offset(offset).limit(limit - len(found))).all()
        found += [Published(prefix + uid, updated) for uid, updated in rows]
        offset = 0
    return found

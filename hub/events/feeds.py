"""Gathering what the iCalendar and RSS feeds show, with the same filters as the occurrences."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import orjson
from sqlmodel import Session, col, select

from hub.calendar.rss import FeedItem
from hub.events.documents import moment, occurrence_id
from hub.events.ics_feed import FeedEvent
from hub.events.models import Event, EventConcept, EventOverride, Occurrence
from hub.events.queries import EventFilters, OccurrenceRow, list_occurrences, occurrence_select
from hub.places.models import Place
from hub.vocabulary.thesaurus import labels_of


def feed_events(session: Session, f: EventFilters, *, limit: int) -> list[FeedEvent]:
    """Series having at least one occurrence that matches the filters, oldest first."""
    ids = occurrence_select(session, f, Occurrence.event_id)
    events = session.exec(
        select(Event)
        .where(col(Event.id).in_(ids.distinct()))
        .order_by(Event.start_utc, Event.id)
        .limit(limit)
    ).all()
    return _with_details(session, list(events))


def event_feed(session: Session, event: Event) -> list[FeedEvent]:
    """One event as a calendar holds it: its series, overrides, place and themes."""
    return _with_details(session, [event])


def _with_details(session: Session, events: list[Event]) -> list[FeedEvent]:
    if not events:
        return []
    event_ids = [e.id for e in events]
    overrides: dict[str, list[EventOverride]] = {}
    for override in session.exec(
        select(EventOverride)
        .where(col(EventOverride.event_id).in_(event_ids))
        .order_by(col(EventOverride.recurrence_id))
    ).all():
        overrides.setdefault(override.event_id, []).append(override)
    places = {
        p.id: p
        for p in session.exec(
            select(Place).where(col(Place.id).in_({e.place_id for e in events if e.place_id}))
        ).all()
    }
    links = session.exec(
        select(EventConcept).where(col(EventConcept.event_id).in_(event_ids), EventConcept.scheme == "theme")
    ).all()
    labels = labels_of(session, {link.concept_iri for link in links if link.concept_iri})
    themes: dict[str, list[str]] = {}
    for link in links:
        label = labels[link.concept_iri]["fr"] if link.concept_iri in labels else link.label
        themes.setdefault(link.event_id, []).append(label)
    items = []
    for event in events:
        place = places.get(event.place_id) if event.place_id else None
        address = ", ".join(filter(None, [place.street, place.postal_code, place.city])) if place else None
        items.append(
            FeedEvent(
                event=event,
                overrides=overrides.get(event.id, []),
                place_name=place.name if place else None,
                place_address=address or None,
                themes=themes.get(event.id, []),
            )
        )
    return items


def feed_items(session: Session, f: EventFilters, *, limit: int, fallback_link: str) -> list[FeedItem]:
    """Upcoming occurrences as RSS items."""
    rows: list[OccurrenceRow] = list_occurrences(session, f, limit=limit, cursor=None).items
    descriptions = (
        dict(
            session.exec(
                select(Event.id, Event.description).where(col(Event.id).in_({r.event_id for r in rows}))
            ).all()
        )
        if rows
        else {}
    )
    items = []
    for row in rows:
        summary = orjson.loads(row.summary)
        place = summary.get("place", {}).get("name") or summary.get("location", {}).get("name")
        zone = ZoneInfo(row.timezone)
        items.append(
            FeedItem(
                guid=occurrence_id(row.event_iri, row.recurrence_id or row.start_utc),
                title=row.title,
                link=summary.get("url") or f"{fallback_link}/{row.event_id}",
                when=moment(row.start_utc, zone, row.all_day),
                place=place,
                description=descriptions.get(row.event_id),
                published=row.start_utc,
                cancelled=row.status == "cancelled",
            )
        )
    return items

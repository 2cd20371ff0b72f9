"""One event, several records: co-organizers who each publish it, or a node and the same place's
calendar. Explicit links (`same_as`) first, then likely duplicates (same title, starting within a
few minutes, at the same or a nearby place or with an organizer in common). Lists show the
canonical record once, with every organizer and every source; a coordinator can undo a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

import orjson
from sqlalchemy import ColumnElement, Row, TextualSelect, bindparam, func, or_, text, update
from sqlmodel import Session, col, select

from hub.errors import NotFound
from hub.events.models import Event, EventLink, EventOrganizer
from hub.store.query import Near, near_condition
from hub.store.records import RecordValues, utcnow

START_TOLERANCE = timedelta(minutes=15)
NEARBY_KM = 5.0

# An event searched for duplicates: one the session holds, or the values of one just inserted.
Linked = Event | RecordValues


@dataclass
class _Search:
    """What the duplicate search of a page reads once: the candidates of its events (`_candidates`),
    the links coordinators undid between one of its events and another, and organizers as asked."""

    candidates: list[Row]
    undone: set[tuple[str, str]]
    organizers: dict[str, set[str]] = field(default_factory=dict)
    by_title: dict[str, list[Row]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for row in self.candidates:  # oldest first, within each title too
            self.by_title.setdefault(row.title_key, []).append(row)

    def organizers_of(self, session: Session, event_id: str) -> set[str]:
        if event_id not in self.organizers:
            query = select(EventOrganizer.place_iri).where(EventOrganizer.event_id == event_id)
            self.organizers[event_id] = set(session.exec(query).all())
        return self.organizers[event_id]


def _undone_pairs(session: Session, event_ids: list[str]) -> set[tuple[str, str]]:
    """The links undone between one of these events and another, each both ways round."""
    pairs: set[tuple[str, str]] = set()
    for start in range(0, len(event_ids), UNDONE_CHUNK):
        chunk = event_ids[start : start + UNDONE_CHUNK]
        query = select(EventLink.event_id, EventLink.canonical_id).where(
            col(EventLink.undone_at).is_not(None),
            or_(col(EventLink.event_id).in_(chunk), col(EventLink.canonical_id).in_(chunk)),
        )
        for a, b in session.exec(query):
            pairs |= {(a, b), (b, a)}
    return pairs


def _has_duplicates(session: Session, event: Event) -> bool:
    return session.exec(select(Event.id).where(Event.canonical_id == event.id)).first() is not None


# Events per candidate search: three bound parameters each, under the 999 of older SQLite builds.
SEARCH_CHUNK = 100
UNDONE_CHUNK = 400  # events per search of undone links, two parameters each
CANDIDATE_COLUMNS = ("id", "title_key", "source_id", "place_iri", "start_utc", "lat", "lon", "created_at")


@lru_cache(maxsize=SEARCH_CHUNK)
def _search(size: int) -> TextualSelect:
    """The candidate search for `size` events, built once: the wanted titles and start ranges as a
    VALUES list joined to the (title, start) index, one range scan each. Written out, as SQLAlchemy
    builds an expression of a hundred terms slower than the database answers it."""
    table = Event.__table__
    wanted = ", ".join(f"(:k{i}, :a{i}, :b{i})" for i in range(size))
    sql = (
        f"WITH wanted (title_key, earliest, latest) AS (VALUES {wanted}) "
        f"SELECT DISTINCT {', '.join(f'event.{name}' for name in CANDIDATE_COLUMNS)} "
        "FROM wanted JOIN event ON event.title_key = wanted.title_key "
        "AND event.start_utc BETWEEN wanted.earliest AND wanted.latest "
        "WHERE event.canonical_id IS NULL"
    )
    moments = (bindparam(f"{bound}{i}", type_=table.c.start_utc.type) for i in range(size) for bound in "ab")
    return text(sql).bindparams(*moments).columns(*(table.c[name] for name in CANDIDATE_COLUMNS))


def _candidates(session: Session, events: list[Linked]) -> list[Row]:
    """Events linked to no other, of the same folded title as one of `events` and starting within
    START_TOLERANCE of it, oldest first: one statement for a page, each title read over its
    events' start times only (at 3,500 nodes a title recurs thousands of times)."""
    found: dict[str, Row] = {}
    for start in range(0, len(events), SEARCH_CHUNK):
        chunk = events[start : start + SEARCH_CHUNK]
        bounds: dict[str, object] = {}
        for i, event in enumerate(chunk):
            bounds[f"k{i}"] = event.title_key
            bounds[f"a{i}"] = event.start_utc - START_TOLERANCE
            bounds[f"b{i}"] = event.start_utc + START_TOLERANCE
        found.update((row.id, row) for row in session.execute(_search(len(chunk)), bounds))
    return sorted(found.values(), key=lambda row: (row.created_at, row.id))


def not_linked() -> ColumnElement[bool]:
    """Events not linked as a duplicate of another, for a query that names its events: written so
    that no index serves it, since SQLite would otherwise read the events through the index on
    `canonical_id`, where all but a few are NULL (0.45 ms an event named, at 3,500 nodes)."""
    return func.coalesce(Event.canonical_id, "") == ""


def find_canonical(
    session: Session, event: Linked, same_as: list[str], search: _Search
) -> tuple[Event, str, str] | None:
    """The record this one duplicates, with the reason and a readable detail; None if none."""
    if same_as:
        for other in session.exec(select(Event).where(col(Event.iri).in_(same_as), not_linked())).all():
            if other.id != event.id and (event.id, other.id) not in search.undone:
                return other, "same-as", f"{event.iri} says it is the same as {other.iri}"
    if not event.title_key:
        return None
    for other in search.by_title.get(event.title_key, []):
        if other.id == event.id:
            continue
        if abs(other.start_utc - event.start_utc) > START_TOLERANCE:
            continue
        if other.source_id is not None and other.source_id == event.source_id:
            continue  # one source publishing two alike events means two events (two rooms, say)
        if (event.id, other.id) in search.undone:
            continue
        minutes = abs((other.start_utc - event.start_utc).total_seconds()) / 60
        if event.place_iri and event.place_iri == other.place_iri:
            why = "the same place"
        elif search.organizers_of(session, event.id) & search.organizers_of(session, other.id):
            why = "an organizer in common"
        elif _nearby(session, event, other):
            why = f"places less than {NEARBY_KM:.0f} km apart"
        else:
            continue
        detail = f"same title, starts {minutes:.0f} min apart, {why}"
        return session.get(Event, other.id), "likely-duplicate", detail
    return None


def _nearby(session: Session, event: Linked, other: Row) -> bool:
    if None in (event.lat, event.lon, other.lat, other.lon):
        return False
    near = Near(event.lat, event.lon, NEARBY_KM)
    return (
        session.exec(
            select(Event.id).where(Event.id == other.id, near_condition(Event.lat, Event.lon, near))
        ).first()
        is not None
    )


def link_duplicates(session: Session, events: list[tuple[Linked, bool]]) -> None:
    """Link each (harvested) event of a page to the record it duplicates, if it has one; a `fresh`
    event (just created) cannot be the canonical record of others yet.

    The page's events come from one source, so none is a candidate for another: one search
    serves them all."""
    search = _Search(
        _candidates(session, [e for e, _ in events if e.title_key]),
        _undone_pairs(session, sorted({e.id for e, _ in events})),
    )
    for event, fresh in events:
        if not fresh and _has_duplicates(session, event):
            continue  # already the canonical record of others
        same_as = orjson.loads(event.doc).get("same_as") or []
        found = find_canonical(session, event, [s for s in same_as if isinstance(s, str)], search)
        if found is None:
            if event.canonical_id is not None:
                _set_canonical(session, event, None)  # it changed and no longer matches
            continue
        canonical, reason, detail = found
        _set_canonical(session, event, canonical.id)
        link = session.exec(
            select(EventLink).where(EventLink.event_id == event.id, EventLink.canonical_id == canonical.id)
        ).first() or EventLink(event_id=event.id, canonical_id=canonical.id, reason=reason)
        link.detail = detail[:300]
        session.add(link)
    session.flush()


def _set_canonical(session: Session, event: Linked, canonical_id: str | None) -> None:
    """Through the ORM for an event the session holds, else one UPDATE (a new harvested event)."""
    event.canonical_id = canonical_id
    if isinstance(event, Event):
        session.add(event)
    else:
        table = Event.__table__
        session.execute(update(table).where(table.c.id == event.id).values(canonical_id=canonical_id))


def list_links(session: Session, *, include_undone: bool = False) -> list[tuple[EventLink, Event, Event]]:
    query = select(EventLink).order_by(col(EventLink.id))
    if not include_undone:
        query = query.where(col(EventLink.undone_at).is_(None))
    links = list(session.exec(query).all())
    events = {
        e.id: e
        for e in session.exec(
            select(Event).where(
                col(Event.id).in_({i for link in links for i in (link.event_id, link.canonical_id)})
            )
        ).all()
    }
    return [(link, events[link.event_id], events[link.canonical_id]) for link in links]


def undo_link(session: Session, link_id: int) -> EventLink:
    """A coordinator says these are two events: both are listed again, and never linked again."""
    link = session.get(EventLink, link_id)
    if link is None:
        raise NotFound(f"no link {link_id}")
    if link.undone_at is None:
        link.undone_at = utcnow()
        event = session.get(Event, link.event_id)
        if event is not None and event.canonical_id == link.canonical_id:
            event.canonical_id = None
            session.add(event)
        session.add(link)
    return link


def merged_documents(session: Session, events: list[Event]) -> dict[str, bytes]:
    """Documents of canonical events that have duplicates, with every organizer and every source."""
    ids = [e.id for e in events]
    duplicates = session.exec(select(Event).where(col(Event.canonical_id).in_(ids))).all() if ids else []
    if not duplicates:
        return {}
    by_canonical: dict[str, list[Event]] = {}
    for duplicate in duplicates:
        by_canonical.setdefault(duplicate.canonical_id, []).append(duplicate)
    merged = {}
    for event in events:
        others = by_canonical.get(event.id)
        if not others:
            continue
        doc = orjson.loads(event.doc)
        organizers = list(doc.get("organizers", []))
        sources = [(event.provenance or {}).get("source", event.iri)]
        for other in others:
            other_doc = orjson.loads(other.doc)
            organizers += [o for o in other_doc.get("organizers", []) if o not in organizers]
            source = (other.provenance or {}).get("source", other.iri)
            if source not in sources:
                sources.append(source)
        doc["organizers"] = organizers
        doc["same_as"] = [
            *doc.get("same_as", []),
            *(o.iri for o in others if o.iri not in doc.get("same_as", [])),
        ]
        doc["sources"] = sources
        merged[event.id] = orjson.dumps(doc)
    return merged

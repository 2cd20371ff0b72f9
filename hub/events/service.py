"""Domain functions for events: validate, store, expand, publish, list."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlmodel import Session, col, delete, func, select

from hub.errors import Conflict, InvalidInput
from hub.events.documents import event_document, event_summary, republished
from hub.events.models import Event, EventAnimator, EventConcept, EventOrganizer, EventOverride, Occurrence
from hub.events.occurrences import horizon, occurrence_row
from hub.events.schemas import EventIn
from hub.events.timing import event_timing
from hub.kit.bits import concept_bits
from hub.kit.sanitize import clean_html, plain_text
from hub.kit.text import fold
from hub.places.models import Place
from hub.places.service import find_place, get_place, place_iris
from hub.programmes.service import programme_ref
from hub.settings import Settings
from hub.store.changes import record_change
from hub.store.records import (
    Origin,
    RecordValues,
    get_record,
    insert_rows,
    new_id,
    own_record,
    save_row,
    utcnow,
)
from hub.vocabulary.thesaurus import concept_document, labels_of, resolve

IRI_PREFIXES = ("http://", "https://")
# What replacing an event keeps of the held one.
KEPT = frozenset({"id", "iri", "created_at", "canonical_id"})
OVERRIDE_COLUMNS = ("event_id", "recurrence_id", "start_utc", "end_utc", "title", "description", "status")


def event_iri(base_url: str, local_id: str) -> str:
    return f"{base_url}/events/{local_id}"


def _place_refs(session: Session, data: EventIn) -> tuple[Place | None, str | None, list[str]]:
    place, place_ref_iri = None, None
    if data.place:
        place = find_place(session, data.place)
        if place is None and not data.place.startswith(IRI_PREFIXES):
            raise InvalidInput("place", f"no place with id {data.place!r}")
        place_ref_iri = place.iri if place else data.place
    # The place organizes its events of itself, first.
    organizers = list(
        dict.fromkeys([*filter(None, [place_ref_iri]), *place_iris(session, data.organizers, "organizers")])
    )
    return place, place_ref_iri, organizers


@dataclass(frozen=True, slots=True)
class Named:
    """The members an event names (IRIs), and those of them its document may show."""

    every: list[str]
    shown: list[str]


@dataclass(frozen=True, slots=True)
class EventRows:
    """One event as the rows that store it: its columns, its children and its occurrences."""

    event: RecordValues
    overrides: list[dict]
    organizers: list[dict]
    animators: list[dict]
    concepts: list[dict]
    occurrences: list[dict]


def save_event(
    session: Session,
    settings: Settings,
    data: EventIn,
    *,
    event: Event | None = None,
    iri: str | None = None,
    origin: Origin | None = None,
    animators: Named | None = None,
) -> Event:
    """Create (no `event`) or replace an event from validated input, expand it and log the change.

    A harvested event (`origin`) keeps the document its origin published, and its sequence. The
    members it names come checked in `animators` (hub/people/animators.py); without them, it
    keeps those it named.
    """
    rows = event_rows(session, settings, data, event=event, iri=iri, origin=origin, animators=animators)
    fresh = event is None
    if event is None:
        event = Event(**vars(rows.event))
    else:
        for key, value in vars(rows.event).items():
            if key not in KEPT:
                setattr(event, key, value)
        for table in (EventOverride, EventOrganizer, EventAnimator, EventConcept, Occurrence):
            session.exec(delete(table).where(table.event_id == event.id))
    save_row(session, event, fresh=fresh)
    _insert_children(session, [rows])
    record_change(session, "event", event.iri)
    return event


def insert_events(session: Session, events: list[EventRows]) -> None:
    """Store new events and log them: one INSERT per table for all of them."""
    if not events:
        return
    insert_rows(session, {Event: [vars(rows.event) for rows in events]})
    _insert_children(session, events)
    for rows in events:
        record_change(session, "event", rows.event.iri)


def _insert_children(session: Session, events: list[EventRows]) -> None:
    insert_rows(
        session,
        {
            EventOverride: [row for rows in events for row in rows.overrides],
            EventOrganizer: [row for rows in events for row in rows.organizers],
            EventAnimator: [row for rows in events for row in rows.animators],
            EventConcept: [row for rows in events for row in rows.concepts],
            Occurrence: [row for rows in events for row in rows.occurrences],
        },
    )


def event_rows(
    session: Session,
    settings: Settings,
    data: EventIn,
    *,
    event: Event | None = None,
    iri: str | None = None,
    origin: Origin | None = None,
    animators: Named | None = None,
) -> EventRows:
    """Every row storing `data` (replacing `event`, if given), computed without writing: all that
    can refuse the input runs here, its moments and occurrences first (hub/events/timing.py)."""
    now = utcnow()
    timing = event_timing(
        data, settings.timezone, harvested=origin is not None, window=horizon(settings, now)
    )
    place, place_ref_iri, organizers = _place_refs(session, data)
    named = _animators(session, data, event, animators, harvested=origin is not None)
    themes = resolve(session, "theme", data.themes)
    audience = resolve(session, "audience", data.audience)

    local_id = event.id if event else new_id()
    values = RecordValues(
        id=local_id,
        iri=event.iri if event else iri or event_iri(settings.base_url, local_id),
        created_at=event.created_at if event else now,
        updated_at=now,
        canonical_id=event.canonical_id if event else None,
        source_id=event.source_id if event else None,
        content_hash=event.content_hash if event else None,
        harvested_at=event.harvested_at if event else None,
        provenance=event.provenance if event else None,
        sequence=event.sequence + 1 if event else 0,
        title=data.title,
        title_key=fold(data.title)[:300],
        description=clean_html(data.description),
        start_utc=timing.start_utc,
        end_utc=timing.end_utc,
        timezone=timing.zone.key,
        all_day=timing.all_day,
        rrule=timing.rule,
        recurring=bool(timing.rule or timing.rdates),
        rdates=[v.isoformat() for v in timing.rdates],
        exdates=[v.isoformat() for v in timing.exdates],
        place_id=place.id if place else None,
        place_iri=place_ref_iri,
        programme_iri=programme_ref(session, data.programme, "programme") if data.programme else None,
        location=data.location.model_dump(exclude_none=True) if data.location else None,
        attendance_mode=data.attendance_mode,
        status=data.status,
        is_free=data.is_free,
        price=data.price,
        currency=data.currency,
        registration_url=str(data.registration_url) if data.registration_url else None,
        capacity=data.capacity,
        language=data.language,
        image_url=str(data.image) if data.image else None,
        url=str(data.url) if data.url else None,
        same_as=[str(u) for u in data.same_as],
    )
    where = data.location.geo if data.location and data.location.geo else None
    values.lat = where.lat if where else place.lat if place else None
    values.lon = where.lon if where else place.lon if place else None
    if origin is not None:
        values.sequence = int((origin.document or {}).get("sequence", 0))
    values.mark_origin(origin)

    overrides = [
        EventOverride(event_id=local_id, **{c: getattr(o, c) for c in OVERRIDE_COLUMNS[1:]})
        for o in timing.overrides
    ]
    labels = labels_of(session, {r.iri for r in themes + audience if r.iri})
    theme_docs = [concept_document(r, labels) for r in themes]
    audience_docs = [concept_document(r, labels) for r in audience]
    if origin is not None and origin.published is not None:
        doc = republished(origin.published, local_id, place)
    else:
        doc = event_document(
            values,
            overrides=overrides,
            organizers=organizers,
            animators=named.shown,
            themes=theme_docs,
            audience=audience_docs,
            place=place,
        )
        doc = origin.marked(doc) if origin is not None else doc
    values.doc = orjson.dumps(values.with_provenance(doc)).decode()
    values.summary = orjson.dumps(event_summary(doc)).decode()
    values.search_text = fold(
        " ".join(
            filter(
                None,
                [
                    data.title,
                    plain_text(values.description),
                    place.name if place else None,
                    place.city if place else None,
                    data.location.name if data.location else None,
                    *(label for d in theme_docs + audience_docs for label in d["label"].values()),
                ],
            )
        )
    )
    concepts = [
        {"event_id": local_id, "scheme": scheme, "concept_iri": ref.iri, "label": ref.label[:200]}
        for scheme, refs in (("theme", themes), ("audience", audience))
        for ref in refs
    ]
    values.concept_bits = concept_bits((c["scheme"], c["concept_iri"], c["label"]) for c in concepts)
    return EventRows(
        event=values,
        overrides=[{c: getattr(o, c) for c in OVERRIDE_COLUMNS} for o in overrides],
        organizers=[{"event_id": local_id, "place_iri": iri} for iri in organizers],
        animators=[{"event_id": local_id, "person_iri": iri} for iri in named.every],
        concepts=concepts,
        occurrences=[occurrence_row(values, i, place) for i in timing.instances],
    )


def _animators(
    session: Session, data: EventIn, event: Event | None, named: Named | None, *, harvested: bool
) -> Named:
    """The members the event names: as its origin published them for a harvested event, as the
    write names them (checked), else those it named and showed before."""
    if harvested:
        iris = list(dict.fromkeys(iri for iri in data.animators if iri.startswith(IRI_PREFIXES)))
        return Named(iris, iris)
    if named is not None:
        return named
    if event is None:
        return Named([], [])
    return Named(named_animators(session, event.id), orjson.loads(event.doc).get("animators", []))


def named_animators(session: Session, event_id: str) -> list[str]:
    """Every member the event names, in the order given."""
    return list(
        session.exec(
            select(EventAnimator.person_iri)
            .where(EventAnimator.event_id == event_id)
            .order_by(col(EventAnimator.id))
        ).all()
    )


def get_event(session: Session, event_id: str, *, for_update: bool = False) -> Event:
    return get_record(session, Event, event_id, "event", for_update=for_update)


def delete_event(session: Session, event_id: str) -> None:
    event = get_event(session, event_id)
    session.delete(event)
    record_change(session, "event", event.iri, deleted=True)


def delete_place(session: Session, place_id: str) -> None:
    """Delete a place no event happens at any more (here, not in places: events build on places)."""
    place = get_place(session, place_id)
    events = session.exec(select(func.count()).where(Event.place_id == place.id)).one()
    if events:
        raise Conflict(f"place {place_id!r} still has {events} events; move or delete them first")
    session.delete(place)
    record_change(session, "place", place.iri, deleted=True)


def overrides_of(session: Session, event: Event) -> list[EventOverride]:
    return list(
        session.exec(
            select(EventOverride)
            .where(EventOverride.event_id == event.id)
            .order_by(col(EventOverride.recurrence_id))
        ).all()
    )


def own_events(session: Session, limit: int) -> list[Event]:
    """The events this instance publishes itself (none harvested), the latest start first."""
    query = select(Event).where(col(Event.harvested_at).is_(None), col(Event.source_id).is_(None))
    return list(session.exec(query.order_by(col(Event.start_utc).desc(), col(Event.id)).limit(limit)).all())


def own_event(session: Session, event_id: str, *, for_update: bool = False) -> Event:
    return own_record(session, Event, event_id, "event", for_update=for_update)


def event_input(doc: dict) -> dict:
    """The input (`EventIn`) that stores this published document again: what a form does not
    show of an event is kept through it."""
    # Its animators are not all in the document: a write without them keeps them.
    keys = EventIn.model_fields.keys() - {"place", "themes", "audience", "animators"}
    data = {key: doc[key] for key in keys if doc.get(key) is not None}
    if isinstance(doc.get("place"), dict) and doc["place"].get("id"):
        data["place"] = doc["place"]["id"]
        # The place organizes its events of itself: kept here, it would stay when the place changes.
        data["organizers"] = [iri for iri in data.get("organizers", []) if iri != data["place"]]
    for scheme in ("themes", "audience"):
        data[scheme] = [c.get("id") or next(iter(c["label"].values())) for c in doc.get(scheme) or []]
    return data

"""The members animating an event. Every one named is kept (the node's coordinators count them);
the published document names only those the public may see at their places, so that an animator
whose profile is for the network alone is on no public output. A change of the member's profile
publishes their events again (hub/people/service.py)."""

from __future__ import annotations

import orjson
from sqlmodel import Session, col, delete, select

from hub.calendar.dates import iso_utc
from hub.errors import InvalidInput
from hub.events.models import Event, EventAnimator
from hub.events.schemas import EventIn
from hub.events.service import Named
from hub.people.models import Person
from hub.people.visibility import has_consent
from hub.store.changes import record_change
from hub.store.records import utcnow

IRI_PREFIXES = ("http://", "https://")
# Ids per IN (...) list: well under SQLite's limit on bound parameters.
CHUNK = 500


def animator_iris(session: Session, refs: list[str]) -> list[str]:
    """The IRIs of the consented members `refs` names (local ids or IRIs), each once; refused
    naming the first that names none."""
    iris: list[str] = []
    for i, ref in enumerate(refs):
        if ref.startswith(IRI_PREFIXES):
            person = session.exec(select(Person).where(Person.iri == ref)).first()
        else:
            person = session.get(Person, ref)
        if person is None or not has_consent(person):
            raise InvalidInput(f"animators[{i}]", f"no member who consented to a profile is {ref!r}")
        if person.iri not in iris:
            iris.append(person.iri)
    return iris


def shown_names(session: Session, iris: list[str]) -> list[str]:
    """The names of those of `iris` the public may see at their places, in the same order."""
    if not iris:
        return []
    names = dict(
        session.exec(
            select(Person.iri, Person.display_name).where(
                col(Person.iri).in_(iris), Person.places_audience == "public"
            )
        ).all()
    )
    return [names[iri] for iri in iris if iri in names]


def public_animators(session: Session, iris: list[str]) -> list[str]:
    """Those of `iris` the public may see at their places, in the same order."""
    if not iris:
        return []
    shown = set(
        session.exec(
            select(Person.iri).where(col(Person.iri).in_(iris), Person.places_audience == "public")
        ).all()
    )
    return [iri for iri in iris if iri in shown]


def _own_events_naming(session: Session, person_iri: str) -> list[Event]:
    return list(
        session.exec(
            select(Event)
            .join(EventAnimator, col(EventAnimator.event_id) == col(Event.id))
            .where(EventAnimator.person_iri == person_iri, col(Event.source_id).is_(None))
        ).all()
    )


def _publish_again(session: Session, events: list[Event]) -> None:
    """Each event's document with the animators it may show now: two queries for all of them."""
    named: dict[str, list[str]] = {}
    for chunk in range(0, len(events), CHUNK):
        ids = [event.id for event in events[chunk : chunk + CHUNK]]
        for event_id, iri in session.exec(
            select(EventAnimator.event_id, EventAnimator.person_iri)
            .where(col(EventAnimator.event_id).in_(ids))
            .order_by(col(EventAnimator.id))
        ).all():
            named.setdefault(event_id, []).append(iri)
    everyone = sorted({iri for iris in named.values() for iri in iris})
    public = set(public_animators(session, everyone))
    for event in events:
        doc = orjson.loads(event.doc)
        shown = [iri for iri in named.get(event.id, []) if iri in public]
        if doc.get("animators", []) == shown:
            continue
        doc.pop("animators", None)
        if shown:
            doc["animators"] = shown
        event.updated_at = utcnow()
        doc["updated"] = iso_utc(event.updated_at)
        event.doc = orjson.dumps(doc).decode()
        session.add(event)
        record_change(session, "event", event.iri)


def refresh_events_naming(session: Session, person_iri: str) -> None:
    """Publish again this instance's events naming the member, as the public may now see them."""
    _publish_again(session, _own_events_naming(session, person_iri))


def forget_animator(session: Session, person_iri: str) -> None:
    """An erased member: no event names them any more, here or in what it published."""
    events = _own_events_naming(session, person_iri)
    session.exec(delete(EventAnimator).where(EventAnimator.person_iri == person_iri))
    _publish_again(session, events)


def name_animators(session: Session, data: EventIn) -> Named | None:
    """The members an event written through the API names, and those its document may show;
    None when the write does not name them (the event keeps its own)."""
    if "animators" not in data.model_fields_set:
        return None
    iris = animator_iris(session, data.animators)
    return Named(iris, public_animators(session, iris))

"""A way out of any instance and into another: everything it holds as one JSON-LD document.

The export carries the published document of every place, programme and event (with provenance
when harvested; an event of this instance also names every animator, not only those its document
shows), every profile as its node holds it (private fields, visibility, consent and roles at
places included: the file is as sensitive as the database), the sources with their cursors, and the
links between records of one event. Importing into an empty instance gives the same records,
by IRI and content, and the sources carry on incrementally.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import orjson
from sqlmodel import Session, col, select

from hub.errors import InvalidInput
from hub.events.documents import event_summary
from hub.events.models import Event, EventLink
from hub.events.service import Named, named_animators, save_event
from hub.federation.adapters.node import input_of
from hub.federation.apply import content_hash
from hub.federation.feed import reset_feed_epoch
from hub.federation.models import Source
from hub.people.models import Person, PersonPlace, PersonRole, PersonSkill
from hub.people.schemas import PersonIn
from hub.people.service import held_roles, publish, save_person
from hub.places.models import Place
from hub.places.service import save_place
from hub.programmes.models import Programme
from hub.programmes.service import save_programme
from hub.settings import Settings
from hub.store.changes import record_change
from hub.store.records import Origin
from hub.vocabulary.jsonld import CONTEXT_IRI

EXPORT_VERSION = 1
# The types of records an export holds, in the order an import saves them: places first, so that
# programmes, events and people find their places; people before events, so that an event's
# document, published as exported, is not published again as each of its animators arrives.
KINDS = {"Place": "place", "EventSeries": "programme", "Person": "person", "Event": "event"}
SOURCE_FIELDS = (
    "url",
    "kind",
    "name",
    "base_url",
    "feed_url",
    "is_hub",
    "place_iri",
    "token",
    "interval_seconds",
    "cursor",
    "etag",
    "last_modified",
)


def _when(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _person_record(session: Session, person: Person) -> dict:
    skills = session.exec(
        select(PersonSkill).where(PersonSkill.person_id == person.id).order_by(col(PersonSkill.id))
    ).all()
    places = session.exec(
        select(PersonPlace.place_iri).where(PersonPlace.person_id == person.id).order_by(col(PersonPlace.id))
    ).all()
    return {
        "id": person.iri,
        "type": "Person",
        "uid": person.id,
        "display_name": person.display_name,
        "bio": person.bio,
        "skills": [s.concept_iri or s.label for s in skills],
        "badges": person.badges,
        "places": list(places),
        "links": person.links,
        "roles": [
            {**role, "since": role["since"].isoformat() if role["since"] else None}
            for role in held_roles(session, person.id)
        ],
        "contact": {"email": person.email, "phone": person.phone},
        "field_visibility": person.visibility,
        "consent": {
            "given": _when(person.consent_given_at),
            "fields": person.consent_fields,
            "withdrawn": _when(person.consent_withdrawn_at),
        },
        "updated": _when(person.updated_at),
    }


def export_lines(session: Session, settings: Settings) -> Iterator[bytes]:
    """The export, piece by piece, so a large hub is never held whole in memory."""
    sources = session.exec(select(Source).order_by(col(Source.id))).all()
    yield (
        orjson.dumps(
            {
                "@context": CONTEXT_IRI,
                "type": "Export",
                "version": EXPORT_VERSION,
                "base_url": settings.base_url,
                "exported": datetime.now(UTC).isoformat(),
                "sources": [{k: getattr(s, k) for k in SOURCE_FIELDS} for s in sources],
            }
        )[:-1]
        + b',"items":['
    )
    urls = {s.id: s.url for s in sources}
    first = True
    for table in (Place, Programme, Event, Person):
        for row in session.exec(select(table).order_by(col(table.iri))).yield_per(500):
            item = (
                _person_record(session, row)
                if table is Person and row.source_id is None
                else orjson.loads(row.doc)
            )
            if table is Event and row.source_id is None and (named := named_animators(session, row.id)):
                item["named_animators"] = named
            if row.source_id is not None:
                item["harvested_from"] = urls.get(row.source_id)
                if table is Person:
                    item = orjson.loads(row.doc_network or row.doc)
                    item["harvested_from"] = urls.get(row.source_id)
            yield (b"" if first else b",") + orjson.dumps(item)
            first = False
    links = session.exec(select(EventLink).order_by(col(EventLink.id))).all()
    iris = dict(session.exec(select(Event.id, Event.iri)).all()) if links else {}
    yield (
        b'],"links":'
        + orjson.dumps(
            [
                {
                    "event": iris[link.event_id],
                    "shown_as": iris[link.canonical_id],
                    "reason": link.reason,
                    "detail": link.detail,
                    "undone": _when(link.undone_at),
                }
                for link in links
            ]
        )
        + b"}"
    )


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def import_document(session: Session, settings: Settings, document: dict) -> dict[str, int]:
    """Load an export into an empty instance. Returns how many records of each kind."""
    if document.get("type") != "Export" or document.get("version") != EXPORT_VERSION:
        raise InvalidInput("file", f"not an export of version {EXPORT_VERSION} of this software")
    for table in (Source, Place, Programme, Event, Person):
        if session.exec(select(table)).first() is not None:
            raise InvalidInput("file", "this instance already holds sources or records: use an empty one")
    sources = {}
    for data in document.get("sources", []):
        source = Source(**{k: data.get(k) for k in SOURCE_FIELDS if k in data})
        session.add(source)
        session.flush()
        sources[source.url] = source
    counts = {"place": 0, "programme": 0, "event": 0, "person": 0}
    items = document.get("items", [])
    for kind in KINDS:
        for item in (i for i in items if i.get("type") == kind):
            _import_record(session, settings, item, sources.get(item.get("harvested_from")))
            counts[KINDS[kind]] += 1
    ids = dict(session.exec(select(Event.iri, Event.id)).all())
    for link in document.get("links", []):
        if link["event"] in ids and link["shown_as"] in ids:
            session.add(
                EventLink(
                    event_id=ids[link["event"]],
                    canonical_id=ids[link["shown_as"]],
                    reason=link["reason"],
                    detail=link.get("detail", ""),
                    undone_at=_parse_time(link.get("undone")),
                )
            )
            if not link.get("undone"):
                event = session.get(Event, ids[link["event"]])
                event.canonical_id = ids[link["shown_as"]]
                session.add(event)
    reset_feed_epoch(session)  # hubs that harvested the old store resync from scratch
    return counts


def _import_record(session: Session, settings: Settings, item: dict, source: Source | None) -> None:
    kind = KINDS[item["type"]]
    iri, uid = item["id"], item.get("uid")
    published = {k: v for k, v in item.items() if k not in ("harvested_from", "named_animators")}
    updated = _parse_time(item.get("updated"))
    origin = None
    if source is not None:
        document = {k: v for k, v in published.items() if k != "provenance"}
        provenance = published.get("provenance") or {}
        origin = Origin(
            source_id=source.id,
            document=document if source.kind == "node" else None,
            provenance=provenance,
            content_hash=provenance.get("hash") or content_hash(document),
            harvested_at=_parse_time(provenance.get("harvested")) or datetime.now(UTC),
        )
    if kind == "person" and source is None:
        _import_local_person(session, settings, item, updated)
        return
    data = input_of(
        kind, {k: v for k, v in published.items() if k != "provenance"}, source.place_iri if source else None
    )
    local_id = {"id": uid} if uid else {}
    if kind == "place":
        row = save_place(session, Place(**local_id, iri=iri, name=data.name), data, origin)
    elif kind == "programme":
        held = Programme(**local_id, iri=iri, name=data.name)
        row = save_programme(session, settings.base_url, data, programme=held, iri=iri, origin=origin)
    elif kind == "event":
        event = (
            Event(**local_id, iri=iri, title=data.title, start_utc=datetime.now(UTC)) if local_id else None
        )
        named = Named(item.get("named_animators", []), published.get("animators", []))
        row = save_event(session, settings, data, event=event, iri=iri, origin=origin, animators=named)
        row.sequence = int(published.get("sequence", row.sequence))
    else:
        person = Person(**local_id, iri=iri, display_name=data.display_name)
        save_person(session, settings.base_url, data, person=person, iri=iri, origin=origin)
        return
    # Published exactly as exported: same document, same time of change.
    row.doc = orjson.dumps(published).decode()
    if updated:
        row.updated_at = updated
    if kind == "event":
        row.summary = orjson.dumps(event_summary(published)).decode()
    session.add(row)
    record_change(session, kind, iri)


def _import_local_person(session: Session, settings: Settings, item: dict, updated: datetime | None) -> None:
    consent = item.get("consent") or {}
    data = PersonIn.model_validate(
        {
            "display_name": item["display_name"],
            "bio": item.get("bio"),
            "skills": item.get("skills", []),
            "badges": item.get("badges", []),
            "places": item.get("places", []),
            "links": item.get("links", []),
            "contact": {k: v for k, v in (item.get("contact") or {}).items() if v} or None,
            "visibility": item.get("field_visibility", {}),
        }
    )
    person = save_person(
        session,
        settings.base_url,
        data,
        person=Person(id=item["uid"], iri=item["id"], display_name=data.display_name),
    )
    for role in item.get("roles", []):
        session.add(
            PersonRole(
                person_id=person.id,
                place_iri=role["place_iri"],
                role_name=role["role_name"],
                badges=role.get("badges", []),
                since=date.fromisoformat(role["since"]) if role.get("since") else None,
            )
        )
    person.consent_given_at = _parse_time(consent.get("given"))
    person.consent_fields = consent.get("fields", [])
    person.consent_withdrawn_at = _parse_time(consent.get("withdrawn"))
    publish(session, person, updated_at=updated)

"""A way out of any instance and into another: everything it holds as one JSON-LD document.

The export carries the published document of every place, programme and event (with provenance
when harvested; an event of this instance also names every animator, not only those its document
shows), every profile as its node holds it (private fields, visibility, consent and roles at
places included: the file is as sensitive as the database), every need and offer with what its
document leaves out (the skills as posted, the exact instants the figures count, and the requests
to be put in touch it got: names, messages, reply addresses), the sources with their cursors, and
the links between records of one event. Importing into an empty instance gives the same records,
by IRI and content, and the sources carry on incrementally.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Literal

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, delete, select

from hub.errors import InvalidInput
from hub.events.documents import event_summary
from hub.events.models import Event, EventLink
from hub.events.service import Named, named_animators, save_event
from hub.federation.adapters.node import input_of
from hub.federation.apply import content_hash
from hub.federation.feed import reset_feed_epoch
from hub.federation.models import Source
from hub.needs.documents import KINDS as NEED_KINDS
from hub.needs.models import Need, NeedRelay, NeedSkill
from hub.needs.schemas import NeedIn
from hub.needs.service import save_need
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
# document, published as exported, is not published again as each of its animators arrives; needs
# and offers last, so that they find their authors.
KINDS = {"Place": "place", "EventSeries": "programme", "Person": "person", "Event": "event", **NEED_KINDS}
# The tables of records an export walks; an import is made into an instance where these and the
# sources are empty.
RECORDS = (Place, Programme, Event, Person, Need)
# The input fields of a need under the names its document gives them, to name a field refused.
NEED_TERMS = {"skills": "item_offered", "place": "area_served", "visibility": "shown_to"}
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


class _Exported(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SkillHeld(_Exported):
    concept: str | None = Field(None, max_length=500)
    label: str = Field(min_length=1, max_length=200)


class RelayHeld(_Exported):
    to: str = Field(min_length=1, max_length=500)
    name: str = Field(min_length=1, max_length=120)
    message: str = Field(min_length=1)
    reply_to: str | None = Field(None, max_length=200)
    created_at: AwareDatetime


class NeedHeld(_Exported):
    """What an instance holds of a need beyond its document (which rounds instants to the second
    and shows the skills as the thesaurus names them)."""

    author_kind: Literal["person", "place"]
    valid_through: AwareDatetime
    created_at: AwareDatetime
    updated_at: AwareDatetime
    matched_at: AwareDatetime | None
    answered_at: AwareDatetime | None
    harvested_at: AwareDatetime | None
    skills: list[SkillHeld]
    relays: list[RelayHeld]


class _HeldItem(BaseModel):
    held: NeedHeld


def _need_held(session: Session, need: Need) -> dict:
    skills = session.exec(
        select(NeedSkill).where(NeedSkill.need_id == need.id).order_by(col(NeedSkill.id))
    ).all()
    relays = session.exec(
        select(NeedRelay).where(NeedRelay.need_id == need.id).order_by(col(NeedRelay.id))
    ).all()
    return {
        "author_kind": need.author_kind,
        "valid_through": _when(need.valid_through),
        "created_at": _when(need.created_at),
        "updated_at": _when(need.updated_at),
        "matched_at": _when(need.matched_at),
        "answered_at": _when(need.answered_at),
        "harvested_at": _when(need.harvested_at),
        "skills": [{"concept": s.concept_iri, "label": s.label} for s in skills],
        "relays": [
            {
                "to": r.to_iri,
                "name": r.name,
                "message": r.message,
                "reply_to": r.reply_to,
                "created_at": _when(r.created_at),
            }
            for r in relays
        ],
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
    for table in RECORDS:
        for row in session.exec(select(table).order_by(col(table.iri))).yield_per(500):
            item = (
                _person_record(session, row)
                if table is Person and row.source_id is None
                else orjson.loads(row.doc)
            )
            if table is Need:
                item["held"] = _need_held(session, row)
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


@contextmanager
def _named(where: str, kind: str, item: dict) -> Iterator[None]:
    """A record refused, as the refusal of the field of the file that holds what is wrong: its
    place among the items, its field under the document's own name."""
    terms = NEED_TERMS if kind in NEED_KINDS.values() else {}
    try:
        yield
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [terms.get(part, part) if i == 0 else part for i, part in enumerate(error["loc"])]
        raise _refused(where, item, _path(loc), error["msg"]) from exc
    except InvalidInput as exc:
        message = exc.errors[0]["message"] if exc.errors else exc.detail
        raise _refused(where, item, terms.get(exc.field, exc.field), message) from exc


def _path(loc: list) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _refused(where: str, item: dict, field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{where}.{field}" if field else where, f"{item.get('id')}: {message}")


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def import_document(session: Session, settings: Settings, document: dict) -> dict[str, int]:
    """Load an export into an empty instance. Returns how many records of each kind."""
    if document.get("type") != "Export" or document.get("version") != EXPORT_VERSION:
        raise InvalidInput("file", f"not an export of version {EXPORT_VERSION} of this software")
    for table in (Source, *RECORDS):
        if session.exec(select(table)).first() is not None:
            raise InvalidInput("file", "this instance already holds sources or records: use an empty one")
    sources = {}
    for data in document.get("sources", []):
        source = Source(**{k: data.get(k) for k in SOURCE_FIELDS if k in data})
        session.add(source)
        session.flush()
        sources[source.url] = source
    counts = dict.fromkeys(KINDS.values(), 0)
    items = document.get("items", [])
    for kind in KINDS:
        for n, item in ((n, i) for n, i in enumerate(items) if i.get("type") == kind):
            with _named(f"items[{n}]", KINDS[kind], item):
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
    published = {k: v for k, v in item.items() if k not in ("harvested_from", "named_animators", "held")}
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
    # A need's skills come as posted, with what it holds (its document may list more than a post takes).
    left_out = {"provenance", "item_offered"} if kind in NEED_KINDS.values() else {"provenance"}
    data = input_of(
        kind, {k: v for k, v in published.items() if k not in left_out}, source.place_iri if source else None
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
    elif kind == "person":
        person = Person(**local_id, iri=iri, display_name=data.display_name)
        save_person(session, settings.base_url, data, person=person, iri=iri, origin=origin)
        return
    else:
        state = _HeldItem.model_validate(item).held
        row = _import_need(session, settings, data, state, Need(**local_id, iri=iri), origin)
        updated = state.updated_at
    # Published exactly as exported: same document, same time of change.
    row.doc = orjson.dumps(published).decode()
    if updated:
        row.updated_at = updated
    if kind == "event":
        row.summary = orjson.dumps(event_summary(published)).decode()
    session.add(row)
    record_change(session, kind, iri)


def _import_need(
    session: Session, settings: Settings, data: NeedIn, held: NeedHeld, need: Need, origin: Origin | None
) -> Need:
    """A need or an offer as it was held: its instants, its skills as posted, the requests to be
    put in touch it got (their ids are new: they are counted from one on each instance)."""
    need.kind, need.title, need.author_iri, need.author_kind = (
        data.kind,
        data.title,
        data.author,
        held.author_kind,
    )
    need.valid_through = held.valid_through
    data = data.model_copy(update={"valid_through": held.valid_through})
    need = save_need(session, settings, data, need=need, iri=need.iri, origin=origin, restored=True)
    need.created_at, need.matched_at, need.answered_at = held.created_at, held.matched_at, held.answered_at
    need.harvested_at = held.harvested_at
    session.exec(delete(NeedSkill).where(NeedSkill.need_id == need.id))
    session.add_all(NeedSkill(need_id=need.id, concept_iri=s.concept, label=s.label) for s in held.skills)
    session.add_all(
        NeedRelay(
            need_id=need.id,
            to_iri=r.to,
            name=r.name,
            message=r.message,
            reply_to=r.reply_to,
            created_at=r.created_at,
        )
        for r in held.relays
    )
    return need


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

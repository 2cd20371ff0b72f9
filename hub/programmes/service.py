"""Domain functions for programmes: a series of events several places run (schema.org
EventSeries). Any node or hub may publish one under its own base; events of any node join it by
its IRI (their `programme`), so a hub holding both shows the whole programme."""

from __future__ import annotations

import orjson
from sqlmodel import Session, col, select

from hub.calendar.dates import iso_utc
from hub.errors import InvalidInput
from hub.kit.paging import decode_cursor
from hub.kit.sanitize import clean_html
from hub.kit.text import fold
from hub.places.service import place_iris
from hub.programmes.models import Programme
from hub.programmes.schemas import ProgrammeIn
from hub.store.changes import record_change
from hub.store.query import Page, after, page_of
from hub.store.records import Origin, get_record, new_id, own_record, utcnow
from hub.vocabulary.thesaurus import concept_document, labels_of, resolve

IRI_PREFIXES = ("http://", "https://")


def programme_iri(base_url: str, local_id: str) -> str:
    return f"{base_url}/programmes/{local_id}"


def save_programme(
    session: Session,
    base_url: str,
    data: ProgrammeIn,
    *,
    programme: Programme | None = None,
    iri: str | None = None,
    origin: Origin | None = None,
) -> Programme:
    """Create (no `programme`) or replace a programme and log the change. A harvested one is
    rendered again from what its origin published, its description sanitized here too."""
    organizers = place_iris(session, data.organizers, "organizers")
    themes = resolve(session, "theme", data.themes)
    labels = labels_of(session, {r.iri for r in themes if r.iri})
    if programme is None:
        local_id = new_id()
        programme = Programme(id=local_id, iri=iri or programme_iri(base_url, local_id), name=data.name)
    programme.name = data.name
    programme.updated_at = utcnow()
    programme.mark_origin(origin)
    description = clean_html(data.description)
    doc: dict = {"id": programme.iri, "type": "EventSeries", "uid": programme.id, "name": data.name}
    optional = {
        "description": description,
        "url": str(data.url) if data.url else None,
        "organizers": organizers,
        "themes": [concept_document(r, labels) for r in themes],
    }
    doc.update({k: v for k, v in optional.items() if v})
    doc["updated"] = iso_utc(programme.updated_at)
    programme.doc = orjson.dumps(programme.with_provenance(doc)).decode()
    programme.search_text = fold(data.name)
    session.add(programme)
    session.flush()
    record_change(session, "programme", programme.iri)
    return programme


def get_programme(session: Session, programme_id: str) -> Programme:
    return get_record(session, Programme, programme_id, "programme")


def own_programme(session: Session, programme_id: str) -> Programme:
    return own_record(session, Programme, programme_id, "programme")


def find_programme(session: Session, ref: str) -> Programme | None:
    """A programme by local id or by IRI."""
    if not ref.startswith(IRI_PREFIXES):
        return session.get(Programme, ref)
    return session.exec(select(Programme).where(Programme.iri == ref)).first()


def programme_ref(session: Session, ref: str, field: str, *, location: str = "body") -> str:
    """The IRI `ref` names: a programme held here (by local id or IRI), or any http(s) IRI (a
    programme published elsewhere, perhaps not harvested yet)."""
    found = find_programme(session, ref)
    if found is None and not ref.startswith(IRI_PREFIXES):
        raise InvalidInput(field, f"no programme with id {ref!r}", location=location)
    return found.iri if found else ref


def delete_programme(session: Session, programme_id: str) -> None:
    """Delete a programme: hubs get a tombstone; events keep naming its IRI, as they name a
    place another node deleted."""
    programme = own_programme(session, programme_id)
    session.delete(programme)
    record_change(session, "programme", programme.iri, deleted=True)


def list_programmes(session: Session, *, limit: int, cursor: str | None = None) -> Page[Programme]:
    """Programmes by name."""
    query = select(Programme)
    if cursor:
        query = query.where(after([Programme.name, Programme.id], decode_cursor(cursor, (str, str))))
    rows = session.exec(query.order_by(col(Programme.name), col(Programme.id)).limit(limit + 1)).all()
    return page_of(list(rows), limit, lambda p: (p.name, p.id))

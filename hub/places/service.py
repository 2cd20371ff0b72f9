"""Domain functions for places: validate, store, publish, list."""

from __future__ import annotations

import orjson
from sqlalchemy import ColumnElement, String, and_, cast, inspect, or_
from sqlmodel import Session, col, delete, exists, select

from hub.errors import InvalidInput
from hub.kit import geo
from hub.kit.paging import decode_cursor
from hub.kit.sanitize import clean_html
from hub.kit.text import fold
from hub.places.documents import place_document
from hub.places.models import Equipment, Place
from hub.places.schemas import PlaceIn
from hub.store.changes import record_change
from hub.store.query import Near, Page, after, near_condition, page_of, query_terms, text_condition
from hub.store.records import Origin, get_record, new_id, own_record, utcnow
from hub.vocabulary.thesaurus import synonyms

# IRI -> the place a session looked up; None for an IRI `known_places` found no place for
# (until one is saved under it).
KNOWN_PLACES = "hub.known_places"
IRI_PREFIXES = ("http://", "https://")
# IRIs per IN (...) list: well under SQLite's limit on bound parameters.
LOOKUP_CHUNK = 500


def place_iri(base_url: str, local_id: str) -> str:
    return f"{base_url}/places/{local_id}"


def _address_codes(data: PlaceIn) -> tuple[str | None, str | None]:
    address = data.address
    if address is None:
        return None, None
    department = address.department
    if department is not None:
        department = geo.normalize_department(department)
        if department is None:
            raise InvalidInput("address.department", "not a French department code")
    elif address.postal_code:
        department = geo.department_of_postal_code(address.postal_code)
    region = address.region
    if region is not None and region not in geo.REGIONS:
        raise InvalidInput("address.region", "not a French region code (INSEE)")
    if department is not None:
        expected = geo.region_of(department)
        if region is not None and region != expected:
            raise InvalidInput("address.region", f"department {department} is in region {expected}")
        region = expected
    return department, region


def save_place(session: Session, place: Place, data: PlaceIn, origin: Origin | None = None) -> Place:
    """Store a place and log the change; a harvested place keeps its origin's document."""
    department, region = _address_codes(data)
    address = data.address
    place.name = data.name
    place.description = clean_html(data.description)
    place.kinds = list(dict.fromkeys(data.kinds))
    place.street = address.street if address else None
    place.postal_code = address.postal_code if address else None
    place.city = address.city if address else None
    place.country = address.country if address else "FR"
    place.department, place.region = department, region
    place.lat = data.geo.lat if data.geo else None
    place.lon = data.geo.lon if data.geo else None
    place.opening_hours = [h.model_dump() for h in data.opening_hours]
    place.email = data.contact.email if data.contact else None
    place.phone = data.contact.phone if data.contact else None
    place.website = str(data.website) if data.website else None
    place.updated_at = utcnow()
    place.search_text = fold(" ".join(filter(None, [data.name, place.city, *data.kinds])))
    session.add(place)
    session.flush()
    session.info.setdefault(KNOWN_PLACES, {})[place.iri] = place
    session.exec(delete(Equipment).where(Equipment.place_id == place.id))
    equipment = [
        Equipment(
            place_id=place.id,
            name=e.name,
            category=e.category,
            quantity=e.quantity,
            search_text=fold(f"{e.name} {e.category or ''}"),
        )
        for e in data.equipment
    ]
    session.add_all(equipment)
    place.mark_origin(origin)
    if origin and origin.published:
        # The origin's document, under this instance's own id (its detail URL here).
        document = {**origin.published, "uid": place.id}
    else:
        document = place_document(place, equipment)
        document = origin.marked(document) if origin else document
    place.doc = orjson.dumps(place.with_provenance(document)).decode()
    record_change(session, "place", place.iri)
    return place


def create_place(session: Session, base_url: str, data: PlaceIn) -> Place:
    local_id = new_id()
    return save_place(session, Place(id=local_id, iri=place_iri(base_url, local_id), name=data.name), data)


def get_place(session: Session, place_id: str) -> Place:
    return get_record(session, Place, place_id, "place")


def find_place(session: Session, ref: str) -> Place | None:
    """A place by local id or by IRI."""
    if not ref.startswith(IRI_PREFIXES):
        return session.get(Place, ref)
    # An IRI names one row for good: once found, the session answers again from memory (unless
    # the SAVEPOINT that stored the place was rolled back since).
    known = session.info.setdefault(KNOWN_PLACES, {})
    if ref in known and (known[ref] is None or inspect(known[ref]).persistent):
        return known[ref]
    place = session.exec(select(Place).where(Place.iri == ref)).first()
    if place is not None:
        known[ref] = place
    return place


def place_iris(session: Session, refs: list[str], field: str) -> list[str]:
    """The IRIs of the places `refs` names (local ids or IRIs of places held or not), each once; a
    local id naming no place is refused as `field[i]`."""
    iris: list[str] = []
    for i, ref in enumerate(refs):
        place = find_place(session, ref)
        if place is None and not ref.startswith(IRI_PREFIXES):
            raise InvalidInput(f"{field}[{i}]", f"no place with id {ref!r}")
        iri = place.iri if place else ref
        if iri not in iris:
            iris.append(iri)
    return iris


def known_places(session: Session, refs: set[str]) -> None:
    """Look up at once the places these IRIs name, held or not, so that `find_place` answers
    each from memory: a page of harvested events names the same few places again and again,
    most often places this instance does not hold."""
    known = session.info.setdefault(KNOWN_PLACES, {})
    wanted = sorted(ref for ref in refs if ref.startswith(IRI_PREFIXES) and ref not in known)
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        places = session.exec(select(Place).where(col(Place.iri).in_(chunk)))
        known.update((place.iri, place) for place in places)
    for ref in wanted:
        known.setdefault(ref, None)


def replace_place(session: Session, place_id: str, data: PlaceIn) -> Place:
    return save_place(session, get_place(session, place_id), data)


def _equipment_named(session: Session, asked: str) -> ColumnElement[bool]:
    """Equipment whose name holds every word asked, or every word of a synonym: the skills
    thesaurus names the machines of each making skill in French and English ("laser cutter",
    "découpeuse laser"), and a synonym's words match as the start of words of the name."""
    terms = query_terms(asked, "equipment")
    words = " " + Equipment.search_text
    named = [and_(*(Equipment.search_text.contains(t, autoescape=True) for t in terms))]
    for label in synonyms(session, "skill", asked):
        named.append(and_(*(words.contains(" " + t, autoescape=True) for t in label.split())))
    return or_(*named)


def list_places(
    session: Session,
    *,
    limit: int,
    cursor: str | None = None,
    q: str | None = None,
    kind: str | None = None,
    department: str | None = None,
    region: str | None = None,
    equipment: str | None = None,
    near: Near | None = None,
) -> Page[Place]:
    """Places by name, filtered by text, kind, geography, equipment ("who has a laser cutter near me")."""
    query = select(Place)
    if q:
        query = query.where(text_condition(Place.search_text, q))
    if kind:
        query = query.where(cast(Place.kinds, String).contains(f'"{kind}"'))
    if department:
        query = query.where(Place.department == department)
    if region:
        query = query.where(Place.region == region)
    if equipment:
        query = query.where(
            exists().where(Equipment.place_id == Place.id, _equipment_named(session, equipment))
        )
    if near:
        query = query.where(near_condition(Place.lat, Place.lon, near))
    if cursor:
        query = query.where(after([Place.name, Place.id], decode_cursor(cursor, (str, str))))
    rows = session.exec(query.order_by(Place.name, Place.id).limit(limit + 1)).all()
    return page_of(list(rows), limit, lambda p: (p.name, p.id))


def own_places(session: Session, limit: int) -> list[Place]:
    """The places this instance speaks for itself (none harvested), by name."""
    query = select(Place).where(col(Place.harvested_at).is_(None), col(Place.source_id).is_(None))
    return list(session.exec(query.order_by(col(Place.name), col(Place.id)).limit(limit)).all())


def own_place(session: Session, place_id: str) -> Place:
    return own_record(session, Place, place_id, "place")


def place_input(doc: dict) -> dict:
    """The input (`PlaceIn`) that stores this published document again."""
    return {key: doc[key] for key in PlaceIn.model_fields if doc.get(key) is not None}

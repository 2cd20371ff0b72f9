"""Domain functions for member profiles: store, consent, publish per audience, list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import ColumnElement, exists
from sqlmodel import Session, col, delete, func, select

from hub.errors import NotFound
from hub.kit.paging import decode_cursor
from hub.kit.text import fold
from hub.people.animators import forget_animator, refresh_events_naming
from hub.people.documents import person_document, role_document
from hub.people.models import Person, PersonPlace, PersonRole, PersonSkill
from hub.people.schemas import PERSON_FIELDS, ConsentIn, HarvestedPersonIn, PersonIn
from hub.people.visibility import (
    Audience,
    audiences_reading,
    has_consent,
    visible_fields,
    widest_audience,
)
from hub.places.models import Place
from hub.places.service import find_place, place_iris
from hub.store.changes import record_change
from hub.store.query import Near, Page, after, near_condition, page_of, text_condition
from hub.store.records import (
    Origin,
    RecordValues,
    get_record,
    insert_rows,
    new_id,
    save_row,
    utcnow,
    values_of,
)
from hub.vocabulary.thesaurus import ConceptRef, concept_document, labels_of, resolve, unknown, with_narrower

# The columns of a new profile that saving it does not set.
NEW_PERSON = {
    "doc": "{}",
    "source_id": None,
    "content_hash": None,
    "harvested_at": None,
    "provenance": None,
    "consent_given_at": None,
    "consent_fields": [],
    "consent_withdrawn_at": None,
}


def person_iri(base_url: str, local_id: str) -> str:
    return f"{base_url}/people/{local_id}"


def get_person(session: Session, person_id: str) -> Person:
    return get_record(session, Person, person_id, "person")


def publish(
    session: Session, person: Person, origin: Origin | None = None, *, updated_at: datetime | None = None
) -> None:
    """Recompute what each audience sees of `person` and log the change."""
    skill_rows = session.exec(
        select(PersonSkill).where(PersonSkill.person_id == person.id).order_by(col(PersonSkill.id))
    ).all()
    places = list(
        session.exec(
            select(PersonPlace.place_iri)
            .where(PersonPlace.person_id == person.id)
            .order_by(col(PersonPlace.id))
        ).all()
    )
    _render(
        session,
        person,
        [_ref(s) for s in skill_rows],
        places,
        held_roles(session, person.id),
        origin,
        updated_at,
    )
    session.add(person)
    session.flush()
    _log(session, person)


def _render(
    session: Session,
    person: Person,
    skill_refs: list[ConceptRef],
    places: list[str],
    roles: list[dict],
    origin: Origin | None,
    updated_at: datetime | None,
) -> None:
    """Set what each audience sees of `person`, from its skills, places and roles at places."""
    person.updated_at = updated_at or (origin.updated if origin else None) or utcnow()
    labels = labels_of(
        session, {r.iri for r in skill_refs if r.iri} | {iri for role in roles for iri in role["badges"]}
    )
    skills = [concept_document(r, labels) for r in skill_refs]
    role_docs = [
        role_document(
            role["place_iri"],
            role["role_name"],
            [concept_document(ConceptRef(iri, iri), labels) for iri in role["badges"]],
            role["since"],
        )
        for role in roles
    ]
    public = person_document(person, "public", skills, places, role_docs)
    network = person_document(person, "network", skills, places, role_docs)
    person.doc_public = orjson.dumps(person.with_provenance(public)).decode() if public else None
    person.doc_network = orjson.dumps(person.with_provenance(network)).decode() if network else None
    person.doc = person.doc_network or "{}"
    person.profile_audience = "public" if public else "network" if network else "none"
    person.skills_audience = widest_audience(person, "skills")
    person.places_audience = widest_audience(person, "places")
    person.search_text = _search_text(person, "public", skills)
    person.search_network = _search_text(person, "network", skills)


def _log(session: Session, person: Person) -> None:
    # A profile nobody may see is, for the network, deleted: hubs drop it.
    record_change(session, "person", person.iri, deleted=person.doc_network is None)
    if person.source_id is None:
        # Its own events name the member only while the public may see them.
        refresh_events_naming(session, person.iri)


ROLE_COLUMNS = ("place_iri", "role_name", "badges", "since")


def held_roles(session: Session, person_id: str) -> list[dict]:
    """The member's roles at places, as stored, in the order they were given."""
    rows = session.exec(
        select(PersonRole).where(PersonRole.person_id == person_id).order_by(col(PersonRole.id))
    ).all()
    return [{c: getattr(row, c) for c in ROLE_COLUMNS} for row in rows]


def _roles(session: Session, data: PersonIn, person: Person | None) -> list[dict]:
    """The roles a harvested profile brings (badges outside the thesaurus left out), else those
    the places gave the member: a write through the API keeps them."""
    if not isinstance(data, HarvestedPersonIn):
        return held_roles(session, person.id) if person is not None else []
    roles: dict[str, dict] = {}
    for role in data.roles:
        badges = [ref.iri for ref in resolve(session, "badge", role.badges) if ref.iri]
        roles.setdefault(
            role.work_location,
            {
                "place_iri": role.work_location,
                "role_name": role.role_name,
                "badges": badges,
                "since": role.since,
            },
        )
    return list(roles.values())


def _ref(skill: PersonSkill) -> ConceptRef:
    return ConceptRef(skill.concept_iri, skill.label)


def _search_text(person: Person, audience: Audience, skills: list[dict]) -> str:
    fields = visible_fields(person, audience)
    if "display_name" not in fields:
        return ""
    parts = [person.display_name]
    if "bio" in fields and person.bio:
        parts.append(person.bio)
    if "skills" in fields:
        parts.extend(label for s in skills for label in s["label"].values())
    if "badges" in fields:
        parts.extend(person.badges)
    return fold(" ".join(parts))


@dataclass(frozen=True, slots=True)
class PersonRows:
    """One profile as the rows that store it: its columns, its skills and its places."""

    person: RecordValues
    skills: list[dict]
    places: list[dict]
    roles: list[dict]


def save_person(
    session: Session,
    base_url: str,
    data: PersonIn,
    *,
    person: Person | None = None,
    iri: str | None = None,
    origin: Origin | None = None,
) -> Person:
    """Create or replace a member profile; consent given in `data` is recorded now.

    A harvested profile (`origin`) is re-published here under the same rules: each field only
    to the audience its member chose at the origin.
    """
    rows = person_rows(session, base_url, data, person=person, iri=iri, origin=origin)
    fresh = person is None
    if person is None:
        person = Person(**vars(rows.person))
    else:
        for key, value in vars(rows.person).items():
            setattr(person, key, value)
        session.exec(delete(PersonSkill).where(PersonSkill.person_id == person.id))
        session.exec(delete(PersonPlace).where(PersonPlace.person_id == person.id))
        session.exec(delete(PersonRole).where(PersonRole.person_id == person.id))
    save_row(session, person, fresh=fresh)
    _insert_children(session, [rows])
    _log(session, person)
    return person


def insert_people(session: Session, people: list[PersonRows]) -> None:
    """Store new profiles and log them: one INSERT per table for all of them."""
    if not people:
        return
    insert_rows(session, {Person: [vars(rows.person) for rows in people]})
    _insert_children(session, people)
    for rows in people:
        _log(session, rows.person)


def _insert_children(session: Session, people: list[PersonRows]) -> None:
    insert_rows(
        session,
        {
            PersonSkill: [row for rows in people for row in rows.skills],
            PersonPlace: [row for rows in people for row in rows.places],
            PersonRole: [row for rows in people for row in rows.roles],
        },
    )


def person_rows(
    session: Session,
    base_url: str,
    data: PersonIn,
    *,
    person: Person | None = None,
    iri: str | None = None,
    origin: Origin | None = None,
) -> PersonRows:
    """Every row storing `data` (replacing `person`, if given), computed without writing."""
    places = place_iris(session, data.places, "places")
    skills = resolve(session, "skill", data.skills)
    roles = _roles(session, data, person)
    if person is None:
        local_id, now = new_id(), utcnow()
        values = RecordValues(**NEW_PERSON, id=local_id, iri=iri or person_iri(base_url, local_id))
        values.created_at = values.updated_at = now
    else:
        values = values_of(person)
    values.display_name = data.display_name
    values.bio = data.bio
    values.badges = list(dict.fromkeys(b.strip() for b in data.badges if b.strip()))
    values.links = [str(link) for link in data.links]
    values.email = data.contact.email if data.contact else None
    values.phone = data.contact.phone if data.contact else None
    values.visibility = dict(data.visibility)
    if data.consent is not None:
        _give_consent(values, data.consent)
    values.mark_origin(origin)
    skill_refs = [ConceptRef(r.iri, r.label[:200]) for r in skills]
    _render(session, values, skill_refs, places, roles, origin, None)
    return PersonRows(
        person=values,
        skills=[{"person_id": values.id, "concept_iri": r.iri, "label": r.label} for r in skill_refs],
        places=[{"person_id": values.id, "place_iri": iri} for iri in places],
        roles=[{"person_id": values.id, **role} for role in roles],
    )


def _give_consent(person: Person, consent: ConsentIn) -> None:
    person.consent_given_at = utcnow()
    person.consent_withdrawn_at = None
    person.consent_fields = [f for f in PERSON_FIELDS if f in consent.fields]


def give_consent(session: Session, person_id: str, consent: ConsentIn) -> Person:
    person = get_person(session, person_id)
    _give_consent(person, consent)
    publish(session, person)
    return person


def withdraw_consent(session: Session, person_id: str) -> Person:
    """The member takes their profile back: it leaves every output and hubs get a tombstone."""
    person = get_person(session, person_id)
    if has_consent(person):
        person.consent_withdrawn_at = utcnow()
    publish(session, person)
    return person


def erase_person(session: Session, ref: str) -> str:
    """Right to erasure: every trace of the member goes, and hubs get a tombstone. Returns the IRI."""
    person = session.get(Person, ref) or session.exec(select(Person).where(Person.iri == ref)).first()
    if person is None:
        raise NotFound(f"no person {ref!r}")
    delete_person(session, person.id)
    return person.iri


def delete_person(session: Session, person_id: str) -> None:
    person = get_person(session, person_id)
    session.delete(person)
    record_change(session, "person", person.iri, deleted=True)
    forget_animator(session, person.iri)


def _shows_skill(readable: list[str], match: ColumnElement[bool]) -> ColumnElement[bool]:
    """People who list a skill `match` selects, where the reader may see their skills."""
    return col(Person.skills_audience).in_(readable) & exists().where(
        PersonSkill.person_id == Person.id, match
    )


def list_people(
    session: Session,
    audience: Audience,
    *,
    limit: int,
    cursor: str | None = None,
    skill: str | None = None,
    place: str | None = None,
    q: str | None = None,
    near: Near | None = None,
) -> Page[Person]:
    """Profiles `audience` may see, filtered only on what it may see."""
    readable = audiences_reading(audience)
    query = select(Person).where(col(Person.profile_audience).in_(readable))
    if skill:
        ref = resolve(session, "skill", [skill])[0]
        if ref.iri is not None:
            match = col(PersonSkill.concept_iri).in_(with_narrower(session, {ref.iri}))
        else:
            match = col(PersonSkill.concept_iri).is_(None) & (col(PersonSkill.label) == ref.label)
        query = query.where(_shows_skill(readable, match))
        if ref.iri is None and session.execute(query.limit(1)).first() is None:
            raise unknown(session, "skill", skill)
    if place:
        found = find_place(session, place)
        iri = found.iri if found else place
        query = query.where(
            col(Person.places_audience).in_(readable),
            exists().where(PersonPlace.person_id == Person.id, PersonPlace.place_iri == iri),
        )
    if near:
        query = query.where(
            col(Person.places_audience).in_(readable),
            exists().where(
                PersonPlace.person_id == Person.id,
                PersonPlace.place_iri == Place.iri,
                near_condition(Place.lat, Place.lon, near),
            ),
        )
    if q:
        column = Person.search_text if audience == "public" else Person.search_network
        found = text_condition(column, q)
        # Words naming a skill in any language ("laser cutter") find who has it, or a narrower one.
        named = resolve(session, "skill", [q])[0].iri
        if named is not None:
            narrower = with_narrower(session, {named})
            found = found | _shows_skill(readable, col(PersonSkill.concept_iri).in_(narrower))
        query = query.where(found)
    if cursor:
        query = query.where(after([Person.display_name, Person.id], decode_cursor(cursor, (str, str))))
    rows = session.exec(query.order_by(Person.display_name, Person.id).limit(limit + 1)).all()
    return page_of(list(rows), limit, lambda p: (p.display_name, p.id))


def skill_counts(session: Session, audience: Audience, iris: list[str]) -> dict[str, int]:
    """How many people the reader may see list each of these skills."""
    if not iris:
        return {}
    readable = audiences_reading(audience)
    rows = session.exec(
        select(PersonSkill.concept_iri, func.count())
        .join(Person, col(Person.id) == col(PersonSkill.person_id))
        .where(
            col(PersonSkill.concept_iri).in_(iris),
            col(Person.profile_audience).in_(readable),
            col(Person.skills_audience).in_(readable),
        )
        .group_by(PersonSkill.concept_iri)
    ).all()
    return dict(rows)


def person_json(person: Person, audience: Audience) -> str | None:
    """The stored document for `audience`, or None if it may not see this profile."""
    return person.doc_public if audience == "public" else person.doc_network

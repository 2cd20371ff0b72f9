"""A place's animators: the roles it gives consented members of this instance, and who
animates where, as each reader may see it (a role follows the visibility of the member's places)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, delete, select

from hub.errors import InvalidInput, NotFound
from hub.kit.paging import decode_cursor
from hub.people.models import Person, PersonRole
from hub.people.schemas import RoleIn
from hub.people.service import get_person, publish
from hub.people.visibility import Audience, audiences_reading, has_consent
from hub.places.models import Place
from hub.places.service import find_place, own_place
from hub.store.query import Page, after, page_of
from hub.vocabulary.thesaurus import ConceptRef, concept_document, labels_of, resolve


def _own_consented(session: Session, person_id: str) -> Person:
    person = get_person(session, person_id)
    if person.source_id is not None:
        raise NotFound(f"no person of this instance with id {person_id!r}")
    if not has_consent(person):
        raise InvalidInput(
            "person_id", "this member has not consented to a published profile", location="path"
        )
    return person


def _badges(session: Session, refs: list[str]) -> list[str]:
    """Concept IRIs of the badges thesaurus; anything else is refused, naming it."""
    iris: list[str] = []
    for i, ref in enumerate(resolve(session, "badge", refs)):
        if ref.iri is None:
            raise InvalidInput(
                f"badges[{i}]", f"{ref.label!r} is not in the badges thesaurus (/api/v1/badges)"
            )
        if ref.iri not in iris:
            iris.append(ref.iri)
    return iris


def declare_role(session: Session, place_id: str, person_id: str, data: RoleIn) -> Person:
    """The place counts the member among its animators (or changes their role); their profile is
    published again."""
    place = own_place(session, place_id)
    person = _own_consented(session, person_id)
    badges = _badges(session, data.badges)
    role = session.exec(
        select(PersonRole).where(PersonRole.person_id == person.id, PersonRole.place_iri == place.iri)
    ).first() or PersonRole(person_id=person.id, place_iri=place.iri, role_name=data.role_name)
    role.role_name, role.badges, role.since = data.role_name, badges, data.since
    session.add(role)
    session.flush()
    publish(session, person)
    return person


def remove_role(session: Session, place_id: str, person_id: str) -> None:
    """The member no longer animates the place."""
    place = own_place(session, place_id)
    person = get_person(session, person_id)
    removed = session.exec(
        delete(PersonRole).where(PersonRole.person_id == person.id, PersonRole.place_iri == place.iri)
    )
    if not removed.rowcount:
        raise NotFound(f"{person_id!r} is not an animator of place {place_id!r}")
    publish(session, person)


@dataclass(frozen=True, slots=True)
class Animator:
    """A role as a reader may see it: the member, the place, the role."""

    role: PersonRole
    person: Person
    place: Place | None

    def document(self, labels: dict[str, dict[str, str]]) -> dict:
        """The role as a list of who animates where shows it: its holder and place summed up."""
        place: dict = {"id": self.role.place_iri}
        if self.place is not None:
            place.update(uid=self.place.id, name=self.place.name)
        doc: dict = {
            "type": "Role",
            "holder": {
                "id": self.person.iri,
                "uid": self.person.id,
                "display_name": self.person.display_name,
            },
            "work_location": place,
            "role_name": self.role.role_name,
        }
        if self.role.badges:
            doc["role_badges"] = [concept_document(ConceptRef(iri, iri), labels) for iri in self.role.badges]
        if self.role.since is not None:
            doc["since"] = self.role.since.isoformat()
        return doc


def list_animators(
    session: Session, audience: Audience, *, limit: int, cursor: str | None = None, place: str | None = None
) -> Page[Animator]:
    """Who animates where: the roles of the members whose places `audience` may see."""
    readable = audiences_reading(audience)
    query = (
        select(PersonRole, Person, Place)
        .join(Person, col(Person.id) == col(PersonRole.person_id))
        .join(Place, col(Place.iri) == col(PersonRole.place_iri), isouter=True)
        .where(col(Person.places_audience).in_(readable))
    )
    if place:
        found = find_place(session, place)
        query = query.where(PersonRole.place_iri == (found.iri if found else place))
    if cursor:
        query = query.where(after([Person.display_name, PersonRole.id], decode_cursor(cursor, (str, int))))
    rows = session.exec(query.order_by(col(Person.display_name), col(PersonRole.id)).limit(limit + 1)).all()
    found_rows = [Animator(role, person, at) for role, person, at in rows]
    return page_of(found_rows, limit, lambda a: (a.person.display_name, a.role.id))


def animator_documents(session: Session, animators: list[Animator]) -> list[dict]:
    labels = labels_of(session, {iri for a in animators for iri in a.role.badges})
    return [a.document(labels) for a in animators]

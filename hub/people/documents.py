"""The published documents of a person, one per audience."""

from __future__ import annotations

from datetime import date

from hub.calendar.dates import iso_utc
from hub.people.models import Person
from hub.people.schemas import DEFAULT_VISIBILITY
from hub.people.visibility import Audience, visible_fields


def person_document(
    person: Person, audience: Audience, skills: list[dict], places: list[str], roles: list[dict]
) -> dict | None:
    """The profile as `audience` may see it, or None when it may not see it at all.

    The network's copy says, field by field, who may see it, so a hub republishes each field only
    to the audience the member chose. Roles at places tell where the member is, as their places
    do: they are shown with them, and only with them.
    """
    fields = visible_fields(person, audience)
    if "display_name" not in fields:
        return None
    doc: dict = {
        "id": person.iri,
        "type": "Person",
        "uid": person.id,
        "display_name": person.display_name,
    }
    values = {
        "bio": person.bio,
        "skills": skills,
        "badges": person.badges,
        "places": places,
        "links": person.links,
        "contact": {k: v for k, v in (("email", person.email), ("phone", person.phone)) if v},
    }
    for field, value in values.items():
        if field in fields and value:
            doc[field] = value
    if "places" in fields and roles:
        doc["roles"] = roles
    if audience == "network":
        levels = {**DEFAULT_VISIBILITY, **person.visibility}
        shown = [f for f in doc if f in levels]
        if "roles" in doc and "places" not in shown:
            shown.append("places")  # the roles' audience, even when the member lists no places
        doc["visibility"] = [{"field": f, "level": levels[f]} for f in shown]
    doc["updated"] = iso_utc(person.updated_at)
    return doc


def role_document(place_iri: str, role_name: str, badges: list[dict], since: date | None) -> dict:
    """A role of the member at a place: schema.org's Role pattern on `workLocation`."""
    doc: dict = {"type": "Role", "work_location": place_iri, "role_name": role_name}
    if badges:
        doc["role_badges"] = badges
    if since is not None:
        doc["since"] = since.isoformat()
    return doc

"""The published documents of a person, one per audience."""

from __future__ import annotations

from hub.calendar.dates import iso_utc
from hub.people.models import Person
from hub.people.schemas import DEFAULT_VISIBILITY
from hub.people.visibility import Audience, visible_fields


def person_document(person: Person, audience: Audience, skills: list[dict], places: list[str]) -> dict | None:
    """The profile as `audience` may see it, or None when it may not see it at all.

    The network's copy says, field by field, who may see it, so a hub republishes each field only
    to the audience the member chose.
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
    if audience == "network":
        levels = {**DEFAULT_VISIBILITY, **person.visibility}
        doc["visibility"] = [{"field": f, "level": levels[f]} for f in doc if f in levels]
    doc["updated"] = iso_utc(person.updated_at)
    return doc

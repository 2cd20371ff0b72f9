"""Who sees what of a profile: consent first, then each field's visibility, for each audience."""

from __future__ import annotations

from typing import Literal

from hub.people.models import Person
from hub.people.schemas import DEFAULT_VISIBILITY

Audience = Literal["public", "network"]
# Which visibility levels each audience may read. "private" is in none: it never leaves the node.
READABLE: dict[str, frozenset[str]] = {
    "public": frozenset({"public"}),
    "network": frozenset({"public", "network"}),
}


def has_consent(person: Person) -> bool:
    return person.consent_given_at is not None and person.consent_withdrawn_at is None


def visible_fields(person: Person, audience: Audience) -> set[str]:
    """Fields of `person` that `audience` may read: consented and visible to it."""
    if not has_consent(person):
        return set()
    levels = {**DEFAULT_VISIBILITY, **person.visibility}
    return {f for f in person.consent_fields if levels.get(f, "private") in READABLE[audience]}


def widest_audience(person: Person, field: str) -> str:
    """The widest audience that may read `field`: "public", "network" or "none"."""
    for audience in ("public", "network"):
        if field in visible_fields(person, audience) and "display_name" in visible_fields(person, audience):
            return audience
    return "none"


def audiences_reading(level: Audience) -> list[str]:
    """Values of the `*_audience` columns a reader of `level` may match."""
    return ["public"] if level == "public" else ["public", "network"]

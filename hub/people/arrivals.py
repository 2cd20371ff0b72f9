"""Who arrived lately and what they offer: the profiles a live wall greets, newest first.

Only what a member chose to show anyone is read: the public document of each profile, made when it
was published from the consent given and the visibility of each field. A territory is the places a
member shows in public; who shows none is greeted on the network's wall only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import ColumnElement, Select
from sqlmodel import Session, col, func, select

from hub.people.models import Person, PersonPlace
from hub.places.models import Place


@dataclass(frozen=True)
class Area:
    """Where the people greeted are: anywhere, a region, or a department (INSEE codes)."""

    region: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class Offer:
    """A skill a member offers (as their public document names it), and the member's name."""

    skill: dict
    person: str


def _public(area: Area, *conditions: ColumnElement[bool]) -> Select:
    """Public profiles in `area` meeting `conditions`."""
    query = select(Person).where(col(Person.profile_audience) == "public", *conditions)
    if area.region or area.department:
        at = select(PersonPlace.person_id).join(Place, col(Place.iri) == col(PersonPlace.place_iri))
        at = at.where(Place.region == area.region) if area.region else at
        at = at.where(Place.department == area.department) if area.department else at
        query = query.where(col(Person.places_audience) == "public", col(Person.id).in_(at))
    return query


def newcomers(session: Session, since: datetime, area: Area, *, limit: int) -> list[dict]:
    """The public documents of the profiles that appeared here since `since`, the newest first."""
    query = _public(area, col(Person.created_at) >= since)
    rows = session.exec(query.order_by(col(Person.created_at).desc(), col(Person.id)).limit(limit)).all()
    return [orjson.loads(person.doc_public) for person in rows if person.doc_public]


def count_newcomers(session: Session, since: datetime, area: Area) -> int:
    """How many public profiles appeared here since `since`."""
    query = _public(area, col(Person.created_at) >= since).with_only_columns(func.count())
    return session.exec(query).one()


def skill_offers(session: Session, since: datetime, area: Area, *, limit: int) -> list[Offer]:
    """The public skills of the profiles published or changed since `since`, the latest first."""
    query = _public(area, col(Person.skills_audience) == "public", col(Person.updated_at) >= since)
    rows = session.exec(query.order_by(col(Person.updated_at).desc(), col(Person.id)).limit(limit)).all()
    offers = []
    for person in rows:
        document = orjson.loads(person.doc_public or "{}")
        offers += [Offer(skill, document["display_name"]) for skill in document.get("skills") or []]
    return offers[:limit]

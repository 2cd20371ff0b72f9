"""Figures for coordinators and funders: events and occurrences per month, place, department,
region, theme and audience over a period; shared events; people and skills per place; skills;
sources and their health. Every table has the same shape, so it turns into CSV as is."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import case, distinct, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from hub.events.models import Event, EventConcept, EventOrganizer, Occurrence
from hub.events.queries import EventFilters, occurrence_select
from hub.federation.registry import describe, list_sources
from hub.people.models import Person, PersonPlace, PersonSkill
from hub.people.visibility import Audience, audiences_reading
from hub.places.models import Place
from hub.vocabulary.models import Concept

Dimension = Literal[
    "month",
    "place",
    "department",
    "region",
    "theme",
    "audience",
    "shared",
    "people",
    "skills",
    "free_skills",
    "sources",
]
DIMENSIONS: tuple[str, ...] = Dimension.__args__


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str | int | float | None]]


# Counted by the database: a year of a country's network is a million occurrences.
EVENTS = func.count(distinct(Occurrence.event_id))
OCCURRENCES = func.count()


def _in_period(session: Session, start: datetime, end: datetime, *columns):
    """`columns` over the occurrences of canonical events in the period."""
    return occurrence_select(session, EventFilters(start=start, end=end), *columns)


def _months(start: datetime, end: datetime, zone: ZoneInfo):
    """Which month of `zone` an occurrence starts in, as an SQL expression over its UTC start."""
    local = start.astimezone(zone)
    month = datetime(local.year, local.month, 1, tzinfo=zone)
    whens = []
    while month < end:
        following = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=zone)
        whens.append((col(Occurrence.start_utc) < following.astimezone(UTC), month.strftime("%Y-%m")))
        month = following
    return case(*whens)


def _counted(rows, key_name: str, label_name: str, labels: dict | None = None) -> Table:
    """(key, label, events, occurrences) rows, the busiest first."""
    ordered = sorted(rows, key=lambda row: (-row[3], str(row[0])))
    return Table(
        [key_name, label_name, "events", "occurrences"],
        [[key, (labels or {}).get(key, label), events, n] for key, label, events, n in ordered],
    )


def event_figures(session: Session, by: str, start: datetime, end: datetime, zone: ZoneInfo) -> Table:
    if by == "month":
        month = _months(start, end, zone).label("month")
        rows = session.exec(
            _in_period(session, start, end, month, EVENTS, OCCURRENCES).group_by(month).order_by(month)
        ).all()
        return Table(["month", "events", "occurrences"], [list(row) for row in rows])
    if by in ("place", "department", "region"):
        key = {"place": Place.iri, "department": Place.department, "region": Place.region}[by]
        label = Place.name if by == "place" else key
        query = _in_period(session, start, end, key, label, EVENTS, OCCURRENCES).join(
            Place, col(Place.id) == col(Event.place_id), isouter=True
        )
        rows = session.exec(query.group_by(key, label)).all()
        return _counted(rows, by, "name" if by == "place" else "label")
    scheme = "theme" if by == "theme" else "audience"
    concept = func.coalesce(EventConcept.concept_iri, EventConcept.label)
    query = _in_period(session, start, end, concept, concept, EVENTS, OCCURRENCES).join(
        EventConcept,
        (col(EventConcept.event_id) == col(Occurrence.event_id)) & (col(EventConcept.scheme) == scheme),
        isouter=True,
    )
    names = dict(
        session.exec(select(Concept.iri, Concept.pref_label_fr).where(Concept.scheme == scheme)).all()
    )
    return _counted(session.exec(query.group_by(concept)).all(), by, "label", names)


def shared_events(session: Session, start: datetime, end: datetime) -> Table:
    """Events organized by several places, or published by several sources."""
    in_period = _in_period(session, start, end, Occurrence.event_id).distinct()
    organizers = (
        select(EventOrganizer.event_id, func.count().label("n")).group_by(EventOrganizer.event_id).subquery()
    )
    duplicate = aliased(Event)
    records = (
        select(duplicate.canonical_id.label("event_id"), func.count().label("n"))
        .where(col(duplicate.canonical_id).is_not(None))
        .group_by(duplicate.canonical_id)
        .subquery()
    )
    rows = session.exec(
        select(Event.iri, Event.title, func.coalesce(organizers.c.n, 0), 1 + func.coalesce(records.c.n, 0))
        .join(organizers, organizers.c.event_id == col(Event.id), isouter=True)
        .join(records, records.c.event_id == col(Event.id), isouter=True)
        .where(col(Event.id).in_(in_period), (organizers.c.n > 1) | (records.c.n > 0))
        .order_by(col(Event.start_utc), col(Event.id))
    ).all()
    return Table(["event", "title", "organizers", "records"], [list(row) for row in rows])


def people_figures(session: Session, audience: Audience) -> Table:
    """People and distinct skills per place, over the profiles this reader may see."""
    readable = audiences_reading(audience)
    skill = func.coalesce(PersonSkill.concept_iri, PersonSkill.label)
    rows = session.exec(
        select(
            PersonPlace.place_iri,
            func.coalesce(Place.name, PersonPlace.place_iri),
            func.count(distinct(Person.id)),
            func.count(distinct(skill)),
        )
        .join(Person, col(Person.id) == col(PersonPlace.person_id))
        .join(
            PersonSkill,
            (col(PersonSkill.person_id) == col(Person.id)) & col(Person.skills_audience).in_(readable),
            isouter=True,
        )
        .join(Place, col(Place.iri) == col(PersonPlace.place_iri), isouter=True)
        .where(col(Person.profile_audience).in_(readable), col(Person.places_audience).in_(readable))
        .group_by(PersonPlace.place_iri, Place.name)
    ).all()
    ordered = sorted(rows, key=lambda row: (-row[2], row[0]))
    return Table(["place", "name", "people", "skills"], [list(row) for row in ordered])


def skill_figures(session: Session, audience: Audience, *, free_text_only: bool = False) -> Table:
    """Each skill with the number of people offering it, concepts and free text alike; or only
    the free-text skills no concept matches, for coordinators to curate into the thesaurus."""
    readable = audiences_reading(audience)
    counts = Counter(
        iri or f"text:{label}"
        for iri, label in session.exec(
            select(PersonSkill.concept_iri, PersonSkill.label)
            .join(Person, col(Person.id) == col(PersonSkill.person_id))
            .where(col(Person.profile_audience).in_(readable), col(Person.skills_audience).in_(readable))
        ).all()
    )
    names = dict(
        session.exec(select(Concept.iri, Concept.pref_label_fr).where(Concept.scheme == "skill")).all()
    )
    rows = [
        [None if key.startswith("text:") else key, names.get(key, key.removeprefix("text:")), n]
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if key.startswith("text:") or not free_text_only
    ]
    return Table(["skill", "label", "people"], rows)


def source_figures(session: Session) -> Table:
    rows = [
        [
            s.url,
            s.kind,
            "ok" if s.healthy else "failing",
            s.records_held,
            s.records_quarantined,
            s.last_success_at,
            s.last_error_kind,
            s.failing_since,
        ]
        for s in describe(session, list_sources(session))
    ]
    return Table(
        ["source", "kind", "health", "records", "quarantined", "last_success", "error", "failing_since"], rows
    )

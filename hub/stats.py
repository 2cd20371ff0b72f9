"""Figures for coordinators and funders: events and occurrences per month, place, department,
region, theme and audience over a period; shared events; people and skills per place; skills;
sources and their health. Every table has the same shape, so it turns into CSV as is."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from hub.events.models import Event, EventConcept, EventOrganizer, Occurrence
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


def _occurrences(session: Session, start: datetime, end: datetime):
    """(occurrence start, event id) of canonical events in the period."""
    return session.exec(
        select(Occurrence.start_utc, Occurrence.event_id)
        .join(Event, col(Event.id) == col(Occurrence.event_id))
        .where(
            col(Event.canonical_id).is_(None),
            col(Occurrence.start_utc) >= start,
            col(Occurrence.start_utc) < end,
        )
    ).all()


def _counted(groups: dict[object, tuple[set, int]], labels: dict, key_name: str, label_name: str) -> Table:
    rows = [
        [key, labels.get(key, key), len(events), occurrences]
        for key, (events, occurrences) in sorted(groups.items(), key=lambda kv: (-kv[1][1], str(kv[0])))
    ]
    return Table([key_name, label_name, "events", "occurrences"], rows)


def _grouped(occurrences, key_of_event: dict[str, list]) -> dict[object, tuple[set, int]]:
    groups: dict[object, list] = defaultdict(lambda: [set(), 0])
    for _, event_id in occurrences:
        for key in key_of_event.get(event_id, [None]):
            group = groups[key]
            group[0].add(event_id)
            group[1] += 1
    return {k: (v[0], v[1]) for k, v in groups.items()}


def event_figures(session: Session, by: str, start: datetime, end: datetime, zone: ZoneInfo) -> Table:
    occurrences = _occurrences(session, start, end)
    if by == "month":
        groups: dict[str, list] = defaultdict(lambda: [set(), 0])
        for moment, event_id in occurrences:
            group = groups[moment.astimezone(zone).strftime("%Y-%m")]
            group[0].add(event_id)
            group[1] += 1
        rows = [[month, len(g[0]), g[1]] for month, g in sorted(groups.items())]
        return Table(["month", "events", "occurrences"], rows)
    event_ids = {event_id for _, event_id in occurrences}
    if by in ("place", "department", "region"):
        column = {"place": Place.iri, "department": Place.department, "region": Place.region}[by]
        pairs = (
            session.exec(
                select(Event.id, column, Place.name)
                .join(Place, col(Place.id) == col(Event.place_id), isouter=True)
                .where(col(Event.id).in_(event_ids))
            ).all()
            if event_ids
            else []
        )
        keys = {event_id: [key] for event_id, key, _ in pairs}
        labels = {key: name for _, key, name in pairs} if by == "place" else {}
        return _counted(_grouped(occurrences, keys), labels, by, "name" if by == "place" else "label")
    scheme = "theme" if by == "theme" else "audience"
    links = (
        session.exec(
            select(EventConcept.event_id, EventConcept.concept_iri, EventConcept.label).where(
                EventConcept.scheme == scheme, col(EventConcept.event_id).in_(event_ids)
            )
        ).all()
        if event_ids
        else []
    )
    keys: dict[str, list] = defaultdict(list)
    for event_id, iri, label in links:
        keys[event_id].append(iri or label)
    names = dict(
        session.exec(select(Concept.iri, Concept.pref_label_fr).where(Concept.scheme == scheme)).all()
    )
    return _counted(_grouped(occurrences, keys), names, by, "label")


def shared_events(session: Session, start: datetime, end: datetime) -> Table:
    """Events organized by several places, or published by several sources."""
    occurrences = _occurrences(session, start, end)
    event_ids = {event_id for _, event_id in occurrences}
    if not event_ids:
        return Table(["event", "title", "organizers", "records"], [])
    organizers = dict(
        session.exec(
            select(EventOrganizer.event_id, func.count())
            .where(col(EventOrganizer.event_id).in_(event_ids))
            .group_by(EventOrganizer.event_id)
        ).all()
    )
    duplicates = dict(
        session.exec(
            select(Event.canonical_id, func.count())
            .where(col(Event.canonical_id).in_(event_ids))
            .group_by(Event.canonical_id)
        ).all()
    )
    events = session.exec(select(Event).where(col(Event.id).in_(event_ids))).all()
    rows = [
        [e.iri, e.title, organizers.get(e.id, 0), 1 + duplicates.get(e.id, 0)]
        for e in sorted(events, key=lambda e: e.start_utc)
        if organizers.get(e.id, 0) > 1 or duplicates.get(e.id)
    ]
    return Table(["event", "title", "organizers", "records"], rows)


def people_figures(session: Session, audience: Audience) -> Table:
    """People and distinct skills per place, over the profiles this reader may see."""
    readable = audiences_reading(audience)
    pairs = session.exec(
        select(PersonPlace.place_iri, Person.id)
        .join(Person, col(Person.id) == col(PersonPlace.person_id))
        .where(col(Person.profile_audience).in_(readable), col(Person.places_audience).in_(readable))
    ).all()
    people: dict[str, set] = defaultdict(set)
    for place_iri, person_id in pairs:
        people[place_iri].add(person_id)
    skills_of: dict[str, set] = defaultdict(set)
    visible = {p for ids in people.values() for p in ids}
    if visible:
        for person_id, iri, label in session.exec(
            select(PersonSkill.person_id, PersonSkill.concept_iri, PersonSkill.label)
            .join(Person, col(Person.id) == col(PersonSkill.person_id))
            .where(col(PersonSkill.person_id).in_(visible), col(Person.skills_audience).in_(readable))
        ).all():
            skills_of[person_id].add(iri or label)
    names = dict(session.exec(select(Place.iri, Place.name).where(col(Place.iri).in_(list(people)))).all())
    rows = [
        [iri, names.get(iri, iri), len(ids), len(set().union(*(skills_of[p] for p in ids)))]
        for iri, ids in sorted(people.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    return Table(["place", "name", "people", "skills"], rows)


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

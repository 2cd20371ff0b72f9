"""Figures for coordinators and funders: totals, events and occurrences per month, place,
department, region, theme and audience over a period; shared events; the events held; people and
skills per place; events per animator and per programme, place by place; skills; sources and
their health. Every table has the same shape, so it turns
into CSV as is: codes in the first column, names beside them in the language asked."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import case, distinct, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from hub.events.models import Event, EventAnimator, EventConcept, EventOrganizer, Occurrence
from hub.events.queries import EventFilters, occurrence_select
from hub.federation.registry import describe, list_sources
from hub.kit import geo
from hub.needs.models import Need
from hub.people.models import Person, PersonPlace, PersonSkill
from hub.people.visibility import Audience, audiences_reading
from hub.places.models import Place
from hub.programmes.models import Programme
from hub.vocabulary.models import Concept

Dimension = Literal[
    "totals",
    "month",
    "place",
    "department",
    "region",
    "theme",
    "audience",
    "shared",
    "events",
    "people",
    "animators",
    "programmes",
    "skills",
    "free_skills",
    "needs",
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


def _months(start: datetime, end: datetime, zone: ZoneInfo, column=Occurrence.start_utc):
    """Which month of `zone` an occurrence starts in (or another instant of `column` falls in), as
    an SQL expression over its UTC start."""
    local = start.astimezone(zone)
    month = datetime(local.year, local.month, 1, tzinfo=zone)
    whens = []
    while month < end:
        following = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=zone)
        whens.append((col(column) < following.astimezone(UTC), month.strftime("%Y-%m")))
        month = following
    return case(*whens)


def _counted(rows, key_name: str, label_name: str, labels: dict | None = None) -> Table:
    """(key, label, events, occurrences) rows, the busiest first."""
    ordered = sorted(rows, key=lambda row: (-row[3], str(row[0])))
    return Table(
        [key_name, label_name, "events", "occurrences"],
        [[key, (labels or {}).get(key, label), events, n] for key, label, events, n in ordered],
    )


GEOGRAPHY = {
    "department": {code: name for code, (name, _) in geo.DEPARTMENTS.items()},
    "region": geo.REGIONS,
}


def concept_labels(session: Session, scheme: str, lang: str) -> dict[str, str]:
    """The preferred label of each concept of `scheme`, in `lang` (French unless English)."""
    label = Concept.pref_label_en if lang == "en" else Concept.pref_label_fr
    return dict(session.exec(select(Concept.iri, label).where(Concept.scheme == scheme)).all())


def event_figures(
    session: Session, by: str, start: datetime, end: datetime, zone: ZoneInfo, lang: str = "fr"
) -> Table:
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
        return _counted(rows, by, "name" if by == "place" else "label", GEOGRAPHY.get(by))
    scheme = "theme" if by == "theme" else "audience"
    concept = func.coalesce(EventConcept.concept_iri, EventConcept.label)
    query = _in_period(session, start, end, concept, concept, EVENTS, OCCURRENCES).join(
        EventConcept,
        (col(EventConcept.event_id) == col(Occurrence.event_id)) & (col(EventConcept.scheme) == scheme),
        isouter=True,
    )
    names = concept_labels(session, scheme, lang)
    return _counted(session.exec(query.group_by(concept)).all(), by, "label", names)


def _local(moment: datetime, zone: ZoneInfo) -> str:
    """A stored instant (naive from SQLite, aware from PostgreSQL) as ISO 8601 in `zone`."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone).isoformat()


def totals(session: Session, start: datetime, end: datetime, audience: Audience) -> Table:
    """The headline figures of the period: events, their dates, the places holding them, shared
    events; and the people and distinct skills this reader may see."""
    events, occurrences, places = activity(session, EventFilters(start=start, end=end))
    readable = audiences_reading(audience)
    visible = (col(Person.profile_audience).in_(readable), col(Person.skills_audience).in_(readable))
    people = session.exec(
        select(func.count()).select_from(Person).where(col(Person.profile_audience).in_(readable))
    ).one()
    offering = session.exec(
        select(func.count(distinct(PersonSkill.person_id)))
        .join(Person, col(Person.id) == col(PersonSkill.person_id))
        .where(*visible)
    ).one()
    return Table(
        ["figure", "value"],
        [
            ["events", events],
            ["occurrences", occurrences],
            ["occurrences_per_event", round(occurrences / events, 2) if events else 0],
            ["places", places],
            ["shared_events", len(shared_events(session, start, end, UTC).rows)],
            ["people", people],
            ["people_offering_skills", offering],
            ["skills", len(skill_figures(session, audience).rows)],
        ],
    )


def activity(session: Session, filters: EventFilters) -> tuple[int, int, int]:
    """The events with dates matching `filters`, those dates, and the places holding them."""
    query = occurrence_select(session, filters, EVENTS, OCCURRENCES, func.count(distinct(Event.place_id)))
    events, occurrences, places = session.exec(query).one()
    return events, occurrences, places


# The programme of a period lists this many events at most (a year of a network is a few hundred).
MOST_EVENTS = 5000


def events_held(session: Session, start: datetime, end: datetime, zone: ZoneInfo) -> Table:
    """Each event with dates in the period, the first first: its first and last date there (in
    `zone`), how many dates, its place and that place's department."""
    first, last = func.min(Occurrence.start_utc), func.max(Occurrence.start_utc)
    keys = (Event.id, Event.iri, Event.title, Place.name, Place.department)
    rows = session.exec(
        _in_period(session, start, end, *keys, first, last, OCCURRENCES)
        .join(Place, col(Place.id) == col(Event.place_id), isouter=True)
        .group_by(*keys)
        .order_by(first, col(Event.id))
        .limit(MOST_EVENTS)
    ).all()
    return Table(
        ["event", "title", "first", "last", "occurrences", "place", "department"],
        [
            [iri, title, _local(begin, zone), _local(finish, zone), n, place, department]
            for _, iri, title, place, department, begin, finish, n in rows
        ],
    )


def shared_events(session: Session, start: datetime, end: datetime, zone: ZoneInfo) -> Table:
    """Events organized by several places, or published by several sources, with their first date
    in the period (in `zone`) and the names of the places organizing them."""
    in_period = (
        _in_period(session, start, end, Occurrence.event_id, func.min(Occurrence.start_utc).label("first"))
        .group_by(Occurrence.event_id)
        .subquery()
    )
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
        select(
            Event.id,
            Event.iri,
            Event.title,
            func.coalesce(organizers.c.n, 0),
            1 + func.coalesce(records.c.n, 0),
            in_period.c.first,
        )
        .join(in_period, in_period.c.event_id == col(Event.id))
        .join(organizers, organizers.c.event_id == col(Event.id), isouter=True)
        .join(records, records.c.event_id == col(Event.id), isouter=True)
        .where((organizers.c.n > 1) | (records.c.n > 0))
        .order_by(in_period.c.first, col(Event.id))
    ).all()
    names: dict[str, list[str]] = {}
    for event_id, name in session.exec(
        select(EventOrganizer.event_id, func.coalesce(Place.name, EventOrganizer.place_iri))
        .join(Place, col(Place.iri) == col(EventOrganizer.place_iri), isouter=True)
        .where(col(EventOrganizer.event_id).in_([row[0] for row in rows]))
        .order_by(col(EventOrganizer.event_id), func.coalesce(Place.name, EventOrganizer.place_iri))
    ).all():
        names.setdefault(event_id, []).append(name)
    return Table(
        ["event", "title", "organizers", "records", "start", "places"],
        [
            [iri, title, n, copies, _local(first, zone), "; ".join(names.get(id_, []))]
            for id_, iri, title, n, copies, first in rows
        ],
    )


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


def animator_figures(session: Session, start: datetime, end: datetime, audience: Audience) -> Table:
    """Events and dates each animator ran in the period, per place, over the animators this reader
    may see at their places; the busiest first."""
    readable = audiences_reading(audience)
    keys = (Person.iri, Person.display_name, Event.place_iri, Place.name)
    rows = session.exec(
        _in_period(session, start, end, *keys, EVENTS, OCCURRENCES)
        .join(EventAnimator, col(EventAnimator.event_id) == col(Occurrence.event_id))
        .join(Person, col(Person.iri) == col(EventAnimator.person_iri))
        .join(Place, col(Place.id) == col(Event.place_id), isouter=True)
        .where(col(Person.places_audience).in_(readable))
        .group_by(*keys)
    ).all()
    ordered = sorted(rows, key=lambda row: (-row[4], row[1], row[0], row[2] or ""))
    return Table(
        ["animator", "name", "place", "place_name", "events", "occurrences"], [list(r) for r in ordered]
    )


def programme_figures(session: Session, start: datetime, end: datetime) -> Table:
    """Events and dates of each programme in the period, per place; the busiest first."""
    keys = (Event.programme_iri, Programme.name, Event.place_iri, Place.name)
    rows = session.exec(
        _in_period(session, start, end, *keys, EVENTS, OCCURRENCES)
        .join(Programme, col(Programme.iri) == col(Event.programme_iri), isouter=True)
        .join(Place, col(Place.id) == col(Event.place_id), isouter=True)
        .where(col(Event.programme_iri).is_not(None))
        .group_by(*keys)
    ).all()
    ordered = sorted(rows, key=lambda row: (row[1] or row[0], -row[4], row[3] or row[2] or ""))
    return Table(
        ["programme", "name", "place", "place_name", "events", "occurrences"], [list(r) for r in ordered]
    )


def skill_figures(
    session: Session, audience: Audience, *, free_text_only: bool = False, lang: str = "fr"
) -> Table:
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
    names = concept_labels(session, "skill", lang)
    rows = [
        [None if key.startswith("text:") else key, names.get(key, key.removeprefix("text:")), n]
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if key.startswith("text:") or not free_text_only
    ]
    return Table(["skill", "label", "people"], rows)


def need_figures(
    session: Session, start: datetime, end: datetime, zone: ZoneInfo, audience: Audience
) -> Table:
    """Per month and place, the needs and the offers posted in the period that this reader may see,
    and how many of those needs were matched, and answered."""
    month = _months(start, end, zone, Need.created_at).label("month")
    is_need = Need.kind == "need"
    place = func.coalesce(Need.place_iri, "")
    rows = session.exec(
        select(
            month,
            place,
            func.max(Place.name),
            func.sum(case((is_need, 1), else_=0)),
            func.sum(case((is_need, 0), else_=1)),
            func.sum(case((is_need & col(Need.matched_at).is_not(None), 1), else_=0)),
            func.sum(case((is_need & col(Need.answered_at).is_not(None), 1), else_=0)),
        )
        .join(Place, col(Place.iri) == col(Need.place_iri), isouter=True)
        .where(
            col(Need.created_at) >= start,
            col(Need.created_at) < end,
            col(Need.audience).in_(audiences_reading(audience)),
        )
        .group_by(month, place)
        .order_by(month, place)
    ).all()
    return Table(
        ["month", "place", "name", "needs", "offers", "matched", "answered"],
        [[m, iri or None, name, *(int(n) for n in counts)] for m, iri, name, *counts in rows],
    )


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

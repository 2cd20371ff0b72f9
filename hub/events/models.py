"""Event, override, organizer, animator, concept-link and occurrence tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.store.records import Record, utcnow


def _event_fk(*, indexed: bool = True) -> Column:
    return Column(String(64), ForeignKey("event.id", ondelete="CASCADE"), nullable=False, index=indexed)


class Event(Record, table=True):
    # The duplicate search (hub/events/links.py) asks for a title starting within minutes: one
    # range scan, where an index on the title alone reads every event of that title (hundreds
    # across a country for a "Repair café").
    __table_args__ = (Index("ix_event_title_start", "title_key", "start_utc"),)

    title: str = Field(max_length=300)
    # Folded title, to find the same event published by several sources.
    title_key: str = Field(default="", max_length=300)
    # Set when this record is a duplicate of another one: lists show the canonical record only.
    canonical_id: str | None = Field(
        default=None,
        sa_column=Column(String(64), ForeignKey("event.id", ondelete="SET NULL"), index=True),
    )
    description: str | None = Field(default=None, sa_type=Text)
    start_utc: datetime = Field(index=True)
    end_utc: datetime | None = None
    timezone: str = Field(default="Europe/Paris", max_length=64)
    all_day: bool = False
    rrule: str | None = Field(default=None, max_length=500)
    recurring: bool = Field(default=False, index=True)
    exdates: list[str] = Field(default_factory=list, sa_type=JSON)
    rdates: list[str] = Field(default_factory=list, sa_type=JSON)
    place_id: str | None = Field(
        default=None,
        sa_column=Column(String(64), ForeignKey("place.id", ondelete="SET NULL"), index=True),
    )
    place_iri: str | None = Field(default=None, max_length=500, index=True)
    # The programme (an EventSeries, hub/programmes) this event belongs to, by IRI.
    programme_iri: str | None = Field(default=None, max_length=500, index=True)
    location: dict | None = Field(default=None, sa_type=JSON)
    # Where it happens (the off-site location, else the place), for distance queries.
    lat: float | None = Field(default=None, index=True)
    lon: float | None = None
    attendance_mode: str = Field(default="offline", max_length=10)
    status: str = Field(default="scheduled", max_length=16, index=True)
    is_free: bool | None = None
    price: float | None = None
    currency: str | None = Field(default=None, max_length=3)
    registration_url: str | None = Field(default=None, max_length=500)
    capacity: int | None = None
    language: str | None = Field(default=None, max_length=8)
    image_url: str | None = Field(default=None, max_length=500)
    url: str | None = Field(default=None, max_length=500)
    same_as: list[str] = Field(default_factory=list, sa_type=JSON)
    sequence: int = 0
    # The compact summary embedded in each occurrence of this event.
    summary: str = Field(default="{}", sa_type=Text)
    # Its themes and audiences as bits (hub/kit/bits.py), copied to its occurrences.
    concept_bits: int = Field(default=0, sa_type=BigInteger)


class EventOverride(SQLModel, table=True):
    """One occurrence of a recurring event changed or cancelled (RFC 5545 RECURRENCE-ID)."""

    __table_args__ = (UniqueConstraint("event_id", "recurrence_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_column=_event_fk())
    recurrence_id: datetime
    start_utc: datetime | None = None
    end_utc: datetime | None = None
    title: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, sa_type=Text)
    status: str | None = Field(default=None, max_length=16)


class EventOrganizer(SQLModel, table=True):
    """A place co-organizing an event, by IRI (it may live on another node)."""

    __table_args__ = (UniqueConstraint("event_id", "place_iri"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_column=_event_fk())
    place_iri: str = Field(max_length=500, index=True)


class EventAnimator(SQLModel, table=True):
    """A member animating an event, by IRI: every one named, whoever may see them (the published
    document names those the public may see, hub/events/animators.py)."""

    __table_args__ = (UniqueConstraint("event_id", "person_iri"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_column=_event_fk())
    person_iri: str = Field(max_length=500, index=True)


class EventConcept(SQLModel, table=True):
    """A theme or an audience of an event: a thesaurus concept, or free text kept as typed."""

    __table_args__ = (
        # The events of a theme, and the themes of an event, each read from an index alone
        # (migration 0010).
        Index("ix_eventconcept_scheme_concept", "scheme", "concept_iri", "event_id"),
        Index("ix_eventconcept_event_scheme_concept", "event_id", "scheme", "concept_iri"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_column=_event_fk(indexed=False))
    scheme: str = Field(max_length=16)
    concept_iri: str | None = Field(default=None, max_length=500)
    label: str = Field(max_length=200)


OCCURRENCE_ORDER = ("start_utc", "event_id", "recurrence_id", "concept_bits")


class Occurrence(SQLModel, table=True):
    """One expanded occurrence, for fast date-range queries."""

    __table_args__ = (
        # A calendar page walks one of these in date order, its themes tested in the entries
        # (migration 0010): the whole calendar's, a region's, a department's.
        Index("ix_occurrence_start", *OCCURRENCE_ORDER),
        Index("ix_occurrence_region_start", "region", *OCCURRENCE_ORDER),
        Index("ix_occurrence_department_start", "department", *OCCURRENCE_ORDER),
        Index("ix_occurrence_place_start", "place_id", "start_utc"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_column=_event_fk())
    place_id: str | None = Field(
        default=None, sa_column=Column(String(64), ForeignKey("place.id", ondelete="SET NULL"))
    )
    # The place's, copied here so that an area's calendar is one index; triggers keep them true.
    region: str | None = Field(default=None, max_length=3)
    department: str | None = Field(default=None, max_length=3)
    concept_bits: int = Field(default=0, sa_type=BigInteger)
    start_utc: datetime
    end_utc: datetime
    recurrence_id: datetime | None = None
    status: str = Field(default="scheduled", max_length=16)
    title: str = Field(max_length=300)


class EventLink(SQLModel, table=True):
    """Two records of one event (two sources, or two co-organizers): shown once, undoable."""

    __table_args__ = (UniqueConstraint("event_id", "canonical_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_column=_event_fk())
    canonical_id: str = Field(
        sa_column=Column(String(64), ForeignKey("event.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    reason: str = Field(max_length=20)  # same-as | likely-duplicate
    detail: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    undone_at: datetime | None = None

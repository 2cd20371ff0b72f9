"""What a client sends to create or replace an event, and what it gets back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    HttpUrl,
    StrictBool,
    StrictFloat,
    StrictInt,
)

from hub.calendar.rules import rule_parts
from hub.places.schemas import CORRECTIONS_DESCRIPTION, Address, CorrectionMark, Geo, Strict, WebUrl
from hub.vocabulary.schemas import ConceptOut

EventStatus = Literal["scheduled", "cancelled", "postponed", "moved_online"]
AttendanceMode = Literal["offline", "online", "mixed"]


def _date_alone(value: object) -> object:
    if isinstance(value, str) and len(value.strip()) == 10:
        return date.fromisoformat(value.strip())
    return value


def _plausible_year(value: date | datetime) -> date | datetime:
    if not 1900 <= value.year <= 2999:
        raise ValueError("the year must be between 1900 and 2999")
    return value


DateOrDateTime = Annotated[
    datetime | date,
    BeforeValidator(_date_alone),
    AfterValidator(_plausible_year),
    Field(description="ISO 8601 date-time (with or without offset) or a date alone for all-day events"),
]


def _bounded_rule(rule: str | None) -> str | None:
    """A rule whose expansion could not be bounded is refused with the input (hub/calendar/rules.py)."""
    if rule is not None:
        rule_parts(rule)
    return rule


class RecurrenceIn(Strict):
    rrule: Annotated[str | None, AfterValidator(_bounded_rule)] = Field(
        None,
        max_length=500,
        examples=["FREQ=WEEKLY;BYDAY=FR"],
        description="One RFC 5545 RRULE, FREQ at most DAILY, INTERVAL 1-1000, COUNT 1-10000",
    )
    rdates: list[DateOrDateTime] = Field(default_factory=list, max_length=500)
    exdates: list[DateOrDateTime] = Field(default_factory=list, max_length=1000)


class OverrideIn(Strict):
    """A change to one occurrence, named by its original start (RFC 5545 RECURRENCE-ID)."""

    recurrence_id: DateOrDateTime
    start: DateOrDateTime | None = None
    end: DateOrDateTime | None = None
    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = Field(None, max_length=20000)
    status: EventStatus | None = None


class LocationIn(Strict):
    """Where an event takes place when it is outside any place ("hors les murs")."""

    name: str = Field(min_length=1, max_length=200)
    address: Address | None = None
    geo: Geo | None = None


class EventIn(Strict):
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(None, max_length=20000, description="HTML; sanitized on the way in")
    start: DateOrDateTime
    end: DateOrDateTime | None = None
    timezone: str | None = Field(
        None, max_length=64, description="IANA zone; the instance's zone when absent"
    )
    recurrence: RecurrenceIn | None = None
    overrides: list[OverrideIn] = Field(default_factory=list, max_length=500)
    place: str | None = Field(None, max_length=500, description="Local id or IRI of the place")
    organizers: list[str] = Field(
        default_factory=list, max_length=50, description="Local ids or IRIs of co-organizing places"
    )
    location: LocationIn | None = None
    programme: str | None = Field(
        None,
        max_length=500,
        description="Local id or IRI of the programme (a series across places) it is part of",
    )
    animators: list[Annotated[str, Field(max_length=500)]] = Field(
        default_factory=list,
        max_length=20,
        description="Local ids or IRIs of consented members animating it; absent keeps the current ones",
    )
    themes: list[str] = Field(
        default_factory=list, max_length=30, description="Concept IRIs, slugs or labels"
    )
    audience: list[str] = Field(default_factory=list, max_length=30)
    attendance_mode: AttendanceMode = "offline"
    status: EventStatus = "scheduled"
    is_free: StrictBool | None = None
    price: StrictFloat | None = Field(None, ge=0, le=100000)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    registration_url: WebUrl | None = None
    capacity: StrictInt | None = Field(None, ge=0, le=1000000)
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")
    image: WebUrl | None = None
    url: WebUrl | None = None
    same_as: list[HttpUrl] = Field(
        default_factory=list, max_length=20, description="IRIs of other records of this same event"
    )


class HarvestedEventIn(EventIn):
    """An event as a source published it: a calendar may leave its title out (no SUMMARY). A
    write through the API must give one; pages show "(sans titre)" or "(untitled)" instead."""

    title: str = Field("", max_length=300)


class PlaceSummary(BaseModel):
    id: str
    uid: str | None = None
    name: str | None = None
    city: str | None = None
    department: str | None = None
    geo: Geo | None = None


class LocationOut(BaseModel):
    name: str
    address: Address | None = None
    geo: Geo | None = None


class RecurrenceOut(BaseModel):
    rrule: str | None = None
    rdates: list[str] = []
    exdates: list[str] = []


class OverrideOut(BaseModel):
    recurrence_id: str
    start: str | None = None
    end: str | None = None
    title: str | None = None
    description: str | None = None
    status: EventStatus | None = None


class EventOut(BaseModel):
    id: str
    type: Literal["Event"]
    uid: str
    title: str
    description: str | None = None
    start: str
    end: str
    timezone: str
    all_day: bool
    recurrence: RecurrenceOut | None = None
    overrides: list[OverrideOut] = []
    place: PlaceSummary | None = None
    organizers: list[str] = []
    programme: str | None = Field(None, description="IRI of the programme it is part of")
    animators: list[str] = Field(
        default_factory=list, description="IRIs of its animators the public may see at their places"
    )
    location: LocationOut | None = None
    themes: list[ConceptOut] = []
    audience: list[ConceptOut] = []
    attendance_mode: AttendanceMode
    status: EventStatus
    is_free: bool | None = None
    price: float | None = None
    currency: str | None = None
    registration_url: str | None = None
    capacity: int | None = None
    language: str | None = None
    image: str | None = None
    url: str | None = None
    same_as: list[str] = Field(default_factory=list, description="Other records of this same event")
    sources: list[str] = Field(default_factory=list, description="On a hub: every source that published it")
    corrections: list[CorrectionMark] = Field(default_factory=list, description=CORRECTIONS_DESCRIPTION)
    sequence: int
    updated: str


class EventSummary(BaseModel):
    id: str
    uid: str
    title: str
    place: PlaceSummary | None = None
    location: LocationOut | None = None
    themes: list[ConceptOut] = []
    audience: list[ConceptOut] = []
    attendance_mode: AttendanceMode
    status: EventStatus
    is_free: bool | None = None
    registration_url: str | None = None
    image: str | None = None
    url: str | None = None
    recurring: bool


class OccurrenceOut(BaseModel):
    id: str
    type: Literal["Occurrence"]
    title: str
    start: str
    end: str
    all_day: bool
    status: EventStatus
    recurrence_id: str | None = None
    event: EventSummary


class EventList(BaseModel):
    items: list[EventOut]
    next_cursor: str | None
    total: int | None = Field(None, description="Every matching event, when asked with `total=true`")


class Horizon(BaseModel):
    """Occurrences are stored over a rolling horizon: these days, in the instance's zone, in full."""

    first_day: date
    last_day: date


class OccurrenceList(BaseModel):
    items: list[OccurrenceOut]
    next_cursor: str | None
    total: int | None = Field(None, description="Every matching occurrence, when asked with `total=true`")
    horizon: Horizon = Field(
        description="The days whose occurrences are served in full; a range past them is refused"
    )

"""Listing events and occurrences with the filters every instance understands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, column, exists, func, literal_column, table, text
from sqlmodel import Session, col, select

from hub.errors import OutsideHorizon
from hub.events.documents import occurrence_json
from hub.events.models import Event, EventConcept, EventOrganizer, Occurrence
from hub.events.occurrences import Covered
from hub.kit.paging import decode_cursor
from hub.places.models import Place
from hub.places.service import find_place
from hub.programmes.service import programme_ref
from hub.store.query import Near, Page, after, count_of, near_condition, page_of, query_terms
from hub.vocabulary.thesaurus import resolve, unknown, with_narrower

# What the choice of a theme's plan on SQLite assumes: a page's length, occurrences an event has.
PAGE = 50
# The full-text index of events on SQLite (FTS5, kept by triggers), by the rowid of `event`.
EVENT_FTS = table("event_fts", column("rowid"))
OCCURRENCES_PER_EVENT = 8
# An area holding more than one place in 25 is read in date order on SQLite.
LARGE_AREA = 25


@dataclass
class EventFilters:
    start: datetime | None = None  # aware UTC
    end: datetime | None = None
    place: str | None = None  # local id or IRI
    region: str | None = None
    department: str | None = None
    theme: str | None = None
    audience: str | None = None
    attendance_mode: str | None = None
    status: str | None = None
    language: str | None = None
    q: str | None = None
    near: Near | None = None
    programme: str | None = None  # local id or IRI


def _concept_condition(session: Session, scheme: str, value: str, event_id: Any) -> ColumnElement[bool]:
    ref = resolve(session, scheme, [value])[0]
    if ref.iri is not None:
        wanted = with_narrower(session, {ref.iri})
        match = col(EventConcept.concept_iri).in_(wanted)
    else:
        match = col(EventConcept.concept_iri).is_(None) & (col(EventConcept.label) == ref.label)
    # A list of events, not a test per row: the planner may start from the few events of a theme.
    tagged = select(EventConcept.event_id).where(EventConcept.scheme == scheme, match)
    if ref.iri is None and session.execute(tagged.limit(1)).first() is None:
        raise unknown(session, scheme, value)
    condition = event_id.in_(tagged)
    # Told the term is likely true, SQLite walks occurrences by date instead of starting from it.
    return func.likelihood(condition, literal_column("0.9")) if _many(session, tagged) else condition


def _many(session: Session, matching: Select) -> bool:
    """On SQLite, whether the events `matching` selects are many: walking occurrences in date
    order until a page is full (about PAGE times all/matching rows) then costs less than sorting
    all those of the matching events (about OCCURRENCES_PER_EVENT times matching rows)."""
    counts = _sqlite_counts(session, matching, "event")
    return bool(counts) and counts[0] * counts[0] * OCCURRENCES_PER_EVENT > PAGE * counts[1]


def _area_condition(session: Session, column: Any, code: str) -> ColumnElement[bool]:
    """Places in a region or department. On SQLite, when the area holds a large share of the
    places (Île-de-France, a fifth of them), the condition is written so no index serves it:
    SQLite then walks the occurrences in date order and stops at the page's end (4 ms a page at
    3,500 nodes), instead of sorting every occurrence of the area's places (305 ms)."""
    counts = _sqlite_counts(session, select(Place.id).where(column == code), "place")
    if counts and counts[0] * LARGE_AREA > counts[1]:
        return func.coalesce(column, "") == code
    return column == code


def _sqlite_counts(session: Session, matching: Select, table: str) -> tuple[int, int] | None:
    """On SQLite, the rows `matching` selects and about how many `table` holds (its largest rowid,
    read without counting); None elsewhere: PostgreSQL weighs this from its statistics."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    found = session.execute(select(func.count()).select_from(matching.subquery())).scalar_one()
    return found, session.execute(text(f"SELECT max(rowid) FROM {table}")).scalar_one() or 0


def event_conditions(session: Session, f: EventFilters, event_id: Any) -> list[ColumnElement[bool]]:
    """Conditions on `Event` (and `Place` when geography is asked), dates, status and duplicates
    aside. Those that list events test `event_id`, the id of the table the query walks: on
    SQLite, a list tested on `event` itself has it build a Bloom filter over the whole table."""
    conditions: list[ColumnElement[bool]] = []
    if f.place:
        # At the place, or organized by it (an event shared by several places is listed at each).
        found = find_place(session, f.place)
        iri = found.iri if found else f.place
        organized = exists().where(EventOrganizer.event_id == Event.id, EventOrganizer.place_iri == iri)
        conditions.append((Event.place_iri == iri) | organized)
    if f.region:
        conditions.append(_area_condition(session, col(Place.region), f.region))
    if f.department:
        conditions.append(_area_condition(session, col(Place.department), f.department))
    if f.theme:
        conditions.append(_concept_condition(session, "theme", f.theme, event_id))
    if f.audience:
        conditions.append(_concept_condition(session, "audience", f.audience, event_id))
    if f.programme:
        conditions.append(
            Event.programme_iri == programme_ref(session, f.programme, "programme", location="query")
        )
    if f.attendance_mode:
        conditions.append(Event.attendance_mode == f.attendance_mode)
    if f.language:
        conditions.append(Event.language == f.language)
    if f.q:
        conditions.append(_text_search(session, f.q, event_id))
    if f.near:
        conditions.append(near_condition(Event.lat, Event.lon, f.near))
    return conditions


def _text_search(session: Session, q: str, event_id: Any) -> ColumnElement[bool]:
    """Every word of `q`, accents and case ignored, as a word prefix; with French stemming on
    PostgreSQL (its full-text search), with FTS5 on SQLite (which has no French stemmer)."""
    terms = query_terms(q)
    if session.get_bind().dialect.name == "postgresql":
        query = " & ".join(f"{term}:*" for term in terms)
        return func.to_tsvector("french", Event.search_text).op("@@")(func.to_tsquery("french", query))
    match = " AND ".join(f'"{term}"*' for term in terms)
    found = select(EVENT_FTS.c.rowid).where(literal_column("event_fts").op("MATCH")(match))
    condition = event_id.in_(select(Event.id).where(literal_column("event.rowid").in_(found)))
    # A common word ("atelier") matches thousands of events: walk occurrences by date.
    return func.likelihood(condition, literal_column("0.9")) if _many(session, found) else condition


def _needs_place(f: EventFilters) -> bool:
    return bool(f.region or f.department)


def listed(event_id: Any) -> ColumnElement[bool]:
    """Whether the event `event_id` names is listed: records linked as duplicates of another are
    left out, each event is listed once.

    Written on the id of the table the query walks (the occurrence's `event_id` for occurrences),
    as a test against the few linked events, read once through the index on `canonical_id`. A
    test on `event.canonical_id` itself has SQLite build a Bloom filter over the whole event
    table for every page (76 ms at 1,000 nodes) or, written `IS NULL`, start from that index and
    sort every occurrence of the calendar (1 s at 3,500 nodes); this one costs 0.6 ms."""
    return event_id.not_in(select(Event.id).where(col(Event.canonical_id) > ""))


def _filtered(
    session: Session, query: Select, f: EventFilters, start: Any, status: Any, event_id: Any
) -> Select:
    """`query` under the events' conditions, duplicates left out, `status` as asked, and `start`
    in the range."""
    query = query.where(listed(event_id), *event_conditions(session, f, event_id))
    if f.status:
        query = query.where(status == f.status)
    if f.start:
        query = query.where(start >= f.start)
    if f.end:
        query = query.where(start < f.end)
    return query


def list_events(
    session: Session, f: EventFilters, *, limit: int, cursor: str | None, with_total: bool = False
) -> Page[Event]:
    """Events (series, not occurrences) by first start, filtered; with their number if asked."""
    query = select(Event)
    if _needs_place(f):
        query = query.join(Place, col(Place.id) == col(Event.place_id))
    query = _filtered(session, query, f, Event.start_utc, Event.status, col(Event.id))
    total = count_of(session, query) if with_total else None
    if cursor:
        query = query.where(after([Event.start_utc, Event.id], decode_cursor(cursor, (datetime, str))))
    rows = session.exec(query.order_by(Event.start_utc, Event.id).limit(limit + 1)).all()
    return page_of(list(rows), limit, lambda e: (e.start_utc, e.id), total)


def refuse_outside(f: EventFilters, window: Covered) -> None:
    """A problem document naming `start` or `end` when the range reaches past what the store
    holds in full: an answer from a part of the calendar would look whole. Without `end`, the
    range ends where the store stops holding everything."""
    days = {"first_day": window.first_day.isoformat(), "last_day": window.last_day.isoformat()}
    early = f"occurrences are kept from {days['first_day']} on (the horizon's first day)"
    late = f"occurrences are expanded up to {days['last_day']} (the horizon's last day)"
    if f.start is not None and not window.start <= f.start < window.end:
        raise OutsideHorizon("start", early if f.start < window.start else late, **days)
    if f.end is not None and not window.start < f.end <= window.end:
        raise OutsideHorizon("end", early if f.end <= window.start else late, **days)
    f.end = f.end or window.end


def narrow_to(f: EventFilters, window: Covered) -> bool:
    """Narrow the range to the days served in full (pages say so); True when it reached past them."""
    asked = (f.start, f.end)
    f.start = max(f.start or window.start, window.start)
    f.end = min(f.end or window.end, window.end)
    return (f.start, f.end) != asked


@dataclass(frozen=True, slots=True)
class OccurrenceRow:
    start_utc: datetime
    end_utc: datetime
    recurrence_id: datetime | None
    status: str
    title: str
    event_id: str
    event_iri: str
    timezone: str
    all_day: bool
    summary: str

    def to_json(self) -> bytes:
        return occurrence_json(
            event_iri=self.event_iri,
            summary=self.summary,
            zone=ZoneInfo(self.timezone),
            all_day=self.all_day,
            title=self.title,
            status=self.status,
            start_utc=self.start_utc,
            end_utc=self.end_utc,
            recurrence_id=self.recurrence_id,
        )


def occurrence_select(session: Session, f: EventFilters, *columns: Any) -> Select:
    """`columns` over the occurrences matching `f` (starting in its range), each joined to its
    event, and to its place when geography is asked: the one select lists, feeds and figures read."""
    query = select(*columns).select_from(Occurrence).join(Event, col(Event.id) == col(Occurrence.event_id))
    if _needs_place(f):
        query = query.join(Place, col(Place.id) == col(Occurrence.place_id))
    # An occurrence's own status (one cancelled date) wins over the series'.
    return _filtered(session, query, f, Occurrence.start_utc, Occurrence.status, col(Occurrence.event_id))


# Keyed by what names an occurrence (its event, its recurrence), not by its row: a roll or an edit
# rewrites the rows of an event, and a client paging meanwhile would get one twice.
OCCURRENCE_KEY = (Occurrence.start_utc, Occurrence.event_id, Occurrence.recurrence_id)
# The columns of an `OccurrenceRow`, in its order.
ROW_COLUMNS = (
    Occurrence.start_utc,
    Occurrence.end_utc,
    Occurrence.recurrence_id,
    Occurrence.status,
    Occurrence.title,
    Event.id,
    Event.iri,
    Event.timezone,
    Event.all_day,
    Event.summary,
)


def list_occurrences(
    session: Session, f: EventFilters, *, limit: int, cursor: str | None, with_total: bool = False
) -> Page[OccurrenceRow]:
    """Occurrences sorted by start, filtered (in range if it starts in it); with their number if asked."""
    query = occurrence_select(session, f, *ROW_COLUMNS)
    total = count_of(session, query) if with_total else None
    key = list(OCCURRENCE_KEY)
    if cursor:
        query = query.where(after(key, decode_cursor(cursor, (datetime, str, datetime))))
    rows = session.exec(query.order_by(*key).limit(limit + 1)).all()
    items = [OccurrenceRow(*row) for row in rows]
    return page_of(items, limit, lambda o: (o.start_utc, o.event_id, o.recurrence_id), total)


def ending_after(session: Session, f: EventFilters, at: datetime, *, limit: int) -> list[OccurrenceRow]:
    """The first `limit` occurrences matching `f` (starting in its range) not ended at `at`, by
    start: those under way when the range ends at `at`."""
    query = occurrence_select(session, f, *ROW_COLUMNS).where(col(Occurrence.end_utc) > at)
    rows = session.exec(query.order_by(*OCCURRENCE_KEY).limit(limit)).all()
    return [OccurrenceRow(*row) for row in rows]


def earlier_start(session: Session, f: EventFilters, count: int) -> datetime | None:
    """Where a page of `count` occurrences matching `f` and ending its range starts: the start of
    the `count`th last one (of the first, when fewer match); None when none does."""
    query = occurrence_select(session, f, Occurrence.start_utc)
    starts = session.exec(query.order_by(col(Occurrence.start_utc).desc()).limit(count)).all()
    return starts[-1] if starts else None

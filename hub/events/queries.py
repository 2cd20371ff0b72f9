"""Listing events and occurrences with the filters every instance understands."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, column, exists, func, literal, literal_column, table, text
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from hub.errors import OutsideHorizon
from hub.events.documents import occurrence_json
from hub.events.models import Event, EventConcept, EventOrganizer, Occurrence
from hub.events.occurrences import Covered
from hub.kit.bits import concept_bits
from hub.kit.bounded import BoundedMap
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
# Which plan a theme or words get, by database and what they ask (`_many`).
_PLANS: BoundedMap[bool] = BoundedMap(entries=1024, seconds=60)


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


def _concept_condition(session: Session, scheme: str, value: str, walk: Walk) -> ColumnElement[bool]:
    ref = resolve(session, scheme, [value])[0]
    if ref.iri is not None:
        wanted = with_narrower(session, {ref.iri})
        match = col(EventConcept.concept_iri).in_(wanted)
        named = tuple((scheme, iri, "") for iri in sorted(wanted))
    else:
        match = col(EventConcept.concept_iri).is_(None) & (col(EventConcept.label) == ref.label)
        named = ((scheme, None, ref.label),)
    tagged = select(EventConcept.event_id).where(EventConcept.scheme == scheme, match)
    if ref.iri is None and session.execute(tagged.limit(1)).first() is None:
        raise unknown(session, scheme, value)
    # The bits of the row walked rule out most events without reading their concepts.
    maybe = walk.concept_bits.op("&")(concept_bits(named)) != 0
    if _many(session, tagged, named):
        # Walked in date order, each row whose bits allow it tested through the index on its
        # event's concepts: a list of a common theme's events would be built for every query
        # (30 ms at 3,500 nodes), and testing each row through the index costs 7 ms a page.
        return and_(
            maybe,
            exists().where(EventConcept.event_id == walk.event_id, EventConcept.scheme == scheme, match),
        )
    # A list of events, not a test per row: the planner starts from the few events of the theme.
    return and_(maybe, walk.event_id.in_(tagged))


def _many(session: Session, matching: Select, key: tuple) -> bool:
    """On SQLite, whether the events `matching` selects are many: walking occurrences in date
    order until a page is full (about PAGE times all/matching rows) then costs less than sorting
    all those of the matching events (about OCCURRENCES_PER_EVENT times matching rows). Counted
    up to where they are many, not all: a common theme has tens of thousands.

    The answer chooses a plan, never a result: it is kept a minute under `key` (what `matching`
    asks), sparing the count (a millisecond for a common word) to the next pages and queries."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    kept = (str(bind.url), *key)
    if (many := _PLANS.get(kept)) is not None:
        return many
    events = session.execute(text("SELECT max(rowid) FROM event")).scalar_one() or 0
    enough = math.isqrt(PAGE * events // OCCURRENCES_PER_EVENT) + 1
    found = session.execute(select(func.count()).select_from(matching.limit(enough).subquery())).scalar_one()
    _PLANS.put(kept, found >= enough)
    return found >= enough


def _area_condition(session: Session, column: Any, code: str) -> ColumnElement[bool]:
    """Places in a region or department, for a walk of events. On SQLite, when the area holds a
    large share of the places (Île-de-France, a fifth of them), the condition is written so no
    index serves it: SQLite then walks the events in date order and stops at the page's end,
    instead of sorting every event of the area's places."""
    if session.get_bind().dialect.name != "sqlite":
        return column == code
    places = select(func.count()).select_from(select(Place.id).where(column == code).subquery())
    found = session.execute(places).scalar_one()
    held = session.execute(text("SELECT max(rowid) FROM place")).scalar_one() or 0
    return func.coalesce(column, "") == code if found * LARGE_AREA > held else column == code


@dataclass(frozen=True)
class Walk:
    """What a listing walks: the column naming each row's event, the columns giving its area, and
    whether they are the walked table's own (indexed in the calendar's order: occurrences)."""

    event_id: Any
    concept_bits: Any
    region: Any
    department: Any
    own_area: bool


EVENT_WALK = Walk(
    col(Event.id), col(Event.concept_bits), col(Place.region), col(Place.department), own_area=False
)
OCCURRENCE_WALK = Walk(
    col(Occurrence.event_id),
    col(Occurrence.concept_bits),
    col(Occurrence.region),
    col(Occurrence.department),
    own_area=True,
)


def event_conditions(session: Session, f: EventFilters, walk: Walk) -> list[ColumnElement[bool]]:
    """Conditions on `Event` and on the area `walk` gives, dates, status and duplicates aside.
    Those that list events test `walk.event_id`, the id of the table the query walks: on SQLite, a
    list tested on `event` itself has it build a Bloom filter over the whole table."""
    event_id = walk.event_id
    conditions: list[ColumnElement[bool]] = []
    if f.place:
        # At the place, or organized by it (an event shared by several places is listed at each).
        found = find_place(session, f.place)
        iri = found.iri if found else f.place
        organized = exists().where(EventOrganizer.event_id == Event.id, EventOrganizer.place_iri == iri)
        conditions.append((Event.place_iri == iri) | organized)
    for code, area in ((f.region, walk.region), (f.department, walk.department)):
        if code:
            conditions.append(area == code if walk.own_area else _area_condition(session, area, code))
    if f.theme:
        conditions.append(_concept_condition(session, "theme", f.theme, walk))
    if f.audience:
        conditions.append(_concept_condition(session, "audience", f.audience, walk))
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
    if _many(session, found, ("text", *terms)):
        # A common word ("atelier") matches thousands of events: walked in date order, each row's
        # words are read (as the index reads them: the text is folded to words between spaces)
        # instead of building the list of those thousands for every query (30 ms at 3,500 nodes).
        words = literal(" ").concat(Event.search_text)
        return and_(*(words.contains(" " + term, autoescape=True) for term in terms))
    return event_id.in_(select(Event.id).where(literal_column("event.rowid").in_(found)))


def _needs_place(f: EventFilters) -> bool:
    return bool(f.region or f.department)


# Made once: an alias of a table of forty columns costs 0.5 ms to build.
LINKED = aliased(Event, name="linked")


def listed(event_id: Any) -> ColumnElement[bool]:
    """Whether the event `event_id` names is listed: records linked as duplicates of another are
    left out, each event is listed once.

    Written on the id of the table the query walks (the occurrence's `event_id` for occurrences),
    as a probe of that event's row for each row walked (0.1 ms a page at 3,500 nodes). A list of
    the linked events, built for each query, cost 1.6 ms a page with 2,000 of them; a test on the
    joined `event.canonical_id` itself has SQLite build a Bloom filter over the whole event table
    for every page or, written `IS NULL`, start from that index and sort every occurrence of the
    calendar (1 s at 3,500 nodes)."""
    return ~exists().where(col(LINKED.id) == event_id, col(LINKED.canonical_id) > "")


def _filtered(
    session: Session, query: Select, f: EventFilters, start: Any, status: Any, walk: Walk
) -> Select:
    """`query` under the events' conditions, duplicates left out, `status` as asked, and `start`
    in the range."""
    # The few linked events tested last: a walk tests the filters first, on every row it reads.
    query = query.where(*event_conditions(session, f, walk), listed(walk.event_id))
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
    query = _filtered(session, query, f, Event.start_utc, Event.status, EVENT_WALK)
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
    event: the one select lists, feeds and figures read."""
    query = select(*columns).select_from(Occurrence).join(Event, col(Event.id) == col(Occurrence.event_id))
    # An occurrence's own status (one cancelled date) wins over the series'.
    return _filtered(session, query, f, Occurrence.start_utc, Occurrence.status, OCCURRENCE_WALK)


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

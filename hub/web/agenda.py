"""The agenda page: upcoming events as a list, a week or a month, with the network's filters."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import orjson
from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import Response

from hub.errors import HubError
from hub.events.occurrences import Covered, covered
from hub.events.queries import EventFilters, OccurrenceRow, earlier_start, list_occurrences, narrow_to
from hub.filters import CalendarQuery, PageQuery
from hub.http.common_deps import SessionDep, SettingsDep
from hub.places.models import Place
from hub.store.query import Page
from hub.store.records import utcnow
from hub.web.i18n import translator
from hub.web.page_cache import CachedPage
from hub.web.page_problems import in_words
from hub.web.site import RADII, Ask, Theme, all_places, geography, near_options, render_page, theme_tree
from hub.web.words import Words

router = APIRouter(include_in_schema=False, route_class=CachedPage)

VIEWS = ("list", "week", "month")
# Events a day of the month grid shows; the others are behind a "+N" link to the day's list.
CELL_EVENTS = 3


@dataclass
class Slot:
    """One occurrence, ready to show."""

    event_id: str
    title: str
    start: datetime
    end: datetime
    all_day: bool
    cancelled: bool
    online: bool
    place_id: str | None = None
    place_name: str | None = None
    location: str | None = None
    themes: list[str] = field(default_factory=list)


def slot(row: OccurrenceRow, words: Words, ask: Ask, by_iri: dict[str, Place]) -> Slot:
    summary = orjson.loads(row.summary)
    place = summary.get("place") or {}
    local = by_iri.get(place.get("id", ""))
    name = place.get("name") or (local.name if local else None)
    location = summary.get("location") or {}
    where = ", ".join(filter(None, [location.get("name"), (location.get("address") or {}).get("city")]))
    return Slot(
        event_id=row.event_id,
        title=row.title or words.t("event.untitled"),
        start=row.start_utc.astimezone(ask.zone),
        end=row.end_utc.astimezone(ask.zone),
        all_day=row.all_day,
        cancelled=row.status == "cancelled",
        online=summary.get("attendance_mode") in ("online", "mixed") or row.status == "moved_online",
        place_id=local.id if local else None,
        place_name=name,
        # A calendar's LOCATION often just names the place: then the event is at the place.
        location=where if where and not (name and name in where) else None,
        themes=[words.label(c) for c in summary.get("themes") or []],
    )


def by_day(slots: list[Slot], days: list[date] | None = None) -> list[tuple[date, list[Slot]]]:
    grouped: dict[date, list[Slot]] = {d: [] for d in days or []}
    for slot in slots:
        grouped.setdefault(slot.start.date(), []).append(slot)
    return sorted(grouped.items())


@dataclass
class Cell:
    """A day of the month grid: its events, whether it is in the month, and its own list."""

    day: date
    slots: list[Slot]
    in_month: bool
    day_url: str


def month_grid(days: list[tuple[date, list[Slot]]], first: date, ask: Ask) -> list[list[Cell]]:
    """The weeks (Monday first) holding the month that starts on `first`, each day with its events."""
    found = dict(days)
    following = (first + timedelta(days=32)).replace(day=1)
    day = first - timedelta(days=first.weekday())
    weeks: list[list[Cell]] = []
    while day < following:
        week = [day + timedelta(days=i) for i in range(7)]
        weeks.append([Cell(d, found.get(d, []), d.month == first.month, _day_list(ask, d)) for d in week])
        day += timedelta(days=7)
    return weeks


def _day_list(ask: Ask, day: date) -> str:
    """The list of one day's events, with the filters asked."""
    return ask.here(view=None, start=day.isoformat(), end=day.isoformat(), cursor=None)


def _earlier_url(session: Session, shown: EventFilters, window: Covered, count: int, ask: Ask) -> str | None:
    """The list from the day `count` events before the shown ones (within what the store holds), if any."""
    before = replace(shown, start=window.start, end=shown.start)
    earlier = earlier_start(session, before, count) if before.start < before.end else None
    if earlier is None:
        return None
    return ask.here(start=earlier.astimezone(ask.zone).date().isoformat(), cursor=None)


def _list_heading(ask: Ask, filters: EventFilters, words: Words) -> str:
    """What the list shows: upcoming events, one day's, or those from a date on."""
    if "start" not in ask.values:
        return words.t("agenda.upcoming")
    first = filters.start.astimezone(ask.zone).date()
    if filters.end is not None and filters.end - filters.start <= timedelta(days=1):
        return words.day(first, cap=True)
    return words.t("agenda.from", day=words.date(first))


def _active_filters(ask: Ask) -> set[str]:
    """The filters the reader set (a radius counts with its point only)."""
    asked = {k for k in ask.values if k in ask.takes} - {"view", "cursor"}
    return asked if "near" in asked else asked - {"radius_km"}


def _period(view: str, anchor: date) -> tuple[date, date, date, date]:
    """First and last-exclusive day of the week or month around `anchor`, and the previous and
    next anchors."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return first, first + timedelta(days=7), first - timedelta(days=7), first + timedelta(days=7)
    first = anchor.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following, (first - timedelta(days=1)).replace(day=1), following


def _theme_groups(themes: list[Theme]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Theme options grouped under their top concept, narrower ones indented."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for theme in themes:
        if theme.depth == 0:
            groups.append((theme.label, []))
        groups[-1][1].append((theme.id, "– " * theme.depth + theme.label))
    return groups


@router.get("/")
def agenda(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ask = Ask.of(request, settings, CalendarQuery, PageQuery, also=("view",))
    t, words = translator(ask.lang), Words(ask.lang, ask.zone)
    view = ask.values.get("view") if ask.values.get("view") in VIEWS else "list"
    places = all_places(ask, session)
    by_iri = {p.iri: p for p in places}
    context: dict = {
        "view": view,
        "days": [],
        "error": None,
        "next_cursor": None,
        "truncated": False,
        "horizon": None,
        "earlier_url": None,
        "weeks": [],
        "heading": None,
    }
    try:
        filters = ask.read(CalendarQuery).filters(settings, upcoming=view == "list")
        if view == "list":
            page_asked = ask.read(PageQuery).page(settings)
            limit, cursor = page_asked.limit, page_asked.cursor
            context["heading"] = _list_heading(ask, filters, words)
        else:
            anchor = filters.start.astimezone(ask.zone).date() if filters.start else ask.today()
            first, after_last, previous, following = _period(view, anchor)
            filters.start, filters.end = ask.midnight(first), ask.midnight(after_last)
            limit, cursor = settings.page_size_max, None
            context.update(
                heading=t("agenda.week_of", day=words.date(first)) if view == "week" else words.month(first),
                previous_url=ask.here(start=previous.isoformat(), cursor=None),
                next_url=ask.here(start=following.isoformat(), cursor=None),
            )
        window = covered(session, settings, utcnow())
        narrowed = narrow_to(filters, window)
        page = (
            list_occurrences(session, filters, limit=limit, cursor=cursor)
            if filters.start < filters.end
            else Page([], None)
        )
        slots = [slot(row, words, ask, by_iri) for row in page.items]
        week = [first + timedelta(days=i) for i in range(7)] if view == "week" else None
        context["days"] = by_day(slots, week)
        if view == "month":
            context["weeks"] = month_grid(context["days"], first, ask)
        if view == "list" and page.next_cursor:
            context["next_cursor"] = ask.here(cursor=page.next_cursor)
        if view == "list" and cursor is None:
            context["earlier_url"] = _earlier_url(session, filters, window, limit, ask)
        context["truncated"] = view != "list" and page.next_cursor is not None
        if narrowed and page.next_cursor is None:
            context["horizon"] = words.horizon(window.first_day, window.last_day)
        status = 200
    except HubError as exc:
        context["error"], status = in_words(exc, ask.lang), 422
    feed_keys = ["region", "department", "theme", "place", "q", "near", "radius_km"]
    if view == "list":
        feed_keys += ["start", "end"]
    feed = {k: ask.values[k] for k in feed_keys if k in ask.values}
    regions, departments = geography(places, ask)
    return render_page(
        ask,
        "agenda.html",
        t("agenda.title"),
        status=status,
        values=ask.values,
        place_options=[(p.id, p.name) for p in places],
        regions=regions,
        departments=departments,
        themes=_theme_groups(theme_tree(request, session, ask.lang)),
        near_options=near_options(places, ask),
        radii=RADII,
        views=VIEWS,
        today=ask.today(),
        weekday_names=[words.t(f"weekday.{i}") for i in range(7)],
        cell_events=CELL_EVENTS,
        active=len(_active_filters(ask)),
        ics_url=ask.url("/feeds/events.ics", **feed, lang=None),
        rss_url=ask.url("/feeds/events.rss", **feed, lang=ask.lang),
        **context,
    )

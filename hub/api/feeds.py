"""`/feeds/events.ics` and `/feeds/events.rss`: subscriptions taking the occurrence filters; and
`/events/{id}.ics`, one event to add to a calendar (the event page's link)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session

from hub.api.deps import EventFiltersDep, RecordId, UpcomingFiltersDep
from hub.api.problems import problem_responses
from hub.calendar.rss import build_rss
from hub.events.feeds import event_feed, feed_events, feed_items
from hub.events.ics_feed import build_calendar
from hub.events.occurrences import covered
from hub.events.queries import refuse_outside
from hub.events.service import get_event
from hub.filters import LimitQuery
from hub.http.cache import cached_read
from hub.http.common_deps import KnownParameters, LimitDep, SettingsDep
from hub.http.responses import read_response
from hub.store.records import utcnow

router = APIRouter(tags=["feeds"], responses=problem_responses(422), dependencies=[KnownParameters])

ICS_TYPE = "text/calendar; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
FEED_CACHE = "public, max-age=300"


def _calendar(description: str) -> dict:
    """The OpenAPI answer of a route serving iCalendar."""
    return {200: {"content": {"text/calendar": {"schema": {"type": "string"}}}, "description": description}}


async def _calendar_answer(request: Request, read: Callable[[Session], bytes], disposition: str) -> Response:
    body = await cached_read(request, "public", read)
    return read_response(
        request, body, media_type=ICS_TYPE, cache=FEED_CACHE, headers={"Content-Disposition": disposition}
    )


@router.get(
    "/feeds/events.ics",
    response_class=Response,
    responses=_calendar("RFC 5545 calendar"),
    summary="iCalendar feed of the events matching the filters",
)
async def events_ics(
    request: Request,
    settings: SettingsDep,
    filters: EventFiltersDep,
    asked: Annotated[LimitQuery, Query()],
) -> Response:
    """Series, not occurrences; without `limit`, as many as any `limit` allows (no next page)."""
    limit = asked.most(settings, default=settings.page_size_max)

    def read(session: Session) -> bytes:
        refuse_outside(filters, covered(session, settings, utcnow()))
        items = feed_events(session, filters, limit=limit)
        return build_calendar(items, name=settings.name, zone=settings.zone, now=utcnow())

    return await _calendar_answer(request, read, 'inline; filename="events.ics"')


@router.get(
    "/events/{event_id}.ics",
    response_class=Response,
    responses={**_calendar("RFC 5545 calendar holding this event alone"), **problem_responses(404)},
    summary="One event as an iCalendar file, to add to a calendar",
)
async def event_ics(request: Request, settings: SettingsDep, event_id: RecordId) -> Response:
    """The series with its rule, exceptions and overrides, and the time zone it is written in."""

    def read(session: Session) -> bytes:
        event = get_event(session, event_id)
        zone = ZoneInfo(event.timezone)
        return build_calendar(event_feed(session, event), name=event.title, zone=zone, now=utcnow())

    return await _calendar_answer(request, read, f'attachment; filename="{event_id}.ics"')


@router.get(
    "/feeds/events.rss",
    response_class=Response,
    responses={
        200: {
            "content": {"application/rss+xml": {"schema": {"type": "string"}}},
            "description": "RSS 2.0",
        }
    },
    summary="RSS feed of the occurrences matching the filters",
)
async def events_rss(
    request: Request,
    settings: SettingsDep,
    filters: UpcomingFiltersDep,
    limit: LimitDep,
    lang: Literal["fr", "en"] = "fr",
) -> Response:
    def read(session: Session) -> bytes:
        refuse_outside(filters, covered(session, settings, utcnow()))
        items = feed_items(session, filters, limit=limit, fallback_link=f"{settings.base_url}/events")
        return build_rss(
            items,
            title=settings.name,
            link=settings.base_url,
            self_link=str(request.url),
            language=lang,
        )

    body = await cached_read(request, "public", read)
    return read_response(request, body, media_type=RSS_TYPE, cache=FEED_CACHE)

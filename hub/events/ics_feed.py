"""iCalendar (RFC 5545) feed: series kept as RRULE with EXDATE, RDATE and RECURRENCE-ID overrides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, vRecur
from icalendar import Event as VEvent

from hub.calendar.dates import in_zone
from hub.calendar.vtimezone import build_vtimezone
from hub.events.models import Event, EventOverride
from hub.kit.sanitize import text_with_paragraphs

STATUS = {
    "scheduled": "CONFIRMED",
    "cancelled": "CANCELLED",
    "postponed": "TENTATIVE",
    "moved_online": "CONFIRMED",
}
PRODID = "-//Tiers-lieux hub//Agenda//FR"


@dataclass(frozen=True)
class FeedEvent:
    event: Event
    overrides: list[EventOverride]
    place_name: str | None
    place_address: str | None
    themes: list[str]


def _when(value: datetime, zone: ZoneInfo, all_day: bool) -> date | datetime:
    local = in_zone(value, zone)
    return local.date() if all_day else local


def _common(component: VEvent, item: FeedEvent) -> None:
    event = item.event
    component.add("uid", event.iri)
    # The last change, not the time of the request: an unchanged calendar keeps its bytes and ETag.
    component.add("dtstamp", event.updated_at)
    component.add("sequence", event.sequence)
    component.add("created", event.created_at)
    component.add("last-modified", event.updated_at)
    if event.url:
        component.add("url", event.url)
    location = ", ".join(filter(None, [item.place_name, item.place_address]))
    if event.location:
        location = ", ".join(
            filter(
                None,
                [event.location.get("name"), (event.location.get("address") or {}).get("city")],
            )
        )
    if location:
        component.add("location", location)
    if item.themes:
        component.add("categories", item.themes)


def build_calendar(items: list[FeedEvent], *, name: str, zone: ZoneInfo, now: datetime) -> bytes:
    """A VCALENDAR with one VEVENT per series and one per overridden occurrence."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone.key)
    zones = {zone.key} | {item.event.timezone for item in items if not item.event.all_day}
    first = min([item.event.start_utc for item in items] + [now]).date()
    for key in sorted(zones):
        calendar.add_component(build_vtimezone(ZoneInfo(key), first, now.date() + timedelta(days=366 * 15)))
    for item in items:
        event = item.event
        tz = ZoneInfo(event.timezone)
        master = VEvent()
        _common(master, item)
        master.add("summary", event.title)
        if event.description:
            master.add("description", text_with_paragraphs(event.description))
        master.add("dtstart", _when(event.start_utc, tz, event.all_day))
        master.add("dtend", _when(event.end_utc or event.start_utc, tz, event.all_day))
        master.add("status", STATUS[event.status])
        if event.rrule:
            master.add("rrule", vRecur.from_ical(event.rrule.removeprefix("RRULE:")))
        for key in ("exdate", "rdate"):
            values = getattr(event, key + "s")
            if values:
                master.add(key, [_when(datetime.fromisoformat(v), tz, event.all_day) for v in values])
        calendar.add_component(master)
        for override in item.overrides:
            component = VEvent()
            _common(component, item)
            component.add("recurrence-id", _when(override.recurrence_id, tz, event.all_day))
            start = override.start_utc or override.recurrence_id
            duration = (event.end_utc or event.start_utc) - event.start_utc
            component.add("dtstart", _when(start, tz, event.all_day))
            component.add("dtend", _when(override.end_utc or start + duration, tz, event.all_day))
            component.add("summary", override.title or event.title)
            description = override.description or event.description
            if description:
                component.add("description", text_with_paragraphs(description))
            component.add("status", STATUS[override.status or event.status])
            calendar.add_component(component)
    return calendar.to_ical()

"""iCalendar and RSS feeds: what calendar apps read must be what the API says."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from xml.etree import ElementTree

import icalendar
import pytest
import recurring_ical_events
import time_machine

from hub.demo.data import seed_fabrique
from hub.events.ics_feed import STATUS
from hub.store.db import session_scope
from tests import factories
from tests.factories import YEAR
from tests.paging import every_item
from tests.reference_clients import ical_js_occurrences


@pytest.fixture
def demo_node(db, settings):
    with session_scope(db.engine) as session:
        return seed_fabrique(session, settings, datetime.now(settings.zone).date())


def _ics_occurrences(body: bytes, start: datetime, end: datetime) -> set[tuple]:
    calendar = icalendar.Calendar.from_ical(body)
    found = set()
    for component in recurring_ical_events.of(calendar).between(start, end):
        found.add(
            (
                str(component["UID"]),
                component["DTSTART"].dt.isoformat(),
                component["DTEND"].dt.isoformat(),
                str(component.get("STATUS", "CONFIRMED")),
                str(component["SUMMARY"]),
            )
        )
    return found


def test_ics_yields_exactly_the_api_occurrences_across_dst_and_cancellation(
    any_day, client, settings, demo_node
):
    today = datetime.now(settings.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = today - timedelta(days=30), today + timedelta(days=330)
    params = {"start": start.isoformat(), "end": end.isoformat()}
    api = {
        (o["event"]["id"], o["start"], o["end"], STATUS[o["status"]], o["title"])
        for o in every_item(client, "/api/v1/occurrences", **params)
    }
    feed = client.get("/feeds/events.ics", params=params)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert _ics_occurrences(feed.content, start, end) == api
    offsets = {o[1][-6:] for o in api}
    assert offsets == {"+01:00", "+02:00"}  # the range spans both DST changes
    assert any(o[3] == "CANCELLED" for o in api)


def test_ics_keeps_rules_as_rules_with_timezone_and_overrides(client, demo_node):
    body = client.get("/feeds/events.ics").content
    calendar = icalendar.Calendar.from_ical(body)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    events = calendar.walk("VEVENT")
    rules = [e for e in events if "RRULE" in e]
    assert len(rules) == 3  # co-lunch, pitch night, newcomers' breakfast
    overrides = [e for e in events if "RECURRENCE-ID" in e]
    assert [str(o["STATUS"]) for o in overrides] == ["CANCELLED"]
    assert all(e["DTSTART"].params.get("TZID") == "Europe/Paris" for e in events)
    assert all("LAST-MODIFIED" in e and "SEQUENCE" in e for e in events)


def test_ics_uid_is_stable_and_sequence_grows_on_edit(client, writer):
    event = client.post("/api/v1/events", json=factories.event(), headers=writer).json()
    first = icalendar.Calendar.from_ical(client.get("/feeds/events.ics").content).walk("VEVENT")[0]
    client.put(f"/api/v1/events/{event['uid']}", json=factories.event(title="Renamed"), headers=writer)
    second = icalendar.Calendar.from_ical(client.get("/feeds/events.ics").content).walk("VEVENT")[0]
    assert first["UID"] == second["UID"] == event["id"]
    assert int(second["SEQUENCE"]) == int(first["SEQUENCE"]) + 1


def test_ics_of_all_day_event_uses_dates(client, writer):
    client.post(
        "/api/v1/events", json=factories.event(start=f"{YEAR}-09-20", end=f"{YEAR}-09-21"), headers=writer
    )
    [vevent] = icalendar.Calendar.from_ical(client.get("/feeds/events.ics").content).walk("VEVENT")
    assert vevent["DTSTART"].to_ical() == f"{YEAR}0920".encode()
    assert vevent["DTEND"].to_ical() == f"{YEAR}0922".encode()  # exclusive end, RFC 5545


def test_feeds_take_the_occurrence_filters(client, writer):
    client.post("/api/v1/events", json=factories.event(title="Café numérique"), headers=writer)
    client.post("/api/v1/events", json=factories.event(title="Atelier bois"), headers=writer)
    calendar = icalendar.Calendar.from_ical(client.get("/feeds/events.ics", params={"q": "cafe"}).content)
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Café numérique"]
    rss = ElementTree.fromstring(
        client.get("/feeds/events.rss", params={"q": "bois", "start": f"{YEAR}-01-01"}).content
    )
    assert [t.text for t in rss.iter("title")][1:] == ["Atelier bois"]
    assert client.get("/feeds/events.ics", params={"start": "hier"}).status_code == 422


def test_rss_is_valid_xml_with_hostile_text_escaped(client, writer):
    client.post(
        "/api/v1/events",
        json=factories.event(
            title="<script>alert('x')</script> & co", description="<p>ok<script>x()</script></p>"
        ),
        headers=writer,
    )
    response = client.get("/feeds/events.rss", params={"start": f"{YEAR}-01-01"})
    assert response.headers["content-type"].startswith("application/rss+xml")
    rss = ElementTree.fromstring(response.content)
    [item] = rss.iter("item")
    assert item.findtext("title") == "<script>alert('x')</script> & co"
    assert "<script>" not in item.findtext("description")
    assert b"<script>" not in response.content


def test_rss_marks_cancelled_occurrences(client, writer):
    client.post("/api/v1/events", json=factories.event(title="Annulé", status="cancelled"), headers=writer)
    rss = ElementTree.fromstring(client.get("/feeds/events.rss", params={"start": f"{YEAR}-01-01"}).content)
    assert [i.findtext("title") for i in rss.iter("item")] == ["[ANNULÉ] Annulé"]


# Calendar clients: Thunderbird's parser (ical.js) and recurring-ical-events read the feed as the API
# says, on both sides of every change of daylight saving time, years ahead.

CLOCK = datetime(2027, 1, 15, 9, tzinfo=UTC)
RANGE = (datetime(2027, 1, 20, tzinfo=UTC), datetime(2028, 11, 30, tzinfo=UTC))
NETWORK_CALENDAR = [
    factories.co_lunch(),
    factories.event(
        title="Soirée pitch",
        start="2027-02-09T19:00:00+01:00",
        end="2027-02-09T21:30:00+01:00",
        recurrence={"rrule": "FREQ=MONTHLY;BYDAY=2TU", "exdates": ["2027-08-10T19:00:00+02:00"]},
    ),
    factories.event(title="Fête du fablab", start="2027-10-30", end="2027-10-31"),
    factories.event(
        title="Visio avec un réseau québécois",
        start="2027-10-28T10:00:00-04:00",
        end="2027-10-28T11:00:00-04:00",
        timezone="America/Toronto",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=4"},
    ),
]


@pytest.fixture
def frozen_clock():
    """Today is fixed, so the calendar's dates stay inside the expansion horizon whatever the date."""
    with time_machine.travel(CLOCK):
        yield


def _as_utc(value: str | date | datetime) -> str:
    """An instant as `…Z`, or a date alone."""
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return value.isoformat()
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _api_occurrence(item: dict) -> tuple:
    end = _as_utc(item["end"])
    if item["all_day"]:  # the API shows the last day; calendars the day after it
        end = (date.fromisoformat(end) + timedelta(days=1)).isoformat()
    recurrence_id = _as_utc(item["recurrence_id"]) if "recurrence_id" in item else None
    return (
        item["event"]["id"],
        recurrence_id,
        _as_utc(item["start"]),
        end,
        STATUS[item["status"]],
        item["title"],
    )


def _rie_occurrences(calendar: bytes, start: datetime, end: datetime) -> set[tuple]:
    parsed = icalendar.Calendar.from_ical(calendar)
    # recurring-ical-events gives one-off events a RECURRENCE-ID too; the API and ical.js do not.
    series = {str(e["UID"]) for e in parsed.walk("VEVENT") if "RRULE" in e or "RDATE" in e}
    found = set()
    for component in recurring_ical_events.of(parsed).between(start, end):
        begin = component["DTSTART"].dt
        moment = begin if isinstance(begin, datetime) else datetime.combine(begin, time(), UTC)
        if not start <= moment < end:  # between() also yields what began before and still runs
            continue
        recurrence_id = component["RECURRENCE-ID"].dt if str(component["UID"]) in series else None
        found.add(
            (
                str(component["UID"]),
                recurrence_id and _as_utc(recurrence_id),
                _as_utc(begin),
                _as_utc(component["DTEND"].dt),
                str(component.get("STATUS", "CONFIRMED")),
                str(component["SUMMARY"]),
            )
        )
    return found


def test_calendar_clients_read_the_feed_as_the_api_says_across_dst_changes_years_ahead(
    frozen_clock, client, writer
):
    for event in NETWORK_CALENDAR:
        assert client.post("/api/v1/events", json=event, headers=writer).status_code == 201
    start, end = RANGE
    params = {"start": start.isoformat(), "end": end.isoformat()}
    api = {_api_occurrence(item) for item in every_item(client, "/api/v1/occurrences", **params)}
    feed = client.get("/feeds/events.ics", params=params).content

    ical_js = {tuple(o.values()) for o in ical_js_occurrences(feed, start, end)}
    assert ical_js == api
    assert _rie_occurrences(feed, start, end) == api

    # What the calendar holds: both offsets of Paris past October 2027, a cancelled and a moved
    # occurrence, a monthly series, an all-day event, a second zone.
    late_paris = {o[2][11:] for o in api if o[5] == "Co-lunch du vendredi" and o[2] > "2027-11"}
    assert late_paris == {"11:30:00Z", "10:30:00Z"}
    titles = {o[5] for o in api}
    assert {"Soirée pitch", "Fête du fablab", "Co-lunch (exceptionnellement le mercredi)"} <= titles
    assert [o[1] for o in api if o[4] == "CANCELLED"] == ["2027-04-02T10:30:00Z"]
    assert len([o for o in api if o[5] == "Visio avec un réseau québécois"]) == 4


def test_ics_writes_each_zone_as_yearly_rules_with_the_calendar_zone_named(client, writer):
    client.post("/api/v1/events", json=NETWORK_CALENDAR[3], headers=writer)
    calendar = icalendar.Calendar.from_ical(client.get("/feeds/events.ics").content)
    assert calendar["X-WR-TIMEZONE"] == "Europe/Paris"
    zones = {str(zone["TZID"]): zone for zone in calendar.walk("VTIMEZONE")}
    assert set(zones) == {"America/Toronto", "Europe/Paris"}
    for zone in zones.values():
        observances = zone.walk("STANDARD") + zone.walk("DAYLIGHT")
        assert len(zone.walk("STANDARD")) == len(zone.walk("DAYLIGHT")) == 1
        assert all("RRULE" in o and "RDATE" not in o for o in observances)

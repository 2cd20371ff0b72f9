"""iCalendar and RSS feeds: what calendar apps read must be what the API says."""

from __future__ import annotations

from datetime import datetime, timedelta
from xml.etree import ElementTree

import icalendar
import pytest
import recurring_ical_events

from hub.db import session_scope
from hub.demo.data import seed_fabrique
from tests import factories
from tests.factories import YEAR


@pytest.fixture
def demo_node(db, settings):
    with session_scope(db.engine) as session:
        return seed_fabrique(session, settings, datetime.now(settings.zone).date())


def _all_occurrences(client, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        page = client.get(
            "/api/v1/occurrences", params=params | {"limit": 200} | ({"cursor": cursor} if cursor else {})
        )
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if not (cursor := page.json()["next_cursor"]):
            return items


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


STATUS = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED"}


def test_ics_yields_exactly_the_api_occurrences_across_dst_and_cancellation(
    any_day, client, settings, demo_node
):
    today = datetime.now(settings.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = today - timedelta(days=30), today + timedelta(days=330)
    params = {"start": start.isoformat(), "end": end.isoformat()}
    api = {
        (o["event"]["id"], o["start"], o["end"], STATUS[o["status"]], o["title"])
        for o in _all_occurrences(client, **params)
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

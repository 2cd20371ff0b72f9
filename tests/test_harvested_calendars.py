"""Real-world calendar files harvested over HTTP: every occurrence they hold reaches the API.

The occurrences the hub serves after harvesting a file are compared with what
recurring-ical-events reads in the same file, over the part of the hub's horizon it covers.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from hub.events.occurrences import horizon
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.registry import SourceIn, add_source
from hub.store.db import session_scope
from hub.store.records import utcnow
from tests.factories import YEAR
from tests.paging import every_item
from tests.servers import serve

CALENDARS = Path(__file__).parent / "calendars"
PARIS = ZoneInfo("Europe/Paris")
END = datetime(2036, 1, 1, tzinfo=UTC)


def _harvest(db, settings, case: str, year: int | None = None):
    """Harvest a calendar file over HTTP; `year` moves its dates of 2026 to that year."""
    body = (CALENDARS / f"{case}.ics").read_bytes()
    if year is not None:
        body = body.replace(b"2026", str(year).encode())

    def app(base_url: str) -> Starlette:
        return Starlette(routes=[Route("/agenda.ics", lambda _: Response(body, media_type="text/calendar"))])

    with serve(app) as base_url:
        with session_scope(db.engine) as session:
            add_source(session, SourceIn(url=f"{base_url}/agenda.ics", kind="ics"), default_interval=3600)
        [report] = asyncio.run(harvest_many(db.engine, settings, all_sources(db.engine)))
    return report


def _served(client, start: datetime, end: datetime) -> list[tuple]:
    """Every occurrence the API lists from start to end, a year at a time (a read spans two at most)."""
    found = []
    while start < end:
        until = min(start + timedelta(days=365), end)
        window = {"start": start.isoformat(), "end": until.isoformat()}
        found += [
            (datetime.fromisoformat(o["start"]).astimezone(UTC), o["title"], o["status"])
            for o in every_item(client, "/api/v1/occurrences", **window)
            if start <= datetime.fromisoformat(o["start"]) < until
        ]
        start = until
    return sorted(found)


def _theirs(case: str, start: datetime, end: datetime) -> list[tuple]:
    calendar = icalendar.Calendar.from_ical((CALENDARS / f"{case}.ics").read_bytes())

    def instant(value: date | datetime) -> datetime:
        if not isinstance(value, datetime):
            value = datetime.combine(value, datetime.min.time())
        return (value if value.tzinfo else value.replace(tzinfo=PARIS)).astimezone(UTC)

    return sorted(
        (
            instant(o.start),
            " ".join(str(o.get("SUMMARY", "")).split()),
            "cancelled" if o.get("STATUS") == "CANCELLED" else "scheduled",
        )
        for o in recurring_ical_events.of(calendar).between(start, end)
    )


def test_weekly_series_with_forty_overrides_keeps_every_occurrence(db, client):
    settings = db.settings(role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_retries=0)
    report = _harvest(db, settings, "weekly_series_with_forty_overrides")
    assert report.ok and report.stats.new == 1 and report.stats.quarantined == 0, report

    start, _ = horizon(settings, utcnow())
    start = start + timedelta(days=1)  # clear of the edge the clock moved past since the harvest
    ours, theirs = _served(client, start, END), _theirs("weekly_series_with_forty_overrides", start, END)
    assert ours == theirs
    assert {title for _, title, _ in ours} >= {"Atelier du mardi", "Atelier déplacé au dimanche"}


def test_event_without_summary_has_no_title_and_pages_say_so(db, client):
    settings = db.settings(role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_retries=0)
    report = _harvest(db, settings, "missing_summary", YEAR)
    assert report.ok and report.stats.new == 2, report

    events = client.get("/api/v1/events").json()["items"]
    assert [e["title"] for e in events] == ["", ""]
    uid = next(e["uid"] for e in events if e.get("location"))
    for lang, untitled in (("fr", "(sans titre)"), ("en", "(untitled)")):
        page = client.get(f"/events/{uid}", params={"lang": lang}).text
        assert f'<h1 id="record-title">{untitled}</h1>' in page
        agenda = client.get("/", params={"lang": lang, "start": f"{YEAR}-11-01", "end": f"{YEAR}-11-30"}).text
        assert agenda.count(untitled) == 3  # the morning, and the two afternoons of the series
    feed = icalendar.Calendar.from_ical(
        client.get("/feeds/events.ics", params={"start": f"{YEAR}-11-01"}).content
    )
    assert {str(e.get("SUMMARY", "")) for e in feed.walk("VEVENT")} == {""}
    rss = ElementTree.fromstring(client.get("/feeds/events.rss", params={"start": f"{YEAR}-11-01"}).content)
    assert len(rss.findall("channel/item")) == 3


def test_write_without_a_title_is_refused_naming_title(client, writer):
    data = {"start": "2031-01-01T10:00", "end": "2031-01-01T11:00"}
    for body in (data, data | {"title": ""}):
        response = client.post("/api/v1/events", json=body, headers=writer)
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["title"]

"""Real-world calendar files harvested over HTTP: every occurrence they hold reaches the API.

The occurrences the hub serves after harvesting a file are compared with what
recurring-ical-events reads in the same file, over the part of the hub's horizon it covers.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from hub.db import session_scope
from hub.events.occurrences import horizon
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.registry import SourceIn, add_source
from hub.records import utcnow
from tests.servers import serve

CALENDARS = Path(__file__).parent / "calendars"
PARIS = ZoneInfo("Europe/Paris")
END = datetime(2036, 1, 1, tzinfo=UTC)


def _harvest(db, settings, case: str):
    body = (CALENDARS / f"{case}.ics").read_bytes()

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
        cursor, until = None, min(start + timedelta(days=365), end)
        while True:
            params = {"start": start.isoformat(), "end": until.isoformat(), "limit": 500}
            response = client.get(
                "/api/v1/occurrences", params=params | ({"cursor": cursor} if cursor else {})
            )
            assert response.status_code == 200, response.text
            page = response.json()
            found += [
                (datetime.fromisoformat(o["start"]).astimezone(UTC), o["title"], o["status"])
                for o in page["items"]
                if start <= datetime.fromisoformat(o["start"]) < until
            ]
            cursor = page["next_cursor"]
            if cursor is None:
                break
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

"""Recurrence rules that dateutil cannot expand safely: refused on the API, quarantined when harvested.

Each rule below once hung a write (holding SQLite's write lock, deaf to SIGTERM), hung a
harvest, answered 500 or expanded into something else than it says. These tests have no time
limit of their own: were a rule still expanded without bounds, they would not finish.
"""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from hub.events.models import Event
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.models import Quarantine
from hub.federation.registry import SourceIn, add_source
from hub.store.db import session_scope
from tests import factories
from tests.factories import YEAR
from tests.servers import serve

# The factories' events start on 12 June: a daily rule stepping by weeks from that weekday
# never lands on the next one.
NEXT_WEEKDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][(date(YEAR, 6, 12).weekday() + 1) % 7]
HOSTILE_RULES = [
    "FREQ=DAILY;INTERVAL=0",  # never advances
    "FREQ=WEEKLY;INTERVAL=-1",  # walks backwards into an invalid date: a 500
    "FREQ=DAILY;INTERVAL=1000000000000",  # one step is a loop month by month
    "FREQ=DAILY;INTERVAL=1.5",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",  # walks day by day to the year 9999
    "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=31",
    "FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6",
    f"FREQ=DAILY;INTERVAL=7;BYDAY={NEXT_WEEKDAY}",
    "FREQ=SECONDLY",
    "FREQ=MINUTELY;COUNT=5",
    "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=WEEKLY;COUNT=0",
    "FREQ=WEEKLY;COUNT=99999999999",
    "FREQ=WEEKLY;COUNT=3;UNTIL=20991231",
    "FREQ=MONTHLY;BYDAY=9MO",  # dateutil: IndexError
    "FREQ=MONTHLY;BYMONTHDAY=0",  # dateutil: silently every day
    "FREQ=WEEKLY;BYDAY=1MO",  # dateutil: silently every Monday
    "FREQ=DAILY;BYEASTER=0",  # not RFC 5545
    "FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24))) + ";BYMINUTE=0,15,30,45",  # 96 a day
]


@pytest.mark.parametrize("rule", HOSTILE_RULES)
def test_hostile_rule_is_refused_on_create_naming_the_rule(client, writer, rule):
    response = client.post("/api/v1/events", json=factories.event(recurrence={"rrule": rule}), headers=writer)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["recurrence.rrule"]


@pytest.mark.parametrize("rule", HOSTILE_RULES)
def test_hostile_rule_is_refused_on_replace_and_the_event_is_kept(client, writer, rule):
    created = client.post("/api/v1/events", json=factories.event(title="Atelier vélo"), headers=writer).json()
    response = client.put(
        f"/api/v1/events/{created['uid']}",
        json=factories.event(title="Atelier vélo", recurrence={"rrule": rule}),
        headers=writer,
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["recurrence.rrule"]
    kept = client.get(f"/api/v1/events/{created['uid']}").json()
    assert "recurrence" not in kept and kept["sequence"] == created["sequence"]


def _calendar(rule: str) -> bytes:
    events = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}@regles.example\r\n"
        f"DTSTAMP:{YEAR}0101T000000Z\r\n"
        f"DTSTART;TZID=Europe/Paris:{YEAR}0612T180000\r\n"
        f"DTEND;TZID=Europe/Paris:{YEAR}0612T200000\r\n"
        f"SUMMARY:Atelier {uid}\r\n" + (f"RRULE:{rule}\r\n" if uid == "hostile" else "") + "END:VEVENT\r\n"
        for uid in ("before", "hostile", "after")
    )
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Regles//Test//FR\r\n{events}END:VCALENDAR\r\n".encode()
    )


@pytest.mark.parametrize("rule", HOSTILE_RULES)
def test_hostile_rule_in_a_harvested_calendar_is_quarantined_alone(db, rule):
    settings = db.settings(role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_retries=0)
    body = _calendar(rule)

    def app(base_url: str) -> Starlette:
        return Starlette(routes=[Route("/agenda.ics", lambda _: Response(body, media_type="text/calendar"))])

    with serve(app) as base_url:
        url = f"{base_url}/agenda.ics"
        with session_scope(db.engine) as session:
            add_source(session, SourceIn(url=url, kind="ics"), default_interval=3600)
        [report] = asyncio.run(harvest_many(db.engine, settings, all_sources(db.engine)))

    assert report.ok and report.stats.new == 2 and report.stats.quarantined == 1, report
    with Session(db.engine) as session:
        assert sorted(session.exec(select(Event.title)).all()) == ["Atelier after", "Atelier before"]
        [quarantined] = session.exec(select(Quarantine)).all()
    assert quarantined.iri == f"{url}#hostile%40regles.example"
    assert "rrule" in quarantined.reason.lower()

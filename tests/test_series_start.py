"""A series starts on a date of its rule: RFC 5545 leaves the dates of any other undefined.

Calendar apps disagree on such a series (the demo's monthly pitch, BYDAY=3TH starting on a
second Thursday, was on two different days depending on the client). A write is refused, naming
`start` and the rule's first date; a harvested series is read as RFC 5545's "DTSTART counts as
the first occurrence", and stored so that every client reads it alike.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from hub.events.models import Event
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.registry import SourceIn, add_source
from hub.store.db import session_scope
from tests import factories
from tests.factories import YEAR
from tests.servers import serve


def _thursday(n: int, month: int = 10) -> date:
    """The n-th Thursday of `month` in the tests' year."""
    first = date(YEAR, month, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 7 * (n - 1))


def test_write_starting_off_its_rule_is_refused_naming_start_and_the_first_date(client, writer):
    second, third = _thursday(2), _thursday(3)
    response = client.post(
        "/api/v1/events",
        json=factories.event(
            title="Soirée pitch",
            start=f"{second}T19:00",
            end=f"{second}T21:30",
            recurrence={"rrule": "FREQ=MONTHLY;BYDAY=3TH"},
        ),
        headers=writer,
    )

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "start"
    assert f"its first date from there is {third}T19:00:00+02:00" in error["message"]


def test_write_starting_on_a_date_of_its_rule_is_kept_as_given(client, writer):
    third = _thursday(3)
    event = client.post(
        "/api/v1/events",
        json=factories.event(
            start=f"{third}T19:00",
            end=f"{third}T21:00",
            recurrence={"rrule": "FREQ=MONTHLY;BYDAY=3TH;COUNT=2"},
        ),
        headers=writer,
    ).json()

    assert event["start"] == f"{third}T19:00:00+02:00"
    assert event["recurrence"] == {"rrule": "FREQ=MONTHLY;BYDAY=3TH;COUNT=2"}


def test_replacing_a_series_with_a_start_off_its_rule_is_refused(client, writer):
    third = _thursday(3)
    created = client.post(
        "/api/v1/events",
        json=factories.event(
            start=f"{third}T19:00", end=f"{third}T21:00", recurrence={"rrule": "FREQ=MONTHLY;BYDAY=3TH"}
        ),
        headers=writer,
    ).json()
    response = client.put(
        f"/api/v1/events/{created['uid']}",
        json=factories.event(
            start=f"{_thursday(4)}T19:00",
            end=f"{_thursday(4)}T21:00",
            recurrence={"rrule": "FREQ=MONTHLY;BYDAY=3TH"},
        ),
        headers=writer,
    )

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["start"]


def test_write_whose_rule_ends_before_its_start_is_refused_naming_the_rule(client, writer):
    response = client.post(
        "/api/v1/events",
        json=factories.event(recurrence={"rrule": f"FREQ=WEEKLY;UNTIL={YEAR - 1}0101"}),
        headers=writer,
    )

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["recurrence.rrule"]


def _calendar(*events: tuple[str, date, str]) -> bytes:
    body = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:{uid}@pitch.example\r\nDTSTAMP:{YEAR}0101T000000Z\r\nSUMMARY:{uid}\r\n"
        f"DTSTART;TZID=Europe/Paris:{day:%Y%m%d}T190000\r\nDTEND;TZID=Europe/Paris:{day:%Y%m%d}T213000\r\n"
        f"RRULE:{rule}\r\nEND:VEVENT\r\n"
        for uid, day, rule in events
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Pitch//Test//FR\r\n{body}END:VCALENDAR\r\n".encode()


@pytest.fixture
def harvested(db, client):
    """Harvest a calendar served over HTTP; returns the stored series by title."""

    def run(body: bytes) -> dict[str, Event]:
        settings = db.settings(role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_retries=0)

        def app(base_url: str) -> Starlette:
            return Starlette(
                routes=[Route("/agenda.ics", lambda _: Response(body, media_type="text/calendar"))]
            )

        with serve(app) as base_url:
            with session_scope(db.engine) as session:
                add_source(session, SourceIn(url=f"{base_url}/agenda.ics", kind="ics"), default_interval=3600)
            [report] = asyncio.run(harvest_many(db.engine, settings, all_sources(db.engine)))
        assert report.ok and report.stats.quarantined == 0, report
        with Session(db.engine) as session:
            return {e.title: e for e in session.exec(select(Event)).all()}

    return run


def _occurrences(client, title: str) -> list[str]:
    items = client.get("/api/v1/occurrences", params={"start": f"{YEAR}-01-01", "limit": 500}).json()["items"]
    return [o["start"] for o in items if o["title"] == title]


def test_harvested_series_starting_off_its_rule_starts_on_its_first_date_and_keeps_the_original(
    harvested, client
):
    second = _thursday(2)
    held = harvested(
        _calendar(
            ("compte", second, "FREQ=MONTHLY;BYDAY=3TH;COUNT=3"),
            ("sans-fin", second, "FREQ=MONTHLY;BYDAY=3TH"),
        )
    )

    counted = held["compte"]
    assert counted.start_utc.date() == _thursday(3)
    assert counted.end_utc - counted.start_utc == timedelta(hours=2, minutes=30)
    # DTSTART counted as the first of three: two dates of the rule are left after it.
    assert counted.rrule == "FREQ=MONTHLY;COUNT=2;BYDAY=3TH"
    assert counted.rdates == [f"{second}T17:00:00+00:00"]
    assert _occurrences(client, "compte") == [
        f"{second}T19:00:00+02:00",
        f"{_thursday(3)}T19:00:00+02:00",
        f"{_thursday(3, 11)}T19:00:00+01:00",
    ]
    endless = held["sans-fin"]
    assert endless.rrule == "FREQ=MONTHLY;BYDAY=3TH" and endless.rdates == [f"{second}T17:00:00+00:00"]
    assert _occurrences(client, "sans-fin")[:3] == [
        f"{second}T19:00:00+02:00",
        f"{_thursday(3)}T19:00:00+02:00",
        f"{_thursday(3, 11)}T19:00:00+01:00",
    ]


def test_harvested_series_counting_only_its_start_becomes_a_single_event(harvested, client):
    second = _thursday(2)
    held = harvested(_calendar(("une-fois", second, "FREQ=MONTHLY;BYDAY=3TH;COUNT=1")))

    [event] = held.values()
    assert (event.rrule, event.rdates, event.recurring) == (None, [], False)
    assert _occurrences(client, "une-fois") == [f"{second}T19:00:00+02:00"]

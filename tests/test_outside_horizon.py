"""Occurrences are stored over a rolling horizon: every output listing them says which days it
holds in full, and a range reaching past them gets a problem document naming the field (the API,
the feeds) or a note in the reader's language (the pages), never a silently shorter answer.

The horizon here is small (a week back, a month ahead) and the event daily, so the first and the
last day of the horizon each hold one occurrence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.events.occurrences import covered, roll_horizon
from hub.store.db import session_scope
from hub.store.records import utcnow
from tests import factories

DAY = timedelta(days=1)
AHEAD, BACK = 30, 7


@pytest.fixture
def settings(db):
    return db.settings(horizon_days_ahead=AHEAD, horizon_days_back=BACK, page_size_default=10)


@pytest.fixture
def client(db, settings) -> Iterator[TestClient]:
    # No lifespan: no roll runs during the test, the horizon is the one the saves expanded to.
    yield TestClient(create_app(settings, engine=db.engine))


@pytest.fixture
def daily(client, writer) -> str:
    """A daily event at noon that began a year ago and runs on forever."""
    start = (datetime.now().astimezone().replace(hour=12, minute=0, second=0, microsecond=0)) - 365 * DAY
    data = factories.event(
        title="Permanence quotidienne",
        start=start.isoformat(),
        end=(start + timedelta(hours=1)).isoformat(),
        recurrence={"rrule": "FREQ=DAILY"},
    )
    response = client.post("/api/v1/events", json=data, headers=writer)
    assert response.status_code == 201, response.text
    return response.json()["uid"]


def _days(client, **params) -> dict:
    response = client.get("/api/v1/occurrences", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return response.json()


def _horizon(client) -> tuple[date, date]:
    days = _days(client)["horizon"]
    return date.fromisoformat(days["first_day"]), date.fromisoformat(days["last_day"])


def _refused(response, field: str, first: date, last: date) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["type"].endswith("/outside-horizon")
    assert [e["field"] for e in problem["errors"]] == [field]
    assert problem["horizon"] == {"first_day": first.isoformat(), "last_day": last.isoformat()}


def test_occurrences_answer_says_which_days_they_hold_in_full(client, daily, settings):
    first, last = _horizon(client)
    today = datetime.now(settings.zone).date()
    assert first == today - BACK * DAY + DAY  # today minus a week is under way: not whole
    assert today + (AHEAD - 2) * DAY <= last <= today + AHEAD * DAY
    every_day = _days(client, start=first.isoformat(), end=last.isoformat())["items"]
    assert [item["start"][:10] for item in every_day] == [
        (first + n * DAY).isoformat() for n in range((last - first).days + 1)
    ]


def test_occurrences_end_past_the_horizon_gets_a_problem_naming_end(client, daily):
    first, last = _horizon(client)
    _refused(client.get("/api/v1/occurrences", params={"end": (last + DAY).isoformat()}), "end", first, last)
    far = client.get("/api/v1/occurrences", params={"start": last.isoformat(), "end": str(last + 99 * DAY)})
    _refused(far, "end", first, last)


def test_occurrences_start_outside_the_horizon_gets_a_problem_naming_start(client, daily):
    first, last = _horizon(client)
    before = client.get("/api/v1/occurrences", params={"start": (first - DAY).isoformat()})
    _refused(before, "start", first, last)
    after = client.get("/api/v1/occurrences", params={"start": (last + DAY).isoformat()})
    _refused(after, "start", first, last)
    assert "kept from" in before.json()["detail"] and "expanded up to" in after.json()["detail"]


def test_occurrences_without_end_stop_at_the_horizon_and_say_so(client, daily):
    answer = _days(client)
    assert answer["next_cursor"] is None
    assert answer["items"][-1]["start"][:10] == answer["horizon"]["last_day"]


def test_feeds_refuse_an_end_past_the_horizon(client, daily):
    first, last = _horizon(client)
    for feed in ("/feeds/events.rss", "/feeds/events.ics"):
        _refused(client.get(feed, params={"end": (last + DAY).isoformat()}), "end", first, last)
        assert client.get(feed, params={"end": last.isoformat()}).status_code == 200


@pytest.mark.parametrize(
    ("lang", "words"), [("fr", "Les dates sont publiées du"), ("en", "Dates are published")]
)
def test_agenda_month_past_the_horizon_shows_what_it_holds_and_says_where_it_stops(
    client, daily, lang, words
):
    _, last = _horizon(client)
    page = client.get("/", params={"view": "month", "start": last.isoformat(), "lang": lang})
    assert page.status_code == 200
    assert words in page.text
    assert f'datetime="{last.isoformat()}' in page.text  # the last whole day is still shown
    beyond = client.get("/", params={"view": "month", "start": (last + 62 * DAY).isoformat(), "lang": lang})
    assert beyond.status_code == 200 and words in beyond.text


def test_agenda_list_says_where_the_dates_stop_on_its_last_page_only(client, daily):
    first_page = client.get("/", params={"lang": "en"})
    assert "Dates are published" not in first_page.text  # a month of daily events fills more than a page
    start = (_horizon(client)[1] - 3 * DAY).isoformat()
    assert "Dates are published" in client.get("/", params={"lang": "en", "start": start}).text


def test_embedded_agenda_says_where_the_dates_stop(client, daily):
    _, last = _horizon(client)
    frame = client.get("/embed/agenda", params={"start": (last - DAY).isoformat(), "lang": "en"})
    assert frame.status_code == 200
    assert "Dates are published" in frame.text
    assert "Dates are published" not in client.get("/embed/agenda", params={"lang": "en"}).text


def test_the_horizon_ends_where_the_last_roll_expanded_to(db, settings, daily):
    now = utcnow()
    with session_scope(db.engine) as session:
        before_any_roll = covered(session, settings, now)
    assert before_any_roll.last_day == _day_before(now + AHEAD * DAY, settings)
    roll_horizon(db.engine, settings, now=now + 2 * DAY)
    shorter = db.settings(horizon_days_ahead=10, horizon_days_back=BACK)
    with session_scope(db.engine) as session:
        assert covered(session, settings, now + 3 * DAY).last_day == _day_before(now + 32 * DAY, settings)
        assert covered(session, shorter, now + 3 * DAY).last_day == _day_before(now + 13 * DAY, settings)


def _day_before(moment: datetime, settings) -> date:
    """The last whole day before `moment`, in the instance's zone."""
    return moment.astimezone(settings.zone).date() - DAY

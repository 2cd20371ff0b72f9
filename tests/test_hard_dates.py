"""The network's calendar and figures read today and at the dates that broke date-sensitive code:
new year's night, both daylight saving weekends, 29 February. The demo network follows the
(frozen) date, so every figure is compared with what the calendar lists at that date."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import icalendar
import pytest
import recurring_ical_events

from hub.filters import PeriodQuery
from tests.clock import MOMENTS, frozen_at
from tests.network import demo_network, harvested_once
from tests.paging import every_item

# One worker runs the module, so each moment's network is served and harvested once.
pytestmark = pytest.mark.xdist_group("hard-dates")


@pytest.fixture(scope="module", params=MOMENTS)
def moment(request):
    """Today, or one of the hard dates with the clock frozen there for the whole module."""
    with frozen_at(request.param) as moment:
        yield moment


@pytest.fixture(scope="module")
def network(moment, tmp_path_factory):
    """The demo network, seeded and served at the moment's date."""
    with demo_network(tmp_path_factory.mktemp("network")) as running:
        yield running


@pytest.fixture(scope="module")
def hub(store, network):
    """A hub that harvested the network once for the module; its tests only read."""
    with harvested_once(store, network) as client:
        yield client


@pytest.fixture
def settings(hub):
    return hub.app.state.settings


def _today(settings) -> date:
    return datetime.now(settings.zone).date()


def test_the_clock_is_at_the_moment(moment, settings):
    if moment is not None:
        assert _today(settings) == moment.astimezone(settings.zone).date()


def test_figures_cover_the_next_twelve_months_by_default_and_count_what_the_calendar_lists(hub, settings):
    today = _today(settings)
    year = today.year
    by_month = hub.get("/api/v1/stats", params={"by": "month"}).json()
    assert by_month["columns"] == ["month", "events", "occurrences"]
    start, end = (datetime.fromisoformat(by_month[key]) for key in ("start", "end"))
    assert start == datetime.combine(today, datetime.min.time(), settings.zone)
    assert (end.year, end.month) == (year + 1, today.month) and end.day <= today.day
    assert by_month["rows"] and all(row[0] >= today.isoformat()[:7] for row in by_month["rows"])
    past = hub.get("/api/v1/stats", params={"by": "month", "period": "past-12-months"}).json()
    assert past["end"] == by_month["start"] and all(row[0] <= today.isoformat()[:7] for row in past["rows"])
    # The calendar holds the year from the horizon's first day on: compare over what it holds.
    held = hub.get("/api/v1/occurrences", params={"limit": 1}).json()["horizon"]["first_day"]
    start = max(f"{year}-01-01", held)
    listed = every_item(hub, "/api/v1/occurrences", start=start, end=f"{year}-12-31")
    assert len(listed) > 0
    for by, count in (("month", 2), ("place", 3)):
        rows = hub.get("/api/v1/stats", params={"by": by, "start": start, "end": f"{year}-12-31"}).json()
        assert sum(row[count] for row in rows["rows"]) == len(listed), by
    by_place = hub.get("/api/v1/stats", params={"by": "place"}).json()
    assert {row[1] for row in by_place["rows"]} <= {
        "La Fabrique du Bocage",
        "L'Escale Coworking",
        "Le Fournil Partagé",
        "La Grange aux Savoirs",
        "L'Atelier des Possibles",
    }


def test_periods_are_twelve_months_and_meet_at_today_at_the_hard_dates(hub, settings):
    today = datetime.now(settings.zone).date()
    coming = PeriodQuery(period="next-12-months").bounds(settings)
    past = PeriodQuery(period="past-12-months").bounds(settings)
    assert coming[0] == today.isoformat() and date.fromisoformat(past[1]) == today - timedelta(days=1)
    for first, last in (coming, past):
        days = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
        assert days in (365, 366), (first, last)
    begin, _ = PeriodQuery().instants(settings)
    assert begin.astimezone(settings.zone).date() == today
    assert PeriodQuery(start="2028-02-29").bounds(settings) == ("2028-02-29", "2029-02-27")
    page = hub.get("/stats", params={"period": "past-12-months", "lang": "en"})
    assert page.status_code == 200 and f'value="{past[0]}"' in page.text and f'value="{past[1]}"' in page.text
    report = hub.get("/stats/report")
    assert report.status_code == 200 and f" {today.year}</h1>" in report.text


def test_figures_of_the_next_three_months_count_what_the_calendar_lists(hub, settings):
    today = _today(settings)
    period = {"start": today.isoformat(), "end": (today + timedelta(days=90)).isoformat()}
    listed = every_item(hub, "/api/v1/occurrences", **period)
    events = {o["event"]["id"] for o in listed}
    assert len(listed) > 20
    for by in ("month", "department", "region", "place", "theme"):
        rows = hub.get("/api/v1/stats", params={"by": by, **period}).json()["rows"]
        if by == "month":
            assert sum(row[2] for row in rows) == len(listed)
            assert [row[0] for row in rows] == sorted(row[0] for row in rows)
        elif by != "theme":  # an event with two themes counts under each
            assert sum(row[3] for row in rows) == len(listed) and sum(row[2] for row in rows) == len(events)
        else:
            assert sum(row[3] for row in rows) >= len(listed)
    in_23 = every_item(hub, "/api/v1/occurrences", department="23", **period)
    by_department = hub.get("/api/v1/stats", params={"by": "department", **period}).json()["rows"]
    assert next(row[3] for row in by_department if row[0] == "23") == len(in_23)


def test_ics_of_a_filtered_view_yields_the_same_occurrences_as_its_json(hub, settings):
    today = datetime.now(settings.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    params = {
        "start": today.isoformat(),
        "end": (today + timedelta(days=120)).isoformat(),
        "department": "23",
    }
    json_view = {
        (o["event"]["id"], o["start"], o["end"]) for o in every_item(hub, "/api/v1/occurrences", **params)
    }
    feed = hub.get("/feeds/events.ics", params={"department": "23", **params})
    calendar = icalendar.Calendar.from_ical(feed.content)
    ics_view = {
        (str(c["UID"]), c["DTSTART"].dt.isoformat(), c["DTEND"].dt.isoformat())
        for c in recurring_ical_events.of(calendar).between(today, today + timedelta(days=120))
    }
    assert ics_view == json_view and len(json_view) > 20


def test_the_weekly_co_lunch_is_at_one_pm_local_every_friday_from_today(hub, settings):
    today = _today(settings)
    lunches = [
        o
        for o in every_item(hub, "/api/v1/occurrences", end=(today + timedelta(days=69)).isoformat())
        if o["title"] == "Co-lunch du vendredi"
    ]
    starts = [datetime.fromisoformat(o["start"]).astimezone(settings.zone) for o in lunches]
    assert len(starts) == 10 and starts[0].date() - today < timedelta(days=7)
    assert all(s.weekday() == 4 and (s.hour, s.minute) == (13, 0) for s in starts)
    assert [b - a for a, b in itertools.pairwise(starts)] == [timedelta(days=7)] * 9

"""`hub demo` builds the demo network, harvests it over real HTTP on 127.0.0.1, and serves it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import httpx
import icalendar
import pytest

from hub.calendar.rules import first_date
from hub.demo import data, network
from hub.demo.network import grange_calendar
from hub.events.schemas import EventIn
from hub.federation.adapters.ics import parse_calendar
from hub.settings import Settings
from tests.processes import Output


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[dict[str, str]]:
    """`hub demo` on ports the system chose, once its first harvest is done: the URLs it printed
    of the hub and the first node."""
    data_dir = tmp_path_factory.mktemp("demo")
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "demo", "--port", "0", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = Output(process)
    try:
        # The hub's URL is printed after the first harvest.
        urls = {
            "node": output.wait_for(r"La Fabrique du Bocage: (http://127\.0\.0\.1:\d+)", 90)[1],
            "hub": output.wait_for(r"^Hub .*: (http://127\.0\.0\.1:\d+)", 90)[1],
        }
        yield urls
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_demo_node_serves_its_place_events_people_and_feeds(demo):
    with httpx.Client(base_url=demo["node"], timeout=10) as node:
        [place] = node.get("/api/v1/places").json()["items"]
        assert place["name"] == "La Fabrique du Bocage"
        titles = {o["title"] for o in node.get("/api/v1/occurrences", params={"limit": 200}).json()["items"]}
        assert {"Co-lunch du vendredi", "Soirée pitch", "Petit-déjeuner des nouveaux"} <= titles
        names = {p["display_name"] for p in node.get("/api/v1/people").json()["items"]}
        assert "Paul Rivière" not in names and "Inès Laforge" in names
        calendar = icalendar.Calendar.from_ical(node.get("/feeds/events.ics").content)
        assert len(calendar.walk("VEVENT")) == 7  # six series and one cancelled occurrence
        assert node.get("/feeds/events.rss").status_code == 200


def test_demo_hub_harvested_every_source_over_http(demo):
    with httpx.Client(base_url=demo["hub"], timeout=10) as hub:
        sources = hub.get("/api/v1/sources").json()["items"]
        assert len(sources) == 5
        assert all(s["healthy"] and s["records_held"] > 0 for s in sources), sources
        places = {p["name"] for p in hub.get("/api/v1/places").json()["items"]}
        assert len(places) == 5 and "La Grange aux Savoirs" in places
        titles = {o["title"] for o in hub.get("/api/v1/occurrences", params={"limit": 500}).json()["items"]}
        assert {
            "Café numérique",
            "Soirée Arduino",
            "Veillée contes",
            "Forum des tiers-lieux du bocage",
        } <= titles
        forum = [e for e in hub.get("/api/v1/events", params={"q": "forum"}).json()["items"]]
        assert all(len(e["organizers"]) == 2 for e in forum)


def test_every_recurring_demo_event_starts_on_a_date_of_its_rule_whatever_today_is(monkeypatch):
    # The demo's dates follow today, and the API refuses a series that starts off its rule. What
    # the demo would write is recorded, for every day of a leap year, instead of stored.
    written: list[EventIn] = []
    stored = SimpleNamespace(id="x", iri="https://demo.example/places/x")
    for module in (data, network):
        monkeypatch.setattr(module, "save_event", lambda _s, _c, event: written.append(event) or stored)
        monkeypatch.setattr(module, "create_place", lambda *_: stored)
        monkeypatch.setattr(module, "save_person", lambda *_: stored)
    settings = Settings(_env_file=None)
    first = date(2028, 1, 1)
    for today in (first + timedelta(days=n) for n in range(366)):
        written.clear()
        data.seed_fabrique(None, settings, today, network.forum(today, stored.iri))
        network.seed_escale(None, settings, today, stored.id, network.forum(today, stored.iri))
        network.seed_fournil(None, settings, today)
        network.seed_atelier(None, settings, today)
        calendar = parse_calendar(grange_calendar(today), source_url="https://grange.example/agenda.ics")
        series = [
            (e.title, e.recurrence.rrule, e.start.replace(tzinfo=settings.zone))
            for e in written
            if e.recurrence
        ] + [
            (r.data["title"], r.data["recurrence"]["rrule"], datetime.fromisoformat(r.data["start"]))
            for r in calendar.records
            if "recurrence" in r.data
        ]
        assert len(series) == 9, today
        for title, rule, start in series:
            assert first_date(rule, start) == start, (today, title)

"""`hub demo` builds the demo network, harvests it over real HTTP on 127.0.0.1, and serves it."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import icalendar
import pytest

from hub.auth.tokens import create_token
from hub.calendar.rules import first_date
from hub.demo import data, network
from hub.demo.network import grange_calendar
from hub.demo.run import NODES
from hub.events.schemas import EventIn
from hub.federation.adapters.ics import parse_calendar
from hub.settings import Settings
from hub.store.db import make_engine, session_scope
from tests.processes import Output

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[dict[str, str]]:
    """`hub demo` on ports the system chose, once its first harvest is done: what the README
    writes, and what it is in this run: the URL of each server by the address the README gives it
    (`http://127.0.0.1:8000` for the hub, 8001 to 8004 for the nodes, 8005 for the calendar), the
    coordinator token the demo printed, and a write token of the first node. Stopped as the README
    says, by Ctrl-C."""
    data_dir = tmp_path_factory.mktemp("demo")
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "demo", "--port", "0", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ | {"COLUMNS": "200"},  # one URL a line, however long
    )
    output = Output(process)
    url = r"(http://127\.0\.0\.1:\d+)"
    try:
        coordinator = output.wait_for(r"^Coordinator token \(admin on the hub\): (\S+)$", 90)[1]
        hub = output.wait_for(rf"^Hub .*: {url}$", 90)[1]  # printed after the first harvest
        nodes = [output.wait_for(rf"^  {re.escape(name)}: {url}$", 1)[1] for name in NODES]
        calendar = output.wait_for(rf"calendar only\): {url}/agenda\.ics$", 1)[1]
        port = nodes[0].rsplit(":", 1)[1]
        node_store = make_engine(f"sqlite:///{data_dir / f'node-{port}.db'}")
        with session_scope(node_store) as session:
            writer = create_token(session, "site du lieu", ["write"])[1]
        node_store.dispose()
        served = {f"http://127.0.0.1:{8000 + i}": u for i, u in enumerate([hub, *nodes, calendar])}
        yield served | {"$COORDINATOR_TOKEN": coordinator, "$WRITE_TOKEN": writer}
    finally:
        process.send_signal(signal.SIGINT)
        stopped = process.wait(timeout=30)
    assert stopped == 0


def test_demo_node_serves_its_place_events_people_and_feeds(demo):
    with httpx.Client(base_url=demo["http://127.0.0.1:8001"], timeout=10) as node:
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
    with httpx.Client(base_url=demo["http://127.0.0.1:8000"], timeout=10) as hub:
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


def _readme_examples() -> list[str]:
    """The `curl` lines of the README's shell blocks."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.startswith("curl ")]


def _says_something(body: str) -> bool:
    """A list with items, a record just written, a calendar with events, or a table with rows
    under its header."""
    try:
        answer = json.loads(body)
    except ValueError:
        return "BEGIN:VEVENT" in body or len(body.strip().splitlines()) > 1
    return bool(answer["items"]) if "items" in answer else "id" in answer


def test_readme_examples_answer_on_the_demo(demo):
    examples = _readme_examples()
    assert len(examples) >= 8
    for example in examples:
        args = shlex.split(example, comments=True)
        for documented, url in demo.items():
            args = [arg.replace(documented, url) for arg in args]
        # --noproxy: the examples go to 127.0.0.1 only, whatever proxy the machine has.
        done = subprocess.run(
            [*args, "--fail", "--silent", "--show-error", "--noproxy", "*", "--max-time", "30"],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, (example, done.stderr)
        assert _says_something(done.stdout), (example, done.stdout[:500])


def test_the_coordinator_token_opens_the_profiles_members_opened_to_the_network_only(demo):
    with httpx.Client(base_url=demo["http://127.0.0.1:8000"], timeout=10) as hub:
        asked = {"skill": "compta"}
        assert hub.get("/api/v1/people", params=asked).json()["items"] == []
        token = {"Authorization": f"Bearer {demo['$COORDINATOR_TOKEN']}"}
        assert hub.get("/api/v1/people", params=asked, headers=token).json()["items"] != []


def test_every_recurring_demo_event_starts_on_a_date_of_its_rule_whatever_today_is(monkeypatch):
    # The demo's dates follow today, and the API refuses a series that starts off its rule. What
    # the demo would write is recorded, for every day of a leap year, instead of stored.
    written: list[EventIn] = []
    stored = SimpleNamespace(id="x", iri="https://demo.example/places/x")
    for module in (data, network):
        monkeypatch.setattr(module, "save_event", lambda _s, _c, event: written.append(event) or stored)
        monkeypatch.setattr(module, "create_place", lambda *_: stored)
        monkeypatch.setattr(module, "save_person", lambda *_: stored)
    monkeypatch.setattr(network, "create_need", lambda *_: stored)
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

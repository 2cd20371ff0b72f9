"""The live wall (`/wall`): a kiosk page for the screen of a tiers-lieu, in French or English.

It shows what is on now and next across the network or a territory, the day of the place it hangs
in, the members who arrived lately and the skills they offer (public profiles only), and the
figures of the week; it follows the data through a server-sent event stream, and asks nothing of
another server."""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic

import httpx
import pytest
import time_machine
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from hub.api.app import create_app
from hub.demo.run import register_network
from hub.events.schemas import EventIn
from hub.events.service import get_event, save_event
from hub.federation.harvester import all_sources, harvest_many
from hub.horizon import roll_if_due
from hub.needs.schemas import NeedIn
from hub.needs.service import create_need
from hub.people.models import Person
from hub.people.schemas import PersonIn
from hub.people.service import save_person, withdraw_consent
from hub.places.schemas import PlaceIn
from hub.places.service import create_place, own_places
from hub.settings import Settings
from hub.store.db import session_scope
from hub.web import live
from tests.browser import screenshot, serious_violations
from tests.clock import PARIS
from tests.factories import YEAR
from tests.servers import serve
from tests.stores import BASE_URL, Store

pytestmark = pytest.mark.xdist_group("wall")

# A Wednesday afternoon of March ahead of today (its week in winter time): the clock of the content
# tests. The Friday after it is in "next".
_MARCH = date(YEAR, 3, 8)
NOW = datetime.combine(_MARCH + timedelta(days=(2 - _MARCH.weekday()) % 7), time(15), PARIS)
THURSDAY, FRIDAY = (NOW + timedelta(days=1)).day, (NOW + timedelta(days=2)).day
EVERYTHING = ["display_name", "bio", "skills", "badges", "places", "links", "contact"]


@dataclass
class Seeded:
    ruche: str  # the place in the Creuse (department 23, region 75)
    phare: str  # the place in Ille-et-Vilaine (department 35, region 53)


def _event(session, settings: Settings, title: str, place: str, start: timedelta, hours: float, **fields):
    begin = NOW + start
    data = EventIn(title=title, start=begin, end=begin + timedelta(hours=hours), place=place, **fields)
    save_event(session, settings, data)


def _person(session, settings: Settings, name: str, place: str, **fields) -> Person:
    data = {"display_name": name, "places": [place], "consent": {"fields": EVERYTHING}} | fields
    return save_person(session, settings.base_url, PersonIn.model_validate(data))


def seed(store: Store, settings: Settings) -> Seeded:
    """Two places in two regions, their afternoon, and members who chose differently what to show."""
    with session_scope(store.engine) as session:
        ruche = create_place(
            session,
            settings.base_url,
            PlaceIn(name="La Ruche de Guéret", address={"postal_code": "23000", "city": "Guéret"}),
        )
        phare = create_place(
            session,
            settings.base_url,
            PlaceIn(name="Le Phare de Rennes", address={"postal_code": "35000", "city": "Rennes"}),
        )
        _event(session, settings, "Atelier soudure", ruche.id, timedelta(minutes=-30), 1.5)
        _event(session, settings, "Café des bénévoles", phare.id, timedelta(minutes=-15), 1)
        _event(session, settings, "Hackathon", phare.id, timedelta(days=-1, hours=-5), 50)
        _event(session, settings, "Conférence du matin", ruche.id, timedelta(hours=-5), 2)
        _event(session, settings, "Soirée jeux", ruche.id, timedelta(hours=3), 2)
        _event(session, settings, "Repair café", phare.id, timedelta(hours=1), 2, status="cancelled")
        _event(session, settings, "Pitch de vendredi", phare.id, timedelta(days=2), 2)
        _event(session, settings, "Fête du mois prochain", ruche.id, timedelta(days=30), 2)
        public = {field: "public" for field in EVERYTHING}
        _person(
            session,
            settings,
            "Alix Fontaine",
            ruche.id,
            skills=["soudure"],
            badges=["maker"],
            visibility=public | {"contact": "private"},
            contact={"email": "alix@example.org"},
        )
        _person(
            session,
            settings,
            "Bruno Carrel",
            phare.id,
            bio="Bio réservée au réseau",
            skills=["tricot"],
            visibility={"display_name": "public", "places": "public", "bio": "network", "skills": "network"},
        )
        _person(
            session, settings, "Chloé Marin", ruche.id, skills=["couture"], visibility={"skills": "public"}
        )
        _person(
            session,
            settings,
            "Fanny Le Goff",
            ruche.id,
            skills=["menuiserie secrète"],
            visibility=public | {"skills": "private"},
        )
        never = PersonIn(
            display_name="Denis Rouault", places=[ruche.id], skills=["jonglage"], visibility=public
        )
        save_person(session, settings.base_url, never)
        gone = _person(session, settings, "Émile Garnier", ruche.id, skills=["reliure"], visibility=public)
        withdraw_consent(session, gone.id)
        create_need(session, settings, NeedIn(title="Besoin d'une découpe laser", author=ruche.id))
        create_need(
            session,
            settings,
            NeedIn(kind="offer", title="Compta d'asso entre membres", author=phare.id, visibility="network"),
        )
        old = _person(session, settings, "Gaston Vieux", ruche.id, skills=["poterie"], visibility=public)
        old.created_at = old.updated_at = NOW - timedelta(days=90)
        session.add(old)
        return Seeded(ruche.id, phare.id)


@pytest.fixture
def wall(db: Store) -> Iterator[tuple[TestClient, Seeded]]:
    """A hub holding the two places, at NOW."""
    settings = db.settings(role="hub", harvest_in_process=False)
    with time_machine.travel(NOW, tick=True):
        seeded = seed(db, settings)
        roll_if_due(db.engine, settings)
        with TestClient(create_app(settings, engine=db.engine)) as client:
            yield client, seeded


def sections(page) -> dict[str, BeautifulSoup]:
    """Each section of the wall by its name."""
    assert page.status_code == 200, page.text
    soup = BeautifulSoup(page.text, "html.parser")
    return {s["class"][1].removeprefix("wall-"): s for s in soup.select("section.wall-section")}


def lines(section) -> list[str]:
    return [" ".join(li.get_text(" ").split()) for li in section.select("li")]


def titles(section) -> list[str]:
    return [what.get_text() for what in section.select(".what")]


def test_the_wall_shows_now_next_and_the_week_of_the_whole_network_in_french(wall):
    client, _ = wall
    page = client.get("/wall")
    shown = sections(page)
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in page.text and "Le mur des tiers-lieux" in page.text
    assert list(shown) == ["now", "next", "newcomers", "offers", "needs", "week"]
    assert shown["now"].h2.get_text() == "En ce moment"
    assert titles(shown["now"]) == ["Hackathon", "Atelier soudure", "Café des bénévoles"]
    assert lines(shown["now"])[:2] == [
        f"jusqu'à jeudi {THURSDAY} mars 12:00 Hackathon Le Phare de Rennes",
        "jusqu'à 16:00 Atelier soudure La Ruche de Guéret",
    ]
    assert titles(shown["next"]) == ["Repair café", "Soirée jeux", "Pitch de vendredi"]
    assert "Annulé" in lines(shown["next"])[0]
    assert lines(shown["next"])[2].startswith(f"Vendredi {FRIDAY} mars · 15:00")
    figures = {
        dt.get_text(): dd.get_text() for dt, dd in zip(shown["week"]("dt"), shown["week"]("dd"), strict=True)
    }
    assert figures == {"Événements": "7", "Dates": "7", "Lieux actifs": "2", "Nouveaux membres": "3"}


def test_a_place_s_wall_adds_its_day_and_a_territory_narrows_the_rest(wall):
    client, seeded = wall
    shown = sections(client.get("/wall", params={"department": "23", "place": seeded.ruche}))
    assert list(shown) == ["now", "next", "here", "newcomers", "offers", "needs", "week"]
    assert shown["here"].h2.get_text() == "Aujourd'hui à La Ruche de Guéret"
    # What is left of its day: the morning's conference is over.
    assert titles(shown["here"]) == ["Atelier soudure", "Soirée jeux"]
    assert lines(shown["here"]) == ["14:30 – 16:00 Atelier soudure", "18:00 – 20:00 Soirée jeux"]
    assert titles(shown["now"]) == ["Atelier soudure"]
    assert titles(shown["next"]) == ["Soirée jeux"]
    assert titles(shown["newcomers"]) == ["Fanny Le Goff", "Alix Fontaine"]
    breton = sections(client.get("/wall", params={"region": "53"}))
    assert titles(breton["now"]) == ["Hackathon", "Café des bénévoles"]
    assert titles(breton["newcomers"]) == ["Bruno Carrel"]
    assert titles(breton["offers"]) == []


def test_only_what_members_show_anyone_is_on_the_wall(wall):
    client, _ = wall
    page = client.get("/wall")
    shown = sections(page)
    # The newest first.
    assert titles(shown["newcomers"]) == ["Fanny Le Goff", "Bruno Carrel", "Alix Fontaine"]
    assert lines(shown["newcomers"]) == [
        "Fanny Le Goff La Ruche de Guéret",
        "Bruno Carrel Le Phare de Rennes",
        "Alix Fontaine La Ruche de Guéret · maker · Soudure",
    ]
    assert lines(shown["offers"]) == ["Soudure avec Alix Fontaine"]
    # A need posted today for all to see; an offer shown to the network only is not on the wall.
    assert lines(shown["needs"]) == ["Besoin Besoin d'une découpe laser La Ruche de Guéret"]
    # Network-only and private fields, profiles shown to the network only, never consented,
    # withdrawn: none of them, anywhere on the page or its fragment.
    fragment = client.get("/wall/fragment")
    for hidden in (
        "tricot",
        "Bio réservée",
        "menuiserie secrète",
        "Chloé Marin",
        "couture",
        "Denis Rouault",
        "jonglage",
        "Émile Garnier",
        "reliure",
        "alix@example.org",
        "Compta d'asso",
    ):
        assert hidden not in page.text and hidden not in fragment.text, hidden
    # Arrived three months ago: a member, no longer a newcomer.
    assert "Gaston Vieux" not in page.text


def test_the_wall_speaks_english_when_asked(wall):
    client, seeded = wall
    page = client.get("/wall", params={"lang": "en", "place": seeded.ruche})
    shown = sections(page)
    assert '<html lang="en">' in page.text
    assert [s.h2.get_text() for s in shown.values()] == [
        "Happening now",
        "Coming next",
        "Today at La Ruche de Guéret",
        "Welcome to our newcomers",
        "Skills to share",
        "Needs and offers of the day",
        "This week",
    ]
    assert lines(shown["now"])[:2] == [
        f"until Thursday {THURSDAY} March 12:00 Hackathon Le Phare de Rennes",
        "until 16:00 Atelier soudure La Ruche de Guéret",
    ]
    assert lines(shown["next"])[-1].startswith(f"Friday {FRIDAY} March · 15:00")
    assert (
        "stream" in page.text and "lang=en" in BeautifulSoup(page.text, "html.parser").body["data-fragment"]
    )


def test_the_wall_holds_on_the_dates_that_broke_date_code(any_day, db):
    """New year's eve after 23:00 UTC, the short and the long Sunday of daylight saving time, 29
    February: an event under way at the place is now, today there, and this week."""
    settings = db.settings(role="hub", harvest_in_process=False)
    now = datetime.now(PARIS)
    start = max(now - timedelta(minutes=10), datetime.combine(now.date(), time(0), PARIS))
    with session_scope(db.engine) as session:
        place = create_place(session, settings.base_url, PlaceIn(name="La Veille")).id
        save_event(
            session,
            settings,
            EventIn(title="Veillée", start=start, end=now + timedelta(hours=2), place=place),
        )
    with TestClient(create_app(settings, engine=db.engine)) as client:
        shown = sections(client.get("/wall", params={"place": place}))
    assert titles(shown["now"]) == titles(shown["here"]) == ["Veillée"]
    assert shown["week"].dd.get_text() == "1"


def _said(page) -> str:
    """What an error page says, without its tags."""
    found = BeautifulSoup(page.text, "html.parser").select_one("main p")
    assert found is not None, page.text[:2000]
    return found.get_text().strip()


def test_a_refused_filter_is_said_on_the_page_in_its_language_and_named_in_a_problem_document(wall):
    client, _ = wall
    cases = [
        ({"regoin": "75"}, "Paramètre inconnu\u00a0: «\u00a0regoin\u00a0». Vouliez-vous dire Région\u00a0?"),
        (
            {"department": "999"},
            "Département\u00a0: «\u00a0999\u00a0» ne fait pas partie des choix possibles.",
        ),
        ({"place": "nulle-part"}, "Lieu\u00a0: «\u00a0nulle-part\u00a0» n'est pas un lieu connu ici."),
    ]
    for query, said in cases:
        page = client.get("/wall", params=query)
        assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
        assert _said(page) == said
    english = client.get("/wall", params={"place": "nulle-part", "lang": "en"})
    assert _said(english) == "Place: “nulle-part” is not a place known here."
    for path in ("/wall", "/wall/fragment", "/wall/stream"):
        for query, field in (
            ({"regoin": "75"}, "regoin"),
            ({"region": "99"}, "region"),
            ({"place": "x"}, "place"),
        ):
            if path == "/wall/stream" and field == "place":
                continue  # the stream says when the data changes, whatever the place
            answer = client.get(path, params=query, headers={"Accept": "application/json"})
            assert answer.status_code == 422, (path, query)
            assert answer.headers["content-type"] == "application/problem+json", (path, query)
            assert answer.json()["errors"][0]["field"] == field, (path, query)


def test_the_fragment_is_the_wall_s_sections_alone_never_kept(wall):
    client, seeded = wall
    page = BeautifulSoup(client.get("/wall", params={"place": seeded.ruche}).text, "html.parser")
    fragment = client.get("/wall/fragment", params={"place": seeded.ruche, "lang": "fr"})
    assert fragment.headers["cache-control"] == "no-store"
    assert fragment.text.lstrip().startswith('<div id="live"')
    shown, alone = page.select_one("#live"), BeautifulSoup(fragment.text, "html.parser").select_one("#live")
    assert re.fullmatch("[0-9a-f]{16}", shown["data-version"])
    assert str(shown) == str(alone)
    # Its own script only, and requests to its own origin only.
    policy = client.get("/wall").headers["content-security-policy"]
    assert "script-src 'self';" in policy and "default-src 'self'" in policy and "unsafe" not in policy
    body = page.body
    assert body["data-fragment"] == f"/wall/fragment?place={seeded.ruche}&lang=fr"
    assert body["data-stream"] == f"/wall/stream?place={seeded.ruche}&lang=fr"
    # Without script, the page reloads itself every minute.
    assert page.select_one('noscript meta[http-equiv="refresh"]')["content"] == "60"


@contextmanager
def served_wall(db: Store, **options) -> Iterator[str]:
    """A hub on `db`, over HTTP, its walls looking at the data every 50 ms. Its horizon is rolled
    first, as the app would roll it as it starts: the data version then holds still."""
    settings = {"role": "hub", "harvest_in_process": False, "wall_poll_seconds": 0.05, **options}
    roll_if_due(db.engine, db.settings(**settings))
    with serve(lambda base: create_app(db.settings(**settings, base_url=base), engine=db.engine)) as url:
        yield url


def _events(response) -> Iterator[tuple[str, str]]:
    """(field, value) of each line of a server-sent event stream; ("", comment) for a comment."""
    for line in response.iter_lines():
        if line:
            field, _, value = line.partition(":")
            yield field, value.strip()


def _change(db: Store, name: str) -> None:
    with session_scope(db.engine) as session:
        create_place(session, BASE_URL, PlaceIn(name=name))


def test_the_stream_says_the_version_at_once_then_each_change_with_comments_between(db, monkeypatch):
    monkeypatch.setattr(live, "HEARTBEAT", 0.2)
    monkeypatch.setattr(live, "STREAM_SECONDS", 3)
    with served_wall(db) as url, httpx.stream("GET", f"{url}/wall/stream", timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        lines = _events(response)
        assert next(lines) == ("retry", "3000")
        assert next(lines) == ("event", "version")
        field, first = next(lines)
        page = BeautifulSoup(httpx.get(f"{url}/wall").text, "html.parser")
        assert field == "data" and first == page.select_one("#live")["data-version"]
        assert next(lines) == ("", "still here")
        _change(db, "Le Tiers-lieu du changement")
        between = list(itertools.takewhile(lambda line: line != ("event", "version"), lines))
        assert set(between) <= {("", "still here")}
        field, second = next(lines)
        assert field == "data" and second != first
        # Once its time is up, the stream ends: the browser opens another after `retry`.
        assert set(lines) <= {("", "still here")}


def test_streams_past_the_bound_are_refused_busy_and_a_closed_one_frees_its_place(db):
    with served_wall(db, wall_streams_max=1) as url:
        with httpx.stream("GET", f"{url}/wall/stream", timeout=10) as first:
            lines = _events(first)
            assert next(lines) == ("retry", "3000")
            refused = httpx.get(f"{url}/wall/stream", timeout=10)
            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["type"].endswith("/busy")
        deadline = monotonic() + 10
        while _opens(url) == 503:
            assert monotonic() < deadline, "the closed stream kept its place"


def _opens(url: str) -> int:
    """The status a new stream is answered with (the stream closed at once)."""
    with httpx.stream("GET", f"{url}/wall/stream", timeout=10) as response:
        return response.status_code


# The browser's tests come last: they share one hub per database, which the tests above (`db`)
# would empty.


@dataclass
class ServedHub:
    url: str
    settings: Settings
    store: Store
    place: str  # La Fabrique du Bocage, harvested from the first node


def harvest(hub: ServedHub) -> None:
    """Harvest every source now, in another thread: Playwright's sync API keeps a loop in this one."""
    work = harvest_many(hub.store.engine, hub.settings, all_sources(hub.store.engine))
    with ThreadPoolExecutor(1) as pool:
        reports = pool.submit(asyncio.run, work).result()
    assert all(r.ok for r in reports), [r.error for r in reports]


@pytest.fixture(scope="module")
def served(store, network) -> Iterator[ServedHub]:
    """A hub that harvested the demo network, served over HTTP, its walls looking every 50 ms."""
    options = {
        "role": "hub",
        "allowed_private_networks": ["127.0.0.1/32"],
        "harvest_in_process": False,
        "wall_poll_seconds": 0.05,
    }
    settings = store.settings(**options)
    nodes = [(n.base_url, t) for n, t in zip(network.nodes, network.tokens, strict=True)]
    register_network(store.engine, settings, nodes, network.calendar_url)
    try:
        app = lambda base: create_app(store.settings(**options, base_url=base), engine=store.engine)  # noqa: E731
        with serve(app) as url:
            hub = ServedHub(url, settings, store, "")
            harvest(hub)
            places = httpx.get(f"{url}/api/v1/places", params={"q": "Fabrique"}).json()["items"]
            hub.place = places[0]["uid"]
            yield hub
    finally:
        store.empty()


@pytest.fixture(scope="module")
def chromium(chromium_browser):
    return chromium_browser


# The size of the wall's type (its base, and its smallest text), and whether it fits the screen's width.
TYPE = """() => {
  const size = (element) => parseFloat(getComputedStyle(element).fontSize);
  const texts = [...document.querySelectorAll("#live *")].filter((e) => e.childNodes.length
    && [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()));
  const root = document.documentElement;
  return [size(document.body), Math.min(...texts.map(size)), root.scrollWidth <= root.clientWidth];
}"""


@contextmanager
def wall_tab(chromium, hub: ServedHub, query: str = "", *, width: int = 1920, height: int = 1080):
    """The hub's wall in a French browser tab; fails on an error in its console or its script, and
    on any request to another origin than the hub's (the wall works offline from the internet)."""
    context = chromium.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda r: None if r.url.startswith(hub.url) else problems.append(f"asked {r.url}"))
    try:
        page.goto(f"{hub.url}/wall{query}")
        expect(page.locator("#live")).to_have_attribute("data-version", re.compile(r"^[0-9a-f]{16}$"))
        yield page
        assert problems == []
    finally:
        context.close()


@pytest.mark.parametrize(
    ("screen", "width", "height"), [("phone", 390, 844), ("tv", 1920, 1080)], ids=["phone", "tv"]
)
def test_the_wall_reads_from_afar_on_a_television_and_fits_a_phone(served, chromium, screen, width, height):
    if served.store.kind != "sqlite":
        pytest.skip("the markup does not depend on the store: audited once")
    with wall_tab(chromium, served, f"?place={served.place}", width=width, height=height) as page:
        headings = page.locator("h2").all_inner_texts()
        assert headings[:3] == ["En ce moment", "À suivre", "Aujourd'hui à La Fabrique du Bocage"]
        body, smallest, fits = page.evaluate(TYPE)
        assert fits, "the wall scrolls sideways"
        if screen == "tv":
            assert body >= 28 and smallest >= 24, (body, smallest)
        else:
            assert body >= 17 and smallest >= 14, (body, smallest)
        assert serious_violations(page) == []
        screenshot(page, f"wall-{screen}-{served.store.kind}", full_page=False)


def test_a_harvested_change_reaches_an_open_wall_within_seconds(served, network, chromium):
    title = f"Week-end de fabrication ({served.store.kind})"
    with wall_tab(chromium, served) as page:
        under_way = page.locator(".wall-now .what")
        assert title not in under_way.all_inner_texts()
        node = network.nodes[0]
        with node.session() as session:
            place = own_places(session, 1)[0]
            now = datetime.now(node.settings.zone).replace(microsecond=0)
            # Under way since nearly two days: among the first events under way (the node keeps
            # the one of the other store's run, which started earlier).
            start = now - timedelta(days=1, hours=23)
            save_event(
                session,
                node.settings,
                EventIn(title=title, start=start, end=now + timedelta(hours=1), place=place.id),
            )
        harvest(served)
        expect(under_way.filter(has_text=title)).to_be_visible(timeout=5000)
        screenshot(page, f"wall-harvested-{served.store.kind}", full_page=False)


# Each replacement of the wall's sections, counted in the page.
COUNT_REPLACEMENTS = """() => {
  window.replaced = 0;
  const count = new MutationObserver(() => { window.replaced += 1; });
  count.observe(document.querySelector("main"), { childList: true });
}"""


def _memory(cdp) -> dict[str, float]:
    """The tab's nodes, listeners and used JS heap, after a full garbage collection."""
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {name: metrics[name] for name in ("Nodes", "JSEventListeners", "JSHeapUsedSize")}


def _settled(page, hub: ServedHub, cdp):
    """`cdp` once the wall shows the data as it is (no change coming, no reload on its way)."""
    latest = BeautifulSoup(httpx.get(f"{hub.url}/wall/fragment").text, "html.parser")
    shows = "version => document.getElementById('live').dataset.version === version"
    page.wait_for_function(shows, arg=latest.select_one("#live")["data-version"], timeout=10_000)
    return cdp


def test_a_wall_open_through_200_changes_keeps_its_memory(served, chromium):
    if served.store.kind != "sqlite":
        pytest.skip("the page's memory does not depend on the database")
    with session_scope(served.store.engine) as session:
        place = create_place(session, served.settings.base_url, PlaceIn(name="Le Compteur"))
        now = datetime.now(served.settings.zone).replace(microsecond=0)
        counted = EventIn(
            title="Compteur 0", start=now - timedelta(days=1), end=now + timedelta(days=1), place=place.id
        )
        event_id = save_event(session, served.settings, counted).id
    numbers = itertools.count(1)

    @contextmanager
    def changing() -> Iterator[None]:
        """The counted event renamed every 20 ms, until the block ends."""
        stop = threading.Event()

        def change() -> None:
            while not stop.wait(0.02):
                with session_scope(served.store.engine) as session:
                    data = counted.model_copy(update={"title": f"Compteur {next(numbers)}"})
                    save_event(session, served.settings, data, event=get_event(session, event_id))

        writer = threading.Thread(target=change)
        writer.start()
        try:
            yield
        finally:
            stop.set()
            writer.join()

    with wall_tab(chromium, served) as page:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.evaluate(COUNT_REPLACEMENTS)
        with changing():
            page.wait_for_function("() => window.replaced >= 10", timeout=30_000)
        before = _memory(_settled(page, served, cdp))
        with changing():
            page.wait_for_function("() => window.replaced >= 210", timeout=60_000)
        after = _memory(_settled(page, served, cdp))
        assert page.locator(".wall-now .what", has_text="Compteur").count() == 1
    # Two hundred replacements later, the page holds one copy of the sections, its listeners, and
    # about the heap it had.
    assert after["Nodes"] <= before["Nodes"] * 1.1, (before, after)
    assert after["JSEventListeners"] <= before["JSEventListeners"], (before, after)
    assert after["JSHeapUsedSize"] <= before["JSHeapUsedSize"] * 1.2, (before, after)

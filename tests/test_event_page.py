"""The page of an event as a person uses it: where exactly (the address and a small map drawn
from the places the hub holds), add it to a calendar (`/events/{id}.ics`, that event alone),
share it with plain links, its picture and its organizers' public contact; and as a link
preview reads it (Open Graph). No request leaves the site unless the operator names a tile
server; the page is read in Chromium at phone and desktop sizes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import icalendar
import lxml.html
import pytest
import time_machine
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from hub.api.app import create_app
from hub.events.schemas import EventIn
from hub.events.service import save_event
from hub.federation.harvester import all_sources, harvest_many
from hub.federation.registry import SourceIn, add_source
from hub.places.schemas import PlaceIn
from hub.places.service import create_place
from hub.settings import Settings
from hub.store.db import session_scope
from tests import factories
from tests.browser import screenshot, serious_violations
from tests.paging import every_item
from tests.reference_clients import ical_js_occurrences
from tests.servers import running_node, serve

CLOCK = datetime(2027, 1, 15, 9, tzinfo=UTC)
RANGE = (datetime(2027, 1, 20, tzinfo=UTC), datetime(2027, 12, 31, tzinfo=UTC))
GUERET = factories.place(
    name="L'Escale Coworking",
    address={"street": "3 place du Marché", "postal_code": "23000", "city": "Guéret"},
    geo={"lat": 46.1713, "lon": 1.8713},
    contact={"email": "bonjour@escale.example", "phone": "05 55 00 00 00"},
)
CREUSE = [
    factories.place(
        name="La Grange aux Savoirs",
        address={"postal_code": "23130", "city": "Chénérailles"},
        geo={"lat": 46.1125, "lon": 2.1767},
    ),
    factories.place(
        name="Le Fournil Partagé",
        address={"postal_code": "23200", "city": "Aubusson"},
        geo={"lat": 45.9558, "lon": 2.1683},
    ),
]
LIMOGES = factories.place(
    name="Le Labo de Limoges",
    address={"postal_code": "87000", "city": "Limoges"},
    geo={"lat": 45.8336, "lon": 1.2611},
)
CO_LUNCH = factories.co_lunch(
    description="<p>On apporte son repas et on fait connaissance. " + "Bienvenue à toutes et tous ! " * 12,
    recurrence={"rrule": "FREQ=WEEKLY;BYDAY=FR", "exdates": ["2027-04-16T12:30:00+02:00"]},
    registration_url="https://inscriptions.example.org/co-lunch",
    image="https://images.example.org/co-lunch.jpg",
)


@pytest.fixture
def frozen_clock():
    with time_machine.travel(CLOCK):
        yield


def _post(client, writer, path: str, data: dict) -> dict:
    created = client.post(path, json=data, headers=writer)
    assert created.status_code == 201, created.text
    return created.json()


def _network(client, writer, **changes) -> dict:
    """Three places in Creuse, one in Haute-Vienne, and the co-lunch at the first one."""
    escale = _post(client, writer, "/api/v1/places", GUERET)
    for place in [*CREUSE, LIMOGES]:
        _post(client, writer, "/api/v1/places", place)
    _post(client, writer, "/api/v1/events", factories.event(title="Autre chose", place=escale["uid"]))
    return _post(client, writer, "/api/v1/events", {**CO_LUNCH, "place": escale["uid"], **changes})


def _page(client, uid: str, **params):
    response = client.get(f"/events/{uid}", params=params, headers={"Accept": "text/html"})
    assert response.status_code == 200
    return response, lxml.html.fromstring(response.text)


def _meta(tree, key: str) -> str | None:
    found = tree.xpath(f"//meta[@property='{key}' or @name='{key}']/@content")
    return found[0] if found else None


def _lines(element) -> str:
    """An element's text, a line break read as a space."""
    return " ".join(" ".join(element.itertext()).split())


# The calendar of one event


def test_event_ics_holds_that_series_alone_as_thunderbird_reads_it(frozen_clock, client, writer):
    event = _network(client, writer)
    answer = client.get(f"/events/{event['uid']}.ics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    assert answer.headers["content-disposition"] == f'attachment; filename="{event["uid"]}.ics"'
    calendar = icalendar.Calendar.from_ical(answer.content)
    assert {str(v["UID"]) for v in calendar.walk("VEVENT")} == {event["id"]}
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    [master] = [v for v in calendar.walk("VEVENT") if "RRULE" in v]
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=FR" and "EXDATE" in master
    assert "Le Labo" not in answer.text and "Autre chose" not in answer.text
    assert "3 place du Marché" in master["LOCATION"]

    start, end = RANGE
    api = {
        (o["start"], o["status"], o["title"])
        for o in every_item(client, "/api/v1/occurrences", start=start.isoformat(), end=end.isoformat())
        if o["event"]["id"] == event["id"]
    }
    status = {"CONFIRMED": "scheduled", "CANCELLED": "cancelled"}
    read = {
        (datetime.fromisoformat(o["start"]), status[o["status"]], o["summary"])
        for o in ical_js_occurrences(answer.content, start, end)
    }
    assert read == {(datetime.fromisoformat(s), st, t) for s, st, t in api}
    assert len(read) > 40 and ("cancelled" in {r[1] for r in read})

    again = client.get(f"/events/{event['uid']}.ics", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304


def test_event_ics_of_an_event_elsewhere_is_written_in_its_own_zone(frozen_clock, client, writer):
    visio = _post(
        client,
        writer,
        "/api/v1/events",
        factories.event(
            title="Visio avec un réseau québécois",
            start="2027-10-28T10:00:00-04:00",
            end="2027-10-28T11:00:00-04:00",
            timezone="America/Toronto",
        ),
    )
    calendar = icalendar.Calendar.from_ical(client.get(f"/events/{visio['uid']}.ics").content)
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["America/Toronto"]
    assert calendar["X-WR-TIMEZONE"] == "America/Toronto"
    assert "RRULE" not in calendar.walk("VEVENT")[0]


def test_event_ics_of_no_event_is_a_problem_document(client):
    missing = client.get("/events/no-such-event.ics")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


# What the page shows


def test_event_page_shows_the_full_address_the_calendar_link_and_the_organizers_contact(
    frozen_clock, client, writer
):
    event = _network(client, writer)
    _, tree = _page(client, event["uid"])
    address = _lines(tree.xpath("//dl[@class='facts']//address")[0])
    assert address == "3 place du Marché 23000 Guéret"
    [ics] = tree.xpath("//a[@download]/@href")
    assert ics == f"/events/{event['uid']}.ics"
    assert tree.xpath("//a[@class='button']/@href") == ["https://inscriptions.example.org/co-lunch"]
    contact = tree.xpath("//dt[.='Contact']/following-sibling::dd[1]")[0]
    assert contact.xpath(".//a/@href") == ["mailto:bonjour@escale.example", "tel:0555000000"]


def test_event_page_previews_with_open_graph_and_a_short_description(frozen_clock, client, writer, settings):
    event = _network(client, writer)
    response, tree = _page(client, event["uid"], lang="en")
    page_url = f"{settings.base_url}/events/{event['uid']}"
    assert _meta(tree, "og:title") == "Co-lunch du vendredi"
    assert _meta(tree, "og:url") == page_url
    assert _meta(tree, "og:type") == "website"
    assert _meta(tree, "og:image") == "https://images.example.org/co-lunch.jpg"
    assert _meta(tree, "og:locale") == "en_GB"
    description = _meta(tree, "description")
    assert description == _meta(tree, "og:description")
    assert description.startswith("On apporte son repas") and description.endswith("…")
    assert len(description) <= 200
    [image] = tree.xpath("//main//img")
    assert image.get("src") == "https://images.example.org/co-lunch.jpg"
    assert image.get("referrerpolicy") == "no-referrer"
    # The picture's server is the one other origin the page may load an image from.
    csp = response.headers["content-security-policy"]
    assert "img-src 'self' data: https://images.example.org;" in csp


def test_event_page_without_a_picture_or_description_says_when_and_where(client, writer):
    place = _post(client, writer, "/api/v1/places", factories.place(name="Le Fournil"))
    event = _post(client, writer, "/api/v1/events", factories.event(place=place["uid"]))
    response, tree = _page(client, event["uid"])
    assert _meta(tree, "og:image") is None and tree.xpath("//main//img") == []
    assert _meta(tree, "description").endswith(", Le Fournil")
    assert "img-src 'self' data:;" in response.headers["content-security-policy"]


def test_share_links_are_plain_links_with_no_tracking(frozen_clock, client, writer, settings):
    event = _network(client, writer)
    _, tree = _page(client, event["uid"])
    links = tree.xpath("//section[@aria-labelledby='share-title']//a")
    hrefs = [a.get("href") for a in links]
    assert hrefs[0].startswith("mailto:?subject=Co-lunch%20du%20vendredi&body=")
    assert {re.match(r"https://([^/]+)/", h).group(1) for h in hrefs[1:]} == {
        "s2f.kytta.dev",
        "bsky.app",
        "www.linkedin.com",
        "www.facebook.com",
    }
    page_url = f"{settings.base_url}/events/{event['uid']}".replace(":", "%3A").replace("/", "%2F")
    assert all(page_url in h for h in hrefs)
    assert not any("utm_" in h for h in hrefs)
    assert all("noreferrer" in a.get("rel") for a in links)
    assert tree.xpath("//script[not(@type='application/ld+json')]") == []


def test_the_map_highlights_the_place_among_the_places_of_its_department(frozen_clock, client, writer):
    event = _network(client, writer)
    response, tree = _page(client, event["uid"])
    [svg] = tree.xpath("//figure[@class='locator']/svg")
    assert svg.get("role") == "img"
    caption = tree.xpath("string(//figure[@class='locator']/figcaption)").strip()
    assert caption == "L'Escale Coworking parmi les 2 autres lieux du réseau (Creuse)"
    assert svg.xpath("string(circle[@class='locator-here']/title)") == "L'Escale Coworking"
    others = {c.xpath("string(title)"): (float(c.get("cx")), float(c.get("cy"))) for c in svg.xpath("circle")}
    assert set(others) == {"L'Escale Coworking", "La Grange aux Savoirs", "Le Fournil Partagé"}
    width, height = float(svg.get("width")), float(svg.get("height"))
    assert all(0 < x < width and 0 < y < height for x, y in others.values())
    # North is up, east is right: Aubusson lies south of Chénérailles, Guéret west of both.
    assert others["Le Fournil Partagé"][1] > others["La Grange aux Savoirs"][1]
    assert others["L'Escale Coworking"][0] < others["Le Fournil Partagé"][0]
    assert svg.xpath("string(text[@class='locator-label'])") == "L'Escale Coworking"
    assert svg.xpath("string(g[@class='locator-scale']/text)") == "20 km"  # places 25 km apart
    # Drawn from what the hub holds: no tile, and nothing for the browser to fetch elsewhere.
    assert svg.xpath("image") == []
    assert "img-src 'self' data: https://images.example.org;" in response.headers["content-security-policy"]


def test_an_off_site_event_is_drawn_where_it_happens(client, writer):
    place = _post(client, writer, "/api/v1/places", GUERET)
    _post(client, writer, "/api/v1/places", CREUSE[0])
    event = _post(
        client,
        writer,
        "/api/v1/events",
        factories.event(
            title="Repair café hors les murs",
            place=place["uid"],
            location={
                "name": "Salle des fêtes",
                "address": {"street": "Place de l'Église", "postal_code": "23200", "city": "Aubusson"},
                "geo": {"lat": 45.9558, "lon": 2.1683},
            },
        ),
    )
    _, tree = _page(client, event["uid"])
    address = _lines(tree.xpath("//dl[@class='facts']//address")[0])
    assert address == "Place de l'Église 23200 Aubusson"
    caption = tree.xpath("string(//figure[@class='locator']/figcaption)").strip()
    assert caption == "Salle des fêtes parmi les 2 autres lieux du réseau (Creuse)"


def test_tiles_are_drawn_only_from_the_server_the_operator_names(db, writer):
    settings = db.settings(
        map_tile_url="https://tiles.example.org/{z}/{x}/{y}.png", map_tile_attribution="© Contributeurs"
    )
    with TestClient(create_app(settings, engine=db.engine)) as client:
        event = _network(client, writer)
        response, tree = _page(client, event["uid"])
    tiles = tree.xpath("//figure[@class='locator']/svg/image/@href")
    assert 1 <= len(tiles) <= 9
    assert all(re.fullmatch(r"https://tiles\.example\.org/\d+/\d+/\d+\.png", t) for t in tiles)
    assert "https://tiles.example.org" in response.headers["content-security-policy"]
    assert "© Contributeurs" in tree.xpath("string(//figure[@class='locator']/figcaption)")


@pytest.mark.parametrize(
    "url",
    [
        "https://tiles.example.org/tile.png",
        "javascript:alert(1)/{z}/{x}/{y}",
        "ftp://t/{z}/{x}/{y}",
        "https://{s}.tiles.example.org/{z}/{x}/{y}.png",
        "https://user:pw@tiles.example.org/{z}/{x}/{y}.png",
    ],
)
def test_a_tile_url_not_http_on_one_host_with_its_three_numbers_is_refused(url):
    with pytest.raises(ValidationError, match="map_tile_url"):
        Settings(map_tile_url=url)


def test_an_image_on_a_host_a_policy_cannot_name_is_not_shown(client, writer):
    event = _post(
        client, writer, "/api/v1/events", factories.event(image="https://user:pw@images.example.org/a.png")
    )
    response, tree = _page(client, event["uid"])
    assert tree.xpath("//main//img") == [] and _meta(tree, "og:image") is None
    assert "img-src 'self' data:;" in response.headers["content-security-policy"]


@pytest.mark.parametrize("field", ["image", "registration_url", "url"])
def test_a_link_longer_than_the_record_keeps_is_refused_by_name(client, writer, field):
    long = factories.event(**{field: "https://images.example.org/" + "x" * 480})
    refused = client.post("/api/v1/events", json=long, headers=writer)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == field


def test_a_place_alone_gets_no_map_but_its_link_to_openstreetmap(client, writer):
    place = _post(client, writer, "/api/v1/places", GUERET)
    event = _post(client, writer, "/api/v1/events", factories.event(place=place["uid"]))
    _, tree = _page(client, event["uid"])
    assert tree.xpath("//figure[@class='locator']") == []
    [osm] = tree.xpath("//dl[@class='facts']//a[starts-with(@href, 'https://www.openstreetmap.org/')]/@href")
    assert "mlat=46.1713" in osm


CALENDAR_WITH_A_PICTURE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Images//FR\r\nBEGIN:VEVENT\r\n"
    "UID:nuit-des-tiers-lieux\r\nDTSTAMP:20260501T080000Z\r\nDTSTART:20270312T180000Z\r\n"
    "DTEND:20270312T220000Z\r\nSUMMARY:Nuit des tiers-lieux\r\n"
    "IMAGE;VALUE=URI:https://images.example.org/nuit.jpg\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_a_picture_reaches_the_hubs_page_from_a_node_and_from_a_calendar(db, tmp_path):
    """Harvested over HTTP: a node's event keeps its `image`, a calendar's its IMAGE."""
    settings = db.settings(role="hub", allowed_private_networks=["127.0.0.1/32"], harvest_in_process=False)
    calendar = Starlette(
        routes=[Route("/agenda.ics", lambda _: Response(CALENDAR_WITH_A_PICTURE, media_type="text/calendar"))]
    )
    with running_node(tmp_path, "escale") as node, serve(lambda _: calendar) as calendar_base:
        with node.session() as session:
            place = create_place(session, node.base_url, PlaceIn.model_validate(GUERET))
            save_event(
                session,
                node.settings,
                EventIn.model_validate(
                    factories.event(place=place.id, image="https://images.example.org/atelier.jpg")
                ),
            )
        with session_scope(db.engine) as session:
            for source in (
                SourceIn(url=node.base_url, token=node.harvest_token()),
                SourceIn(url=f"{calendar_base}/agenda.ics"),
            ):
                add_source(session, source, default_interval=3600)
        reports = asyncio.run(harvest_many(db.engine, settings, all_sources(db.engine)))
        assert all(r.ok for r in reports), [r.error for r in reports]
    with TestClient(create_app(settings, engine=db.engine)) as hub:
        pictures = {}
        for event in hub.get("/api/v1/events").json()["items"]:
            _, tree = _page(hub, event["uid"])
            pictures[event["title"]] = (_meta(tree, "og:image"), tree.xpath("//main//img/@src"))
    assert pictures == {
        "Atelier découverte": (
            "https://images.example.org/atelier.jpg",
            ["https://images.example.org/atelier.jpg"],
        ),
        "Nuit des tiers-lieux": (
            "https://images.example.org/nuit.jpg",
            ["https://images.example.org/nuit.jpg"],
        ),
    }


# In a browser, at phone and desktop sizes

# What the test server draws: a tile of fields crossed by two roads, and the event's picture.
TILE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256" '
    'fill="#e3ecd9"/><path d="M0 100H256M170 0V256" stroke="#fff" stroke-width="8"/></svg>'
)
PICTURE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="240"><rect width="640" height="240" '
    'fill="#fde68a"/><circle cx="320" cy="120" r="80" fill="#f59e0b"/></svg>'
)


@dataclass
class Served:
    hub: str
    pictures: str
    uid: str
    requested: list[str]


@pytest.fixture
def served(db, writer) -> Iterator[Served]:
    """A hub naming a tile server, and that server (which also holds the event's picture), both on
    127.0.0.1: every request the browser makes is seen."""
    requested: list[str] = []

    async def picture(request) -> Response:
        requested.append(request.url.path)
        drawn = TILE_SVG if request.url.path.startswith("/tiles/") else PICTURE_SVG
        return Response(drawn, media_type="image/svg+xml")

    with serve(lambda _: Starlette(routes=[Route("/{path:path}", picture)])) as pictures:
        settings = {
            "role": "hub",
            "harvest_in_process": False,
            "map_tile_url": pictures + "/tiles/{z}/{x}/{y}.svg",
            "map_tile_attribution": "Fonds de carte de test",
        }
        with serve(lambda base: create_app(db.settings(base_url=base, **settings), engine=db.engine)) as hub:
            with httpx.Client(base_url=hub) as client:
                event = _network(client, writer, image=pictures + "/co-lunch.svg")
            yield Served(hub, pictures, event["uid"], requested)


@pytest.mark.parametrize("width", [390, 1280])
def test_event_page_reads_well_on_a_phone_and_a_desktop(served, chromium_browser, db, width):
    context = chromium_browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{served.hub}/events/{served.uid}")
        page.wait_for_load_state("networkidle")
        loaded = page.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
        assert all(url.startswith((served.hub, served.pictures)) for url in loaded), loaded
        assert "/co-lunch.svg" in served.requested
        assert any(path.startswith("/tiles/") for path in served.requested)
        assert page.evaluate("document.querySelector('main img').naturalWidth") == 640
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        assert errors == []
        assert serious_violations(page) == []
        if db.kind == "sqlite":
            screenshot(page, f"event-page-{'phone' if width < 600 else 'desktop'}")
    finally:
        context.close()
